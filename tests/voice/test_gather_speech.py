"""<Gather input="speech">: the sandbox's far end says something, the real controller runs detect_speech,
and the action gets SpeechResult and Confidence (or Digits when the caller pressed keys instead)."""
from __future__ import annotations

import time

from twilio.request_validator import RequestValidator

from cpaas.sandbox.asr import parse_grammar
from cpaas.sandbox.fsstrings import separate

LONG_PROMPT = "Please tell us in a few words why you are calling today, and take your time. " * 3


def test_what_the_caller_says_reaches_the_action_signed_and_barges_into_the_prompt(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", f'<Response><Gather input="speech" action="/heard" speechTimeout="1">'
                                     f"<Say>{LONG_PROMPT}</Say></Gather><Say>Nothing heard</Say></Response>")
    webhooks.twiml("/heard", "<Response><Hangup/></Response>")
    stack.number(account, "+15557652000", voice)
    watcher = stack.watch("PLAYBACK_STOP", "DETECTED_SPEECH")
    try:
        uuid = stack.inbound_call("+15551230000", "+15557652000", say="yes please@4s:0.87")
        heard = webhooks.wait_for("/heard")[0]
        seen = watcher.events_until(lambda e: e.get("Speech-Type") == "detected-speech")
    finally:
        watcher.close()
    assert heard.form["SpeechResult"] == "yes please" and heard.form["Confidence"] == "0.87"
    assert "Digits" not in heard.form and heard.form["CallStatus"] == "in-progress"
    assert RequestValidator(account.token).validate(heard.url, heard.form, heard.headers["X-Twilio-Signature"])
    # The prompt lasts about 15 simulated seconds: it stopped as the caller began, before the result.
    order = [e.get("Speech-Type") or e["Event-Name"] for e in seen if e.get("Unique-ID") == uuid]
    assert order.index("begin-speaking") < order.index("PLAYBACK_STOP") < order.index("detected-speech")
    assert [e["Playback-Status"] for e in seen if e["Event-Name"] == "PLAYBACK_STOP"] == ["break"]
    assert stack.finished_call(heard.form["CallSid"]).status == "completed"


def test_language_hints_and_timeouts_reach_the_recognizer_as_freeswitch_parses_them(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Gather input="speech" action="/heard" language="es-MX" '
                                     'hints="sí por favor, no gracias" timeout="6" speechTimeout="auto" '
                                     'speechModel="phone_call" enhanced="true"><Say>Hola</Say></Gather></Response>')
    webhooks.twiml("/heard", "<Response><Hangup/></Response>")
    stack.number(account, "+15557652001", voice)
    watcher = stack.watch("CHANNEL_EXECUTE")
    try:
        stack.inbound_call("+15551230000", "+15557652001", say="sí por favor@3s")
        started = watcher.events_until(lambda e: e.get("Application") == "detect_speech")[-1]
    finally:
        watcher.close()
    engine, grammar, name = separate(started["Application-Data"], " ", 4)
    params, uri = parse_grammar(grammar)
    assert (engine, uri, name) == ("unimrcp", "builtin:speech/transcribe", "cpaas")
    assert params["speech-language"] == "es-MX" and params["speech-hints"] == "sí por favor,no gracias"
    assert params["no-input-timeout"] == "6000" and params["start-input-timers"] == "false"
    assert "speech-complete-timeout" not in params  # auto: the engine decides
    assert (params["speech-model"], params["use-enhanced"], params["profanity-filter"]) == ("phone_call", "true", "true")
    assert webhooks.wait_for("/heard")[0].form["SpeechResult"] == "sí por favor"


def test_with_dtmf_and_speech_allowed_keys_pressed_first_win(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", f'<Response><Gather input="dtmf speech" numDigits="2" action="/got">'
                                     f"<Say>{LONG_PROMPT}</Say></Gather></Response>")
    webhooks.twiml("/got", "<Response><Hangup/></Response>")
    stack.number(account, "+15557652002", voice)
    stack.inbound_call("+15551230000", "+15557652002", dtmf="42@1s", say="no thanks@6s")
    got = webhooks.wait_for("/got")[0]
    assert got.form["Digits"] == "42" and "SpeechResult" not in got.form
    assert stack.finished_call(got.form["CallSid"]).status == "completed"


def test_with_dtmf_and_speech_allowed_speaking_wins_when_no_key_is_pressed(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Gather input="dtmf speech" action="/got" timeout="4" '
                                     'speechTimeout="1"><Say>Press or say</Say></Gather></Response>')
    webhooks.twiml("/got", "<Response><Hangup/></Response>")
    stack.number(account, "+15557652003", voice)
    stack.inbound_call("+15551230000", "+15557652003", say="billing@3s")
    got = webhooks.wait_for("/got")[0]
    assert got.form["SpeechResult"] == "billing" and float(got.form["Confidence"]) == 0.9
    assert "Digits" not in got.form


