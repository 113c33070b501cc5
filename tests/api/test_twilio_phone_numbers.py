"""IncomingPhoneNumbers through the official SDK."""
import pytest
import requests
from twilio.base.exceptions import TwilioRestException


def test_create_fetch_list_update_delete(client, account):
    numbers = client.api.v2010.accounts(account.sid).incoming_phone_numbers
    created = numbers.create(phone_number="+1 555 123 0000", voice_url="http://127.0.0.1:9/voice.xml",
                             sms_url="http://127.0.0.1:9/sms", sms_method="GET", friendly_name="Hotline")
    assert created.sid.startswith("PN") and created.phone_number == "+15551230000"
    assert created.capabilities == {"voice": True, "sms": True, "mms": False, "fax": False}
    assert (created.voice_method, created.sms_method) == ("POST", "GET")
    numbers.create(phone_number="+15557650000")

    assert numbers(created.sid).fetch().friendly_name == "Hotline"
    assert [n.phone_number for n in numbers.list(phone_number="1230000")] == ["+15551230000"]
    assert [n.phone_number for n in numbers.list(phone_number="+1555765*")] == ["+15557650000"]
    assert [n.sid for n in numbers.list(friendly_name="Hotline")] == [created.sid]
    assert len(numbers.list(page_size=1)) == 2

    updated = numbers(created.sid).update(voice_url="https://app.example.org/ivr", voice_method="GET",
                                          status_callback="https://app.example.org/status")
    assert (updated.voice_url, updated.voice_method) == ("https://app.example.org/ivr", "GET")
    assert updated.status_callback == "https://app.example.org/status"

    assert numbers(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as excinfo:
        numbers(created.sid).fetch()
    assert excinfo.value.status == 404


def test_invalid_taken_and_foreign_numbers(server, client, account, other_account):
    numbers = client.api.v2010.accounts(account.sid).incoming_phone_numbers
    numbers.create(phone_number="+15551230000")
    for phone_number, code in (("12", 21421), ("+15551230000", 21422)):
        with pytest.raises(TwilioRestException) as excinfo:
            numbers.create(phone_number=phone_number)
        assert (excinfo.value.status, excinfo.value.code) == (400, code)
    with pytest.raises(TwilioRestException) as excinfo:
        numbers.create(phone_number="+15550001111", voice_url="not a url")
    assert (excinfo.value.status, excinfo.value.code) == (400, 21502)
    response = requests.post(f"{server.url}/2010-04-01/Accounts/{account.sid}/IncomingPhoneNumbers.json",
                             auth=account.auth, data={"FriendlyName": "no number"})
    assert response.status_code == 400 and response.json()["code"] == 21421
    assert len(numbers.list()) == 1

    response = requests.get(f"{server.url}/2010-04-01/Accounts/{account.sid}/IncomingPhoneNumbers.json",
                            auth=other_account.auth)
    assert response.status_code == 404
    theirs = requests.get(f"{server.url}/2010-04-01/Accounts/{other_account.sid}/IncomingPhoneNumbers.json",
                          auth=other_account.auth).json()
    assert theirs["incoming_phone_numbers"] == []
