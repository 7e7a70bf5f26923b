"""What a file is and how its text is encoded, decided from its first bytes.

Russian spreadsheets arrive as UTF-8 (with or without a BOM), windows-1251 (Excel's "CSV" on a Russian
Windows) or koi8-r (old Unix tools). UTF-8 is tried strictly first; otherwise the two Cyrillic code pages
are scored by how Russian the decoded letters look (letter frequencies and letter case within words).
"""

from __future__ import annotations

import codecs
import math
from pathlib import Path

from hotline.core.errors import InvalidInput

SAMPLE_BYTES = 1 << 20
SCORE_BYTES = 64 << 10

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
