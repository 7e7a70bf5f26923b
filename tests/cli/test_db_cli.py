"""``hotline db``: init, status and backup, and what a missing, unreachable or damaged database says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.invoke import hotline


def test_db_init_makes_the_first_login_an_admin_and_is_repeatable(empty_db: str) -> None:
    first = hotline("--db", empty_db, "--operator", "boss", "db", "init")
    assert first.exit_code == 0, first.output
    again = hotline("--db", empty_db, "--operator", "boss", "db", "init")
    assert again.exit_code == 0
    listed = hotline("--db", empty_db, "operators", "list", "--json")
    assert json.loads(listed.stdout) == [
        {"login": "boss", "name": "boss", "role": "admin", "email": None, "active": True}
    ]
    assert hotline("--db", empty_db, "db", "status", "--quiet").stdout.strip() == "ready"


def test_commands_on_an_uninitialised_database_say_so(empty_db: str) -> None:
    Path(empty_db.removeprefix("sqlite:///")).touch()  # a missing file: see the mistyped-file test
    result = hotline("--db", empty_db, "clients", "show", "1")
    assert result.exit_code == 1
    assert "hotline db init" in result.output


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://nobody@127.0.0.1:1/none", "cannot reach the database"),
        ("bogus:://", "malformed database URL"),
        ("postgresql://u@127.0.0.1:abc/x", "malformed database URL"),
        ("postgresql://u@[::1/x", "malformed database URL"),
        ("postgresql://u@127.0.0.1:99999/x", "invalid port number"),
        ("mysql://x@127.0.0.1/db", "unsupported database URL"),
    ],
)
def test_bad_database_url_is_one_line_and_exit_1(url: str, reason: str) -> None:
    result = hotline("--db", url, "db", "init")
    assert result.exit_code == 1
    assert reason in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://clerk:s3cret-word@127.0.0.1:1/none",  # unreachable
        "postgresql://clerk@127.0.0.1:1/none?sslmode=prefer&password=s3cret-word",  # libpq's parameter
        "postgresql://clerk@127.0.0.1:1/none?sslpassword=s3cret-word",  # a key's passphrase
        "postgresql://clerk:s3cret-word@127.0.0.1:abc/x",  # malformed
        "mysql://clerk:s3cret-word@127.0.0.1/db",  # unsupported
    ],
)
def test_a_message_naming_the_database_never_shows_its_password(url: str) -> None:
    result = hotline("--db", url, "db", "init")
    assert result.exit_code == 1
    assert "s3cret-word" not in result.output
    assert "***" in result.output


def test_db_status_hides_a_password_given_as_a_url_parameter(pg_database_url: str) -> None:
    result = hotline("--db", f"{pg_database_url}?password=s3cret-word", "db", "status")
    assert result.exit_code == 0, result.output
    assert "s3cret-word" not in result.output and "password=***" in result.output


def test_backup_copies_a_live_sqlite_database(empty_db: str, tmp_path: Path) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    target = tmp_path / "backup.db"
    result = hotline("--db", empty_db, "db", "backup", str(target))
    assert result.exit_code == 0, result.output
    restored = hotline("--db", f"sqlite:///{target}", "operators", "list", "--json")
    assert [row["login"] for row in json.loads(restored.stdout)] == ["boss"]
    assert hotline("--db", empty_db, "db", "backup", str(target)).exit_code == 2  # never overwrites


def test_backup_of_postgresql_uses_pg_dump(pg_database_url: str, tmp_path: Path) -> None:
    target = tmp_path / "pg.dump"
    result = hotline("--db", pg_database_url, "db", "backup", str(target))
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0


def test_a_broken_index_is_one_line_and_exit_1(empty_db: str) -> None:
    """A database whose derived tables are damaged reports the database error, not a traceback."""
    import sqlite3

    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    with sqlite3.connect(empty_db.removeprefix("sqlite:///")) as connection:
        connection.execute("DROP TABLE search_phone_owner")
    result = hotline("--db", empty_db, "lookup", "5567")
    assert result.exit_code == 1
    assert "database unavailable: no such table: search_phone_owner" in result.output
    assert "Traceback" not in result.output


def test_a_database_in_a_folder_that_does_not_exist_is_an_error_not_a_new_file(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "hotline.db"
    for arguments in (("db", "init"), ("tickets", "list"), ("db", "status")):
        result = hotline("--db", f"sqlite:///{missing}", *arguments)
        assert result.exit_code == 2, result.output
        assert f"no such folder for the database file: {missing.parent}" in result.output
    assert not (tmp_path / "no").exists()


def test_an_unknown_group_leaves_no_database_readable_by_everyone(tmp_path: Path) -> None:
    """``db init --group typo`` said "no such group" (exit 2) after writing the whole schema into a file
    SQLite had made 0644: every local user could read it, and a second ``db init`` used it. Now the
    group is checked before the schema goes in, and a new file is owner-only from its first byte."""
    import os

    path = tmp_path / "shared.db"
    url = f"sqlite:///{path}"
    old_umask = os.umask(0o022)
    try:
        refused = hotline("--db", url, "--operator", "boss", "db", "init", "--group", "hotline-no-such-group")
        assert refused.exit_code == 2, refused.output
        assert "--group: no such group 'hotline-no-such-group'" in refused.output
        assert path.stat().st_mode & 0o777 == 0o600
        assert hotline("--db", url, "db", "status", "--quiet").stdout.strip() == "empty"
        assert hotline("--db", url, "--operator", "boss", "db", "init").exit_code == 0
    finally:
        os.umask(old_umask)
    for file in tmp_path.iterdir():
        assert file.stat().st_mode & 0o777 == 0o600, file


def test_a_schema_upgrade_is_an_audit_entry(engine, database_url: str) -> None:
    """The schema of every table changed, and nothing said who or when."""
    from sqlalchemy import select

    from hotline.core import migrate
    from hotline.core.db import UnitOfWork
    from hotline.core.models import AuditEntry

    assert hotline("--db", database_url, "--operator", "boss", "db", "init").exit_code == 0
    head = migrate.current_revision(engine)
    migrate.downgrade(engine, "-1")
    older = migrate.current_revision(engine)
    result = hotline("--db", database_url, "--operator", "boss", "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert hotline("--db", database_url, "--operator", "boss", "db", "upgrade").exit_code == 0  # no change
    with UnitOfWork(engine, readonly=True) as uow:
        entries = (
            uow.session.exec(select(AuditEntry).where(AuditEntry.action == "db.upgrade")).scalars().all()
        )
    assert [(e.actor, e.before, e.after, e.via) for e in entries] == [
        ("system", {"revision": older}, {"revision": head}, "cron: hotline db upgrade")
    ]


def test_a_backup_to_dash_is_refused_not_a_file_named_dash(
    engine, database_url: str, tmp_path: Path, monkeypatch
) -> None:
    """``db backup - | gzip`` said "backup written to -" (exit 0): a file named ``-`` in the current folder,
    nothing on standard output. A backup goes to a new file only: exit 2, nothing written."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert hotline("--db", database_url, "--operator", "boss", "db", "init").exit_code == 0
    result = hotline("--db", database_url, "--operator", "boss", "db", "backup", "-")
    assert result.exit_code == 2, result.output
    assert "FILE: a backup is written to a new file, not to standard output" in result.output
    assert result.stdout == ""
    assert list(here.iterdir()) == []


