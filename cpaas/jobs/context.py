"""What a job needs (settings, database, Redis), built once per worker process and resettable in tests."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import redis

from cpaas.config import Settings, load_settings
from cpaas.models import Database


@dataclass
class JobContext:
    settings: Settings

    @cached_property
    def database(self) -> Database:
        return Database.from_settings(self.settings)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.effective_redis_url)


_current: JobContext | None = None


def current() -> JobContext:
    global _current
    if _current is None:
        _current = JobContext(load_settings())
    return _current


def use(context: JobContext | None) -> None:
    """Install a context (tests, or a worker started with explicit settings); None resets."""
    global _current
    if _current is not None and context is not _current and "database" in _current.__dict__:
        _current.database.dispose()
    _current = context
