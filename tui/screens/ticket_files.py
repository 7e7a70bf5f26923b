"""A ticket's attachments: save one or all to a directory the operator picks, or open one with the
system's viewer. Opening happens only on its key (``o``), never by itself: a file from a stranger is
written to a private temporary directory and handed to ``xdg-open``; where there is no viewer, the
screen says so and offers saving instead.

Listing reads no bytes; saving and opening read them in a thread worker. Saving never writes over a
file (the message says which one exists).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable
from textual.worker import Worker

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import forward_worker_failure
from hotline.tui.widgets.ticket_chronology import human_size

if TYPE_CHECKING:
    from hotline.core.services.attachments import StoredFile
    from hotline.tui.context import ConsoleContext

VIEWER = "xdg-open"

register(
    Command(
        id="ticket_files.save",
        key="s",
        title="attachments: save",
        help="Save the highlighted attachment to a directory you pick.",
        action="save",
        scope="ticket_files",
        label="Save",
    ),
    Command(
        id="ticket_files.save_all",
        key="A",
        title="attachments: save all",
        help="Save every attachment of the ticket to a directory you pick.",
        action="save_all",
        scope="ticket_files",
        label="Save all",
    ),
    Command(
        id="ticket_files.open",
        key="o",
        title="attachments: open",
        help="Open the highlighted attachment with the system's viewer (xdg-open).",
        action="open",
        scope="ticket_files",
        label="Open",
    ),
    Command(
        id="ticket_files.close",
        key="escape",
        title="attachments: close",
        help="Back to the ticket.",
        action="close",
        scope="ticket_files",
        label="Close",
    ),
)


@dataclass
class FilesListed(Message):
    """The ticket's attachments were read (without their bytes)."""

    files: list[Any]


@dataclass
class FilesDone(Message):
    """Attachments were saved or opened; ``text`` says what happened."""

    text: str
    warning: bool = False


class TicketFilesScreen(ModalScreen[None]):
    """The attachments of ticket ``number``."""

    COMMAND_SCOPE = "ticket_files"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("ticket_files")

    def __init__(self, ctx: ConsoleContext, number: int, *, save_to: Path | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.number = number
        self.files: list[StoredFile] = []
        self.save_to = save_to
        """Where the directory picker starts (the last directory saved to)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="files-box") as box:
            box.border_title = f"Attachments of #{self.number}"
            box.border_subtitle = "s save · A save all · o open · Esc close"
            table: DataTable[Text] = DataTable(id="files", cursor_type="row", zebra_stripes=True)
            yield table

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("name", "type", "size")
        table.focus()
        self._list()

    @work(thread=True, exclusive=True, exit_on_error=False, group="files-list")
    def _list(self) -> None:
        from hotline.core.services.attachments import ticket_files

        with self.ctx.uow(readonly=True) as uow:
            files = ticket_files(uow, number=self.number, with_content=False)
        self.post_message(FilesListed(files))

    def on_files_listed(self, message: FilesListed) -> None:
        message.stop()
        self.files = message.files
        table = self.query_one(DataTable)
        table.clear()
        for item in self.files:
            size = human_size(item.size) + ("" if item.stored else " (left out)")
            table.add_row(Text(printable(item.name)), Text(printable(item.content_type)), Text(size))
        if not self.files:
            table.add_row(Text("No attachments.", style="dim"), Text(""), Text(""))
        self.refresh_bindings()

    def on_files_done(self, message: FilesDone) -> None:
        message.stop()
        self.notify(message.text, severity="warning" if message.warning else "information", markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        forward_worker_failure(self, event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "open"):
            return None if self._highlighted() is None else True
        if action == "save_all":
            return None if not self.files else True
        return True

    def _highlighted(self) -> StoredFile | None:
        row = self.query_one(DataTable).cursor_row
        return self.files[row] if self.files and 0 <= row < len(self.files) else None

    def action_close(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        chosen = self._highlighted()
        if chosen is not None:
            self._pick_directory([chosen.name])

    def action_save_all(self) -> None:
        if self.files:
            self._pick_directory(None)

    def _pick_directory(self, names: list[str] | None) -> None:
        from hotline.tui.screens.file_pick import FilePickScreen

        def picked(directory: Path | None) -> None:
            if directory is not None:
                self.save_to = directory
                self._save(names, directory)

        title = f"Save {names[0] if names else 'all attachments'} to"
        self.app.push_screen(FilePickScreen(title, want="directory", start=self.save_to), picked)

    @work(thread=True, exclusive=True, exit_on_error=False, group="files-save")
    def _save(self, names: list[str] | None, directory: Path) -> None:
        from hotline.core.attachment_saving import save_files
        from hotline.core.errors import InvalidInput

        try:
            written = save_files(self._read(names), directory)
        except InvalidInput as refused:  # its ``where`` and hints name the CLI's options (--save, --force)
            self.post_message(FilesDone(f"Nothing was saved: {refused.message}.", warning=True))
            return
        shown = ", ".join(path.name for path in written)
        self.post_message(FilesDone(f"Saved to {directory}: {shown}"))

    def action_open(self) -> None:
        chosen = self._highlighted()
        if chosen is None:
            return
        if shutil.which(VIEWER) is None:
            self.notify(
                "There is no system viewer here (xdg-open): save the file instead (s).",
                severity="warning",
                markup=False,
            )
            return
        self._open(chosen.name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="files-open")
    def _open(self, name: str) -> None:
        from hotline.core.attachment_saving import save_files
        from hotline.core.errors import InvalidInput

        folder = Path(tempfile.mkdtemp(prefix="hotline-open-"))
        try:
            [path] = save_files(self._read([name]), folder)
        except InvalidInput as refused:
            self.post_message(FilesDone(f"Not opened: {refused.message}.", warning=True))
            return
        subprocess.Popen(  # noqa: S603 - a fixed program and a path we wrote
            [VIEWER, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.post_message(FilesDone(f"Opened {path.name} with the system viewer."))

    def _read(self, names: list[str] | None) -> list[StoredFile]:
        from hotline.core.services.attachments import ticket_files

        with self.ctx.uow(readonly=True) as uow:
            if names is None:
                return ticket_files(uow, number=self.number)
            return [item for name in names for item in ticket_files(uow, number=self.number, name=name)]
