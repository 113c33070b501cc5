import pytest
import redis

from tests.support.servers import PostgresServer, RedisServer


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


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A new, empty PostgreSQL database for each test."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A new, empty database, once on each backend the product supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/fresh/cpaas.db"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def webhooks():
    """A loopback HTTP server standing in for the user's application."""
    from tests.support.webhook_server import WebhookServer

    server = WebhookServer()
    yield server
    server.stop()
