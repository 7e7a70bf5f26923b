"""The lookup index follows every client service write: create, rename, new phone, delete."""

from __future__ import annotations

from hotline.core.search import lookup
from hotline.core.services.clients import (
    ClientChanges,
    ClientDraft,
    create_client,
    delete_client,
    update_client,
)


def _client_ids(uow_factory, query: str) -> list[int]:
    with uow_factory(readonly=True) as uow:
        return [hit.id for hit in lookup(uow.session, query, default_region="RU") if hit.kind == "client"]


def test_index_follows_create_update_delete(uow_factory) -> None:
    with uow_factory() as uow:
        client_id = create_client(
            uow,
            draft=ClientDraft(last_name="Петров", first_name="Иван", phones=["+7 916 123 45 67"]),
            default_region="RU",
        ).id
    assert client_id in _client_ids(uow_factory, "петров")
    assert client_id in _client_ids(uow_factory, "4567")

    with uow_factory() as uow:
        update_client(
            uow,
            client_id=client_id,
            changes=ClientChanges(last_name="Сидоров", phones=["+7 903 765 43 21"]),
            default_region="RU",
        )
    assert client_id in _client_ids(uow_factory, "сидоров")
    assert client_id not in _client_ids(uow_factory, "петров")
    assert client_id in _client_ids(uow_factory, "4321")
    assert client_id not in _client_ids(uow_factory, "1234567")

    with uow_factory() as uow:
        delete_client(uow, client_id=client_id)
    assert client_id not in _client_ids(uow_factory, "сидоров")
