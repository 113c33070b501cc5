"""The official twilio SDK drives accounts; errors come back in Twilio's shape and change nothing."""
import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from tests.api.conftest import twilio_client


def test_sdk_fetches_its_account(client, account):
    fetched = client.api.v2010.accounts(account.sid).fetch()
    assert fetched.sid == account.sid
    assert fetched.friendly_name == "Main"
    assert fetched.status == "active"
    assert fetched.type == "Full"
    assert fetched.auth_token == account.token
    assert fetched.owner_account_sid == account.sid
    assert fetched.uri == f"/2010-04-01/Accounts/{account.sid}.json"
    assert fetched.date_created.tzinfo is not None  # RFC 2822 parsed by the SDK


def test_sdk_creates_lists_across_pages_and_updates_subaccounts(client, account):
    created = [client.api.v2010.accounts.create(friendly_name=f"Branch {i}") for i in range(5)]
    assert all(sub.owner_account_sid == account.sid and sub.status == "active" for sub in created)

    listed = client.api.v2010.accounts.list(page_size=2)
    assert len(listed) == 6  # itself + 5 subaccounts, fetched over 3 pages
    assert {a.sid for a in listed} == {account.sid} | {sub.sid for sub in created}

    first = client.api.v2010.accounts.page(page_size=2)
    second = first.next_page()
    third = second.next_page()
    pages = [list(first), list(second), list(third)]
    assert [len(p) for p in pages] == [2, 2, 2]
    assert third.next_page() is None
    assert [a.sid for p in pages for a in p] == [a.sid for a in listed]  # newest first, no repeats
    assert [a.sid for a in second.previous_page()] == [a.sid for a in pages[0]]

    named = client.api.v2010.accounts.list(friendly_name="Branch 3")
    assert [a.sid for a in named] == [created[3].sid]

    renamed = client.api.v2010.accounts(created[0].sid).update(friendly_name="Field office")
    assert renamed.friendly_name == "Field office"
    assert client.api.v2010.accounts(created[0].sid).fetch().friendly_name == "Field office"


def test_suspended_or_closed_subaccount_cannot_authenticate(server, client):
    sub = client.api.v2010.accounts.create(friendly_name="Contractor")
    sub_client = twilio_client(server, sub.sid, sub.auth_token)
    assert sub_client.api.v2010.accounts(sub.sid).fetch().status == "active"

    client.api.v2010.accounts(sub.sid).update(status="suspended")
    with pytest.raises(TwilioRestException) as excinfo:
        sub_client.api.v2010.accounts(sub.sid).fetch()
    assert excinfo.value.status == 401 and excinfo.value.code == 20003

    client.api.v2010.accounts(sub.sid).update(status="active")
    assert sub_client.api.v2010.accounts(sub.sid).fetch().status == "active"

    client.api.v2010.accounts(sub.sid).update(status="closed")
    with pytest.raises(TwilioRestException):
        sub_client.api.v2010.accounts(sub.sid).fetch()
    with pytest.raises(TwilioRestException) as excinfo:
        client.api.v2010.accounts(sub.sid).update(status="active")
    assert excinfo.value.status == 400
    assert client.api.v2010.accounts(sub.sid).fetch().status == "closed"


def test_subaccount_sees_only_itself(server, client, account):
    sub = client.api.v2010.accounts.create(friendly_name="Child")
    sibling = client.api.v2010.accounts.create(friendly_name="Sibling")
    sub_client = twilio_client(server, sub.sid, sub.auth_token)
    assert [a.sid for a in sub_client.api.v2010.accounts.list()] == [sub.sid]
    for hidden in (account.sid, sibling.sid):
        with pytest.raises(TwilioRestException) as excinfo:
            sub_client.api.v2010.accounts(hidden).fetch()
        assert excinfo.value.status == 404
    with pytest.raises(TwilioRestException) as excinfo:
        sub_client.api.v2010.accounts.create(friendly_name="Grandchild")
    assert excinfo.value.status == 403


def test_an_account_cannot_change_its_own_status(client, account):
    with pytest.raises(TwilioRestException) as excinfo:
        client.api.v2010.accounts(account.sid).update(status="closed")
    assert excinfo.value.status == 403
    assert client.api.v2010.accounts(account.sid).fetch().status == "active"


