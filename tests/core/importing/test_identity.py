"""A match is the same person: colleagues at one office number stay apart, a row pointing at two clients
is a conflict with its line, and ``--on-duplicate update`` never gives an address to two clients."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from hotline.core.importing.identity import same_name
from hotline.core.importing.outcome import ImportRejected
from hotline.core.models import Client, ClientEmail
from tests.core.importing.test_service import count, run, table_state

HEADER = "name,phones,emails,birthday\n"


def write(tmp_path: Path, body: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def addresses_on_two_clients(engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(ClientEmail.address)
                .group_by(ClientEmail.address)
                .having(func.count(func.distinct(ClientEmail.client_id)) > 1)
            ).scalars()
        )


def test_colleagues_sharing_the_office_number_are_each_created(engine, uow_factory, admin, tmp_path) -> None:
    path = write(
        tmp_path,
        "Anna Lee,+7 495 100-00-00,anna@firm.ru,\n"
        "Boris Kim,+7 495 100-00-00,boris@firm.ru,\n"
        "Vera Sokolova,+7 495 100-00-00,,\n",
    )
    for policy in ("skip", "update", "fail"):
        outcome = run(uow_factory, path, on_duplicate=policy, dry_run=True)
        assert [d.action for d in outcome.decisions] == ["created"] * 3, policy
    assert [d.action for d in run(uow_factory, path).decisions] == ["created"] * 3
    again = run(uow_factory, path, on_duplicate="update")
    assert [d.action for d in again.decisions] == ["unchanged"] * 3
    assert count(engine, Client) == 3


def test_update_never_merges_different_people_sharing_a_number(engine, uow_factory, admin, tmp_path) -> None:
    run(uow_factory, write(tmp_path, "Anna Lee,+7 495 100-00-00,anna@firm.ru,1980-01-01\n", "a.csv"))
    path = write(
        tmp_path,
        "Boris Kim,+7 495 100-00-00,boris@firm.ru,1990-02-02\n"
        "Vera Sokolova,+7 495 100-00-00,vera@firm.ru,\n"
        "Anna Lee,+7 495 100-00-00,anna.lee@firm.ru,\n",  # the same person: her name and number
    )
    outcome = run(uow_factory, path, on_duplicate="update")
    assert [d.action for d in outcome.decisions] == ["created", "created", "updated"]
    with engine.connect() as connection:
        birthdays = dict(connection.execute(select(Client.name, Client.birthday)).all())
    assert str(birthdays["Anna Lee"]) == "1980-01-01"
    assert count(engine, Client) == 3
    assert addresses_on_two_clients(engine) == []


def test_a_row_pointing_at_two_clients_is_a_conflict_with_its_line(
    engine, uow_factory, admin, tmp_path
) -> None:
    run(
        uow_factory,
        write(
            tmp_path,
            "Anna Lee,+7 495 100-00-00,,1980-01-01\nBoris Kim,+7 916 000-00-01,boris@firm.ru,\n",
            "a.csv",
        ),
    )
    before = table_state(engine)
    # Anna's name and number, Boris's address: which one is it? Neither is changed.
    path = write(tmp_path, "Anna Lee,+7 495 100-00-00,boris@firm.ru,1999-09-09\n")
    for policy in ("update", "skip", "fail"):
        with pytest.raises(ImportRejected) as caught:
            run(uow_factory, path, on_duplicate=policy)
        [error] = caught.value.outcome.errors
        assert error.line == 2
        assert error.reason.startswith("conflict: this row points at 2 different clients")
        assert "by email boris@firm.ru" in error.reason and "by phone +74951000000" in error.reason
    skipped = run(uow_factory, path, on_duplicate="update", skip_invalid=True)
    assert [d.action for d in skipped.decisions] == ["rejected"]
    assert table_state(engine) == before
    assert addresses_on_two_clients(engine) == []


def test_a_conflict_within_the_file_names_both_lines(engine, uow_factory, admin, tmp_path) -> None:
    path = write(
        tmp_path,
        "Anna Lee,+7 495 100-00-00,,\nBoris Kim,,boris@firm.ru,\nAnna Lee,+7 495 100-00-00,boris@firm.ru,\n",
    )
    with pytest.raises(ImportRejected) as caught:
        run(uow_factory, path, on_duplicate="update")
    [error] = caught.value.outcome.errors
    assert (error.line, error.column) == (4, "emails")
    assert "line 3 by email boris@firm.ru" in error.reason and "line 2 by phone" in error.reason


def test_namesakes_at_one_switchboard_are_told_apart_by_their_addresses(
    engine, uow_factory, admin, tmp_path
) -> None:
    path = write(
        tmp_path, "Ivan Petrov,+7 495 100-00-00,ivan1@firm.ru,\nIvan Petrov,+7 495 100-00-00,ivan2@firm.ru,\n"
    )
    assert [d.action for d in run(uow_factory, path).decisions] == ["created", "skipped"]
    # Once both exist, re-importing them finds each by its address.
    with uow_factory() as uow:
        from hotline.core.services.clients import ClientDraft, create_client

        create_client(
            uow,
            draft=ClientDraft(name="Ivan Petrov", phones=["+7 495 100-00-00"], emails=["ivan2@firm.ru"]),
            default_region="RU",
        )
    again = run(uow_factory, path, on_duplicate="update")
    assert [d.action for d in again.decisions] == ["unchanged", "unchanged"]
    assert addresses_on_two_clients(engine) == []


def test_same_name_reads_one_name_inside_the_other() -> None:
    assert same_name("иванов иван", "иванов иван петрович")
    assert same_name("anna lee", "anna lee")
    assert not same_name("anna lee", "boris kim")
    assert not same_name("anna lee", "anna kim")
