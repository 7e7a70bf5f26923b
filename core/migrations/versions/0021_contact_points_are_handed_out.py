"""an operator's database role reads clients' contact points (phones, addresses and their lookup index)
only as hotline hands them out to her, at most a budget of clients an hour: a role holding SQL paged
through every phone and address of the client base.

What this revision makes (PostgreSQL; SQLite has no roles, the file's permissions are its boundary):

- ``client_handout``: which clients' contact points were handed to which login role, and when; a client
  handed out in the last hour is handed again for nothing. Unlogged: a crash forgets it, which only
  means paying again.
- schema ``hotline_budget``: one sequence per login role (``r<oid>``), the role's budget as a generic
  cell rate: the moment, in milliseconds, up to which its budget is spent. Handing out ``n`` clients
  moves it ``n × 3600000 / per_hour`` ms on from ``max(itself, now − 1 hour)``, refused when that would be
  past now: a burst of ``per_hour`` clients, then ``per_hour`` an hour. A sequence because ``setval`` is
  not undone by a rollback: what a role read in a transaction it then rolled back stays spent (a table
  would forget it). It is made, and must have been committed, before the role is handed anything
  (``hotline_read_budget_ready``, which hotline calls when it starts): made in the same transaction, a
  rollback would drop it with what it had spent. ``operators add`` makes it with the login role.
- ``client_read_budget``: the budget (``per_hour``) and the group role whose members have none (what
  ``db grants`` writes: the supervisors' group, so supervisors, admins and the system account). No row:
  nobody has a budget (a database without ``db grants``).
- functions, ``SECURITY DEFINER`` (they read as the tables' owner, whom row security does not hold), with
  ``search_path = pg_catalog, pg_temp`` and every table named with its schema: ``hotline_hand_out``
  (charge the budget, record the hand-out), ``hotline_hand_out_card`` (a card's client and the contact
  persons it lists), ``hotline_handed_out`` (the row policy's check: the rows of a client not handed
  out are not there for the role, as row security does; a check that raised instead failed statements
  whose plan merely passed over such rows, as a semi-join's scan of ``search_phone`` does), and the
  lookup's reads of contact points, each handing out what it returns: ``hotline_phone_suffixes``,
  ``hotline_phone_range``, ``hotline_email_parts``, ``hotline_contact_lines``, ``hotline_phone_owners``,
  ``hotline_email_owners``. ``EXECUTE`` on them is revoked from PUBLIC: ``db grants`` grants it to the
  operators' group. Over budget is SQLSTATE ``HLB01``; a role whose budget is not made yet ``HLB03``.

The ledger is a table, so what a transaction handed out and then rolled back is handed out again (and
paid again) next time: hotline commits a read-only unit of work that handed anything out.

``db grants`` turns the row security on (``client_phone``, ``client_email``, ``search_phone``,
``search_phone_owner``, ``search_email``) with the policy ``hotline_handed_out``.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_DEFINER = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp"

_TABLES = [
    "CREATE SCHEMA IF NOT EXISTS hotline_budget",
    "CREATE UNLOGGED TABLE IF NOT EXISTS client_handout (login VARCHAR(63) NOT NULL,"
    " client_id INTEGER NOT NULL, at TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (login, client_id))",
    "CREATE TABLE IF NOT EXISTS client_read_budget (exempt_group VARCHAR(63) PRIMARY KEY,"
    " per_hour INTEGER NOT NULL CHECK (per_hour > 0))",
]

_FUNCTIONS = {
    # (the cheap answers first: most callers are in the exempt group, a superuser is in every group)
    "hotline_reads_unbounded()": """
CREATE OR REPLACE FUNCTION public.hotline_reads_unbounded() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT NOT EXISTS (SELECT 1 FROM public.client_read_budget)
        OR EXISTS (SELECT 1 FROM public.client_read_budget b JOIN pg_roles g ON g.rolname = b.exempt_group
                   WHERE NOT g.rolcanlogin AND pg_has_role(session_user, g.oid, 'MEMBER'))
        OR pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'public.client'::regclass),
                       'USAGE')
        OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND rolsuper)
$$""",
    "hotline_read_budget_ready(text)": f"""
CREATE OR REPLACE FUNCTION public.hotline_read_budget_ready(who text DEFAULT NULL) RETURNS boolean
{_DEFINER} AS $$
DECLARE
    name_ text := 'r' || (SELECT oid FROM pg_roles WHERE rolname = coalesce(who, session_user));
    seq regclass := to_regclass(format('hotline_budget.%I', name_));
