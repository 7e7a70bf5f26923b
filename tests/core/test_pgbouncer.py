"""hotline behind a real PgBouncer in transaction mode (Debian's package, 1.18: no prepared statements).

The shared storage tests imported below run unchanged through the pooler (see ``through_pgbouncer``):
cards, calls, tickets, screen pops and the live-update watcher, and two mail intakes of one message at
once (the advisory lock is transaction-scoped, so it holds through the pooler). The tests written here
check what only a pooler shows: many more clients than server connections, the listen URL, the settings.
"""

# ruff: noqa: F811 - the tests take the PgBouncer fixtures imported below as arguments
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from hotline.core import migrate
from hotline.core.changes import ChangeWatcher
from hotline.core.db import UnitOfWork, listen_conninfo, make_engine
from hotline.core.enums import Direction
from hotline.core.errors import ConfigError
from hotline.core.models import Interaction, ScreenPop
from hotline.core.models.enums import ClientKind
from hotline.core.services.clients import ClientDraft, client_card, create_client
from hotline.core.services.interactions import log_call
from hotline.core.services.screen_pop import request_screen_pop
from hotline.core.settings import load_settings
from tests.core.test_clients import (  # noqa: F401 - run through PgBouncer
    test_client_round_trip_with_contacts_and_audit,
    test_client_update_replaces_contacts_and_records_before_after,
    test_invalid_client_input_writes_nothing,
)
from tests.core.test_interactions import (  # noqa: F401 - run through PgBouncer
    test_a_call_logged_late_never_moves_the_last_interaction_back,
    test_calls_and_timeline_are_paged_newest_first,
)
from tests.core.test_screen_pop import (  # noqa: F401 - run through PgBouncer
    test_a_pop_is_live_for_every_console_and_taken_by_the_first,
    test_a_rolled_back_pop_wakes_no_one,
    test_the_listening_connection_comes_back_after_it_is_lost,
    test_the_watcher_wakes_on_a_committed_pop_and_reminder,
)
from tests.core.test_ticket_writes import (  # noqa: F401 - run through PgBouncer
    test_invalid_status_transition_is_refused,
    test_ticket_numbers_events_and_optimistic_lock,
)
from tests.core.through_pgbouncer import (  # noqa: F401 - the fixtures that go through PgBouncer
    SERVER_CONNECTIONS,
    backend,
    bouncer,
    database_url,
    engine,
    pooled_settings,
)
from tests.mailbox.test_mail_intake_race import (  # noqa: F401 - run through PgBouncer
    test_one_message_id_taken_in_by_two_transactions_at_once_is_one_ticket,
)

CONSOLES = 12
CALLS_EACH = 5


def test_the_schema_was_migrated_through_the_pooler(engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_many_consoles_share_a_few_server_connections(bouncer, engine, uow_factory, staff, clock) -> None:
    """12 consoles (an engine each, as 12 processes would have) log calls at once through 3 server
    connections: every call is written once, and the server never sees more than the pooler's 3."""
    with uow_factory() as uow:
        client_id = create_client(
            uow, draft=ClientDraft(kind=ClientKind.PERSON, last_name="Pool"), default_region="RU"
        ).id
    peak = [0]
    stop = threading.Event()
    errors: list[BaseException] = []

    def watch_server() -> None:
        watcher = make_engine(bouncer.direct_url)
        try:
            while not stop.is_set():
                with watcher.connect() as connection:
                    count = connection.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                            " AND backend_type = 'client backend'"
                        )
                    ).scalar_one()
                peak[0] = max(peak[0], int(count))
                time.sleep(0.01)
        finally:
            watcher.dispose()

    def console(number: int) -> None:
        own = make_engine(bouncer.url, database=pooled_settings(bouncer))
        try:
            for call in range(CALLS_EACH):
                with UnitOfWork(own, actor_login="olga", clock=clock) as uow:
                    log_call(
                        uow,
                        client_id=client_id,
                        direction=Direction.IN,
                        duration_seconds=60,
                        outcome="resolved",
                        notes=f"console {number} call {call}",
                    )
                with UnitOfWork(own, actor_login="olga", clock=clock, readonly=True) as uow:
                    assert client_card(uow, client_id=client_id).client.id == client_id
        except BaseException as error:
            errors.append(error)
        finally:
            own.dispose()

    sampler = threading.Thread(target=watch_server)
    sampler.start()
    consoles = [threading.Thread(target=console, args=(n,)) for n in range(CONSOLES)]
    for thread in consoles:
        thread.start()
    for thread in consoles:
        thread.join(timeout=120)
    stop.set()
    sampler.join(timeout=10)
    assert errors == []
    with uow_factory(readonly=True) as uow:
        summaries = list(uow.session.scalars(select(Interaction.notes)))
    expected = {f"console {n} call {c}" for n in range(CONSOLES) for c in range(CALLS_EACH)}
    assert sorted(summaries) == sorted(expected), "every call exactly once"
    # The sampler's own connection is excluded; the pooler's server connections are all there is.
    assert 1 <= peak[0] <= SERVER_CONNECTIONS


