"""Inbound calls run the number's VoiceUrl on the sandbox switch through the real controller."""
from twilio.request_validator import RequestValidator


def test_say_gather_digits_then_action_document(stack, webhooks):
    account = stack.account()
    voice_url = webhooks.twiml("/voice", '<Response><Gather numDigits="2" action="/menu" timeout="3">'
                                         '<Say>Press two digits</Say></Gather><Say>No input</Say></Response>')
    webhooks.twiml("/menu", "<Response><Say>Thanks</Say><Hangup/></Response>")
    status = webhooks.reply("/status")
    stack.number(account, "+15557650000", voice_url=voice_url, status_callback=status)

    stack.inbound_call("+15551230000", "+15557650000", dtmf="42@1s")
    first = webhooks.wait_for("/voice")[0]
    assert first.form["From"] == "+15551230000" and first.form["To"] == "+15557650000"
    assert first.form["Direction"] == "inbound" and first.form["CallStatus"] == "ringing"
    assert first.form["AccountSid"] == account.sid
    assert RequestValidator(account.token).validate(first.url, first.form, first.headers["X-Twilio-Signature"])

    menu = webhooks.wait_for("/menu")[0]
    assert menu.form["Digits"] == "42" and menu.form["CallSid"] == first.form["CallSid"]
    assert menu.form["CallStatus"] == "in-progress"

    call = stack.finished_call(first.form["CallSid"])
    assert call.status == "completed" and call.direction == "inbound"
    assert call.duration is not None and call.end_time >= call.start_time
    completed = webhooks.wait_for("/status")[0]
    assert completed.form["CallStatus"] == "completed" and completed.form["CallbackSource"] == "call-progress-events"
    assert completed.form["SequenceNumber"] == "0" and int(completed.form["CallDuration"]) >= 0


def test_gather_without_input_falls_through(stack, webhooks):
    account = stack.account()
    voice_url = webhooks.twiml("/voice", '<Response><Gather timeout="1" action="/never"><Say>Hello</Say></Gather>'
                                         '<Redirect method="GET">/next</Redirect></Response>')
    webhooks.twiml("/next", "<Response><Hangup/></Response>")
    stack.number(account, "+15557650001", voice_url=voice_url)
    stack.inbound_call("+15551230000", "+15557650001")
    nxt = webhooks.wait_for("/next")[0]
    assert nxt.method == "GET" and "CallSid" in nxt.args
    assert webhooks.received("/never") == []
    assert stack.finished_call(nxt.args["CallSid"]).status == "completed"


def test_unknown_number_is_rejected_with_a_failed_row(stack):
    stack.inbound_call("+15551230000", "+15550009999")
    call = stack.wait_call(lambda c: c.to == "+15550009999" and c.is_finished)
    assert call.status == "failed" and call.account_sid is None
    assert "not a number of any account" in call.error_message
