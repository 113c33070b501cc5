"""<Dial> outcomes, callers hanging up mid-verb, and webhooks that fail: nothing is lost, nothing hangs."""
import pytest


@pytest.mark.parametrize("dialled,expected", [
    ("+15557650486", "busy"),
    ("+15557650480", "no-answer"),
    ("+15557650503", "failed"),
])
def test_dial_that_is_not_answered(stack, webhooks, dialled, expected):
    account = stack.account()
    voice = webhooks.twiml("/voice", f'<Response><Dial action="/dialed" timeout="5">{dialled}</Dial></Response>')
    webhooks.twiml("/dialed", "<Response><Hangup/></Response>")
    ours = "+1555766" + dialled[-4:]
    stack.number(account, ours, voice_url=voice)
    stack.inbound_call("+15551230000", ours)
    dialed = webhooks.wait_for("/dialed", timeout=30)[0]
    assert dialed.form["DialCallStatus"] == expected and "DialCallSid" not in dialed.form
    parent = stack.finished_call(dialed.form["CallSid"])
    child = stack.wait_call(lambda c: c.parent_call_sid == parent.sid and c.is_finished)
    assert child.direction == "outbound-dial" and child.to == dialled
    assert child.status == expected


def test_dial_answered_then_far_end_hangs_up(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Dial action="/dialed" callerId="+15550001111">'
                                     '<Number>+15557650199</Number></Dial></Response>')
    webhooks.twiml("/dialed", "<Response><Say>Call ended</Say></Response>")
    stack.number(account, "+15557651001", voice_url=voice)
    stack.inbound_call("+15551230000", "+15557651001")
    dialed = webhooks.wait_for("/dialed", timeout=30)[0]
    assert dialed.form["DialCallStatus"] == "completed"
    child = stack.finished_call(dialed.form["DialCallSid"])
    assert child.parent_call_sid == dialed.form["CallSid"] and child.status == "completed"
    assert child.from_ == "+15550001111"
    assert int(dialed.form["DialCallDuration"]) >= 4  # the far end hangs up 5 s after answering


