"""Lookup at a million clients: p50/p95/p99 per query kind on SQLite and PostgreSQL, beside naive LIKE.

Builds (or reuses) a demo database of ``1,000,000 × SCALE`` clients per backend — with ``hotline demo``
when that command exists, otherwise with a bulk generator here — then times ``lookup`` on queries drawn
from the stored clients (warm cache: every query runs once before it is timed) and the same queries
done the naive way (``LIKE '%q%'`` over the raw columns). Prints a Rich table and appends one JSON object
per figure to ``bench-results.jsonl``. It also prints the lookup index's size per client (the
``search_*`` tables with their indexes, and the whole database beside it).

    SCALE=0.1 .venv/bin/python tests/bench/bench_lookup.py

``LOOKUP_BACKENDS=postgresql`` measures one backend (the 10,000,000-client run is PostgreSQL's:
``LOOKUP_BACKENDS=postgresql SCALE=10``).

On PostgreSQL it also times the lookup as an operator's role after ``db grants`` (``postgresql
(operator)``; ``LOOKUP_AS_OPERATOR=0`` leaves it out): every line's contact points are then handed out
and charged to her budget (``contact_handout``), and what the warm-up handed out is forgotten before
the timing, so each timed lookup pays for handing out all it shows, as at first sight.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchlib import pg_bench_database
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import Engine

from hotline.core import migrate
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.search import lookup, rebuild_index
from hotline.core.search.layout import to_english_layout
from hotline.core.search.schema import TABLES as SEARCH_TABLES
from hotline.core.search.text import is_cyrillic
from hotline.core.search.translit import to_cyrillic, to_latin
from hotline.core.settings import load_settings

SCALE = float(os.environ.get("SCALE", "1"))
CLIENTS = max(2_000, int(1_000_000 * SCALE))
QUERIES_PER_KIND = int(os.environ.get("LOOKUP_QUERIES", "200"))
NAIVE_QUERIES_PER_KIND = int(os.environ.get("LOOKUP_NAIVE_QUERIES", "8"))
NAIVE_BUDGET_SECONDS = 90.0
BENCH_DIR = Path(os.environ.get("HOTLINE_BENCH_DIR", "/tmp/hotline-bench"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
TARGET_MS = {"sqlite": 10.0, "postgresql": 20.0}
BACKENDS = os.environ.get("LOOKUP_BACKENDS", "sqlite,postgresql").split(",")
SLOWEST = int(os.environ.get("LOOKUP_SLOWEST", "0"))  # print each kind's N slowest queries (the p99 tail)
SEED = 20261123

console = Console(highlight=False, width=150)


@dataclass
class Sample:
    """One timed query and the client it was drawn from (``None`` when any answer is fine)."""

    query: str
    expected: int | None


@dataclass
class KindResult:
    kind: str
    times_ms: list[float] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    naive_ms: list[float] = field(default_factory=list)
    found: int = 0
    checked: int = 0


# --- building the database ----------------------------------------------------------------------


def database_urls() -> Iterator[tuple[str, str]]:
    if "sqlite" in BACKENDS:
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        yield "sqlite", f"sqlite:///{BENCH_DIR / f'lookup-{CLIENTS}.db'}"
    if "postgresql" in BACKENDS:
        url = pg_bench_database(f"hotline_bench_lookup_{CLIENTS}", console)
        if url is not None:
            yield "postgresql", url


def storage_bytes(engine: Engine) -> tuple[int, int]:
    """Bytes of the lookup index (its tables with their indexes) and of the whole database."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            index = connection.execute(
                text("SELECT sum(pg_total_relation_size(t)) FROM unnest(CAST(:tables AS regclass[])) AS t"),
                {"tables": list(SEARCH_TABLES)},
            ).scalar_one()
            whole = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            return int(index), int(whole)
        # dbstat names each table and index page by the b-tree it belongs to; FTS5 shadow tables
        # (search_doc_fts_data, …) are the lookup's too.
        pages = connection.execute(
            text(
                "SELECT s.name, coalesce(m.tbl_name, s.name), s.pgsize FROM dbstat s LEFT JOIN sqlite_schema m ON m.name = s.name"
            )
        ).all()
        index = sum(size for _name, table, size in pages if table.startswith("search_"))
        return index, sum(size for *_rest, size in pages)