def test_a_device_as_the_database_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    """``db init`` on ``sqlite:////dev/null`` (as root) made the device 0600 for every user before the
    schema failed on it; a device is no database file: exit 2 before anything is written or changed."""
    import os
    import stat

    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    device.chmod(0o666)
    result = hotline("--db", f"sqlite:///{device}", "--operator", "boss", "db", "init")
    assert result.exit_code == 2, result.output
    assert f"--db: not a regular file: {device}" in result.output
    assert stat.S_IMODE(device.stat().st_mode) == 0o666
    assert stat.S_ISCHR(device.stat().st_mode)


def test_a_database_holding_another_applications_tables_is_not_taken_for_an_empty_one(
    engine, database_url: str
) -> None:
    """``db status`` called a database holding another application's tables (and rows) "empty", and
    ``db init`` put hotline's forty tables into it (exit 0), or failed half-way on a table of the same name
    ("database unavailable: table client already exists"). The wrong database is named, nothing changed."""
    from sqlalchemy import inspect, text

    from hotline.core import migrate

    migrate.downgrade(engine, "base")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE payroll (id INTEGER, name VARCHAR(20))"))
            connection.execute(text("INSERT INTO payroll VALUES (1, 'x')"))
        status = hotline("--db", database_url, "db", "status")
        assert status.exit_code == 0, status.output
        assert "not a hotline database: it holds payroll" in status.output
        assert hotline("--db", database_url, "db", "status", "--quiet").stdout.strip() == "foreign"
        for command in (["db", "init"], ["db", "upgrade"]):
            result = hotline("--db", database_url, "--operator", "boss", *command)
            assert result.exit_code == 2, result.output
            assert "holds tables that are not hotline's (payroll)" in result.output
            assert "Nothing was changed" in result.output
        assert set(inspect(engine).get_table_names()) - {"alembic_version"} == {"payroll"}
        lookup = hotline("--db", database_url, "lookup", "x")
        assert lookup.exit_code == 1 and "not a hotline database" in lookup.output
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS payroll"))
        migrate.upgrade(engine)


