"""Client lists and groups on SQLite and PostgreSQL: every filter, the sort and the pages, the export of
exactly what is listed, groups changed by supervisors only and audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from hotline.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hotline.core.models import AuditEntry, Client, ClientGroup
from hotline.core.models.enums import Role
from hotline.core.services.client_lists import ClientListFilter, export_client_page, list_clients
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.groups import create_group, delete_group, list_groups, update_group
from hotline.core.services.operators import add_operator

TODAY = date(2026, 11, 23)  # a Monday: this week is 23–29 November
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture
def base(uow_factory) -> dict[str, int]:
    with uow_factory() as uow:
        add_operator(uow, login="anna", role=Role.OPERATOR)
        add_operator(uow, login="sup", role=Role.SUPERVISOR)
        create_group(uow, name="VIP", colour="#FF0000", contract_level="gold")
        ids = {}
        for name, group, tags, owner, source, campaign, birthday, contact_days_ago in [
            ("Anton", "VIP", ["опт", "vip"], "anna", "TV", "TV-NOV", date(1980, 11, 29), 1),
            ("Boris", None, ["vip"], "sup", "Search", None, date(1990, 11, 30), 40),
            ("Clara", "VIP", [], "anna", "TV", None, date(1975, 11, 23), None),
            ("Dmitri", None, ['he said "hi"'], None, None, None, None, 100),
        ]:
            draft = ClientDraft(name=name, group=group, tags=tags, owner_login=owner, source=source,
                                campaign=campaign, birthday=birthday)  # fmt: skip
            client = create_client(uow, draft=draft, default_region="RU")
            last = NOW - timedelta(days=contact_days_ago) if contact_days_ago is not None else None
            uow.session.execute(update(Client).where(Client.id == client.id).values(last_interaction_at=last))
            ids[name] = client.id
    return ids


def names(uow_factory, **kwargs) -> list[str]:
    options = {key: kwargs.pop(key) for key in ("sort", "limit", "offset") if key in kwargs}
    with uow_factory(readonly=True) as uow:
        page = list_clients(uow, filters=ClientListFilter(**kwargs), today=TODAY, **options)
    return [line.name for line in page.lines]


def test_each_filter(engine, uow_factory, base) -> None:
    assert names(uow_factory) == ["Anton", "Boris", "Clara", "Dmitri"]
    assert names(uow_factory, group="VIP") == ["Anton", "Clara"]
    assert names(uow_factory, tag="vip") == ["Anton", "Boris"]
    assert names(uow_factory, tag="опт") == ["Anton"]
    assert names(uow_factory, tag='he said "hi"') == ["Dmitri"]
    assert names(uow_factory, tag="v") == []
    assert names(uow_factory, owner="anna") == ["Anton", "Clara"]
    assert names(uow_factory, source="TV", campaign="TV-NOV") == ["Anton"]
    assert names(uow_factory, birthday_this_week=True) == ["Anton", "Clara"]  # the 30th is next week
    assert names(uow_factory, no_contact_days=30) == [
        "Boris",
        "Clara",
        "Dmitri",
    ]  # never counts as no contact
    assert names(uow_factory, group="VIP", no_contact_days=30) == ["Clara"]
    with pytest.raises(NotFound, match="no group named 'Nobody'"):
        names(uow_factory, group="Nobody")
    # a source or campaign nobody has: a typo (or the wrong case) is said, a configured one lists nobody
    with pytest.raises(NotFound, match="no client has the source 'tv'"):
        names(uow_factory, source="tv")
    with pytest.raises(NotFound, match="no client has the campaign 'TV-DEC'"):
        names(uow_factory, campaign="TV-DEC")
    assert names(uow_factory, source="Expo", known_sources=("TV", "Expo")) == []
    assert names(uow_factory, campaign="TV-DEC", known_campaigns=("TV-NOV", "TV-DEC")) == []
    with pytest.raises(InvalidInput, match="1 or more"):
        names(uow_factory, no_contact_days=0)
    for days in (99_999_999, 2**31, 10**30):  # reaching back past 1970: the never contacted and no other
        assert names(uow_factory, no_contact_days=days) == ["Clara"]


def test_sorted_and_paged(engine, uow_factory, base) -> None:
    assert names(uow_factory, sort="-name") == ["Dmitri", "Clara", "Boris", "Anton"]
    assert names(uow_factory, sort="-id") == ["Dmitri", "Clara", "Boris", "Anton"]  # "- reverses" id too
    assert names(uow_factory, sort="-last-contact") == ["Anton", "Boris", "Dmitri", "Clara"]  # never: last
    assert names(uow_factory, sort="last-contact") == ["Dmitri", "Boris", "Anton", "Clara"]
    with uow_factory(readonly=True) as uow:
        first = list_clients(uow, filters=ClientListFilter(), today=TODAY, limit=3)
        last = list_clients(uow, filters=ClientListFilter(), today=TODAY, limit=3, offset=3)
    assert (first.has_more, first.as_json()["next_offset"], [line.name for line in last.lines]) == (
        True,
        3,
        ["Dmitri"],
    )
    assert not last.has_more
    assert first.lines[0].group_colour == "#ff0000"
    with pytest.raises(InvalidInput, match="unknown sort"):
        names(uow_factory, sort="age")


def test_the_export_is_exactly_the_page_and_audited(engine, uow_factory, base) -> None:
    with uow_factory(actor_login="sup") as uow:
        page = list_clients(uow, filters=ClientListFilter(group="VIP"), today=TODAY, sort="-name")
        as_csv = export_client_page(uow, page=page, fmt="csv").decode("utf-8-sig")
        as_xlsx = export_client_page(uow, page=page, fmt="xlsx")
    rows = list(csv.reader(io.StringIO(as_csv)))
    assert [row[1] for row in rows] == ["name", "Clara", "Anton"]
    assert rows[2][8] == "vip, опт"
    sheet = load_workbook(io.BytesIO(as_xlsx)).active
    assert [row[1] for row in sheet.iter_rows(values_only=True)] == ["name", "Clara", "Anton"]
    with uow_factory(readonly=True) as uow:
        audits = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "client.list_export")
        ).all()
    assert [entry.after["count"] for entry in audits] == [2, 2]
    assert audits[0].after["filters"] == {"group": "VIP"}
    with uow_factory(actor_login="anna") as uow, pytest.raises(PermissionDenied):
        export_client_page(uow, page=page, fmt="csv")


def test_groups_are_managed_by_supervisors_and_audited(engine, uow_factory, base) -> None:
    with uow_factory(actor_login="sup") as uow:
        create_group(uow, name="  Wholesale   buyers ", colour="#0a0")
        update_group(uow, name="VIP", new_name="Key accounts", colour="#123456", contract_level="")
        with pytest.raises(Conflict):
            create_group(uow, name="Key accounts")
        with pytest.raises(InvalidInput, match="not a colour"):
            update_group(uow, name="Key accounts", colour="red; drop")
    with uow_factory(actor_login="sup") as uow:
        assert [group.as_json() for group in list_groups(uow)] == [
            {"name": "Key accounts", "colour": "#123456", "contract_level": None, "clients": 2},
            {"name": "Wholesale buyers", "colour": "#0a0", "contract_level": None, "clients": 0},
        ]
        assert delete_group(uow, name="Key accounts") == 2
    with uow_factory(actor_login="anna") as uow, pytest.raises(PermissionDenied):
        create_group(uow, name="Mine")
    with uow_factory(readonly=True) as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "client_group")
        ).all()
        assert actions.count("group.update") == 1 and actions.count("group.delete") == 1
        assert uow.session.get(Client, base["Anton"]).group_id is None


def test_a_leap_day_birthday_has_a_week_in_common_years_too(engine, uow_factory) -> None:
    """Born on 29 February: never in "birthday this week" three years in four (the week holds no 02-29)."""
    with uow_factory() as uow:
        create_client(uow, draft=ClientDraft(name="Leap", birthday=date(2000, 2, 29)), default_region="RU")
        create_client(uow, draft=ClientDraft(name="March", birthday=date(2001, 3, 1)), default_region="RU")
    birthdays = ClientListFilter(birthday_this_week=True)

    def week_of(today: date) -> list[str]:
        with uow_factory(readonly=True) as uow:
            return [line.name for line in list_clients(uow, filters=birthdays, today=today).lines]

    assert week_of(date(2027, 2, 24)) == ["Leap"]  # 22–28 February 2027: the 28th stands for the 29th
    assert week_of(date(2027, 3, 3)) == ["March"]  # 1–7 March: once, not twice
    assert week_of(date(2028, 2, 29)) == ["Leap", "March"]  # 28 February – 5 March 2028, a leap year
    assert week_of(date(2028, 2, 22)) == []  # 21–27 February 2028


def test_a_group_is_found_as_it_was_typed_when_made(engine, uow_factory, base) -> None:
    """A name is stored with its spaces collapsed: typed again as it was made ("Key  accounts"), the list,
    the reports, changing and removing it said "no group named 'Key accounts'"."""
    from zoneinfo import ZoneInfo

    from hotline.core.reports import Filters, Period, ReportRequest, run_report

    typed = "  Key  accounts "
    with uow_factory(actor_login="sup") as uow:
        create_group(uow, name=typed)
    assert names(uow_factory, group=typed) == []
    with uow_factory(actor_login="sup", readonly=True) as uow:
        request = ReportRequest(Period(None, None, ZoneInfo("UTC")), Filters(group=typed))
        assert run_report(uow, name="clients", request=request).filters == {"group": "Key accounts"}
    with uow_factory(actor_login="sup") as uow:
        update_group(uow, name=typed, colour="#00ff00")
    with uow_factory(actor_login="sup") as uow:
        assert delete_group(uow, name=typed) == 0
    with uow_factory(readonly=True) as uow:
        assert [group.name for group in list_groups(uow)] == ["VIP"]


def test_two_groups_are_never_a_letter_case_apart(engine, uow_factory, base) -> None:
    """ "vip" beside "VIP" was a second group, which the import (matching names in any case) took for
    either; now it is the same group: refused as a new one, found when typed, and a form's "vip" joins it."""
    from hotline.core.services.clients import ensure_group

    with uow_factory(actor_login="sup") as uow:
        for name in ("vip", " Vip "):
            with pytest.raises(Conflict, match="'VIP' exists already"):
                create_group(uow, name=name)
        create_group(uow, name="Опт")
        with pytest.raises(Conflict):
            create_group(uow, name="ОПТ")
        with pytest.raises(Conflict):
            update_group(uow, name="Опт", new_name="vip")
        update_group(uow, name="опт", new_name="ОПТ")  # its own name in another case: a rename
        assert ensure_group(uow, name="vip").name == "VIP"
    assert names(uow_factory, group="vip") == ["Anton", "Clara"]
    with uow_factory(readonly=True) as uow:
        assert [group.name for group in list_groups(uow)] == ["VIP", "ОПТ"]
    with uow_factory(actor_login="sup") as uow:  # two made before this rule: a third is refused all the same
        uow.session.add_all(
            [ClientGroup(name="Key", colour="#808080"), ClientGroup(name="KEY", colour="#808080")]
        )
    with uow_factory(actor_login="sup") as uow, pytest.raises(Conflict):
        create_group(uow, name="key")


