"""The import service on SQLite and PostgreSQL: atomicity, duplicates, dry run, idempotence, roles, index."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from hotline.core.errors import InvalidInput, PermissionDenied
from hotline.core.importing.outcome import ImportRejected
from hotline.core.importing.service import ImportOptions, import_clients
from hotline.core.models import AuditEntry, Client, ClientEmail, ClientGroup, ClientPhone

HEADER = "Фамилия;Имя;Организация;Телефон;E-mail;Группа;День рождения;Примечание;Теги\n"
GOOD_ROWS = (
    "Иванов;Иван;ООО Ромашка;8 (495) 123-45-67, +7 916 111-22-33;ivan@romashka.ru;VIP;15.01.1980;звонить утром;опт\n"
    "Петрова;Анна;ООО Ромашка;+7 916 222-33-44;anna@romashka.ru;vip;;;\n"
    "Smith;John;;+44 20 7946 0958;john@example.com;;1975-06-30;;\n"
    ";;ООО Лютик;+7 495 000-00-01;;;;;\n"
    "Без;Контактов;;;;;;;\n"
)


def write(tmp_path: Path, body: str, *, name: str = "clients.csv", encoding: str = "cp1251") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def run(uow_factory, path: Path, **options) -> object:
    with uow_factory(actor_login="root") as uow:
        return import_clients(uow, path=path, options=ImportOptions(default_region="RU", **options))


def table_state(engine: Engine) -> dict[str, list[tuple]]:
    """Everything an import may write, to compare before and after."""
    with engine.connect() as connection:
        return {
            "client": connection.execute(
                text(
                    "SELECT id, kind, name, organisation_id, group_id, birthday, notes, updated_at FROM client ORDER BY id"
                )
            ).all(),
            "phone": connection.execute(text("SELECT client_id, e164 FROM client_phone ORDER BY id")).all(),
            "email": connection.execute(
                text("SELECT client_id, address FROM client_email ORDER BY id")
            ).all(),
            "group": connection.execute(text("SELECT id, name FROM client_group ORDER BY id")).all(),
        }


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def test_import_creates_clients_contacts_groups_and_organisations(
    engine, uow_factory, admin, tmp_path
) -> None:
    outcome = run(uow_factory, write(tmp_path, GOOD_ROWS))
    assert outcome.counts == {"created": 5, "updated": 0, "unchanged": 0, "skipped": 0, "rejected": 0}
    assert outcome.organisations_created == 1  # ООО Ромашка; ООО Лютик is a row of its own
    with engine.connect() as connection:
        clients = {row.name: row for row in connection.execute(select(Client.__table__))}
        assert set(clients) == {
            "Иван Иванов", "Анна Петрова", "John Smith", "ООО Лютик", "Контактов Без", "ООО Ромашка",
        }  # fmt: skip
        romashka = clients["ООО Ромашка"]
        assert romashka.kind == "organisation"
        assert clients["Иван Иванов"].organisation_id == romashka.id
        assert clients["Анна Петрова"].organisation_id == romashka.id
        assert clients["ООО Лютик"].kind == "organisation"
        assert clients["Иван Иванов"].notes == "звонить утром"
        assert clients["Иван Иванов"].tags == ["опт"]
        assert str(clients["John Smith"].birthday) == "1975-06-30"
        phones = (
            connection.execute(
                select(ClientPhone.e164).where(ClientPhone.client_id == clients["Иван Иванов"].id)
            )
            .scalars()
            .all()
        )
        assert sorted(phones) == ["+74951234567", "+79161112233"]
        groups = connection.execute(select(ClientGroup.name)).scalars().all()
        assert groups == ["VIP"]  # "vip" is the same group
        assert clients["Анна Петрова"].group_id == clients["Иван Иванов"].group_id
        audit = connection.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.after)).all()
    imports = [entry for entry in audit if entry.action == "client.import"]
    assert len(imports) == 1
    assert imports[0].actor == "root"
    assert imports[0].after["created"] == 5


@pytest.mark.parametrize("threshold", [10_000, 2])  # per-client reindex; a set-wise rebuild
def test_the_lookup_index_knows_the_imported_clients(
    engine, uow_factory, admin, tmp_path, threshold, monkeypatch
) -> None:
    from hotline.core.importing import service
    from hotline.core.search import lookup

    monkeypatch.setattr(service, "REINDEX_ONE_BY_ONE_UP_TO", threshold)
    run(uow_factory, write(tmp_path, GOOD_ROWS))
    with uow_factory(readonly=True) as uow:
        by_phone = lookup(uow.session, "916 111-22-33", default_region="RU")
        by_name = lookup(uow.session, "Петрова", default_region="RU")
        by_company = lookup(uow.session, "Лютик", default_region="RU")
    assert [hit.title for hit in by_phone[:1]] == ["Иван Иванов"]
    assert [hit.title for hit in by_name[:1]] == ["Анна Петрова"]
    assert "ООО Лютик" in [hit.title for hit in by_company]


def test_one_invalid_row_means_nothing_is_written_and_every_error_is_listed(
    engine, uow_factory, admin, tmp_path
) -> None:
    bad = GOOD_ROWS + "Плохой;Телефон;;12;;;;;\n;;;+7 916 999-99-99;not-an-email;;31.02.1990;;\n"
    before = table_state(engine)
    with pytest.raises(ImportRejected) as caught:
        run(uow_factory, write(tmp_path, bad))
    errors = {(error.line, error.column) for error in caught.value.outcome.errors}
    assert errors == {(7, "Телефон"), (8, "Имя"), (8, "E-mail"), (8, "День рождения")}
    assert "2 invalid rows; nothing was imported" in str(caught.value)
    assert caught.value.exit_code == 2
    assert table_state(engine) == before
    assert count(engine, AuditEntry) == 2  # the two operators only


def test_skip_invalid_imports_the_rest_and_writes_the_errors_file(
    engine, uow_factory, admin, tmp_path
) -> None:
    bad = GOOD_ROWS + 'Плохой;Телефон;;12;;;;;\n=HYPERLINK("x");;;;bad@;;;;\n'
    errors_path = tmp_path / "errors.csv"
    outcome = run(uow_factory, write(tmp_path, bad), skip_invalid=True, errors_path=errors_path)
    assert outcome.count("created") == 5
    assert outcome.count("rejected") == 2
    assert count(engine, Client) == 6
    lines = errors_path.read_text(encoding="utf-8-sig").splitlines()
    assert (
        lines[0] == "Фамилия,Имя,Организация,Телефон,E-mail,Группа,День рождения,Примечание,Теги,line,reason"
    )
    assert lines[1].startswith("Плохой,Телефон,,12,")
    assert ",7,Телефон: unparseable phone" in lines[1]
    assert lines[2].startswith('"\'=HYPERLINK(""x"")"')  # neutralised for spreadsheets
    assert ",8,E-mail: invalid email" in lines[2]


def test_the_errors_files_header_is_neutralised_like_its_rows(engine, uow_factory, admin, tmp_path) -> None:
    """The header is the input file's own: a formula there went into the errors file as it was."""
    path = tmp_path / "clients.csv"
    path.write_text("name;phone;@SUM(1+1)*cmd|\nПлохой;12;x\n", encoding="utf-8")
    errors_path = tmp_path / "errors.csv"
    run(uow_factory, path, skip_invalid=True, errors_path=errors_path)
    header = errors_path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "name,phone,'@SUM(1+1)*cmd|,line,reason"


