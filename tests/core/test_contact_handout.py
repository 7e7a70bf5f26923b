"""PostgreSQL: an operator's role reads clients' phones and addresses only as hotline hands them out, within
a budget of clients an hour that a rollback does not give back (migration 0021, ``db grants``).

Real roles, made and dropped here: anna (operator), sue (supervisor), a role a DBA made in the operators'
group (no budget yet). Everything an operator does with contact points goes through hotline's services
as her role: the lookup by name, digits and address, the card, a client created (the duplicate warning
included), a reply's recipient, a screen pop's callers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from hotline.core.contact_handout import GATED_TABLES
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.errors import PermissionDenied
from hotline.core.models import AuditEntry
from hotline.core.models.enums import Role
from hotline.core.pg_roles import apply_grants, group_role, system_role
from hotline.core.search import lookup
from hotline.core.services.clients import ClientDraft, client_card, create_client, find_clients_by_contact
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.screen_pop import callers_of
from tests.cli.invoke import hotline
from tests.conftest import SENDING, TEST_ROLE_PREFIX

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


@dataclass
class Staff:
    prefix: str
    anna: Engine
    sue: Engine
    anna_url: str
    boss_url: str
    clients: dict[str, int]

    def budget(self, engine: Engine, per_hour: int) -> None:
        with UnitOfWork(engine) as uow:
            apply_grants(uow, prefix=self.prefix, contact_budget=per_hour)


@pytest.fixture
def staff(backend, engine, database_url, clock) -> Iterator[Staff]:
    prefix = f"{TEST_ROLE_PREFIX}{uuid.uuid4().hex[:6]}"
    anna, sue, boss = f"{prefix}-anna", f"{prefix}-sue", f"{prefix}-boss"
    roles = [anna, sue, boss, *(group_role(r, prefix=prefix) for r in Role), system_role(prefix)]
    engines: list[Engine] = []
    try:
        with UnitOfWork(engine, clock=clock) as uow:
            apply_grants(uow, prefix=prefix)
            add_operator(uow, login="admin", role=Role.ADMIN)
            ensure_queue(uow, name="Support")
            add_operator(uow, login=anna, role=Role.OPERATOR, pg_role_prefix=prefix)
            add_operator(uow, login=sue, role=Role.SUPERVISOR, pg_role_prefix=prefix)
            add_operator(uow, login=boss, role=Role.ADMIN, pg_role_prefix=prefix)
            clients = {}
            for name, phone, email in [
                ("Ivan Petrov", "+7 916 123-45-67", "ivan@petrov.ru"),
                ("Olga Sidorova", "+7 916 765-43-21", "olga@sidorova.ru"),
                ("Pavel Ivanov", "+7 903 111-22-33", "pavel@ivanov.ru"),
                ("Anna Kuznetsova", "+7 903 444-55-66", "anna@kuz.ru"),
            ]:
                draft = ClientDraft(name=name, phones=[phone], emails=[email])
                clients[name] = create_client(uow, draft=draft, default_region="RU").id
        urls = {who: database_url.replace("://postgres@", f"://{who}@") for who in (anna, sue, boss)}
        engines = [make_engine(urls[anna]), make_engine(urls[sue])]
        yield Staff(prefix, engines[0], engines[1], urls[anna], urls[boss], clients)
    finally:
        for made in engines:
            made.dispose()
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for role in [f"{prefix}-dba-made", *roles]:
                if connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                    connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                    connection.exec_driver_sql(f'DROP ROLE "{role}"')


def _refused(engine: Engine, statement: str, match: str = "permission denied") -> None:
    with pytest.raises(DBAPIError, match=match), engine.begin() as connection:
        connection.execute(text(statement)).all()


def _rows(engine: Engine, statement: str) -> list:
    with engine.begin() as connection:
        return list(connection.execute(text(statement)).all())


def test_sql_reads_no_contact_point_hotline_did_not_hand_out(staff: Staff) -> None:
    """Every phone, address and their lookup index: no row in SQL, whole tables or single rows."""
    ivan = staff.clients["Ivan Petrov"]
    for table in GATED_TABLES:
        assert _rows(staff.anna, f"SELECT * FROM {table}") == []
        assert _rows(staff.anna, f"SELECT count(*) FROM {table}") == [(0,)]
    assert _rows(staff.anna, f"SELECT e164 FROM client_phone WHERE client_id = {ivan}") == []
    assert _rows(staff.anna, "SELECT client_id FROM client_email WHERE address = 'ivan@petrov.ru'") == []
    # nor around the functions: the ledger, the budget and the charge are the owner's
    for statement in (
        "SELECT * FROM client_handout",
        f"INSERT INTO client_handout VALUES (current_user, {ivan}, now())",
        "UPDATE client_read_budget SET per_hour = 1000000000",
        "SELECT hotline_charge(-1000000)",
        "SELECT * FROM hotline_budget.r1",
    ):
        _refused(staff.anna, statement)
    with staff.sue.begin() as connection:  # a supervisor has no budget
        assert connection.execute(text("SELECT count(*) FROM client_phone")).scalar() == 4


def test_an_operator_finds_and_opens_clients_by_name_digits_and_address(staff: Staff, clock) -> None:
    ivan, olga = staff.clients["Ivan Petrov"], staff.clients["Olga Sidorova"]
    with UnitOfWork(staff.anna, actor_login=None, clock=clock, readonly=True) as uow:
        by_name = lookup(uow.session, "petrov", default_region="RU")
        by_digits = lookup(uow.session, "4567", default_region="RU")
        by_address = lookup(uow.session, "olga@sid", default_region="RU")
        card = client_card(uow, client_id=ivan)
    assert [(hit.id, "+79161234567" in hit.subtitle) for hit in by_name] == [(ivan, True)]
    assert [hit.id for hit in by_digits] == [ivan]
    assert [hit.id for hit in by_address] == [olga]
    assert [phone.e164 for phone in card.phones] == ["+79161234567"]
    assert [email.address for email in card.emails] == ["ivan@petrov.ru"]
    # what was handed out is hers to read in SQL for the hour; the rest is not
    with staff.anna.begin() as connection:
        mine = connection.execute(text(f"SELECT e164 FROM client_phone WHERE client_id = {ivan}")).scalars()
        assert list(mine) == ["+79161234567"]
    assert (
        _rows(staff.anna, f"SELECT e164 FROM client_phone WHERE client_id = {staff.clients['Pavel Ivanov']}")
        == []
    )


def test_the_duplicate_warning_and_a_screen_pop_see_numbers_not_handed_out(staff: Staff, clock) -> None:
    """Both ask who owns a number or an address: the answer is not limited to what she was handed."""
    pavel = staff.clients["Pavel Ivanov"]
    with UnitOfWork(staff.anna, clock=clock, readonly=True) as uow:
        owners = find_clients_by_contact(uow, e164s=["+79031112233"], emails=["anna@kuz.ru"])
        callers = callers_of(uow, number="8 903 111 22 33", default_region="RU")
    assert sorted(c.id for c in owners) == sorted([pavel, staff.clients["Anna Kuznetsova"]])
    assert [c.id for c in callers] == [pavel]
    with UnitOfWork(staff.anna, clock=clock, via="console") as uow:  # she creates one, and reads it back
        made = create_client(
            uow, draft=ClientDraft(name="Nina", phones=["+7 999 000-00-01"]), default_region="RU"
        )
        assert [p.e164 for p in client_card(uow, client_id=made.id).phones] == ["+79990000001"]


def test_the_budget_refuses_past_it_and_a_rollback_gives_nothing_back(staff: Staff, engine, clock) -> None:
    ids = list(staff.clients.values())
    staff.budget(engine, 3)
    with staff.anna.connect() as connection:  # read two in SQL, then roll back: still spent
        connection.execute(text("SELECT hotline_hand_out(CAST(:ids AS integer[]))"), {"ids": ids[:2]})
        connection.rollback()
        connection.execute(text("SELECT hotline_hand_out(CAST(:ids AS integer[]))"), {"ids": ids[2:3]})
        connection.commit()
        with pytest.raises(DBAPIError, match="past its budget of 3 clients an hour"):
            connection.execute(text("SELECT hotline_hand_out(CAST(:ids AS integer[]))"), {"ids": ids[3:]})
        connection.rollback()
        # what was handed out and committed is handed again for nothing
        assert (
            connection.execute(
                text("SELECT hotline_hand_out(CAST(:ids AS integer[]))"), {"ids": ids[2:3]}
            ).scalar()
            == 0
        )
    with (
        pytest.raises(PermissionDenied, match="past its budget of 3"),
        UnitOfWork(staff.anna, clock=clock, readonly=True) as uow,
    ):
        client_card(uow, client_id=ids[3])
    with UnitOfWork(engine, readonly=True) as uow:
        refused = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "refused:read")).all()
    assert len(refused) == 1 and "past its budget" in refused[0].after["reason"]
    result = hotline("--db", staff.anna_url, "clients", "show", str(ids[3]))
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and "past its budget of 3 clients an hour" in result.output
    ok = hotline("--db", staff.anna_url, "clients", "show", str(ids[2]))  # handed out before: free
    assert ok.exit_code == 0 and "+7" in ok.output, ok.output


def test_a_role_gets_its_budget_committed_before_anything_is_handed_out(
    staff: Staff, engine, database_url
) -> None:
    """A budget made in the transaction that spends it would be rolled back with what it spent, a full
    one each time: refused until it is committed (hotline makes it when it starts)."""
    made = f"{staff.prefix}-dba-made"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(
            f'CREATE ROLE "{made}" LOGIN IN ROLE "{group_role(Role.OPERATOR, prefix=staff.prefix)}"'
        )
    ids = list(staff.clients.values())
    dba_made = make_engine(database_url.replace("://postgres@", f"://{made}@"))
    try:
        with dba_made.connect() as connection:
            with pytest.raises(DBAPIError, match="has no client read budget yet"):
                connection.execute(text("SELECT hotline_hand_out(CAST(:ids AS integer[]))"), {"ids": ids})
            connection.rollback()
            assert connection.execute(text("SELECT hotline_read_budget_ready()")).scalar() is False
            with pytest.raises(DBAPIError, match="has no client read budget yet"):
                connection.execute(text("SELECT hotline_hand_out(CAST(:ids AS integer[]))"), {"ids": ids})
            connection.rollback()
            assert connection.execute(text("SELECT hotline_read_budget_ready()")).scalar() is False
            connection.exec_driver_sql("SAVEPOINT s")  # made in a subtransaction: the same
            assert connection.execute(text("SELECT hotline_read_budget_ready()")).scalar() is False
            connection.exec_driver_sql("RELEASE s")
            with pytest.raises(DBAPIError, match="has no client read budget yet"):
                connection.execute(text("SELECT hotline_hand_out(CAST(:ids AS integer[]))"), {"ids": ids})
            connection.rollback()
            assert connection.execute(text("SELECT hotline_read_budget_ready()")).scalar() is False
            connection.commit()
            assert connection.execute(text("SELECT hotline_read_budget_ready()")).scalar() is True
            handed = connection.execute(
                text("SELECT hotline_hand_out(CAST(:ids AS integer[]))"), {"ids": ids}
            )
            assert handed.scalar() == len(ids)
    finally:
        dba_made.dispose()


def test_a_reply_reaches_the_clients_address_from_an_operators_role(staff: Staff, clock) -> None:
    from hotline.core.services.tickets import create_ticket, reply_ticket

    olga = staff.clients["Olga Sidorova"]
    with UnitOfWork(staff.anna, clock=clock, via="console") as uow:
        ticket = create_ticket(uow, subject="Invoice", queue="Support", body="asked", client_id=olga)
        reply_ticket(uow, number=ticket.number, expected_version=None, body="here", sending=SENDING, sla=None)
    with staff.sue.begin() as connection:
        recipients = connection.execute(text("SELECT to_addrs FROM outbox")).scalar()
    assert recipients == ["olga@sidorova.ru"]


def test_db_grants_keeps_a_budget_set_before_and_refuses_a_hostile_one(staff: Staff, engine) -> None:
    staff.budget(engine, 7)
    with UnitOfWork(engine) as uow:
        apply_grants(uow, prefix=staff.prefix)  # again after an upgrade: the budget stays
    with engine.connect() as connection:
        assert connection.execute(text("SELECT per_hour FROM client_read_budget")).all() == [(7,)]
    for hostile in ("0", "-5", "10000001", "1e3", "many"):
        result = hotline(
            "--db",
            str(engine.url.render_as_string(hide_password=False)),
            "db",
            "grants",
            "--contact-budget",
            hostile,
        )
        assert result.exit_code == 2, (hostile, result.output)


def test_an_admins_role_imports_and_backs_up_under_row_security(staff: Staff, tmp_path) -> None:
    """PostgreSQL refuses COPY into a table whose row security holds the role, and pg_dump refuses to read
    one by default: an admin's role (not the tables' owner) imports with INSERTs there, and its backup reads
    what the policies give it (every row), the ledger and the budgets included."""
    sheet = tmp_path / "clients.csv"
    sheet.write_text(
        "name;phone;email\n"
        + "".join(
            f"Client {n};+7 916 555-{n // 100:02d}-{n % 100:02d};c{n}@example.ru\n" for n in range(1, 41)
        ),
        encoding="utf-8",
    )
    imported = hotline("--db", staff.boss_url, "clients", "import", str(sheet))
    assert imported.exit_code == 0, imported.output
    with staff.sue.begin() as connection:
        counted = connection.execute(text("SELECT count(*) FROM client_phone WHERE e164 LIKE '+7916555%'"))
        assert counted.scalar() == 40
    found = hotline("--db", staff.anna_url, "lookup", "555-00-17")
    assert found.exit_code == 0 and "Client 17" in found.output, found.output
    backup = tmp_path / "hotline.dump"
    backed_up = hotline("--db", staff.boss_url, "db", "backup", str(backup))
    assert backed_up.exit_code == 0, backed_up.output
    assert backup.stat().st_size > 0


def test_hotline_makes_the_budget_of_a_role_a_dba_made_when_it_first_starts_as_it(
    staff: Staff, engine, database_url
) -> None:
    made = f"{staff.prefix}-dba-made"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        group = group_role(Role.OPERATOR, prefix=staff.prefix)
        connection.exec_driver_sql(f'CREATE ROLE "{made}" LOGIN IN ROLE "{group}"')
    with UnitOfWork(engine) as uow:  # mapped by db_role: hotline did not make the role
        add_operator(uow, login="nina", role=Role.OPERATOR, db_role=made)
    budgets = (
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'hotline_budget' AND c.relname = 'r' || (SELECT oid FROM pg_roles WHERE rolname = :r)"
    )
    with engine.connect() as connection:
        assert connection.execute(text(budgets), {"r": made}).scalar() == 0
    found = hotline("--db", database_url.replace("://postgres@", f"://{made}@"), "lookup", "4567")
    assert found.exit_code == 0 and "Ivan Petrov" in found.output, found.output
    with engine.connect() as connection:
        assert connection.execute(text(budgets), {"r": made}).scalar() == 1
