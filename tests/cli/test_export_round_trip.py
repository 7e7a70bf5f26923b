"""An export imported into a database without clients gives back the same clients, on both backends:
phones as typed with their labels, owner, created_at, organisations of one name kept apart, and a
source or campaign the configuration does not list refused per row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()
CONFIG = 'sources = ["TV"]\n\n[[campaigns]]\ncode = "TV-NOV"\nsource = "TV"\n'


@pytest.fixture
def db(database_url: str) -> str:
    engine = make_engine(database_url)
    with UnitOfWork(engine) as uow:
        add_operator(uow, login="root", role=Role.ADMIN)
        add_operator(uow, login="olga", role=Role.OPERATOR)
    engine.dispose()
    return database_url


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def hotline(db: str, config: Path, *args: str):
    env = {"XDG_CONFIG_HOME": NO_CONFIG_HOME, "HOTLINE_OPERATOR": "root"}
    return runner.invoke(app, ["--db", db, "--config", str(config), *args], env=env)


def sql(db: str, statement: str, **params: object) -> list[tuple]:
    engine = make_engine(db)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def import_text(db: str, config: Path, path: Path, content: str):
    """``content`` written to ``path`` and imported."""
    path.write_text(content, encoding="utf-8")
    return hotline(db, config, "clients", "import", str(path))


def export_and_empty(db: str, config: Path, tmp_path: Path, fmt: str) -> Path:
    """Export every client, then delete them all: the import goes into a database without clients."""
    target = tmp_path / f"export.{fmt}"
    result = hotline(db, config, "clients", "export", "--format", fmt, "--output", str(target))
    assert result.exit_code == 0, result.output
    sql(db, "DELETE FROM client_phone")
    sql(db, "DELETE FROM client_email")
    sql(db, "UPDATE client SET organisation_id = NULL")
    sql(db, "DELETE FROM client")
    return target


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_an_unknown_source_or_campaign_in_a_file_is_a_row_error(
    db: str, config: Path, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("name,phones,source,campaign\nIvan,+7 916 111-22-33,TV,TV-NOV\n", encoding="utf-8")
    assert hotline(db, config, "clients", "import", str(path)).exit_code == 0
    sql(db, "UPDATE client SET source = 'Tv', campaign = 'TV-NOVV'")  # typos of an older configuration
    exported = export_and_empty(db, config, tmp_path, fmt)
    result = hotline(db, config, "clients", "import", str(exported))
    assert result.exit_code == 2, result.output
    assert ": source: unknown source 'Tv'" in result.output
    assert ": campaign: unknown campaign 'TV-NOVV'" in result.output
    assert sql(db, "SELECT count(*) FROM client") == [(0,)]


OWNERS = "SELECT c.name, o.login FROM client c LEFT JOIN operator o ON o.id = c.owner_id ORDER BY c.name"


def two_phones(path: Path, typed: str) -> Path:
    """A row of two phones (E.164), ``typed`` as their ``phones_as_typed`` and the second labelled."""
    path.write_text(
        f'name,phones,phones_as_typed,phone_labels\nIvan,"+74957654321, +79161112233","{typed}",'
        '"\nмобильный"\n',
        encoding="utf-8",
    )
    return path


def test_a_phone_as_typed_that_is_not_the_number_is_a_row_error(
    db: str, config: Path, tmp_path: Path
) -> None:
    path = two_phones(tmp_path / "in.csv", "8 (495) 765-43-21 доб. 123\n8 916 999-99-99")
    result = hotline(db, config, "clients", "import", str(path))
    assert result.exit_code == 2, result.output
    assert "in.csv:2: phones_as_typed: '8 916 999-99-99' is not the number +79161112233" in result.output
    assert sql(db, "SELECT count(*) FROM client") == [(0,)]


def test_phones_as_typed_and_labels_are_kept_line_by_line(db: str, config: Path, tmp_path: Path) -> None:
    path = two_phones(tmp_path / "in.csv", "8 (495) 765-43-21 доб. 123")
    result = hotline(db, config, "clients", "import", str(path))
    assert result.exit_code == 0, result.output
    assert sql(db, "SELECT raw, label FROM client_phone ORDER BY id") == [
        ("8 (495) 765-43-21 доб. 123", None),
        ("+79161112233", "мобильный"),
    ]


def test_an_owner_unknown_to_the_target_is_a_row_error(db: str, config: Path, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "name,phones,owner\nIvan,+7 916 111-22-33,olga\nAnna,+7 916 111-22-34,\n", encoding="utf-8"
    )
    assert hotline(db, config, "clients", "import", str(path)).exit_code == 0
    assert sql(db, OWNERS) == [("Anna", None), ("Ivan", "olga")]
    path.write_text("name,phones,owner\nBoris,+7 916 111-22-35,petr\n", encoding="utf-8")
    result = hotline(db, config, "clients", "import", str(path))
    assert result.exit_code == 2, result.output
    assert "in.csv:2: owner: unknown operator 'petr'" in result.output


def test_a_person_naming_one_of_two_same_named_organisations_without_its_id_is_a_row_error(
    db: str, config: Path, tmp_path: Path
) -> None:
    path = tmp_path / "orgs.csv"
    result = import_text(db, config, path, "id,kind,name\n1,organisation,Twin Org\n2,organisation,Twin Org\n")
    assert result.exit_code == 0, result.output
    assert sql(db, "SELECT count(*) FROM client WHERE name = 'Twin Org'") == [(2,)]
    result = import_text(db, config, path, "name,phones,organisation\nIvan,+7 916 111-22-33,Twin Org\n")
    assert result.exit_code == 2, result.output
    assert "orgs.csv:2: organisation: 2 organisations are named 'Twin Org'" in result.output
    assert sql(db, "SELECT count(*) FROM client") == [(2,)]


def test_an_older_json_export_without_owners_is_owned_by_the_importer(
    db: str, config: Path, tmp_path: Path
) -> None:
    path = tmp_path / "old.json"
    path.write_text(
        '[{"name": "Ivan", "phones": [{"raw": "+7 916 111-22-33", "e164": "+79161112233"}]},\n'
        ' {"name": "Anna", "owner": null}, {"name": "Oleg", "owner": "olga"}]\n',
        encoding="utf-8",
    )
    result = hotline(db, config, "clients", "import", str(path))
    assert result.exit_code == 0, result.output
    assert sql(db, OWNERS) == [("Anna", None), ("Ivan", "root"), ("Oleg", "olga")]


def test_an_older_csv_export_imports_as_before(db: str, config: Path, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text(
        "id,kind,name,last_name,first_name,middle_name,organisation,phones,emails,group,birthday,notes,tags,"
        "source,campaign\r\n"
        "1,organisation,Acme,,,,,+74951112233,,VIP,,,,,\r\n"
        "2,person,Иван Иванов,Иванов,Иван,,Acme,'+79161234567,ivan@example.ru,VIP,1980-01-15,,,TV,TV-NOV\r\n",
        encoding="utf-8",
    )
    result = hotline(db, config, "clients", "import", str(path))
    assert result.exit_code == 0, result.output
    assert sql(
        db,
        "SELECT c.name, o.name, p.raw, op.login, g.colour FROM client c JOIN client o ON o.id = c.organisation_id"
        " JOIN client_phone p ON p.client_id = c.id JOIN operator op ON op.id = c.owner_id"
        " JOIN client_group g ON g.id = c.group_id",
    ) == [("Иван Иванов", "Acme", "+79161234567", "root", "#808080")]


TWINS = (
    "SELECT p.name, o.id FROM client p JOIN client o ON o.id = p.organisation_id"
    " WHERE p.kind = 'person' ORDER BY p.name"
)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_organisations_of_one_name_and_one_number_stay_two_both_ways(
    db: str, config: Path, tmp_path: Path, fmt: str
) -> None:
    """Two branches at one switchboard number: the second was skipped as a duplicate of the first
    (exit 0) and its people moved to the first."""
    result = import_text(
        db,
        config,
        tmp_path / "in.csv",
        "id,kind,name,phones,emails,organisation,organisation_id\n"
        "1,organisation,Twin Org,+74957654321,,,\n"
        "2,organisation,Twin Org,+74957654321,,,\n"
        "3,person,Ann Lee,,ann@example.com,Twin Org,2\n"
        "4,person,Bob Ray,,bob@example.com,Twin Org,1\n",
    )
    assert result.exit_code == 0, result.output
    assert sql(db, "SELECT count(*) FROM client WHERE name = 'Twin Org'") == [(2,)]
    (ann, ann_org), (bob, bob_org) = sql(db, TWINS)
    assert (ann, bob) == ("Ann Lee", "Bob Ray") and ann_org != bob_org
    exported = tmp_path / f"again.{fmt}"
    assert hotline(db, config, "clients", "export", "-f", fmt, "-o", str(exported)).exit_code == 0
    result = hotline(db, config, "clients", "import", str(exported))  # read back into itself: nothing new
    assert result.exit_code == 0, result.output
    assert sql(db, "SELECT count(*) FROM client") == [(4,)]
    result = hotline(db, config, "clients", "import", str(export_and_empty(db, config, tmp_path, fmt)))
    assert result.exit_code == 0, result.output
    assert sql(db, "SELECT count(*) FROM client WHERE name = 'Twin Org'") == [(2,)]
    (_, ann_org), (_, bob_org) = sql(db, TWINS)
    assert ann_org != bob_org


def test_namesakes_at_one_office_number_with_two_ids_are_two_clients(
    db: str, config: Path, tmp_path: Path
) -> None:
    result = import_text(
        db,
        config,
        tmp_path / "in.csv",
        "id,name,phones\n5,Анна Иванова,+74957654321\n6,Анна Иванова,+74957654321\n"
        "6,Анна Иванова,+74957654321\n",  # the same id again: the same client, a duplicate row
    )
    assert result.exit_code == 0, result.output
    assert "in.csv:4: skipped: duplicate of line 3" in result.output
    assert sql(db, "SELECT count(*) FROM client") == [(2,)]


def test_an_organisation_id_without_the_organisation_is_a_row_error(
    db: str, config: Path, tmp_path: Path
) -> None:
    """The person was created in no organisation, exit 0."""
    content = "id,kind,name,organisation_id\n1,organisation,Acme,\n2,person,Ann Lee,1\n"
    result = import_text(db, config, tmp_path / "in.csv", content)
    assert result.exit_code == 2, result.output
    assert "in.csv:3: organisation_id: names an organisation but the organisation column is empty" in (
        result.output
    )
    assert sql(db, "SELECT count(*) FROM client") == [(0,)]


def test_a_deactivated_owner_is_a_row_error(db: str, config: Path, tmp_path: Path) -> None:
    """A deactivated operator in the owner column was taken: her console refuses her, nobody saw them."""
    sql(db, "UPDATE operator SET active = false WHERE login = 'olga'")
    path = tmp_path / "in.csv"
    path.write_text(
        "name,phones,owner\nAnna,+7 916 111-22-34,\nIvan,+7 916 111-22-33,OLGA\n", encoding="utf-8"
    )
    result = hotline(db, config, "clients", "import", str(path))
    assert result.exit_code == 2, result.output
    assert "in.csv:3: owner: operator 'OLGA' is deactivated" in result.output
    assert sql(db, OWNERS) == []


@pytest.mark.parametrize(
    ("content", "said"),
    [
        pytest.param(  # the name edited, the id left: she stayed in Acme without a word
            "id,kind,name,organisation,organisation_id\n1,organisation,Acme,,\n2,person,Ann Lee,Globex,1\n",
            "in.csv:3: organisation: 'Globex' is not the organisation whose id is 1 (line 2): change both, "
            "or clear organisation_id",
            id="organisation-first",
        ),
        pytest.param(
            "id,kind,name,organisation,organisation_id\n2,person,Ann Lee,Globex,1\n1,organisation,Acme,,\n",
            "in.csv:3: name: the id '1' is the organisation 'Globex' to line 2 (its organisation_id), not "
            "'Acme'",
            id="person-first",
        ),
        pytest.param(  # a second 'Acme' was made for her, beside the file's own
            "id,kind,name,organisation,organisation_id\n1,organisation,Acme,,\n7,person,Bob Ray,,\n"
            "2,person,Ann Lee,Acme,7\n",
            "in.csv:4: organisation_id: '7' is the id of a person (line 3), not of an organisation",
            id="a-persons-id",
        ),
        pytest.param(
            "id,kind,name,organisation,organisation_id\n1,organisation,Acme,,\n2,person,Ann Lee,Acme,7\n"
            "7,person,Bob Ray,,\n",
            "in.csv:4: id: the id '7' is an organisation's (the organisation_id of line 3); a person cannot"
            " have it",
            id="a-persons-id-after",
        ),
    ],
)
def test_an_organisation_id_that_contradicts_the_file_is_a_row_error(
    db: str, config: Path, tmp_path: Path, content: str, said: str
) -> None:
    result = import_text(db, config, tmp_path / "in.csv", content)
    assert result.exit_code == 2, result.output
    assert said in result.output.replace("\n", " ").replace("  ", " ") or said in result.output, result.output
    assert sql(db, "SELECT count(*) FROM client") == [(0,)]


def _create(db: str, name: str, tags: list[str]) -> None:
    from hotline.core.services.clients import ClientDraft, create_client

    engine = make_engine(db)
    try:
        with UnitOfWork(engine) as uow:
            create_client(uow, draft=ClientDraft(name=name, tags=tags), default_region="RU")
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        (["опт,розница"], "a tag cannot hold ',': it separates tags in an import or export"),
        (["a;b"], "a tag cannot hold ';'"),
        (["  "], "a blank tag"),
        ([f"t{n}" for n in range(101)], "a client has at most 100 tags (these are 101)"),
    ],
)
def test_core_refuses_tags_the_import_cannot_read_back(db: str, tags: list[str], reason: str) -> None:
    """A tag holding the import's separator, or more tags than an import field holds, were stored: the
    export wrote them and the import read back other tags (two for "опт,розница") or refused the row."""
    from hotline.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        _create(db, "Анна", tags)
    assert refused.value.where == "tags" and reason in refused.value.message
    assert sql(db, "SELECT count(*) FROM client") == [(0,)]


def test_the_most_tags_a_client_holds_come_back_from_an_export(db: str, config: Path, tmp_path: Path) -> None:
    tags = [f"{n:03}" + "я" * 47 for n in range(100)]  # 100 tags of 50 characters
    _create(db, "Анна", [*tags[:50], *(f" {tag} " for tag in tags[50:])])
    path = tmp_path / "out.csv"
    assert hotline(db, config, "clients", "export", "--format", "csv", "--output", str(path)).exit_code == 0
    again = hotline(
        db, config, "clients", "import", str(path), "--on-duplicate", "update", "--dry-run", "--json"
    )
    assert again.exit_code == 0, again.output
    assert '"unchanged": 1' in again.stdout
    many = tmp_path / "many.csv"
    result = import_text(
        db, config, many, 'name,tags\nБорис,"' + ", ".join(f"t{n}" for n in range(101)) + '"\n'
    )
    assert result.exit_code == 2 and "a client has at most 100 tags (this row gives 101)" in result.output
    long = import_text(db, config, many, "name,tags\nБорис," + "x" * 60 + "\n")
    assert long.exit_code == 2 and "a tag is at most 50 characters" in long.output


def test_list_by_tag_in_any_case(db: str, config: Path) -> None:
    """``clients list --tag vip`` found no client tagged "VIP", though ``--group vip`` finds "VIP"."""
    _create(db, "Анна", ["VIP"])
    _create(db, "Борис", ["вип", "опт"])
    _create(db, "Вера", ["Vip"])
    for typed, names in (("vip", ["Анна", "Вера"]), ("ВИП", ["Борис"]), ("ОПТ ", ["Борис"]), ("нет", [])):
        result = hotline(db, config, "clients", "list", "--tag", typed, "--json")
        assert result.exit_code == 0, result.output
        assert sorted(line["name"] for line in json.loads(result.stdout)["clients"]) == names, typed
