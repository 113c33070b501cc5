"""API keys authenticate like the account; rate limits answer in Twilio's shape; pages have Twilio's keys."""
import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from tests.api.conftest import twilio_client
from tests.support.app import make_app, settings_for_tests
from tests.support.live_server import LiveServer


def test_api_key_authenticates_and_its_secret_is_shown_once(server, client, account, database):
    new_key = client.api.v2010.accounts(account.sid).new_keys.create(friendly_name="CI deploys")
    assert new_key.sid.startswith("SK") and len(new_key.secret) >= 32

    key_client = twilio_client(server, new_key.sid, new_key.secret, account_sid=account.sid)
    assert key_client.api.v2010.accounts(account.sid).fetch().sid == account.sid

    fetched = requests.get(f"{server.url}/2010-04-01/Accounts/{account.sid}/Keys/{new_key.sid}.json",
                           auth=account.auth).json()
    assert fetched["friendly_name"] == "CI deploys" and "secret" not in fetched
    from cpaas.models import ApiKey
    with database.session() as session:
        assert new_key.secret not in session.get(ApiKey, new_key.sid).secret_hash

    assert [k.sid for k in client.api.v2010.accounts(account.sid).keys.list()] == [new_key.sid]
    client.api.v2010.accounts(account.sid).keys(new_key.sid).update(friendly_name="Renamed")
    assert client.api.v2010.accounts(account.sid).keys(new_key.sid).fetch().friendly_name == "Renamed"

    assert client.api.v2010.accounts(account.sid).keys(new_key.sid).delete() is True
    with pytest.raises(TwilioRestException) as excinfo:
        key_client.api.v2010.accounts(account.sid).fetch()
    assert excinfo.value.status == 401


def test_wrong_key_secret_and_other_tenants_keys(server, client, account, other_account):
    key = client.api.v2010.accounts(account.sid).new_keys.create(friendly_name="k")
    response = requests.get(f"{server.url}/2010-04-01/Accounts/{account.sid}.json", auth=(key.sid, "nope"))
    assert response.status_code == 401
    response = requests.get(f"{server.url}/2010-04-01/Accounts/{account.sid}/Keys/{key.sid}.json",
                            auth=other_account.auth)
    assert response.status_code == 404


def test_list_body_has_exactly_twilios_page_keys(server, client, account):
    for i in range(3):
        client.api.v2010.accounts.create(friendly_name=f"Sub {i}")
    url = f"{server.url}/2010-04-01/Accounts.json"
    body = requests.get(url, auth=account.auth, params={"PageSize": 2}).json()
    assert set(body) == {"first_page_uri", "next_page_uri", "previous_page_uri", "uri", "page", "page_size",
                         "start", "end", "accounts"}
    assert (body["page"], body["page_size"], body["start"], body["end"]) == (0, 2, 0, 1)
    assert body["previous_page_uri"] is None
    assert body["first_page_uri"] == "/2010-04-01/Accounts.json?PageSize=2&Page=0"
    assert body["next_page_uri"].startswith("/2010-04-01/Accounts.json?PageSize=2&Page=1&PageToken=PA")

    second = requests.get(server.url + body["next_page_uri"], auth=account.auth).json()
    assert (second["page"], second["start"], second["end"]) == (1, 2, 3)
    assert second["next_page_uri"] is None
    assert second["previous_page_uri"].startswith("/2010-04-01/Accounts.json?PageSize=2&Page=0&PageToken=PB")

    by_number = requests.get(url, auth=account.auth, params={"PageSize": 2, "Page": 1}).json()
    assert [a["sid"] for a in by_number["accounts"]] == [a["sid"] for a in second["accounts"]]

    filtered = requests.get(url, auth=account.auth, params={"FriendlyName": "Sub 1", "PageSize": 1}).json()
    assert [a["friendly_name"] for a in filtered["accounts"]] == ["Sub 1"]
    assert filtered["uri"] == "/2010-04-01/Accounts.json?FriendlyName=Sub+1&PageSize=1&Page=0"


def test_rate_limit_headers_and_429(tmp_path, redis_url, account):
    app, database = make_app(settings_for_tests(tmp_path / "limited", redis_url, API_RATE_LIMIT="3/minute"))
    server = LiveServer(app)
    try:
        from tests.support.app import new_account
        creds = new_account(database)
        url = f"{server.url}/2010-04-01/Accounts/{creds.sid}.json"
        remaining = []
        for _ in range(3):
            response = requests.get(url, auth=creds.auth)
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Limit"] == "3"
            remaining.append(int(response.headers["X-RateLimit-Remaining"]))
            assert int(response.headers["X-RateLimit-Reset"]) > 0
        assert remaining == [2, 1, 0]
        response = requests.post(url, auth=creds.auth, data={"FriendlyName": "too late"})
        assert response.status_code == 429
        assert response.json()["code"] == 20429 and response.json()["status"] == 429
        assert response.headers["X-RateLimit-Remaining"] == "0"
        client = twilio_client(server, creds.sid, creds.token)
        with pytest.raises(TwilioRestException) as excinfo:
            client.api.v2010.accounts(creds.sid).fetch()
        assert excinfo.value.status == 429
        # The refused update changed nothing, and another account has its own budget.
        other = new_account(database, "Other")
        assert requests.get(f"{server.url}/2010-04-01/Accounts/{other.sid}.json",
                            auth=other.auth).json()["friendly_name"] == "Other"
    finally:
        server.stop()
        database.dispose()
