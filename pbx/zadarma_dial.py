"""Click-to-dial through Zadarma's callback API (``[pbx.webhook.api]``), a back-end of the ``Dialer``.

One signed ``GET /v1/request/callback/`` per request (``hotline.core.pbx.zadarma_api`` builds and reads
it), with the standard library's HTTP client in a worker thread: no redirects followed (the request
carries the signed ``Authorization``), certificates verified, the answer read up to 64 KB, the whole
exchange bounded by ``timeout_seconds``. An extension or number that is not one is refused before
anything is sent. Zadarma answers with no call id, so a request it took and never reported
(``NOTIFY_OUT_START``) within ``DIAL_MATCH_AFTER`` ends as ``not_connected``.
"""

from __future__ import annotations

import asyncio
import http.client
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from hotline.core.pbx.zadarma_api import MAX_REPLY_BYTES, DialRefused, read_reply, signed_callback
from hotline.core.services.dial_requests import DIAL_MATCH_AFTER

if TYPE_CHECKING:
    from hotline.core.settings import WebhookApiSettings
    from hotline.pbx.dialer import DialRequest


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: the signed header must not follow it to another host."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class ZadarmaCallback:
    """Asks Zadarma to ring the operator's extension, then the number."""

    name = "zadarma"
    confirm_within: float | None = DIAL_MATCH_AFTER.total_seconds()

    def __init__(self, *, api: WebhookApiSettings, secret: str, default_region: str) -> None:
        self.api = api
        self.secret = secret
        self.default_region = default_region

    async def dial(self, request: DialRequest) -> str | None:
        try:
            path, headers = signed_callback(
                key=self.api.key, secret=self.secret, extension=request.extension, number=request.number,
                default_region=self.default_region,
            )  # fmt: skip
        except DialRefused as refused:
            return str(refused)
        timeout = self.api.timeout_seconds
        try:
            status, body = await asyncio.wait_for(
                asyncio.to_thread(self._get, self.api.url + path, headers), timeout
            )
        except TimeoutError:
            return f"no answer from Zadarma in {timeout:g} s"
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                return f"no answer from Zadarma in {timeout:g} s"
            return f"cannot reach Zadarma: {error.reason}"
        except (OSError, http.client.HTTPException, ValueError) as error:
            return f"cannot reach Zadarma: {error or type(error).__name__}"
        try:
            read_reply(status, body)
        except DialRefused as refused:
            return str(refused)
        return None

    def _get(self, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """Blocking (a worker thread): the status and at most ``MAX_REPLY_BYTES`` of the body."""
        request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 (http(s) only)
        try:
            with _OPENER.open(request, timeout=self.api.timeout_seconds) as response:
                return response.status, response.read(MAX_REPLY_BYTES)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read(MAX_REPLY_BYTES)