def test_dial_without_action_continues_the_document(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Dial>+15557650486</Dial><Redirect>/after</Redirect></Response>')
    webhooks.twiml("/after", "<Response><Hangup/></Response>")
    stack.number(account, "+15557651002", voice_url=voice)
    stack.inbound_call("+15551230000", "+15557651002")
    assert webhooks.wait_for("/after", timeout=30)[0].form["CallStatus"] == "in-progress"


def test_caller_hangs_up_during_gather_and_during_dial(stack, webhooks):
    account = stack.account()
    gather = webhooks.twiml("/gather", '<Response><Gather timeout="60" action="/never"><Say>Hold on</Say>'
                                       '</Gather></Response>')
    dial = webhooks.twiml("/dial", '<Response><Dial action="/dialed" timeout="60">+15557650480</Dial></Response>')
    webhooks.twiml("/dialed", "<Response/>")
    status = webhooks.reply("/status")
    stack.number(account, "+15557651003", voice_url=gather, status_callback=status)
    stack.number(account, "+15557651004", voice_url=dial, status_callback=status)
    stack.inbound_call("+15551230000", "+15557651003", hangup_after="3s")
    stack.inbound_call("+15551230001", "+15557651004", hangup_after="3s")
    calls = {c.form["To"]: c.form for c in webhooks.wait_for("/status", count=2, timeout=30)}
    assert calls["+15557651003"]["CallStatus"] == "completed" and calls["+15557651004"]["CallStatus"] == "completed"
    assert webhooks.received("/never") == []
    child = stack.wait_call(lambda c: c.parent_call_sid == calls["+15557651004"]["CallSid"] and c.is_finished)
    assert child.status in ("canceled", "no-answer")
    dialed = webhooks.wait_for("/dialed", timeout=10)[0]  # Twilio posts the dial action even after a hang-up
    assert dialed.form["DialCallStatus"] in ("canceled", "no-answer")


@pytest.mark.parametrize("reply,code", [
    (None, 11200),                                       # nothing listening
    ("<Response><Say>unclosed</Response>", 12100),       # not TwiML
])
def test_document_failures_record_the_error_and_hang_up(stack, webhooks, reply, code):
    account = stack.account()
    url = webhooks.twiml("/bad", reply) if reply else "http://127.0.0.1:9/down"
    ours = f"+155576{code}"
    stack.number(account, ours, voice_url=url)
    stack.inbound_call("+15551230000", ours)
    call = stack.wait_call(lambda c: c.to == ours and c.is_finished)
    # Hung up before anything answered: failed, with the reason on the row.
    assert call.error_code == code and call.status == "failed"


def test_wrong_content_type_then_fallback_url(stack, webhooks):
    from tests.support.webhook_server import Reply

    account = stack.account()
    primary = webhooks.reply("/primary", default=Reply(body="hello", content_type="text/plain"))
    fallback = webhooks.twiml("/fallback", "<Response><Say>Fallback</Say></Response>")
    stack.number(account, "+15557651006", voice_url=primary, voice_fallback_url=fallback)
    stack.inbound_call("+15551230000", "+15557651006")
    got = webhooks.wait_for("/fallback")[0]
    call = stack.finished_call(got.form["CallSid"])
    assert call.status == "completed" and call.error_code is None


def test_reject_busy_never_answers(stack, webhooks):
    account = stack.account()
    status = webhooks.reply("/status")
    stack.number(account, "+15557651007", voice_url=webhooks.twiml("/v", '<Response><Reject reason="busy"/>'
                                                                            "</Response>"), status_callback=status)
    stack.inbound_call("+15551230000", "+15557651007")
    done = webhooks.wait_for("/status")[0]
    assert done.form["CallStatus"] == "busy" and done.form["CallDuration"] == "0"


def test_dial_record_from_answer_and_time_limit(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Dial action="/recorded" record="record-from-answer">'
                                     '+15557650199</Dial><Dial action="/limited" timeLimit="3">+15557650000</Dial>'
                                     "</Response>")
    webhooks.twiml("/recorded", "<Response><Redirect>/voice2</Redirect></Response>")
    webhooks.twiml("/voice2", '<Response><Dial action="/limited" timeLimit="3">+15557650000</Dial></Response>')
    webhooks.twiml("/limited", "<Response><Hangup/></Response>")
    stack.number(account, "+15557651008", voice_url=voice)
    stack.inbound_call("+15551230000", "+15557651008")
    recorded = webhooks.wait_for("/recorded", timeout=30)[0]
    assert recorded.form["DialCallStatus"] == "completed"
    assert recorded.form["RecordingSid"].startswith("RE") and 4 <= int(recorded.form["RecordingDuration"]) <= 8
    limited = webhooks.wait_for("/limited", timeout=30)[0]
    assert limited.form["DialCallStatus"] == "completed" and 2 <= int(limited.form["DialCallDuration"]) <= 6
    leg = stack.finished_call(limited.form["DialCallSid"])
    assert leg.hangup_cause == "ALLOTTED_TIMEOUT"


def test_number_send_digits_after_the_callee_answers(stack, webhooks):
    from tests.support.esl_client import RawEsl

    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Dial action="/dialed" record="record-from-answer">'
                                     '<Number sendDigits="ww1234">+15557650199</Number></Dial></Response>')
    webhooks.twiml("/dialed", "<Response><Hangup/></Response>")
    stack.number(account, "+15557651009", voice_url=voice)
    watcher = RawEsl(stack.sandbox.host, stack.sandbox.port, stack.sandbox.password)
    try:
        watcher.subscribe("CHANNEL_EXECUTE")
        stack.inbound_call("+15551230000", "+15557651009")
        seen = watcher.events_until(lambda e: e.get("Application") == "send_dtmf")
    finally:
        watcher.close()
    sent = seen[-1]
    assert sent["Application-Data"] == "ww1234"
    dialed = webhooks.wait_for("/dialed", timeout=30)[0]
    assert sent["Unique-ID"] != dialed.form["CallSid"] and dialed.form["DialCallStatus"] == "completed"
    assert dialed.form["RecordingSid"].startswith("RE")  # the recording and the digits both ran on answer
