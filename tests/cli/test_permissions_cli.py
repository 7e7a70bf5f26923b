"""Every command of the Typer app, as every role, on both backends: allowed or refused exactly as
core's permission table says, and every refusal is an audit entry. A command added without a rule
(in ``cli/permissions.py``) or without a sample invocation here fails."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from core.escalation.world import populate
from sqlalchemy import select, text

from hotline.cli.main import app
from hotline.cli.permissions import COMMAND_OPERATIONS, OPTION_OPERATIONS
from hotline.core.authority import PERMISSIONS, allows
from hotline.core.db import UnitOfWork
from hotline.core.models import AuditEntry, Operator
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from tests.cli.invoke import hotline
from tests.conftest import TEST_ROLE_PREFIX

ROLES = {"admin": "admin", "supervisor": "boss", "operator": "ivan"}
"""Role → a login of the escalation world that has it."""


def _command_paths() -> list[str]:
    paths: list[str] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        if getattr(command, "commands", None) is None:
            paths.append(" ".join(path))
            return
        # through the group's own look-up: the root imports each command's module when asked for it
        for name in command.list_commands(None):  # type: ignore[attr-defined]
            walk(command.get_command(None, name), (*path, name))  # type: ignore[attr-defined]

    walk(typer.main.get_command(app), ())
    return sorted(paths)


def _samples(tmp: Path, login: str) -> dict[str, list[str]]:
    """A quick invocation of each command (arguments that need no server and end promptly)."""
    (tmp / "kb").mkdir(exist_ok=True)
    people = tmp / "people.csv"
    people.write_text("name,phone\nNew Person,+7 916 000 00 01\n", encoding="utf-8")
    mail = tmp / "mail.eml"
    mail.write_text("From: a@example.com\nSubject: router\n\nhello\n", encoding="utf-8")
    (tmp / "Master.csv").write_text("", encoding="utf-8")
    return {
        "db init": [],
        "db upgrade": [],
        "db backup": [str(tmp / f"backup-{login}.db")],
        "db grants": [],
        "config check": [],
        "demo": ["--clients", "1"],
        # the session's role prefix: on PostgreSQL it becomes a login role, dropped after the test
        "operators add": [f"{TEST_ROLE_PREFIX}-new-{login}"],
        "operators list": [],
        "operators role": ["nobody", "operator"],
        "operators deactivate": ["nobody"],
        "operators activate": ["nobody"],
        "lookup": ["Acme"],
        "clients import": [str(people), "--dry-run"],
        "clients export": ["--output", str(tmp / f"export-{login}.csv")],
        "clients show": ["1"],
        "clients list": ["--limit", "5"],
        "clients groups list": [],
        "clients groups add": [f"walk-{login}"],
        "clients groups set": ["nothing", "--colour", "#112233"],
        "clients groups remove": ["nothing"],
        "tickets list": [],
        "tickets show": ["1"],
        "tickets create": ["--subject", "walk", "--queue", "Support"],
        "tickets reply": ["9999", "--body", "x"],
        "tickets attachment": ["9999"],
        "escalate": ["--dry-run"],
        "mail poll": ["--once"],
        "mail send": ["--once"],
        "mail failed": [],
        "kb import": [str(tmp / "kb")],
        "kb search": ["printer"],
        "kb show": ["nothing"],
        "kb reindex": [],
        "reminders due": ["--no-birthdays"],
        "reminders list": [],
        "reminders add": ["call back", "--at", "1h"],
        "reminders done": ["9999"],
        "reminders snooze": ["9999"],
        "report operators": [],
        "report aging": [],
        "report sla": [],
        "report calls": [],
        "report clients": [],
        "report inquiries": [],
        "report performance": [],
        "report queues": [],
        "report time-spent": [],
        "report renewals": [],
        "report send": ["operators", "--to", "boss@example.com"],
        "call incoming": ["+7 916 123 45 67", "--operator", "ivan"],
        "call log": ["+7 916 123 45 67", "--call-id", f"walk-{login}"],
        "call import-cdr": [str(tmp / "Master.csv")],
        "call dial": ["+7 916 123 45 67"],
        "call listen": ["--no-ami", "--no-ring-socket"],
        "audit list": [],
        "rules list": [],
        "rules check": [],
        "rules explain": ["1"],
        "rules test": ["--event", "mail.received", str(mail)],
        "shifts join": ["ivan", "Support"],
        "shifts leave": ["ivan", "Support"],
        "shifts set": ["ivan", "--hours", "22:00-06:00"],
        "shifts clear": ["ivan"],
        "shifts off": ["ivan", "--from", "2030-01-01"],
        "shifts swap": ["ivan", "--with", "boss", "--date", "2030-01-02"],
        "shifts unexcept": ["999999"],
        "shifts show": ["ivan"],
        "shifts now": [],
        "contracts add": ["1", "--level", "gold", "--start", "2026-01-01", "--end", "2026-12-31"],
        "contracts end": ["999999", "--on", "2026-06-30"],
        "contracts list": [],
    }


def _option_samples(tmp: Path, login: str) -> dict[str, list[str]]:
    """A quick invocation of each option that needs more than its command (``OPTION_OPERATIONS``)."""
    return {
        "clients list --export": ["--export", "csv", "--output", str(tmp / f"list-{login}.csv")],
        "call incoming --operator": ["+7 916 123 45 67", "--operator", "ivan" if login != "ivan" else "boss"],
    }


NOT_RUN = {
    "console": "opens the full-screen console (tests/tui walks its commands)",
    "live relay": "serves until SIGTERM on PostgreSQL (tests/core/test_live_relay.py runs it); any role may",
}
LOCAL = {name for name, operation in COMMAND_OPERATIONS.items() if operation is None}


def test_every_command_has_a_rule_and_every_rule_an_operation(tmp_path: Path) -> None:
    paths = _command_paths()
    assert set(paths) == set(COMMAND_OPERATIONS), "a command without a rule in cli/permissions.py"
    for operation in COMMAND_OPERATIONS.values():
        assert operation is None or operation in PERMISSIONS
    assert set(_samples(tmp_path, "x")) | set(NOT_RUN) | LOCAL == set(paths)
    assert set(_option_samples(tmp_path, "x")) == set(OPTION_OPERATIONS)
    for name, operation in OPTION_OPERATIONS.items():
        assert name.split(" --")[0] in COMMAND_OPERATIONS
        assert operation in PERMISSIONS


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.slow
def test_every_command_as_every_role(engine, clock, database_url: str, tmp_path: Path, role: str) -> None:
    populate(engine, clock)
    login = ROLES[role]
    refused_commands: list[str] = []
    walk = [(path, COMMAND_OPERATIONS[path], args) for path, args in _samples(tmp_path, login).items()]
    walk += [
        (name.split(" --")[0], OPTION_OPERATIONS[name], args)
        for name, args in _option_samples(tmp_path, login).items()
    ]
    for path, operation, args in walk:
        assert operation is not None
        result = hotline("--db", database_url, "--operator", login, *path.split(), *args)
        refused = result.exit_code == 2 and f"; {operation} needs " in result.output
        assert refused == (not allows(role, operation)), (path, role, result.output)
        assert "Traceback" not in result.output
        if refused:
            refused_commands.append(path)
    with UnitOfWork(engine, readonly=True) as uow:
        audited = uow.session.exec(
            select(AuditEntry).where(AuditEntry.action.startswith("refused:"))
        ).scalars()
        entries = list(audited)
    assert len(entries) == len(refused_commands)
    assert {entry.actor for entry in entries} <= {login}
    assert sorted(entry.via.removeprefix("cli: ").removeprefix("cron: ") for entry in entries) == sorted(
        f"hotline {path}" for path in refused_commands
    )


def test_the_walk_can_fail() -> None:
    """A command planted without a rule is caught."""

    @app.command("planted")
    def planted() -> None:
        """Not allowed to exist without a rule."""

    try:
        assert "planted" in _command_paths()
        assert set(_command_paths()) != set(COMMAND_OPERATIONS)
    finally:
        app.registered_commands[:] = [c for c in app.registered_commands if c.name != "planted"]


@pytest.mark.parametrize("login", ["ghost", "gone"])
def test_every_command_refuses_an_unknown_or_deactivated_login(
    engine, clock, database_url: str, tmp_path: Path, login: str
) -> None:
    """``rules list`` printed the rules to a login no operator has (and to a deactivated one), exit 0."""
    populate(engine, clock)
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="gone", role=Role.SUPERVISOR)
        uow.session.exec(select(Operator).where(Operator.login == "gone")).scalar_one().active = False
    says = "unknown operator 'ghost'" if login == "ghost" else "operator 'gone' is deactivated"
    let_through = [
        path
        for path, args in _samples(tmp_path, login).items()
        if not (
            (result := hotline("--db", database_url, "--operator", login, *path.split(), *args)).exit_code
            == 2
            and says in result.output
        )
    ]
    assert let_through == []


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("who", ["stranger", "no-operator", "deactivated", "revoked"])
def test_every_command_refuses_a_database_role_that_is_no_active_operator(
    engine, clock, database_url: str, tmp_path: Path, who: str
) -> None:
    """With real PostgreSQL roles (trust auth, ``user=``): a role with no grants, one in the operator group
    that no operator maps, a deactivated operator's role still in its group (an admin without CREATEROLE
    deactivated her) and one deactivated by hotline (groups revoked). Every command but the local ones is
    refused: exit 2, one line (``call incoming`` and ``call dial`` were "database error", exit 1)."""
    from hotline.core.models.enums import Role
    from hotline.core.pg_roles import apply_grants, group_role
    from hotline.core.services.operators import add_operator, set_operator_active

    role = f"{TEST_ROLE_PREFIX}-{who}"  # dropped after the test with the session's other roles
    group = f'"{group_role(Role.OPERATOR, prefix=TEST_ROLE_PREFIX)}"'
    with UnitOfWork(engine, clock=clock) as uow:
        apply_grants(uow, prefix=TEST_ROLE_PREFIX)
        add_operator(uow, login="admin", role=Role.ADMIN)
        connection = uow.session.connection()
        connection.exec_driver_sql(
            f'CREATE ROLE "{role}" LOGIN' + ("" if who == "stranger" else f" IN ROLE {group}")
        )
        if who in ("deactivated", "revoked"):
            add_operator(uow, login=role, role=Role.OPERATOR, db_role=role)
    if who == "deactivated":  # as an admin without CREATEROLE leaves her role: LOGIN, in its group
        with engine.begin() as connection:
            connection.execute(text("UPDATE operator SET active = false WHERE login = :role"), {"role": role})
    if who == "revoked":  # deactivated by hotline (NOLOGIN, no group), then a session still open: LOGIN
        with UnitOfWork(engine, clock=clock, actor_login="admin") as uow:
            set_operator_active(uow, login=role, active=False, pg_role_prefix=TEST_ROLE_PREFIX)
        with engine.begin() as connection:
            connection.exec_driver_sql(f'ALTER ROLE "{role}" LOGIN')
    url = database_url.replace("://postgres@", f"://{role}@")
    walk = [(path, args) for path, args in _samples(tmp_path, who).items()]
    walk += [(name.split(" --")[0], args) for name, args in _option_samples(tmp_path, who).items()]
    for path, args in walk:
        result = hotline("--db", url, *path.split(), *args)
        assert result.exit_code == 2, (path, result.output)
        assert result.output.startswith("hotline: error: ") and result.output.count("\n") == 1, (
            path,
            result.output,
        )


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("role", ["operator", "supervisor", "admin"])
def test_every_command_refuses_narrowing_by_a_role_that_is_not_the_system_account(
    engine, clock, database_url: str, tmp_path: Path, role: str
) -> None:
    """``--operator`` narrows only the system account: an operator's, a supervisor's or an admin's own
    login role naming another login is refused by every command (exit 2, one line, audited as hers)."""
    from hotline.core.models.enums import Role
    from hotline.core.pg_roles import apply_grants
    from hotline.core.services.operators import add_operator

    login = f"{TEST_ROLE_PREFIX}-{role}"  # its login role is made in its group, dropped after the test
    with UnitOfWork(engine, clock=clock) as uow:
        apply_grants(uow, prefix=TEST_ROLE_PREFIX)
        add_operator(uow, login="admin", role=Role.ADMIN)
        add_operator(uow, login=login, role=Role(role), pg_role_prefix=TEST_ROLE_PREFIX)
    url = database_url.replace("://postgres@", f"://{login}@")
    walk = [(path, args) for path, args in _samples(tmp_path, role).items()]
    walk += [(name.split(" --")[0], args) for name, args in _option_samples(tmp_path, role).items()]
    said = f"hotline: error: --operator may only narrow the system account, not {login!r}\n"
    for path, args in walk:
        result = hotline("--db", url, "--operator", "admin", *path.split(), *args)
        assert (result.exit_code, result.output) == (2, said), path
    with UnitOfWork(engine, readonly=True) as uow:
        actors = set(
            uow.session.exec(select(AuditEntry.actor).where(AuditEntry.action == "refused:login")).scalars()
        )
    assert actors == {login}


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("who", ["nologin", "missing"])
def test_a_role_the_server_will_not_log_in_is_refused_with_exit_2(
    engine, database_url: str, who: str
) -> None:
    """A deactivated operator's role (``NOLOGIN``, as ``operators deactivate`` leaves it) or a role that
    does not exist was "cannot reach the database", exit 1: an operational failure, not a refused login."""
    role = f"{TEST_ROLE_PREFIX}-{who}"  # dropped after the test with the session's other roles
    if who == "nologin":
        with engine.begin() as connection:
            connection.exec_driver_sql(f'CREATE ROLE "{role}" NOLOGIN')
    result = hotline("--db", database_url.replace("://postgres@", f"://{role}@"), "tickets", "list")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("hotline: error: the database refused the login: ")
    assert result.output.count("\n") == 1


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("role", ["operator", "supervisor", "admin"])
def test_every_command_as_every_roles_own_login_role_under_the_grants(
    engine, clock, database_url: str, tmp_path: Path, role: str
) -> None:
    """The walk above narrows the system account to each login; here each command runs as the login's own
    database role, after ``db grants`` (the contact points' row security on, a budget set): every one is
    done or refused with one line, never a database error (exit 1: COPY into a table under row security
    was one; nor a refusal by the database: the budget is not reached here)."""
    from hotline.core.contact_handout import make_budget_ready
    from hotline.core.pg_roles import apply_grants, group_role

    populate(engine, clock)
    login = ROLES[role]
    database_role = f"{TEST_ROLE_PREFIX}-{login}"  # dropped after the test with the session's other roles
    with UnitOfWork(engine, clock=clock) as uow:
        apply_grants(uow, prefix=TEST_ROLE_PREFIX)
        connection = uow.session.connection()
        group = group_role(Role(role), prefix=TEST_ROLE_PREFIX)
        connection.exec_driver_sql(f'CREATE ROLE "{database_role}" LOGIN IN ROLE "{group}"')
        connection.execute(
            text("UPDATE operator SET db_role = :r WHERE login = :l"), {"r": database_role, "l": login}
        )
        make_budget_ready(connection, database_role)
    url = database_url.replace("://postgres@", f"://{database_role}@")
    owners_only = {"db upgrade", "db grants", "demo"}  # the tables' owner's, whoever asks (README)
    walk = [(path, COMMAND_OPERATIONS[path], args) for path, args in _samples(tmp_path, login).items()]
    walk += [
        (name.split(" --")[0], OPTION_OPERATIONS[name], args)
        for name, args in _option_samples(tmp_path, login).items()
    ]
    failed = []
    for path, operation, args in walk:
        assert operation is not None
        result = hotline("--db", url, *path.split(), *args)
        broken = any(
            said in result.output for said in ("Traceback", "database error", "the database refused")
        )
        if (result.exit_code not in (0, 2) or broken) and path not in owners_only:
            failed.append((path, result.exit_code, result.output[-300:]))
    assert failed == []
