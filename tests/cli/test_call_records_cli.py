"""``hotline call log`` and ``hotline call import-cdr``: idempotent, bad lines named, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models import CallRecord
from tests.cli.invoke import NO_CONFIG_HOME, hotline
from tests.conftest import TEST_NOW
from tests.pbx_samples import MASTER_CSV, seed_pbx


@pytest.fixture
def pbx_db(database_url: str, tmp_path: Path) -> tuple[str, Path]:
    """A database with the PBX staff and a client, and a config mapping 101 → olga, 102 → ivan."""
    engine = make_engine(database_url)
    with UnitOfWork(engine, clock=FixedClock(TEST_NOW)) as uow:
        seed_pbx(uow)
    engine.dispose()
    config = tmp_path / "config.toml"
    config.write_text('timezone = "Europe/Moscow"\n[pbx.extensions]\n"101" = "olga"\n"102" = "ivan"\n')
    return database_url, config


def records(database_url: str) -> list[CallRecord]:
    engine = make_engine(database_url)
    try:
        with UnitOfWork(engine, readonly=True) as uow:
            return list(uow.session.exec(select(CallRecord).order_by(CallRecord.started_at)))
    finally:
        engine.dispose()


def test_call_log_is_idempotent_by_the_call_id(pbx_db) -> None:
    db, config = pbx_db
    args = ["--db", db, "--config", str(config), "call", "log", "89161234567", "--call-id", "pbx-7",
            "--operator", "olga", "--start", "2026-11-23T10:00:00+03:00", "--duration", "95",
            "--outcome", "answered", "--recording", "2026/11/23/pbx-7.wav", "--json"]  # fmt: skip
    first = hotline(*args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["result"] == "recorded"
    again = hotline(*args)
    assert json.loads(again.stdout)["result"] == "already recorded"
    [row] = records(db)
    assert (row.operator_login, row.duration_seconds, row.recording, row.direction) == (
        "olga", 95, "2026/11/23/pbx-7.wav", "in",
    )  # fmt: skip
    assert row.client_id is not None and row.ended_at is not None


def test_call_log_again_with_other_facts_says_what_was_kept(pbx_db) -> None:
    """A second ``call log`` of a recorded call with another duration, operator or direction said
    "already recorded", exit 0, and what it gave was dropped: a script correcting a call believed it
    done. It now names each fact kept against the one given, exit 2, nothing written; the same facts
    again (a start left to "now" included) are still a no-op."""
    db, config = pbx_db
    base = ["--db", db, "--config", str(config), "call", "log", "89161234567", "--call-id", "pbx-8"]
    first = hotline(*base, "--operator", "olga", "--start", "2026-11-23T10:00:00+03:00", "--duration", "95")
    assert first.exit_code == 0, first.output
    same = hotline(*base, "--operator", "olga", "--duration", "95", "--direction", "in")
    assert same.exit_code == 0 and "already recorded" in same.stderr, same.output
    rounded = hotline(
        *base, "--duration", "96", "--start", "2026-11-23T10:00:01+03:00"
    )  # another clock's second
    assert rounded.exit_code == 0 and "already recorded" in rounded.stderr, rounded.output
    zero = [
        "--db",
        db,
        "--config",
        str(config),
        "call",
        "log",
        "89161234567",
        "--call-id",
        "pbx-0",
        "--duration",
        "0",
    ]
    assert [hotline(*zero).exit_code, hotline(*zero).exit_code] == [0, 0]  # 0 s was "no duration (not 0 s)"
    other = hotline(*base, "--operator", "ivan", "--duration", "61", "--direction", "out",
                    "--start", "2026-11-23T10:00:00+03:00", "--outcome", "busy")  # fmt: skip
    assert other.exit_code == 2, other.output
    assert other.stderr.strip() == (
        "hotline: error: call pbx-8: already recorded with operator olga (not ivan), direction in (not"
        " out), duration 95 s (not 61 s), no outcome (not busy); a recorded call is never changed"
    )
    [row, _zero] = records(db)
    assert (row.operator_login, row.duration_seconds, row.direction, row.outcome) == ("olga", 95, "in", None)


def test_call_log_after_the_call_without_a_start_ends_it_now(pbx_db) -> None:
    """A hook run at the hang-up (``call log N --call-id X --duration 600``, no ``--start``) recorded the
    call as starting at the hang-up and ending ten minutes in the future: the operator's logged call,
    started at the ring, fell outside the window that ties it to the PBX's call. Given a duration and no
    start, the call now ends now and started that long before."""
    from datetime import UTC, datetime

    db, config = pbx_db
    done = hotline("--db", db, "--config", str(config), "--now", "2026-11-23T10:10:00+03:00", "call", "log",
                   "89161234567", "--call-id", "pbx-9", "--operator", "olga", "--duration", "600")  # fmt: skip
    assert done.exit_code == 0, done.output
    [row] = records(db)
    assert (row.started_at, row.ended_at) == (
        datetime(2026, 11, 23, 7, 0, tzinfo=UTC), datetime(2026, 11, 23, 7, 10, tzinfo=UTC),
    )  # fmt: skip


def test_call_log_refuses_bad_input_with_exit_2(pbx_db) -> None:
    db, config = pbx_db
    base = ["--db", db, "--config", str(config), "call", "log"]
    assert hotline(*base, "89161234567", "--call-id", "x", "--operator", "nobody").exit_code == 2
    bad_start = hotline(*base, "89161234567", "--call-id", "x", "--start", "yesterday")
    assert bad_start.exit_code == 2 and "--start" in bad_start.stderr
    assert hotline(*base, "", "--call-id", "x").exit_code == 2
    blank_start = hotline(*base, "89161234567", "--call-id", "x", "--start", "")  # was taken as "now"
    blank_id = hotline(*base, "89161234567", "--call-id", " ")  # was "a call id of 1 to 128 characters"
    assert blank_id.stderr.strip() == "hotline: error: call id: the call id is blank", blank_id.output
    future = hotline(*base, "89161234567", "--call-id", "x", "--start", "2062-11-23T10:00:00+03:00")
    assert future.exit_code == 2 and "--start: the call would end after now" in future.stderr, future.output
    assert blank_start.exit_code == 2 and "--start" in blank_start.stderr, blank_start.output
    assert records(db) == []


def test_call_log_refuses_a_value_it_would_cut_or_clean(pbx_db) -> None:
    """A 150-digit number was stored cut to 100, a 60-character outcome to 50, a 600-character recording
    path to 500, and an escape sequence dropped from a call id (so another id's record answered "already
    recorded"), each with exit 0."""
    db, config = pbx_db
    base = ["--db", db, "--config", str(config), "call", "log"]
    for args, field in (
        (["7" * 150, "--call-id", "c1"], "number"),
        (["89161234567", "--call-id", "a\x1b[2Jb"], "call id"),
        (["89161234567", "--call-id", "c3", "--outcome", "x" * 51], "outcome"),
        (["89161234567", "--call-id", "c4", "--recording", "/r/" + "x" * 500], "recording"),
        (["89161234567\u202e", "--call-id", "c5"], "number"),
    ):
        refused = hotline(*base, *args)
        assert refused.exit_code == 2 and refused.stderr.startswith(f"hotline: error: {field}:"), (
            refused.output
        )
    assert records(db) == []
    kept = hotline(*base, "89161234567", "--call-id", "c6", "--outcome", "x" * 50, "--recording", "r" * 500)
    assert kept.exit_code == 0, kept.output
    [row] = records(db)
    assert (len(row.outcome), len(row.recording)) == (50, 500)


def test_import_cdr_reads_master_csv_and_a_rerun_changes_nothing(pbx_db, tmp_path: Path) -> None:
    db, config = pbx_db
    master = tmp_path / "Master.csv"
    master.write_text(MASTER_CSV)
    result = hotline("--db", db, "--config", str(config), "call", "import-cdr", str(master), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "created": 2, "updated": 0, "unchanged": 0, "internal_lines": 1, "merged_lines": 0,
    }  # fmt: skip
    incoming, outgoing = records(db)
    assert (incoming.direction, incoming.operator_login, incoming.duration_seconds, incoming.outcome) == (
        "in", "olga", 192, "answered",
    )  # fmt: skip
    assert incoming.started_at.isoformat() == "2026-11-23T07:00:00+00:00"  # Moscow time in the file
    assert incoming.pbx_call_id == "1763881200.1" and incoming.client_id is not None
    assert (outgoing.direction, outgoing.number, outgoing.operator_login, outgoing.outcome) == (
        "out", "84959263781", "ivan", "no_answer",
    )  # fmt: skip
    rerun = hotline("--db", db, "--config", str(config), "call", "import-cdr", str(master), "--json")
    assert json.loads(rerun.stdout)["unchanged"] == 2
    assert len(records(db)) == 2


def test_import_cdr_names_every_bad_line_and_writes_nothing(pbx_db, tmp_path: Path) -> None:
    db, config = pbx_db
    lines = MASTER_CSV.splitlines()
    broken = [
        lines[0],
        lines[1].replace("2026-11-23 10:10:00", "23/11/2026"),
        lines[2].replace(",60,58,", ",60,lots,"),
        '"just","three","cells"',
    ]
    master = tmp_path / "Master.csv"
    master.write_text("\n".join(broken) + "\n")
    result = hotline("--db", db, "--config", str(config), "call", "import-cdr", str(master))
    assert result.exit_code == 2
    assert f"{master}:2: start" in result.stderr
    assert f"{master}:3: billsec" in result.stderr
    assert f"{master}:4: 3 columns" in result.stderr
    assert "Traceback" not in result.output
    assert records(db) == []
    master.write_bytes(MASTER_CSV.encode() + b'"\xff\xfe"\n')
    assert hotline("--db", db, "--config", str(config), "call", "import-cdr", str(master)).exit_code == 2
    assert hotline("--db", db, "call", "import-cdr", str(tmp_path / "missing.csv")).exit_code == 2
    folder = hotline("--db", db, "call", "import-cdr", str(tmp_path))  # was click's own "Usage: …" lines
    assert (folder.exit_code, folder.stderr) == (
        2,
        f"hotline: error: {tmp_path}: cannot read: Is a directory\n",
    )
    assert records(db) == []


def test_import_cdr_names_a_time_in_year_1_and_a_superscript_instead_of_failing(pbx_db, tmp_path) -> None:
    """Year 1 was "database error: date value out of range", exit 1, no line named; ``²`` a traceback."""
    db, config = pbx_db
    lines = MASTER_CSV.splitlines()
    master = tmp_path / "Master.csv"
    master.write_text("\n".join([lines[0].replace("2026-11-23 10:00:00", "0001-01-01 00:00:00"),
                                  lines[1].replace(",20,0,", ",²,0,")]) + "\n")  # fmt: skip
    result = hotline("--db", db, "--config", str(config), "call", "import-cdr", str(master))
    assert result.exit_code == 2, result.output
    assert f"{master}:1: start" in result.stderr and f"{master}:2: duration" in result.stderr
    assert "Traceback" not in result.output and records(db) == []


def test_import_cdr_with_an_operator_nobody_added_writes_nothing(pbx_db, tmp_path: Path) -> None:
    db, config = pbx_db
    config.write_text('[pbx.extensions]\n"101" = "olga"\n"102" = "ghost"\n')
    master = tmp_path / "Master.csv"
    master.write_text(MASTER_CSV)
    result = hotline("--db", db, "--config", str(config), "call", "import-cdr", str(master))
    assert result.exit_code == 2 and f"{master}:2" in result.stderr and "ghost" in result.stderr
    assert records(db) == []


def test_call_dial_queues_a_request_for_my_extension(pbx_db) -> None:
    db, config = pbx_db
    result = hotline(
        "--db", db, "--config", str(config), "--operator", "olga", "call", "dial", "8 916 123-45-67", "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["extension"] == "101"
    [request] = records(db)
    assert (request.state, request.number, request.operator_login, request.direction) == (
        "dialing",
        "89161234567",
        "olga",
        "out",
    )
    no_extension = hotline("--db", db, "--config", str(config), "--operator", "admin", "call", "dial", "123")
    assert no_extension.exit_code == 2 and "[pbx.extensions]" in no_extension.stderr
    unknown = hotline("--db", db, "--config", str(config), "--operator", "nobody", "call", "dial", "123")
    assert unknown.exit_code == 2
    assert len(records(db)) == 1


def test_call_dial_refuses_what_it_cannot_dial_instead_of_dropping_it(pbx_db) -> None:
    """Letters, an extension, ``#`` or a pause were dropped and the rest dialled ("8 800 FLOWERS" rang
    8800, "… ext 123" the number with 123 after it); 150 digits were cut to the column's 100."""
    db, config = pbx_db
    base = ["--db", db, "--config", str(config), "--operator", "olga", "call", "dial"]
    for number, said in (
        ("8 800 FLOWERS", "'F' cannot be dialled"),
        ("+7 916 123-45-67 ext 123", "'e' cannot be dialled"),
        ("+7 916 123-45-67 доб. 5", "'д' cannot be dialled"),
        ("89161234567;,w123", "';' cannot be dialled"),
        ("+79161234567#", "'#' cannot be dialled"),
        ("++79161234567", "'+' cannot be dialled"),
        ("7" * 150, "at most 20 digits"),
        # shown as typed: the byte that is not UTF-8 and the escape were left out of the number named
        ("12\udcff3", "'12\\xff3' ('\\xff' cannot be dialled"),
        ("1\x1b[2J", "'1\\x1b[2J' ('\\x1b' cannot be dialled"),
    ):
        refused = hotline(*base, "--", number)
        assert refused.exit_code == 2 and said in refused.stderr, (number, refused.output)
        assert "NUMBER" in refused.stderr and "Traceback" not in refused.output
    assert records(db) == []
    for number, dialled in (("+7 (916) 123-45-67", "+79161234567"), ("８９１６", "8916"), ("0", "0")):
        result = hotline(*base, number, "--json")
        assert result.exit_code == 0 and json.loads(result.stdout)["number"] == dialled, result.output


def test_import_cdr_reads_standard_input(pbx_db) -> None:
    from typer.testing import CliRunner

    from hotline.cli.main import app

    db, config = pbx_db
    result = CliRunner().invoke(
        app,
        ["--db", db, "--config", str(config), "call", "import-cdr", "-", "--json"],
        input=MASTER_CSV.encode(),
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 2


def test_config_check_names_an_extension_mapped_to_nobody_and_a_typo(pbx_db) -> None:
    db, config = pbx_db
    ok = hotline("--db", db, "--config", str(config), "config", "check")
    assert ok.exit_code == 0 and "2 PBX extensions" in ok.stderr + ok.stdout
    config.write_text('[pbx.extensions]\n"101" = "olga"\n"102" = "ghost"\n')
    ghost = hotline("--db", db, "--config", str(config), "config", "check")
    assert ghost.exit_code == 2 and '"102"' in ghost.stderr and "ghost" in ghost.stderr
    config.write_text("[pbx.ami]\nhots = 1\n")
    typo = hotline("--db", db, "--config", str(config), "config", "check")
    assert typo.exit_code == 2 and "hots" in typo.stderr


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[pbx.extensions]\n"" = "olga"\n', "pbx.extensions"),  # popped olga for any event without one
        ('[pbx.extensions]\n"1\\u001b[2J" = "olga"\n', "pbx.extensions"),
        ('[pbx.extensions]\n"10 1" = "olga"\n', "pbx.extensions"),
        ('[pbx.ami]\noriginate_channel = "PJSIP/{ext}"\n', "pbx.ami.originate_channel"),
        ('[pbx.ami]\noriginate_channel = "PJSIP/{0}"\n', "pbx.ami.originate_channel"),
        ('[pbx.ami]\noriginate_channel = "PJSIP/{extension.__class__}"\n', "pbx.ami.originate_channel"),
        ('[pbx.ami]\noriginate_channel = "PJSIP/{extension"\n', "pbx.ami.originate_channel"),
        ("[pbx.webhook]\nmax_age_seconds = 99999999999999999\n", "pbx.webhook.max_age_seconds"),
        # a line break no AMI action can carry: the login retried for ever, every dial "failed"
        ('[pbx.ami]\nusername = "hotline\\r"\n', "pbx.ami.username"),
        ('[pbx.ami]\nusername = ""\n', "pbx.ami.username"),
        ('[pbx.ami]\noriginate_context = "from-internal\\r\\nAction: Hangup"\n', "pbx.ami.originate_context"),
        ('[pbx.ami]\noriginate_channel = "PJSIP/{extension}\\n"\n', "pbx.ami.originate_channel"),
    ],
)
def test_config_check_refuses_pbx_settings_that_fail_only_when_used(pbx_db, text: str, says: str) -> None:
    """Each passed the check, then: every dial ended "internal error" with a traceback in the listener's
    log (a channel with another field than {extension}); every webhook request went unanswered with an
    OverflowError (a replay window past what a timedelta holds)."""
    db, config = pbx_db
    config.write_text(text)
    result = hotline("--db", db, "--config", str(config), "config", "check")
    assert result.exit_code == 2 and says in result.stderr, result.output
    assert "Traceback" not in result.output
    config.write_text(
        '[pbx.ami]\noriginate_channel = "SIP/{extension}@office"\n[pbx.webhook]\nmax_age_seconds = 86400\n'
    )
    assert hotline("--db", db, "--config", str(config), "config", "check").exit_code == 0


def test_import_cdr_names_a_file_whose_name_is_not_utf8_as_it_is(pbx_db, tmp_path: Path) -> None:
    """A file name with a byte that is not UTF-8 was named without it ("/x/.csv: cannot read", a line
    error "/x/.csv:1: ..."): not the file given. The byte is shown as \\xff."""
    import os

    db, config = pbx_db
    base = ["--db", db, "--config", str(config), "call", "import-cdr"]
    missing = os.fsdecode(os.fsencode(str(tmp_path)) + b"/\xff.csv")
    refused = hotline(*base, missing)
    assert refused.exit_code == 2 and f"{tmp_path}/\\xff.csv: cannot read" in refused.stderr, refused.output
    bad = os.fsencode(str(tmp_path)) + b"/\xfe.csv"
    with open(bad, "wb") as out:
        out.write(b"not,a,cdr,line\n")
    refused = hotline(*base, os.fsdecode(bad))
    assert refused.exit_code == 2 and f"{tmp_path}/\\xfe.csv:1: 4 columns" in refused.stderr, refused.output


def test_import_cdr_refuses_calls_that_end_after_now(pbx_db, tmp_path: Path) -> None:
    """A file whose times are not ours (a wrong [pbx] timezone, a PBX clock years off) put calls in the
    future on clients' timelines, exit 0: every such line is named, nothing imported, exit 2."""
    db, config = pbx_db
    master = tmp_path / "Master.csv"
    master.write_text(MASTER_CSV.replace("2026-11-23", "2099-11-23"))
    result = hotline("--db", db, "--config", str(config), "call", "import-cdr", str(master))
    assert result.exit_code == 2, result.output
    assert f"{master}:1: the call ends at 2099-11-23 10:03:17 MSK, after now" in result.stderr
    assert "is [pbx] timezone (or --utc) right?" in result.stderr
    assert records(db) == []
