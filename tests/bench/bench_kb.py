"""Knowledge-base search at 100,000 articles: p50/p95/p99 latency per query kind, on SQLite and PostgreSQL.

Builds (or reuses) a database of ``100,000 × SCALE`` generated bilingual articles per backend (bulk rows,
then the index built by ``hotline.core.kb.index``), then times ``search_articles`` end to end — parse,
ranked query, fetching the articles, snippets with highlights — for queries drawn from the articles
themselves (so common words come up as often as they do in the text). Every query runs once untimed
first (warm cache). Prints a Rich table and appends one JSON object per figure to ``bench-results.jsonl``.

    SCALE=0.1 .venv/bin/python tests/bench/bench_kb.py
    KB_BACKENDS=sqlite .venv/bin/python tests/bench/bench_kb.py     (one backend only)
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from benchlib import pg_bench_database
from rich.console import Console
from rich.table import Table
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from hotline.core import migrate
from hotline.core.db import UnitOfWork, make_engine
from hotline.core.kb.index import rebuild_index
from hotline.core.services.kb import search_articles

SCALE = float(os.environ.get("SCALE", "1"))
ARTICLES = max(1_000, int(100_000 * SCALE))
QUERIES_PER_KIND = int(os.environ.get("KB_QUERIES", "150"))
BENCH_DIR = Path(os.environ.get("HOTLINE_BENCH_DIR", "/tmp/hotline-bench"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
TARGET_P99_MS = {"sqlite": 20.0, "postgresql": None}
SEED = 20261123
BACKENDS = os.environ.get("KB_BACKENDS", "sqlite,postgresql").split(",")
BATCH = 2_000

console = Console(highlight=False, width=140, markup=False)

# --- a bilingual vocabulary with inflected forms ----------------------------------------------------

EN_WORDS = [
    "print",
    "printer",
    "scan",
    "scanner",
    "paper",
    "toner",
    "cartridge",
    "network",
    "connect",
    "connection",
    "password",
    "account",
    "login",
    "email",
    "mailbox",
    "server",
    "client",
    "invoice",
    "payment",
    "refund",
    "order",
    "delivery",
    "contract",
    "report",
    "error",
    "message",
    "window",
    "screen",
    "keyboard",
    "mouse",
    "laptop",
    "phone",
    "call",
    "queue",
    "ticket",
    "update",
    "install",
    "driver",
    "setting",
    "restart",
    "backup",
    "restore",
    "file",
    "folder",
    "share",
    "access",
    "permission",
    "user",
    "group",
    "license",
    "office",
    "document",
    "spreadsheet",
    "calendar",
    "meeting",
    "camera",
    "microphone",
    "headset",
    "battery",
    "charge",
    "power",
    "cable",
    "router",
    "wifi",
    "signal",
    "speed",
    "drop",
    "timeout",
]
EN_ENDINGS = ["", "s", "ing", "ed", "er"]
RU_WORDS = [
    "принтер",
    "сканер",
    "бумаг",
    "картридж",
    "сеть",
    "подключени",
    "пароль",
    "учётн",
    "запис",
    "почт",
    "сервер",
    "клиент",
    "счёт",
    "оплат",
    "возврат",
    "заказ",
    "доставк",
    "договор",
    "отчёт",
    "ошибк",
    "сообщени",
    "окн",
    "экран",
    "клавиатур",
    "мыш",
    "ноутбук",
    "телефон",
    "звонок",
    "очеред",
    "заявк",
    "обновлени",
    "установк",
    "драйвер",
    "настройк",
    "перезагрузк",
    "копи",
    "восстановлени",
    "файл",
    "папк",
    "доступ",
    "прав",
    "пользовател",
    "групп",
    "лицензи",
    "офис",
    "документ",
    "таблиц",
    "календар",
    "встреч",
    "камер",
    "микрофон",
    "гарнитур",
    "батаре",
    "заряд",
    "питани",
    "кабел",
    "маршрутизатор",
    "сигнал",
    "скорост",
    "обрыв",
]
RU_ENDINGS = ["", "а", "ы", "ов", "ами", "е", "у", "ом"]
FILLER = [
    "the",
    "a",
    "to",
    "and",
    "of",
    "in",
    "is",
    "for",
    "on",
    "with",
    "if",
    "when",
    "check",
    "then",
    "it",
    "not",
    "be",
    "this",
    "that",
    "your",
    "we",
    "you",
    "и",
    "в",
    "не",
    "на",
    "с",
    "что",
    "по",
    "для",
    "если",
    "при",
    "это",
    "как",
    "от",
    "к",
    "до",
    "или",
]


def vocabulary(rng: random.Random) -> list[str]:
    """Content words with endings (several forms per stem), then a few synthetic rare words."""
    words = [w + e for w in EN_WORDS for e in EN_ENDINGS] + [w + e for w in RU_WORDS for e in RU_ENDINGS]
    letters_en, letters_ru = "bcdfgklmnprstvz", "бвгдклмнпрстфх"
    vowels_en, vowels_ru = "aeiou", "аеиоуя"
    for _ in range(4_000):
        consonants, vowels = (letters_en, vowels_en) if rng.random() < 0.5 else (letters_ru, vowels_ru)
        words.append("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4))))
    rng.shuffle(words)
    return words


class Writer:
    """Articles of 5-word titles and 60-140-word bodies, words drawn Zipf-like from the vocabulary."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.weights = [1.0 / (rank + 8) for rank in range(len(self.words))]

    def sentence(self, count: int) -> str:
        content = self.rng.choices(self.words, weights=self.weights, k=count)
        out = []
        for word in content:
            if self.rng.random() < 0.35:
                out.append(self.rng.choice(FILLER))
            out.append(word)
        return " ".join(out).capitalize() + "."

    def article(self, number: int) -> tuple[str, str, str, list[str]]:
        title = self.sentence(self.rng.randint(3, 6)).rstrip(".")
        paragraphs = [self.sentence(self.rng.randint(10, 20)) for _ in range(self.rng.randint(4, 8))]
        body = "## " + self.sentence(3) + "\n\n" + "\n\n".join(paragraphs)
        tags = self.rng.sample(self.words[:60], 2)
        return f"gen/{number:06d}", title, body, tags


