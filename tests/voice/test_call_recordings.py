"""Recording a live call: Calls.create Record=true, and /Calls/{CA}/Recordings create/pause/resume/stop."""
import io
import time
import wave

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from tests.support.voice import twilio_client


def _wait_status(client, call_sid, recording_sid, status, timeout=20):
    deadline = time.monotonic() + timeout
    while (recording := client.calls(call_sid).recordings(recording_sid).fetch()).status != status:
        assert time.monotonic() < deadline, recording.status
        time.sleep(0.1)
    return recording


def test_record_true_records_the_whole_call(stack, api, caller, webhooks):
    client = twilio_client(api.url, caller)
    url = webhooks.twiml("/v", '<Response><Pause length="3"/><Say>Bye</Say></Response>')
    status = webhooks.reply("/rec-status")
    call = client.calls.create(to="+15557650100", from_=caller.number, url=url, record=True,
                               recording_status_callback=status)
    assert stack.finished_call(call.sid).status == "completed"
    deadline = time.monotonic() + 20
    while not (recordings := client.calls(call.sid).recordings.list()) or recordings[0].status != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    recording = recordings[0]
    assert recording.source == "OutboundAPI" and int(recording.duration) >= 3
    callback = webhooks.wait_for("/rec-status")[0]
    assert callback.form["RecordingSid"] == recording.sid and callback.form["RecordingStatus"] == "completed"


def test_start_pause_resume_stop_a_live_recording(stack, api, caller, webhooks):
    client = twilio_client(api.url, caller)
    call = client.calls.create(to="+15557650100", from_=caller.number,
                               url=webhooks.twiml("/long", '<Response><Pause length="600"/></Response>'))
    stack.wait_call(lambda c: c.sid == call.sid and c.status == "in-progress")
    recording = client.calls(call.sid).recordings.create(recording_channels="mono")
    assert recording.status == "in-progress" and recording.source == "StartCallRecordingAPI"
    time.sleep(0.5)
    assert client.calls(call.sid).recordings(recording.sid).update(status="paused").status == "paused"
    assert client.calls(call.sid).recordings("Twilio.CURRENT").update(status="in-progress").status == \
        "in-progress"
    time.sleep(0.5)
    client.calls(call.sid).recordings(recording.sid).update(status="stopped")
    stored = _wait_status(client, call.sid, recording.sid, "completed")
    assert int(stored.duration) >= 5  # the sandbox runs 10x: 1 s of wall time is 10 s of call
    media = requests.get(f"{api.url}/2010-04-01/Accounts/{caller.sid}/Recordings/{recording.sid}.wav", timeout=10)
    with wave.open(io.BytesIO(media.content)) as wav:
        assert wav.getframerate() == 8000 and wav.getnframes() > 8000
    with pytest.raises(TwilioRestException) as excinfo:
        client.calls(call.sid).recordings(recording.sid).update(status="paused")
    assert excinfo.value.code == 21220
    client.calls(call.sid).update(status="completed")
    assert stack.finished_call(call.sid).status == "completed"
    with pytest.raises(TwilioRestException) as excinfo:
        client.calls(call.sid).recordings.create()
    assert excinfo.value.code == 21220
