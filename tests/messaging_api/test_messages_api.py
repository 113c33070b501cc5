"""The Messages resource through the official twilio SDK: create with Twilio's error codes, segments,
fetch, list with filters and paging, redact, delete. No worker runs here, so sent messages stay `queued`."""
from datetime import timedelta

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

NUMBER = "+15551230100"
OTHER_NUMBER = "+15551230101"
PHONE = "+15557650100"


@pytest.fixture(scope="module")
def stack(stack_factory):
    stack = stack_factory()
    stack.add_number(NUMBER)
    stack.add_number(OTHER_NUMBER)
    return stack


def inject(stack, from_, to, body):
    """An inbound message through the sandbox gateway's callback, as a gateway would post it."""
    response = requests.post(f"{stack.server.url}/sms/sandbox/sandbox/inbound",
                             data={"From": from_, "To": to, "Body": body}, timeout=5)
    assert response.status_code == 200, response.text
    return response.text.strip()


def test_create_answers_201_queued_in_twilios_shape(stack):
    message = stack.client.messages.create(to=PHONE, from_=NUMBER, body="Hello there",
                                           status_callback="http://127.0.0.1:9/status")
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.status, message.direction, message.to, message.from_) == ("queued", "outbound-api", PHONE,
                                                                               NUMBER)
    assert (message.num_segments, message.num_media, message.error_code, message.date_sent) == ("1", "0", None,
                                                                                                  None)
    assert message.account_sid == stack.account.sid and message.api_version == "2010-04-01"
    assert message.uri == f"/2010-04-01/Accounts/{stack.account.sid}/Messages/{message.sid}.json"
    assert message.subresource_uris == {}  # no links to subresources (Media, Feedback) that are not served
    fetched = stack.client.messages(message.sid).fetch()
    assert (fetched.sid, fetched.body, fetched.date_created) == (message.sid, "Hello there", message.date_created)


def test_national_to_takes_the_senders_country(stack):
    message = stack.client.messages.create(to="(555) 765-0199", from_=NUMBER, body="x")
    assert message.to == "+15557650199"


@pytest.mark.parametrize("kwargs, code, status", [
    ({"to": "", "from_": NUMBER, "body": "x"}, 21604, 400),
    ({"to": PHONE, "body": "x"}, 21603, 400),
    ({"to": PHONE, "from_": NUMBER}, 21602, 400),
    ({"to": PHONE, "from_": NUMBER, "body": "x" * 1601}, 21617, 400),
    ({"to": "not-a-number", "from_": NUMBER, "body": "x"}, 21211, 400),
    ({"to": PHONE, "from_": "+15559990000", "body": "x"}, 21606, 400),
    ({"to": PHONE, "from_": NUMBER, "body": "x", "status_callback": "not a url"}, 21609, 400),
])
def test_create_errors_carry_twilios_codes(stack, kwargs, code, status):
    with pytest.raises(TwilioRestException) as caught:
        stack.client.messages.create(**kwargs)
    assert (caught.value.code, caught.value.status) == (code, status), caught.value.msg


def test_number_of_another_account_is_not_an_sms_capable_from(stack):
    from tests.support.app import new_account
    from tests.api.conftest import twilio_client

    other = new_account(stack.database, "Other tenant")
    with pytest.raises(TwilioRestException) as caught:
        twilio_client(stack.server, other.sid, other.token).messages.create(to=PHONE, from_=NUMBER, body="x")
    assert caught.value.code == 21606


