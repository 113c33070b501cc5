import itertools

import pytest

from tests.support.voice import VoiceStack

_numbers = itertools.count()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_server):
    """One sandbox + controller + worker per test module (starting them costs seconds); the tests of
    a module use distinct numbers and accounts, so they do not see each other's calls."""
    voice = VoiceStack(tmp_path_factory.mktemp("voice"), redis_server.url)
    yield voice
    voice.stop()
    # pytest shows captured output only when a test failed: the logs of every process involved.
    print("---- controller ----\n" + voice.controller.output()[-8000:])
    print("---- sandbox ----\n" + "\n".join(voice.sandbox.log_lines[-60:]))


@pytest.fixture
def api(stack):
    """The API over real HTTP, sharing the stack's database and Redis."""
    from tests.support.live_server import LiveServer

    server = LiveServer(stack.app)
    yield server
    server.stop()


@pytest.fixture
def caller(stack):
    """A fresh account owning a fresh number (`caller.number`), for the official SDK."""
    from cpaas.models import Account
    from cpaas.services.phone_numbers import add_number

    creds = stack.account("Caller")
    creds.number = f"+1555123{next(_numbers):04d}"
    with stack.database.session() as session:
        add_number(session, session.get(Account, creds.sid), creds.number)
    return creds
