"""End to end through the sandbox gateway with a real worker: sent messages reach `delivered` by signed
status callbacks, failures end `failed`/`undelivered` with a code, and inbound messages (injected by the
CLI or the gateway callback) reach the number's SmsUrl whose Messaging TwiML is executed."""
import subprocess
import sys
import time

import pytest
import requests

from tests.support.webhook_server import Reply

NUMBER = "+15551230200"
PHONE = "+15557650200"


@pytest.fixture(scope="module")
def stack(stack_factory):
    stack = stack_factory().start_worker()
    stack.add_number(NUMBER, sms_url=stack.webhooks.url + "/sms")
    return stack


def statuses(callbacks):
    return [c.form["MessageStatus"] for c in callbacks]


def test_send_is_followed_to_delivered_by_signed_status_callbacks(stack):
    message = stack.client.messages.create(to=PHONE, from_=NUMBER, body="Hello from the sandbox",
                                           status_callback=stack.webhooks.url + "/status")
    assert message.status == "queued"
    callbacks = stack.callbacks_for("/status", message.sid, 3)
    assert statuses(callbacks) == ["sending", "sent", "delivered"]
    last = callbacks[-1].form
    assert last == {"MessageSid": message.sid, "SmsSid": message.sid, "MessageStatus": "delivered",
                    "SmsStatus": "delivered", "AccountSid": stack.account.sid, "From": NUMBER, "To": PHONE,
                    "ApiVersion": "2010-04-01"}
    delivered = stack.client.messages(message.sid).fetch()
    assert (delivered.status, delivered.error_code) == ("delivered", None)
    assert delivered.date_sent is not None
    assert stack.rows(sid=message.sid)[0].gateway == "sandbox"


@pytest.mark.parametrize("to, status, code, changes", [
    ("+15005550010", "undelivered", 30003, 3),   # accepted (sending, sent), then the handset is unreachable
    ("+15005550012", "failed", 30007, 3),        # accepted, then the carrier rejects it
    ("+15005550001", "failed", 21211, 2),        # refused at send (sending, failed): final at once
])
def test_failures_end_with_their_error_code(stack, to, status, code, changes):
    message = stack.client.messages.create(to=to, from_=NUMBER, body="doomed",
                                           status_callback=stack.webhooks.url + "/status")
    final = stack.wait_for_status(message.sid, (status,))
    assert final.error_code == code and final.error_message
    last = stack.callbacks_for("/status", message.sid, changes)[-1].form
    assert (last["MessageStatus"], last["ErrorCode"]) == (status, str(code))


def test_a_gateway_that_stays_busy_fails_the_message_after_the_retries(stack):
    message = stack.client.messages.create(to="+15005550020", from_=NUMBER, body="never gets through")
    final = stack.wait_for_status(message.sid, ("failed",))
    assert final.error_code == 30001
    row = stack.rows(sid=message.sid)[0]
    assert row.send_attempts == 3  # SMS_SEND_ATTEMPTS in the test settings


