"""Asterisk's cdr-csv lines read into call facts: the column layouts, several lines of one call, the
direction by the mapped extensions, and every bad line named."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hotline.core.pbx.cdr_csv import read_cdr_csv
from tests.pbx_samples import EXTENSIONS, MASTER_CSV

MOSCOW = ZoneInfo("Europe/Moscow")
BASE = '"","89161234567","support","from-trunk","","PJSIP/trunk-1","{dst}","Queue","support","2026-11-23 10:00:00","{answer}","2026-11-23 10:02:00",120,{billsec},"{disposition}","DOCUMENTATION"'


def line(dst: str, disposition: str, billsec: int, *extra: str) -> str:
    answer = "2026-11-23 10:00:10" if disposition == "ANSWERED" else ""
    cells = BASE.format(dst=dst, answer=answer, billsec=billsec, disposition=disposition)
    return ",".join([cells, *(f'"{cell}"' for cell in extra)])


def test_a_queue_ringing_two_agents_is_one_call_the_answered_one() -> None:
    text = "\n".join(
        [
            line("PJSIP/102-1", "NO ANSWER", 0, "1795417200.1", ""),
            line("PJSIP/101-2", "ANSWERED", 110, "1795417200.1", ""),
            line("PJSIP/102-3", "NO ANSWER", 0, "1795417200.1", ""),
        ]
    )
    parsed = read_cdr_csv(text.encode(), name="Master.csv", extensions=EXTENSIONS, zone=MOSCOW)
    assert parsed.errors == [] and parsed.merged_lines == 2
    [(_line, facts)] = parsed.calls
    assert (facts.operator_login, facts.duration_seconds, facts.outcome) == ("olga", 110, "answered")


def test_the_layouts_without_uniqueid_and_with_newcdrcolumns() -> None:
    plain = line("PJSIP/101-2", "ANSWERED", 110)
    newer = line("PJSIP/101-2", "ANSWERED", 110, "1795417200.5", "", "", "1795417200.4", "7")
    parsed = read_cdr_csv(f"{plain}\n{newer}\n".encode(), name="M", extensions=EXTENSIONS, zone=MOSCOW)
    ids = [facts.pbx_call_id for _, facts in parsed.calls]
    assert ids[0].startswith("cdr-") and len(ids[0]) == 36
    assert ids[1] == "1795417200.4"  # the linkedid, as the AMI listener keys the call


def test_every_bad_line_is_named_with_its_field() -> None:
    good = MASTER_CSV.splitlines()[0]
    bad = [
        good,
        good.replace('"ANSWERED"', '"EXPLODED"'),
        good.replace("2026-11-23 10:00:05", "soon"),
        good.replace(",197,192,", ",197,-4,"),
        '"unterminated',
    ]
    parsed = read_cdr_csv("\n".join(bad).encode(), name="M", extensions=EXTENSIONS, zone=MOSCOW)
    assert [str(error).split(":")[1:3] for error in parsed.errors] == [
        ["2", " disposition"],
        ["3", " answer"],
        ["4", " billsec"],
        ["5", " not CSV"],
    ]


def test_a_time_outside_the_years_or_seconds_in_other_digits_is_a_named_bad_line() -> None:
    """``²`` passed ``isdigit`` and was a traceback; year 1 was a database error (exit 1, no line named)
    and years 1000 or 9999 were stored."""
    good = MASTER_CSV.splitlines()[0]
    bad = [
        good.replace("2026-11-23 10:00:00", "0001-01-01 00:00:00"),
        good.replace("2026-11-23 10:03:17", "9999-12-31 23:59:59"),
        good.replace("2026-11-23 10:00:05", "1000-01-01 00:00:00"),
        good.replace(",197,192,", ",197,²,"),
        good.replace(",197,192,", ",١٩٧,192,"),
        good.replace(",197,192,", ",197,86401,"),
    ]
    parsed = read_cdr_csv("\n".join(bad).encode(), name="M", extensions=EXTENSIONS, zone=MOSCOW)
    assert [str(error).split(":")[1:3] for error in parsed.errors] == [
        ["1", " start"],
        ["2", " end"],
        ["3", " answer"],
        ["4", " billsec"],
        ["5", " duration"],
        ["6", " billsec"],
    ]
    assert parsed.calls == []


def test_every_line_that_is_not_utf8_is_named_with_its_column() -> None:
    """Only the first such line was named, without its column."""
    lines = MASTER_CSV.encode().splitlines()
    cp1251 = '"""Анна"" <89161234567>"'.encode("cp1251")
    data = b"\n".join(
        [lines[0].replace(b'"""Anna"" <89161234567>"', cp1251), lines[1], lines[2] + b"\xff", b"\xfe,broken"]
    )
    parsed = read_cdr_csv(data, name="M", extensions=EXTENSIONS, zone=MOSCOW)
    assert [str(error).split(":")[1:3] for error in parsed.errors] == [
        ["1", " clid"],
        ["3", " userfield"],
        ["4", " not UTF-8 text (the PBX's files are read as UTF-8)"],
    ]
    assert parsed.calls == []


