"""A shift in tmux: the real console on a demo database, 30 calls played with keys sent at zero delay.

Screen pops come from ``hotline call incoming --wait`` (known, unknown and shared numbers): a known
caller's ring goes through a resident ``hotline call listen`` (as a phone system is set up), the others
run the whole program cold (which took most of each call's time under load). Some callers
are found by typing in the lookup box, each call is logged with a note, one caller gets a ticket (with a
note on it), one a reminder. Every burst of keys (``c``, the note, ``ctrl+s``, ``Esc``…) goes to tmux in
one command, with no pause between keys. At the end the database holds exactly the expected calls, every
character of every note, the ticket, its note and the reminder; each popped call's duration runs from the
ring to its ctrl+s, however late the loaded console got to that key; a pop older than the limit when the
console started was never shown as a live call.

The script waits, like an operator, for what it types at: the form, the whose-card choice, the popped
card (with its call timer: a call found in the lookup just before may be the same client's), and for
the end of each popped call (its card closed, Home with nothing over it; an unknown caller's call in the
database first, as Home shows for a moment between the new-client form and the card it opens). It does
not wait after a lookup's keys: the next call rings while they wait their turn. A failure prints the
screen, the script beside the database, and the console's key trace: the script writes a line into the
trace as each call begins, and the failing call's part of the trace (with the call before it) is printed
whole, however long the shift's trace. Skipped (loudly) without tmux.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models import Client, ClientPhone, Interaction, Reminder, Ticket
from hotline.core.models.screen_pop import ScreenPop
from hotline.core.models.tickets import TicketEvent
from tests.e2e.test_console_tmux import HOTLINE, Tmux, clean_env, run_hotline

pytestmark = pytest.mark.tmux

OPERATOR = "a.ivanova"
MAX_POP_AGE_SECONDS = 3.0
HOME = "Phone, name, email"
NEW_CLIENT_FORM = "─ New client ─"
SHIFT_DEADLINE_SECONDS = 60
"""How long one step may take: the console under load 13 took 20 s to open a ticket form and type in it."""


@dataclass
class Call:
    """One call of the script and what it should leave in the database."""

    kind: str  # known, unknown, shared, lookup
    number: str
    note: str
    client_ids: set[int] = field(default_factory=set)
    """Who the call may be logged on (a shared number: any of its owners; unknown: filled in later)."""
    names: list[str] = field(default_factory=list)
    """Their names as the card shows them (the first 20 characters)."""
    new_name: str = ""
    extra: str = ""  # "ticket" or "reminder"
    rang_at: datetime | None = None
    saved_at: datetime | None = None


class CallFailed(AssertionError):
    """A check of one call of the script failed: its trace (and the call before it) is the one to read."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"call {index:02d}: {message}")
        self.index = index


CALL_MARK = "SCRIPT call "
"""How a line the script writes into the console's key trace begins: ``SCRIPT call 14 known +7…``."""


def mark_call(trace: Path, index: int, call: Call) -> None:
    """A line in the console's key trace where call ``index`` begins (on the same monotonic clock)."""
    with trace.open("a", encoding="utf-8") as out:
        out.write(f"{time.monotonic():.3f} {CALL_MARK}{index:02d} {call.kind} {call.number} {call.extra}\n")


def note_for(index: int) -> str:
    """A note with what breaks naive key handling: quotes, brackets, markup, Cyrillic, a percent sign."""
    return f'shift call {index:02d}: "invoice" [b]№{index}[/b] — ёлки, 100% (ok) end{index}'


