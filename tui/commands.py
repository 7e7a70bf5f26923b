"""The command registry: every console command is declared once, here or in its screen's module.

A ``Command`` names its binding id, key, palette title, help text and action. Bindings (``bindings_for``),
the footer, the command palette (``CommandsProvider``) and the help screen all derive from the registry,
so a key can never be documented in one place and bound differently in another.

A screen module declares its commands at import with ``register`` and binds them with
``BINDINGS = bindings_for("scope")``; the screen class sets ``COMMAND_SCOPE = "scope"`` so the help
screen and the palette know which commands apply to it. Commands of scope ``"app"`` apply everywhere.

Actions are Textual action strings run on the screen (``"log_call"`` → ``action_log_call``) or on the app
(``"app.open_queues"``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from textual.screen import Screen

APP_SCOPE = "app"


@dataclass(frozen=True)
class Command:
    """One thing an operator can do: its binding id, key(s), title, help text and action."""

    id: str
    """Unique binding id, ``scope.verb_noun`` (also what a user keymap would refer to)."""
    key: str
    """Textual key spec; several keys comma-separated (``"f1,question_mark"``)."""
    title: str
    """Namespaced palette title, ``"client: log a call"``."""
    help: str
    """One sentence for the help screen and the palette."""
    action: str
    """Textual action string, run with the screen as default namespace."""
    scope: str = APP_SCOPE
    """The screen's ``COMMAND_SCOPE`` this command belongs to, or ``"app"``."""
    label: str = ""
    """Short footer label; defaults to the title after its namespace."""
    show: bool = True
    """Shown in the footer."""
    priority: bool = False
    """Binding fires even when an input has focus (only for function keys and ctrl combos)."""
    in_palette: bool = True
    """Listed in the command palette (keys such as ``escape`` or ``enter`` are not)."""

    @property
    def footer_label(self) -> str:
        return self.label or self.title.split(": ", 1)[-1]

    @property
    def key_display(self) -> str:
        """The keys as an operator reads them: ``F1 / ?``."""
        return " / ".join(_display_key(key) for key in self.key.split(","))

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.footer_label,
            show=self.show,
            priority=self.priority,
            id=self.id,
            tooltip=self.help,
        )


_REGISTRY: dict[str, Command] = {}
_REGISTERING = threading.Lock()
"""Modules register as they are imported, also on the live-updates thread (it imports the card ahead
of the first ring): one registration at a time, and readers iterate over a copy (``_commands``)."""


def register(*commands: Command) -> tuple[Command, ...]:
    """Declare commands, all or none: an id declared twice differently or a key bound twice in one
    scope is a ``ValueError`` and leaves the registry as it was."""
    with _REGISTERING:
        candidate = dict(_REGISTRY)
        for command in commands:
            existing = candidate.get(command.id)
            if existing is not None and existing != command:
                raise ValueError(f"command id {command.id!r} declared twice differently")
            candidate[command.id] = command
        _check_keys(candidate)
        _REGISTRY.update(candidate)
    return commands


def _commands() -> tuple[Command, ...]:
    """The registered commands (a copy made in one step: another thread may register meanwhile)."""
    return tuple(_REGISTRY.values())


