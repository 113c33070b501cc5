"""Calls through the official SDK, without a switch: what the API decides on its own (validation,
routing, deleting records). Placing and following calls is in tests/voice/test_outbound_calls.py."""
from datetime import datetime, timezone

import pytest
from twilio.base.exceptions import TwilioRestException

from cpaas.models import Account, Call
from cpaas.services.phone_numbers import add_number
from tests.api.conftest import twilio_client
from tests.support.app import make_app, new_account, settings_for_tests
from tests.support.live_server import LiveServer

NUMBER = "+15551230000"


@pytest.fixture
def owned(database, account):
    with database.session() as session:
        add_number(session, session.get(Account, account.sid), NUMBER)
    return NUMBER


def _code(create) -> tuple[int, int]:
    with pytest.raises(TwilioRestException) as excinfo:
        create()
    return excinfo.value.status, excinfo.value.code


def test_a_create_without_to_or_from_or_with_a_bad_from_is_refused(client, owned):
    url = "http://127.0.0.1:9/voice.xml"
    assert _code(lambda: client.calls.create(to="", from_=owned, url=url)) == (400, 21201)
    assert _code(lambda: client.calls.create(to="+15557650000", from_="", url=url)) == (400, 21213)
    assert _code(lambda: client.calls.create(to="+15557650000", from_="not a number", url=url)) == (400, 21212)
    assert client.calls.list() == []


def test_without_a_switch_route_a_create_is_refused_with_13224(tmp_path, redis_url):
    # A FreeSWITCH node and no trunk: nothing can reach a phone number.
    settings = settings_for_tests(tmp_path, redis_url, FREESWITCH_NODES="esl://:secret@127.0.0.1:1#fs1")
    app, database = make_app(settings)
    server = LiveServer(app)
    try:
        account = new_account(database)
        with database.session() as session:
            add_number(session, session.get(Account, account.sid), NUMBER)
        client = twilio_client(server, account.sid, account.token)
        refused = _code(lambda: client.calls.create(to="+15557650000", from_=NUMBER, url="http://127.0.0.1:9/v"))
        assert refused == (400, 13224) and client.calls.list() == []
    finally:
        server.stop()
        database.dispose()


def test_only_a_finished_call_can_be_deleted(client, database, account, owned):
    now = datetime.now(timezone.utc)
    with database.session() as session:
        finished = Call(account_sid=account.sid, direction="outbound-api", to="+15557650000", from_=owned,
                        status="completed", start_time=now, end_time=now, duration=0)
        live = Call(account_sid=account.sid, direction="outbound-api", to="+15557650001", from_=owned,
                    status="in-progress", start_time=now)
        session.add_all([finished, live])
    assert _code(lambda: client.calls(live.sid).delete()) == (400, 21220)
    assert client.calls(finished.sid).delete() is True
    assert _code(lambda: client.calls(finished.sid).fetch()) == (404, 20404)
    assert [c.sid for c in client.calls.list()] == [live.sid]
