"""A modal that picks a file (to attach to a reply) or a directory (to save attachments into).

The path can be typed (``~`` works) or chosen in the listing below: Enter on a folder goes into it
(``..`` up), Enter on a file takes it; Enter in the field takes what is typed, ctrl+s takes the typed
path (the folder shown, when choosing a directory). Returns the path, or None when cancelled with Esc.
Only the folder's names are read here (at most ``MAX_ENTRIES`` listed, the rest counted: type their
name); nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.widgets.one_line_input import OneLineInput

register(
    Command(
        id="file_pick.take",
        key="ctrl+s",
        title="file picker: take",
        help="Take the typed path, or the directory highlighted in the tree.",
        action="take",
        scope="file_pick",
        label="Take",
        priority=True,
    ),
    Command(
        id="file_pick.cancel",
        key="escape",
        title="file picker: cancel",
        help="Close without choosing.",
        action="cancel",
        scope="file_pick",
        label="Cancel",
    ),
)


MAX_ENTRIES = 500


class FilePickScreen(ModalScreen[Path | None]):
    """Choose a ``file`` or a ``directory``, starting from ``start``."""

    COMMAND_SCOPE = "file_pick"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("file_pick")

    def __init__(self, title: str, *, want: Literal["file", "directory"], start: Path | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.want = want
        self.start = (start or Path.home()).expanduser()
        self.folder = self.start

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "Enter open/take · ctrl+s take · Esc cancel"
            yield OneLineInput(
                str(self.start), id="pick-path", placeholder="a path", select_on_focus=False, what="a path"
            )
            yield OptionList(id="pick-list")

    def on_mount(self) -> None:
        self._show(self.start if self.start.is_dir() else self.start.parent)
        self.query_one("#pick-path", Input).focus()

    def _show(self, folder: Path) -> None:
        """List ``folder``: ``..``, its folders, then (when choosing a file) its files."""
        self.folder = folder
        self.query_one("#pick-path", Input).value = str(folder)
        listing = self.query_one("#pick-list", OptionList)
        listing.clear_options()
        options = [Option("..", id="..")] if folder.parent != folder else []
        try:
            entries = sorted(folder.iterdir(), key=lambda path: (not path.is_dir(), path.name.lower()))
        except OSError as error:
            self.notify(f"{folder}: {error.strerror}", severity="warning", markup=False)
            entries = []
        if self.want == "directory":
            entries = [entry for entry in entries if entry.is_dir()]
        for entry in entries[:MAX_ENTRIES]:  # names as they are (saved from mail): never markup
            if entry.is_dir():
                options.append(Option(Text(printable(entry.name) + "/"), id=entry.name))
            else:
                options.append(Option(Text(printable(entry.name)), id=entry.name))
        if len(entries) > MAX_ENTRIES:  # said, not silently left out
            more = f"… {len(entries) - MAX_ENTRIES:,} more not listed: type the name above"
            options.append(Option(Text(more, style="dim italic"), disabled=True))
        listing.add_options(options)

    @on(Input.Submitted, "#pick-path")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        self._take(Path(event.value.strip()).expanduser())

    @on(OptionList.OptionSelected, "#pick-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        name = event.option.id or ""
        path = self.folder.parent if name == ".." else self.folder / name
        if path.is_dir():
            self._show(path)
        else:
            self._take(path)

    def action_take(self) -> None:
        typed = self.query_one("#pick-path", Input).value.strip()
        self._take(Path(typed).expanduser())

    def _take(self, path: Path) -> None:
        wanted_file = self.want == "file"
        if (wanted_file and not path.is_file()) or (not wanted_file and not path.is_dir()):
            self.notify(f"{path}: not a {self.want}", severity="warning", markup=False, timeout=4)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
