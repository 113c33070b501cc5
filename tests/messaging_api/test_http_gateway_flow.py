"""End to end through the generic HTTP gateway: a loopback "provider" receives our JSON send, and its
delivery reports and inbound messages come back on /sms/http/<gateway>/dlr and /inbound."""
import json
import time

import pytest
import requests

from tests.support.webhook_server import Reply

NUMBER = "+15551230500"
PHONE = "+15557650500"
TOKEN = "acme-callback-token"


@pytest.fixture(scope="module")
def stack(stack_factory):
    from tests.support.webhook_server import WebhookServer

    provider = WebhookServer()
    stack = stack_factory(
        SMS_GATEWAYS="acme", SMS_GATEWAY_ACME_TYPE="http", SMS_GATEWAY_ACME_URL=provider.url + "/v1/messages",
        SMS_GATEWAY_ACME_AUTH_HEADER="Authorization: Bearer provider-secret",
        SMS_GATEWAY_ACME_FIELDS="to=msisdn, from=sender, body=text, ref=client_ref, dlr_url=callback_url",
        SMS_GATEWAY_ACME_ID_FIELD="messages.0.id", SMS_GATEWAY_ACME_CALLBACK_TOKEN=TOKEN,
        SMS_GATEWAY_ACME_DLR_FIELDS="ref=client_ref, status=status, error_code=error, id=message_id",
        SMS_GATEWAY_ACME_INBOUND_FIELDS="from=msisdn, to=to, body=text, id=message_id",
        SMS_GATEWAY_ACME_TIMEOUT="2")
    stack.provider = provider
    provider.reply("/v1/messages", default=Reply(body='{"messages": [{"id": "acme-42"}]}',
                                                 content_type="application/json"))
    stack.start_worker()
    stack.add_number(NUMBER, sms_url=stack.webhooks.url + "/sms")
    yield stack
    provider.stop()


def test_send_and_json_delivery_report(stack):
    message = stack.client.messages.create(to=PHONE, from_=NUMBER, body="Hello via acme",
                                           status_callback=stack.webhooks.url + "/status")
    sent = [r for r in stack.provider.wait_for("/v1/messages") if json.loads(r.body)["client_ref"] == message.sid][0]
    payload = json.loads(sent.body)
    assert sent.headers["Authorization"] == "Bearer provider-secret"
    assert (payload["msisdn"], payload["sender"], payload["text"]) == (PHONE, NUMBER, "Hello via acme")
    stack.wait_for_status(message.sid, ("sent",))
    assert stack.rows(sid=message.sid)[0].provider_id == "acme-42"
    # The provider reports to the callback_url we gave it (our dlr URL with ref and token).
    assert payload["callback_url"].startswith(f"{stack.server.url}/sms/http/acme/dlr?ref={message.sid}")
    report = requests.post(payload["callback_url"], json={"client_ref": message.sid, "status": "DELIVRD",
                                                          "message_id": "acme-42"}, timeout=5)
    assert report.status_code == 200, report.text
    assert stack.callbacks_for("/status", message.sid, until="delivered")[-1].form["MessageStatus"] == "delivered"


def test_undelivered_report_keeps_the_providers_error(stack):
    message = stack.client.messages.create(to=PHONE, from_=NUMBER, body="to a dead phone")
    stack.wait_for_status(message.sid, ("sent",))
    requests.post(f"{stack.server.url}/sms/http/acme/dlr", params={"token": TOKEN},
                  json={"client_ref": message.sid, "status": "expired", "error": "30005"}, timeout=5)
    final = stack.wait_for_status(message.sid, ("undelivered",))
    assert final.error_code == 30005


def test_inbound_json_reaches_sms_url(stack):
    stack.webhooks.reply("/sms", Reply(body="<Response><Message>pong</Message></Response>"))
    phone = "+15557650501"
    refused = requests.post(f"{stack.server.url}/sms/http/acme/inbound",
                            json={"msisdn": phone, "to": NUMBER, "text": "ping"}, timeout=5)
    assert refused.status_code == 403  # no token
    accepted = requests.post(f"{stack.server.url}/sms/http/acme/inbound", params={"token": TOKEN},
                             json={"msisdn": phone, "to": NUMBER, "text": "ping", "message_id": "in-1"}, timeout=5)
    assert accepted.status_code == 200
    again = requests.post(f"{stack.server.url}/sms/http/acme/inbound", params={"token": TOKEN},
                          json={"msisdn": phone, "to": NUMBER, "text": "ping", "message_id": "in-1"}, timeout=5)
    assert again.text == accepted.text  # the provider's retry is the same message, not a second one
    assert stack.request_to("/sms", lambda r: r.form["From"] == phone).form["Body"] == "ping"
    deadline = time.monotonic() + 15
    while not (reply := [r for r in stack.provider.received("/v1/messages") if json.loads(r.body)["msisdn"] == phone]):
        assert time.monotonic() < deadline, "the <Message> reply never reached the provider"
        time.sleep(0.05)
    assert json.loads(reply[0].body)["text"] == "pong"
