"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, TypeDecorator
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as UTC and always read back as an aware UTC datetime.

    SQLite keeps no time zone, PostgreSQL's ``timestamptz`` does; this type makes both behave the same,
    so services compare instants without caring about the backend.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column; use an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONList(TypeDecorator[list[Any]]):
    """A JSON array (tags, addresses); never NULL on read."""

    impl = JSON
    cache_ok = True

    def process_result_value(self, value: list[Any] | None, dialect: Dialect) -> list[Any]:
        return list(value or [])
