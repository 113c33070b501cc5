"""Send-rate limits that make messages wait instead of dropping them, shared by all workers through Redis.

`reserve(key)` books the earliest send slot that keeps at most `count` sends in
any `window` seconds for that key, and returns how long until that slot. The
caller sends now when it is 0, or schedules the send that many seconds later. A
booked slot is never given to anyone else, so N workers reserving at once still
respect the limit.

Two users: the per-number limit (SMS_RATE_LIMIT, default 100/hour, checked when a
message is queued) and each gateway's throughput (SMS_GATEWAY_<NAME>_RATE,
checked right before the gateway is called).
"""
from __future__ import annotations

import time
import uuid
from typing import Callable

import redis

from cpaas.messaging.config import MessagingConfig, Rate

# KEYS[1]: sorted set of booked slot times. ARGV: now, window (both whole milliseconds: exact in
# Lua's doubles and in its number-to-string conversion), count, member.
# Slots older than one window no longer count; with `count` or more left, the new slot
# is one window after the count-th most recent one, which keeps every window at <= count.
_RESERVE = """
local now, window, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local booked = redis.call('ZCARD', KEYS[1])
local slot = now
if booked >= count then
  local anchor = redis.call('ZRANGE', KEYS[1], booked - count, booked - count, 'WITHSCORES')
  slot = math.max(now, tonumber(anchor[2]) + window)
end
redis.call('ZADD', KEYS[1], slot, ARGV[4])
redis.call('PEXPIRE', KEYS[1], slot - now + window + 1000)
return tostring(slot)
"""


class SlidingWindowLimiter:
    def __init__(self, client: redis.Redis, namespace: str, rate: Rate, clock: Callable[[], float] = time.time):
        self._client = client
        self._namespace = namespace
        self.rate = rate
        self._clock = clock
        self._script = client.register_script(_RESERVE)

    def reserve(self, key: str) -> float:
        """Book a slot for one send under `key`; seconds to wait before sending (0.0 = now)."""
        now_ms = int(self._clock() * 1000)
        window_ms = int(self.rate.window * 1000)
        slot_ms = int(self._script(keys=[self._key(key)], args=[now_ms, window_ms, self.rate.count, uuid.uuid4().hex]))
        return max(0, slot_ms - now_ms) / 1000

    def reset(self, key: str) -> None:
        self._client.delete(self._key(key))

    def _key(self, key: str) -> str:
        return f"cpaas:ratelimit:{self._namespace}:{key}"


class NumberRateLimiter:
    """Per sending number: SMS_RATE_LIMIT (default 100/hour, as in the reference guide)."""

    def __init__(self, client: redis.Redis, rate: Rate = Rate(100, 3600), clock: Callable[[], float] = time.time):
        self._limiter = SlidingWindowLimiter(client, "sms-number", rate, clock)

    @classmethod
    def from_config(cls, client: redis.Redis, config: MessagingConfig, **kwargs) -> "NumberRateLimiter":
        return cls(client, config.number_rate, **kwargs)

    def reserve(self, number: str) -> float:
        return self._limiter.reserve(number)


class GatewayThroughput:
    """Per gateway: SMS_GATEWAY_<NAME>_RATE; gateways without one are not limited."""

    def __init__(self, client: redis.Redis, config: MessagingConfig, clock: Callable[[], float] = time.time):
        self._limiters = {name: SlidingWindowLimiter(client, "sms-gateway", gc.rate, clock)
                          for name, gc in config.gateways.items() if gc.rate}

    def reserve(self, gateway: str) -> float:
        limiter = self._limiters.get(gateway)
        return limiter.reserve(gateway) if limiter else 0.0
