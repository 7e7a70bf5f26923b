"""Faces change data through the service operations only, never through the steps those are made of.

A face (``cli/``, ``tui/``, ``mailbox/``) may use what core offers it; to write it may not reach below
the service operations: core's private modules (a dotted name with a part starting with ``_``, such as
``hotline.core.services.tickets._chronology`` where ``add_event`` lives), private names, the SLA clock
keeping (``hotline.core.sla.tracking``), the escalation's bulk steps, ``record_audit``, or a database
session's write methods (``session.add``, ``uow.session.execute`` …). The import-linter contract "faces
write only through the service operations" enforces the module half for direct imports; this test also
sees names re-exported by a public module, attributes reached through an imported module, and calls on
sessions. The planted violations below prove that it fails when it should.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[1]
FACES = ("cli", "tui", "mailbox", "pbx")
WRITE_STEP_MODULES = frozenset({"hotline.core.sla.tracking", "hotline.core.escalation.actions"})
"""Public modules that are nevertheless steps of the services (they write without a version or audit)."""
WRITE_STEP_NAMES = frozenset({("hotline.core.services.audit", "record_audit")})
SESSION_WRITES = frozenset(
    {
        "add",
        "add_all",
        "delete",
        "merge",
        "flush",
        "commit",
        "execute",
        "exec",
        "bulk_save_objects",
        "bulk_insert_mappings",
        "bulk_update_mappings",
    }
)


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def _module_reason(module: str) -> str | None:
    if _private(module):
        return f"{module} is private to core"
    if module in WRITE_STEP_MODULES:
        return f"{module} is a step below the service operations"
    return None


def _is_module(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError):
        return False


def _name_reason(module: str, name: str) -> str | None:
    """Why ``module.name`` is out of a face's reach (None: it is not)."""
    if reason := _module_reason(module):
        return reason
    if name.startswith("_") and not name.startswith("__"):
        return f"{module}.{name} is private"
    target = getattr(importlib.import_module(module), name, None)
    if isinstance(target, ModuleType):
        return _module_reason(target.__name__)
    home = getattr(target, "__module__", None)
    if isinstance(home, str) and home.startswith("hotline.core") and (reason := _module_reason(home)):
        return f"{module}.{name} is {home}.{name}: {reason}"
    if (module, name) in WRITE_STEP_NAMES or (home, name) in WRITE_STEP_NAMES:
        return f"{name} writes without the service operation around it"
    return None


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


class _Checker(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.modules: dict[str, str] = {}
        """Local names bound to core modules (``tickets`` → ``hotline.core.services.tickets``)."""
        self.found: list[Violation] = []

    def _report(self, node: ast.AST, reason: str | None) -> None:
        if reason:
            self.found.append(Violation(self.path, getattr(node, "lineno", 0), reason))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith("hotline.core"):
                self._report(node, _module_reason(alias.name))
                local = alias.asname or alias.name.split(".")[0]
                self.modules[local] = alias.name if alias.asname else local

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not module.startswith("hotline.core"):
            return
        for alias in node.names:
            submodule = f"{module}.{alias.name}"
            if _is_module(submodule):
                self._report(node, _module_reason(submodule))
                self.modules[alias.asname or alias.name] = submodule
            else:
                self._report(node, _name_reason(module, alias.name))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = _dotted(node)
        if chain is None or chain[0] not in self.modules:
            self.generic_visit(node)
            return
        parts = [*self.modules[chain[0]].split("."), *chain[1:]]
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module.startswith("hotline.core") and _is_module(module):
                self._report(node, _name_reason(module, parts[cut]))
                return

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in SESSION_WRITES:
            receiver = func.value
            named = receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", None)
            if named == "session":
                self._report(node, f"session.{func.attr}(): faces write through the service operations")
        self.generic_visit(node)


def violations_in(source: str, path: str = "<planted>") -> list[Violation]:
    checker = _Checker(path)
    checker.visit(ast.parse(source, filename=path))
    return checker.found


def test_no_face_writes_below_the_service_operations() -> None:
    found = [
        violation
        for face in FACES
        for path in sorted((ROOT / face).rglob("*.py"))
        for violation in violations_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "\n".join(map(str, found))


def test_the_faces_are_looked_at() -> None:
    """The console's ticket changes reach core through a module alias: the checker must follow it."""
    source = (ROOT / "tui" / "widgets" / "ticket_changes.py").read_text(encoding="utf-8")
    checker = _Checker("tui/widgets/ticket_changes.py")
    checker.visit(ast.parse(source))
    assert checker.modules.get("tickets") == "hotline.core.services.tickets"


@pytest.mark.parametrize(
    "planted",
    [
        "from hotline.core.services.tickets import add_event",
        "from hotline.core.services.tickets._chronology import move_status",
        "from hotline.core.services.tickets import _chronology",
        "from hotline.core.services.tickets._numbering import reserve_numbers",
        "from hotline.core.services.tickets.changes import _set_priority",
        "from hotline.core.services import tickets\ntickets.add_event(uow, ticket=ticket, kind=kind)",
        "import hotline.core.services.tickets as t\nt.add_event(uow, ticket=ticket, kind=kind)",
        "import hotline.core.services.tickets\nhotline.core.services.tickets.add_event(uow)",
        "from hotline.core.sla import tracking\ntracking.touch(uow, ticket=ticket)",
        "from hotline.core.sla.tracking import status_changed",
        "from hotline.core.services.audit import record_audit",
        "from hotline.core.escalation.actions import apply_actions",
        "with ctx.uow() as uow:\n    uow.session.add(ticket)",
        "def save(session):\n    session.execute(statement)",
    ],
)
def test_a_planted_violation_is_caught(planted: str) -> None:
    assert violations_in(planted), planted


@pytest.mark.parametrize(
    "allowed",
    [
        "from hotline.core.services.tickets import add_note, change_status, reply_ticket, ticket_detail",
        "from hotline.core.services import tickets\ntickets.add_note(uow, number=1)",
        "from hotline.core.services.mail.intake import take_in",
        "from hotline.core.enums import Priority",
        "with ctx.uow() as uow:\n    hits = find(uow.session, query)",
        "with uow.session.begin_nested():\n    pass",
    ],
)
def test_what_faces_may_use_passes(allowed: str) -> None:
    assert violations_in(allowed) == []
