"""The content digest: what makes two deliveries "the same message", whatever the servers added.

Real senders reuse a Message-ID for different messages, so a duplicate is the same Message-ID *and*
the same content. The content is what the sender wrote: the headers its client set (``ORIGIN_HEADERS``:
never the trace and status headers servers add on the way — Received, Return-Path, Delivered-To,
DKIM and ARC seals, spam scores, IMAP status) and the body. Both are canonicalised as DKIM's "relaxed"
algorithm does (RFC 6376 3.4.2 and 3.4.4), so a relay that re-folds a header, turns LF into CRLF or
trims trailing spaces or blank lines does not make a new message.
"""

from __future__ import annotations

import hashlib
import re

ORIGIN_HEADERS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "in-reply-to",
    "references", "mime-version", "content-type", "content-transfer-encoding", "content-disposition",
})  # fmt: skip
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_SPACES = re.compile(rb"[ \t]+")
_LINE_END_SPACES = re.compile(rb"[ \t]+(?=\r?\n|\Z)")
_TRAILING_LINES = re.compile(rb"(\r?\n)+\Z")


def content_digest(raw: bytes) -> str:
    """SHA-256 (hex) of the message's origin headers and body, relaxed-canonicalised."""
    split = _HEADER_END.search(raw)
    head, body = (raw[: split.start()], raw[split.end() :]) if split else (raw, b"")
    digest = hashlib.sha256()
    for name, value in _origin_headers(head):
        digest.update(name + b":" + value + b"\r\n")
    digest.update(b"\r\n")
    digest.update(_relaxed_body(body))
    return digest.hexdigest()


def _origin_headers(head: bytes) -> list[tuple[bytes, bytes]]:
    """The origin headers in their order, name lower-cased, value unfolded with spaces collapsed."""
    found: list[tuple[bytes, bytes]] = []
    for line in _FOLD.sub(b"", head).splitlines():
        name, colon, value = line.partition(b":")
        if not colon:
            continue
        key = name.strip().lower()
        if key.decode("ascii", "replace") in ORIGIN_HEADERS:
            found.append((key, _SPACES.sub(b" ", value).strip()))
    return found


def _relaxed_body(body: bytes) -> bytes:
    """Line ends as CRLF, spaces at line ends dropped, runs of spaces as one, no trailing blank lines."""
    body = _LINE_END_SPACES.sub(b"", body)
    body = _SPACES.sub(b" ", body)
    body = _TRAILING_LINES.sub(b"", body)
    return body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + b"\r\n"
