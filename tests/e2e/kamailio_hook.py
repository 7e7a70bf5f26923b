"""What Kamailio's route runs (exec module) on an INVITE: post a signed "ringing" event to hotline's
webhook. ``kamailio_hook.py CALLER EXTENSION CALL_ID_HASH``; the secret and the port come from the
environment Kamailio was started with (``HOTLINE_PBX_WEBHOOK_SECRET``, ``HOTLINE_E2E_WEBHOOK_PORT``).
Exit 0 when hotline took the event (204)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
import urllib.request


def main(caller: str, extension: str, call_id: str) -> int:
    secret = os.environ["HOTLINE_PBX_WEBHOOK_SECRET"]
    port = os.environ["HOTLINE_E2E_WEBHOOK_PORT"]
    now = int(time.time())
    event = {"id": f"{call_id}-ringing", "call_id": f"sip-{call_id}", "event": "ringing", "direction": "in",
             "number": caller, "extension": extension, "at": now}  # fmt: skip
    body = json.dumps(event).encode()
    signature = hmac.new(secret.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/calls",
        data=body,
        method="POST",
        headers={"X-Hotline-Timestamp": str(now), "X-Hotline-Signature": f"sha256={signature}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return 0 if response.status == 204 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