def count_clients(engine: Engine) -> int:
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM client")).scalar_one()
    except Exception:
        return 0


def ensure_database(backend: str, url: str) -> dict[str, float]:
    """Make sure the database holds CLIENTS clients and a complete index; return what building cost."""
    figures: dict[str, float] = {}
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)  # also brings a kept database's index up to date (0011: short typos)
        stored = count_clients(engine)
        if stored < CLIENTS * 0.95:
            if stored:
                raise SystemExit(f"{url} holds a different number of clients; remove it and run again")
            started = time.perf_counter()
            if importlib.util.find_spec("hotline.cli.demo") is not None:
                subprocess.run(
                    [sys.executable, "-m", "hotline.cli", "--db", url, "demo", "--clients", str(CLIENTS)],
                    check=True,
                )
                figures["demo load (hotline demo)"] = time.perf_counter() - started
            else:
                generate_clients(engine, CLIENTS)
                figures["bulk client load (bench generator)"] = time.perf_counter() - started
        with engine.connect() as connection:
            docs = connection.execute(text("SELECT count(*) FROM search_doc")).scalar_one()
            people = connection.execute(
                text("SELECT count(DISTINCT client_id) FROM search_word")
            ).scalar_one()
        if docs < people or people < count_clients(engine) * 0.95:
            started = time.perf_counter()
            with UnitOfWork(engine) as uow:
                rebuild_index(uow.session)
            figures["rebuild_index"] = time.perf_counter() - started
        # No VACUUM ANALYZE here: the figures are those straight after the bulk load, whose own
        # statistics (hotline.core.statistics) are what the console gets.
    finally:
        engine.dispose()
    return figures


RU_FIRST = ["Иван", "Пётр", "Алексей", "Сергей", "Андрей", "Дмитрий", "Михаил", "Николай", "Юрий", "Фёдор"]
RU_FIRST_F = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Юлия", "Алёна", "Ксения", "Татьяна", "Ирина"]
RU_LAST = [
    "Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков",
    "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Хабаров",
    "Щукин", "Жуков", "Чернов", "Шестаков", "Цветков", "Юдин", "Яковлев", "Орлов", "Макаров", "Зайцев",
]  # fmt: skip
EN_FIRST = ["John", "James", "Robert", "Michael", "William", "David", "Mary", "Linda", "Sarah", "Emily"]
EN_LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker",
]  # fmt: skip
COMPANIES = ["Ромашка", "Вектор", "Гранит", "Acme", "Globex", "Initech", "Umbrella", "Northwind", "Contoso"]
DOMAINS = ["mail.ru", "yandex.ru", "gmail.com", "example.com", "acme.ru", "globex.com"]