def test_the_lines_after_one_that_is_not_csv_are_still_read_and_named() -> None:
    """The reading stopped at the first line that was not CSV: the bad lines after it went unnamed."""
    lines = MASTER_CSV.splitlines()
    broken = lines[0].replace('"DOCUMENTATION"', '"DOC"UMENTATION"')
    data = "\n".join([broken, lines[1].replace("NO ANSWER", "EXPLODED"), lines[2]]).encode()
    parsed = read_cdr_csv(data, name="M", extensions=EXTENSIONS, zone=MOSCOW)
    assert [str(error).split(":")[1:3] for error in parsed.errors] == [
        ["1", " not CSV"],
        ["2", " disposition"],
    ]


def test_a_call_up_for_more_than_a_day_is_read_as_it_was() -> None:
    """Asterisk wrote a 25-hour call's line (billsec 90 000 = end − answer): it was a bad line, and as a
    bad line refuses the whole file, every later cron import of Master.csv failed. A billsec over a day
    that is not the answer-to-end span is still named."""
    long_call = (
        '"","89161234567","101","from-trunk","","PJSIP/trunk-1","PJSIP/101-2","Dial","PJSIP/101",'
        '"2026-11-22 09:00:00","2026-11-22 09:00:10","2026-11-23 10:00:10",90010,90000,"ANSWERED",'
        '"DOCUMENTATION","1795417200.7",""'
    )
    parsed = read_cdr_csv(long_call.encode(), name="M", extensions=EXTENSIONS, zone=MOSCOW)
    assert parsed.errors == []
    [(_line, facts)] = parsed.calls
    assert (facts.duration_seconds, facts.outcome, facts.operator_login) == (90_000, "answered", "olga")
    wrong = long_call.replace(",90000,", ",95000,")
    parsed = read_cdr_csv(wrong.encode(), name="M", extensions=EXTENSIONS, zone=MOSCOW)
    assert [str(error).split(":")[1:3] for error in parsed.errors] == [["1", " billsec"]]


def test_a_call_across_the_autumn_clock_change_is_read_by_its_durations() -> None:
    """Berlin's clocks go back at 03:00 on 25 October 2026: 02:00–03:00 happens twice. A call from 02:58
    (summer time) to 02:01 (winter time), 197 s long, was "ended is before the start", and the line
    blocked the whole file, every cron run; a call within the repeated hour was read an hour out
    whichever pass it was. The durations say which pass each time is on."""
    from datetime import UTC, datetime

    berlin = ZoneInfo("Europe/Berlin")
    lines = [
        '"","89161234567","101","from-internal","","PJSIP/trunk-1","PJSIP/101-2","Dial","PJSIP/101",'
        '"2026-10-25 02:58:00","2026-10-25 02:58:05","2026-10-25 02:01:17",197,192,"ANSWERED","DOCUMENTATION",'
        '"across.1",""',
        '"","89161234567","101","from-internal","","PJSIP/trunk-1","PJSIP/101-2","Dial","PJSIP/101",'
        '"2026-10-25 02:10:00","2026-10-25 02:10:05","2026-10-25 02:12:00",3720,3715,"ANSWERED","DOCUMENTATION",'
        '"long.2",""',
    ]
    parsed = read_cdr_csv("\n".join(lines).encode(), name="M", extensions=EXTENSIONS, zone=berlin)
    assert parsed.errors == []
    (_, across), (_, long) = parsed.calls
    assert (across.started_at, across.answered_at, across.ended_at) == (
        datetime(2026, 10, 25, 0, 58, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 58, 5, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 1, 17, tzinfo=UTC),
    )
    # 02:10 summer time to 02:12 winter time: an hour and two minutes, as its duration says
    assert (long.started_at, long.ended_at) == (
        datetime(2026, 10, 25, 0, 10, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 12, tzinfo=UTC),
    )


def test_a_call_id_too_long_says_how_long() -> None:
    """A 200-character uniqueid was "a call id of 1 to 128 characters is needed", as if it were missing."""
    text = line("PJSIP/101-2", "ANSWERED", 110, "u" * 200, "")
    parsed = read_cdr_csv(text.encode(), name="M", extensions=EXTENSIONS, zone=MOSCOW)
    assert [str(error) for error in parsed.errors] == [
        "M:1: call id: the call id is at most 128 characters (this one has 200)"
    ]


def test_an_unknown_disposition_is_named_as_the_file_has_it() -> None:
    """'Answered!' was named as 'ANSWERED!', which is not what the line says."""
    parsed = read_cdr_csv(
        line("PJSIP/101-2", "Answered!", 0).encode(), name="M", extensions=EXTENSIONS, zone=MOSCOW
    )
    assert [str(error) for error in parsed.errors] == ["M:1: disposition: unknown disposition 'Answered!'"]
