"""Clients out to CSV, JSON or XLSX, streamed in keyset pages so memory stays flat at a million clients.

The CSV and XLSX layouts are the import's own headers, so an export imports back unchanged. CSV cells that
a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) get a leading apostrophe,
which the import removes again; XLSX cells are always written as text, never as formulas.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, select

from hotline.core.errors import InvalidInput
from hotline.core.models import Client, ClientEmail, ClientGroup, ClientPhone, Operator
from hotline.core.services.audit import record_audit
from hotline.core.text import json_safe

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

ExportFormat = Literal["csv", "json", "xlsx"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "json", "xlsx")
CSV_COLUMNS = (
    "id", "kind", "name", "last_name", "first_name", "middle_name", "organisation", "phones", "emails",
    "group", "birthday", "notes", "tags", "source", "campaign", "phones_as_typed", "phone_labels", "owner",
    "created_at", "group_colour", "group_contract_level", "organisation_id",
)  # fmt: skip
"""``phones`` holds the E.164 forms (they re-import in any region); ``phones_as_typed`` and
``phone_labels`` hold, one line per phone in the same order, each as typed (extension included) and its
label, which the import keeps. ``owner`` is the owning operator's login (blank: nobody), ``created_at``
ISO-8601 in UTC; ``group_colour`` and ``group_contract_level`` are the group's, repeated on each of its
clients' rows: they give a group the import creates its colour and level. Files without these columns
import as before. ``organisation_id`` is the ``id`` of the client's organisation in the same file: two
organisations of one name stay apart."""
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPED_BY_APOSTROPHE = (*FORMULA_TRIGGERS, "'")
"""What an export's leading apostrophe protects: a formula sign, or an apostrophe of the value itself (the
import's row cleaning removes one such apostrophe)."""
PAGE_SIZE = 2000
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0, and so an XLSX cell, cannot hold: left out of a cell (U+FFFE made a file no spreadsheet
opened)."""
XLSX_MAX_CELL_CHARS = 32_767
"""What a spreadsheet cell holds; openpyxl cut a longer value there without a word."""


@dataclass(slots=True)
class ExportedClient:
    """One client with its contact points, as the export writers see it."""

    id: int
    kind: str
    name: str
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    organisation: str | None
    group: str | None
    birthday: date | None
    notes: str
    tags: list[str]
    phones: list[tuple[str, str, str | None]]  # (raw, e164, label)
    emails: list[str]
    source: str | None = None
    campaign: str | None = None
    owner: str | None = None
    created_at: datetime | None = None
    group_colour: str | None = None
    group_contract_level: str | None = None
    organisation_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "first_name": self.first_name,
            "middle_name": self.middle_name,
            "last_name": self.last_name,
            "organisation": self.organisation,
            "group": self.group,
            "birthday": self.birthday.isoformat() if self.birthday else None,
            "tags": self.tags,
            "notes": self.notes,
            "phones": [{"raw": raw, "e164": e164, "label": label} for raw, e164, label in self.phones],
            "emails": self.emails,
            "source": self.source,
            "campaign": self.campaign,
            "owner": self.owner,
            "created_at": _instant(self.created_at),
            "group_colour": self.group_colour,
            "group_contract_level": self.group_contract_level,
            "organisation_id": self.organisation_id,
        }

    def as_cells(self) -> list[str]:
        """The row under :data:`CSV_COLUMNS`; phones as E.164 (they re-import in any region)."""
        return [
            str(self.id),
            self.kind,
            self.name,
            self.last_name or "",
            self.first_name or "",
            self.middle_name or "",
            self.organisation or "",
            ", ".join(e164 for _, e164, _ in self.phones),
            ", ".join(self.emails),
            self.group or "",
            self.birthday.isoformat() if self.birthday else "",
            self.notes or "",
            ", ".join(str(tag) for tag in self.tags),
            self.source or "",
            self.campaign or "",
            "\n".join(raw for raw, _, _ in self.phones),
            "\n".join(label or "" for _, _, label in self.phones) if any(p[2] for p in self.phones) else "",
            self.owner or "",
            _instant(self.created_at) or "",
            self.group_colour or "",
            self.group_contract_level or "",
            str(self.organisation_id) if self.organisation_id is not None else "",
        ]


def _instant(moment: datetime | None) -> str | None:
    """A timestamp as ISO-8601 in UTC (seconds), as the import reads it back."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def neutralise(cell: str) -> str:
    """A CSV cell that no spreadsheet will run as a formula (OWASP's leading apostrophe); a value that
    itself starts with an apostrophe before a formula sign or an apostrophe gets one more, since the
    import removes one."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else keep_apostrophe(cell)


def keep_apostrophe(text: str) -> str:
    """A value that starts with an apostrophe before a formula sign or another apostrophe, written so the
    import keeps it: the import's row cleaning removes one such apostrophe (the one a CSV export adds)."""
    return "'" + text if text[:1] == "'" and text[1:2] in ESCAPED_BY_APOSTROPHE else text


