"""Who a row is: the same person as an earlier row or a stored client, a new one, or a conflict.

A match must be a match of the same person. An email address names its client. A phone names a client
only together with the same name (or one holding every word of the other: colleagues share their office
number), and not a client with addresses of its own when the row's email already named its client
(namesakes at one switchboard). Rows without phone or email are recognised by name (and organisation).
A row whose evidence points at two different clients is a conflict: the import reports it with its line
and never merges it into either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotline.core.importing.outcome import RowDecision
from hotline.core.importing.store import fold

if TYPE_CHECKING:
    from collections.abc import Callable

    from hotline.core.importing.drafts import ClientDraft
    from hotline.core.importing.store import ClientStore


@dataclass(eq=False, slots=True)
class Target:
    """A client a row resolved to: stored already (``line`` 0), or to be created from ``line``.

    ``implicit`` marks an organisation created only because people of it named it.
    """

    line: int
    name: str
    client_id: int | None = None
    has_emails: bool = False
    implicit: bool = False
    decision: RowDecision | None = None
    ref: str | None = None
    """The client's ``id`` in the file (an export's): a row of another id is another client, even of
    the same name and number (two branches at one switchboard, two namesakes at one office phone)."""

    def describe(self) -> str:
        return f"client #{self.client_id}" if self.line == 0 else f"line {self.line}"


@dataclass(slots=True)
class Match:
    """One client the row points at, and by what (``email x@y``, ``phone +7…``, ``name …``)."""

    target: Target
    evidence: str
    field: str  # the draft field the evidence came from: emails, phones or name


@dataclass
class Identities:
    """The keys of the rows seen so far and of the stored clients, answering "who is this row?"."""

    store: ClientStore
    by_key: dict[tuple[str, str], Target] = field(default_factory=dict)
    by_phone: dict[tuple[str, str], list[Target]] = field(default_factory=dict)
    stored: dict[int, Target] = field(default_factory=dict)

    def stored_target(self, client_id: int) -> Target:
        """The one ``Target`` of a stored client, so a row and a later one agree on who it is."""
        target = self.stored.get(client_id)
        if target is None:
            store = self.store
            target = Target(
                0, store.client_names.get(client_id, ""), client_id, has_emails=client_id in store.emailed
            )
            self.stored[client_id] = target
        return target

    def matches(self, draft: ClientDraft) -> list[Match]:
        """Every distinct client the row's evidence points at (none: new; two or more: a conflict)."""
        found: dict[int, Match] = {}

        def add(target: Target, evidence: str, field_name: str) -> None:
            found.setdefault(id(target), Match(target, evidence, field_name))

        kind, name = draft.kind, fold(draft.name)
        for address in draft.emails:
            earlier = self.by_key.get((f"{kind} email", address))
            if earlier is not None:
                add(earlier, f"email {address}", "emails")
            for client_id in self.store.email_owners.get((kind, address), ()):
                add(self.stored_target(client_id), f"email {address}", "emails")
        by_email = bool(found)
        for phone in draft.phones:
            candidates = [
                target
                for target in self._phone_candidates(kind, phone.e164)
                if same_name(target.name, name)
                and not (by_email and target.has_emails)
                and not told_apart(draft, target)
            ]
            # Several stored clients of this name and number: the file's id names one where it is that
            # client's (an export of this very database, read back); otherwise a conflict.
            chosen = [
                target for target in candidates if target.line == 0 and draft.ref == str(target.client_id)
            ]
            for target in chosen or candidates:
                add(target, f"phone {phone.e164}", "phones")
        if not draft.emails and not draft.phones:
            self._name_match(draft, add)
        return list(found.values())

    def _phone_candidates(self, kind: str, e164: str) -> list[Target]:
        candidates = list(self.by_phone.get((kind, e164), ()))
        for client_id in self.store.phone_owners.get((kind, e164), ()):
            target = self.stored_target(client_id)
            if not any(target is known for known in candidates):
                candidates.append(target)
        return candidates

    def _name_match(self, draft: ClientDraft, add: Callable[[Target, str, str], None]) -> None:
        key = name_key(draft)
        earlier = self.by_key.get(key)
        if earlier is not None and not told_apart(draft, earlier):
            add(earlier, "name (no phone or email)", "name")
            return
        store = self.store
        if key[0] == "organisation":
            named = store.organisations_named.get(key[1], [])
            same_id = [client_id for client_id in named if draft.ref == str(client_id)]
            if draft.ref and earlier is not None:
                named = []  # a same-named organisation of another id in the file: this one is new
            for client_id in same_id or named:  # two of one name and no id to tell: a conflict
                add(self.stored_target(client_id), "organisation name", "name")
        else:
            client_id = store.bare_people.get((fold(draft.name), fold(draft.organisation)))
            if client_id is not None:
                add(self.stored_target(client_id), "name (no phone or email)", "name")

    def remember(self, draft: ClientDraft, target: Target) -> None:
        """The row's keys now name ``target``; its name and emails are what the row says."""
        kind = draft.kind
        for address in draft.emails:
            self.by_key.setdefault((f"{kind} email", address), target)
        for phone in draft.phones:
            owners = self.by_phone.setdefault((kind, phone.e164), [])
            if not any(known is target for known in owners):
                owners.append(target)
        if draft.name:
            target.name = fold(draft.name)
        target.ref = target.ref or draft.ref
        target.has_emails = target.has_emails or bool(draft.emails)
        if not draft.emails and not draft.phones:
            self.by_key.setdefault(name_key(draft), target)
        if draft.kind == "organisation":
            self.by_key.setdefault(("organisation", fold(draft.name)), target)
            self.remember_ref(draft, target)

    def remember_ref(self, draft: ClientDraft, target: Target) -> None:
        """An organisation row's ``id`` names ``target`` for the people of it (``organisation_id``)."""
        if draft.kind == "organisation" and draft.ref:
            target.ref = target.ref or draft.ref
            self.by_key.setdefault(("organisation ref", draft.ref), target)


def told_apart(draft: ClientDraft, target: Target) -> bool:
    """Whether the file's ids say the row and the client a row before it named are two clients."""
    return draft.ref is not None and target.ref is not None and target.ref != draft.ref


def same_name(one: str, other: str) -> bool:
    """Whether two folded names can be one person's: equal, or one has every word of the other
    ("иванов иван" and "иванов иван петрович"); colleagues at one number have other names."""
    if one == other:
        return True
    words, other_words = set(one.split()), set(other.split())
    return bool(words and other_words) and (words <= other_words or other_words <= words)


def name_key(draft: ClientDraft) -> tuple[str, str]:
    """How a row without phone or email is recognised: an organisation by name, a person by name and
    organisation."""
    if draft.kind == "organisation":
        return ("organisation", fold(draft.name))
    return ("name", f"{fold(draft.name)}|{fold(draft.organisation)}")