def test_a_group_set_to_what_it_is_writes_no_audit_entry(engine, uow_factory, base) -> None:
    """``groups set VIP --colour`` its own colour (or the console's form saved unchanged) was audited as a
    change whose before and after were the same."""
    with uow_factory(actor_login="sup") as uow:
        update_group(uow, name="vip", new_name="VIP", colour="#ff0000", contract_level=" gold ")
    with engine.connect() as connection:
        actions = connection.execute(select(AuditEntry.action)).scalars().all()
    assert "group.update" not in actions


def test_an_xlsx_export_of_a_cell_longer_than_a_spreadsheet_holds_is_refused(
    engine, uow_factory, base
) -> None:
    """A client's 700 tags made a cell of 35,000 characters: the XLSX page held its first 32,767, without
    a word (the full export refuses it). Refused naming the client and the column; CSV holds it."""
    tags = [f"{number:03d}" + "t" * 46 for number in range(700)]
    with uow_factory(actor_login="sup") as uow:
        many = create_client(uow, draft=ClientDraft(name="Eva"), default_region="RU")
        many.tags = tags  # core takes 100 tags now: stored before it bounded them
        uow.session.flush()
        page = list_clients(uow, filters=ClientListFilter(tag=tags[0]), today=TODAY)
        with pytest.raises(InvalidInput, match=f"client #{many.id}: tags of 35,698 characters, more than an"):
            export_client_page(uow, page=page, fmt="xlsx")
        as_csv = export_client_page(uow, page=page, fmt="csv").decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(as_csv)))[1][8]) == 35_698


def test_a_tag_typed_with_spaces_around_it_is_that_tag(engine, uow_factory, base) -> None:
    """``--tag ' vip '`` listed nobody (tags are stored without the spaces), exit 0."""
    assert names(uow_factory, tag=" vip ") == ["Anton", "Boris"]


def test_two_groups_a_letter_case_apart_made_at_once_are_one(engine, uow_factory, base) -> None:
    """``groups add Opt`` and ``groups add OPT`` at once on PostgreSQL both found no such group (the
    unique index tells case apart) and made two; the second now waits for the first and is refused."""
    import threading

    second: dict[str, object] = {}

    def run_second() -> None:
        try:
            with uow_factory(actor_login="sup") as uow:
                create_group(uow, name="OPT")
        except Conflict as error:
            second["refused"] = error.message

    with uow_factory(actor_login="sup") as uow:
        create_group(uow, name="Opt")
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=1.0)  # the second is now waiting for this one
    thread.join(timeout=30)
    assert second == {"refused": "a group named 'Opt' exists already"}
    with uow_factory(readonly=True) as uow:
        assert [group.name for group in list_groups(uow)] == ["Opt", "VIP"]
