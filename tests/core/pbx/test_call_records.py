"""Call records: idempotent by the PBX's call id, brought up to date, linked to the operator's logged call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from hotline.core.errors import InvalidInput, NotFound
from hotline.core.models import CallRecord, Interaction
from hotline.core.models.enums import Direction
from hotline.core.services.call_records import CallFacts, note_unlogged_call, record_call, unlogged_calls
from hotline.core.services.interactions import log_call
from tests.conftest import TEST_NOW
from tests.pbx_samples import seed_pbx


@pytest.fixture
def anna(uow_factory) -> int:
    with uow_factory() as uow:
        return seed_pbx(uow)


def facts(**changes) -> CallFacts:
    base = {
        "pbx_call_id": "1763881200.1",
        "source": "ami",
        "direction": Direction.IN,
        "number": "89161234567",
        "started_at": TEST_NOW,
        "operator_login": "olga",
    }
    return CallFacts(**(base | changes))


def test_a_call_is_recorded_once_and_filled_in_until_it_ends(uow_factory, anna) -> None:
    with uow_factory() as uow:
        first = record_call(uow, facts=facts(state="ringing"), default_region="RU")
        assert first.created and first.record.client_id == anna
    answered = TEST_NOW + timedelta(seconds=5)
    ended = TEST_NOW + timedelta(seconds=197)
    with uow_factory() as uow:
        up = record_call(uow, facts=facts(state="up", answered_at=answered), default_region="RU")
        assert (up.created, up.changed) == (False, True)
        # A late "ringing" report does not move the call back.
        assert not record_call(uow, facts=facts(state="ringing"), default_region="RU").changed
    with uow_factory() as uow:
        done = facts(
            state="ended", ended_at=ended, duration_seconds=192, recording="rec/1.wav", outcome="answered"
        )
        assert record_call(uow, facts=done, default_region="RU").changed
    with uow_factory() as uow:
        replay = record_call(
            uow, facts=facts(state="ended", duration_seconds=5, outcome="busy"), default_region="RU"
        )
        assert not replay.changed
        rows = list(uow.session.exec(select(CallRecord)))
    assert len(rows) == 1
    row = rows[0]
    assert (row.state, row.answered_at, row.ended_at, row.duration_seconds, row.recording, row.outcome) == (
        "ended",
        answered,
        ended,
        192,
        "rec/1.wav",
        "answered",
    )


def test_bad_facts_are_refused_naming_the_field(uow_factory, anna) -> None:
    with pytest.raises(InvalidInput, match="call id"), uow_factory() as uow:
        record_call(uow, facts=facts(pbx_call_id="\x1b[31m"), default_region="RU")
    with pytest.raises(InvalidInput, match="answered_at"), uow_factory() as uow:
        record_call(uow, facts=facts(answered_at=TEST_NOW - timedelta(seconds=1)), default_region="RU")
    with pytest.raises(NotFound), uow_factory() as uow:
        record_call(uow, facts=facts(operator_login="nobody"), default_region="RU")
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(func.count()).select_from(CallRecord)).one() == 0


def test_the_unique_call_id_holds_in_the_database(uow_factory, anna) -> None:
    """Two listeners racing: the second insert of one call id is refused by the database itself."""
    from sqlalchemy.exc import IntegrityError

    with uow_factory() as uow:
        record_call(uow, facts=facts(), default_region="RU")
    with uow_factory() as uow:
        row = uow.session.exec(select(CallRecord)).one()
        uow.session.add(CallRecord(**row.model_dump(exclude={"id"})))
        with pytest.raises(IntegrityError):
            uow.session.flush()
        uow.session.rollback()


def test_an_unlogged_call_gets_a_note_and_a_logged_call_the_real_duration(uow_factory, anna) -> None:
    done = facts(state="ended", ended_at=TEST_NOW + timedelta(seconds=70), duration_seconds=64)
    with uow_factory() as uow:
        record_call(uow, facts=done, default_region="RU")
    with uow_factory("olga") as uow:
        [unlogged] = unlogged_calls(uow, client_id=anna)
        interaction = note_unlogged_call(uow, call_record_id=unlogged.id, notes="asked about the invoice")
        assert (interaction.duration_seconds, interaction.started_at) == (64, TEST_NOW)
    with uow_factory("olga") as uow:
        assert unlogged_calls(uow, client_id=anna) == []
    # Olga logs the next call by hand (guessing 60 s) a minute after it started; the PBX's end comes later.
    later = TEST_NOW + timedelta(hours=1)
    with uow_factory("olga") as uow:
        logged = log_call(
            uow,
            client_id=anna,
            direction=Direction.IN,
            duration_seconds=60,
            outcome="ok",
            started_at=later + timedelta(minutes=1),
        )
    with uow_factory() as uow:
        second = facts(pbx_call_id="2", state="ended", started_at=later, duration_seconds=311)
        assert record_call(uow, facts=second, default_region="RU").record.interaction_id == logged.id
    with uow_factory(readonly=True) as uow:
        assert uow.session.get(Interaction, logged.id).duration_seconds == 311
        assert unlogged_calls(uow, client_id=anna) == []


def test_a_finished_call_logged_afterwards_is_linked_from_the_console_side(uow_factory, anna) -> None:
    with uow_factory() as uow:
        record_call(uow, facts=facts(state="ended", duration_seconds=42), default_region="RU")
    with uow_factory("olga") as uow:
        logged = log_call(
            uow,
            client_id=anna,
            direction=Direction.IN,
            duration_seconds=None,
            outcome="ok",
            started_at=TEST_NOW + timedelta(minutes=5),
        )
    with uow_factory(readonly=True) as uow:
        assert uow.session.get(Interaction, logged.id).duration_seconds == 42
        assert unlogged_calls(uow, client_id=anna) == []
    # Ivan's call is not Olga's: never linked to another operator's record.
    with uow_factory() as uow:
        record_call(
            uow, facts=facts(pbx_call_id="3", state="ended", operator_login="ivan"), default_region="RU"
        )
    with uow_factory("olga") as uow:
        log_call(
            uow, client_id=anna, direction=Direction.IN, duration_seconds=9, outcome="ok", started_at=TEST_NOW
        )
    with uow_factory(readonly=True) as uow:
        assert [r.pbx_call_id for r in unlogged_calls(uow, client_id=anna)] == ["3"]


def test_a_call_whose_hang_up_never_came_is_ended_as_lost(uow_factory, anna) -> None:
    from hotline.core.clock import FixedClock
    from hotline.core.services.call_records import end_stale_calls

    with uow_factory() as uow:
        record_call(uow, facts=facts(state="up", answered_at=TEST_NOW), default_region="RU")
        record_call(
            uow,
            facts=facts(pbx_call_id="fresh", state="ringing", started_at=TEST_NOW + timedelta(hours=11)),
            default_region="RU",
        )
    later = FixedClock(TEST_NOW + timedelta(hours=13))
    with uow_factory(clock_=later) as uow:
        assert end_stale_calls(uow) == 1
    with uow_factory(readonly=True) as uow:
        states = {r.pbx_call_id: (r.state, r.outcome) for r in uow.session.exec(select(CallRecord))}
        assert states == {"1763881200.1": ("ended", "lost"), "fresh": ("ringing", None)}
        assert [r.pbx_call_id for r in unlogged_calls(uow, client_id=anna)] == ["1763881200.1"]


def test_two_operators_noting_one_unlogged_call_at_once_log_it_once(uow_factory, anna) -> None:
    """On PostgreSQL both read the call as unlogged and each logged it: two calls on the timeline for one
    PBX call. Olga's transaction stays open a second; Ivan starts within it and now finds it logged."""
    import threading
    import time

    from hotline.core.errors import Conflict

    done = facts(state="ended", ended_at=TEST_NOW + timedelta(seconds=70), duration_seconds=64)
    with uow_factory() as uow:
        record_id = record_call(uow, facts=done, default_region="RU").record.id
    olga_noted = threading.Event()
    outcomes: dict[str, object] = {}

    def note(login: str) -> None:
        try:
            with uow_factory(login) as uow:
                if login == "ivan":
                    assert olga_noted.wait(10)
                note_unlogged_call(uow, call_record_id=record_id, notes=f"{login}'s note")
                if login == "olga":
                    olga_noted.set()
                    time.sleep(1.0)  # still uncommitted while Ivan reads and notes
            outcomes[login] = "logged"
        except Exception as error:  # the outcome is what the test checks
            outcomes[login] = error

    threads = [threading.Thread(target=note, args=(login,)) for login in ("olga", "ivan")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes["olga"] == "logged"
    assert isinstance(outcomes["ivan"], Conflict), outcomes
    with uow_factory(readonly=True) as uow:
        [logged] = uow.session.exec(select(Interaction)).all()
        assert uow.session.get(CallRecord, record_id).interaction_id == logged.id


def test_a_call_up_for_more_than_a_day_on_ami_is_recorded_as_it_was(uow_factory, anna) -> None:
    """A 25-hour AMI call: the tracker forgot it after 12 hours (its hang-up then wrote nothing) and its
    talk time was refused as over a day when it hung up; the record stayed "up" and a listener's start
    later ended it as ``lost``. The PBX's own answer and hang-up times are the call as it was."""
    from hotline.core.pbx.ami import parse_message
    from hotline.core.pbx.ami_calls import CallTracker
    from tests.pbx.ami_captures import INBOUND_ANSWERED, render
    from tests.pbx_samples import EXTENSIONS

    tracker = CallTracker(extensions=EXTENSIONS)
    wire = render(INBOUND_ANSWERED, call_id="1795417200.9")
    cut = wire.index(b"Event: Hangup")
    ends_at = TEST_NOW + timedelta(hours=25)
    actions = []
    for part, now in ((wire[:cut], TEST_NOW), (wire[cut:], ends_at)):
        if now == ends_at:
            assert tracker.forget_older_than(now - timedelta(hours=12)) == 0  # an answered call stays
        for block in part.split(b"\r\n\r\n"):
            if block.strip():
                actions += tracker.feed(parse_message(block), now=now)
    ended = [a for a in actions if isinstance(a, CallFacts) and a.state == "ended"]
    assert len(ended) == 1
    with uow_factory() as uow:
        record = record_call(uow, facts=ended[0], default_region="RU").record
    talk = round((ends_at - (TEST_NOW + timedelta(seconds=5))).total_seconds())
    assert (record.state, record.outcome, record.duration_seconds) == ("ended", "answered", talk)
    with uow_factory() as uow, pytest.raises(InvalidInput, match="duration"):  # a reported day-plus stays out
        record_call(uow, facts=facts(pbx_call_id="x", duration_seconds=talk), default_region="RU")


def test_a_call_never_answered_is_still_forgotten_after_12_hours() -> None:
    from hotline.core.pbx.ami import parse_message
    from hotline.core.pbx.ami_calls import CallTracker
    from tests.pbx.ami_captures import INBOUND_ANSWERED, render
    from tests.pbx_samples import EXTENSIONS

    tracker = CallTracker(extensions=EXTENSIONS)
    wire = render(INBOUND_ANSWERED, call_id="1795417200.8")
    for block in wire[: wire.index(b"Event: DialEnd")].split(b"\r\n\r\n"):
        if block.strip():
            tracker.feed(parse_message(block), now=TEST_NOW)
    assert tracker.forget_older_than(TEST_NOW + timedelta(hours=1)) == 1


def test_a_call_answered_before_the_listener_restarted_ends_answered_with_its_talk_time(
    uow_factory, anna
) -> None:
    """The listener restarted during a call (a deploy): the new one saw only the hang-up, knew of no
    answer, and the record, up since the answer, was ended as "no_answer" with no talk time. The answer
    the record holds is the call's: the hang-up ends it answered, with the time from that answer."""
    from hotline.core.pbx.ami import parse_message
    from hotline.core.pbx.ami_calls import CallTracker
    from tests.pbx.ami_captures import INBOUND_ANSWERED, render

    call_id = "1795417200.5"
    blocks = [block for block in render(INBOUND_ANSWERED, call_id=call_id).split(b"\r\n\r\n") if block]
    cut = next(i for i, block in enumerate(blocks) if b"Event: Hangup" in block)
    before, after = CallTracker(extensions={"101": "olga"}), CallTracker(extensions={"101": "olga"})
    for tracker, part in ((before, blocks[:cut]), (after, blocks[cut:])):
        for block in part:
            for action in tracker.feed(parse_message(block), now=TEST_NOW):
                if isinstance(action, CallFacts):
                    with uow_factory() as uow:
                        record_call(uow, facts=action, default_region="RU")
    with uow_factory() as uow:
        [row] = list(uow.session.exec(select(CallRecord)))
        assert (row.state, row.outcome, row.operator_login) == ("ended", "answered", "olga")
        assert row.duration_seconds == 192 and row.answered_at == TEST_NOW + timedelta(seconds=5)
