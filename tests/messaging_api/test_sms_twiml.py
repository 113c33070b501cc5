"""Messaging TwiML parsing: verbs, defaults, relative URLs, and hostile or broken documents refused."""
import pytest

from cpaas.jobs.sms_twiml import Redirect, SendMessage, TwimlError, parse

DOC = "https://app.example.org/sms/incoming?x=1"


def test_message_with_attributes_body_and_media():
    verbs = parse('<?xml version="1.0" encoding="UTF-8"?><Response>'
                  '<Message to="+15557650001" from="+15551230000" action="/status" method="get">'
                  '<Body>Look at this</Body><Media>/img/cat.jpg</Media><Media>https://cdn.example.org/b.png</Media>'
                  '</Message></Response>', DOC)
    assert verbs == [SendMessage(body="Look at this",
                                 media=("https://app.example.org/img/cat.jpg", "https://cdn.example.org/b.png"),
                                 to="+15557650001", from_="+15551230000",
                                 status_callback="https://app.example.org/status", status_callback_method="GET")]


def test_plain_text_message_defaults_and_status_callback_attribute():
    [verb] = parse("<Response><Message statusCallback='https://cb.example.org/s'>  Hi ж 😀 </Message></Response>",
                   DOC)
    assert verb == SendMessage(body="Hi ж 😀", status_callback="https://cb.example.org/s")


def test_redirect_ends_the_document_and_resolves_relative_urls():
    verbs = parse("<Response><Message>first</Message><Redirect>next.xml</Redirect>"
                  "<Message>unreachable</Message></Response>", DOC)
    assert verbs == [SendMessage(body="first"), Redirect("https://app.example.org/sms/next.xml", "POST")]


@pytest.mark.parametrize("document", ["", "   ", "<Response/>", "<Response></Response>"])
def test_empty_documents_send_nothing(document):
    assert parse(document, DOC) == []


def test_unknown_verbs_are_skipped():
    assert parse("<Response><Say>voice only</Say><Message>ok</Message></Response>", DOC) == [SendMessage(body="ok")]


@pytest.mark.parametrize("document", [
    "<Response><Message>unclosed</Response>",
    "<Html><Message>x</Message></Html>",
    "<Response><Redirect></Redirect></Response>",
    "<Response><Redirect method='PUT'>/x</Redirect></Response>",
    # entity expansion (billion laughs) and external entities are refused, not followed
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    "<Response><Message>&b;</Message></Response>",
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<Response><Message>&x;</Message></Response>",
])
def test_invalid_or_hostile_documents_are_refused(document):
    with pytest.raises(TwimlError):
        parse(document, DOC)
