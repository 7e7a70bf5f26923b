"""Asterisk's ``cdr-csv`` file (``/var/log/asterisk/cdr-csv/Master.csv``) read into call facts.

Columns as ``cdr_csv.c`` writes them (Asterisk 1.8 to 22, no header line): accountcode, src, dst,
dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
disposition, amaflags, then uniqueid (``loguniqueid``, on by default), userfield (``loguserfield``, on
by default) and, with ``newcdrcolumns``, peeraccount, linkedid and sequence. Times are the PBX's local
time unless ``usegmtime`` is on.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import product
from zoneinfo import ZoneInfo

from hotline.core.clock import within_years
from hotline.core.enums import Direction
from hotline.core.errors import InvalidInput
from hotline.core.pbx.channels import extension_of_channel
from hotline.core.services.call_records import LONGEST_CALL, MAX_DURATION, CallFacts, check_facts

BASE_COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
    "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
)  # fmt: skip
LAYOUTS: dict[int, tuple[str, ...]] = {
    16: BASE_COLUMNS,
    17: (*BASE_COLUMNS, "uniqueid"),
    18: (*BASE_COLUMNS, "uniqueid", "userfield"),
    21: (*BASE_COLUMNS, "uniqueid", "userfield", "peeraccount", "linkedid", "sequence"),
}
MAX_CDR_BYTES = 512 << 20
"""About two million calls: a larger file is to be split (or rotated by logrotate, as Debian does)."""
DISPOSITIONS = {
    "ANSWERED": "answered",
    "NO ANSWER": "no_answer",
    "BUSY": "busy",
    "FAILED": "failed",
    "CONGESTION": "congestion",
}


@dataclass
class CdrFile:
    """The calls of a CDR file, the lines that could not be read, and what was left out on purpose."""

    calls: list[tuple[int, CallFacts]] = field(default_factory=list)
    errors: list[InvalidInput] = field(default_factory=list)
    internal_lines: int = 0
    merged_lines: int = 0


def read_cdr_csv(data: bytes, *, name: str, extensions: dict[str, str], zone: ZoneInfo) -> CdrFile:
    """Every line of ``data`` as call facts, or an error naming ``name:line: field``.

    ``extensions`` maps the agents' extensions to logins: a call to one is incoming for that operator,
    a call from one outgoing; a call between two is internal and left out. Several lines of one call
    (a queue ringing several agents) become one: the answered line, else the last.
    """
    result = CdrFile()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        result.errors.extend(_undecodable_lines(data, name=name))
        return result
    by_call: dict[str, tuple[int, CallFacts]] = {}
    for line, row in _rows(text, name=name, errors=result.errors):
        if not row or not any(cell.strip() for cell in row):
            continue
        try:
            facts = _facts(row, extensions=extensions, zone=zone, where=f"{name}:{line}")
        except InvalidInput as error:
            result.errors.append(error)
            continue
        if facts is None:
            result.internal_lines += 1
            continue
        earlier = by_call.get(facts.pbx_call_id)
        if earlier is not None:
            result.merged_lines += 1
            if earlier[1].outcome == "answered" and facts.outcome != "answered":
                continue
        by_call[facts.pbx_call_id] = (line, facts)
    result.calls = sorted(by_call.values(), key=lambda item: item[0])
    return result


def _rows(text: str, *, name: str, errors: list[InvalidInput]) -> Iterator[tuple[int, list[str]]]:
    """Each row with its line; a line that is not CSV is added to ``errors`` and the reading goes on
    (it stopped there, so the bad lines after the first were not named)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            errors.append(InvalidInput(f"not CSV: {error}", where=f"{name}:{reader.line_num}"))
            continue
        yield reader.line_num, row


def _undecodable_lines(data: bytes, *, name: str) -> list[InvalidInput]:
    """Every line that is not UTF-8, with the column that is not where the line is a cdr-csv line (only
    the first line was named, without its column: a file from a PBX writing windows-1251 caller names)."""
    errors = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            cells = next(csv.reader([raw.decode("latin-1")]), [])
            layout = LAYOUTS.get(len(cells), ())
            bad = next((column for column, cell in zip(layout, cells, strict=False) if not _utf8(cell)), None)
            where = f"{name}:{number}" + (f": {bad}" if bad else "")
            errors.append(InvalidInput("not UTF-8 text (the PBX's files are read as UTF-8)", where=where))
    return errors