def test_dry_run_reports_the_same_decisions_and_writes_nothing(engine, uow_factory, admin, tmp_path) -> None:
    path = write(tmp_path, GOOD_ROWS + GOOD_ROWS.splitlines(keepends=True)[2])
    before = table_state(engine)
    dry = run(uow_factory, path, dry_run=True)
    assert table_state(engine) == before
    assert count(engine, AuditEntry) == 2
    real = run(uow_factory, path)
    assert [(d.line, d.action) for d in dry.decisions] == [(d.line, d.action) for d in real.decisions]
    assert (
        dry.counts == real.counts == {"created": 5, "updated": 0, "unchanged": 0, "skipped": 1, "rejected": 0}
    )
    assert dry.organisations_created == real.organisations_created == 1
    assert dry.groups_created == ["VIP"]
    assert real.groups_created == ["VIP"]


@pytest.mark.parametrize("policy", ["skip", "update"])
def test_re_running_the_same_import_changes_nothing(engine, uow_factory, admin, tmp_path, policy) -> None:
    path = write(tmp_path, GOOD_ROWS)
    run(uow_factory, path, on_duplicate=policy)
    before = table_state(engine)
    again = run(uow_factory, path, on_duplicate=policy)
    assert table_state(engine) == before
    assert again.count("created") == 0
    assert again.count("updated") == 0
    assert again.count("skipped" if policy == "skip" else "unchanged") == 5


