import pytest

from tests.support.voice import VoiceStack


@pytest.fixture
def stack(tmp_path, redis_url):
    voice = VoiceStack(tmp_path, redis_url)
    yield voice
    voice.stop()
    # pytest shows captured output only when the test failed: the logs of every process involved.
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
    """An account that owns +15551230000, and the official SDK pointed at our API."""
    from cpaas.models import Account
    from cpaas.services.phone_numbers import add_number

    creds = stack.account("Caller")
    with stack.database.session() as session:
        add_number(session, session.get(Account, creds.sid), "+15551230000")
    return creds
