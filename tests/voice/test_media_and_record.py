"""<Say>, <Play> (http URLs, digits), <Pause>, and <Record> whose media is served through the API."""
import io
import wave

import requests

from cpaas.models import Recording
from tests.support.webhook_server import Reply


def _wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(8000)
        wav.writeframes(b"\x00\x10" * int(8000 * seconds))
    return buffer.getvalue()


def test_say_play_pause_and_digits(stack, webhooks):
    account = stack.account()
    audio = webhooks.reply("/hello.wav", default=Reply(body=_wav(1.0), content_type="audio/wav"))
    voice = webhooks.twiml("/voice", f'<Response><Say voice="woman" loop="2">Welcome</Say><Play loop="2">{audio}'
                                     '</Play><Pause length="2"/><Play digits="1w2"/><Redirect>/done</Redirect>'
                                     "</Response>")
    webhooks.twiml("/done", "<Response><Hangup/></Response>")
    stack.number(account, "+15557653000", voice_url=voice)
    stack.inbound_call("+15551230000", "+15557653000")
    done = webhooks.wait_for("/done")[0]
    assert stack.finished_call(done.form["CallSid"]).status == "completed"
    assert len(webhooks.received("/hello.wav")) >= 1  # fetched for real (then from FreeSWITCH's cache)


def test_record_then_fetch_media_and_action(stack, api, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Record action="/recorded" maxLength="4" playBeep="false" '
                                     'finishOnKey="#"/></Response>')
    webhooks.twiml("/recorded", "<Response><Hangup/></Response>")
    stack.number(account, "+15557653001", voice_url=voice)
    stack.inbound_call("+15551230000", "+15557653001", audio="speech:10s")
    recorded = webhooks.wait_for("/recorded", timeout=30)[0]
    assert recorded.form["RecordingDuration"] == "4"  # maxLength reached
    url = recorded.form["RecordingUrl"]
    assert url.startswith(stack.env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8080"))
    path = url.split("://", 1)[1].split("/", 1)[1]
    media = requests.get(f"{api.url}/{path}.wav", timeout=10)
    assert media.status_code == 200
    with wave.open(io.BytesIO(media.content)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert abs(wav.getnframes() / 8000 - 4.0) < 0.3
    with stack.database.session() as session:
        recording = session.get(Recording, recorded.form["RecordingSid"])
        assert recording.call_sid == recorded.form["CallSid"] and recording.source == "RecordVerb"


def test_hang_up_while_recording_keeps_the_recording_and_posts_the_action(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Record action="/recorded" maxLength="60" timeout="0"/>'
                                     "</Response>")
    webhooks.reply("/recorded")
    stack.number(account, "+15557653002", voice_url=voice)
    stack.inbound_call("+15551230000", "+15557653002", audio="speech:30s", hangup_after="8s")
    recorded = webhooks.wait_for("/recorded", timeout=30)[0]
    assert recorded.form["Digits"] == "hangup"
    assert recorded.form["CallStatus"] == "completed"  # from the channel, before the row has heard of it
    assert 4 <= int(recorded.form["RecordingDuration"]) <= 9  # the caller hung up 8 s after answering
    with stack.database.session() as session:
        assert session.get(Recording, recorded.form["RecordingSid"]) is not None


def test_empty_recording_skips_the_action(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Record action="/recorded" timeout="1" playBeep="false"/>'
                                     "<Redirect>/next</Redirect></Response>")
    webhooks.twiml("/next", "<Response><Hangup/></Response>")
    stack.number(account, "+15557653003", voice_url=voice)
    stack.inbound_call("+15551230000", "+15557653003", dtmf="#@0.1s")
    webhooks.wait_for("/next", timeout=30)
    assert webhooks.received("/recorded") == []


def test_message_inside_a_call_sends_an_sms_to_the_caller(stack, webhooks):
    from sqlalchemy import select

    from cpaas.models import Message

    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Say>Texting you</Say><Message action="/sent">Your code is 42'
                                     "</Message></Response>")
    webhooks.twiml("/sent", "<Response><Hangup/></Response>")
    stack.number(account, "+15557653004", voice_url=voice)
    stack.inbound_call("+15551230000", "+15557653004")
    sent = webhooks.wait_for("/sent")[0]
    assert sent.form["SmsStatus"] == "sending" and sent.form["SmsSid"].startswith("SM")
    with stack.database.session() as session:
        message = session.scalars(select(Message).where(Message.sid == sent.form["SmsSid"])).one()
        assert (message.to, message.from_, message.body) == ("+15551230000", "+15557653004", "Your code is 42")
        assert message.parent_sid == sent.form["CallSid"]


def test_record_trims_silence_unless_told_not_to(stack, webhooks):
    account = stack.account()
    for number, trim in (("+15557653005", "trim-silence"), ("+15557653006", "do-not-trim")):
        voice = webhooks.twiml(f"/voice-{trim}", f'<Response><Record action="/recorded-{trim}" maxLength="8" '
                                                 f'timeout="0" playBeep="false" trim="{trim}"/></Response>')
        webhooks.twiml(f"/recorded-{trim}", "<Response><Hangup/></Response>")
        stack.number(account, number, voice_url=voice)
        stack.inbound_call("+15551230000", number, audio="silence:4s,speech:20s")
    trimmed = int(webhooks.wait_for("/recorded-trim-silence", timeout=30)[0].form["RecordingDuration"])
    untrimmed = int(webhooks.wait_for("/recorded-do-not-trim", timeout=30)[0].form["RecordingDuration"])
    # Recording starts a few tens of ms (some tenths of a simulated second) after the answer, so
    # less than 4 s of the leading silence is trimmed; never more.
    assert untrimmed == 8 and 2 <= trimmed <= 6
