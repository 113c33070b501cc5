"""Outbound calls made with the official twilio SDK, dialled by the controller on the sandbox switch."""
import time
from datetime import timedelta

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from tests.support.voice import twilio_client


def test_call_runs_its_document_and_reports_progress_in_order(stack, api, caller, webhooks):
    client = twilio_client(api.url, caller)
    url = webhooks.twiml("/voice", '<Response><Gather action="/menu"><Say>Enter your code then hash</Say>'
                                   '</Gather></Response>')
    webhooks.twiml("/menu", "<Response><Say>Goodbye</Say></Response>")
    status = webhooks.reply("/status")
    call = client.calls.create(to="+15557650123", from_=caller.number, url=url, status_callback=status,
                               status_callback_event=["initiated", "ringing", "answered", "completed"])
    assert call.status == "queued" and call.direction == "outbound-api" and call.sid.startswith("CA")

    menu = webhooks.wait_for("/menu")[0]
    assert (menu.form["Digits"], menu.form["FinishedOnKey"]) == ("1234", "#")
    assert menu.form["Direction"] == "outbound-api" and menu.form["CallSid"] == call.sid

    callbacks = webhooks.wait_for("/status", count=4)
    assert [c.form["CallStatus"] for c in callbacks] == ["initiated", "ringing", "in-progress", "completed"]
    assert [c.form["SequenceNumber"] for c in callbacks] == ["0", "1", "2", "3"]
    for callback in callbacks:
        assert RequestValidator(caller.token).validate(callback.url, callback.form,
                                                       callback.headers["X-Twilio-Signature"])
    fetched = client.calls(call.sid).fetch()
    assert fetched.status == "completed" and int(fetched.duration) >= 2
    assert int(callbacks[-1].form["CallDuration"]) == int(fetched.duration)
    assert fetched.start_time <= fetched.end_time


def test_busy_and_no_route(stack, api, caller, webhooks):
    client = twilio_client(api.url, caller)
    status = webhooks.reply("/status")
    call = client.calls.create(to="+15557650486", from_=caller.number, url=webhooks.twiml("/v", "<Response/>"),
                               status_callback=status)
    done = webhooks.wait_for("/status")[0]
    assert done.form["CallStatus"] == "busy" and done.form["CallDuration"] == "0"
    assert client.calls(call.sid).fetch().status == "busy"
    assert webhooks.received("/v") == []


def test_create_validation_uses_twilio_codes(stack, api, caller):
    client = twilio_client(api.url, caller)
    cases = [dict(to="+15557650000", from_="+15559999999", url="http://127.0.0.1:9/x"),  # not our number
             dict(to="12", from_=caller.number, url="http://127.0.0.1:9/x"),
             dict(to="+15557650000", from_=caller.number)]
    for kwargs, code in zip(cases, (21210, 21211, 21205)):
        with pytest.raises(TwilioRestException) as excinfo:
            client.calls.create(**kwargs)
        assert (excinfo.value.status, excinfo.value.code) == (400, code)
    assert client.calls.list() == []


def test_live_redirect_during_a_long_play_then_hang_up(stack, api, caller, webhooks):
    import io
    import wave

    from tests.support.webhook_server import Reply

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(8000)
        wav.writeframes(b"\x00\x10" * 8000 * 120)  # two minutes (12 s at the sandbox's 10x clock)
    audio = webhooks.reply("/long.wav", default=Reply(body=buffer.getvalue(), content_type="audio/wav"))
    client = twilio_client(api.url, caller)
    url = webhooks.twiml("/long", f'<Response><Play>{audio}</Play><Say>After the play</Say></Response>')
    webhooks.twiml("/redirected", '<Response><Pause length="600"/></Response>')
    call = client.calls.create(to="+15557650000", from_=caller.number, url=url)
    webhooks.wait_for("/long")
    webhooks.wait_for("/long.wav")  # the Play has started
    time.sleep(0.3)
    client.calls(call.sid).update(url=webhooks.url + "/redirected", method="POST")
    redirected = webhooks.wait_for("/redirected", timeout=10)[0]  # the Play (12 s) was cut short
    assert redirected.form["CallSid"] == call.sid and redirected.form["CallStatus"] == "in-progress"

    client.calls(call.sid).update(status="completed")
    assert stack.finished_call(call.sid).status == "completed"
    with pytest.raises(TwilioRestException) as excinfo:
        client.calls(call.sid).update(url=webhooks.url + "/redirected")
    assert excinfo.value.code == 21220


def test_cancel_a_ringing_call(stack, api, caller, webhooks):
    client = twilio_client(api.url, caller)
    call = client.calls.create(to="+15557650480", from_=caller.number, url=webhooks.twiml("/v", "<Response/>"))
    stack.wait_call(lambda c: c.sid == call.sid and c.status == "ringing")
    client.calls(call.sid).update(status="canceled")
    assert stack.finished_call(call.sid).status == "canceled"
    assert webhooks.received("/v") == []


def test_list_and_filter_calls(stack, api, caller, webhooks):
    client = twilio_client(api.url, caller)
    url = webhooks.twiml("/v", "<Response><Hangup/></Response>")
    sids = [client.calls.create(to=to, from_=caller.number, url=url).sid
            for to in ("+15557650001", "+15557650002", "+15557650486")]
    for sid in sids:
        stack.finished_call(sid)
    assert {c.sid for c in client.calls.list(page_size=2)} == set(sids)
    assert [c.sid for c in client.calls.list(to="+15557650002")] == [sids[1]]
    assert [c.sid for c in client.calls.list(status="busy")] == [sids[2]]
    # Days from the calls' own times: the sandbox's clock runs 10x, minutes ahead of ours late in a
    # module, and a day computed here could end before the calls started.
    started = sorted(c.start_time for c in client.calls.list())  # dialling started for all, the busy one too
    first_day, day_after = started[0].date().isoformat(), (started[-1] + timedelta(days=1)).date().isoformat()
    assert len(client.calls.list(start_time_after=first_day)) == 3
    assert client.calls.list(start_time_after=day_after) == []
    assert len(client.calls.list(start_time_before=day_after, end_time_after=first_day)) == 3


def test_caller_id_is_presented_on_the_call(stack, api, caller, webhooks):
    from tests.support.esl_client import RawEsl

    client = twilio_client(api.url, caller)
    watcher = RawEsl(stack.sandbox.host, stack.sandbox.port, stack.sandbox.password)
    try:
        watcher.subscribe("CHANNEL_CREATE")
        call = client.calls.create(to="sip:alice@example.org", from_=caller.number, caller_id="+15550001234",
                                   url=webhooks.twiml("/v", "<Response><Hangup/></Response>"))
        created = watcher.events_until(lambda e: e.get("variable_cpaas_call_sid") == call.sid)[-1]
    finally:
        watcher.close()
    assert created["Caller-Caller-ID-Number"] == "+15550001234"
    assert stack.finished_call(call.sid).status == "completed"
