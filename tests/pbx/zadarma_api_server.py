"""A test Zadarma API on loopback: checks each request's ``Authorization`` as Zadarma's documentation and
clients make it, records the requests and answers as the test says.

The signature is recomputed here from the query string received, independently of hotline's code: the
parameters sorted by name and encoded as PHP's ``http_build_query``, then base64 of the hex HMAC-SHA1
(keyed with the secret) of method path + that string + its md5 hex.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit


@dataclass(frozen=True)
class ApiRequest:
    path: str
    params: dict[str, str]
    authorized: bool


class FakeZadarmaApi:
    """``with FakeZadarmaApi() as api``: serving on ``api.url``; ``api.mode`` picks the next answers.

    Modes: ``success``; ``error`` (``{"status": "error", "message": "Wrong number format"}``); ``http500``;
    ``slow`` (answers after ``api.delay`` seconds).
    """

    def __init__(self, *, key: str = "k1", secret: str = "s3cret") -> None:
        self.key = key
        self.secret = secret
        self.mode = "success"
        self.delay = 8.0
        self.requests: list[ApiRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def signature(self, path: str, params: dict[str, str]) -> str:
        query = urlencode(sorted(params.items()))
        signed = path + query + hashlib.md5(query.encode()).hexdigest()
        hexed = hmac.new(self.secret.encode(), signed.encode(), hashlib.sha1).hexdigest()
        return base64.b64encode(hexed.encode()).decode()

    def __enter__(self) -> FakeZadarmaApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                expected = f"{api.key}:{api.signature(url.path, params)}"
                authorized = hmac.compare_digest(self.headers.get("Authorization", ""), expected)
                api.requests.append(ApiRequest(url.path, params, authorized))
                if not authorized:
                    self._answer(401, {"status": "error", "message": "Not authorized"})
                elif url.path != "/v1/request/callback/":
                    self._answer(404, {"status": "error", "message": "Method not found"})
                elif api.mode == "error":
                    self._answer(200, {"status": "error", "message": "Wrong number format"})
                elif api.mode == "http500":
                    self._answer(500, b"<html>Internal Server Error</html>")
                else:
                    if api.mode == "slow":
                        time.sleep(api.delay)
                    to = params.get("to", "")
                    answer = {
                        "status": "success",
                        "from": params.get("from"),
                        "to": to,
                        "time": int(time.time()),
                    }
                    self._answer(200, answer)

            def _answer(self, status: int, body: dict | bytes) -> None:
                payload = json.dumps(body).encode() if isinstance(body, dict) else body
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1})
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
