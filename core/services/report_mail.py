"""Mailing a report: build it, attach it as a file, queue the mail in the outbox (``report send``).

The mail and its attachment commit in the caller's unit of work; ``hotline mail send`` delivers it
like any other outbox row (retries, failures with the server's reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hotline.core.emails import normalize_email
from hotline.core.errors import InvalidInput
from hotline.core.models import OutboxFile
from hotline.core.report_schedule import repeated
from hotline.core.reports import run_report
from hotline.core.reports.render import CONTENT_TYPES, FILE_FORMATS, report_bytes, report_filename
from hotline.core.services.outbox import enqueue_mail
from hotline.core.text import printable

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork
    from hotline.core.reports.base import Report, ReportRequest

DEFAULT_SUBJECT = "{title}: {from} – {to}"
BODY_ROWS = 20


@dataclass(frozen=True)
class QueuedReport:
    """What was queued: the outbox row, the file's name, how many rows the report had."""

    outbox_id: int
    filename: str
    rows: int


def send_report(
    uow: UnitOfWork,
    *,
    name: str,
    request: ReportRequest,
    to: list[str],
    fmt: str = "xlsx",
    subject: str = DEFAULT_SUBJECT,
    account: str | None = None,
) -> QueuedReport:
    """Build report ``name`` over ``request`` and queue it to ``to`` as a ``fmt`` attachment, with a
    short text summary in the body; supervisors and admins (and cron, as the system) only."""
    uow.authorize("report.send", entity="report", entity_id=name)
    # one mail naming the same address twice (RCPT TO twice: a server may deliver it twice)
    if twice := repeated([normalize_email(address, where="--to") for address in to]):
        raise InvalidInput(f"{twice} is given twice", where="--to")
    if fmt not in FILE_FORMATS:
        raise InvalidInput(f"unknown format {fmt!r} (one of: {', '.join(FILE_FORMATS)})", where="--format")
    report = run_report(uow, name=name, request=request)
    period = report.period or request.period  # a report may settle an open period (renewals: 30 days)
    fields = {
        "title": report.title,
        "from": period.first.isoformat() if period.first else "…",
        "to": period.last.isoformat() if period.last else "…",
    }
    try:
        subject_text = subject.format_map(fields)
    except (KeyError, ValueError, IndexError):
        raise InvalidInput(
            "only {title}, {from} and {to} may be named in a subject", where="subject"
        ) from None
    filename = report_filename(report, fmt)
    message = enqueue_mail(
        uow, to=to, subject=subject_text, body=_body(report, fields, filename), kind="report", account=account
    )
    uow.session.add(
        OutboxFile(
            outbox_id=message.id,
            filename=filename,
            content_type=CONTENT_TYPES[fmt],
            content=report_bytes(report, fmt),
        )
    )
    uow.session.flush()
    return QueuedReport(outbox_id=int(message.id or 0), filename=filename, rows=len(report.rows))


def _body(report: Report, fields: dict[str, str], filename: str) -> str:
    """The mail's text: the title and period, the filters, and the first rows as plain text."""
    lines = [f"{report.title}, {fields['from']} – {fields['to']}.", ""]
    if report.filters:
        given = ", ".join(f"{key} {printable(value)}" for key, value in report.filters.items())
        lines.append(f"Filters: {given}")  # a name as stored: no escape sequence, no line of its own
    lines.append(f"{len(report.rows)} rows; the whole report is attached ({filename}).")
    lines.append("")
    for row in [report.columns, *report.rows[:BODY_ROWS]]:
        lines.append(" | ".join("" if value is None else printable(str(value)) for value in row))
    if len(report.rows) > BODY_ROWS:
        lines.append(f"… and {len(report.rows) - BODY_ROWS} more rows in the attachment.")
    return "\n".join(lines) + "\n"