def _check_keys(registry: dict[str, Command]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for command in registry.values():
        for key in command.key.split(","):
            owner = seen.setdefault((command.scope, key.strip()), command.id)
            if owner != command.id:
                raise ValueError(f"key {key!r} bound twice in scope {command.scope!r}: {owner}, {command.id}")


def commands_for(scope: str, *, with_app: bool = False) -> list[Command]:
    """The commands of one scope in declaration order (then the app-wide ones, with ``with_app``)."""
    registered = _commands()
    mine = [c for c in registered if c.scope == scope]
    if with_app and scope != APP_SCOPE:
        mine += [c for c in registered if c.scope == APP_SCOPE]
    return mine


def bindings_for(scope: str) -> list[Binding]:
    """Textual bindings for a screen (or the app) built from the registry."""
    return [command.binding() for command in commands_for(scope)]


def key_hints(screen: Screen[object]) -> str:
    """A one-line reminder of a screen's keys (``Ctrl+S save · Esc cancel``) for a form's border;
    commands the screen says are unavailable now (``check_action``) are left out."""
    return " · ".join(
        f"{command.key_display} {command.footer_label.lower()}"
        for command in commands_for(scope_of(screen))
        if command.show and _allowed(screen, command)
    )


def all_commands() -> list[Command]:
    return list(_commands())


def scope_of(screen: Screen[object]) -> str:
    """The command scope a screen declared (``COMMAND_SCOPE``), or ``""`` for one that declared none."""
    return str(getattr(screen, "COMMAND_SCOPE", ""))


_KEY_NAMES = {
    "question_mark": "?",
    "escape": "Esc",
    "enter": "Enter",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "tab": "Tab",
    "delete": "Del",
    "space": "Space",
}


def _display_key(key: str) -> str:
    parts = []
    for part in key.strip().split("+"):
        if part in _KEY_NAMES:
            parts.append(_KEY_NAMES[part])
        elif re.fullmatch(r"f\d{1,2}", part):
            parts.append(part.upper())
        elif len(part) == 1:
            parts.append(part.upper() if parts else part)
        else:
            parts.append(part.capitalize())
    return "+".join(parts)


class CommandsProvider(Provider):
    """The command palette: the current screen's commands and the app-wide ones, from the registry."""

    def _runnable(self) -> list[Command]:
        screen = self.screen
        commands = commands_for(scope_of(screen) or APP_SCOPE, with_app=True)
        return [c for c in commands if c.in_palette and _allowed(screen, c)]

    async def discover(self) -> Hits:
        for command in self._runnable():
            yield DiscoveryHit(
                command.title, self._runner(command), help=f"{command.key_display} · {command.help}"
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._runnable():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    self._runner(command),
                    help=f"{command.key_display} · {command.help}",
                )

    def _runner(self, command: Command) -> Callable[[], Awaitable[None]]:
        screen = self.screen

        async def run() -> None:
            await screen.app.run_action(command.action, default_namespace=screen)

        return run


def _allowed(screen: Screen[object], command: Command) -> bool:
    """False when the command's owner says the action is unavailable now (``check_action``)."""
    action = command.action
    target: object = screen
    if action.startswith("app."):
        target, action = screen.app, action[4:]
    name = action.split("(", 1)[0]
    check = getattr(target, "check_action", None)
    if check is None:
        return True
    try:
        return check(name, ()) is not False
    except Exception:  # a faulty guard must not break the palette
        return True


APP_COMMANDS = register(
    Command(
        id="app.help",
        key="f1,question_mark",
        title="console: help",
        help="List the keys of the current screen.",
        action="app.show_help",
        label="Help",
    ),
    Command(
        id="app.palette",
        key="ctrl+p",
        title="console: command palette",
        help="Search every command of this screen by name.",
        action="app.command_palette",
        label="Commands",
        show=False,
        priority=True,
        in_palette=False,
    ),
    Command(
        id="app.home",
        key="f2",
        title="console: lookup",
        help="Go back to the home screen and its lookup box.",
        action="app.go_home",
        label="Lookup",
        priority=True,
    ),
    Command(
        id="app.queues",
        key="f3",
        title="console: ticket queues",
        help="Open the ticket queues.",
        action="app.open_queues",
        label="Queues",
        priority=True,
    ),
    Command(
        id="app.kb",
        key="f6",
        title="console: knowledge base",
        help="Search the knowledge base from any screen.",
        action="app.open_kb",
        label="KB",
        priority=True,
    ),
    Command(
        id="app.wallboard",
        key="f7",
        title="console: wallboard",
        help="The supervisors' live wallboard: queues, SLA today, operators, calls per hour.",
        action="app.open_wallboard",
        label="Wallboard",
        priority=True,
        show=False,  # for supervisors: in the help and the palette, not in every operator's footer
    ),
    Command(
        id="app.client_list",
        key="f8",
        title="console: client lists",
        help="Clients by group, tag, source, campaign, birthday or silence; groups with ctrl+g.",
        action="app.open_client_list",
        label="Clients",
        priority=True,
        show=False,
    ),
    Command(
        id="app.missed_calls",
        key="f9",
        title="console: missed calls",
        help="Screen pops no console showed while the caller was on the line; open the caller from there.",
        action="app.open_missed_calls",
        label="Missed",
        show=False,
        priority=True,
    ),
    Command(
        id="app.quit",
        key="ctrl+q",
        title="console: quit",
        help="Leave the console.",
        action="app.quit",
        label="Quit",
        priority=True,
    ),
)
