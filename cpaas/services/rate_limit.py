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


#: INCR and, for a new window, EXPIRE: one round trip and one reply (a MULTI pipeline parses four).
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RateLimiter:
    def __init__(self, client: redis.Redis, limit: int, window: int, prefix: str = "ratelimit:api"):
        self.client = client
        self.limit = limit
        self.window = window
        self.prefix = prefix
        self._hit = client.register_script(_HIT)

    def hit(self, key: str, now: float | None = None) -> RateLimitState:
        now = time.time() if now is None else now
        window_start = int(now // self.window * self.window)
        reset = window_start + self.window
        redis_key = f"{self.prefix}:{key}:{window_start}"
        try:
            count = self._hit(keys=[redis_key], args=[self.window + 60])
        except redis.RedisError as exc:
            # Losing Redis must not take the API down with it: let the request through and say so.
            log.warning("rate limiter unavailable, request not counted: %s", exc)
            return RateLimitState(self.limit, self.limit, reset, True)
        return RateLimitState(self.limit, max(self.limit - count, 0), reset, count <= self.limit)
