"""Fixed-window request limits in Redis, shared by every API process."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset: int  # epoch seconds when the window ends
    allowed: bool


class RateLimiter:
    def __init__(self, client: redis.Redis, limit: int, window: int, prefix: str = "ratelimit:api"):
        self.client = client
        self.limit = limit
        self.window = window
        self.prefix = prefix

    def hit(self, key: str, now: float | None = None) -> RateLimitState:
        now = time.time() if now is None else now
        window_start = int(now // self.window * self.window)
        reset = window_start + self.window
        redis_key = f"{self.prefix}:{key}:{window_start}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(redis_key)
            pipe.expire(redis_key, self.window + 60)
            count = pipe.execute()[0]
        except redis.RedisError as exc:
            # Losing Redis must not take the API down with it: let the request through and say so.
            log.warning("rate limiter unavailable, request not counted: %s", exc)
            return RateLimitState(self.limit, self.limit, reset, True)
        return RateLimitState(self.limit, max(self.limit - count, 0), reset, count <= self.limit)