BEGIN
    IF name_ IS NULL THEN
        RETURN false;  -- no such role
    END IF;
    IF seq IS NULL THEN
        BEGIN
            EXECUTE format('CREATE SEQUENCE hotline_budget.%I MINVALUE 0 START 0 NO CYCLE', name_);
        EXCEPTION WHEN duplicate_table OR unique_violation THEN
            NULL;  -- another session of the role made it at the same moment
        END;
        RETURN false;
    END IF;
    -- made by a transaction before this one (committed, since it is seen): this one or a subtransaction
    -- of it would give a negative or zero age
    RETURN (SELECT age(c.xmin) FROM pg_class c WHERE c.oid = seq) > 0;
END $$""",
    "hotline_charge(integer)": f"""
CREATE OR REPLACE FUNCTION public.hotline_charge(clients integer) RETURNS void {_DEFINER} AS $$
DECLARE
    per_hour_ integer := (SELECT min(per_hour) FROM public.client_read_budget);
    seq regclass := to_regclass(format('hotline_budget.%I',
                                       'r' || (SELECT oid FROM pg_roles WHERE rolname = session_user)));
    now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
    spent bigint;
    cost bigint;
BEGIN
    IF seq IS NULL OR (SELECT age(c.xmin) FROM pg_class c WHERE c.oid = seq) <= 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'HLB03', MESSAGE = format(
            'the database role %s has no client read budget yet: hotline makes it when it starts'
            ' (in SQL: SELECT hotline_read_budget_ready(); COMMIT;)', session_user);
    END IF;
    spent := greatest(coalesce(pg_sequence_last_value(seq), 0), now_ms - 3600000);
    cost := ceil(clients * 3600000.0 / per_hour_)::bigint;
    IF spent + cost > now_ms THEN
        RAISE EXCEPTION USING ERRCODE = 'HLB01', MESSAGE = format(
            'the contact points of %s more %s would take the database role %s past its budget of %s'
            ' clients an hour; it grows back by %s a minute (an admin raises it: hotline db grants'
            ' --contact-budget N)', clients, CASE WHEN clients = 1 THEN 'client' ELSE 'clients' END,
            session_user, per_hour_, ceil(per_hour_ / 60.0));
    END IF;
    PERFORM setval(seq, spent + cost);
END $$""",
    "hotline_hand_out(integer[])": f"""
CREATE OR REPLACE FUNCTION public.hotline_hand_out(ids integer[]) RETURNS integer {_DEFINER} AS $$
DECLARE
    me text := session_user;
    fresh integer[];
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 OR public.hotline_reads_unbounded() THEN
        RETURN 0;
    END IF;
    SELECT array_agg(DISTINCT c.id) INTO fresh FROM public.client c
    WHERE c.id = ANY (ids) AND NOT EXISTS (
        SELECT 1 FROM public.client_handout h
        WHERE h.login = me AND h.client_id = c.id AND h.at > clock_timestamp() - interval '1 hour');
    IF fresh IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM public.hotline_charge(cardinality(fresh));
    IF random() < 0.01 THEN  -- now and then, forget what expired
        DELETE FROM public.client_handout h
        WHERE h.login = me AND h.at <= clock_timestamp() - interval '1 hour';
    END IF;
    INSERT INTO public.client_handout AS h (login, client_id, at)
    SELECT me, x, clock_timestamp() FROM unnest(fresh) AS x
    ON CONFLICT (login, client_id) DO UPDATE SET at = excluded.at;
    RETURN cardinality(fresh);
END $$""",
    "hotline_hand_out_card(integer)": f"""
CREATE OR REPLACE FUNCTION public.hotline_hand_out_card(card integer) RETURNS integer {_DEFINER} AS $$
BEGIN
    IF public.hotline_reads_unbounded() THEN
        RETURN 0;
    END IF;
    RETURN public.hotline_hand_out(array_prepend(card, ARRAY(
        SELECT c.id FROM public.client c WHERE c.organisation_id = card ORDER BY c.name, c.id LIMIT 200)));
END $$""",
    "hotline_handed_out(integer)": """