def _utf8(latin1_cell: str) -> bool:
    try:
        latin1_cell.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _facts(row: list[str], *, extensions: dict[str, str], zone: ZoneInfo, where: str) -> CallFacts | None:
    layout = LAYOUTS.get(len(row))
    if layout is None:
        known = ", ".join(str(n) for n in LAYOUTS)
        raise InvalidInput(f"{len(row)} columns; a cdr-csv line has {known}", where=where)
    cells = dict(zip(layout, (cell.strip() for cell in row), strict=True))
    started = _moment(cells["start"], zone, where=f"{where}: start")
    if started is None:
        raise InvalidInput("the start time is empty", where=f"{where}: start")
    answered = _moment(cells["answer"], zone, where=f"{where}: answer")
    ended = _moment(cells["end"], zone, where=f"{where}: end")
    duration = _seconds(cells["duration"], where=f"{where}: duration")
    billsec = _seconds(cells["billsec"], where=f"{where}: billsec")
    started, answered, ended = _on_their_pass(started, answered, ended, duration=duration, billsec=billsec)
    span = (ended - answered).total_seconds() if answered and ended else None
    if billsec > MAX_DURATION and (span is None or abs(span - billsec) > 1):
        raise InvalidInput(
            f"over {MAX_DURATION} seconds and not the time from answer to end", where=f"{where}: billsec"
        )
    disposition = cells["disposition"].upper()
    if disposition not in DISPOSITIONS:
        raise InvalidInput(
            f"unknown disposition {cells['disposition'][:20]!r}", where=f"{where}: disposition"
        )
    source_ext = cells["src"] if cells["src"] in extensions else extension_of_channel(cells["channel"])
    target_ext = extension_of_channel(cells["dstchannel"])
    if target_ext not in extensions and cells["dst"] in extensions:
        target_ext = cells["dst"]
    from_agent, to_agent = source_ext in extensions, target_ext in extensions
    if from_agent and to_agent:
        return None
    if from_agent:
        direction, number, extension = Direction.OUT, cells["dst"], source_ext
    else:
        direction, number, extension = Direction.IN, cells["src"] or "anonymous", target_ext
    call_id = cells.get("linkedid") or cells.get("uniqueid") or _derived_id(cells)
    facts = CallFacts(
        pbx_call_id=call_id,
        source="cdr",
        direction=direction,
        number=number,
        started_at=started,
        operator_login=extensions.get(extension or ""),
        extension=extension if extension in extensions else None,
        answered_at=answered,
        ended_at=ended,
        duration_seconds=billsec,
        outcome=DISPOSITIONS[disposition],
    )
    return check_facts(facts, where=where)


def _derived_id(cells: dict[str, str]) -> str:
    """A call id for a file without ``loguniqueid``: the channel name and start (unique in Asterisk)."""
    key = "\x1f".join((cells["channel"], cells["start"], cells["dst"]))
    return "cdr-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _moment(text: str, zone: ZoneInfo, *, where: str) -> datetime | None:
    """The time in ``zone``; one outside the years a clock may show (``0001-01-01``, ``9999-12-31``) is
    named like any bad time (it was stored, or a database error at the end: exit 1, the line unnamed)."""
    if not text:
        return None
    try:
        moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise InvalidInput(f"not a time like 2026-12-02 14:05:00: {text[:30]!r}", where=where) from None
    return within_years(moment.replace(tzinfo=zone), text=text, where=where)


def _on_their_pass(
    started: datetime, answered: datetime | None, ended: datetime | None, *, duration: int, billsec: int
) -> tuple[datetime, datetime | None, datetime | None]:
    """The three times in UTC, each local time the clocks showed twice (the hour repeated when they go
    back) put on the pass the line's own durations say (``duration`` is end less start, ``billsec`` end
    less answer); failing that, one that keeps them in order; failing that, the first pass."""

    def passes(moment: datetime | None) -> list[datetime | None]:
        if moment is None:
            return [None]
        later = moment.replace(fold=1)
        both = [moment.replace(fold=0), later] if later.utcoffset() != moment.utcoffset() else [moment]
        return [candidate.astimezone(UTC) for candidate in both]

    def near(first: datetime | None, last: datetime | None, seconds: int) -> bool:
        return first is None or last is None or abs((last - first).total_seconds() - seconds) <= 1

    def ordered(*moments: datetime | None) -> bool:
        known = [moment for moment in moments if moment is not None]
        return known == sorted(known)

    readings = list(product(passes(started), passes(answered), passes(ended)))
    for start, answer, end in readings:
        if ordered(start, answer, end) and near(start, end, duration) and near(answer, end, billsec):
            return start or started, answer, end
    start, answer, end = next((reading for reading in readings if ordered(*reading)), readings[0])
    return start or started, answer, end


def _seconds(text: str, *, where: str) -> int:
    """Whole seconds up to ``LONGEST_CALL``, in ASCII digits (``²`` passes ``isdigit`` and was a
    traceback); a talk time over a day is taken when it is the answer-to-end span (``check_facts``)."""
    longest = int(LONGEST_CALL.total_seconds())
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or int(text) > longest:
        raise InvalidInput(f"not a number of seconds up to {longest}: {text[:20]!r}", where=where)
    return int(text)
