"""TwiML documents become validated verbs with Twilio's defaults; bad documents are refused safely."""
import pytest

from cpaas.voice.twiml import verbs as v
from cpaas.voice.twiml.parser import TwimlError, parse


def test_defaults_are_twilios():
    doc = parse("<Response><Say>Hi</Say><Play>http://x/a.wav</Play><Pause/><Gather/><Record/>"
                "<Dial>+15551230000</Dial><Redirect>/next</Redirect><Reject/><Hangup/></Response>")
    say, play, pause, gather, record, dial, redirect, reject, hangup = doc.verbs
    assert say == v.Say("Hi", voice="man", language="en-US", loop=1)
    assert play == v.Play("http://x/a.wav", loop=1)
    assert pause == v.Pause(1)
    assert (gather.timeout, gather.finish_on_key, gather.num_digits, gather.method, gather.action) == (
        5, "#", None, "POST", None)
    assert gather.action_on_empty_result is False
    assert (record.timeout, record.finish_on_key, record.max_length, record.play_beep, record.trim) == (
        5, "1234567890*#", 3600, True, "trim-silence")
    assert dial.nouns == (v.Number("+15551230000"),)
    assert (dial.timeout, dial.time_limit, dial.hangup_on_star, dial.record, dial.answer_on_bridge) == (
        30, 14400, False, "do-not-record", False)
    assert redirect == v.Redirect("/next", "POST") and reject == v.Reject("rejected") and hangup == v.Hangup()
    assert doc.warnings == ()


def test_attributes_and_nested_prompts():
    doc = parse("""<?xml version="1.0" encoding="UTF-8"?>
    <Response>
      <Gather action="/menu" method="GET" timeout="10" finishOnKey="" numDigits="2" actionOnEmptyResult="true">
        <Say voice="woman" language="fr-FR" loop="2">Bonjour</Say><Play digits="1w2"/><Pause length="3"/>
      </Gather>
      <Dial action="/after" callerId="+15550000000" timeout="15" timeLimit="60" hangupOnStar="true"
            record="record-from-answer" answerOnBridge="true">
        <Number sendDigits="ww1" statusCallback="/leg" statusCallbackEvent="ringing answered">+15551110000</Number>
        <Sip username="bob" password="secret">sip:bob@example.org</Sip>
      </Dial>
      <Dial><Conference muted="true" beep="onEnter" startConferenceOnEnter="false" endConferenceOnExit="true"
             waitUrl="/wait" maxParticipants="10" statusCallbackEvent="start end join leave mute"
             statusCallback="/conf">Room 1</Conference></Dial>
      <Message to="+15552220000">Thanks</Message>
    </Response>""")
    gather, dial, conference_dial, message = doc.verbs
    assert (gather.action, gather.method, gather.timeout, gather.finish_on_key, gather.num_digits) == (
        "/menu", "GET", 10, "", 2)
    assert gather.action_on_empty_result is True
    assert gather.prompts == (v.Say("Bonjour", "woman", "fr-FR", 2), v.Play(None, digits="1w2"), v.Pause(3))
    number, sip = dial.nouns
    assert (number.number, number.send_digits, number.status_callback_event) == (
        "+15551110000", "ww1", ("ringing", "answered"))
    assert (sip.uri, sip.username, sip.password) == ("sip:bob@example.org", "bob", "secret")
    assert (dial.caller_id, dial.timeout, dial.time_limit, dial.hangup_on_star, dial.record) == (
        "+15550000000", 15, 60, True, "record-from-answer")
    conference = conference_dial.nouns[0]
    assert conference == v.Conference("Room 1", muted=True, beep="onEnter", start_conference_on_enter=False,
                                      end_conference_on_exit=True, wait_url="/wait", max_participants=10,
                                      status_callback="/conf",
                                      status_callback_event=("start", "end", "join", "leave", "mute"))
    assert message == v.Message("Thanks", to="+15552220000")


def test_bad_values_and_unknown_attributes_warn_and_use_defaults():
    doc = parse('<Response><Say loop="many" colour="red">x</Say><Gather timeout="-4" finishOnKey="ab"/></Response>')
    say, gather = doc.verbs
    assert say.loop == 1 and gather.timeout == 5 and gather.finish_on_key == "#"
    assert {w.code for w in doc.warnings} == {12200}
    assert any("colour" in w.message for w in doc.warnings) and any("loop" in w.message for w in doc.warnings)


@pytest.mark.parametrize("document,fragment", [
    ("<Response><Say>unclosed</Response>", "parse failure"),
    ("not xml at all", "parse failure"),
    ("<Reply><Say>x</Say></Reply>", "<Response>"),
    ("<Response><Dance/></Response>", "<Dance>"),
    ("<Response><Dial/></Response>", "<Dial> needs"),
    ("<Response><Gather><Dial>1</Dial></Gather></Response>", "may nest only"),
    ("<Response><Redirect/></Response>", "cannot be empty"),
    ("<Response><Play/></Response>", "<Play> needs"),
    ("<Response><Dial><Conference>a</Conference><Number>1</Number></Dial></Response>", "cannot dial"),
])
def test_invalid_documents_are_12100(document, fragment):
    with pytest.raises(TwimlError) as excinfo:
        parse(document)
    assert excinfo.value.code == 12100 and fragment in excinfo.value.message


def test_entity_attacks_are_refused():
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            "<Response><Say>&lol2;</Say></Response>")
    external = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                "<Response><Say>&x;</Say></Response>")
    for document in (bomb, external):
        with pytest.raises(TwimlError) as excinfo:
            parse(document)
        assert excinfo.value.code == 12100


def test_whisper_urls_on_every_dialled_noun_and_wait_urls():
    doc = parse('<Response><Dial><Number url="/w1" method="GET">+15551110000</Number><Sip url="/w2">sip:a@b.org</Sip>'
                '<Client url="/w3" statusCallback="/leg" statusCallbackEvent="answered">alice</Client></Dial>'
                '<Dial><Conference waitUrl="" waitMethod="GET">Room</Conference></Dial></Response>')
    dial, conference_dial = doc.verbs
    number, sip, client = dial.nouns
    assert (number.url, number.method, sip.url, sip.method) == ("/w1", "GET", "/w2", "POST")
    assert client == v.Client(identity="alice", url="/w3", status_callback="/leg", status_callback_event=("answered",))
    assert (conference_dial.nouns[0].wait_url, conference_dial.nouns[0].wait_method) == ("", "GET")
    assert doc.warnings == ()


def test_bad_whisper_and_wait_attributes_warn_and_use_defaults():
    doc = parse('<Response><Dial><Client url="/w" method="PUT" whisper="yes">bob</Client></Dial>'
                '<Dial><Conference waitMethod="DELETE">Room</Conference></Dial></Response>')
    client, conference = doc.verbs[0].nouns[0], doc.verbs[1].nouns[0]
    assert client.method == "POST" and conference.wait_method == "POST"
    assert [w.code for w in doc.warnings] == [12200, 12200, 12200]
    messages = " ".join(w.message for w in doc.warnings)
    assert "method='PUT'" in messages and "whisper" in messages and "waitMethod='DELETE'" in messages