def test_wrong_credentials_get_401_in_twilio_shape(server, account):
    response = requests.get(f"{server.url}/2010-04-01/Accounts/{account.sid}.json", auth=(account.sid, "x" * 32))
    assert response.status_code == 401
    assert response.json() == {"code": 20003, "message": "Authenticate",
                               "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert requests.get(f"{server.url}/2010-04-01/Accounts.json").status_code == 401

    bad = twilio_client(server, account.sid, "wrong-token")
    with pytest.raises(TwilioRestException) as excinfo:
        bad.api.v2010.accounts(account.sid).fetch()
    assert (excinfo.value.status, excinfo.value.code) == (401, 20003)


def test_another_tenant_is_invisible(server, client, account, other_account):
    with pytest.raises(TwilioRestException) as excinfo:
        client.api.v2010.accounts(other_account.sid).fetch()
    assert (excinfo.value.status, excinfo.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException) as excinfo:
        client.api.v2010.accounts(other_account.sid).update(friendly_name="Hijacked")
    assert excinfo.value.status == 404
    other = twilio_client(server, other_account.sid, other_account.token)
    assert other.api.v2010.accounts(other_account.sid).fetch().friendly_name == "Another tenant"
    assert [a.sid for a in client.api.v2010.accounts.list()] == [account.sid]


def test_unknown_path_and_method_get_twilio_errors(server, account):
    response = requests.get(f"{server.url}/2010-04-01/Accounts/{account.sid}/Nothing.json", auth=account.auth)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == 20404 and body["status"] == 404 and body["more_info"].endswith("/20404")

    response = requests.delete(f"{server.url}/2010-04-01/Accounts.json", auth=account.auth)
    assert response.status_code == 405
    assert response.json()["code"] == 20004


def test_bad_parameter_is_400_and_changes_nothing(server, client, account):
    sub = client.api.v2010.accounts.create(friendly_name="Steady")
    response = requests.post(f"{server.url}/2010-04-01/Accounts/{sub.sid}.json", auth=account.auth,
                             data={"Status": "on-holiday", "FriendlyName": "Changed"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["status"] == 400 and "Status" in body["message"]
    fetched = client.api.v2010.accounts(sub.sid).fetch()
    assert (fetched.status, fetched.friendly_name) == ("active", "Steady")

    response = requests.get(f"{server.url}/2010-04-01/Accounts.json", auth=account.auth, params={"PageSize": 5000})
    assert response.status_code == 400 and "PageSize" in response.json()["message"]


def test_unexpected_failure_is_a_twilio_500(app, account):
    def explode(**_):
        raise RuntimeError("disk on fire")

    app.add_url_rule("/2010-04-01/Explode.json", "explode", explode)
    response = app.test_client().get("/2010-04-01/Explode.json")
    assert response.status_code == 500
    assert response.get_json()["code"] == 20500 and "disk on fire" not in response.get_data(as_text=True)


def test_while_a_parent_account_is_suspended_its_subaccounts_and_their_keys_are_refused(server, client, account,
                                                                                         database):
    from cpaas.models import Account

    sub = client.api.v2010.accounts.create(friendly_name="Branch")
    key = twilio_client(server, sub.sid, sub.auth_token).api.v2010.accounts(sub.sid).new_keys.create()
    by_token = twilio_client(server, sub.sid, sub.auth_token)
    by_key = twilio_client(server, key.sid, key.secret, account_sid=sub.sid)
    assert by_key.api.v2010.accounts(sub.sid).fetch().status == "active"

    def parent_status(status):  # an operator's change: an account cannot change its own status
        with database.session() as session:
            session.get(Account, account.sid).status = status

    parent_status("suspended")
    for sdk in (by_token, by_key):
        with pytest.raises(TwilioRestException) as excinfo:
            sdk.api.v2010.accounts(sub.sid).fetch()
        assert excinfo.value.status == 401 and excinfo.value.code == 20003
    parent_status("active")
    assert by_token.api.v2010.accounts(sub.sid).fetch().status == "active"
    assert by_key.api.v2010.accounts(sub.sid).fetch().status == "active"
