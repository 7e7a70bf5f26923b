"""Zadarma's callback API, network-free: the signature as Zadarma's clients make it, the parameters (hostile
extensions and numbers refused), the answer read; and the ``[pbx.webhook.api]`` settings checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.core.errors import ConfigError
from hotline.core.pbx.zadarma_api import (
    CALLBACK_METHOD,
    DialRefused,
    api_signature,
    callback_params,
    read_reply,
    signed_callback,
)
from hotline.core.settings import load_settings

# Signatures made by Zadarma's npm client (v1.1.2) for the secret "sk000000000000000000", as a third
# party recorded them (a vitest file of a public Zadarma integration); our code must agree with theirs.
VECTORS = [
    (
        "/v1/request/callback/",
        {"to": "50688887777", "from": "499499-100", "sip": "499499-100"},
        "OGIxZDkyNzJmNzQzMmQwNzUzMTJlYjhmMTM4NGU2MzgxY2VhODhhOQ==",
    ),
    (
        "/v1/webrtc/get_key/",
        {"sip": "499499-101"},
        "MmJmM2RmMjEwZTVjZWQ4NzIzODBlNjcwNmFjOWMxMmE1ZjY5MmNiZQ==",
    ),
    ("/v1/info/balance/", {}, "NjlkOTQzYjZhNzRhMmZjZjQ1YTY5MjYxYzE1YTM1YTEwMWE3ZWMxOA=="),
]


@pytest.mark.parametrize(("method", "params", "expected"), VECTORS)
def test_the_signature_agrees_with_zadarmas_own_client(method, params, expected) -> None:
    assert api_signature("sk000000000000000000", method, params) == expected


def test_the_signature_is_base64_of_the_hex_hmac_sha1_of_path_query_and_its_md5() -> None:
    """The algorithm as Zadarma's PHP client (lib/Client.php, _getAuthHeader) writes it, step by step."""
    import base64
    import hashlib
    import hmac

    query = "format=json&from=101&to=79161234567"
    signed = CALLBACK_METHOD + query + hashlib.md5(query.encode()).hexdigest()
    hexed = hmac.new(b"s3cret", signed.encode(), hashlib.sha1).hexdigest()
    expected = base64.b64encode(hexed.encode()).decode()
    path, headers = signed_callback(
        key="k1", secret="s3cret", extension="101", number="+79161234567", default_region="RU"
    )
    assert path == f"{CALLBACK_METHOD}?{query}"
    assert headers["Authorization"] == f"k1:{expected}"


@pytest.mark.parametrize(
    ("number", "to"),
    [("+79161234567", "79161234567"), ("89161234567", "79161234567"), ("+442079460958", "442079460958"),
     ("12345", "12345")],
)  # fmt: skip
def test_the_number_goes_in_international_form(number: str, to: str) -> None:
    params = callback_params(extension="101", number=number, default_region="RU")
    assert params == {"from": "101", "to": to, "format": "json"}


@pytest.mark.parametrize(
    ("extension", "number"),
    [
        ("101", "+7916;rm -rf /"),
        ("101", "1234567890123456"),
        ("101", "123"),
        ("101", ""),
        ("101", "\x1b[2J79161234567"),
        ("101", "79161234567&to=88005553535"),
        ("101\r\nX", "+79161234567"),
        ("10 1", "+79161234567"),
        ("", "+79161234567"),
        ("101&from=999", "+79161234567"),
    ],
)
def test_hostile_extensions_and_numbers_are_refused(extension: str, number: str) -> None:
    with pytest.raises(DialRefused, match=r"not an? (extension|number) Zadarma can"):
        callback_params(extension=extension, number=number, default_region="RU")


def test_a_full_sip_login_is_an_extension() -> None:
    assert callback_params(extension="499499-101", number="+79161234567", default_region="RU")["from"] == (
        "499499-101"
    )


def test_the_answer_is_read() -> None:
    read_reply(200, b'{"status":"success","from":101,"to":"79161234567","time":1795417200}')
    for status, body, says in [
        (200, b'{"status":"error","message":"Wrong number format"}', "Wrong number format"),
        (401, b'{"status":"error","message":"Not authorized"}', "HTTP 401: Not authorized"),
        (500, b"<html>oops</html>", "HTTP 500"),
        (302, b"", "HTTP 302"),
        (200, b"not json", "not a JSON answer"),
        (200, b'{"status":"pending"}', "status 'pending'"),
        # nested past the decoder's depth: a RecursionError, the request "internal error" and a traceback
        (200, b"[" * 60_000, "not a JSON answer"),
        (502, b"[" * 60_000, "HTTP 502"),
    ]:
        with pytest.raises(DialRefused, match=says):
            read_reply(status, body)


API = '[pbx.webhook]\nformat = "zadarma"\n[pbx.webhook.api]\nkey = "k1"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_api_section_defaults_to_zadarma_over_https(tmp_path: Path, monkeypatch) -> None:
    api = load_settings(write(tmp_path, API)).pbx.webhook.api
    assert api is not None and (api.url, api.key, api.timeout_seconds) == (
        "https://api.zadarma.com",
        "k1",
        10,
    )
    monkeypatch.delenv("HOTLINE_PBX_WEBHOOK_SECRET", raising=False)
    assert api.secret("HOTLINE_PBX_WEBHOOK_SECRET") is None
    monkeypatch.setenv("HOTLINE_PBX_WEBHOOK_SECRET", "s3cret")
    assert api.secret("HOTLINE_PBX_WEBHOOK_SECRET").get_secret_value() == "s3cret"
    local = load_settings(write(tmp_path, API + 'url = "http://127.0.0.1:8080/"\n')).pbx.webhook.api
    assert local is not None and local.url == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[pbx.webhook.api]\nkey = "k1"\n', 'for format = "zadarma" only'),
        (API + 'secret = "hunter2"\n', "never lives in the configuration file"),
        (API + 'url = "http://api.zadarma.com"\n', "plain http"),
        (API + 'url = "ftp://api.zadarma.com"\n', "https:// URL"),
        (API + 'url = "https://api.zadarma.com/?x=1"\n', "only the scheme"),
        ('[pbx.webhook]\nformat = "zadarma"\n[pbx.webhook.api]\nkey = "k1:x"\n', "letters and digits"),
        (API + "timeout_seconds = 0\n", "timeout_seconds"),
        (API + "tiemout_seconds = 5\n", "tiemout_seconds"),
        ('[pbx.webhook]\nformat = "zadarma"\n[pbx.webhook.api]\n', "key"),
    ],
)
def test_bad_api_settings_name_the_field(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=r"pbx\.webhook") as error:
        load_settings(write(tmp_path, text))
    assert says in str(error.value)
