"""``hotline clients show``: a missing client is exit 2."""

from __future__ import annotations

from tests.cli.invoke import hotline


def test_clients_show_missing_id_is_exit_2(empty_db: str) -> None:
    hotline("--db", empty_db, "--operator", "boss", "db", "init")
    result = hotline("--db", empty_db, "--operator", "boss", "clients", "show", "999")
    assert result.exit_code == 2
    assert "no client with id 999" in result.output


def test_clients_show_says_when_an_organisation_has_more_people_than_it_lists(
    database_url: str, monkeypatch
) -> None:
    """An organisation's card lists its first contact persons by name (200); ``clients show`` listed them
    as if they were all, and ``--json`` gave no count: it says how many there are."""
    import json

    from hotline.core.db import UnitOfWork, make_engine
    from hotline.core.models.enums import ClientKind, Role
    from hotline.core.services import clients
    from hotline.core.services.operators import add_operator

    engine = make_engine(database_url)
    with UnitOfWork(engine) as uow:
        add_operator(uow, login="boss", role=Role.ADMIN)
        firm = clients.create_client(
            uow,
            draft=clients.ClientDraft(name="ООО Ромашка", kind=ClientKind.ORGANISATION),
            default_region="RU",
        )
        for name in ("Анна Белова", "Борис Сидоров", "Вера Петрова"):
            draft = clients.ClientDraft(name=name, organisation_id=firm.id)
            clients.create_client(uow, draft=draft, default_region="RU")
        firm_id = firm.id
    engine.dispose()
    monkeypatch.setattr(clients, "CARD_CONTACTS", 2)
    clients._card_query.cache_clear()  # PostgreSQL's one statement is built once, with the limit in it
    try:
        shown = hotline("--db", database_url, "--operator", "boss", "clients", "show", str(firm_id), "--json")
        text = hotline("--db", database_url, "--operator", "boss", "clients", "show", str(firm_id))
    finally:
        monkeypatch.undo()
        clients._card_query.cache_clear()
    assert shown.exit_code == 0, shown.output
    card = json.loads(shown.stdout)
    names = [c["name"] for c in card["contacts"]]
    assert (names, card["contact_count"]) == (["Анна Белова", "Борис Сидоров"], 3)
    assert "the first 2 of 3 contact persons, by name" in text.stdout
