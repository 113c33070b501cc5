"""What call flows need from the rest of the product, built once per controller process."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import redis
import requests

from cpaas.config import Settings
from cpaas.models import Database
from cpaas.services.calls import CallEvents
from cpaas.services.routing import Router
from cpaas.voice.write_behind import WriteBehind


@dataclass
class VoiceEnv:
    settings: Settings
    database: Database
    redis: redis.Redis

    @cached_property
    def call_events(self) -> CallEvents:
        return CallEvents(self.redis, self.settings.webhook_retry_intervals)

    @cached_property
    def write_behind(self) -> WriteBehind:
        return WriteBehind(self.database)

    @cached_property
    def router(self) -> Router:
        return Router(self.settings)

    @cached_property
    def http(self) -> requests.Session:
        """One pooled HTTP session for document fetches (keep-alive to the user's app)."""
        session = requests.Session()
        session.trust_env = False  # no proxy/netrc lookups in os.environ on every fetch
        adapter = requests.adapters.HTTPAdapter(pool_connections=64, pool_maxsize=256)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    @classmethod
    def from_settings(cls, settings: Settings) -> "VoiceEnv":
        return cls(settings, Database(settings.database_url), redis.Redis.from_url(settings.effective_redis_url))
