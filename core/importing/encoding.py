"""What a file is and how its text is encoded, decided on the whole file.

Russian spreadsheets arrive as UTF-8 (with or without a BOM), windows-1251 (Excel's "CSV" on a Russian
Windows) or koi8-r (old Unix tools). UTF-8 is tried strictly on every byte first. A file that is not UTF-8
but has lines that are (non-ASCII UTF-8 does not happen by accident) mixes encodings: an error naming the
first line that does not fit. Otherwise the code page is charset-normalizer's choice over the file's
non-ASCII lines (for words written wholly in another alphabet, Russian in practice, this module's own
scoring), and between the two Cyrillic code pages, whichever reads more like Russian (letter
frequencies and letter case within words).
"""

from __future__ import annotations

import codecs
import math
from pathlib import Path
from typing import IO

from hotline.core.errors import InvalidInput

SAMPLE_BYTES = 1 << 20
SCORE_BYTES = 64 << 10
CHUNK_BYTES = 1 << 20
FEW_ACCENTS = 48
_CYRILLIC_CODE_PAGES = frozenset({"cp1251", "koi8_r", "koi8_u", "mac_cyrillic", "cp866", "iso8859_5"})
_NEVER = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le", "utf_7"]

# Signatures of files that are not text, so "a PDF named .csv" gets a plain answer.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an XLSX or other Office document?)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old binary Office document (.xls/.doc)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)

# Relative frequency (per cent) of letters in Russian text.
_RUSSIAN_FREQUENCY = {
    "о": 10.97, "е": 8.45, "а": 8.01, "и": 7.35, "н": 6.70, "т": 6.26, "с": 5.47, "р": 4.73, "в": 4.54,
    "л": 4.40, "к": 3.49, "м": 3.21, "д": 2.98, "п": 2.81, "у": 2.62, "я": 2.01, "ы": 1.90, "ь": 1.74,
    "г": 1.70, "з": 1.65, "б": 1.59, "ч": 1.44, "й": 1.21, "х": 0.97, "ж": 0.94, "ш": 0.73, "ю": 0.64,
    "ц": 0.48, "щ": 0.36, "э": 0.32, "ф": 0.26, "ъ": 0.04, "ё": 0.04,
}  # fmt: skip
_LETTER_SCORE = {letter: math.log(share) for letter, share in _RUSSIAN_FREQUENCY.items()}
_UNLIKELY = math.log(0.01)


def read_sample(path: Path) -> bytes:
    """The first megabyte of ``path``; a missing or unreadable file is bad input."""
    try:
        with path.open("rb") as stream:
            return stream.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise InvalidInput("no such file", where=str(path)) from None
    except IsADirectoryError:
        raise InvalidInput("is a directory, not a file", where=str(path)) from None
    except OSError as error:
        raise InvalidInput(f"cannot read the file: {error.strerror or error}", where=str(path)) from None


def binary_kind(sample: bytes) -> str | None:
    """A description of what the bytes are when they are clearly not text, else None."""
    for signature, description in _MAGIC:
        if sample.startswith(signature):
            return description
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if b"\x00" in sample:
        return "a binary file (it contains NUL bytes)"
    return None


def file_encoding(path: Path) -> str:
    """The codec of the whole file at ``path``: ``utf-8-sig``/``utf-16`` by their BOM, ``utf-8`` when every
    byte decodes as UTF-8, else the code page of its non-ASCII lines (``detect_encoding``).

    A file whose lines are in different encodings is ``InvalidInput`` naming the first line that does not
    fit the rest.
    """
    with path.open("rb") as stream:
        head = stream.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        stream.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        try:
            while chunk := stream.read(CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        except UnicodeDecodeError:
            stream.seek(0)
            return _single_byte_encoding(path, stream)


def _single_byte_encoding(path: Path, stream: IO[bytes]) -> str:
    """The code page of a file that is not UTF-8, after checking that no line of it is UTF-8."""
    utf8_lines: list[int] = []
    other_lines: list[int] = []
    sample = bytearray()
    for number, line in enumerate(stream, start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other_lines.append(number)
            if len(sample) < SCORE_BYTES:
                sample += line
            continue
        if any(ord(char) >= 0x400 for char in text):  # not two Latin-1 bytes that happen to pair up
            utf8_lines.append(number)
    if utf8_lines and other_lines:
        if len(utf8_lines) >= len(other_lines):
            line, reason = other_lines[0], "is not UTF-8 like the other lines"
        else:
            line, reason = utf8_lines[0], "is UTF-8 while the other lines are not"
        raise InvalidInput(
            f"the file mixes text encodings: this line {reason} ({len(utf8_lines):,} UTF-8 lines, "
            f"{len(other_lines):,} in another encoding); save the file in one encoding (UTF-8)",
            where=f"{path}:{line}",
        )
    return detect_encoding(bytes(sample), complete=True)


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """The Python codec name for the text in ``sample``; ``complete`` says the sample is the whole file.

    Returns ``utf-8-sig`` for a UTF-8 BOM, ``utf-16`` for a UTF-16 BOM, ``utf-8`` when the bytes decode
    strictly as UTF-8, else whichever of ``cp1251`` and ``koi8_r`` reads more like Russian.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if not _in_runs(sample[:SCORE_BYTES]):
        western = _western_code_page(sample[:SCORE_BYTES])
        if western is not None:
            return western
    candidates = {}
    scored = sample[:SCORE_BYTES]  # plenty of letters to tell the code pages apart, and quick
    for codec in ("cp1251", "koi8_r"):
        try:
            sample.decode(codec)
            candidates[codec] = russian_score(scored.decode(codec))
        except UnicodeDecodeError:
            continue
    if not candidates:
        return "koi8_r"
    return max(candidates, key=lambda codec: candidates[codec])


def _western_code_page(sample: bytes) -> str | None:
    """charset-normalizer's code page for accented Latin text; windows-1252 when there are too few
    accented letters to tell (its readings then tie)."""
    import charset_normalizer

    if sum(1 for byte in sample if byte > 0x7F) < FEW_ACCENTS:
        try:
            sample.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(sample, cp_exclusion=_NEVER).best()
    if best is None or best.encoding in _CYRILLIC_CODE_PAGES or best.encoding == "utf_8":
        return None
    return best.encoding


def _in_runs(sample: bytes) -> bool:
    """Whether most non-ASCII bytes stand next to another one: words written wholly in another alphabet
    (Cyrillic), not accented letters inside Latin words (left to charset-normalizer)."""
    non_ascii = [index for index, byte in enumerate(sample) if byte > 0x7F]
    if not non_ascii:
        return True
    paired = sum(
        1
        for index in non_ascii
        if (index > 0 and sample[index - 1] > 0x7F) or (index + 1 < len(sample) and sample[index + 1] > 0x7F)
    )
    return paired * 2 >= len(non_ascii)


def russian_score(text: str) -> float:
    """How much ``text`` looks like Russian: frequent letters up, capitals after small letters down.

    A cp1251 file read as koi8-r (and the other way round) swaps the case of nearly every letter (so a
    capitalised name becomes "иБЮМНБ") and turns common letters into rarer ones.
    """
    score = 0.0
    previous = " "
    for char in text:
        frequency = _LETTER_SCORE.get(char.lower())
        if frequency is None:
            if not char.isascii() and not char.isspace() and not char.isalpha():
                score += _UNLIKELY  # box-drawing and other symbols are rare in real data
        else:
            score += frequency
            if char.isupper() and previous.islower():
                score -= 4.0  # "иБЮМНБ": a capital after a small letter inside a word
        previous = char
    return score