# --- building the database --------------------------------------------------------------------------


def database_urls() -> Iterator[tuple[str, str]]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if "sqlite" in BACKENDS:
        yield "sqlite", f"sqlite:///{BENCH_DIR / f'kb-{ARTICLES}.db'}"
    if "postgresql" not in BACKENDS:
        return
    url = pg_bench_database(f"hotline_bench_kb_{ARTICLES}", console)
    if url is not None:
        yield "postgresql", url


def count_articles(engine: Engine) -> int:
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM kb_article")).scalar_one()
    except Exception:
        return 0


def ensure_database(backend: str, url: str) -> dict[str, float]:
    """Make sure the database holds ARTICLES indexed articles; return what building cost (seconds)."""
    figures: dict[str, float] = {}
    engine = make_engine(url)
    try:
        if count_articles(engine) != ARTICLES:
            migrate.upgrade(engine)
            if count_articles(engine):
                raise SystemExit(f"{url} holds a different number of articles; remove it and run again")
            started = time.perf_counter()
            load_articles(engine)
            figures["bulk article load"] = time.perf_counter() - started
            started = time.perf_counter()
            with UnitOfWork(engine) as uow:
                rebuild_index(uow.session)
            figures["index build"] = time.perf_counter() - started
            if backend == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")
            else:
                with engine.begin() as connection:
                    connection.exec_driver_sql(
                        "INSERT INTO search_kb_fts (search_kb_fts) VALUES ('optimize')"
                    )
        if backend == "sqlite":
            check_fts_schema(engine, url)
    finally:
        engine.dispose()
    return figures


def check_fts_schema(engine: Engine, url: str) -> None:
    """A database cached before migration 0004 changed the FTS5 table would time the old index."""
    from importlib import import_module

    expected = import_module("hotline.core.migrations.versions.0004_kb_reminders").SQLITE_PREFIXES
    with engine.connect() as connection:
        sql = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'search_kb_fts'")
        ).scalar_one_or_none()
    if sql is None or f"prefix = '{expected}'" not in sql:
        raise SystemExit(f"{url} holds an FTS5 table of an older schema; remove it and run again")


def load_articles(engine: Engine) -> None:
    writer = Writer(SEED)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    stamp = now if engine.dialect.name == "postgresql" else now.replace(tzinfo=None)
    tags = "CAST(:tags AS JSON)" if engine.dialect.name == "postgresql" else ":tags"
    insert = text(
        "INSERT INTO kb_article (slug, title, body, tags, audience, updated_by, created_at, updated_at)"
        f" VALUES (:slug, :title, :body, {tags}, :audience, 'bench', :at, :at)"
    )
    for start in range(0, ARTICLES, BATCH):
        rows = []
        for number in range(start, min(start + BATCH, ARTICLES)):
            slug, title, body, tags = writer.article(number)
            audience = "public" if number % 5 == 0 else "internal"
            rows.append(
                {
                    "slug": slug,
                    "title": title,
                    "body": body,
                    "tags": json.dumps(tags),
                    "audience": audience,
                    "at": stamp,
                }
            )
        with engine.begin() as connection:
            connection.execute(insert, rows)


