"""Normalisation, folding and query classification: the pure text layer of lookup (no database)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from hotline.core.phones import digits_of
from hotline.core.text import without_escape_sequences

MAX_QUERY_CHARS = 200
"""A longer paste is cut here: nobody types more, and it bounds the work a query can cause."""
MAX_QUERY_WORDS = 6
MAX_WORD_CHARS = 40

_KEEP_COMPOSED = {"й": "й", "Й": "й", "ё": "е", "Ё": "е"}
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_PHONE_CHARS_RE = re.compile(r"^[\d\s()\[\]+\-./~]+$")
_DASH_LIKE = frozenset("\u2053\u2212\u223c")
"""Read as a hyphen in a number besides every dash (Unicode's Pd): the swung dash and the minus sign and
tilde operator, which phone numbers copied from documents carry and the phone field takes."""
_LINK_PREFIX_RE = re.compile(r"^(?:tel|callto):", re.IGNORECASE)
_EXTENSION_RE = re.compile(r"[\s,;]*(?:доб|ext|вн|x)\.?\s*\d{1,7}\s*$", re.IGNORECASE)
"""An extension after a number (``доб. 123``, ``ext. 45``, ``x45``): no part of the number as stored."""
_ADDRESS_RE = re.compile(r"[^\s<>\"'(),;:\[\]]+@[^\s<>\"'(),;:\[\]]+")
"""A whole address in a query: ``local@domain`` between spaces, brackets, quotes, commas or a colon."""
_MAILTO_RE = re.compile(r"mailto:", re.IGNORECASE)
_TICKET_RE = re.compile(r"^[#№]\s*(\d{1,12})$")
"""``#1234``, or ``№1234``: Shift+3 on the Russian layout (the lookup reads names on the wrong layout too)."""


def fold(text: str) -> str:
    """Lower-case, ``ё``→``е``, accents dropped (``é``→``e``; ``й`` stays), compatibility forms unified,
    invisible format characters dropped (a soft hyphen or a zero-width space inside a pasted name split
    it into two words, found by neither spelling)."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char in _KEEP_COMPOSED:
            out.append(_KEEP_COMPOSED[char])
            continue
        for part in unicodedata.normalize("NFKD", char):
            if not unicodedata.combining(part) and unicodedata.category(part) != "Cf":
                out.append(part)
    return "".join(out).casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text``: runs of letters and digits; anything else separates."""
    return _WORD_RE.findall(fold(text))


def is_cyrillic(word: str) -> bool:
    """True when ``word`` holds any Cyrillic letter."""
    return bool(_CYRILLIC_RE.search(word))


def strip_controls(text: str) -> str:
    """``text`` without control characters, safe to show in a terminal: C0, C1, DEL and line separators
    become spaces, invisible format characters (bidi overrides, soft hyphens, zero-width spaces and
    joiners) are dropped, as nobody sees them where they stand (a word they split was two words)."""
    if text.isprintable():  # no Cc, Cf, Zl or Zp character (nor Zs but the space): nothing to replace
        return text
    return "".join(_SHOWN.get(unicodedata.category(ch), ch) if ch != " " else ch for ch in text)


_SHOWN = {"Cc": " ", "Zl": " ", "Zp": " ", "Cf": ""}
"""What ``strip_controls`` puts for a character of these categories."""


class QueryKind(StrEnum):
    """What a query looks like; lookup dispatches on it."""

    EMPTY = "empty"
    TICKET = "ticket"
    PHONE = "phone"
    EMAIL = "email"
    WORDS = "words"
    SHORT = "short"


@dataclass(frozen=True)
class Query:
    """A classified query: its kind, its folded words, its digits, and the cleaned text."""

    kind: QueryKind
    text: str
    words: tuple[str, ...] = ()
    digits: str = ""
    ticket_number: int | None = None
    fragment: str = ""


def classify(raw: str) -> Query:
    """Classify what the operator typed.

    ``#1234`` is a ticket; only digits and phone punctuation is a phone (and digits alone, when short
    enough, a ticket number as well); anything with ``@`` or a dotted domain is an email fragment; one or
    two characters in all is a short prefix; the rest is words.
    """
    # (a name copied from a coloured terminal: its escapes' letters were read as words, '[31m' as '31m')
    text = strip_controls(without_escape_sequences(raw[:MAX_QUERY_CHARS])).strip()
    if not text:
        return Query(QueryKind.EMPTY, text)
    ticket = _TICKET_RE.match(text)
    if ticket:
        return Query(QueryKind.TICKET, text, digits=ticket.group(1), ticket_number=int(ticket.group(1)))
    phone = _as_phone(text)
    if phone is not None:
        digits = digits_of(phone)
        if digits:
            # Digits alone may be a ticket's number too; a plus, brackets, separators or leading zeros
            # are a phone's (the first keys of "+7 916 …" listed ticket #7, and Enter opened it).
            ticket = len(digits) <= 12 and phone == digits and not digits.startswith("0")
            number = int(digits) if ticket else None
            return Query(QueryKind.PHONE, phone, digits=digits, ticket_number=number)
        return Query(QueryKind.EMPTY, phone)
    folded_words = tuple(word[:MAX_WORD_CHARS] for word in words(text)[:MAX_QUERY_WORDS])
    if "@" in text or _looks_like_domain(text):
        address = address_and_rest(fold(text))
        # A whole address is looked for alone: what was copied around it (a From line's name and angle
        # brackets, ``mailto:``, a full stop) is no part of it, and read into it nothing was found.
        fragment = address[0] if address else fold(text).replace(" ", "")
        fragment = "".join(ch for ch in fragment if ch.isalnum() or ch in "@.-_+")
        if len(fragment.strip("@.")) >= 1:
            return Query(QueryKind.EMAIL, text, words=folded_words, fragment=fragment)
    if not folded_words:
        return Query(QueryKind.EMPTY, text)
    if sum(len(word) for word in folded_words) <= 2:
        return Query(QueryKind.SHORT, text, words=folded_words)
    return Query(QueryKind.WORDS, text, words=folded_words)


def address_and_rest(text: str) -> tuple[str, str] | None:
    """The first whole address in ``text`` (as written, trailing dots dropped) and what was around it,
    quotes, brackets and ``mailto:`` trimmed (a From line's name), or None when it holds no address."""
    match = _ADDRESS_RE.search(text)
    if match is None:
        return None
    rest = _MAILTO_RE.sub(" ", f"{text[: match.start()]} {text[match.end() :]}")
    return match.group().rstrip("."), " ".join(rest.split()).strip(" <>\"'(),;:[].")


def looks_like_phone(text: str) -> bool:
    """Whether a lookup reads ``text`` as a phone number: digits and only phone punctuation (the faces
    decide by it where what was typed goes in a new client's form)."""
    phone = _as_phone(strip_controls(text).strip())
    return phone is not None and bool(digits_of(phone))


def _as_phone(text: str) -> str | None:
    """``text`` as a phone number's characters (full-width forms as ASCII, any dash as ``-``, without a
    link's ``tel:`` or an extension), or None when it holds anything else: a number as the phone field
    takes it is a phone here too (``+7 495 926–37–81``, copied with a document's en dashes, or
    ``… доб. 123``, were read as words and found nothing)."""
    normal = _EXTENSION_RE.sub("", _LINK_PREFIX_RE.sub("", unicodedata.normalize("NFKC", text)))
    normal = "".join(
        "-" if char in _DASH_LIKE or unicodedata.category(char) == "Pd" else char for char in normal
    )
    return normal if _PHONE_CHARS_RE.match(normal) else None


def _looks_like_domain(text: str) -> bool:
    """``acme.ru``: one token, a dot between letters."""
    return " " not in text and bool(re.fullmatch(r"[\w-]+(\.[\w-]+)+\.?", text)) and not text[0].isdigit()
