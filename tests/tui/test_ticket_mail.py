"""Issue 14 in the console: a reply with files picked in the form, said to be queued (not sent); a
reply refused when no mail account can send it, the draft kept; the chronology following the mail
queued → sent → failed as the outbox changes; the ticket's attachments saved to a picked directory
or opened with the system viewer only on its key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input, OptionList, Static, TextArea

from hotline.core.db import UnitOfWork
from hotline.core.models import Attachment, OutboxMessage, TicketEvent
from hotline.core.models.enums import EventKind
from hotline.core.services.mail.delivery import mark_failed_attempt, mark_sent
from hotline.core.services.tickets import add_event, get_ticket
from hotline.tui.commands import commands_for
from hotline.tui.screens import ticket_files
from hotline.tui.screens.file_pick import MAX_ENTRIES, FilePickScreen
from hotline.tui.screens.ticket_files import TicketFilesScreen
from hotline.tui.screens.ticket_reply import TicketTextScreen
from hotline.tui.widgets.delivery_watch import DeliveryWatch
from tests.tui.conftest import console_settings, wait_for_workers
from tests.tui.test_ticket import chronology_text, open_ticket
from tests.tui.test_untrusted_and_errors import screen_text

pytestmark = pytest.mark.both_backends  # live updates and other connections' writes


def seed_files(engine, clock, number: int) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        ticket = get_ticket(uow, number=number)
        event = add_event(
            uow, ticket=ticket, kind=EventKind.MESSAGE_IN, body="See files.", author="a@example.com"
        )
        uow.session.add(
            Attachment(
                event_id=event.id,
                filename="счёт.pdf",
                content_type="application/pdf",
                size=4,
                content=b"%PDF",
            )
        )
        uow.session.add(
            Attachment(
                event_id=event.id,
                filename="../../evil\x1b.sh",
                content_type="text/x-sh",
                size=2,
                content=b"rm",
            )
        )


async def _type_path(app, pilot, settle, path: Path) -> None:
    assert isinstance(app.screen, FilePickScreen)
    field = app.screen.query_one("#pick-path", Input)
    field.value = str(path)
    field.focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_a_reply_with_a_picked_file_is_queued_and_says_so(
    world, console, settle, engine, clock, tmp_path
):
    upload = tmp_path / "акт сверки.xlsx"
    upload.write_bytes(b"PK\x03\x04 sheet")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TicketTextScreen)
        form.query_one(TextArea).insert("The reconciliation is attached.")
        await pilot.press("ctrl+o")
        await settle(pilot)
        await _type_path(app, pilot, settle, upload)
        assert app.screen is form and form.files == (upload,)
        assert "акт сверки.xlsx" in str(form.query_one("#attached", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        messages = [n.message for n in app._notifications]
        assert any("reply queued with 1 attachment(s) (not sent yet" in m for m in messages)
        assert not any("reply sent" in m for m in messages)
        assert "mail: queued" in chronology_text(screen)
        assert "акт сверки.xlsx" in chronology_text(screen)
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        reply = uow.session.exec(select(TicketEvent).where(TicketEvent.kind == "message_out")).one()
        [stored] = uow.session.exec(select(Attachment).where(Attachment.event_id == reply.id)).all()
    assert (stored.filename, stored.content) == ("акт сверки.xlsx", b"PK\x03\x04 sheet")


async def test_with_no_mail_account_the_reply_is_refused_and_the_draft_kept(
    world, console, settle, engine, clock
):
    app = console(settings=console_settings(mail=False))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("We fixed it.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        banner = str(screen.query_one("#ticket-conflict", Static).render())
        assert "no mail account is configured" in banner and "draft" in banner
        assert screen.drafts["reply"] == "We fixed it."
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == "We fixed it."
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        assert uow.session.exec(select(OutboxMessage)).first() is None
        assert uow.session.exec(select(TicketEvent).where(TicketEvent.kind == "message_out")).first() is None


async def test_the_chronology_follows_the_mail_from_queued_to_sent_and_failed(
    world, console, settle, engine, clock
):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("First answer.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "mail: queued" in chronology_text(screen)
        screen.query_one(DeliveryWatch).poll()
        await settle(pilot)
        with UnitOfWork(engine, clock=clock) as uow:
            row = uow.session.exec(select(OutboxMessage)).one()
            mark_sent(uow, outbox_id=row.id)
        screen.query_one(DeliveryWatch).poll()  # what its timer does every two seconds
        await settle(pilot)
        assert "→ sent" in chronology_text(screen)
        with UnitOfWork(engine, clock=clock) as uow:
            row = uow.session.exec(select(OutboxMessage)).one()
            row.status = "pending"
            mark_failed_attempt(uow, outbox_id=row.id, error="550 5.1.1 mailbox unavailable", permanent=True)
        screen.query_one(DeliveryWatch).poll()
        await settle(pilot)
        assert "failed" in chronology_text(screen)
        assert "550 5.1.1 mailbox unavailable" in chronology_text(screen)


async def test_attachments_are_saved_to_a_picked_directory_and_opened_only_on_their_key(
    world, console, settle, engine, clock, tmp_path, monkeypatch
):
    seed_files(engine, clock, world.ticket_number)
    opened: list[list[str]] = []
    monkeypatch.setattr(ticket_files.subprocess, "Popen", lambda args, **_: opened.append(args))
    monkeypatch.setattr(ticket_files.shutil, "which", lambda name: f"/usr/bin/{name}")
    target = tmp_path / "saved"
    target.mkdir()
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("f")
        await settle(pilot)
        files = app.screen
        assert isinstance(files, TicketFilesScreen)
        assert [item.name for item in files.files] == ["счёт.pdf", "evil.sh"]
        assert opened == []  # nothing opens by itself
        await pilot.press("A")
        await settle(pilot)
        await _type_path(app, pilot, settle, target)
        assert sorted(path.name for path in target.iterdir()) == ["evil.sh", "счёт.pdf"]
        assert (target / "счёт.pdf").read_bytes() == b"%PDF"
        await pilot.press("s")
        await settle(pilot)
        await _type_path(app, pilot, settle, target)
        # worded for the console: the CLI's --save and --force were named here
        [refused] = [n.message for n in app._notifications if "already exists" in n.message]
        assert refused == f"Nothing was saved: {target / 'счёт.pdf'}: already exists."
        await pilot.press("o")
        await settle(pilot)
        [[viewer, path]] = opened
        assert viewer == "xdg-open" and path.endswith("счёт.pdf") and Path(path).read_bytes() == b"%PDF"
        assert files.query_one(DataTable).row_count == 2


async def test_without_a_system_viewer_open_says_so(world, console, settle, engine, clock, monkeypatch):
    seed_files(engine, clock, world.ticket_number)
    monkeypatch.setattr(ticket_files.shutil, "which", lambda name: None)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("f", "o")
        await settle(pilot)
        assert any("no system viewer" in n.message for n in app._notifications)


def _ticket_then(number: int, *keys: str):
    async def run_before(pilot) -> None:
        for _ in range(4):
            await pilot.pause()
            await wait_for_workers(pilot.app)
        pilot.app.open_ticket(number)
        for key in ("", *keys):
            if key:
                await pilot.press(key)
            for _ in range(4):
                await pilot.pause()
                await wait_for_workers(pilot.app)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_attachments_at_80x24(backend, world, console, engine, clock, snap_compare):
    seed_files(engine, clock, world.ticket_number)
    assert snap_compare(console(), terminal_size=(80, 24), run_before=_ticket_then(world.ticket_number, "f"))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_delivery_statuses_at_80x24(backend, world, console, engine, clock, snap_compare):
    from hotline.core.services.mail.sending import MailSending
    from hotline.core.services.tickets import reply_ticket

    sending = MailSending.from_settings(console_settings())
    for body in ("Sent answer.", "Bounced answer.", "Queued answer."):
        with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
            reply_ticket(
                uow, number=world.ticket_number, expected_version=None, body=body, sla=None, sending=sending
            )
    with UnitOfWork(engine, clock=clock) as uow:
        first, second, _ = uow.session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        mark_sent(uow, outbox_id=first.id)
        mark_failed_attempt(
            uow,
            outbox_id=second.id,
            error="550 5.1.1 <ivanov@example.com>: mailbox unavailable",
            permanent=True,
        )
    assert snap_compare(console(), terminal_size=(80, 24), run_before=_ticket_then(world.ticket_number))


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_file_picker_shows_names_with_brackets_as_they_are(
    backend, world, console, settle, tmp_path, monkeypatch
):
    """Files saved from mail keep their senders' names: 'report [final].pdf' was listed as 'report .pdf'
    a name with '[link=x:y]' crashed the console (MarkupError) when the reply's ctrl+o listed its folder, and
    one with '[@click=app.quit]' quit it when clicked."""
    home = tmp_path / "home"
    home.mkdir()
    for name in ("report [final].pdf", "[link=x:y]a.pdf", "[@click=app.quit]q.pdf"):
        (home / name).write_bytes(b"x")
    monkeypatch.setenv("HOME", str(home))  # where the picker starts
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        listing = app.screen.query_one("#pick-list", OptionList)
        shown = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert shown == ["..", "[@click=app.quit]q.pdf", "[link=x:y]a.pdf", "report [final].pdf"]
        await pilot.pause()
        assert "report [final].pdf" in screen_text(app)


def test_the_key_that_queues_a_reply_never_calls_it_sent():
    """ctrl+s in the reply was 'Send' in the help and the palette ('Send the reply'): it only queues it."""
    [save] = [command for command in commands_for("ticket_text") if command.key == "ctrl+s"]
    words = f"{save.title} {save.help} {save.footer_label}".lower()
    assert "queue" in save.footer_label.lower() and "send the" not in words


async def test_the_file_picker_says_how_many_names_it_did_not_list(
    world, console, settle, tmp_path, monkeypatch
):
    """A folder of 502 files listed 500 and said nothing: the last two could not be found in it."""
    home = tmp_path / "home"
    home.mkdir()
    for index in range(MAX_ENTRIES + 2):
        (home / f"scan {index:04d}.pdf").write_bytes(b"x")
    monkeypatch.setenv("HOME", str(home))
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        listing = app.screen.query_one("#pick-list", OptionList)
        last = listing.get_option_at_index(listing.option_count - 1)
        assert listing.option_count == 1 + MAX_ENTRIES + 1  # .., the files, the count of the rest
        assert str(last.prompt) == "… 2 more not listed: type the name above" and last.disabled
        await _type_path(app, pilot, settle, home / "scan 0501.pdf")  # the unlisted one, typed
        assert app.screen.files == (home / "scan 0501.pdf",)


async def test_a_file_larger_than_a_mail_is_refused_before_it_is_read(
    world, console, settle, engine, clock, tmp_path, monkeypatch
):
    """A 4 GB film picked by mistake was read whole into the console's memory before the mail's size
    limit refused it (the machine swapped, mid-call); it is refused from its size on disk, unread."""
    film = tmp_path / "holiday.mkv"
    with film.open("wb") as sparse:
        sparse.truncate(4 * 1024**3)
    read: list[Path] = []
    real_read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: read.append(path) or real_read(path))
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        form.query_one(TextArea).insert("The photos.")
        await pilot.press("ctrl+o")
        await settle(pilot)
        await _type_path(app, pilot, settle, film)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and read == []
        banner = str(screen.query_one("#ticket-conflict", Static).render())
        assert "holiday.mkv is 4,294,967,296 bytes, over the 10,485,760-byte limit of a mail" in banner
        assert screen.drafts["reply"] == "The photos." and screen.draft_files == (film,)
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        assert uow.session.exec(select(OutboxMessage)).first() is None
