"""Knowledge-base articles: the answer book operators search mid-call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from hotline.core.models.types import JSONList, UTCDateTime


class KbArticle(SQLModel, table=True):
    __tablename__ = "kb_article"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=300, unique=True)
    title: str = Field(max_length=500)
    body: str = Field(default="")
    tags: list[Any] = Field(default_factory=list, sa_type=JSONList)
    audience: str = Field(max_length=16, default="internal")
    updated_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