@pytest.mark.parametrize("batch_size", [2000, 1])  # merges within one flush, and across flushes
def test_duplicates_within_the_file(engine, uow_factory, admin, tmp_path, batch_size) -> None:
    body = (
        "Иванов;Иван;;+7 916 111-22-33;;;;;\n"
        "Иванов;Иван Петрович;;8 916 111 22 33;ivan@example.ru;;;;\n"  # same phone, written differently
        "Другой;Человек;;;IVAN@EXAMPLE.RU;;;;\n"  # same email as the line above, other case
    )
    path = write(tmp_path, body)
    skipped = run(uow_factory, path, dry_run=True)
    assert [(d.action, d.detail) for d in skipped.decisions] == [
        ("created", ""), ("skipped", "duplicate of line 2"), ("created", ""),
    ]  # fmt: skip
    with pytest.raises(ImportRejected) as caught:
        run(uow_factory, path, on_duplicate="fail")
    assert [(e.line, e.column, e.reason) for e in caught.value.outcome.errors] == [
        (3, "Телефон", "duplicate: duplicate of line 2")
    ]
    merged = run(uow_factory, path, on_duplicate="update", batch_size=batch_size)
    assert [d.action for d in merged.decisions] == ["created", "updated", "updated"]
    assert count(engine, Client) == 1
    with engine.connect() as connection:
        name = connection.execute(select(Client.name)).scalar_one()
        emails = connection.execute(select(ClientEmail.address)).scalars().all()
    assert name == "Человек Другой"
    assert emails == ["ivan@example.ru"]


def test_duplicates_against_the_database(engine, uow_factory, admin, tmp_path) -> None:
    run(uow_factory, write(tmp_path, GOOD_ROWS))
    changed = write(
        tmp_path, "Иванов;Иван;;8 495 123 45 67;new@romashka.ru;Опт;;новое примечание;\n", name="b.csv"
    )
    skipped = run(uow_factory, changed)
    assert [(d.action, d.detail) for d in skipped.decisions] == [
        ("skipped", f"matches client #{skipped.decisions[0].client_id} by phone +74951234567")
    ]
    with pytest.raises(ImportRejected):
        run(uow_factory, changed, on_duplicate="fail")
    updated = run(uow_factory, changed, on_duplicate="update")
    assert updated.count("updated") == 1
    client_id = updated.decisions[0].client_id
    with engine.connect() as connection:
        notes = connection.execute(select(Client.notes).where(Client.id == client_id)).scalar_one()
        emails = (
            connection.execute(select(ClientEmail.address).where(ClientEmail.client_id == client_id))
            .scalars()
            .all()
        )
        tags = connection.execute(select(Client.tags).where(Client.id == client_id)).scalar_one()
    assert notes == "новое примечание"
    assert sorted(emails) == ["ivan@romashka.ru", "new@romashka.ru"]
    assert tags == ["опт"]
    assert run(uow_factory, changed, on_duplicate="update").count("unchanged") == 1


def test_only_admins_may_import(engine, uow_factory, admin, tmp_path) -> None:
    path = write(tmp_path, GOOD_ROWS)
    with pytest.raises(PermissionDenied, match="olga"), uow_factory(actor_login="olga") as uow:
        import_clients(uow, path=path, options=ImportOptions(default_region="RU"))
    assert count(engine, Client) == 0


