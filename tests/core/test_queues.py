"""Queues made on first use: only with a name that can be shown as typed, and only by supervisors."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hotline.core.errors import InvalidInput, PermissionDenied
from hotline.core.models import Queue
from hotline.core.services.queues import ensure_queue


@pytest.mark.parametrize("name", ["Evil\x1b]0;owned\x07", "Tab\tQueue", "Bidi\u202eeuqeuq", "q" * 101])
def test_a_queue_name_that_cannot_be_shown_as_typed_is_refused(uow_factory, staff, name: str) -> None:
    with pytest.raises(InvalidInput, match="printable") as refused, uow_factory("sue") as uow:
        ensure_queue(uow, name=name)
    assert refused.value.where == "queue"
    with uow_factory(readonly=True) as uow:
        assert sorted(uow.session.exec(select(Queue.name))) == ["Billing", "Support"]


def test_an_operator_uses_queues_but_does_not_make_them(uow_factory, staff) -> None:
    with uow_factory("olga") as uow:
        assert ensure_queue(uow, name=" Support ").name == "Support"
    with pytest.raises(PermissionDenied), uow_factory("olga") as uow:
        ensure_queue(uow, name="Night Desk")
    with uow_factory("sue") as uow:
        assert ensure_queue(uow, name="Night Desk").id is not None


@pytest.mark.parametrize("typed", ["support", "SUPPORT", " billing "])
def test_a_new_queue_a_letter_case_from_another_is_refused(uow_factory, staff, typed: str) -> None:
    """``tickets create --queue support --new-queue`` made a queue 'support' beside 'Support': two queues
    that read as one, with their own members, SLA policies (by exact name) and tickets."""
    with pytest.raises(InvalidInput, match="exists already") as refused, uow_factory("sue") as uow:
        ensure_queue(uow, name=typed)
    assert refused.value.where == "queue"
    assert typed.strip().capitalize() in refused.value.message
    with uow_factory(readonly=True) as uow:
        assert sorted(uow.session.exec(select(Queue.name))) == ["Billing", "Support"]


def test_a_queue_name_is_one_however_its_accents_are_typed(uow_factory, staff) -> None:
    """«Café» with a composed é and with e + U+0301 look alike everywhere: they were two queues."""
    from hotline.core.services.queues import get_queue

    with uow_factory("sue") as uow:
        made = ensure_queue(uow, name="Caf\u00e9")
        assert ensure_queue(uow, name="Cafe\u0301").id == made.id
        assert get_queue(uow, name="Cafe\u0301").id == made.id
    with uow_factory("sue") as uow:
        assert ensure_queue(uow, name="De\u0301cor").name == "D\u00e9cor"
    with uow_factory(readonly=True) as uow:
        assert sorted(uow.session.exec(select(Queue.name))) == [
            "Billing",
            "Caf\u00e9",
            "D\u00e9cor",
            "Support",
        ]


def test_one_queue_made_twice_at_once_is_one_queue(uow_factory, staff) -> None:
    """``--new-queue Night`` and ``--new-queue night`` at once on PostgreSQL both found no such queue:
    two queues a letter's case apart (the same name twice: the second failed on the key, exit 1)."""
    import threading

    second: dict[str, object] = {}

    def run_second() -> None:
        try:
            with uow_factory("sue") as uow:
                ensure_queue(uow, name="night")
        except InvalidInput as error:
            second["refused"] = error.message

    with uow_factory("sue") as uow:
        ensure_queue(uow, name="Night")
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=1.0)  # the second is now waiting for this one
    thread.join(timeout=30)
    assert str(second.get("refused", "")).startswith("a queue named 'Night' exists already")
    with uow_factory(readonly=True) as uow:
        assert sorted(uow.session.exec(select(Queue.name))) == ["Billing", "Night", "Support"]


def test_one_queue_made_by_two_at_once_is_the_same_queue(uow_factory, staff) -> None:
    """Two pollers' first mails for a new account queue at once: the second failed on the key, exit 1."""
    import threading

    second: dict[str, object] = {}

    def run_second() -> None:
        try:
            with uow_factory("sue") as uow:
                second["id"] = ensure_queue(uow, name="Night").id
        except Exception as error:
            second["error"] = error

    with uow_factory("sue") as uow:
        first = ensure_queue(uow, name="Night").id
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=1.0)  # the second is now waiting for this one
    thread.join(timeout=30)
    assert second == {"id": first}