def generate_clients(engine: Engine, count: int) -> None:
    """Bulk-load ``count`` clients with phones and emails (used until ``hotline demo`` exists)."""
    rng = random.Random(SEED)
    postgres = engine.dialect.name == "postgresql"
    now = datetime(2026, 11, 1, tzinfo=UTC)
    stamp = now.isoformat() if postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    clients, phones, emails = [], [], []
    organisations = max(1, count // 20)
    for client_id in range(1, count + 1):
        if client_id <= organisations:
            name = f"{rng.choice(['ООО', 'АО', 'Ltd'])} {rng.choice(COMPANIES)} {client_id}"
            first = last = None
            organisation = None
        else:
            russian = rng.random() < 0.5
            female = rng.random() < 0.5
            first = rng.choice((RU_FIRST_F if female else RU_FIRST) if russian else EN_FIRST)
            last = rng.choice(RU_LAST if russian else EN_LAST) + ("а" if russian and female else "")
            name = f"{first} {last}"
            organisation = rng.randrange(1, organisations + 1) if rng.random() < 0.3 else None
        seen_at = now - timedelta(days=rng.randrange(900))
        last_seen = seen_at.isoformat() if postgres else seen_at.strftime("%Y-%m-%d %H:%M:%S.%f")
        clients.append(
            (client_id, "organisation" if first is None else "person", name, first, last, organisation,
             "", "[]", stamp, stamp, last_seen)
        )  # fmt: skip
        for _ in range(1 if rng.random() < 0.6 else 2):
            area = rng.choice(["495", "499", "812", "916", "903", "926", "985"])
            local = f"{rng.randrange(2_000_000, 10_000_000)}"
            digits = f"7{area}{local}"
            raw = rng.choice(
                [f"+7 ({area}) {local[:3]}-{local[3:5]}-{local[5:]}", f"8 {area} {local}", f"+7{area}{local}"]
            )
            phones.append((len(phones) + 1, client_id, raw, "+" + digits, digits))
        if rng.random() < 0.8:
            local_part = to_latin(name.split()[-1] if first is None else f"{first}.{last}").replace(" ", ".")
            emails.append(
                (len(emails) + 1, client_id, f"{local_part}{rng.randrange(100)}@{rng.choice(DOMAINS)}")
            )
    write = _copy_rows if postgres else _sqlite_rows
    with engine.begin() as connection:
        write(connection, "client", "id, kind, name, first_name, last_name, organisation_id, notes, tags,"
              " created_at, updated_at, last_interaction_at", clients)  # fmt: skip
        write(connection, "client_phone", "id, client_id, raw, e164, digits", phones)
        write(connection, "client_email", "id, client_id, address", emails)
        if postgres:
            for table in ("client", "client_phone", "client_email"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )


def _sqlite_rows(connection, table: str, columns: str, rows: list[tuple]) -> None:
    marks = ", ".join("?" for _ in columns.split(","))
    connection.connection.driver_connection.executemany(
        f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows
    )


def _copy_rows(connection, table: str, columns: str, rows: list[tuple]) -> None:
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --- the queries --------------------------------------------------------------------------------


def draw_queries(engine: Engine) -> dict[str, list[Sample]]:
    """Queries of every kind, drawn from random stored clients (the same seed on every backend)."""
    rng = random.Random(SEED)
    with engine.connect() as connection:
        top = connection.execute(text("SELECT max(id) FROM client")).scalar_one()
        ids = sorted({rng.randrange(1, top + 1) for _ in range(QUERIES_PER_KIND * 12)})
        persons = connection.execute(
            text("SELECT id, first_name, last_name FROM client WHERE kind = 'person' AND id IN :ids"
                 " AND first_name IS NOT NULL AND last_name IS NOT NULL").bindparams(_expanding("ids")),
            {"ids": ids},
        ).all()  # fmt: skip
        phones = connection.execute(
            text("SELECT client_id, raw, digits FROM client_phone WHERE client_id IN :ids").bindparams(
                _expanding("ids")
            ),
            {"ids": ids},
        ).all()
        emails = connection.execute(
            text("SELECT client_id, address FROM client_email WHERE client_id IN :ids").bindparams(
                _expanding("ids")
            ),
            {"ids": ids},
        ).all()
        companies = connection.execute(
            text("SELECT id, name FROM client WHERE kind = 'organisation' ORDER BY id LIMIT :n"),
            {"n": QUERIES_PER_KIND * 4},
        ).all()
        tickets = connection.execute(
            text("SELECT number FROM ticket ORDER BY id LIMIT :n"), {"n": QUERIES_PER_KIND}
        ).all()
        pairs = {(row.first_name, row.last_name) for row in persons}
        namesakes = {
            (first, last): count
            for first, last, count in connection.execute(
                text("SELECT first_name, last_name, count(*) FROM client WHERE kind = 'person'"
                     " AND last_name IN :lasts GROUP BY first_name, last_name").bindparams(_expanding("lasts")),
                {"lasts": sorted({last for _, last in pairs})},
            )
            if (first, last) in pairs
        }  # fmt: skip
    cyrillic = [row for row in persons if is_cyrillic(row.last_name)]
    latin = [row for row in persons if not is_cyrillic(row.last_name)]
    n = QUERIES_PER_KIND

    def pick(rows: list, count: int = n) -> list:
        return [rows[index % len(rows)] for index in range(count)] if rows else []

    def meant(row) -> int | None:
        """The client a full name means, when nobody else has it (else any namesake is right)."""
        return row.id if namesakes.get((row.first_name, row.last_name)) == 1 else None

    def as_typed(surname: str, first: str) -> str:
        # Operators type lower case, the surname first, the first name sometimes cut short.
        return f"{surname.lower()} {first.lower()[: rng.choice([len(first), len(first), 3, 4])]}"

    short = [row for row in persons if len(row.last_name) == 4]
    kinds: dict[str, list[Sample]] = {
        "surname name": [
            Sample(as_typed(row.last_name, row.first_name), meant(row)) for row in pick(persons)
        ],
        "surname-with-a-typo name": [
            Sample(as_typed(_typo(row.last_name, rng), row.first_name), meant(row))
            for row in pick([r for r in persons if len(r.last_name) >= 4])
        ],
        "short surname swapped name": [
            Sample(as_typed(_swap_end(row.last_name), row.first_name), meant(row)) for row in pick(short)
        ],
        "phone suffix (4 digits)": [Sample(row.digits[-4:], None) for row in pick(phones)],
        "phone as typed": [Sample(row.raw, row.client_id) for row in pick(phones)],
        "name prefix, Latin": [
            Sample(f"{row.first_name.lower()} {row.last_name[:3].lower()}", None) for row in pick(latin)
        ],
        "name prefix, Cyrillic": [
            Sample(f"{row.first_name.lower()} {row.last_name[:3].lower()}", None) for row in pick(cyrillic)
        ],
        "typo (swapped letters)": [
            Sample(_swap(row.last_name.lower(), rng), None)
            for row in pick([r for r in persons if len(r.last_name) >= 6])
        ],
        "transliteration": [
            Sample(
                f"{to_latin(row.first_name)} {to_latin(row.last_name)}"
                if is_cyrillic(row.last_name)
                else f"{to_cyrillic(row.first_name)} {to_cyrillic(row.last_name)}",
                None,  # the demo's small name pools give a hundred namesakes per full name at 1M
            )
            for row in pick(persons)
        ],
        "wrong keyboard layout": [
            Sample(to_english_layout(row.last_name.lower()), None) for row in pick(cyrillic)
        ],
        "email fragment": [
            Sample(
                row.address.split("@")[0] + "@" if index % 2 == 0 else "@" + row.address.split("@")[1], None
            )
            for index, row in enumerate(pick(emails))
        ],
        "company": [Sample(_company_word(row.name), None) for row in pick(companies)],
    }
    if tickets:
        kinds["ticket #number"] = [Sample(f"#{row.number}", None) for row in pick(tickets)]
    return {kind: samples for kind, samples in kinds.items() if samples}


def _expanding(name: str):
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


def _swap(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word) - 2)
    return word[:position] + word[position + 1] + word[position] + word[position + 2 :]


