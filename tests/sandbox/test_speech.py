"""Speech recognition in the sandbox: detect_speech on a channel whose far end says something, as
FreeSWITCH 1.10 with mod_unimrcp reports it (DETECTED_SPEECH, NLSML bodies, Completion-Cause 002)."""
from __future__ import annotations

import time

import pytest

from cpaas.sandbox import asr, farend
from tests.sandbox.conftest import subscribed


@pytest.fixture
def esl(sb):
    client = subscribed(sb, "CHANNEL_PARK CHANNEL_EXECUTE_COMPLETE DETECTED_SPEECH")
    yield client
    client.close()


def _far_end(esl, say: str | None = None, fire_events: bool = True) -> str:
    variables = [f"fire_asr_events={'true' if fire_events else 'false'}"]
    if say:
        variables.append(f"sandbox_say='{say}'")
    reply = esl.api(f"originate {{{','.join(variables)}}}sofia/gateway/sandbox/+15550001234 &park")
    assert reply.startswith("+OK "), reply
    uuid = reply.split()[1].strip()
    esl.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    return uuid


def _speech(esl, uuid, timeout=10.0):
    frame = esl.wait_event("DETECTED_SPEECH", timeout=timeout, Unique_ID=uuid)
    return frame.event("Speech-Type"), frame.event_body.decode()


def test_a_phrase_said_while_listening_is_recognized_with_barge_in_partials_and_nlsml(esl):
    uuid = _far_end(esl, say="yes please@3s:0.87")  # 0.3 s: detect_speech is listening by then
    done = esl.execute(uuid, "detect_speech",
                       "unimrcp '{start-input-timers=false,speech-language=en-US,speech-complete-timeout=500}"
                       "builtin:speech/transcribe' cpaas")
    assert done.event("Application-Response") == "_none_"  # it returns at once: recognition goes on
    kinds = [_speech(esl, uuid) for _ in range(3)]
    assert [kind for kind, _ in kinds] == ["begin-speaking", "detected-partial-speech", "detected-speech"]
    assert kinds[0][1] == ""
    assert "<input mode=\"speech\">yes</input>" in kinds[1][1]
    final = kinds[2][1]
    assert final.startswith('<?xml version="1.0"?>') and 'confidence="0.87"' in final
    assert '<input mode="speech">yes please</input>' in final and "builtin:speech/transcribe" in final
    esl.api(f"uuid_kill {uuid}")


def test_no_speech_gives_completion_cause_002_after_the_no_input_timeout_from_start_input_timers(esl):
    uuid = _far_end(esl)
    esl.execute(uuid, "detect_speech", "unimrcp {start-input-timers=false,no-input-timeout=2000}builtin:x cpaas")
    time.sleep(0.4)  # four simulated seconds: held timers never fire
    assert not [f for f in esl.events if f.event_name == "DETECTED_SPEECH"]
    started = time.monotonic()
    esl.execute(uuid, "detect_speech", "start_input_timers")
    kind, body = _speech(esl, uuid)
    assert (kind, body) == ("detected-speech", "Completion-Cause: 002")
    assert 0.15 <= time.monotonic() - started <= 1.0  # two simulated seconds at ten times real time
    esl.api(f"uuid_kill {uuid}")


def test_speech_before_detection_or_after_stop_is_not_heard_and_events_need_fire_asr_events(esl):
    early = _far_end(esl, say="too early@100ms")
    time.sleep(0.2)
    esl.execute(early, "detect_speech", "unimrcp {no-input-timeout=1000}builtin:speech/transcribe cpaas")
    assert _speech(esl, early)[1] == "Completion-Cause: 002"

    stopped = _far_end(esl, say="anyone there@3s")
    esl.execute(stopped, "detect_speech", "unimrcp builtin:speech/transcribe cpaas")
    esl.execute(stopped, "detect_speech", "stop")
    quiet = _far_end(esl, say="hello@3s", fire_events=False)
    esl.execute(quiet, "detect_speech", "unimrcp builtin:speech/transcribe cpaas")
    time.sleep(0.6)  # both phrases have been said (three simulated seconds after answer)
    assert not [f for f in esl.events if f.event_name == "DETECTED_SPEECH" and f.event("Unique-ID") in
                (stopped, quiet)]
    for uuid in (early, stopped, quiet):
        esl.api(f"uuid_kill {uuid}")


def test_an_unknown_asr_module_or_grammar_file_starts_nothing(esl):
    uuid = _far_end(esl, say="hello@500ms")
    esl.execute(uuid, "detect_speech", "nosuchasr builtin:speech/transcribe cpaas")
    esl.execute(uuid, "detect_speech", "unimrcp missing_grammar_file cpaas")
    time.sleep(0.3)
    assert not [f for f in esl.events if f.event_name == "DETECTED_SPEECH" and f.event("Unique-ID") == uuid]
    esl.api(f"uuid_kill {uuid}")


def test_grammar_parameters_are_split_as_freeswitch_does():
    params, grammar = asr.parse_grammar("{speech-language=es-MX,speech-hints=yes please\\, no,No-Input-Timeout=3000}"
                                        "builtin:speech/transcribe")
    assert grammar == "builtin:speech/transcribe"
    assert params == {"speech-language": "es-MX", "speech-hints": "yes please, no", "no-input-timeout": "3000"}


def test_say_scripts_parse_times_and_confidences():
    said = farend.parse_say_script("no thanks@8s:0.4, yes  please@2s")
    assert [(at, u.text, u.confidence) for at, u in said] == [(2.0, "yes please", 0.9), (8.0, "no thanks", 0.4)]
    with pytest.raises(ValueError):
        farend.parse_say_script("yes@2s:loud")
    far = farend.for_number("+15550100155")
    assert [u.text for _, u in far.say] == ["yes please"]
    assert any(s.kind == "speech" and s.start == 4.0 for s in far.audio)  # a recording hears it too
