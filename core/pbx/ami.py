"""Asterisk Manager Interface messages: how they are framed, read and written.

As Asterisk's documentation records the protocol (Asterisk 12 to 22, AMI 2.x to 11.x): on connect the
server sends one line, ``Asterisk Call Manager/<version>\\r\\n``; after that every message, both ways,
is ``Key: Value`` lines ending in ``\\r\\n`` with a blank line (``\\r\\n\\r\\n``) at its end. Actions carry
``Action`` and an ``ActionID`` that their ``Response`` repeats; events carry ``Event``.
"""

from __future__ import annotations

from hotline.core.errors import InvalidInput

BANNER_PREFIX = b"Asterisk Call Manager/"
TERMINATOR = b"\r\n\r\n"
MAX_MESSAGE_BYTES = 64 * 1024
"""Longer than any event Asterisk sends (its own manager buffer is 8 KB per header line)."""


class MalformedMessage(InvalidInput):
    """A block that is not ``Key: Value`` lines, or an action value that would break the framing."""


class AmiMessage(dict[str, str]):
    """One message: its headers by name, as sent (a repeated header keeps the values, one per line)."""

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def response(self) -> str | None:
        return self.get("Response")


def parse_message(block: bytes) -> AmiMessage:
    """A message from the bytes before its ``\\r\\n\\r\\n`` (UTF-8; undecodable bytes replaced)."""
    if len(block) > MAX_MESSAGE_BYTES:
        raise MalformedMessage(f"a message of {len(block)} bytes", where="AMI")
    message = AmiMessage()
    text = block.decode("utf-8", errors="replace")
    for line in text.split("\r\n"):
        if not line:
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or not key or " " in key:
            raise MalformedMessage(f"not a 'Key: Value' line: {line[:60]!r}", where="AMI")
        value = value.strip()
        message[key] = f"{message[key]}\n{value}" if key in message else value
    if "Event" not in message and "Response" not in message:
        raise MalformedMessage("neither an event nor a response", where="AMI")
    return message


def encode_action(action: str, action_id: str, fields: list[tuple[str, str]]) -> bytes:
    """An action's bytes; a value with a line break would inject headers, so it is refused."""
    lines = [("Action", action), ("ActionID", action_id), *fields]
    for key, value in lines:
        if any(ch in f"{key}{value}" for ch in "\r\n\x00"):
            raise MalformedMessage(f"a line break in the {key} of an action", where="AMI")
    return "".join(f"{key}: {value}\r\n" for key, value in lines).encode() + b"\r\n"


def parse_banner(line: bytes) -> str:
    """The AMI version from the greeting line, or ``MalformedMessage`` if the peer is not AMI."""
    if not line.startswith(BANNER_PREFIX):
        raise MalformedMessage(f"not an AMI greeting: {line[:60]!r}", where="AMI")
    return line[len(BANNER_PREFIX) :].decode("ascii", errors="replace").strip()