def test_body_of_exactly_1600_characters_is_accepted(stack):
    message = stack.client.messages.create(to=PHONE, from_=NUMBER, body="a" * 1600)
    assert message.num_segments == str(-(-1600 // 153))


@pytest.mark.parametrize("body, segments", [
    ("a" * 160, "1"), ("a" * 161, "2"), ("{" * 80, "1"), ("{" * 81, "2"),   # extension chars cost 2 septets
    ("é" * 160, "1"),                                                        # é is in GSM-7
    ("ж" * 70, "1"), ("ж" * 71, "2"), ("😀" * 35, "1"), ("😀" * 36, "2"),    # UCS-2; emoji are 2 units
])
def test_num_segments_counts_like_carriers(stack, body, segments):
    assert stack.client.messages.create(to=PHONE, from_=NUMBER, body=body).num_segments == segments


def test_media_urls_are_stored(stack):
    message = stack.client.messages.create(to=PHONE, from_=NUMBER, media_url=["https://example.org/a.png",
                                                                              "https://example.org/b.png"])
    assert (message.num_media, message.body) == ("2", "")


def test_list_filters_by_to_and_from_and_pages(stack):
    phone = "+15557650111"
    sids = [stack.client.messages.create(to=phone, from_=OTHER_NUMBER, body=f"n{i}").sid for i in range(5)]
    stack.client.messages.create(to=phone, from_=NUMBER, body="from the other number")
    listed = stack.client.messages.list(to=phone, from_=OTHER_NUMBER, page_size=2)
    assert [m.sid for m in listed] == list(reversed(sids))  # newest first, across three pages
    page = stack.client.messages.page(to=phone, page_size=2)
    assert len(list(page)) == 2 and page.next_page() is not None
    assert {m.from_ for m in stack.client.messages.list(to=phone)} == {NUMBER, OTHER_NUMBER}


def test_list_filters_by_date_sent(stack):
    sender = "+15557650122"
    sid = inject(stack, sender, NUMBER, "sent today")
    now = stack.client.messages(sid).fetch().date_sent  # not our clock: the message may be from before midnight
    today = now.date()

    def sids(**filters):
        return [m.sid for m in stack.client.messages.list(from_=sender, **filters)]

    assert sids() == [sid]
    assert sids(date_sent=today) == [sid]
    assert sids(date_sent=today - timedelta(days=1)) == []
    assert sids(date_sent_after=today) == [sid]
    assert sids(date_sent_after=now + timedelta(minutes=5)) == []
    assert sids(date_sent_before=now + timedelta(minutes=5)) == [sid]
    assert sids(date_sent_before=today) == []
    # A bare date in the query string works too (clients other than the SDK send these).
    raw = requests.get(f"{stack.server.url}/2010-04-01/Accounts/{stack.account.sid}/Messages.json",
                       params={"From": sender, "DateSent": today.isoformat()}, auth=stack.account.auth,
                       timeout=5).json()
    assert [m["sid"] for m in raw["messages"]] == [sid]
    assert set(raw) == {"first_page_uri", "end", "previous_page_uri", "uri", "page_size", "start", "next_page_uri",
                        "page", "messages"}


def test_inbound_message_is_stored_and_listed(stack):
    sid = inject(stack, "+15557650133", NUMBER, "hi ж")
    message = stack.client.messages(sid).fetch()
    assert (message.direction, message.status, message.body, message.to) == ("inbound", "received", "hi ж", NUMBER)
    assert message.date_sent is not None


def test_inbound_to_an_international_number_without_plus_finds_the_number(stack):
    sid = inject(stack, "+15557650134", NUMBER.lstrip("+"), "no plus")
    assert stack.client.messages(sid).fetch().to == NUMBER


def test_redact_empties_the_body_and_keeps_the_record(stack):
    sid = inject(stack, "+15557650144", NUMBER, "my secret code is 1234")
    redacted = stack.client.messages(sid).update(body="")
    assert (redacted.body, redacted.status, redacted.num_segments) == ("", "received", "1")
    assert stack.client.messages(sid).fetch().body == ""
    with pytest.raises(TwilioRestException) as caught:
        stack.client.messages(sid).update(body="something else")
    assert caught.value.status == 400


def test_in_flight_messages_cannot_be_deleted_or_redacted(stack):
    queued = stack.client.messages.create(to=PHONE, from_=NUMBER, body="on its way")
    for action in (lambda: stack.client.messages(queued.sid).delete(),
                   lambda: stack.client.messages(queued.sid).update(body="")):
        with pytest.raises(TwilioRestException) as caught:
            action()
        assert caught.value.code == 20009
    assert stack.client.messages(queued.sid).fetch().body == "on its way"


def test_delete_and_not_found(stack):
    sid = inject(stack, "+15557650155", NUMBER, "delete me")
    assert stack.client.messages(sid).delete() is True
    with pytest.raises(TwilioRestException) as caught:
        stack.client.messages(sid).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_other_accounts_messages_are_invisible(stack):
    from tests.support.app import new_account
    from tests.api.conftest import twilio_client

    sid = stack.client.messages.create(to=PHONE, from_=NUMBER, body="mine").sid
    other = new_account(stack.database, "Snoop")
    with pytest.raises(TwilioRestException) as caught:
        twilio_client(stack.server, other.sid, other.token).messages(sid).fetch()
    assert caught.value.status == 404
    assert twilio_client(stack.server, other.sid, other.token).messages.list() == []


def test_account_lists_the_messages_subresource(stack):
    account = stack.client.api.accounts(stack.account.sid).fetch()
    assert account.subresource_uris["messages"] == f"/2010-04-01/Accounts/{stack.account.sid}/Messages.json"


def test_gateway_callbacks_refuse_unknown_gateways_and_bad_requests(stack):
    base = stack.server.url
    assert requests.post(f"{base}/sms/kannel/nope/dlr", data={}, timeout=5).status_code == 404
    assert requests.post(f"{base}/sms/sandbox/sandbox/inbound", data={"From": PHONE}, timeout=5).status_code == 400
    response = requests.post(f"{base}/sms/sandbox/sandbox/inbound", data={"From": PHONE, "To": "+15550000000",
                                                                         "Body": "nobody's"}, timeout=5)
    assert response.status_code == 200 and "no account owns" in response.text
