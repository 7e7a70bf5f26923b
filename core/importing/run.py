"""One import, row by row: validate, recognise who each row is, queue new clients and merges, write in
batches — or, staged, keep the batches and write them all later in one short transaction (``apply``).

Rows are read as a stream; what is remembered per row is its keys (phones, emails, names) for duplicates
within the file, and its decision for the report (staged: its draft too, until ``apply``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.core.attribution import Attributions
from hotline.core.dates import DateOrder
from hotline.core.errors import InvalidInput
from hotline.core.importing.drafts import ClientDraft, DraftBuilder, RowError
from hotline.core.importing.identity import Identities, Match, Target
from hotline.core.importing.outcome import ImportOutcome, OnDuplicate, RowDecision
from hotline.core.importing.records import RowSource, SourceRow
from hotline.core.importing.staging import STAGE_FROM_NEW_CLIENTS
from hotline.core.importing.store import ClientStore, fold

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

Update = tuple[Target, ClientDraft, RowDecision | None]
Progress = Callable[[int, float | None], None]
"""Called now and then with the rows read so far and the share of the file read (None if unknown)."""

# One import is one transaction that remembers every row's keys, about a kilobyte a row: this bound
# keeps it well inside memory.
MAX_IMPORT_ROWS = 1_000_000


@dataclass(kw_only=True)
class ImportOptions:
    """How to read the file and what to do with duplicates and invalid rows; ``default_region`` reads phones
    typed without a country code (the settings' ``default_region``)."""

    default_region: str
    date_order: DateOrder = "dmy"
    """How the file's dates are written when not ISO (the settings' ``date_order``)."""
    on_duplicate: OnDuplicate = "skip"
    skip_invalid: bool = False
    dry_run: bool = False
    sheet: str | None = None
    column_map: dict[str, tuple[str, ...]] = field(default_factory=dict)
    errors_path: Path | None = None
    force: bool = False
    """Write the errors file over an existing one."""
    name: str | None = None
    """How the file is named in messages and the audit (``-`` for standard input); default its path."""
    batch_size: int = 2000
    stage_from: int = STAGE_FROM_NEW_CLIENTS
    """On SQLite, an import creating or merging at least this many clients writes them ahead into TEMP
    tables and holds the write lock only to publish them (``staging.py``, ``stage_merges.py``)."""
    attributions: Attributions | None = None
    """The configured sources and campaigns: a row naming one that is neither configured nor held by a
    stored client is refused (a typo must not start a new attribution). None: not checked."""


class ImportRun:
    """The state of one import while its rows stream past."""

    def __init__(
        self, uow: UnitOfWork, source: RowSource, builder: DraftBuilder, options: ImportOptions,
        progress: Progress | None, *, staged: bool = False,
    ) -> None:  # fmt: skip
        self.source, self.builder, self.options, self.progress = source, builder, options, progress
        self.store = ClientStore(uow)
        self.outcome = ImportOutcome(
            path=options.name or str(source.path), dry_run=options.dry_run, on_duplicate=options.on_duplicate
        )
        self.identities = Identities(self.store)
        self.pending: list[tuple[ClientDraft, Target]] = []
        self.updates: list[Update] = []
        self.writing = not options.dry_run
        self.rejected_rows: list[tuple[SourceRow, list[RowError]]] = []
        self.new_groups: dict[str, str] = {}
        self.same_named: dict[str, list[Target]] = {}
        """Folded name → the organisations this file creates under that name (ids of the file tell them
        apart; a person naming the name alone then cannot be linked)."""
        self.unresolved: list[tuple[RowDecision, Target]] = []  # decisions naming a client still to be made
        self.person_refs: dict[str, int] = {}
        """A person's ``id`` in the file → her line: no organisation's ``organisation_id``."""
        # Staged: the writes each flush would make, kept to be made later in one short writing transaction.
        self.plan: list[tuple[list[tuple[ClientDraft, Target]], list[Update]]] | None = [] if staged else None
        self._staged_at: dict[int, tuple[list[tuple[ClientDraft, Target]], int]] = {}

    def execute(self) -> ImportOutcome:
        for row in self.source:
            self.outcome.rows += 1
            if self.outcome.rows > MAX_IMPORT_ROWS:
                raise InvalidInput(
                    f"more than {MAX_IMPORT_ROWS:,} rows; nothing was imported: split the file",
                    where=f"{self.source.path}:{row.line}",
                )
            result = self.builder.build(row)
            if not isinstance(result, list):
                result = self._check_attribution(result)
            if not isinstance(result, list):
                result = self._check_owner(result)
            if isinstance(result, list):
                self._reject(row, result)
            else:
                self._place(row, result)
            if max(len(self.pending), len(self.updates)) >= self.options.batch_size:
                self._flush()
            if self.progress is not None and self.outcome.rows % 500 == 0:
                self.progress(self.outcome.rows, self.source.fraction())
        self._flush()
        for decision, target in self.unresolved:
            decision.client_id = target.client_id
        if self.progress is not None:
            self.progress(self.outcome.rows, 1.0)
        if self.outcome.rows == 0:
            raise InvalidInput(self.source.nothing_read, where=self.outcome.path)
        if self.options.dry_run:
            self.outcome.groups_created = list(self.new_groups.values())
        return self.outcome

    def _check_attribution(self, draft: ClientDraft) -> ClientDraft | list[RowError]:
        """The row's source and campaign must be configured or already held by a stored client (what
        ``clients list --source`` accepts): a typo'd one is a row error, never a new attribution."""
        attributions = self.options.attributions
        if attributions is None:
            return draft
        errors: list[RowError] = []
        for name, value, configured in (
            ("source", draft.source, attributions.sources),
            ("campaign", draft.campaign, attributions.campaign_codes),
        ):
            if value is None or value in configured or self.store.holds(name, value):
                continue
            known = ", ".join(configured) or "none configured"
            reason = f"unknown {name} {value!r} (not configured, no client has it; known: {known})"
            errors.append(RowError(draft.line, self.builder.columns.label(name), reason))
        return errors or draft

    def _check_owner(self, draft: ClientDraft) -> ClientDraft | list[RowError]:
        """An owner column names operators by login: an unknown one is a row error (a client is never
        given to somebody else, nor silently to nobody); a blank cell is nobody."""
        if not draft.owner_given or draft.owner is None:
            return draft
        draft.owner_id = self.store.operator_id(draft.owner)
        if draft.owner_id is None:
            reason = f"unknown operator {draft.owner!r}: add the operator first, or clear the cell (nobody)"
            return [RowError(draft.line, self.builder.columns.label("owner"), reason)]
        if not self.store.operator_active(draft.owner):
            # Saved as hers all the same: her console refuses her, so nobody saw the client's reminders.
            reason = f"operator {draft.owner!r} is deactivated: name an active one, or clear the cell"
            return [RowError(draft.line, self.builder.columns.label("owner"), reason)]
        return draft

    def _reject(self, row: SourceRow, errors: list[RowError]) -> None:
        self.outcome.errors.extend(errors)
        self.outcome.decisions.append(RowDecision(row.line, "rejected", detail=errors[0].reason))
        if self.options.errors_path is not None:
            self.rejected_rows.append((row, errors))
        if not self.options.skip_invalid:
            self.writing = False  # atomic: the transaction will be rolled back, stop writing
            self.pending.clear()
            self.updates.clear()
            if self.plan is not None:
                self.plan.clear()

    def _place(self, row: SourceRow, draft: ClientDraft) -> None:
        identities = self.identities
        self._note_group(draft)
        if draft.kind == "organisation":
            named = identities.by_key.get(("organisation ref", draft.ref)) if draft.ref else None
            if named is not None and not named.implicit and named.line != 0:
                reason = f"the id {draft.ref!r} is given to another organisation too ({named.describe()})"
                self._reject(row, [RowError(row.line, self.builder.columns.label("id"), reason)])
                return
            if named is None or named.line == 0:  # (a stored one: matched below, by its id)
                named = identities.by_key.get(("organisation", fold(draft.name)))
                named = named if named is not None and named.ref is None else None
            if named is not None and named.implicit:
                if named.ref is not None and named.ref == draft.ref and named.name != fold(draft.name):
                    # People named it otherwise by this id: the row's name replaced theirs silently.
                    given = next((d.name for d, t in self.pending if t is named), named.name)
                    reason = (
                        f"the id {draft.ref!r} is the organisation {given!r} to line {named.line} (its"
                        f" organisation_id), not {draft.name!r}"
                    )
                    self._reject(row, [RowError(row.line, self.builder.columns.label("name"), reason)])
                    return
                self._complete_organisation(row, draft, named)
                return
        else:
            if draft.ref:
                claimed = identities.by_key.get(("organisation ref", draft.ref))
                if claimed is not None and claimed.line != 0:  # it made an organisation of that id
                    whose = f"the organisation_id of line {claimed.line}" if claimed.implicit else (
                        f"line {claimed.line}"
                    )  # fmt: skip
                    reason = f"the id {draft.ref!r} is an organisation's ({whose}); a person cannot have it"
                    self._reject(row, [RowError(row.line, self.builder.columns.label("id"), reason)])
                    return
                self.person_refs.setdefault(draft.ref, row.line)
            ambiguous = self._link_organisation(draft) if draft.organisation else None
            if ambiguous is not None:
                self._reject(row, [ambiguous])
                return
        matches = identities.matches(draft)
        if len(matches) > 1:
            self._conflict(row, draft, matches)
            return
        if not matches:
            target = Target(row.line, fold(draft.name))
            target.decision = RowDecision(row.line, "created")
            self.outcome.decisions.append(target.decision)
            identities.remember(draft, target)
            if draft.kind == "organisation":
                self.same_named.setdefault(target.name, []).append(target)
            self._ensure_organisation(draft)
            self.pending.append((draft, target))
            return
        match = matches[0]
        target = match.target
        if target.line:
            detail = f"duplicate of line {target.line}"
        else:
            detail = f"matches client #{target.client_id} by {match.evidence}"
        if self.options.on_duplicate == "fail":
            column = self.builder.columns.label(match.field)
            self._reject(row, [RowError(row.line, column, f"duplicate: {detail}")])
        elif self.options.on_duplicate == "skip":
            identities.remember_ref(draft, target)  # its people in the file are linked to it
            decision = RowDecision(row.line, "skipped", target.client_id, detail)
            self.outcome.decisions.append(decision)
            if target.client_id is None:
                self.unresolved.append((decision, target))
        else:
            identities.remember(draft, target)
            self._ensure_organisation(draft)
            self._update(row, draft, target, detail)

    def _conflict(self, row: SourceRow, draft: ClientDraft, matches: list[Match]) -> None:
        """A row pointing at two different clients: reported with its line, merged into neither."""
        named = "; ".join(f"{m.target.describe()} by {m.evidence}" for m in matches)
        reason = f"conflict: this row points at {len(matches)} different clients ({named}); not merged"
        self._reject(row, [RowError(row.line, self.builder.columns.label(matches[0].field), reason)])

    def _complete_organisation(self, row: SourceRow, draft: ClientDraft, target: Target) -> None:
        """An organisation's own row after people of it made this import create it: the row creates it
        (it is no duplicate), with all its details."""
        target.implicit = False
        self.outcome.organisations_created -= 1
        target.decision = RowDecision(row.line, "created", target.client_id)
        self.outcome.decisions.append(target.decision)
        self.identities.remember(draft, target)
        waiting = next((index for index, (_, t) in enumerate(self.pending) if t is target), None)
        if waiting is not None:
            self.pending[waiting] = (draft, target)
        elif id(target) in self._staged_at:
            batch, index = self._staged_at[id(target)]
            batch[index] = (draft, target)
        elif target.client_id is not None and self.writing:
            self.updates.append((target, draft, None))

    def _update(self, row: SourceRow, draft: ClientDraft, target: Target, detail: str) -> None:
        """Queue a merge into ``target``; the flush decides between "updated" and "unchanged"."""
        decision = RowDecision(row.line, "updated", target.client_id, detail)
        self.outcome.decisions.append(decision)
        if self.writing or (self.options.dry_run and target.client_id is not None):
            self.updates.append((target, draft, decision))
        # Otherwise: a dry run merging into a client this import would create, or an atomic import that
        # already failed; "updated" is then the answer.

    def _note_group(self, draft: ClientDraft) -> None:
        """A group the import creates takes the colour and contract level its first row gives (an
        export's); a stored group keeps its own."""
        group = draft.group
        if group and fold(group) not in self.store.group_ids:
            self.new_groups.setdefault(fold(group), group.strip())
            self.store.group_details.setdefault(fold(group), (draft.group_colour, draft.group_contract_level))

    def _link_organisation(self, draft: ClientDraft) -> RowError | None:
        """A person's organisation: the one the file's ``organisation_id`` names (its row already read,
        else ``_ensure_organisation`` makes it, to be completed by that row); by name, when the name
        names one organisation. A name that names several, with no id to tell them apart, is a row
        error: linking the person to the first would merge two organisations' people silently."""
        by_key = self.identities.by_key
        if draft.organisation_ref:
            ref = draft.organisation_ref
            column = self.builder.columns.label("organisation_id")
            if ref in self.person_refs:  # a second organisation of the name was made for it
                reason = (
                    f"{ref!r} is the id of a person (line {self.person_refs[ref]}), not of an organisation"
                )
                return RowError(draft.line, column, reason)
            target = by_key.get(("organisation ref", ref))
            if target is None and ref in map(
                str, self.store.organisations_named.get(fold(draft.organisation), ())
            ):
                target = self.identities.stored_target(int(ref))  # its own export, read back: that one
                by_key[("organisation ref", ref)] = target
            if target is not None and target.line != 0 and target.name != fold(draft.organisation):
                # The name edited, the id left: she stayed in the organisation the id names, silently.
                reason = (
                    f"{draft.organisation!r} is not the organisation whose id is {ref} (line {target.line}):"
                    " change both, or clear organisation_id"
                )
                return RowError(draft.line, self.builder.columns.label("organisation"), reason)
            draft.organisation_target = target
            return None
        key = fold(draft.organisation)
        stored = set(self.store.organisations_named.get(key, ()))
        created = {id(t) for t in self.same_named.get(key, ()) if t.client_id not in stored}
        if len(stored) + len(created) < 2:
            return None
        column = self.builder.columns.label("organisation")
        reason = (
            f"{len(stored) + len(created)} organisations are named {draft.organisation!r}: give the"
            " organisation_id of this person's one; not linked to either"
        )
        return RowError(draft.line, column, reason)

    def _ensure_organisation(self, draft: ClientDraft) -> None:
        """A person's organisation that exists nowhere yet is created (once) along with the person."""
        if draft.kind != "person" or not draft.organisation:
            return
        if draft.organisation_ref:
            if draft.organisation_target is None:
                target = Target(
                    draft.line, fold(draft.organisation), implicit=True, ref=draft.organisation_ref
                )
                self.identities.by_key[("organisation ref", draft.organisation_ref)] = target
                self.same_named.setdefault(target.name, []).append(target)
                self.pending.append(
                    (ClientDraft(line=draft.line, kind="organisation", name=draft.organisation), target)
                )
                self.outcome.organisations_created += 1
                draft.organisation_target = target
            return
        key = ("organisation", fold(draft.organisation))
        if key in self.identities.by_key or key[1] in self.store.organisation_ids:
            return
        target = Target(draft.line, key[1], implicit=True)
        self.identities.by_key[key] = target
        self.pending.append(
            (ClientDraft(line=draft.line, kind="organisation", name=draft.organisation), target)
        )
        self.outcome.organisations_created += 1

    def _flush(self) -> None:
        """Write the queued new clients (organisations first), then merge the queued updates; staged, keep
        them for ``apply``."""
        pending, self.pending = self.pending, []
        updates, self.updates = self.updates, []
        if self.plan is not None and self.writing:
            for index, (_, target) in enumerate(pending):
                self._staged_at[id(target)] = (pending, index)
            self.plan.append((pending, updates))
            return
        self._write(pending, updates)

    def apply(self, uow: UnitOfWork) -> None:
        """Make the staged writes in ``uow`` (the short writing transaction), in the order they were read."""
        assert self.plan is not None, "only a staged run has writes to apply"
        self.store.connection = uow.session.connection()
        plan, self.plan = self.plan, []
        for pending, updates in plan:
            self._write(pending, updates)
        for decision, target in self.unresolved:
            decision.client_id = target.client_id

    def _write(self, pending: list[tuple[ClientDraft, Target]], updates: list[Update]) -> None:
        if self.writing and pending:
            organisations = [(d, t) for d, t in pending if d.kind == "organisation"]
            people = [(d, t) for d, t in pending if d.kind != "organisation"]
            for batch in (organisations, people):
                ids = self.store.create([draft for draft, _ in batch])
                for (_, target), client_id in zip(batch, ids, strict=True):
                    target.client_id = client_id
                    if target.decision is not None:
                        target.decision.client_id = client_id
        if updates and (self.writing or self.options.dry_run):
            items = [(target.client_id, draft) for target, draft, _ in updates]
            changed = self.store.update_many(items, apply=self.writing)  # type: ignore[arg-type]
            for (target, _, decision), answer in zip(updates, changed, strict=True):
                if decision is not None:
                    decision.client_id = target.client_id
                    decision.action = "updated" if answer else "unchanged"