def _replies_to(stack, phone, count=1, from_=NUMBER, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        replies = stack.client.messages.list(to=phone, from_=from_)
        if len(replies) >= count:
            return replies
        assert time.monotonic() < deadline, f"{len(replies)}/{count} replies to {phone}"
        time.sleep(0.1)


def test_cli_injected_message_reaches_sms_url_and_the_message_reply_is_sent(stack):
    phone = "+15557650201"
    stack.webhooks.reply("/sms", Reply(body='<?xml version="1.0"?><Response>'
                                            f'<Message action="{stack.webhooks.url}/reply-status">Got it: thanks'
                                            '</Message></Response>'))
    done = subprocess.run([sys.executable, "-m", "cpaas", "sms", "receive", "--from", phone, "--to", NUMBER,
                           "--body", "Hello ж"], env={**stack.env}, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    inbound_sid = done.stdout.strip()
    request = stack.request_to("/sms", lambda r: r.form.get("MessageSid") == inbound_sid)
    assert {k: request.form[k] for k in ("From", "To", "Body", "NumMedia", "SmsSid", "AccountSid")} == {
        "From": phone, "To": NUMBER, "Body": "Hello ж", "NumMedia": "0", "SmsSid": inbound_sid,
        "AccountSid": stack.account.sid}
    from twilio.request_validator import RequestValidator
    assert RequestValidator(stack.account.token).validate(request.url, request.form,
                                                          request.headers["X-Twilio-Signature"])
    reply = _replies_to(stack, phone)[0]
    assert (reply.body, reply.direction) == ("Got it: thanks", "outbound-reply")
    # <Message action> is where the reply's status callbacks go.
    assert statuses(stack.callbacks_for("/reply-status", reply.sid, 3))[-1] == "delivered"


def test_redirect_body_media_and_explicit_to(stack):
    phone, elsewhere = "+15557650202", "+15557650203"
    stack.webhooks.reply("/sms", Reply(body="<Response><Redirect method='GET'>/next</Redirect>"
                                            "<Message>never sent: after a Redirect</Message></Response>"))
    stack.webhooks.reply("/next", Reply(body=f"<Response><Message to='{elsewhere}'><Body>Look</Body>"
                                             "<Media>https://example.org/cat.jpg</Media></Message>"
                                             "<Message>and you too</Message></Response>"))
    response = requests.post(f"{stack.server.url}/sms/sandbox/sandbox/inbound",
                             data={"From": phone, "To": NUMBER, "Body": "show me"}, timeout=5)
    assert response.status_code == 200
    follow = stack.webhooks.wait_for("/next")[-1]
    assert follow.method == "GET" and follow.args["From"] == phone
    forwarded = _replies_to(stack, elsewhere)[0]
    assert (forwarded.body, forwarded.num_media) == ("Look", "1")
    assert [m.body for m in _replies_to(stack, phone)] == ["and you too"]


def test_empty_response_sends_nothing_and_a_failing_sms_url_falls_back(stack):
    phone = "+15557650204"
    stack.webhooks.reply("/sms", Reply(body="<Response/>"))
    before = len(stack.webhooks.received("/sms"))
    requests.post(f"{stack.server.url}/sms/sandbox/sandbox/inbound", data={"From": phone, "To": NUMBER, "Body": "a"},
                  timeout=5)
    assert stack.webhooks.wait_for("/sms", count=before + 1)[-1].form["From"] == phone
    fallback_number = "+15551230209"
    stack.add_number(fallback_number, sms_url=stack.webhooks.url + "/broken",
                     sms_fallback_url=stack.webhooks.url + "/fallback")
    stack.webhooks.reply("/broken", Reply(status=500))  # SmsUrl fails: Twilio then tries SmsFallbackUrl
    stack.webhooks.reply("/fallback", Reply(body="<Response><Message>from the fallback</Message></Response>"))
    requests.post(f"{stack.server.url}/sms/sandbox/sandbox/inbound",
                  data={"From": phone, "To": fallback_number, "Body": "b"}, timeout=5)
    replies = _replies_to(stack, phone, from_=fallback_number)
    assert [m.body for m in replies] == ["from the fallback"]
    assert stack.client.messages.list(to=phone, from_=NUMBER) == []  # the empty <Response/> sent nothing


def test_send_message_for_the_voice_engine_commits_queues_and_delivers(stack):
    from cpaas.services.errors import InvalidParameter
    from cpaas.services.messages import send_message

    with stack.database.session() as session:
        message = send_message(session, stack.redis, stack.account.sid, "+15557650210", NUMBER, "Sent from a call",
                               status_callback=stack.webhooks.url + "/call-sms", parent_sid="CA" + "0" * 32)
        with pytest.raises(InvalidParameter) as caught:
            send_message(session, stack.redis, stack.account.sid, "+15557650210", "+15559999999", "not ours")
    assert caught.value.reason == "from_not_sms_capable"
    assert statuses(stack.callbacks_for("/call-sms", message.sid, until="delivered"))[-1] == "delivered"
    fetched = stack.client.messages(message.sid).fetch()
    assert (fetched.direction, fetched.status, fetched.body) == ("outbound-call", "delivered", "Sent from a call")


def test_a_send_job_that_crashes_mid_send_still_ends_the_message_failed(stack):
    from rq import Callback, Queue

    from cpaas.services.messages import QUEUE, SEND_CRASHED, SEND_JOB, create_outbound

    with stack.database.session() as session:
        sid = create_outbound(session, stack.account.sid, "+15005550020", NUMBER, "crash me").sid
    # The only job for it gets an attempt number the retry policy cannot compare: it raises after the
    # busy gateway's answer, with the message already `sending`.
    Queue(QUEUE, connection=stack.redis).enqueue(SEND_JOB, sid, "not-a-number", on_failure=Callback(SEND_CRASHED))
    final = stack.wait_for_status(sid, ("failed",))
    assert (final.error_code, final.error_message) == (30008, "internal error while sending")


def test_a_number_routed_to_a_gateway_that_is_not_configured_fails_with_a_code(stack):
    from cpaas.models import PhoneNumber

    number = "+15551230219"
    stack.add_number(number)
    with stack.database.session() as session:
        session.query(PhoneNumber).filter_by(phone_number=number).one().sms_gateway = "retired"
    message = stack.client.messages.create(to=PHONE, from_=number, body="where to?")
    final = stack.wait_for_status(message.sid, ("failed",))
    assert final.error_code == 30008 and "retired" in final.error_message
