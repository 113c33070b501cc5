import pytest
import redis

from tests.support.servers import RedisServer


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """A clean Redis database for each test."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def webhooks():
    """A loopback HTTP server standing in for the user's application."""
    from tests.support.webhook_server import WebhookServer

    server = WebhookServer()
    yield server
    server.stop()