def plan(url: str) -> list[Call]:
    engine = make_engine(url)
    try:
        with UnitOfWork(engine, readonly=True) as uow:
            phones = uow.session.exec(select(ClientPhone).order_by(ClientPhone.id)).all()
            names = {client.id: client.name for client in uow.session.exec(select(Client)).all()}
    finally:
        engine.dispose()
    owners: dict[str, set[int]] = {}
    raw: dict[str, str] = {}
    for phone in phones:
        owners.setdefault(phone.e164, set()).add(phone.client_id)
        raw.setdefault(phone.e164, phone.raw)
    single = [e164 for e164, ids in owners.items() if len(ids) == 1 and e164.startswith("+7")]
    shared = [e164 for e164, ids in owners.items() if len(ids) > 1]
    assert len(single) >= 24 and len(shared) >= 3, "the demo data changed: not enough numbers"
    calls: list[Call] = []
    for index in range(30):
        note = note_for(index)
        if (index % 10 == 3 and len([c for c in calls if c.kind == "unknown"]) < 4) or index == 29:
            number = f"+7999{index:07d}"
            calls.append(Call("unknown", number, note, new_name=f"Shift Caller {index:02d}"))
        elif index in (5, 15, 25):
            e164 = shared.pop()
            calls.append(Call("shared", e164, note, owners[e164]))
        elif index in (7, 17, 27):
            e164 = single.pop()
            calls.append(Call("lookup", raw[e164], note, owners[e164]))
        else:
            e164 = single.pop()
            extra = "ticket" if index == 10 else "reminder" if index == 20 else ""
            calls.append(Call("known", e164, note, owners[e164], extra=extra))
    for call in calls:
        call.names = [names[client_id][:20] for client_id in sorted(call.client_ids)]
    return calls


