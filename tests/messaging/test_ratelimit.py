"""Send-rate limits on a real Redis: over the limit a message waits for a slot, it is never dropped."""
import threading

import pytest
import redis

from cpaas.messaging.config import Rate, load_messaging_config
from cpaas.messaging.ratelimit import GatewayThroughput, NumberRateLimiter, SlidingWindowLimiter


class FakeClock:
    """Time the test moves by hand, so an hour-long window is checked without waiting."""

    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def client(redis_url):
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


def test_default_is_100_per_hour_then_each_waits_for_a_slot(client):
    clock = FakeClock()
    limiter = NumberRateLimiter(client, clock=clock)
    assert [limiter.reserve("+15551230000") for _ in range(100)] == [0.0] * 100
    assert limiter.reserve("+15551230000") == pytest.approx(3600)
    clock.now += 1800
    assert limiter.reserve("+15551230000") == pytest.approx(1800)  # still the first hour's slots
    assert limiter.reserve("+15559999999") == 0.0                  # another number is not affected


def test_slots_repeat_window_after_window(client):
    clock = FakeClock()
    limiter = SlidingWindowLimiter(client, "t", Rate(3, 10), clock)
    delays = [limiter.reserve("n") for _ in range(9)]
    assert delays == pytest.approx([0, 0, 0, 10, 10, 10, 20, 20, 20])


def test_no_window_ever_holds_more_than_the_limit(client):
    clock = FakeClock()
    limiter = SlidingWindowLimiter(client, "t", Rate(5, 60), clock)
    slots = []
    for step in range(40):  # sends arriving every 7 s, faster than 5/minute
        clock.now = 1_700_000_000.0 + 7 * step
        slots.append(clock.now + limiter.reserve("n"))
    assert slots == sorted(slots)
    for start in slots:
        assert len([s for s in slots if start <= s < start + 60]) <= 5


def test_waiting_slots_free_up_as_time_passes(client):
    clock = FakeClock()
    limiter = SlidingWindowLimiter(client, "t", Rate(2, 10), clock)
    limiter.reserve("n"), limiter.reserve("n")
    clock.now += 10.5
    assert limiter.reserve("n") == 0.0


def test_concurrent_workers_share_the_limit(client, redis_url):
    clock = FakeClock()
    delays, lock = [], threading.Lock()

    def worker():
        own = redis.Redis.from_url(redis_url)
        limiter = SlidingWindowLimiter(own, "t", Rate(10, 60), clock)
        for _ in range(10):
            delay = limiter.reserve("shared")
            with lock:
                delays.append(delay)
        own.close()

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(delays) == pytest.approx([0] * 10 + [60] * 10 + [120] * 10 + [180] * 10 + [240] * 10)


def test_keys_expire_so_idle_numbers_leave_nothing_behind(client):
    limiter = SlidingWindowLimiter(client, "t", Rate(2, 1), FakeClock(1e9))
    limiter.reserve("n")
    ttl = client.pttl("cpaas:ratelimit:t:n")
    assert 0 < ttl <= 2000


def test_gateway_throughput_only_where_configured(client):
    config = load_messaging_config({"SMS_GATEWAYS": "fast slow", "SMS_GATEWAY_FAST_TYPE": "sandbox",
                                    "SMS_GATEWAY_SLOW_TYPE": "sandbox", "SMS_GATEWAY_SLOW_RATE": "2"})
    clock = FakeClock()
    throughput = GatewayThroughput(client, config, clock)
    assert [throughput.reserve("fast") for _ in range(50)] == [0.0] * 50
    assert [throughput.reserve("slow") for _ in range(5)] == pytest.approx([0, 0, 1, 1, 2])