def iter_clients(connection: Connection, *, page_size: int = PAGE_SIZE) -> Iterator[ExportedClient]:
    """Every client in id order, fetched a page at a time (keyset on id), with phones and emails."""
    client, group, operator = Client.__table__, ClientGroup.__table__, Operator.__table__
    org = client.alias("org")
    phone, email = ClientPhone.__table__, ClientEmail.__table__
    page_query = (
        select(
            client.c.id,
            client.c.kind,
            client.c.name,
            client.c.first_name,
            client.c.middle_name,
            client.c.last_name,
            org.c.name.label("organisation"),
            group.c.name.label("group"),
            client.c.birthday,
            client.c.notes,
            client.c.tags,
            client.c.source,
            client.c.campaign,
            operator.c.login.label("owner"),
            client.c.created_at,
            group.c.colour.label("group_colour"),
            group.c.contract_level.label("group_contract_level"),
            client.c.organisation_id,
        )
        .select_from(
            client.outerjoin(org, org.c.id == client.c.organisation_id)
            .outerjoin(group, group.c.id == client.c.group_id)
            .outerjoin(operator, operator.c.id == client.c.owner_id)
        )
        .order_by(client.c.id)
        .limit(page_size)
    )
    last_id = 0
    while True:
        rows = connection.execute(page_query.where(client.c.id > last_id)).all()
        if not rows:
            return
        first_id, last_id = rows[0].id, rows[-1].id
        phones: dict[int, list[tuple[str, str, str | None]]] = {}
        for client_id, raw, e164, label in connection.execute(
            select(phone.c.client_id, phone.c.raw, phone.c.e164, phone.c.label)
            .where(phone.c.client_id.between(first_id, last_id))
            .order_by(phone.c.client_id, phone.c.id)
        ):
            phones.setdefault(client_id, []).append((raw, e164, label))
        emails: dict[int, list[str]] = {}
        for client_id, address in connection.execute(
            select(email.c.client_id, email.c.address)
            .where(email.c.client_id.between(first_id, last_id))
            .order_by(email.c.client_id, email.c.id)
        ):
            emails.setdefault(client_id, []).append(address)
        for row in rows:
            yield ExportedClient(
                id=row.id,
                kind=row.kind,
                name=row.name,
                first_name=row.first_name,
                middle_name=row.middle_name,
                last_name=row.last_name,
                organisation=row.organisation,
                group=row.group,
                birthday=row.birthday,
                notes=row.notes or "",
                tags=list(row.tags or []),
                phones=phones.get(row.id, []),
                emails=emails.get(row.id, []),
                source=row.source,
                campaign=row.campaign,
                owner=row.owner,
                created_at=row.created_at,
                group_colour=row.group_colour,
                group_contract_level=row.group_contract_level,
                organisation_id=row.organisation_id,
            )
        if len(rows) < page_size:
            return


def write_csv(clients: Iterator[ExportedClient], stream: IO[str]) -> int:
    """Write the CSV (header first, formulas neutralised); returns the number of clients written."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for exported in clients:
        writer.writerow([neutralise(cell) for cell in exported.as_cells()])
        count += 1
    return count


def write_json(clients: Iterator[ExportedClient], stream: IO[str]) -> int:
    """Write one JSON array, an object per line, without holding the list in memory."""
    stream.write("[")
    count = 0
    for count, exported in enumerate(clients, start=1):
        stream.write("\n" if count == 1 else ",\n")
        stream.write(json_safe(json.dumps(exported.as_json(), ensure_ascii=False)))
    stream.write("\n]\n")
    return count


def write_xlsx(clients: Iterator[ExportedClient], stream: IO[bytes]) -> int:
    """Write a one-sheet workbook in openpyxl's write-only mode; every cell is text, never a formula. A value
    longer than a cell holds is refused (``InvalidInput``), never cut."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("clients")
    sheet.append(list(CSV_COLUMNS))
    count = 0
    try:
        for exported in clients:
            sheet.append(_xlsx_row(sheet, exported))
            count += 1
    except BaseException:
        sheet.close()  # ends openpyxl's row writer, which said "Exception ignored" with a traceback at exit
        raise
    book.save(stream)
    return count


def _xlsx_row(sheet: Any, exported: ExportedClient) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    cells: list[Any] = []
    for column, text in zip(CSV_COLUMNS, exported.as_cells(), strict=True):
        text = keep_apostrophe(XLSX_ILLEGAL.sub("", text))
        if len(text) > XLSX_MAX_CELL_CHARS:
            raise InvalidInput(
                f"client #{exported.id}: {column} of {len(text):,} characters, more than an XLSX cell holds"
                f" ({XLSX_MAX_CELL_CHARS:,}): export it as csv or json",
                where="--format",
            )
        if text.startswith("="):
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(text)
    return cells


def export_clients(uow: UnitOfWork, *, fmt: ExportFormat, stream: IO[str] | IO[bytes]) -> int:
    """Stream every client to ``stream`` (text for csv/json, binary for xlsx); admins only.

    Run it in a read-only unit of work (an export of a million clients must not hold the write lock),
    then call :func:`record_export` in a short writing one.
    """
    uow.authorize("client.export", entity="client", entity_id=fmt)
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"unknown format {fmt!r} (one of: {', '.join(EXPORT_FORMATS)})", where="--format")
    clients = iter_clients(uow.session.connection())
    if fmt == "csv":
        return write_csv(clients, stream)  # type: ignore[arg-type]
    if fmt == "json":
        return write_json(clients, stream)  # type: ignore[arg-type]
    return write_xlsx(clients, stream)  # type: ignore[arg-type]


def record_export(uow: UnitOfWork, *, fmt: ExportFormat, count: int, destination: str) -> None:
    """The audit entry of an export: who took how many clients where, in which format."""
    uow.authorize("client.export", entity="client", entity_id=fmt)
    record_audit(
        uow,
        action="client.export",
        entity="client",
        after={"format": fmt, "clients": count, "destination": destination},
    )
