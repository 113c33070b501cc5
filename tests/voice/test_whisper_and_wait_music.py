"""<Dial><Number url> (the whisper the callee hears before being connected) and <Conference waitUrl>
(what a participant hears until the conference starts), end to end through the sandbox."""
from __future__ import annotations

import time

import pytest
from twilio.request_validator import RequestValidator


def _signed(account, request) -> bool:
    return RequestValidator(account.token).validate(request.url, request.form,
                                                    request.headers["X-Twilio-Signature"])


# ---- the whisper -------------------------------------------------------------------------------

def test_whisper_plays_to_the_callee_then_connects_it(stack, webhooks):
    account = stack.account()
    # A callee that stays up: one that hung up on its own would race the whisper on a loaded machine.
    voice = webhooks.twiml("/voice", '<Response><Dial action="/dialed"><Number url="/whisper">+15557650000'
                                     "</Number></Dial></Response>")
    webhooks.twiml("/whisper", "<Response><Say>You have a call from the shop</Say></Response>")
    webhooks.twiml("/dialed", "<Response><Hangup/></Response>")
    stack.number(account, "+15557653001", voice)
    watcher = stack.watch("CHANNEL_EXECUTE", "CHANNEL_BRIDGE")
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
        "ParentCallSid": parent.sid, "Direction": "outbound-dial", "To": "+15557650000",
        "From": "+15551230000", "CallStatus": "in-progress"}
    # The sandbox spoke the whisper on the callee's channel, and only then bridged it to the caller.
    spoken = [e for e in seen if e.get("Application") == "speak" and e.get("Unique-ID") == child.channel_uuid]
    assert spoken and spoken[0]["Application-Data"].endswith("|You have a call from the shop")
    assert seen[-1]["Bridge-A-Unique-ID"] == parent.channel_uuid
    assert seen[-1]["Bridge-B-Unique-ID"] == child.channel_uuid

    assert stack.esl.api(f"uuid_kill {child.channel_uuid}").startswith("+OK")  # the callee hangs up
    dialed = webhooks.wait_for("/dialed", timeout=10)[0]
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
    stack.number(account, ours, voice)
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
    stack.number(account, "+15557653002", voice)
    watcher = stack.watch("CHANNEL_BRIDGE")
    try:
        stack.inbound_call("+15551230000", "+15557653002", hangup_after="30s")
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


# ---- conference wait music ---------------------------------------------------------------------

def _member_actions(watcher, uuid: str, until) -> list[dict]:
    """conference::maintenance events of the member on channel `uuid`, read until until(those) holds."""
    mine: list[dict] = []
    watcher.events_until(lambda e: e.get("Unique-ID") == uuid and (mine.append(e) or until(mine)))
    return mine


def _files(mine: list[dict], action: str = "play-file-member") -> list[str]:
    return [e["File"] for e in mine if e.get("Action") == action]


def _member_files(stack, uuid: str) -> list[str]:
    reply = stack.esl.api(f"sandbox_member_files {uuid}")
    assert reply.startswith("+OK"), reply
    return reply.splitlines()[1:]


def _conference_numbers(stack, webhooks, account, room, waiter_attributes, start):
    waiter = webhooks.twiml(f"/{room}/waiter", f'<Response><Dial><Conference startConferenceOnEnter="false" '
                                               f"{waiter_attributes}>{room}</Conference></Dial></Response>")
    host = webhooks.twiml(f"/{room}/host", f"<Response><Dial><Conference>{room}</Conference></Dial></Response>")
    stack.number(account, f"+1555765{start}", waiter)
    stack.number(account, f"+1555765{start + 1}", host)
    return f"+1555765{start}", f"+1555765{start + 1}"


def test_wait_audio_loops_for_the_waiting_participant(stack, webhooks):
    from tests.support.webhook_server import Reply

    account = stack.account()
    webhooks.reply("/hold.wav", default=Reply.wav(1.5))
    waiter, _ = _conference_numbers(stack, webhooks, account, "Lobby", 'waitUrl="/hold.wav" waitMethod="GET"', 3110)
    watcher = stack.watch("CUSTOM", "conference::maintenance")
    try:
        uuid = stack.inbound_call("+15551110031", waiter, hangup_after="20s")
        mine = _member_actions(watcher, uuid, lambda seen: len(_files(seen)) >= 3)
    finally:
        watcher.close()
    # The same audio, played to this member alone, again each time it has played out.
    assert set(_files(mine)) == {f"http_cache://{webhooks.url}/hold.wav"}
    assert len(_files(mine, "play-file-member-done")) >= 2
    signed = [r for r in webhooks.received("/hold.wav") if "X-Twilio-Signature" in r.headers]
    assert len(signed) == 1 and signed[0].method == "GET"  # the controller fetched it once, as waitMethod says
    assert RequestValidator(account.token).validate(signed[0].url, {}, signed[0].headers["X-Twilio-Signature"])
    waiting = stack.wait_call(lambda c: c.to == waiter)
    assert signed[0].args["CallSid"] == waiting.sid and signed[0].args["CallStatus"] == "in-progress"