def _typo(word: str, rng: random.Random) -> str:
    """One slip, as typists make them: two letters swapped, one doubled, one dropped or one wrong."""
    word = word.lower()
    position = rng.randrange(len(word) - 1)
    kind = rng.choice(["swap", "swap", "double", "drop", "wrong"])
    if kind == "swap" and word[position] != word[position + 1]:
        return word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    if kind == "double":
        return word[: position + 1] + word[position] + word[position + 1 :]
    if kind == "drop" and len(word) > 4:
        return word[:position] + word[position + 1 :]
    alphabet = "абвгдежзиклмнопрстуфхцчшщыэюя" if is_cyrillic(word) else "abcdefghijklmnopqrstuvwxyz"
    letters = [letter for letter in alphabet if letter != word[position]]
    return word[:position] + rng.choice(letters) + word[position + 1 :]


def _swap_end(word: str) -> str:
    """The last two letters swapped (Holt → hotl), or the middle two when they are the same."""
    word = word.lower()
    if word[-1] != word[-2]:
        return word[:-2] + word[-1] + word[-2]
    return word[0] + word[2] + word[1] + word[3:]


def _company_word(name: str) -> str:
    words = [
        word for word in name.replace('"', " ").replace("«", " ").replace("»", " ").split() if len(word) >= 4
    ]
    return max(words, key=len) if words else name


# --- timing -------------------------------------------------------------------------------------


def run_backend(backend: str, url: str, *, plain_plans: bool = False) -> list[KindResult]:
    """Time every kind; ``plain_plans``: without the lookup's PostgreSQL planner settings (to compare)."""
    from contextlib import nullcontext

    from hotline.core.search import engine as search_engine

    kept = search_engine.index_driven_plans
    if plain_plans:
        search_engine.index_driven_plans = lambda connection: nullcontext()
    try:
        return _run_backend(backend, url, with_naive=not plain_plans)
    finally:
        search_engine.index_driven_plans = kept