def test_a_database_newer_than_this_hotline_is_not_called_behind(engine, database_url: str) -> None:
    """A database stamped by a newer hotline was "behind (at 0099, newest 0020)" in ``db status``, and every
    command said "run `hotline db upgrade`", which then refused it ("does not know"): advice in a circle.
    Each says the revision is one this version does not know, and changes nothing."""
    from sqlalchemy import text

    from hotline.core import migrate

    head = migrate.head_revision()
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    try:
        status = hotline("--db", database_url, "db", "status")
        assert status.exit_code == 0, status.output
        assert f"at 0099, a revision this version of hotline does not know (its newest is {head})" in (
            status.output
        )
        assert "behind" not in status.output
        assert hotline("--db", database_url, "db", "status", "--quiet").stdout.strip() == "unknown"
        lookup = hotline("--db", database_url, "lookup", "x")
        assert lookup.exit_code == 1, lookup.output
        assert "schema revision '0099', which this version of hotline does not know" in lookup.output
        assert "db upgrade" not in lookup.output
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///", "sqlite:///:memory:", "sqlite:///file:mem?mode=memory&uri=true"]
)
def test_a_database_in_memory_is_refused_not_made_and_forgotten(
    url: str, tmp_path: Path, monkeypatch
) -> None:
    """``db init`` on ``sqlite://`` said "database ready at revision …" (exit 0) and the admin it "created":
    the database was in the process's memory and went with it; the next command found no schema. A
    database in memory is bad input naming --db, and nothing is left behind (the URI form left an empty
    file named ``file:mem`` in the current folder)."""
    monkeypatch.chdir(tmp_path)
    result = hotline("--db", url, "--operator", "boss", "db", "init")
    assert result.exit_code == 2, result.output
    assert "--db: a database in memory is gone when the command ends" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_group_on_postgresql_is_refused_not_ignored(backend, database_url: str) -> None:
    """``db init --group staff`` on PostgreSQL said "database ready" (exit 0) and shared nothing with
    anyone: the option is a SQLite file's mode. Bad usage, naming --group and where sharing is done."""
    result = hotline("--db", database_url, "--operator", "boss", "db", "init", "--group", "staff")
    assert result.exit_code == 2, result.output
    assert "--group: " in result.output and "db grants" in result.output


@pytest.mark.parametrize("name", ["", " ", "\t"])
def test_a_backup_to_a_blank_name_is_refused(empty_db: str, tmp_path: Path, monkeypatch, name: str) -> None:
    """``db backup "$FILE"`` with FILE blank: " " wrote a file named " " in the current folder and said
    "backup written to  (… bytes)"; "" said "file '' is a directory". One line naming FILE, exit 2."""
    assert hotline("--db", empty_db, "--operator", "boss", "db", "init").exit_code == 0
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = hotline("--db", empty_db, "--operator", "boss", "db", "backup", name)
    assert result.exit_code == 2, result.output
    assert "FILE: a blank file name: name the backup's new file" in result.output
    assert list(here.iterdir()) == []


