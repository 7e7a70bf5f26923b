"""A real PgBouncer (Debian's ``pgbouncer``) in transaction mode, in front of the test PostgreSQL server.

Its configuration and auth file live in a folder of the caller's; it listens on a free loopback port
and is stopped by its pid (never by name). Shared by the PgBouncer tests and ``bench_operators.py``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
START_SECONDS = 10.0
STOP_SECONDS = 10.0


def pgbouncer_missing() -> str | None:
    """Why PgBouncer cannot run here (``make debs`` installs it), or ``None``."""
    if not Path(PGBOUNCER).exists():
        return "pgbouncer is not installed (make debs installs the Debian package)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Bouncer:
    """A running PgBouncer: ``url`` goes through it, ``direct_url`` straight to the server."""

    url: str
    direct_url: str
    port: int
    pid: int
    folder: Path

    def admin_show(self, what: str) -> list[dict[str, object]]:
        """``SHOW <what>`` with each row as column name → value."""
        import psycopg
        from psycopg.rows import dict_row

        conninfo = f"host=127.0.0.1 port={self.port} dbname=pgbouncer user=postgres connect_timeout=5"
        with psycopg.connect(
            conninfo, autocommit=True, prepare_threshold=None, row_factory=dict_row
        ) as connection:
            return list(connection.execute(f"SHOW {what}").fetchall())


@contextlib.contextmanager
def running_pgbouncer(
    direct_url: str,
    folder: Path,
    *,
    pool_size: int = 5,
    max_client_conn: int = 200,
) -> Iterator[Bouncer]:
    """Start PgBouncer in transaction mode in front of ``direct_url``'s database (on 127.0.0.1), with
    ``pool_size`` server connections at most; wait until it accepts; stop it by its pid afterwards."""
    parsed = make_url(direct_url)
    database = parsed.database
    user = parsed.username or "postgres"
    server_port = parsed.port or 5432
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    auth_file = folder / "userlist.txt"
    auth_file.write_text(f'"{user}" ""\n', encoding="utf-8")
    config = folder / "pgbouncer.ini"
    log_file = folder / "pgbouncer.log"
    config.write_text(
        "\n".join(
            [
                "[databases]",
                f"{database} = host=127.0.0.1 port={server_port} dbname={database} user={user}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {auth_file}",
                f"admin_users = {user}",
                "pool_mode = transaction",
                f"default_pool_size = {pool_size}",
                "min_pool_size = 0",
                "reserve_pool_size = 0",
                f"max_client_conn = {max_client_conn}",
                f"max_db_connections = {pool_size}",
                # psycopg sends these at connect; PgBouncer must not refuse a client for them.
                "ignore_startup_parameters = extra_float_digits,options",
                "server_reset_query =",
                # No log file or pid file: it logs to stderr (kept in ``pgbouncer.log``) and we hold its pid.
                "",
            ]
        ),
        encoding="utf-8",
    )
    # PgBouncer refuses to run as root: it reads its files first, then becomes ``postgres``.
    as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [PGBOUNCER, *as_user, str(config)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            _wait_accepting(port, process, log_file)
            url = parsed.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
            yield Bouncer(url=url, direct_url=direct_url, port=port, pid=process.pid, folder=folder)
        finally:
            _stop(process)


def _wait_accepting(port: int, process: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = log_file.read_text(errors="replace")
            raise RuntimeError(f"pgbouncer exited with {process.returncode}: {log[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    _stop(process)
    raise RuntimeError(f"pgbouncer did not accept on 127.0.0.1:{port} within {START_SECONDS:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM is PgBouncer's immediate shutdown; SIGKILL (by pid) if it does not go in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)
