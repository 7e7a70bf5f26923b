"""The ring socket's shared rules (``cli.ring_socket``): which command lines are rings, where the socket
is, who may use it, which requests are well-formed; and that the fast path stays on the standard library."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.cli.ring_server import ListenerContext, relevant_variable
from hotline.cli.ring_socket import (
    code_stamp,
    config_path,
    decode,
    effective_globals,
    encode,
    peer_uid,
    private_dir_problem,
    relative_inputs,
    request_problem,
    ring_globals,
    runtime_dir,
    same_principal,
    socket_path,
)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["call", "incoming", "1"], {}),
        (["call", "incoming"], {}),  # the missing number is the command's to report
        (["--db", "sqlite:////x.db", "call", "incoming", "1"], {"--db": "sqlite:////x.db"}),
        (
            ["--db=a", "--db", "b", "--operator", "call", "call", "incoming"],
            {"--db": "b", "--operator": "call"},
        ),
        (["--now=", "call", "incoming", "1", "--wait", "3"], {"--now": ""}),
        (["call", "incoming", "1", "--help"], None),
        (["call", "incoming", "-h"], None),
        (["call", "log", "1"], None),
        (["tickets", "list"], None),
        (["--verbose", "call", "incoming", "1"], None),
        (["--db"], None),
        (["--db", "x"], None),
        ([], None),
        (["call"], None),
    ],
)
def test_ring_globals_recognise_only_call_incoming(argv: list[str], expected: dict | None) -> None:
    assert ring_globals(argv) == expected


def test_effective_globals_take_the_environment_when_not_given() -> None:
    environ = {
        "HOTLINE_DATABASE_URL": "sqlite:////env.db",
        "HOTLINE_OPERATOR": "",
        "HOTLINE_NOW": "2026-01-01",
    }
    assert effective_globals({"--now": "2027-01-01"}, environ) == {
        "--db": "sqlite:////env.db",
        "--config": None,
        "--operator": None,  # an empty variable is not set (click's rule)
        "--now": "2027-01-01",
    }


def test_the_socket_is_named_after_database_and_configuration(tmp_path: Path) -> None:
    environ = {"XDG_RUNTIME_DIR": str(tmp_path), "XDG_CONFIG_HOME": "/etc/xdg-test"}
    path = socket_path("sqlite:////a.db", None, environ)
    assert path.startswith(str(tmp_path / "hotline") + "/ring-") and path.endswith(".sock")
    assert path == socket_path("sqlite:////a.db", "/etc/xdg-test/hotline/config.toml", environ)
    assert path != socket_path("sqlite:////b.db", None, environ)
    assert path != socket_path("sqlite:////a.db", "/other.toml", environ)
    assert len(path) < 108  # the limit of a Unix socket's path
    assert config_path(None, environ) == "/etc/xdg-test/hotline/config.toml"


def test_a_runtime_folder_too_deep_for_a_socket_path_gives_way_to_tmp() -> None:
    deep = "/run/" + "d" * 120
    assert socket_path(None, "/c.toml", {"XDG_RUNTIME_DIR": deep}).startswith(
        f"/tmp/hotline-{os.geteuid()}/ring-"
    )


def test_runtime_dir_without_xdg_runtime_dir_is_per_user() -> None:
    assert runtime_dir({"TMPDIR": "/var/tmp"}) == f"/var/tmp/hotline-{os.geteuid()}"
    assert (
        runtime_dir({"XDG_RUNTIME_DIR": "relative", "TMPDIR": "also-relative"})
        == f"/tmp/hotline-{os.geteuid()}"
    )


def test_private_dir_problem(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    assert private_dir_problem(str(private)) is None
    private.chmod(0o755)
    assert "open to others" in private_dir_problem(str(private))
    private.chmod(0o700)
    assert "belongs to uid" in private_dir_problem(str(private), uid=os.geteuid() + 1)
    link = tmp_path / "link"
    link.symlink_to(private)
    assert "not a folder" in private_dir_problem(str(link))
    assert private_dir_problem(str(tmp_path / "missing")) is not None


def test_relative_inputs_need_the_same_folder() -> None:
    assert not relative_inputs("sqlite:////abs.db", "/abs/config.toml", {"HOME": "/root"})
    assert not relative_inputs("postgresql://u@h/db", None, {})
    assert relative_inputs("sqlite:///relative.db", None, {})
    assert relative_inputs(None, "config.toml", {})
    assert relative_inputs(None, None, {"XDG_DATA_HOME": "data"})


def test_the_same_principal_only() -> None:
    """The uid check itself (a peer of another uid cannot be made without a second user: see
    test_ring_listener for the real refusal when the tests run as root)."""
    assert same_principal(1000, own=1000)
    assert not same_principal(1001, own=1000)
    assert not same_principal(0, own=1000)
    assert not same_principal(1000, own=0)
    one, other = socket.socketpair(socket.AF_UNIX)
    with one, other:
        assert peer_uid(one) == os.geteuid()
        assert same_principal(peer_uid(other))


def good_request(**changes: object) -> dict:
    request = {
        "stamp": code_stamp(),
        "argv": ["call", "incoming", "1"],
        "prog": "hotline",
        "env": {},
        "cwd": None,
    }
    return {**request, **changes}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b"garbage\n", "not a JSON object"),
        (b"[1, 2]\n", "not a JSON object"),
        (b"\xff\xfe\n", "not a JSON object"),
        (encode({"argv": ["call", "incoming"]}), "no code stamp"),
        (encode(good_request(argv="call incoming 1")), "argv is not a list of strings"),
        (encode(good_request(argv=["call", "incoming", 1])), "argv is not a list of strings"),
        (encode(good_request(argv=["call", "incoming", "1\x00"])), "argv is not a list of strings"),
        (encode(good_request(prog=None)), "prog is not a string"),
        (encode(good_request(env={"HOTLINE_X": 1})), "env is not a map of strings"),
        (encode(good_request(cwd=7)), "cwd is not a string"),
        (encode(good_request(argv=["db", "init"])), "not a `call incoming` command line"),
        (encode(good_request(argv=["--config", "x", "operators", "add", "evil"])), "not a `call incoming`"),
    ],
)
def test_malformed_requests_are_named(line: bytes, problem: str) -> None:
    found = request_problem(decode(line))
    assert found is not None and found.startswith(problem)


def test_a_well_formed_request_passes_and_surrogates_travel() -> None:
    request = good_request(argv=["call", "incoming", "8\udcff"])
    assert request_problem(decode(encode(request))) is None
    assert decode(encode(request))["argv"][2] == "8\udcff"


def test_the_listener_compares_only_what_decides_settings_and_identity() -> None:
    mine = {"HOTLINE_DATABASE_URL": "sqlite:////a.db", "PGUSER": "pbx", "HOME": "/home/pbx", "PATH": "/bin"}
    context = ListenerContext(environ={**mine, "HOTLINE_AMI_SECRET": "s3cret"}, cwd="/srv")
    same = good_request(env={**mine, "PATH": "/usr/bin", "LANG": "C"})  # PATH, LANG, the secret: not compared
    assert context.mismatch(same) is None
    assert "HOTLINE_TIMEZONE" in context.mismatch(good_request(env={**mine, "HOTLINE_TIMEZONE": "UTC"}))
    assert "PGUSER" in context.mismatch(good_request(env={**mine, "PGUSER": "someone"}))
    assert "HOTLINE_PBX__AMI__PORT" in context.mismatch(
        good_request(env={**mine, "HOTLINE_PBX__AMI__PORT": "1"})
    )
    assert "another folder" in context.mismatch(good_request(env=mine, cwd="/elsewhere"))
    assert context.mismatch(good_request(env=mine, cwd="/srv")) is None
    assert "another installation" in context.mismatch(good_request(env=mine, stamp=[1, 2, 3]))
    assert relevant_variable("HOTLINE_CONFIG") and relevant_variable("hotline_operator")
    assert not relevant_variable("HOTLINE_AMI_SECRET") and not relevant_variable("DISPLAY")


def test_the_fast_path_imports_only_the_standard_library() -> None:
    """What a ring's process loads before it knows whether a listener takes it: no Typer, click, Rich,
    SQLAlchemy, pydantic, nor any of hotline's other modules."""
    probe = (
        "import sys\n"
        "import hotline.cli.entry, hotline.cli.ring_client\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(ran.stdout.split())
    heavy = {
        "typer",
        "click",
        "rich",
        "sqlalchemy",
        "sqlmodel",
        "pydantic",
        "psycopg",
        "hotline.core",
        "asyncio",
    }
    assert not loaded & heavy
    assert {name for name in loaded if name.startswith("hotline.")} == {
        "hotline.cli",
        "hotline.cli.entry",
        "hotline.cli.ring_client",
        "hotline.cli.ring_socket",
    }


@pytest.mark.parametrize("kind", ["file", "folder"])
async def test_what_is_not_a_socket_at_the_path_is_left_alone(tmp_path: Path, kind: str) -> None:
    """A file or a folder where the socket goes is not a stale socket: it was removed (a file, with what
    it held) or the log said so (a folder, then a bare 'Is a directory'). It is kept, and the listener
    says what is in the way."""
    from hotline.cli.ring_server import ListenerContext, RingServer, RingSocketUnavailable

    folder = tmp_path / "hotline"
    folder.mkdir(mode=0o700)
    path = folder / "ring-0.sock"
    if kind == "file":
        path.write_text("notes")
    else:
        path.mkdir()
    server = RingServer(path=str(path), runner=None, context=ListenerContext(environ={}, cwd="/"))  # type: ignore[arg-type]
    with pytest.raises(RingSocketUnavailable, match=f"is a {kind}, not a socket: remove it"):
        await server.start()
    assert path.read_text() == "notes" if kind == "file" else path.is_dir()
    assert sorted(p.name for p in folder.iterdir()) == ["ring-0.sock"]