def test_a_backup_to_a_folder_says_so(empty_db: str, tmp_path: Path) -> None:
    assert hotline("--db", empty_db, "--operator", "boss", "db", "init").exit_code == 0
    result = hotline("--db", empty_db, "--operator", "boss", "db", "backup", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert f"{tmp_path}: a folder: name the backup's new file in it" in result.output


@pytest.mark.parametrize("url", ["", " "])
def test_a_blank_database_url_is_bad_usage(url: str, tmp_path: Path) -> None:
    """``--db "$URL"`` with URL unset said "no such folder for the database file: ~/.local/share/hotline"
    (the default database, but not made) and " " was "malformed database URL: ''" (exit 1)."""
    result = hotline("--db", url, "db", "status", env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert "--db: a blank database URL: give one (sqlite:///FILE, postgresql://…) or leave --db out" in (
        result.output
    )
    assert list(tmp_path.iterdir()) == []


def test_a_plain_path_as_the_database_url_says_how_to_write_it(tmp_path: Path) -> None:
    result = hotline("--db", str(tmp_path / "x.db"), "db", "status")
    assert result.exit_code == 1, result.output
    assert f"malformed database URL: '{tmp_path / 'x.db'}' (a file is sqlite:///{tmp_path / 'x.db'})" in (
        result.output
    )


def test_a_database_under_the_home_folder_is_the_one_made(tmp_path: Path, monkeypatch) -> None:
    """``--db sqlite:///~/hotline.db``: hotline made ``~/hotline.db`` (empty, owner-only), then SQLite was
    given ``~/hotline.db`` as written, a folder named ``~`` under the current one: "cannot reach the
    database: unable to open database file", exit 1, an empty file left in the home folder."""
    home = tmp_path / "home"
    home.mkdir()
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(here)
    made = hotline("--db", "sqlite:///~/hotline.db", "--operator", "boss", "db", "init")
    assert made.exit_code == 0, made.output
    assert hotline("--db", f"sqlite:///{home / 'hotline.db'}", "db", "status", "-q").stdout.strip() == "ready"
    assert list(here.iterdir()) == []


def test_the_audit_entry_of_a_backup_says_where_the_copy_went(
    engine, database_url: str, tmp_path: Path, monkeypatch
) -> None:
    """``db backup nightly.db`` recorded ``{"file": "nightly.db"}``: a whole copy of the client base left
    the database, and the audit trail could not say to which folder. It records the full path."""
    from sqlalchemy import select

    from hotline.core.db import UnitOfWork
    from hotline.core.models import AuditEntry

    assert hotline("--db", database_url, "--operator", "boss", "db", "init").exit_code == 0
    monkeypatch.chdir(tmp_path)
    result = hotline("--db", database_url, "--operator", "boss", "db", "backup", "nightly.db")
    assert result.exit_code == 0, result.output
    with UnitOfWork(engine, readonly=True) as uow:
        entry = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "db.backup")).scalars().one()
    assert entry.after["file"] == str(tmp_path / "nightly.db")


@pytest.mark.parametrize("login", ["[bold]x", "system", "anna@example.com"])
def test_a_first_admin_that_cannot_be_a_login_leaves_the_database_as_it_was(
    empty_db: str, login: str
) -> None:
    """``db init --operator '[bold]x'`` said "a login is lower-case letters, …" (exit 2) after the whole schema
    had gone in: the database was left at the newest revision with no operator at all. The login is checked
    first; nothing is made."""
    result = hotline("--db", empty_db, "--operator", login, "db", "init")
    assert result.exit_code == 2, result.output
    assert "LOGIN: " in result.output
    assert hotline("--db", empty_db, "db", "status", "--quiet").stdout.strip() == "empty"


