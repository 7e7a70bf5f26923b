"""The ring socket's shared rules: which command lines are rings, where the socket is, what travels on it.

``hotline call listen`` serves ``hotline call incoming`` on a local socket so that a ring does not pay for
a cold start of the whole program; the ring's process (``hotline.cli.ring_client``) imports only this
module and the standard library. Both ends use these functions, so they cannot disagree on a path or a
rule. Nothing here imports hotline's other modules: it is on the ring's start-up path.

The socket lives in a private folder of the user (``$XDG_RUNTIME_DIR/hotline`` or ``$TMPDIR/hotline-UID``,
mode 0700) and is named after the database and the configuration file the command line names, so each
listener serves the rings of its own database. Both ends check that the other is the same user
(``SO_PEERCRED``).

The protocol is lines of JSON. The ring sends one request (``argv``, ``prog``, the environment that
decides settings and identity, the folder when relative paths matter, the code's stamp); the listener
answers ``fallback`` (nothing was done: run the full path), or ``accepted``, then ``beat`` every second
while the command runs, then ``done`` with the command's stdout, stderr and exit code.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import zlib

PROTOCOL = 1
MAX_REQUEST_BYTES = 64 * 1024
"""A request longer than this is refused by the listener (the ring then runs the full path, which
answers over-long values with its usual messages)."""
MAX_ANSWER_BYTES = 1024 * 1024
MAX_SOCKET_PATH_BYTES = 107
"""Linux's limit for a Unix socket's path (``sun_path`` less its final NUL)."""
BEAT_SECONDS = 1.0
"""The listener says it is still working this often; the ring gives up after ``BEAT_PATIENCE_SECONDS``
without a word."""
BEAT_PATIENCE_SECONDS = 10.0

GLOBAL_OPTIONS = {
    "--db": "HOTLINE_DATABASE_URL",
    "--config": "HOTLINE_CONFIG",
    "--operator": "HOTLINE_OPERATOR",
    "--now": "HOTLINE_NOW",
}
"""The root options a ring may carry before ``call incoming``, with their environment variables."""
HELP_WORDS = ("-h", "--help")
ENV_PREFIXES = ("HOTLINE_", "PG")
"""Variables that may decide the settings (``HOTLINE_*``) or the database role (libpq's ``PG*``)."""
ENV_NAMES = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "TZ")
"""Variables that decide default paths (configuration, database, ``.pgpass``) and local time."""


def leading_options(
    argv: list[str], stop: str, *, plain_values: bool = False
) -> tuple[dict[str, str], int] | None:
    """The root options before the word ``stop`` (the last one wins, as in click) and where ``stop`` is;
    None when a word before it is not a root option, an option lacks its value, or (``plain_values``) a
    value starts with ``-`` (how click reads that is the full program's to say). The console's and the
    ring's fast paths both read their command lines with it."""
    given: dict[str, str] = {}
    index = 0
    while index < len(argv) and argv[index] != stop:
        name, equals, value = argv[index].partition("=")
        if name not in GLOBAL_OPTIONS:
            return None
        if not equals:
            if index + 1 >= len(argv):
                return None
            value = argv[index + 1]
            index += 1
        if plain_values and value.startswith("-"):
            return None
        given[name] = value
        index += 1
    return given, index


def ring_globals(argv: list[str]) -> dict[str, str] | None:
    """The root options given before ``call incoming`` (last one wins, as on the full path), or None
    when ``argv`` is anything else: another command, another root option, a help request."""
    leading = leading_options(argv, "call")
    if leading is None:
        return None
    given, index = leading
    if argv[index : index + 2] != ["call", "incoming"]:
        return None
    if any(word in HELP_WORDS for word in argv[index + 2 :]):
        return None  # help is laid out for the asking terminal: the full path prints it
    return given


def effective_globals(given: dict[str, str], environ: dict[str, str]) -> dict[str, str | None]:
    """Each root option as the full path sees it: given on the command line, else its variable when
    set and not empty (click's rule), else None."""
    return {
        option: given[option] if option in given else (environ.get(variable) or None)
        for option, variable in GLOBAL_OPTIONS.items()
    }


def config_path(config: str | None, environ: dict[str, str]) -> str:
    """The absolute path of the configuration file (``--config``, else the default one)."""
    if config is None:
        home = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        config = os.path.join(home, "hotline", "config.toml")
    return os.path.abspath(config)