def test_wait_music_stops_the_moment_the_conference_starts(stack, webhooks):
    from tests.support.webhook_server import Reply

    account = stack.account()
    webhooks.reply("/long.wav", default=Reply.wav(60))
    webhooks.reply("/late.wav", default=Reply.wav(60))
    waiter, host = _conference_numbers(stack, webhooks, account, "Standup", 'waitUrl="/long.wav"', 3120)
    late = webhooks.twiml("/late", '<Response><Dial><Conference startConferenceOnEnter="false" waitUrl="/late.wav">'
                                   "Standup</Conference></Dial></Response>")
    stack.number(account, "+15557653122", late)
    watcher = stack.watch("CUSTOM", "conference::maintenance")
    try:
        waiting = stack.inbound_call("+15551110041", waiter, hangup_after="80s")
        _member_actions(watcher, waiting, lambda seen: _files(seen))
        assert _member_files(stack, waiting) == [f"http_cache://{webhooks.url}/long.wav"]  # a minute of music
        moderator = stack.inbound_call("+15551110042", host, hangup_after="80s")
        _member_actions(watcher, moderator, lambda seen: any(e.get("Action") == "add-member" for e in seen))
        deadline = time.monotonic() + 5  # the music would go on for six more real seconds
        while _member_files(stack, waiting):
            assert time.monotonic() < deadline, "the wait music went on after the conference started"
            time.sleep(0.05)
        latecomer = stack.inbound_call("+15551110043", "+15557653122", hangup_after="80s")
        _member_actions(watcher, latecomer, lambda seen: any(e.get("Action") == "add-member" for e in seen))
        time.sleep(0.3)
        assert _member_files(stack, latecomer) == []  # the conference is under way: nothing to wait for
    finally:
        watcher.close()
    assert webhooks.received("/late.wav") == []
    assert "started; wait music stopped" in stack.controller.output()


def test_wait_twiml_plays_say_play_pause_and_follows_redirects(stack, webhooks):
    from tests.support.webhook_server import Reply

    account = stack.account()
    webhooks.reply("/chime.wav", default=Reply.wav(1))
    webhooks.twiml("/wait", '<Response><Say>Please hold</Say><Play>/chime.wav</Play><Hangup/>'
                            '<Redirect method="GET">/wait-more</Redirect></Response>')
    webhooks.twiml("/wait-more", '<Response><Pause length="30"/></Response>')
    waiter, host = _conference_numbers(stack, webhooks, account, "Board", 'waitUrl="/wait"', 3130)
    quiet = webhooks.twiml("/quiet", '<Response><Dial><Conference startConferenceOnEnter="false" waitUrl="">'
                                     "Board</Conference></Dial></Response>")
    stack.number(account, "+15557653132", quiet)
    watcher = stack.watch("CUSTOM", "conference::maintenance")
    try:
        silent = stack.inbound_call("+15551110052", "+15557653132", hangup_after="80s")
        waiting = stack.inbound_call("+15551110051", waiter, hangup_after="80s")
        mine = _member_actions(watcher, waiting, lambda seen: len(_files(seen)) >= 3)
        assert _member_files(stack, silent) == []  # waitUrl="": silence
        stack.inbound_call("+15551110053", host, hangup_after="80s")
        deadline = time.monotonic() + 5
        while _member_files(stack, waiting):
            assert time.monotonic() < deadline, "the wait document went on after the conference started"
            time.sleep(0.05)
    finally:
        watcher.close()
    said, chime, pause = _files(mine)[:3]
    assert said.startswith("tts://") and said.endswith("|Please hold")
    assert chime == f"http_cache://{webhooks.url}/chime.wav" and pause == "silence_stream://30000"
    more = webhooks.wait_for("/wait-more")[0]
    assert more.method == "GET" and more.args["CallSid"] == webhooks.received("/wait")[0].form["CallSid"]
    assert _signed(account, webhooks.received("/wait")[0])
    assert "<Hangup> does not play while waiting" in stack.controller.output()