CREATE OR REPLACE FUNCTION public.hotline_handed_out(client integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp COST 1000 AS $$
    SELECT EXISTS (SELECT 1 FROM public.client_handout h WHERE h.login = session_user
                   AND h.client_id = client AND h.at > clock_timestamp() - interval '1 hour')
$$""",
    "hotline_phone_suffixes(text[])": f"""
CREATE OR REPLACE FUNCTION public.hotline_phone_suffixes(forms text[])
RETURNS TABLE (client_id integer, digits text) {_DEFINER} AS $$
DECLARE
    ids integer[];
    numbers text[];
BEGIN
    SELECT array_agg(s.client_id ORDER BY s.n), array_agg(o.digits ORDER BY s.n) INTO ids, numbers
    FROM (SELECT p.client_id, p.phone_id, row_number() OVER () AS n FROM public.search_phone p
          WHERE p.suffix = ANY (forms)) s
    JOIN public.search_phone_owner o ON o.phone_id = s.phone_id;
    PERFORM public.hotline_hand_out(ids);
    RETURN QUERY SELECT x.c, x.d::text FROM unnest(ids, numbers) AS x(c, d);
END $$""",
    "hotline_phone_range(text, text, integer)": f"""
CREATE OR REPLACE FUNCTION public.hotline_phone_range(lo text, hi text, cap integer)
RETURNS TABLE (client_id integer, digits text, suffix text) {_DEFINER} AS $$
DECLARE
    ids integer[];
    numbers text[];
    suffixes text[];
BEGIN
    SELECT array_agg(q.client_id ORDER BY q.n), array_agg(q.digits ORDER BY q.n),
           array_agg(q.suffix ORDER BY q.n) INTO ids, numbers, suffixes
    FROM (SELECT r.*, row_number() OVER () AS n FROM (
            SELECT s.client_id, o.digits, s.suffix FROM public.search_phone s
            JOIN public.search_phone_owner o ON o.phone_id = s.phone_id
            WHERE s.suffix >= lo AND s.suffix < hi LIMIT cap) r) q;
    PERFORM public.hotline_hand_out(ids);
    RETURN QUERY SELECT x.c, x.d::text, x.s::text FROM unnest(ids, numbers, suffixes) AS x(c, d, s);
END $$""",
    "hotline_email_parts(text, text, integer)": f"""
CREATE OR REPLACE FUNCTION public.hotline_email_parts(lo text, hi text, cap integer)
RETURNS TABLE (client_id integer, address text) {_DEFINER} AS $$
DECLARE
    ids integer[];
    addresses text[];
BEGIN
    SELECT array_agg(q.client_id ORDER BY q.n), array_agg(q.address ORDER BY q.n) INTO ids, addresses
    FROM (SELECT r.*, row_number() OVER () AS n FROM (
            SELECT e.client_id, e.address FROM public.search_email e
            WHERE e.part >= lo AND e.part < hi LIMIT cap) r) q;
    PERFORM public.hotline_hand_out(ids);
    RETURN QUERY SELECT x.c, x.a::text FROM unnest(ids, addresses) AS x(c, a);
END $$""",
    "hotline_contact_lines(integer[])": f"""
CREATE OR REPLACE FUNCTION public.hotline_contact_lines(ids integer[])
RETURNS TABLE (client_id integer, phone text, emails text[]) {_DEFINER} AS $$
BEGIN
    PERFORM public.hotline_hand_out(ids);
    RETURN QUERY SELECT x.c,
        (SELECT p.e164::text FROM public.client_phone p WHERE p.client_id = x.c ORDER BY p.id LIMIT 1),
        ARRAY(SELECT e.address::text FROM public.client_email e WHERE e.client_id = x.c ORDER BY e.id LIMIT 2)
    FROM unnest(ids) AS x(c);
END $$""",
    "hotline_phone_owners(text[])": f"""
CREATE OR REPLACE FUNCTION public.hotline_phone_owners(e164s text[])
RETURNS TABLE (client_id integer, digits text) {_DEFINER} AS $$
DECLARE
    ids integer[];
    numbers text[];
BEGIN
    SELECT array_agg(p.client_id ORDER BY p.id), array_agg(p.digits ORDER BY p.id) INTO ids, numbers
    FROM public.client_phone p WHERE p.e164 = ANY (e164s);
    PERFORM public.hotline_hand_out(ids);
    RETURN QUERY SELECT x.c, x.d::text FROM unnest(ids, numbers) AS x(c, d);
END $$""",
    "hotline_email_owners(text[])": f"""
CREATE OR REPLACE FUNCTION public.hotline_email_owners(addresses text[])
RETURNS TABLE (client_id integer, address text) {_DEFINER} AS $$
DECLARE
    ids integer[];
    found text[];
BEGIN
    SELECT array_agg(e.client_id ORDER BY e.id), array_agg(e.address ORDER BY e.id) INTO ids, found
    FROM public.client_email e WHERE e.address = ANY (addresses);
    PERFORM public.hotline_hand_out(ids);
    RETURN QUERY SELECT x.c, x.a::text FROM unnest(ids, found) AS x(c, a);
END $$""",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _TABLES:
        op.execute(statement)
    for signature, definition in _FUNCTIONS.items():
        op.execute(definition)
        op.execute(f"REVOKE ALL ON FUNCTION public.{signature} FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("client_phone", "client_email", "search_phone", "search_phone_owner", "search_email"):
        op.execute(f"DROP POLICY IF EXISTS hotline_handed_out ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for signature in reversed(_FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS public.{signature}")
    op.execute("DROP TABLE IF EXISTS client_read_budget")
    op.execute("DROP TABLE IF EXISTS client_handout")
    op.execute("DROP SCHEMA IF EXISTS hotline_budget CASCADE")