def run_as_operator(url: str) -> list[KindResult]:
    """Time every kind as an operator's role (grants applied, a budget no lookup here reaches), forgetting
    what the warm-up handed out; the roles are made for the run and dropped after it."""
    from hotline.core.enums import Role
    from hotline.core.pg_roles import apply_grants, group_role, system_role

    prefix = f"hotline_bench_{os.getpid()}"
    login = f"{prefix}_operator_login"
    owner = make_engine(url)
    try:
        with UnitOfWork(owner) as uow:
            apply_grants(uow, prefix=prefix, contact_budget=10_000_000)
            connection = uow.session.connection()
            connection.exec_driver_sql(
                f'CREATE ROLE "{login}" LOGIN IN ROLE "{group_role(Role.OPERATOR, prefix=prefix)}"'
            )
            connection.execute(text("SELECT hotline_read_budget_ready(:r)"), {"r": login})

        def forget() -> None:
            with owner.begin() as connection:
                connection.execute(text("DELETE FROM client_handout"))

        operator_url = url.replace("://postgres@", f"://{login}@")
        # drawn as the owner: her role reads no phone or address it was not handed
        return _run_backend(
            "postgresql", operator_url, with_naive=False, before_timing=forget, drawn_from=owner
        )
    finally:
        with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("DELETE FROM client_read_budget"))
            for role in (login, *(group_role(r, prefix=prefix) for r in Role), system_role(prefix)):
                connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                connection.exec_driver_sql(f'DROP ROLE "{role}"')
        owner.dispose()


def _run_backend(
    backend: str,
    url: str,
    *,
    with_naive: bool,
    before_timing: Callable[[], None] | None = None,
    drawn_from: Engine | None = None,
) -> list[KindResult]:
    engine = make_engine(url)
    region = load_settings().default_region  # as `hotline demo` read it when it built the database
    try:
        kinds = draw_queries(drawn_from or engine)
        results = []

        def look(query: str) -> list:
            # A unit of work per lookup, as the console runs each keystroke's: its BEGIN and ROLLBACK
            # are in the time.
            with UnitOfWork(engine, readonly=True) as uow:
                return lookup(uow.session, query, default_region=region)

        for kind, samples in kinds.items():
            result = KindResult(kind)
            for sample in samples:  # warm the cache
                look(sample.query)
            if before_timing is not None:
                before_timing()
            for sample in samples:
                started = time.perf_counter()
                hits = look(sample.query)
                result.times_ms.append((time.perf_counter() - started) * 1000)
                result.queries.append(sample.query)
                if sample.expected is not None:
                    result.checked += 1
                    top = [hit.id for hit in hits if hit.kind == "client"][:10]
                    result.found += sample.expected in top
            results.append(result)
        naive_deadline = time.perf_counter() + (NAIVE_BUDGET_SECONDS if with_naive else 0)
        with engine.connect() as connection:
            for result in results:
                for sample in kinds[result.kind][:NAIVE_QUERIES_PER_KIND]:
                    if time.perf_counter() > naive_deadline:
                        break
                    result.naive_ms.append(naive(connection, sample.query))
        return results
    finally:
        engine.dispose()


NAIVE_SQL = (
    "SELECT c.id FROM client c WHERE c.name LIKE :pattern"
    " OR EXISTS (SELECT 1 FROM client_phone p WHERE p.client_id = c.id AND (p.raw LIKE :pattern OR p.digits LIKE :pattern))"
    " OR EXISTS (SELECT 1 FROM client_email e WHERE e.client_id = c.id AND e.address LIKE :pattern)"
    " LIMIT 20"
)


def naive(connection, query: str) -> float:
    """The naive search box: ``LIKE '%q%'`` over the raw name, phone and email columns."""
    pattern = "%" + query.replace("%", "").replace("_", "").replace("#", "") + "%"
    started = time.perf_counter()
    connection.execute(text(NAIVE_SQL), {"pattern": pattern}).all()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


# --- reporting ----------------------------------------------------------------------------------


def record(
    lines: list[dict], metric: str, value: float, unit: str, target: float | None, backend: str
) -> None:
    lines.append(
        {
            "benchmark": "lookup",
            "metric": metric,
            "value": round(value, 3),
            "unit": unit,
            "target": target,
            "backend": backend,
            "scale": SCALE,
        }
    )


