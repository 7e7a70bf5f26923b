"""Asterisk channel names and the extension they belong to."""

from __future__ import annotations

import re

_CHANNEL = re.compile(r"^[A-Za-z0-9_]+/(?P<resource>[^-@;/,\s]+)")


def extension_of_channel(channel: str | None) -> str | None:
    """``PJSIP/101-0000002a`` → ``101``; ``Local/101@from-queue-0001;1`` → ``101``; else ``None``.

    SIP/IAX2 peers named by the extension are the common set-up (FreePBX names them so).
    """
    if not channel:
        return None
    match = _CHANNEL.match(channel.strip())
    return match.group("resource") if match else None


def agent_extension(interface: str | None) -> str | None:
    """A queue member's interface (``PJSIP/101``, ``Local/101@from-queue/n``) → ``101``."""
    return extension_of_channel(interface)
