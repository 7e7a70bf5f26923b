"""The ring's fast path: hand ``hotline call incoming`` to the running ``hotline call listen``.

Standard library only, and nothing of hotline but ``ring_socket``: this runs before the program would
import Typer, SQLAlchemy and pydantic, which is most of a cold ring. ``ring`` returns None whenever the
full path must run instead, and then nothing was done: not a ring's command line, no listener for this
database, a listener of another user, or one that answered ``fallback`` (another environment, another
installation, too busy) or did not answer in time. Once the listener has accepted the ring, its answer
is the command's own output and exit code. A listener that falls silent after accepting is exit 1: the
pop may already be written, and running the full path could pop the call twice.
"""

from __future__ import annotations

import os
import socket
import sys

from hotline.cli.ring_socket import (
    BEAT_PATIENCE_SECONDS,
    MAX_ANSWER_BYTES,
    MAX_REQUEST_BYTES,
    code_stamp,
    decode,
    effective_globals,
    encode,
    peer_uid,
    private_dir_problem,
    relative_inputs,
    ring_environment,
    ring_globals,
    same_principal,
    socket_path,
)

CONNECT_SECONDS = 1.0
ACCEPT_SECONDS = 5.0
"""How long a listener may take to accept or decline; then the full path runs."""
LOST = "hotline: error: the call listener stopped answering during the ring; the pop may not have been sent\n"


def ring(argv: list[str], *, prog: str, environ: dict[str, str] | None = None) -> int | None:
    """Run ``prog argv`` through the listener: its exit code, or None to run the full path."""
    environ = dict(os.environ) if environ is None else environ
    given = ring_globals(argv)
    if given is None:
        return None
    options = effective_globals(given, environ)
    db, config = options["--db"], options["--config"]
    path = socket_path(db, config, environ)
    if private_dir_problem(os.path.dirname(path)) is not None:
        return None
    request = encode(
        {
            "stamp": code_stamp(),
            "argv": argv,
            "prog": prog,
            "env": ring_environment(environ),
            "cwd": os.getcwd() if relative_inputs(db, config, environ) else None,
        }
    )
    if len(request) > MAX_REQUEST_BYTES:
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        try:
            connection.settimeout(CONNECT_SECONDS)
            connection.connect(path)
            if not same_principal(peer_uid(connection)):
                return None
            connection.settimeout(ACCEPT_SECONDS)
            connection.sendall(request)
            answers = connection.makefile("rb")
            first = decode(answers.readline(MAX_ANSWER_BYTES))
        except OSError:
            return None
        if first is None or first.get("answer") != "accepted":
            return None
        connection.settimeout(BEAT_PATIENCE_SECONDS)
        return _outcome(answers)


def _outcome(answers: object) -> int:
    """Print the command's output once the listener is done; exit 1 if it falls silent first."""
    while True:
        try:
            line = answers.readline(MAX_ANSWER_BYTES)  # type: ignore[attr-defined]
        except OSError:
            line = b""
        answer = decode(line) if line.endswith(b"\n") else None
        if answer is None or answer.get("answer") not in ("beat", "done"):
            sys.stderr.write(LOST)
            return 1
        if answer["answer"] == "done":
            return _printed(answer)


def _printed(answer: dict[str, object]) -> int:
    stdout, stderr, code = answer.get("stdout"), answer.get("stderr"), answer.get("exit")
    if not (isinstance(stdout, str) and isinstance(stderr, str) and isinstance(code, int)):
        sys.stderr.write(LOST)
        return 1
    sys.stdout.write(stdout)
    sys.stdout.flush()
    sys.stderr.write(stderr)
    sys.stderr.flush()
    return code if 0 <= code <= 255 else 1
