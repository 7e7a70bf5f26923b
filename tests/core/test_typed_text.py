"""Typed text is refused in core, whichever face sent it: a control character (a NUL was a database error
on PostgreSQL, stored as-is on SQLite) or an over-long value is ``InvalidInput`` naming the field."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from hotline.core.errors import InvalidInput
from hotline.core.models import Client, Interaction
from hotline.core.models.enums import InteractionKind
from hotline.core.services.clients import ClientChanges, ClientDraft, create_client, update_client
from hotline.core.services.contracts import add_contract
from hotline.core.services.groups import create_group
from hotline.core.services.interactions import log_interaction
from hotline.core.services.queues import ensure_queue
from hotline.core.services.shifts import add_exception
from hotline.core.services.tickets import add_note, create_ticket
from hotline.core.text import checked_text


def test_one_wording_for_every_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_text("a\x00b", what="a group name", at_most=100, where="NAME")
    assert (
        str(refused.value) == "NAME: a group name is at most 100 printable characters (this one holds U+0000)"
    )
    with pytest.raises(InvalidInput) as refused:
        checked_text("x" * 1001, what="a group name", at_most=100, where="NAME")
    assert str(refused.value) == "NAME: a group name is at most 100 printable characters (this one has 1,001)"
    assert checked_text("two\nlines\tand\u00a0more", what="notes", at_most=50, multiline=True)
    with pytest.raises(InvalidInput):
        checked_text("two\nlines", what="a name", at_most=50)
    with pytest.raises(InvalidInput):
        checked_text("x" * 51, what="a name", at_most=50)


@pytest.mark.parametrize(
    ("draft", "where"),
    [
        (ClientDraft(name="Nul\x00Name"), "name"),
        (ClientDraft(name="x" * 301), "name"),
        (ClientDraft(first_name="Ann\x1b[31m", last_name="Lee"), "first name"),
        (ClientDraft(name="Ann", notes="ok\nthen\x00"), "notes"),
    ],
)
def test_a_client_with_bad_text_is_refused(uow_factory, staff, draft, where) -> None:
    with pytest.raises(InvalidInput) as refused, uow_factory("olga") as uow:
        create_client(uow, draft=draft, default_region="RU")
    assert refused.value.where == where
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Client)).first() is None


def test_a_client_change_with_bad_text_is_refused(uow_factory, staff) -> None:
    with uow_factory("olga") as uow:
        client_id = create_client(
            uow, draft=ClientDraft(name="Ann", notes="line\nline"), default_region="RU"
        ).id
    for changes, where in [
        (ClientChanges(name="A\x00"), "name"),
        (ClientChanges(last_name="L" * 101), "last name"),
    ]:
        with pytest.raises(InvalidInput) as refused, uow_factory("olga") as uow:
            update_client(uow, client_id=client_id, changes=changes, default_region="RU")
        assert refused.value.where == where
    with uow_factory(readonly=True) as uow:
        assert uow.session.get(Client, client_id).name == "Ann"


@pytest.mark.parametrize(
    ("fields", "where"),
    [({"notes": "a\x00b"}, "notes"), ({"outcome": "o" * 51}, "outcome"), ({"subject": "s\x07"}, "subject")],
)
def test_a_call_with_bad_text_is_refused(uow_factory, staff, fields, where) -> None:
    with uow_factory("olga") as uow:
        client_id = create_client(uow, draft=ClientDraft(name="Ann"), default_region="RU").id
    with pytest.raises(InvalidInput) as refused, uow_factory("olga") as uow:
        log_interaction(uow, client_id=client_id, kind=InteractionKind.CALL, **fields)
    assert refused.value.where == where
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(Interaction)).first() is None


def test_tickets_refuse_bad_typed_text_and_keep_newlines(uow_factory, staff) -> None:
    with pytest.raises(InvalidInput, match="subject is at most 500"), uow_factory("olga") as uow:
        create_ticket(uow, subject="s" * 501, queue="Support")
    with pytest.raises(InvalidInput, match="a note is at most"), uow_factory("olga") as uow:
        create_ticket(uow, subject="Printer", queue="Support", body="jams\x00")
    with uow_factory("olga") as uow:
        number = create_ticket(uow, subject="Printer", queue="Support", body="jams\n\tdaily").number
    with pytest.raises(InvalidInput, match="a note is at most"), uow_factory("olga") as uow:
        add_note(uow, number=number, expected_version=None, body="a\x00b", sla=None)


def test_groups_queues_contracts_shifts_refuse_control_characters(uow_factory, staff) -> None:
    with uow_factory("olga") as uow:
        client_id = create_client(uow, draft=ClientDraft(name="Ann"), default_region="RU").id
    attempts = [
        lambda uow: create_group(uow, name="VIP\x00"),
        lambda uow: create_group(uow, name="VIP", contract_level="gold\x00"),
        lambda uow: ensure_queue(uow, name="Sales\x00"),
        lambda uow: add_contract(
            uow,
            client_id=client_id,
            level="gold",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            reference="R\x00",
        ),
        lambda uow: add_exception(
            uow, login="olga", kind="vacation", starts_on=date(2026, 12, 1), note="n\x00"
        ),
        lambda uow: add_exception(
            uow, login="olga", kind="vacation", starts_on=date(2026, 12, 1), note="n" * 501
        ),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidInput, match="printable characters"), uow_factory("admin") as uow:
            attempt(uow)


def test_tags_with_a_control_character_are_refused(uow_factory, staff) -> None:
    """A NUL in a tag went into the JSON column: a database error on PostgreSQL."""
    from hotline.core.services.tickets import update_ticket

    with pytest.raises(InvalidInput, match="a tag is at most 50"), uow_factory("olga") as uow:
        create_client(uow, draft=ClientDraft(name="Ann", tags=["vip\x00"]), default_region="RU")
    with uow_factory("olga") as uow:
        number = create_ticket(uow, subject="Printer", queue="Support").number
    for tags in (["urgent\x00"], ["t" * 51]):
        with pytest.raises(InvalidInput, match="a tag is at most 50"), uow_factory("olga") as uow:
            update_ticket(uow, number=number, expected_version=None, tags=tags)
