"""``hotline lookup QUERY [--limit N] [--json]`` on both backends."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.search import reindex_clients
from hotline.core.services.clients import ClientDraft, create_client
from tests.cli.invoke import NO_CONFIG_HOME

runner = CliRunner()


def hotline(database_url: str, *args: str):
    return runner.invoke(
        app,
        ["--db", database_url, *args],
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME, "COLUMNS": "200"},
    )


@pytest.fixture
def clients(uow_factory) -> dict[str, int]:
    with uow_factory() as uow:
        ivanov = create_client(
            uow,
            draft=ClientDraft(first_name="Иван", last_name="Иванов", phones=["+7 (495) 926-37-81"]),
            default_region="RU",
        ).id
        hostile_client = create_client(
            uow, draft=ClientDraft(name="Evil Corp", phones=["+7 903 111 37 81"]), default_region="RU"
        )
        # Core refuses the escape typed now; a name stored before that (or by SQL) is shown all the same.
        hostile_client.name = "[bold red]Evil[/] \x1b[31mCorp\x1b[0m"
        uow.session.flush()
        reindex_clients(uow.session, [hostile_client.id])
        hostile = hostile_client.id
    return {"ivanov": ivanov, "hostile": hostile}


def test_json_lists_hits_best_first(database_url: str, clients: dict[str, int]) -> None:
    result = hotline(database_url, "lookup", "+7 495 926 37 81", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert hits[0] == {
        "kind": "client",
        "id": clients["ivanov"],
        "title": "Иван Иванов",
        "subtitle": hits[0]["subtitle"],
        "matched": "phone +74959263781",
        "score": hits[0]["score"],
    }
    assert "+74959263781" in hits[0]["subtitle"]


def test_limit(database_url: str, clients: dict[str, int]) -> None:
    both = json.loads(hotline(database_url, "lookup", "3781", "--json").stdout)
    assert {hit["id"] for hit in both} == set(clients.values())
    one = json.loads(hotline(database_url, "lookup", "3781", "--limit", "1", "--json").stdout)
    assert len(one) == 1


def test_table_shows_untrusted_names_as_text(database_url: str, clients: dict[str, int]) -> None:
    result = hotline(database_url, "lookup", "evil")
    assert result.exit_code == 0, result.output
    assert "[bold red]Evil[/]" in result.stdout
    assert "\x1b" not in result.stdout
    assert "2 found" not in result.stdout


@pytest.mark.parametrize("typed", ["'", "%", "NEAR(", "(((", "🙂", "x" * 10_000])
def test_bad_input_is_no_error(database_url: str, clients: dict[str, int], typed: str) -> None:
    result = hotline(database_url, "lookup", typed, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("typed", ["", "   ", "\t\n"])
def test_a_blank_query_is_bad_usage(database_url: str, clients: dict[str, int], typed: str) -> None:
    """``lookup "$PHONE" --json`` with the variable unset said ``[]``, exit 0: "no such client" for a
    lookup that asked nothing (a script then created the caller again). Bad usage naming QUERY."""
    result = hotline(database_url, "lookup", typed, "--json")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "QUERY: nothing to look up" in result.stderr


def test_transliteration_from_the_command_line(database_url: str, clients: dict[str, int]) -> None:
    result = hotline(database_url, "lookup", "ivanov")
    assert result.exit_code == 0
    assert "Иван Иванов" in result.stdout
    assert "translit" in result.stdout


def test_a_number_without_country_code_is_read_in_the_configured_region(
    database_url: str, uow_factory, tmp_path
) -> None:
    with uow_factory() as uow:
        london = create_client(
            uow, draft=ClientDraft(name="London Office", phones=["+44 20 7946 0958"]), default_region="RU"
        ).id
    config = tmp_path / "config.toml"
    config.write_text('default_region = "GB"\n', encoding="utf-8")
    typed = "020 7946 0958"  # the national form: a whole number only in GB
    in_gb = json.loads(hotline(database_url, "--config", str(config), "lookup", typed, "--json").stdout)
    assert in_gb[0]["id"] == london and in_gb[0]["matched"] == "phone +442079460958"
    in_ru = json.loads(hotline(database_url, "lookup", typed, "--json").stdout)
    assert all(hit["matched"] != "phone +442079460958" for hit in in_ru)


def test_a_limit_past_what_a_lookup_lists_is_refused(database_url: str, uow_factory) -> None:
    """``--limit 1000`` was taken and at most 500 were listed ("500 found" of more, exit 0): the bound
    the lookup keeps is said, exit 2."""
    from hotline.core.search.engine import MAX_LIMIT

    with uow_factory() as uow:
        for number in range(3):
            create_client(
                uow, draft=ClientDraft(first_name="Anna", last_name=f"Test{number}"), default_region="RU"
            )
    result = hotline(database_url, "lookup", "anna", "--limit", str(MAX_LIMIT + 1), "--json")
    assert result.exit_code == 2
    assert f"less than or equal to {MAX_LIMIT}" in result.output
    assert (
        len(json.loads(hotline(database_url, "lookup", "anna", "--limit", str(MAX_LIMIT), "--json").stdout))
        == 3
    )


def test_the_table_says_when_more_match_than_it_lists(database_url: str, uow_factory) -> None:
    """With more matches than --limit the title said "2 found", as if there were two."""
    with uow_factory() as uow:
        for number in range(3):
            create_client(
                uow, draft=ClientDraft(first_name="Anna", last_name=f"Test{number}"), default_region="RU"
            )
    cut = hotline(database_url, "lookup", "anna", "--limit", "2")
    assert cut.exit_code == 0, cut.output
    assert "2 found" not in cut.stdout
    assert "the best 2 of more: --limit N for more" in cut.stdout
    whole = hotline(database_url, "lookup", "anna", "--limit", "3")
    assert "3 found" in whole.stdout and "--limit" not in whole.stdout