def test_no_statement_is_prepared_on_the_server(bouncer, engine, uow_factory, staff) -> None:
    """Automatic prepared statements would break on the next transaction's server connection."""
    with uow_factory() as uow:
        client_id = create_client(
            uow, draft=ClientDraft(kind=ClientKind.PERSON, last_name="Prepared"), default_region="RU"
        ).id
    for _ in range(10):  # past psycopg's default threshold (5) had it been left on
        with uow_factory(readonly=True) as uow:
            client_card(uow, client_id=client_id)
            prepared = uow.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
            assert prepared == 0


def test_the_watcher_listens_on_the_direct_url(bouncer, engine, uow_factory, staff) -> None:
    assert f":{bouncer.port}/" in str(engine.url.render_as_string(hide_password=False))
    assert ":5432/" in listen_conninfo(engine)
    watcher = ChangeWatcher(engine)
    try:
        with make_engine(bouncer.direct_url).connect() as direct:
            port = direct.execute(
                text("SELECT client_port FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": watcher._connection.info.backend_pid},
            ).scalar_one()
        assert port is not None  # the listener is a server backend of its own, not a pooled one
        with uow_factory() as uow:
            request_screen_pop(uow, operator_login="olga", number="89161234567")
        changed: set[str] = set()
        deadline = time.monotonic() + 10
        while "screen_pop" not in changed and time.monotonic() < deadline:
            changed |= watcher.wait(0.2)
        assert "screen_pop" in changed
    finally:
        watcher.close()
    with uow_factory(readonly=True) as uow:
        assert uow.session.execute(select(func.count()).select_from(ScreenPop)).scalar_one() == 1


def test_without_a_listen_url_a_transaction_pooler_is_refused(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'database_url = "postgresql://hotline@127.0.0.1:6432/hotline"\n[database]\npooler = "transaction"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="listen_url"):
        load_settings(config)


def test_a_pooler_needs_a_postgresql_url(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[database]\npooler = "transaction"\nlisten_url = "postgresql://127.0.0.1/hotline"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="postgresql"):
        load_settings(config)


def test_the_database_section_is_read(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'database_url = "postgresql://hotline@127.0.0.1:6432/hotline"\n[database]\npooler = "transaction"\n'
        'listen_url = "postgresql://hotline@127.0.0.1:5432/hotline"\npool_size = 2\n',
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert (settings.database.pooler, settings.database.pool_size) == ("transaction", 2)
    engine = make_engine(settings.database_url or "", database=settings.database)
    try:
        assert engine.pool.size() == 2  # type: ignore[attr-defined]
        assert listen_conninfo(engine) == "postgresql://hotline@127.0.0.1:5432/hotline"
    finally:
        engine.dispose()


def test_two_accounts_taking_in_one_group_at_once_make_one_ticket_per_message(
    bouncer, engine, uow_factory, staff, clock
) -> None:
    """Two pollers (two accounts sent the same five messages) take the group in at the same moment, each
    in one transaction through the pooler: the group's advisory locks (transaction-scoped) serialise
    them, so every Message-ID is one ticket, recorded as processed for both accounts."""
    from hotline.core.models import ProcessedMessage, Ticket, TicketEvent
    from hotline.core.services.mail.incoming import IncomingMail, MailboxRef
    from hotline.mailbox.group_intake import GroupIntake
    from tests.core.escalation.world import setup_from_toml

    mails = [
        IncomingMail(
            message_id=f"<group-{n}@client.example>",
            subject=f"Question {n}",
            from_address=f"client{n}@client.example",
            from_name=f"Client {n}",
            new_text="It does not work.",
        )
        for n in range(5)
    ]
    start = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def poll(account: str) -> None:
        own = make_engine(bouncer.url, database=pooled_settings(bouncer))
        mailbox = MailboxRef(
            name=account,
            queue="Support",
            from_address=f"{account}@example.com",
            acknowledge=False,
            acknowledgements_per_day=0,
            default_region="RU",
        )
        intake = GroupIntake(engine=own, clock=clock, sla=setup_from_toml(), mailbox=mailbox)
        try:
            start.wait()
            intake.take_in(7, [(uid, f"raw {uid}".encode(), mail) for uid, mail in enumerate(mails, 1)])
        except BaseException as error:
            errors.append(error)
        finally:
            own.dispose()

    pollers = [threading.Thread(target=poll, args=(account,)) for account in ("support", "sales")]
    for thread in pollers:
        thread.start()
    for thread in pollers:
        thread.join(timeout=60)
    assert errors == []
    with uow_factory(readonly=True) as uow:
        assert uow.session.execute(select(func.count()).select_from(Ticket)).scalar_one() == len(mails)
        per_message = uow.session.execute(
            select(TicketEvent.message_id, func.count(func.distinct(TicketEvent.ticket_id)))
            .where(TicketEvent.message_id.is_not(None))  # type: ignore[union-attr]
            .group_by(TicketEvent.message_id)
        ).all()
        processed = uow.session.execute(
            select(ProcessedMessage.account, func.count()).group_by(ProcessedMessage.account)
        ).all()
    assert sorted(per_message) == sorted((mail.message_id, 1) for mail in mails)
    assert sorted(processed) == [("sales", len(mails)), ("support", len(mails))]
