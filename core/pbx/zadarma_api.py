"""Zadarma's callback API, network-free: what click-to-dial sends and how it reads the answer.

``GET /v1/request/callback/?from=EXTENSION&to=NUMBER&format=json``: Zadarma rings ``from`` (the
operator's extension) and, once answered, calls ``to``. The answer is JSON, ``{"status": "success",
"from", "to", "time"}`` or ``{"status": "error", "message": …}``; it names no call id, so the call's
later ``NOTIFY_OUT_*`` notifications are matched to the request by extension, number and time
(``hotline.core.services.dial_requests``).

Signing, as Zadarma's own clients do it (github.com/zadarma/user-api-v1 ``lib/Client.php``
``_getAuthHeader``; github.com/zadarma/user-api-py-v1 ``zadarma/api.py``; the method and its
parameters in ``lib/Api.php`` ``requestCallback`` and github.com/zadarma/openapi ``spec/v1/openapi.json``):
the parameters sorted by name and written as PHP's ``http_build_query`` (RFC 1738: spaces as ``+``), then
``Authorization: <key>:<base64 of the hex HMAC-SHA1, keyed with the secret, of method path + that query
string + its md5 hex>``. Every call carries ``format=json``, signed like the other parameters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from urllib.parse import urlencode

from hotline.core.errors import InvalidInput
from hotline.core.phones import normalize_phone

CALLBACK_METHOD = "/v1/request/callback/"
MAX_REPLY_BYTES = 64 * 1024
_EXTENSION = re.compile(r"[0-9]{2,15}(-[0-9]{2,6})?")
"""A PBX extension (``101``), its full SIP login (``499499-101``), or a phone number's digits."""
_DIALLED = re.compile(r"\+?[0-9]{3,15}")
"""What ``request_dial`` stores (``dial_string``): digits, a leading ``+`` for an international number."""


class DialRefused(Exception):
    """The request cannot go, or Zadarma refused it; the message says why (it goes on the card)."""


def api_signature(secret: str, method: str, params: dict[str, str]) -> str:
    """The signature half of Zadarma's ``Authorization`` header for ``method`` with ``params``."""
    query = query_string(params)
    data = method + query + hashlib.md5(query.encode()).hexdigest()  # noqa: S324 (Zadarma's algorithm)
    digest = hmac.new(secret.encode(), data.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def query_string(params: dict[str, str]) -> str:
    """The parameters sorted by name, as PHP's ``http_build_query`` writes them (spaces as ``+``)."""
    return urlencode(sorted(params.items()))


def callback_params(*, extension: str, number: str, default_region: str) -> dict[str, str]:
    """The callback's parameters, or ``DialRefused`` for an extension or number that is not one.

    ``to`` is the number in international form without its ``+`` (Zadarma's clients strip everything
    but digits); a five-digit number is a Zadarma SIP number and goes as it is.
    """
    if not _EXTENSION.fullmatch(extension):
        raise DialRefused(f"not an extension Zadarma can ring: {extension[:20]!r}")
    if not _DIALLED.fullmatch(number):
        raise DialRefused(f"not a number Zadarma can dial: {number[:20]!r}")
    digits = number.lstrip("+")
    if len(digits) == 5 and not number.startswith("+"):
        to = digits
    else:
        try:
            to = normalize_phone(number, default_region=default_region).digits
        except InvalidInput:
            raise DialRefused(f"not a number Zadarma can dial: {number[:20]!r}") from None
    return {"from": extension, "to": to, "format": "json"}


def signed_callback(
    *, key: str, secret: str, extension: str, number: str, default_region: str
) -> tuple[str, dict[str, str]]:
    """The path with its query and the headers of a signed callback request."""
    params = callback_params(extension=extension, number=number, default_region=default_region)
    signature = api_signature(secret, CALLBACK_METHOD, params)
    path = f"{CALLBACK_METHOD}?{query_string(params)}"
    return path, {"Authorization": f"{key}:{signature}", "Accept": "application/json"}


def read_reply(status: int, body: bytes) -> None:
    """Nothing when Zadarma took the request; ``DialRefused`` with its message, or the HTTP status."""
    try:
        data = json.loads(body[:MAX_REPLY_BYTES])
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # RecursionError: nested too deep
        data = None
    message = data.get("message") if isinstance(data, dict) else None
    message = message if isinstance(message, str) and message.strip() else None
    if not 200 <= status < 300:
        raise DialRefused(f"HTTP {status}" + (f": {message}" if message else ""))
    if not isinstance(data, dict):
        raise DialRefused(f"HTTP {status}: not a JSON answer")
    if data.get("status") != "success":
        raise DialRefused(message or f"status {str(data.get('status'))[:20]!r}")
