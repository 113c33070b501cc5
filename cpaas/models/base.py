"""Declarative base, sids and the UTC time type shared by every model."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

SID_PATTERN = re.compile(r"^[A-Z]{2}[0-9a-f]{32}$")


def new_sid(prefix: str) -> str:
    """A Twilio-form sid: two-letter prefix + 32 lowercase hex digits."""
    return prefix + uuid.uuid4().hex


def is_sid(value: str, prefix: str) -> bool:
    return bool(value) and value.startswith(prefix) and bool(SID_PATTERN.match(value))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stored naive in UTC (SQLite has no zones), always returned timezone-aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


# Constraint names that Alembic can reproduce on every database (SQLite batch migrations need them).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class Timestamps:
    date_created: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    date_updated: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def sid_column(prefix: str):
    return mapped_column(String(34), primary_key=True, default=lambda: new_sid(prefix))