# --- queries ------------------------------------------------------------------------------------------


def query_kinds(rng: random.Random, sample_words: Callable[[int], list[str]]) -> dict[str, list[str]]:
    """Queries of each kind, words drawn from stored articles (as often as they occur there)."""

    def many(make: Callable[[], str]) -> list[str]:
        return [make() for _ in range(QUERIES_PER_KIND)]

    def w(count: int = 1) -> list[str]:
        return sample_words(count)

    return {
        "one word": many(lambda: w()[0]),
        "two words (AND)": many(lambda: " ".join(w(2))),
        "phrase": many(lambda: '"' + " ".join(w(2)) + '"'),
        "a OR b": many(lambda: " OR ".join(w(2))),
        "a NOT b": many(lambda: "{} NOT {}".format(*w(2))),
        "(a OR b) c": many(lambda: "({} OR {}) {}".format(*w(3))),
        "prefix*": many(lambda: truncated(w()[0]) + "*"),
        "bad query": many(
            lambda: rng.choice(['"{} {}', "NOT {}", "({} OR {}", "{} AND", "{} 🙂 ))"]).format(*w(2))
        ),
    }


def truncated(word: str) -> str:
    """A word without its last two letters (at least three kept): what people type before the ``*``."""
    return word[: max(3, len(word) - 2)]


def word_sampler(engine: Engine, rng: random.Random) -> Callable[[int], list[str]]:
    """Words taken from the titles and bodies of random stored articles."""
    with engine.connect() as connection:
        texts = [
            f"{row[0]} {row[1]}"
            for row in connection.execute(
                text("SELECT title, body FROM kb_article WHERE id IN :ids").bindparams(
                    bindparam("ids", value=rng.sample(range(1, ARTICLES + 1), 300), expanding=True)
                )
            )
        ]
    pool = [
        word.strip(".#,").lower() for body in texts for word in body.split() if len(word.strip(".#,")) > 2
    ]

    def sample(count: int) -> list[str]:
        return [rng.choice(pool) for _ in range(count)]

    return sample


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_queries(engine: Engine, queries: list[str]) -> tuple[list[float], float]:
    """Milliseconds per query (after one warm-up run each) and the mean number of hits."""
    times, hits = [], []
    for query in queries:
        with UnitOfWork(engine, readonly=True) as uow:
            search_articles(uow, query=query)
    for query in queries:
        started = time.perf_counter()
        with UnitOfWork(engine, readonly=True) as uow:
            result = search_articles(uow, query=query)
        times.append((time.perf_counter() - started) * 1000)
        hits.append(len(result.hits))
    return times, statistics.fmean(hits)


def record(
    lines: list[dict], metric: str, value: float, unit: str, target: float | None, backend: str
) -> None:
    lines.append(
        {
            "benchmark": "kb_search",
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
    table = Table(
        title=f"knowledge-base search at {ARTICLES:,} articles (SCALE={SCALE})", title_justify="left"
    )
    for column in ("backend", "query kind", "p50 ms", "p95 ms", "p99 ms", "mean hits"):
        table.add_column(column, justify="left" if column in ("backend", "query kind") else "right")
    for backend, url in database_urls():
        console.print(f"[{backend}] preparing {ARTICLES:,} articles …")
        for phase, seconds in ensure_database(backend, url).items():
            record(lines, f"{phase} seconds", seconds, "s", None, backend)
            console.print(f"[{backend}] {phase}: {seconds:.1f} s")
        engine = make_engine(url)
        rng = random.Random(SEED)
        kinds = query_kinds(rng, word_sampler(engine, rng))
        every: list[float] = []
        for kind, queries in kinds.items():
            times, mean_hits = time_queries(engine, queries)
            every.extend(times)
            p50, p95, p99 = (percentile(times, f) for f in (0.5, 0.95, 0.99))
            table.add_row(backend, kind, f"{p50:.2f}", f"{p95:.2f}", f"{p99:.2f}", f"{mean_hits:.1f}")
            record(lines, f"{kind} p99", p99, "ms", None, backend)
        p50, p95, p99 = (percentile(every, f) for f in (0.5, 0.95, 0.99))
        target = TARGET_P99_MS[backend]
        table.add_row(backend, "ALL", f"{p50:.2f}", f"{p95:.2f}", f"{p99:.2f}", "", style="bold")
        record(lines, "search p50", p50, "ms", None, backend)
        record(lines, "search p95", p95, "ms", None, backend)
        record(lines, "search p99", p99, "ms", target, backend)
        engine.dispose()
    console.print(table)
    with RESULTS.open("a", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