def test_header_only_and_unknown_files_are_bad_input(engine, uow_factory, admin, tmp_path) -> None:
    with pytest.raises(InvalidInput, match="no data rows below the header"):
        run(uow_factory, write(tmp_path, ""))
    empty_array = tmp_path / "clients.json"
    empty_array.write_text("[]\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="the array holds no client"):  # a JSON file has no header
        run(uow_factory, empty_array)
    pdf = tmp_path / "scan.csv"
    pdf.write_bytes(b"%PDF-1.4\n...")
    with pytest.raises(InvalidInput, match="PDF"):
        run(uow_factory, pdf)
    assert count(engine, Client) == 0


def test_several_batches_and_the_progress_callback(engine, uow_factory, admin, tmp_path) -> None:
    rows = "".join(f"Фамилия{i};Имя;;+7 916 {i:07d};user{i}@example.com;;;;\n" for i in range(1200))
    seen: list[tuple[int, float | None]] = []
    with uow_factory(actor_login="root") as uow:
        outcome = import_clients(
            uow, path=write(tmp_path, rows), options=ImportOptions(batch_size=250, default_region="RU"),
            progress=lambda done, share: seen.append((done, share)),
        )  # fmt: skip
    assert outcome.count("created") == 1200
    assert count(engine, ClientPhone) == 1200
    assert seen[-1] == (1200, 1.0)
    assert [done for done, _ in seen[:-1]] == [500, 1000]
    assert all(share is not None and 0 < share <= 1 for _, share in seen)


def test_xlsx_and_vcard_files_import_like_csv(engine, uow_factory, admin, tmp_path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["ignored sheet"])
    sheet = book.create_sheet("Клиенты")
    sheet.append(["ФИО", "Компания", "Мобильный", "Дата рождения"])
    sheet.append(["Сидорова Мария", "ООО Ромашка", 79035554433, None])
    sheet.append(["Lee Ann", None, "+44 20 7946 0000", "1990-05-17"])
    workbook = tmp_path / "book.xlsx"
    book.save(workbook)
    with uow_factory(actor_login="root") as uow:
        outcome = import_clients(
            uow, path=workbook, options=ImportOptions(sheet="Клиенты", default_region="RU")
        )
    assert outcome.counts["created"] == 2
    assert outcome.organisations_created == 1
    vcard = tmp_path / "contacts.vcf"
    vcard.write_bytes(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Сидорова;Мария;;;\r\nFN:Мария Сидорова\r\nTEL;TYPE=CELL:+7 903 555-44-33\r\n"
        "EMAIL:maria@example.ru\r\nEND:VCARD\r\n".encode()
    )
    with uow_factory(actor_login="root") as uow:
        merged = import_clients(
            uow, path=vcard, options=ImportOptions(on_duplicate="update", default_region="RU")
        )
    assert [(d.action, d.detail) for d in merged.decisions] == [
        ("updated", "matches client #2 by phone +79035554433")
    ]
    with engine.connect() as connection:
        emails = connection.execute(select(ClientEmail.address)).scalars().all()
    assert emails == ["maria@example.ru"]


def test_json_keys_that_are_no_client_field_are_reported_as_ignored(
    engine, uow_factory, admin, tmp_path
) -> None:
    path = tmp_path / "clients.json"
    path.write_text(
        '[{"id": 7, "name": "Jay Phone", "phone": "+7 900 555-44-33", "emails": ["jay@example.ru"]},\n'
        ' {"name": "Kay", "Notes": "call back"}]\n',
        encoding="utf-8",
    )
    outcome = run(uow_factory, path)
    assert outcome.counts["created"] == 2
    assert outcome.ignored_columns == [
        "phone",
        "Notes",
    ]  # "id" is read: it tells same-named organisations apart
    assert count(engine, ClientPhone) == 0


def test_files_beyond_one_import_are_refused_with_nothing_written(
    engine, uow_factory, admin, tmp_path, monkeypatch
) -> None:
    from hotline.core.importing import run as import_run

    big = tmp_path / "big.csv"
    with big.open("wb") as stream:  # a sparse gigabyte: the size alone decides, nothing is read
        stream.write((HEADER + GOOD_ROWS).encode("cp1251"))
        stream.truncate(1 << 30)
    with pytest.raises(InvalidInput, match="the file is 1,024 MB; one import takes at most 256 MB") as caught:
        run(uow_factory, big)
    assert caught.value.where == str(big)
    monkeypatch.setattr(import_run, "MAX_IMPORT_ROWS", 3)
    with pytest.raises(InvalidInput, match="more than 3 rows") as caught:
        run(uow_factory, write(tmp_path, GOOD_ROWS))
    assert caught.value.where.endswith(":5")
    assert count(engine, Client) == 0


@pytest.mark.parametrize("batch_size", [1, 2000])  # the organisation already written, or still pending
def test_an_organisation_row_after_its_people_completes_it(
    engine, uow_factory, admin, tmp_path, batch_size
) -> None:
    body = (
        "Иванов;Иван;ООО Ромашка;+7 916 100-00-01;;;;;\n"
        ";;ООО Ромашка;+7 495 100-00-00;info@romashka.ru;;;Главный офис;\n"
        ";;ООО Ромашка;+7 812 100-00-00;spb@romashka.ru;;;Питер;\n"  # another company of the same name
        "Петров;Пётр;ООО Ромашка;+7 916 100-00-02;;;;;\n"
    )
    path = write(tmp_path, body)
    dry = run(uow_factory, path, dry_run=True, batch_size=batch_size)
    real = run(uow_factory, path, batch_size=batch_size)
    for outcome in (dry, real):
        assert [d.action for d in outcome.decisions] == ["created"] * 4
        assert outcome.organisations_created == 0
    assert [d.client_id for d in real.decisions][1] is not None
    with engine.connect() as connection:
        clients = connection.execute(
            select(Client.id, Client.kind, Client.organisation_id, Client.notes).order_by(Client.id)
        ).all()
        head_office = connection.execute(
            select(ClientPhone.client_id).where(ClientPhone.e164 == "+74951000000")
        ).scalar_one()
    assert len(clients) == 4
    people = [c for c in clients if c.kind == "person"]
    assert {person.organisation_id for person in people} == {head_office}
    assert next(c.notes for c in clients if c.id == head_office) == "Главный офис"


def test_a_cell_past_the_csv_field_limit_is_too_long_not_a_quote_left_open(
    engine, uow_factory, admin, tmp_path
) -> None:
    path = write(tmp_path, GOOD_ROWS + "Длинный;Текст;;+7 916 555-44-33;;;;" + "я" * 200_000 + ";\n")
    before = table_state(engine)
    with pytest.raises(InvalidInput) as caught:
        run(uow_factory, path)
    assert str(caught.value) == f"{path}:7: a cell is longer than 100,000 characters"
    assert table_state(engine) == before


def test_a_person_sharing_the_company_phone_is_not_the_company(engine, uow_factory, admin, tmp_path) -> None:
    body = (
        "Иванов;Иван;ООО Ромашка;+7 495 100-00-00;;;;;\n"  # the switchboard number on a contact person
        ";;ООО Ромашка;+7 495 100-00-00;info@romashka.ru;;;;\n"
        "Иванова;Анна;;+7 495 100-00-00;;;;;\n"  # a colleague at the same number: another person
    )
    path = write(tmp_path, body)
    first = run(uow_factory, path)
    assert [d.action for d in first.decisions] == ["created", "created", "created"]
    assert first.organisations_created == 0
    again = run(uow_factory, path)
    assert [d.action for d in again.decisions] == ["skipped", "skipped", "skipped"]
    assert count(engine, Client) == 3


def test_a_cell_past_the_bound_names_the_file_line_and_column(engine, uow_factory, admin, tmp_path) -> None:
    long_note = "Примечание " + "я" * 100_000
    path = write(tmp_path, GOOD_ROWS + f"Длинный;Текст;;+7 916 555-44-33;;;;{long_note};\n")
    before = table_state(engine)
    with pytest.raises(ImportRejected) as caught:
        run(uow_factory, path)
    (error,) = caught.value.outcome.errors
    assert error.describe(str(path)) == f"{path}:7: Примечание: longer than 100,000 characters"
    assert table_state(engine) == before


def test_a_column_without_a_header_that_holds_cells_is_reported_as_ignored(
    engine, uow_factory, admin, tmp_path
) -> None:
    """A column whose header cell is blank was dropped without a word (the named ones it did not read are
    listed as ignored): it is listed too when a row has something in it, by its number."""
    path = tmp_path / "clients.csv"
    path.write_text(
        "name,,phone,\nAnn Lee,VIP caller,+7 900 555-44-33,\nBob Ray,,+7 900 555-44-34,\n",
        encoding="utf-8",
    )
    outcome = run(uow_factory, path)
    assert outcome.counts["created"] == 2
    assert outcome.ignored_columns == ["column 2 (no header)"]  # the empty column 4: nothing to say
