"""What call flows need from the rest of the product, built once per controller process."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import redis

from cpaas.config import Settings
from cpaas.models import Database
from cpaas.services.calls import CallEvents
from cpaas.services.routing import Router
from cpaas.services.http_transport import GeventTransport
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
    def http(self) -> GeventTransport:
        """Document fetches' connections (keep-alive to the user's app), wide enough for every call."""
        return GeventTransport(connections_per_host=256)

    @classmethod
    def from_settings(cls, settings: Settings) -> "VoiceEnv":
        return cls(settings, Database.from_settings(settings), redis.Redis.from_url(settings.effective_redis_url))
