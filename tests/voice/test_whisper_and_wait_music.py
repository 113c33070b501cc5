"""<Dial><Number url> (the whisper the callee hears before being connected) and <Conference waitUrl>
(what a participant hears until the conference starts), end to end through the sandbox."""
from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from cpaas.models import Account
from cpaas.services.phone_numbers import add_number
from tests.support.esl_client import RawEsl


def _number(stack, account, e164, voice_url):
    with stack.database.session() as session:
        add_number(session, session.get(Account, account.sid), e164, voice_url=voice_url)


def _watch(stack, *events):
    watcher = RawEsl(stack.sandbox.host, stack.sandbox.port, stack.sandbox.password)
    watcher.subscribe(*events)
    return watcher


def _signed(account, request) -> bool:
    return RequestValidator(account.token).validate(request.url, request.form,
                                                    request.headers["X-Twilio-Signature"])


# ---- the whisper -------------------------------------------------------------------------------

def test_whisper_plays_to_the_callee_then_connects_it(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Dial action="/dialed"><Number url="/whisper">+15557650199'
                                     "</Number></Dial></Response>")
    webhooks.twiml("/whisper", "<Response><Say>You have a call from the shop</Say></Response>")
    webhooks.twiml("/dialed", "<Response><Hangup/></Response>")
    _number(stack, account, "+15557653001", voice)
    watcher = _watch(stack, "CHANNEL_EXECUTE", "CHANNEL_BRIDGE")
    try:
        stack.inbound_call("+15551230000", "+15557653001")
        seen = watcher.events_until(lambda e: e.get("Event-Name") == "CHANNEL_BRIDGE")
    finally:
        watcher.close()

    whisper = webhooks.wait_for("/whisper")[0]
    child = stack.wait_call(lambda c: c.sid == whisper.form["CallSid"])
    parent = stack.wait_call(lambda c: c.sid == child.parent_call_sid)
    assert parent.to == "+15557653001" and whisper.method == "POST" and _signed(account, whisper)
    assert {k: whisper.form[k] for k in ("ParentCallSid", "Direction", "To", "From", "CallStatus")} == {
        "ParentCallSid": parent.sid, "Direction": "outbound-dial", "To": "+15557650199",
        "From": "+15551230000", "CallStatus": "in-progress"}
    # The sandbox spoke the whisper on the callee's channel, and only then bridged it to the caller.
    spoken = [e for e in seen if e.get("Application") == "speak" and e.get("Unique-ID") == child.channel_uuid]
    assert spoken and spoken[0]["Application-Data"].endswith("|You have a call from the shop")
    assert seen[-1]["Bridge-A-Unique-ID"] == parent.channel_uuid
    assert seen[-1]["Bridge-B-Unique-ID"] == child.channel_uuid

    dialed = webhooks.wait_for("/dialed", timeout=30)[0]  # the callee hangs up 5 s after answering
    assert dialed.form["DialCallStatus"] == "completed" and dialed.form["DialCallSid"] == child.sid
    assert stack.finished_call(child.sid).status == "completed"


@pytest.mark.parametrize("callee,pressed,outcome", [
    ("+15557650111", "1", "completed"),   # this far end presses 1 two seconds after answering
    ("+15557650000", None, "no-answer"),  # this one stays silent: the whisper hangs up on it
])
def test_whisper_screens_the_callee_with_a_gather(stack, webhooks, callee, pressed, outcome):
    account = stack.account()
    ours = "+1555765" + callee[-4:]
    voice = webhooks.twiml("/voice", f'<Response><Dial action="/dialed"><Number url="/screen" method="GET">{callee}'
                                     "</Number></Dial><Say>Nobody took it</Say></Response>")
    webhooks.twiml("/screen", '<Response><Gather numDigits="1" timeout="3" action="/accepted">'
                              "<Say>Press 1 to take the call</Say></Gather><Hangup/></Response>")
    webhooks.twiml("/accepted", "<Response><Say>Connecting you</Say></Response>")
    webhooks.twiml("/dialed", "<Response><Pause length=\"1\"/></Response>")
    _number(stack, account, ours, voice)
    stack.inbound_call("+15551230000", ours, hangup_after="20s")

    screen = webhooks.wait_for("/screen")[0]
    assert screen.method == "GET" and screen.args["Direction"] == "outbound-dial" and screen.args["To"] == callee
    assert RequestValidator(account.token).validate(screen.url, {}, screen.headers["X-Twilio-Signature"])
    child_sid = screen.args["CallSid"]
    dialed = webhooks.wait_for("/dialed", timeout=30)[0]
    assert dialed.form["DialCallStatus"] == outcome
    assert dialed.form.get("DialCallSid") == (child_sid if pressed else None)
    accepted = webhooks.received("/accepted")
    if pressed:
        assert accepted[0].form["Digits"] == pressed and accepted[0].form["CallSid"] == child_sid
        assert _signed(account, accepted[0])
    else:
        assert accepted == []
    child = stack.finished_call(child_sid)
    assert child.answer_time is not None and child.parent_call_sid == dialed.form["CallSid"]


def test_each_leg_has_its_own_whisper_and_the_first_confirmed_wins(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Dial action="/dialed"><Number url="/refuse">+15557650000</Number>'
                                     '<Client url="/agent">alice</Client></Dial></Response>')
    webhooks.twiml("/refuse", "<Response><Hangup/></Response>")
    webhooks.twiml("/agent", "<Response><Say>A customer is calling</Say></Response>")
    webhooks.twiml("/dialed", "<Response><Hangup/></Response>")
    _number(stack, account, "+15557653002", voice)
    watcher = _watch(stack, "CHANNEL_BRIDGE")
    try:
        stack.inbound_call("+15551230000", "+15557653002", hangup_after="10s")
        bridged = watcher.events_until(lambda e: e.get("Event-Name") == "CHANNEL_BRIDGE")[-1]
    finally:
        watcher.close()
    refused, agent = webhooks.wait_for("/refuse")[0], webhooks.wait_for("/agent")[0]
    assert refused.form["To"] == "+15557650000" and agent.form["To"] == "client:alice"
    assert refused.form["ParentCallSid"] == agent.form["ParentCallSid"]
    winner = stack.wait_call(lambda c: c.sid == agent.form["CallSid"])
    assert bridged["Bridge-B-Unique-ID"] == winner.channel_uuid
    dialed = webhooks.wait_for("/dialed", timeout=30)[0]
    assert dialed.form["DialCallStatus"] == "completed" and dialed.form["DialCallSid"] == winner.sid
    loser = stack.finished_call(refused.form["CallSid"])
    assert loser.answer_time is not None and loser.status == "completed"

