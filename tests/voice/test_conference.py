"""A conference of three calls: rows and callbacks follow FreeSWITCH's events; the API mutes, kicks and ends."""
import time

from twilio.request_validator import RequestValidator

from tests.support.voice import twilio_client
from tests.support.webhook_server import Reply


def test_three_callers_mute_kick_and_end_on_moderator_exit(stack, api, webhooks):
    account = stack.account()
    client = twilio_client(api.url, account)
    events = webhooks.reply("/conf-events")
    moderator = webhooks.twiml("/moderator", '<Response><Dial><Conference endConferenceOnExit="true" '
                                             f'statusCallback="{events}" statusCallbackEvent="start end join leave mute">'
                                             "Room</Conference></Dial></Response>")
    member = webhooks.twiml("/member", '<Response><Dial><Conference startConferenceOnEnter="false">Room'
                                       "</Conference></Dial></Response>")
    stack.number(account, "+15557652000", moderator)
    stack.number(account, "+15557652001", member)

    stack.inbound_call("+15551110001", "+15557652000", hangup_after="60s")
    started = webhooks.wait_for("/conf-events", count=2)  # the moderator starts it, then the others join
    assert [e.form["StatusCallbackEvent"] for e in started] == ["conference-start", "participant-join"]
    stack.inbound_call("+15551110002", "+15557652001")
    stack.inbound_call("+15551110003", "+15557652001")

    joins = webhooks.wait_for("/conf-events", count=4)  # start + three joins
    conference_sid = joins[0].form["ConferenceSid"]
    conference = client.conferences(conference_sid).fetch()
    assert conference.friendly_name == "Room" and conference.status == "in-progress"
    assert [c.sid for c in client.conferences.list(friendly_name="Room", status="in-progress")] == [conference_sid]

    deadline = time.monotonic() + 10
    while len([p for p in client.conferences(conference_sid).participants.list() if p.status == "connected"]) < 3:
        assert time.monotonic() < deadline, "three participants never connected"
        time.sleep(0.1)
    participants = {p.call_sid: p for p in client.conferences(conference_sid).participants.list()}
    calls = {c.sid: c for c in client.calls.list()}
    second, third = sorted((sid for sid in participants if calls[sid]._from != "+15551110001"),
                           key=lambda sid: calls[sid]._from)

    client.conferences(conference_sid).participants(second).update(muted=True)
    muted = [e for e in webhooks.wait_for("/conf-events", count=5) if e.form["StatusCallbackEvent"] ==
             "participant-mute"]
    assert muted and muted[0].form["CallSid"] == second and muted[0].form["Muted"] == "true"
    assert client.conferences(conference_sid).participants(second).fetch().muted is True

    hold_music = webhooks.reply("/hold.wav", default=Reply.wav(2))
    held = client.conferences(conference_sid).participants(third).update(hold=True, hold_url=hold_music)
    assert held.hold is True
    # The controller asked the HoldUrl what to play (GET, Twilio's HoldMethod): audio, so the member hears it.
    assert webhooks.wait_for("/hold.wav")[0].args["ConferenceSid"] == conference_sid
    deadline = time.monotonic() + 10
    while f"conference {conference_sid} hold " not in stack.controller.output():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert f" 'http_cache://{hold_music}?" in stack.controller.output()
    client.conferences(conference_sid).participants(third).delete()
    assert stack.finished_call(third).status == "completed"  # kicked: its document ends, the call hangs up

    # The moderator hangs up (endConferenceOnExit): the conference ends and releases the rest.
    assert stack.finished_call(second, timeout=30).status == "completed"
    ended = webhooks.wait_for("/conf-events", count=9, timeout=20)  # start, 3 joins, mute, 3 leaves, end
    names = [e.form["StatusCallbackEvent"] for e in ended]
    assert names[-1] == "conference-end" and names.count("participant-leave") == 3
    assert ended[-1].form["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    deadline = time.monotonic() + 10
    while (final := client.conferences(conference_sid).fetch()).status != "completed":
        assert time.monotonic() < deadline, final.status
        time.sleep(0.1)
    assert final.status == "completed" and final.call_sid_ending_conference not in (None, second, third)
    assert {p.status for p in client.conferences(conference_sid).participants.list()} == {"complete"}


def test_end_a_conference_through_the_api(stack, api, webhooks):
    account = stack.account()
    client = twilio_client(api.url, account)
    room = webhooks.twiml("/room", "<Response><Dial><Conference>Standup</Conference></Dial></Response>")
    stack.number(account, "+15557652002", room)
    stack.inbound_call("+15551110001", "+15557652002")
    stack.inbound_call("+15551110002", "+15557652002")
    deadline = time.monotonic() + 15
    while True:
        conferences = client.conferences.list(status="in-progress")
        if conferences and len([p for p in conferences[0].participants.list() if p.status == "connected"]) == 2:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    members = [p.call_sid for p in conferences[0].participants.list()]
    client.conferences(conferences[0].sid).update(status="completed")
    assert [stack.finished_call(sid).status for sid in members] == ["completed", "completed"]
    deadline = time.monotonic() + 10  # conference-destroy may trail the members' hang-ups
    while (ended := client.conferences(conferences[0].sid).fetch()).status != "completed":
        assert time.monotonic() < deadline, ended.status
        time.sleep(0.1)
    assert ended.reason_conference_ended == "conference-ended-via-api"


def test_dial_a_new_participant_into_a_running_conference(stack, api, webhooks):
    account = stack.account()
    client = twilio_client(api.url, account)
    events = webhooks.reply("/conf-events")
    room = webhooks.twiml("/room", f'<Response><Dial><Conference statusCallback="{events}" '
                                   'statusCallbackEvent="join leave end">Huddle</Conference></Dial></Response>')
    stack.number(account, "+15557652004", room)  # also the caller id the new participant sees
    first = stack.inbound_call("+15551110004", "+15557652004", hangup_after="60s")
    conference_sid = webhooks.wait_for("/conf-events")[0].form["ConferenceSid"]

    status = webhooks.reply("/participant-status")
    added = client.conferences(conference_sid).participants.create(
        from_="+15557652004", to="+15557650000", muted=True, end_conference_on_exit=True, beep="false",
        status_callback=status, status_callback_event=["answered", "completed"])
    assert (added.status, added.muted, added.conference_sid) == ("queued", True, conference_sid)
    joined = webhooks.wait_for("/conf-events", count=2)[1]
    assert joined.form["CallSid"] == added.call_sid and joined.form["StatusCallbackEvent"] == "participant-join"
    dialled = client.calls(added.call_sid).fetch()
    assert (dialled.to, dialled._from, dialled.direction) == ("+15557650000", "+15557652004", "outbound-api")
    participant = client.conferences(conference_sid).participants(added.call_sid).fetch()
    assert participant.status == "connected" and participant.muted and participant.end_conference_on_exit
    members = {line.split(";")[2]: line.split(";")[5]  # the switch's flags: only the first caller speaks
               for line in stack.esl.api(f"conference {conference_sid} list").splitlines()}
    added_uuid = stack.wait_call(lambda c: c.sid == added.call_sid).channel_uuid
    assert "speak" in members[first] and "speak" not in members[added_uuid]
    # AnnounceUrl answers with TwiML, as Twilio allows: what it plays, across a <Redirect>, plays to
    # that member alone (a <Dial> in it does not).
    webhooks.reply("/chime.wav", default=Reply.wav(0.5))
    announce = webhooks.twiml("/announce", '<Response><Say>Welcome</Say><Redirect>/chime</Redirect></Response>')
    webhooks.twiml("/chime", "<Response><Play>/chime.wav</Play><Dial>+15557650000</Dial></Response>")
    client.conferences(conference_sid).participants(added.call_sid).update(announce_url=announce)
    asked = webhooks.wait_for("/announce")[0]
    assert asked.method == "POST" and (asked.form["ConferenceSid"], asked.form["CallSid"]) == (
        conference_sid, added.call_sid)
    assert RequestValidator(account.token).validate(asked.url, asked.form, asked.headers["X-Twilio-Signature"])
    assert webhooks.wait_for("/chime.wav")[0].method == "GET"  # the switch fetched the file to play it
    assert (f"conference {conference_sid} play 'file_string://tts://flite|kal|Welcome!http_cache://{webhooks.url}"
            f"/chime.wav' ") in stack.controller.output()

    # It joined with endConferenceOnExit: hanging it up ends the conference and releases the first caller.
    client.calls(added.call_sid).update(status="completed")
    ended = webhooks.wait_for("/conf-events", count=5, timeout=20)  # 2 joins, 2 leaves, end
    assert ended[-1].form["StatusCallbackEvent"] == "conference-end"
    assert stack.finished_call(stack.wait_call(lambda c: c.channel_uuid == first).sid).status == "completed"
    assert [c.form["CallStatus"] for c in webhooks.wait_for("/participant-status", count=2)] == [
        "in-progress", "completed"]


def test_beep_and_record_from_start(stack, api, webhooks):
    from sqlalchemy import select

    from cpaas.models import Recording
    from tests.support.esl_client import RawEsl

    account = stack.account()
    room = webhooks.twiml("/rec-room", '<Response><Dial><Conference record="record-from-start" beep="onEnter">'
                                       "Recorded</Conference></Dial></Response>")
    stack.number(account, "+15557652003", room)
    watcher = RawEsl(stack.sandbox.host, stack.sandbox.port, stack.sandbox.password)
    try:
        watcher.subscribe("CUSTOM", "conference::maintenance")
        stack.inbound_call("+15551110021", "+15557652003", hangup_after="30s")
        stack.inbound_call("+15551110022", "+15557652003", hangup_after="30s")
        seen = watcher.events_until(lambda e: e.get("Action") == "play-file" and "tone_stream" in e.get("File", ""))
        assert any(e.get("Action") == "add-member" for e in seen)
    finally:
        watcher.close()
    client = twilio_client(api.url, account)
    deadline = time.monotonic() + 30
    while True:
        with stack.database.session() as session:
            recording = session.scalars(select(Recording).where(Recording.account_sid == account.sid)).first()
            if recording is not None and recording.status == "completed":
                break
        assert time.monotonic() < deadline, recording and recording.status
        time.sleep(0.2)
    assert recording.source == "Conference" and recording.conference_sid and recording.duration >= 2
    listed = client.api.v2010.accounts(account.sid).conferences(recording.conference_sid).recordings.list()
    assert [r.sid for r in listed] == [recording.sid]