def test_nothing_said_falls_through_and_action_on_empty_result_posts_without_a_result(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Gather input="speech" timeout="1" action="/never"><Say>Hi</Say>'
                                     '</Gather><Redirect method="GET">/next</Redirect></Response>')
    webhooks.twiml("/next", '<Response><Gather input="dtmf speech" timeout="1" action="/empty" '
                            'actionOnEmptyResult="true"/></Response>')
    webhooks.twiml("/empty", "<Response><Hangup/></Response>")
    stack.number(account, "+15557652004", voice)
    began = time.monotonic()
    stack.inbound_call("+15551230000", "+15557652004")
    nxt = webhooks.wait_for("/next")[0]
    empty = webhooks.wait_for("/empty")[0]
    assert time.monotonic() - began < 5  # the recognizer's no-input answer, not our safety margin
    assert webhooks.received("/never") == []
    assert empty.form["CallSid"] == nxt.args["CallSid"]
    assert not {"SpeechResult", "Confidence", "Digits"} & set(empty.form)


def test_the_caller_hanging_up_during_a_speech_gather_ends_the_call(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", f'<Response><Gather input="speech" action="/never" timeout="10">'
                                     f"<Say>{LONG_PROMPT}</Say></Gather><Redirect>/after</Redirect></Response>")
    stack.number(account, "+15557652005", voice)
    uuid = stack.inbound_call("+15551230000", "+15557652005", hangup_after="3s")
    call = stack.wait_call(lambda c: c.channel_uuid == uuid and c.is_finished)
    assert call.status == "completed" and call.direction == "inbound"
    time.sleep(0.3)
    assert webhooks.received("/never") == [] and webhooks.received("/after") == []
    assert "Traceback" not in stack.controller.output()


def test_interim_results_go_to_the_partial_result_callback_in_order(stack, webhooks):
    account = stack.account()
    voice = webhooks.twiml("/voice", '<Response><Gather input="speech" action="/heard" speechTimeout="1" '
                                     'partialResultCallback="/partial"><Say>Go on</Say></Gather></Response>')
    webhooks.twiml("/heard", "<Response><Hangup/></Response>")
    webhooks.reply("/partial")
    stack.number(account, "+15557652006", voice)
    stack.inbound_call("+15551230000", "+15557652006", say="I want to pay my bill@3s")
    heard = webhooks.wait_for("/heard")[0]
    partials = webhooks.wait_for("/partial", count=5)
    assert [p.form["UnstableSpeechResult"] for p in partials] == [
        "I", "I want", "I want to", "I want to pay", "I want to pay my"]
    assert [p.form["SequenceNumber"] for p in partials] == ["1", "2", "3", "4", "5"]
    assert all(p.form["CallSid"] == heard.form["CallSid"] and "Stability" in p.form for p in partials)
    assert RequestValidator(account.token).validate(partials[0].url, partials[0].form,
                                                    partials[0].headers["X-Twilio-Signature"])
    assert heard.form["SpeechResult"] == "I want to pay my bill"


def test_a_live_redirect_ends_a_speech_gather_waiting_on_the_recognizer(stack, api, caller, webhooks):
    from tests.support.voice import twilio_client

    client = twilio_client(api.url, caller)
    url = webhooks.twiml("/voice", '<Response><Gather input="speech" timeout="60" action="/never"><Say>Hi</Say>'
                                   "</Gather></Response>")
    webhooks.twiml("/redirected", "<Response><Hangup/></Response>")
    watcher = stack.watch("CHANNEL_EXECUTE_COMPLETE")
    try:
        call = client.calls.create(to="+15557650000", from_=caller.number, url=url)
        watcher.events_until(lambda e: e.get("Application-Data") == "start_input_timers")  # the prompt is over
        client.calls(call.sid).update(url=webhooks.url + "/redirected", method="POST")
        redirected = webhooks.wait_for("/redirected", timeout=4)[0]  # not the 60 s no-input time-out
        stopped = watcher.events_until(lambda e: e.get("Application-Data") == "stop")[-1]
    finally:
        watcher.close()
    assert redirected.form["CallSid"] == call.sid and stopped["Application"] == "detect_speech"
    assert webhooks.received("/never") == []
    assert stack.finished_call(call.sid).status == "completed"


def test_an_outbound_call_hears_the_far_end_that_says_yes_please(stack, api, caller, webhooks):
    from tests.support.voice import twilio_client

    client = twilio_client(api.url, caller)
    url = webhooks.twiml("/voice", '<Response><Gather input="speech" action="/heard" speechTimeout="1">'
                                   "<Say>Would you like a callback?</Say></Gather></Response>")
    webhooks.twiml("/heard", "<Response><Hangup/></Response>")
    call = client.calls.create(to="+15557650155", from_=caller.number, url=url)
    heard = webhooks.wait_for("/heard")[0]
    assert (heard.form["SpeechResult"], heard.form["Direction"]) == ("yes please", "outbound-api")
    assert heard.form["CallSid"] == call.sid