def ring(url: str, number: str, runtime: Path) -> subprocess.Popen[str]:
    """What the PBX runs on a ring: ``call incoming --wait`` (exit 0 once a console showed the call),
    handed to the listener whose socket is in ``runtime`` if one serves there, else run cold."""
    return subprocess.Popen(
        [*HOTLINE, "--db", url, "call", "incoming", number, "--operator", OPERATOR, "--wait", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env() | {"XDG_RUNTIME_DIR": str(runtime)},
    )


@dataclass
class Rings:
    """Where rings go: ``warm`` has a listener's socket, ``cold`` none (the whole program runs)."""

    warm: Path
    cold: Path
    log: Path
    listener: subprocess.Popen[bytes] | None = None

    def served(self) -> int:
        return self.log.read_text(encoding="utf-8").count("ring served")


@contextmanager
def listening(url: str, log: Path) -> Iterator[Rings]:
    """``hotline call listen --no-ami`` for the shift's database (stopped with SIGTERM at the end); the
    runtime folders are short-named (a socket's path is at most 107 bytes: a longer one falls back to a
    shared folder, where the cold rings would find the listener too)."""
    with (
        tempfile.TemporaryDirectory(prefix="hl-warm-") as warm,
        tempfile.TemporaryDirectory(prefix="hl-cold-") as cold,
    ):
        with log.open("ab") as err:
            listener = subprocess.Popen(
                [*HOTLINE, "--db", url, "call", "listen", "--no-ami"],
                env=clean_env() | {"XDG_RUNTIME_DIR": warm},
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        try:
            yield Rings(Path(warm), Path(cold), log, listener)
        finally:
            if listener.poll() is None:
                listener.send_signal(signal.SIGTERM)
                try:
                    listener.wait(30)
                except subprocess.TimeoutExpired:
                    listener.kill()
                    listener.wait()


def wait_listening(rings: Rings) -> None:
    deadline = time.monotonic() + SHIFT_DEADLINE_SECONDS
    while "serving rings on" not in rings.log.read_text(encoding="utf-8"):
        gone = rings.listener is not None and rings.listener.poll() is not None
        assert not gone and time.monotonic() < deadline, (
            f"the listener never served:\n{rings.log.read_text()}"
        )
        time.sleep(0.05)


class Shift(Tmux):
    """The console in tmux, with key bursts sent in one tmux command (no delay between keys)."""

    def burst(self, *parts: tuple[str, ...] | str) -> None:
        """Each part: text typed literally (a str) or key names (a tuple), all in one tmux command."""
        args: list[str] = []
        for part in parts:
            if args:
                args.append(";")
            if isinstance(part, str):
                args += ["send-keys", "-t", "console", "-l", part]
            else:
                args += ["send-keys", "-t", "console", *part]
        self(*args)

    trace: Path | None = None
    """The console's key trace (``HOTLINE_KEY_TRACE``): what it has read from the terminal."""

    def escape(self) -> None:
        """Esc in its own write: a terminal reads ESC followed by more bytes as Alt+key (or the start
        of an escape sequence), so it cannot end a burst; the keys before it were sent at zero delay.

        Returns once the console has read it: a write of its own reaches the console a moment after the
        burst, and a ring started meanwhile came first. The console then rightly took the Esc as typed
        after the ring and closed the card that rang (call 18 was logged on the card of the lookup
        before it, call 17's, the Esc read 28 ms after the ring)."""
        read = self.escapes_read()
        self("send-keys", "-t", "console", "Escape")
        deadline = time.monotonic() + SHIFT_DEADLINE_SECONDS
        while self.escapes_read() == read:
            assert time.monotonic() < deadline, "the console never read an Esc"
            time.sleep(0.02)

    def escapes_read(self) -> int:
        """How many Esc keys the console has taken from the terminal so far (its key trace says)."""
        if self.trace is None or not self.trace.exists():
            return 0
        return self.trace.read_text(encoding="utf-8").count("take 'escape' read at")

    def wait_gone(self, text: str) -> None:
        deadline = time.monotonic() + SHIFT_DEADLINE_SECONDS
        while text in self.screen():
            assert time.monotonic() < deadline, f"{text!r} still on screen:\n{self.screen()}"
            time.sleep(0.05)

    def wait_home(self) -> None:
        """Until Home is on top with nothing over it: its lookup box, and no card, form or choice (the
        lookup box shows through a modal form: the new-client form over Home is not Home)."""
        deadline = time.monotonic() + SHIFT_DEADLINE_SECONDS
        while True:
            screen = self.screen()
            if HOME in screen and not any(text in screen for text in OVER_HOME):
                return
            assert time.monotonic() < deadline, f"not back on Home:\n{screen}"
            time.sleep(0.05)


OVER_HOME = ("Timeline", NEW_CLIENT_FORM, "Log a call", "Whose card?")
"""What shows that a card, a form or the whose-card choice is over Home."""


def wait_logged(url: str, call: Call) -> None:
    """Until the call is in the database (its note): the console has saved it."""
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + SHIFT_DEADLINE_SECONDS
        while True:
            with UnitOfWork(engine, readonly=True) as uow:
                if uow.session.exec(select(Interaction.id).where(Interaction.notes == call.note)).first():
                    return
            assert time.monotonic() < deadline, f"the call with the note {call.note!r} never saved"
            time.sleep(0.05)
    finally:
        engine.dispose()


def wait_popped_card(shift: Shift, call: Call) -> None:
    """Until the card the pop opened is on top: the caller's name with the call timer (``● on call``),
    no form over it. The caller's name alone is not enough: a call found in the lookup just before may
    be the same client's (consecutive numbers of the demo often are), and its card, still on screen
    while its keys wait their turn, has no timer; keys sent to it instead of the pop's card log the
    popped call on the lookup's card, or type it into Home's lookup box once that card has closed."""
    deadline = time.monotonic() + SHIFT_DEADLINE_SECONDS
    while True:
        screen = shift.screen()
        card = "● on call" in screen and "Timeline" in screen and "Log a call" not in screen
        if card and any(name in screen for name in call.names):
            return
        assert time.monotonic() < deadline, f"no card for {call.number}:\n{screen}"
        time.sleep(0.05)


def play(shift: Shift, url: str, call: Call, rings: Rings) -> None:
    log_call = (("c",), call.note, ("C-s",))
    if call.kind == "lookup":
        # Home is still on screen when the keys are sent: the next call rings while they wait their turn.
        shift.burst(call.number, ("Enter",), *log_call)
        shift.escape()
        call.saved_at = datetime.now(UTC)
        shift.wait_home()
        return
    call.rang_at = datetime.now(UTC)
    pbx = ring(url, call.number, rings.warm if call.kind == "known" else rings.cold)
    try:
        if call.kind == "unknown":
            shift.wait_for(NEW_CLIENT_FORM, deadline_seconds=SHIFT_DEADLINE_SECONDS)
            shift.burst(call.new_name, ("C-s",), *log_call)
            call.saved_at = datetime.now(UTC)
            shift.escape()
            # Home shows through the form, and alone for a moment between the form and the new client's
            # card: the next ring raced this call's keys (call 14 was logged on this call's new client).
            wait_logged(url, call)
        else:
            if call.kind == "shared":  # whose card? Enter takes the first (the organisation)
                shift.wait_for("Whose card?", deadline_seconds=SHIFT_DEADLINE_SECONDS)
                shift.burst(("Enter",))
            wait_popped_card(shift, call)
            if call.extra == "ticket":
                shift.burst(
                    ("t",),
                    f"Ticket from the shift {call.note}",
                    ("Tab", "Tab", "Tab"),
                    f"Body: {call.note}",
                    ("C-s",),
                    ("n",),
                    f"Ticket note: {call.note}",
                    ("C-s",),
                )
                shift.wait_for("Ticket note: ", deadline_seconds=SHIFT_DEADLINE_SECONDS)
                shift.escape()
                shift.wait_for("Timeline", deadline_seconds=SHIFT_DEADLINE_SECONDS)  # the card again
            elif call.extra == "reminder":
                shift.burst(("r",), ("Tab",), f"Reminder: {call.note}", ("C-s",))
            shift.burst(*log_call)
            call.saved_at = datetime.now(UTC)
            shift.escape()
        shift.wait_home()
    finally:
        out, err = pbx.communicate(timeout=30)
    assert pbx.returncode == 0, f"call incoming {call.number}: {out} {err}"


@pytest.mark.timeout(1500)  # on a loaded machine (load 13 on 2 cores) a shift took 9 minutes
def test_a_shift_of_thirty_calls_at_zero_delay(tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("TMUX NOT INSTALLED: the end-to-end shift test needs tmux")
    url = f"sqlite:///{tmp_path / 'shift.db'}"
    run_hotline(url, "db", "init")
    run_hotline(url, "demo", "--clients", "300")
    calls = plan(url)
    stale_number = "+79990000001"
    stale_at = datetime.now(UTC)
    run_hotline(url, "call", "incoming", stale_number, "--operator", OPERATOR)
    aged = time.monotonic() + MAX_POP_AGE_SECONDS + 0.5
    with listening(url, tmp_path / "listener.log") as rings:
        wait_listening(rings)
        time.sleep(max(0.0, aged - time.monotonic()))  # the console is closed while the pop grows old

        def check() -> None:
            check_database(url, calls, stale_number, stale_at)
            warm = sum(call.kind == "known" for call in calls)
            assert rings.served() == warm, f"{rings.served()} of {warm} rings went through the listener"

        shift_through(tmp_path, url, calls, rings, check)


def shift_through(
    tmp_path: Path, url: str, calls: list[Call], rings: Rings, check: Callable[[], None]
) -> None:
    """The console in tmux, every call of the script played on it, the console quit, then ``check``;
    a failure on the way prints what there is to read."""
    shift = Shift()
    env = clean_env()
    trace = tmp_path / "keys.trace"
    shift.trace = trace
    command = (
        f"HOTLINE_DATABASE_URL={url} HOTLINE_OPERATOR={OPERATOR} XDG_CONFIG_HOME={env['XDG_CONFIG_HOME']}"
        f" HOTLINE_SCREEN_POP_MAX_AGE_SECONDS={MAX_POP_AGE_SECONDS} HOTLINE_KEY_TRACE={trace}"
        f" {' '.join(HOTLINE)}; echo CONSOLE-EXITED-$?; sleep 60"
    )
    shift("new-session", "-d", "-s", "console", "-x", "120", "-y", "36", command)
    started = time.monotonic()
    try:
        shift.wait_for(HOME, deadline_seconds=SHIFT_DEADLINE_SECONDS)
        time.sleep(1)  # long enough for a stale pop to (wrongly) open a card
        assert NEW_CLIENT_FORM not in shift.screen()
        for index, call in enumerate(calls):
            began = time.monotonic()
            mark_call(trace, index, call)
            try:
                play(shift, url, call, rings)
            except AssertionError as error:
                raise CallFailed(index, str(error)) from error
            print(f"call {index:02d} {call.kind:7} played in {time.monotonic() - began:4.1f} s")
        shift.burst(("C-q",))
        shift.wait_for("CONSOLE-EXITED-0", deadline_seconds=SHIFT_DEADLINE_SECONDS)
        check()
    except BaseException as error:
        report_failure(shift, url, calls, trace, error.index if isinstance(error, CallFailed) else None)
        print("LISTENER LOG (its last 20 lines):\n" + "\n".join(rings.log.read_text().splitlines()[-20:]))
        raise
    finally:
        shift.kill()
    print(f"the shift took {time.monotonic() - started:.0f} s")


TRACE_TAIL_LINES = 600
"""The trace printed when no one call failed (the console did not start or quit): its last lines."""


def report_failure(shift: Shift, url: str, calls: list[Call], trace: Path, failed: int | None) -> None:
    """What a failed shift leaves to read (pytest prints it): the console's screen, the script beside
    the database, and the type-ahead gate's trace (every key taken and forwarded, with the screen and
    field it went to: ``tui/key_trace.py``): when call ``failed`` failed, the trace from the start of
    the call before it to the start of the one after it, whole; else the trace's last lines."""
    try:
        print("SCREEN:\n" + shift.screen())
    except BaseException as error:  # the console or tmux is gone
        print(f"SCREEN: none ({error})")
    print("SCRIPT:")
    for index, call in enumerate(calls):
        print(
            f"  {index:02d} {call.kind:7} {call.number} {call.extra} rang {call.rang_at} saved {call.saved_at}"
        )
    engine = make_engine(url)
    try:
        with UnitOfWork(engine, readonly=True) as uow:
            print("DATABASE:")
            logged = uow.session.exec(
                select(Interaction)
                .where(Interaction.notes.startswith("shift call "))  # type: ignore[attr-defined]
                .order_by(Interaction.id)  # type: ignore[arg-type]
            ).all()
            for call in logged:
                print(
                    f"  call {call.id} {(call.notes or '')[:13]!r} on client {call.client_id}"
                    f" from {call.started_at} for {call.duration_seconds} s"
                )
            for pop in uow.session.exec(select(ScreenPop).order_by(ScreenPop.id)).all():  # type: ignore[arg-type]
                print(f"  pop {pop.id} {pop.number} rang {pop.requested_at} taken {pop.consumed_at}")
    finally:
        engine.dispose()
    if trace.exists():
        print_trace(trace.read_text(encoding="utf-8").splitlines(), trace, failed)


def print_trace(lines: list[str], trace: Path, failed: int | None) -> None:
    """The trace of calls ``failed - 1`` and ``failed`` (to the mark of the next call), else its tail."""
    if failed is None:
        shown = lines[-TRACE_TAIL_LINES:]
        print(f"KEY TRACE ({trace}, the last {len(shown)} of {len(lines)} lines):")
    else:
        marks = {int(line.split(CALL_MARK)[1][:2]): at for at, line in enumerate(lines) if CALL_MARK in line}
        first = marks.get(max(failed - 1, 0), 0)
        end = marks.get(failed + 1, len(lines))
        shown = lines[first:end]
        print(
            f"KEY TRACE ({trace}, lines {first + 1}-{end} of {len(lines)}:"
            f" calls {max(failed - 1, 0):02d}-{failed:02d}, call {failed:02d} failed):"
        )
    print("\n".join(shown))


def check_database(url: str, calls: list[Call], stale_number: str, stale_at: datetime) -> None:
    """Every call, ticket, note, reminder and pop of the script in the database; a call's check that
    fails raises ``CallFailed`` with its index (the part of the key trace to print)."""
    engine = make_engine(url)
    try:
        with UnitOfWork(engine, readonly=True) as uow:
            logged = uow.session.exec(
                select(Interaction).where(Interaction.notes.startswith("shift call "))  # type: ignore[attr-defined]
            ).all()
            by_note = {interaction.notes: interaction for interaction in logged}
            for index, call in enumerate(calls):
                try:
                    check_call(uow, call, by_note.get(call.note))
                except AssertionError as error:
                    raise CallFailed(index, f"{call}: {error}") from error
            assert len(logged) == len(calls) == len(by_note), f"{len(logged)} calls logged"
            for index, call in enumerate(calls):
                try:
                    if call.extra == "ticket":
                        check_ticket(uow, call)
                    elif call.extra == "reminder":
                        check_reminder(uow, call)
                except AssertionError as error:
                    raise CallFailed(index, f"its {call.extra}: {error}") from error
            pops = uow.session.exec(select(ScreenPop).order_by(ScreenPop.id)).all()  # type: ignore[arg-type]
            stale = [pop for pop in pops if pop.number == stale_number]
            assert len(stale) == 1 and stale[0].requested_at >= stale_at.replace(microsecond=0)
            assert stale[0].consumed_at is None, "a pop older than the limit was shown as a live call"
            live = [pop for pop in pops if pop.number != stale_number]
            assert len(live) == sum(call.kind != "lookup" for call in calls)
            assert all(pop.consumed_at is not None for pop in live)
    finally:
        engine.dispose()


def check_call(uow: UnitOfWork, call: Call, interaction: Interaction | None) -> None:
    """The call logged once, with its note, on the right client, lasting from the ring to its ctrl+s."""
    assert interaction is not None, "not logged"
    assert (interaction.kind, interaction.direction) == ("call", "in")
    if call.kind == "unknown":
        client = uow.session.get(Client, interaction.client_id)
        assert client is not None and client.name == call.new_name, (
            f"logged on client {interaction.client_id} ({client.name if client else None!r}),"
            f" not on the new client {call.new_name!r}"
        )
        phones = uow.session.exec(select(ClientPhone.e164).where(ClientPhone.client_id == client.id)).all()
        assert phones == [call.number]
    else:
        client = uow.session.get(Client, interaction.client_id)
        assert interaction.client_id in call.client_ids, (
            f"logged on client {interaction.client_id} ({client.name if client else None!r}),"
            f" not on {sorted(call.client_ids)}"
        )
    if call.rang_at is not None and call.saved_at is not None:
        started_at = interaction.started_at
        assert call.rang_at <= started_at <= call.saved_at, f"started at {started_at}"
        expected = (call.saved_at - started_at).total_seconds()
        assert interaction.duration_seconds is not None
        assert abs(interaction.duration_seconds - expected) <= 1.0, (call, interaction)


def check_ticket(uow: UnitOfWork, call: Call) -> None:
    tickets = uow.session.exec(
        select(Ticket).where(Ticket.subject == f"Ticket from the shift {call.note}")
    ).all()
    assert len(tickets) == 1 and tickets[0].client_id in call.client_ids, tickets
    bodies = uow.session.exec(select(TicketEvent.body).where(TicketEvent.ticket_id == tickets[0].id)).all()
    assert f"Body: {call.note}" in bodies and f"Ticket note: {call.note}" in bodies, bodies


def check_reminder(uow: UnitOfWork, call: Call) -> None:
    reminders = uow.session.exec(select(Reminder).where(Reminder.text == f"Reminder: {call.note}")).all()
    assert len(reminders) == 1 and reminders[0].client_id in call.client_ids, reminders
