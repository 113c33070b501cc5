import pytest
from twilio.rest import Client

from tests.support.app import make_app, new_account, settings_for_tests
from tests.support.live_server import LiveServer


@pytest.fixture
def settings(tmp_path, redis_url):
    return settings_for_tests(tmp_path, redis_url)


@pytest.fixture
def app_and_db(settings):
    app, database = make_app(settings)
    yield app, database
    database.dispose()


@pytest.fixture
def app(app_and_db):
    return app_and_db[0]


@pytest.fixture
def database(app_and_db):
    return app_and_db[1]


@pytest.fixture
def server(app):
    live = LiveServer(app)
    yield live
    live.stop()


@pytest.fixture
def account(database):
    return new_account(database, "Main")


@pytest.fixture
def other_account(database):
    return new_account(database, "Another tenant")


def twilio_client(server, sid, token, account_sid=None):
    client = Client(sid, token, account_sid=account_sid)
    client.api.base_url = server.url
    return client


@pytest.fixture
def client(server, account):
    return twilio_client(server, account.sid, account.token)