def main() -> None:
    lines: list[dict] = []
    table = Table(title=f"lookup at {CLIENTS:,} clients (SCALE={SCALE})", title_justify="left")
    for column in (
        "backend",
        "kind",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "target",
        "naive p50 ms",
        "speed-up",
        "found (top 10)",
    ):
        table.add_column(column, justify="left" if column in {"backend", "kind"} else "right")
    builds: list[tuple[str, str, float]] = []
    sizes: list[tuple[str, float, float]] = []
    for backend, url in database_urls():
        console.print(f"[{backend}] preparing {url.split('@')[-1]} …", markup=False)
        for what, seconds in ensure_database(backend, url).items():
            builds.append((backend, what, seconds))
            record(lines, what, seconds, "s", 120.0, backend)
        engine = make_engine(url)
        try:
            index_bytes, database_bytes = storage_bytes(engine)
            clients = count_clients(engine)
        finally:
            engine.dispose()
        sizes.append((backend, index_bytes / clients, database_bytes / clients))
        record(lines, "lookup index bytes per client", index_bytes / clients, "B", None, backend)
        record(lines, "database bytes per client", database_bytes / clients, "B", None, backend)
        passes = [(backend, False)]
        if backend == "postgresql" and os.environ.get("LOOKUP_PLAIN_PLANS", "1") != "0":
            passes.append(("postgresql (plain plans)", True))
        for label, plain in passes:
            for result in run_backend(backend, url, plain_plans=plain):
                show(table, lines, label, result, TARGET_MS[backend])
                show_slowest(label, result)
        if backend == "postgresql" and os.environ.get("LOOKUP_AS_OPERATOR", "1") != "0":
            for result in run_as_operator(url):
                show(table, lines, "postgresql (operator)", result, TARGET_MS[backend])
                show_slowest("postgresql (operator)", result)
    console.print(table)
    for backend, what, seconds in builds:
        console.print(f"{backend}: {what} {seconds:.1f} s", markup=False)
    for backend, index_per_client, database_per_client in sizes:
        console.print(
            f"{backend}: lookup index {index_per_client:,.0f} bytes per client"
            f" (whole database {database_per_client:,.0f} bytes per client)",
            markup=False,
        )
    with RESULTS.open("a", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def show_slowest(backend: str, result: KindResult) -> None:
    """The kind's ``LOOKUP_SLOWEST`` slowest queries, to read the tail its p99 comes from."""
    if SLOWEST <= 0:
        return
    tail = sorted(zip(result.times_ms, result.queries, strict=True), reverse=True)[:SLOWEST]
    listed = ", ".join(f"{query!r} {ms:.1f}" for ms, query in tail)
    console.print(f"{backend}: {result.kind}: slowest (ms) {listed}", markup=False)


def show(table: Table, lines: list[dict], backend: str, result: KindResult, target: float) -> None:
    """One row of the table (found: the meant client in the top 10, where it has no namesake) and its
    JSON lines."""
    p50, p95, p99 = (percentile(result.times_ms, share) for share in (0.50, 0.95, 0.99))
    naive_p50 = statistics.median(result.naive_ms) if result.naive_ms else float("nan")
    speedup = naive_p50 / p50 if result.naive_ms and p50 > 0 else float("nan")
    style = "green" if p99 <= target else "red"
    found = f"{result.found}/{result.checked}" if result.checked else "—"
    table.add_row(
        backend, result.kind, f"{p50:.2f}", f"{p95:.2f}", f"[{style}]{p99:.2f}[/]", f"≤{target:g}",
        f"{naive_p50:.0f}" if result.naive_ms else "—", f"{speedup:,.0f}×" if result.naive_ms else "—", found,
    )  # fmt: skip
    record(lines, f"{result.kind} p50", p50, "ms", None, backend)
    record(lines, f"{result.kind} p95", p95, "ms", None, backend)
    record(lines, f"{result.kind} p99", p99, "ms", target, backend)
    if result.naive_ms:
        record(lines, f"{result.kind} naive LIKE p50", naive_p50, "ms", None, backend)
        record(lines, f"{result.kind} speed-up over naive (p50)", speedup, "x", None, backend)
    if result.checked:
        record(
            lines,
            f"{result.kind} meant client in top 10",
            result.found / result.checked,
            "ratio",
            0.99,
            backend,
        )


if __name__ == "__main__":
    main()