def runtime_dir(environ: dict[str, str]) -> str:
    """The user's private folder for the socket: ``$XDG_RUNTIME_DIR/hotline``, else
    ``$TMPDIR/hotline-UID`` (``/tmp`` without ``TMPDIR``)."""
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "hotline")
    temporary = environ.get("TMPDIR")
    base = temporary if temporary and os.path.isabs(temporary) else "/tmp"  # noqa: S108 (a 0700 folder of ours)
    return os.path.join(base, f"hotline-{os.geteuid()}")


def socket_path(db: str | None, config: str | None, environ: dict[str, str]) -> str:
    """The socket of the listener for this database and configuration file (in ``/tmp/hotline-UID`` when
    the runtime folder is too deep for a socket's path)."""
    key = json.dumps([db, config_path(config, environ)], ensure_ascii=False).encode("utf-8", "surrogatepass")
    name = f"ring-{zlib.crc32(key):08x}{zlib.adler32(key):08x}.sock"  # a name, not a secret: both ends check
    path = os.path.join(runtime_dir(environ), name)
    if len(os.fsencode(path)) > MAX_SOCKET_PATH_BYTES:
        path = os.path.join(runtime_dir({}), name)
    return path


def private_dir_problem(path: str, uid: int | None = None) -> str | None:
    """Why ``path`` is not a folder only ``uid`` (default: us) can enter, or None when it is."""
    uid = os.geteuid() if uid is None else uid
    try:
        info = os.lstat(path)
    except OSError as error:
        return f"{path}: {error.strerror}"
    if not stat.S_ISDIR(info.st_mode):
        return f"{path} is not a folder"
    if info.st_uid != uid:
        return f"{path} belongs to uid {info.st_uid}, not {uid}"
    if info.st_mode & 0o077:
        return f"{path} is open to others (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def relative_inputs(db: str | None, config: str | None, environ: dict[str, str]) -> bool:
    """Whether the command's paths depend on the current folder (a relative ``--config``, SQLite file or
    default-path variable): then the ring and the listener must share it."""
    if config is not None and not os.path.isabs(config):
        return True
    if db is not None and db.startswith("sqlite") and "://" in db:
        file = db.split("://", 1)[1].split("?", 1)[0]
        if file not in ("", ":memory:") and not file.startswith("//"):
            return True  # sqlite:///relative.db (the absolute form is sqlite:////abs.db)
    return any(
        environ.get(name) and not os.path.isabs(environ[name])
        for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
    )


def ring_environment(environ: dict[str, str]) -> dict[str, str]:
    """The variables a ring sends; the listener compares those that decide its settings and identity."""
    return {
        name: value
        for name, value in environ.items()
        if name.upper().startswith(ENV_PREFIXES) or name in ENV_NAMES
    }


def code_stamp() -> list[int]:
    """This module's file stamp: a listener started before hotline was reinstalled is not asked."""
    info = os.stat(__file__)
    return [PROTOCOL, info.st_mtime_ns, info.st_size]


def peer_uid(sock: object) -> int:
    """The user id of the process at the other end of a connected Unix socket (Linux ``SO_PEERCRED``)."""
    import socket

    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))  # type: ignore[attr-defined]
    _pid, uid, _gid = struct.unpack("3i", raw)
    return uid


def same_principal(peer: int, own: int | None = None) -> bool:
    """Whether the peer is the same user as we are: the only one a listener serves and a ring trusts."""
    return peer == (os.geteuid() if own is None else own)


def encode(message: dict[str, object]) -> bytes:
    """One protocol line (surrogates from undecodable arguments travel as escapes)."""
    return json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"


def decode(line: bytes) -> dict[str, object] | None:
    """The message of one line, or None when it is not a JSON object."""
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return message if isinstance(message, dict) else None


def request_problem(message: dict[str, object] | None) -> str | None:
    """What is wrong with a request's shape, or None (the values themselves are the command's to judge,
    as on the full path)."""
    if message is None:
        return "not a JSON object"
    argv, env, cwd = message.get("argv"), message.get("env"), message.get("cwd")
    if not isinstance(message.get("stamp"), list):
        return "no code stamp"
    if not (isinstance(argv, list) and all(isinstance(word, str) and "\0" not in word for word in argv)):
        return "argv is not a list of strings"
    if not isinstance(message.get("prog"), str):
        return "prog is not a string"
    if not (isinstance(env, dict) and all(isinstance(value, str) for value in env.values())):
        return "env is not a map of strings"
    if cwd is not None and not isinstance(cwd, str):
        return "cwd is not a string"
    if ring_globals(argv) is None:
        return "not a `call incoming` command line"
    return None
