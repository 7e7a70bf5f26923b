"""Shared by the PBX tests: the staff with extensions, a client with a phone, a CDR file."""

from __future__ import annotations

from hotline.core.db import UnitOfWork
from hotline.core.models.enums import Role
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.services.operators import add_operator

EXTENSIONS = {"101": "olga", "102": "ivan"}
CLIENT_PHONE = "+7 916 123 45 67"
"""Anna Petrova's phone; the PBX gives it as 79161234567 or 89161234567."""


def seed_pbx(uow: UnitOfWork) -> int:
    """Olga (101), Ivan (102), an admin, and the client Anna Petrova; returns her id."""
    add_operator(uow, login="admin", role=Role.ADMIN, display_name="Ada Admin")
    add_operator(uow, login="olga", role=Role.OPERATOR, display_name="Olga")
    add_operator(uow, login="ivan", role=Role.OPERATOR, display_name="Ivan")
    client = create_client(
        uow,
        draft=ClientDraft(first_name="Anna", last_name="Petrova", phones=[CLIENT_PHONE]),
        default_region="RU",
    )
    assert client.id is not None
    return client.id


# Master.csv as Asterisk 18's cdr_csv writes it with loguniqueid and loguserfield on (18 columns).
MASTER_CSV = (
    '"","89161234567","101","from-internal","""Anna"" <89161234567>","PJSIP/trunk-00000001",'
    '"PJSIP/101-00000002","Dial","PJSIP/101,30","2026-11-23 10:00:00","2026-11-23 10:00:05",'
    '"2026-11-23 10:03:17",197,192,"ANSWERED","DOCUMENTATION","1763881200.1",""\n'
    '"","102","84959263781","from-internal","""Ivan"" <102>","PJSIP/102-00000003",'
    '"PJSIP/trunk-00000004","Dial","PJSIP/trunk/84959263781","2026-11-23 10:10:00","",'
    '"2026-11-23 10:10:20",20,0,"NO ANSWER","DOCUMENTATION","1763881800.3",""\n'
    '"","101","102","from-internal","""Olga"" <101>","PJSIP/101-00000005",'
    '"PJSIP/102-00000006","Dial","PJSIP/102","2026-11-23 10:20:00","2026-11-23 10:20:02",'
    '"2026-11-23 10:21:00",60,58,"ANSWERED","DOCUMENTATION","1763882400.5",""\n'
)