@pytest.mark.parametrize("command", [["db", "status"], ["db", "init"], ["lookup", "x"]])
def test_a_file_that_is_no_database_is_named_as_such(tmp_path: Path, command: list[str]) -> None:
    """``--db sqlite:///notes.txt`` said "cannot reach the database …: file is not a database" (exit 1),
    as if a server were down: it is the wrong file (exit 2), and it is left as it was."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, someone's notes\n" * 200)
    before = notes.read_bytes()
    result = hotline("--db", f"sqlite:///{notes}", "--operator", "boss", *command)
    assert result.exit_code == 2, result.output
    assert f"--db: {notes} is not a SQLite database file" in result.output
    assert notes.read_bytes() == before


def test_db_init_again_keeps_a_database_shared_with_a_group(tmp_path: Path) -> None:
    """``db init`` is repeatable (and brings a schema up to date), but run again without ``--group`` on a
    database shared with the operators' group it made the file 0600: every other operator's console lost
    it. Run again, it keeps the group's access (and takes only everyone else's)."""
    import grp
    import os

    group = grp.getgrgid(os.getgid()).gr_name
    path = tmp_path / "shared.db"
    url = f"sqlite:///{path}"
    assert hotline("--db", url, "--operator", "boss", "db", "init", "--group", group).exit_code == 0
    assert path.stat().st_mode & 0o777 == 0o660
    path.chmod(0o664)  # and someone made it readable by everyone meanwhile
    again = hotline("--db", url, "--operator", "boss", "db", "init")
    assert again.exit_code == 0, again.output
    assert path.stat().st_mode & 0o777 == 0o660


def test_an_upgrade_with_nothing_to_do_says_so(empty_db: str) -> None:
    """A second ``db upgrade`` said "schema 0020 → 0020", as if it had migrated something."""
    from hotline.core import migrate

    assert hotline("--db", empty_db, "--operator", "boss", "db", "init").exit_code == 0
    again = hotline("--db", empty_db, "--operator", "boss", "db", "upgrade")
    assert again.exit_code == 0, again.output
    head = migrate.head_revision()
    assert f"schema already at {head}, the newest: nothing to do" in again.output
    assert "→" not in again.output


def test_an_upgrade_of_an_empty_database_says_it_has_no_admin_yet(empty_db: str) -> None:
    """``db upgrade`` on a new database made the schema and said only "schema empty → 0020": no operator,
    so every command then refused everyone but root ("unknown operator"). It says what makes the first."""
    result = hotline("--db", empty_db, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "no operator yet: `hotline db init` makes the first admin" in result.output


@pytest.mark.parametrize(
    "command", [["lookup", "x"], ["config", "check"], ["clients", "show", "1"], ["db", "backup", "copy.db"]]
)
def test_a_mistyped_database_file_is_not_made_by_a_command_that_only_uses_one(
    tmp_path: Path, monkeypatch, command: list[str]
) -> None:
    """``--db sqlite:///srv/hotlin.db`` (a typo, in a folder that exists) made an empty database file there
    for any command, a lookup or a ``config check``, which then said "no hotline schema yet: run `hotline
    db init`", as if the database had lost its schema. Only ``db init`` and ``db upgrade`` make one."""
    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "hotlin.db"
    result = hotline("--db", f"sqlite:///{typo}", "--operator", "boss", *command)
    assert result.exit_code == 2, result.output
    assert f"--db: no database file {typo} (`hotline db init` makes one)" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_status_of_a_missing_database_file_is_empty_and_makes_none(tmp_path: Path) -> None:
    missing = tmp_path / "new.db"
    status = hotline("--db", f"sqlite:///{missing}", "db", "status")
    assert status.exit_code == 0, status.output
    assert "empty (no file yet" in status.output
    assert hotline("--db", f"sqlite:///{missing}", "db", "status", "-q").stdout.strip() == "empty"
    assert not missing.exists()


def test_db_init_again_by_another_admin_of_the_group_changes_no_mode(tmp_path: Path, monkeypatch) -> None:
    """Another admin of the group (not the file's owner) running ``db init`` again on the shared database:
    it set the file's mode although it was already right, and the system said "Operation not permitted"
    (only the owner may), exit 1. A mode already right is left alone."""
    import grp
    import os

    group = grp.getgrgid(os.getgid()).gr_name
    path = tmp_path / "shared.db"
    url = f"sqlite:///{path}"
    assert hotline("--db", url, "--operator", "boss", "db", "init", "--group", group).exit_code == 0

    def not_the_owner(self, *args, **kwargs):
        raise PermissionError(1, "Operation not permitted", str(self))

    monkeypatch.setattr(Path, "chmod", not_the_owner)
    monkeypatch.setattr(os, "chown", lambda *args: not_the_owner(Path(args[0])))
    for command in (["db", "init"], ["db", "init", "--group", group]):
        again = hotline("--db", url, "--operator", "boss", *command)
        assert again.exit_code == 0, again.output
