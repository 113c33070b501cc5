"""End to end through a real Kannel (bearerbox + smsbox, fakesmsc as the carrier): sends reach the carrier
and come back `delivered` by Kannel's DLRs to our API; an MO at the carrier reaches the number's SmsUrl and
its <Message> reply goes out through Kannel; a Kannel that is down or refuses leaves messages `failed`."""
import pytest

from tests.support.kannel import REJECTED_PREFIX, KannelHarness, kannel_installed
from tests.support.servers import free_port
from tests.support.webhook_server import Reply

pytestmark = pytest.mark.skipif(not kannel_installed(), reason="Kannel is not installed (scripts/setup test)")

NUMBER = "+15551230300"
DOWN_NUMBER = "+15551230399"   # routed to a gateway nobody listens on
PHONE = "+15557650300"
TOKEN = "kannel-callback-token"


def kannel_env(sendsms_url: str) -> dict[str, str]:
    down = f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"
    return {"SMS_GATEWAYS": "kannel1 down", "SMS_GATEWAY_KANNEL1_TYPE": "kannel",
            "SMS_GATEWAY_KANNEL1_URL": sendsms_url, "SMS_GATEWAY_KANNEL1_USERNAME": "cpaas",
            "SMS_GATEWAY_KANNEL1_PASSWORD": "sendsms-secret", "SMS_GATEWAY_KANNEL1_CALLBACK_TOKEN": TOKEN,
            "SMS_GATEWAY_KANNEL1_TIMEOUT": "2", "SMS_GATEWAY_KANNEL1_RATE": "50",
            "SMS_GATEWAY_DOWN_TYPE": "kannel", "SMS_GATEWAY_DOWN_URL": down, "SMS_GATEWAY_DOWN_USERNAME": "cpaas",
            "SMS_GATEWAY_DOWN_PASSWORD": "x", "SMS_GATEWAY_DOWN_TIMEOUT": "1", "SMS_GATEWAY_DOWN_NUMBERS": DOWN_NUMBER}


@pytest.fixture(scope="module")
def kannel_stack(stack_factory):
    harness = KannelHarness()
    stack = stack_factory(**kannel_env(harness.sendsms_url))
    harness.get_url = stack.registry.get("kannel1", "kannel").inbound_get_url()
    harness.start()
    try:
        stack.start_worker()
        stack.add_number(NUMBER, sms_url=stack.webhooks.url + "/sms")
        stack.add_number(DOWN_NUMBER)
        yield stack, harness
    finally:
        harness.stop()


def test_send_reaches_the_carrier_and_kannels_reports_make_it_delivered(kannel_stack):
    stack, harness = kannel_stack
    body = "Hello through Kannel [€]"
    message = stack.client.messages.create(to=PHONE, from_=NUMBER, body=body,
                                           status_callback=stack.webhooks.url + "/status")
    carrier = harness.wait_for_carrier_message(lambda m: m.text == body)
    assert (carrier.sender, carrier.receiver, carrier.coding) == (NUMBER, PHONE, "text")
    delivered = stack.wait_for_status(message.sid, ("delivered",))
    assert delivered.error_code is None and delivered.date_sent is not None
    changes = [c.form["MessageStatus"] for c in stack.callbacks_for("/status", message.sid, until="delivered")]
    # Kannel's DLRs race the send job's own "sent": that one may be skipped, nothing ever goes backwards.
    assert changes in (["sending", "sent", "delivered"], ["sending", "delivered"])
    row = stack.rows(sid=message.sid)[0]
    assert (row.gateway, row.status) == ("kannel1", "delivered") and row.provider_id


def test_unicode_goes_out_as_ucs2(kannel_stack):
    stack, harness = kannel_stack
    message = stack.client.messages.create(to=PHONE, from_=NUMBER, body="Привет 😀")
    assert message.num_segments == "1"
    carrier = harness.wait_for_carrier_message(lambda m: m.text == "Привет 😀")
    assert carrier.coding == "ucs-2"
    stack.wait_for_status(message.sid, ("delivered",))


def test_mo_at_the_carrier_reaches_sms_url_and_the_reply_goes_out_through_kannel(kannel_stack):
    stack, harness = kannel_stack
    phone = "+15557650301"
    stack.webhooks.reply("/sms", Reply(body="<Response><Message>We got your message</Message></Response>"))
    harness.inject_mo(phone, NUMBER, "Hi there")
    request = stack.request_to("/sms", lambda r: r.form.get("From") == phone)
    assert (request.form["To"], request.form["Body"]) == (NUMBER, "Hi there")
    inbound = stack.client.messages(request.form["MessageSid"]).fetch()
    assert (inbound.direction, inbound.status) == ("inbound", "received")
    reply = harness.wait_for_carrier_message(lambda m: m.receiver == phone)
    assert (reply.sender, reply.text) == (NUMBER, "We got your message")
    [sent] = stack.client.messages.list(to=phone)
    assert stack.wait_for_status(sent.sid, ("delivered",)).direction == "outbound-reply"


def test_destination_kannel_refuses_fails_at_once_with_a_carrier_code(kannel_stack):
    stack, _ = kannel_stack
    message = stack.client.messages.create(to=REJECTED_PREFIX + "5550000", from_=NUMBER, body="blocked")
    failed = stack.wait_for_status(message.sid, ("failed",))
    assert failed.error_code == 30007
    assert stack.rows(sid=message.sid)[0].send_attempts == 1


def test_a_gateway_that_is_down_fails_the_message_after_the_retries(kannel_stack):
    stack, _ = kannel_stack
    message = stack.client.messages.create(to=PHONE, from_=DOWN_NUMBER, body="nobody home",
                                           status_callback=stack.webhooks.url + "/down-status")
    failed = stack.wait_for_status(message.sid, ("failed",))
    assert failed.error_code == 30008 and "unreachable" in failed.error_message
    row = stack.rows(sid=message.sid)[0]
    assert (row.gateway, row.send_attempts) == ("down", 3)
    last = stack.callbacks_for("/down-status", message.sid, 2)[-1].form
    assert (last["MessageStatus"], last["ErrorCode"]) == ("failed", "30008")


def test_reports_without_the_token_are_refused(kannel_stack):
    import requests

    stack, _ = kannel_stack
    message = stack.client.messages.create(to="+15557650309", from_=NUMBER, body="x")
    stack.wait_for_status(message.sid, ("delivered",))
    url = f"{stack.server.url}/sms/kannel/kannel1/dlr"
    forged = requests.get(url, params={"ref": message.sid, "type": "16"}, timeout=5)
    assert forged.status_code == 403
    assert stack.client.messages(message.sid).fetch().status == "delivered"
