"""Parse a TwiML voice document into validated verbs.

Malformed XML or an unknown verb is a `TwimlError` (12100, the call cannot go on); an unknown
attribute or a bad attribute value is a 12200 warning and the default applies, as Twilio does.
"""
from __future__ import annotations

import re
from typing import Callable
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from cpaas.voice.twiml import verbs as v

PARSE_FAILURE = 12100
SCHEMA_WARNING = 12200
MAX_DOCUMENT = 1024 * 1024


class TwimlError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class _Attributes:
    """Typed reads of one element's attributes; records warnings and remembers what was read."""

    def __init__(self, element: Element, warnings: list[v.Warning]):
        self.element = element
        self.tag = element.tag
        self.warnings = warnings
        self.used: set[str] = set()

    def raw(self, name: str) -> str | None:
        self.used.add(name)
        value = self.element.get(name)
        return None if value is None else value.strip()

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name)
        return default if value is None else value

    def integer(self, name: str, default: int | None, lo: int = 0, hi: int = 2 ** 31) -> int | None:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            return self._bad(name, value, default)
        return number if lo <= number <= hi else self._bad(name, value, default)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        return self._bad(name, value, default)

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.raw(name)
        if value is None:
            return default
        match = next((c for c in choices if c.lower() == value.lower()), None)
        return match if match is not None else self._bad(name, value, default)

    def method(self, name: str = "method") -> str:
        return self.choice(name, "POST", ("GET", "POST"))

    def events(self, name: str, default: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
        value = self.raw(name)
        if value is None:
            return default
        events = tuple(e for e in value.replace(",", " ").split() if e in allowed)
        return events or default

    def _bad(self, name, value, default):
        self.warnings.append(v.Warning(SCHEMA_WARNING, f"<{self.tag}> {name}={value!r} is invalid; using "
                                                       f"{default!r}"))
        return default

    def check_unknown(self) -> None:
        for name in self.element.attrib:
            if name not in self.used:
                self.warnings.append(v.Warning(SCHEMA_WARNING, f"<{self.tag}> has no attribute {name!r}"))


def parse(document: bytes | str) -> v.Document:
    if len(document) > MAX_DOCUMENT:
        raise TwimlError(PARSE_FAILURE, "Document is larger than 1 MiB")
    try:
        root = ElementTree.fromstring(document, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise TwimlError(PARSE_FAILURE, f"Document rejected: {exc}") from None
    except ElementTree.ParseError as exc:
        raise TwimlError(PARSE_FAILURE, f"Document parse failure: {exc}") from None
    if root.tag != "Response":
        raise TwimlError(PARSE_FAILURE, f"Root element must be <Response>, not <{root.tag}>")
    warnings: list[v.Warning] = []
    verbs = tuple(_verb(child, warnings) for child in root)
    return v.Document(verbs, tuple(warnings))


def _verb(element: Element, warnings: list[v.Warning]) -> v.Verb:
    build = _VERBS.get(element.tag)
    if build is None:
        raise TwimlError(PARSE_FAILURE, f"<{element.tag}> is not a TwiML voice verb we support")
    attrs = _Attributes(element, warnings)
    verb = build(element, attrs)
    attrs.check_unknown()
    return verb


def _body(element: Element) -> str:
    return (element.text or "").strip()


def _required_body(element: Element) -> str:
    body = _body(element)
    if not body:
        raise TwimlError(PARSE_FAILURE, f"<{element.tag}> cannot be empty")
    return body


def _say(element, a) -> v.Say:
    return v.Say(text=_body(element), voice=a.text("voice", "man"), language=a.text("language", "en-US"),
                 loop=a.integer("loop", 1, 0, 1000))


def _play(element, a) -> v.Play:
    url, digits = _body(element) or None, a.text("digits")
    if url is None and digits is None:
        raise TwimlError(PARSE_FAILURE, "<Play> needs a URL or digits")
    if digits is not None and not all(c in "0123456789*#wW" for c in digits):
        raise TwimlError(PARSE_FAILURE, f"<Play> digits={digits!r} may only hold 0-9, *, # and w")
    return v.Play(url=url, loop=a.integer("loop", 1, 0, 1000), digits=digits)


def _pause(element, a) -> v.Pause:
    return v.Pause(length=a.integer("length", 1, 0, 600))


def _gather(element, a) -> v.Gather:
    prompts = []
    for child in element:
        if child.tag not in ("Say", "Play", "Pause"):
            raise TwimlError(PARSE_FAILURE, f"<Gather> may nest only Say, Play and Pause, not <{child.tag}>")
        prompts.append(_verb(child, a.warnings))
    finish = a.text("finishOnKey", "#")
    if finish and finish not in tuple("0123456789*#"):
        finish = a._bad("finishOnKey", finish, "#")
    a.raw("bargeIn")  # accepted: prompts are always barged into, by keys and by speech
    timeout = a.integer("timeout", 5, 1, 600)
    return v.Gather(action=a.text("action"), method=a.method(), timeout=timeout,
                    finish_on_key=finish, num_digits=a.integer("numDigits", None, 1, 128), input=_inputs(a),
                    action_on_empty_result=a.boolean("actionOnEmptyResult", False), prompts=tuple(prompts),
                    **_speech(a, timeout))


def _inputs(a) -> tuple[str, ...]:
    raw = a.text("input", "dtmf") or "dtmf"
    words = raw.lower().split()
    inputs = tuple(dict.fromkeys(w for w in words if w in ("dtmf", "speech")))
    if inputs and len(inputs) == len(set(words)):
        return inputs
    return a._bad("input", raw, inputs or ("dtmf",))


_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_MODEL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_HINTS, MAX_HINT_LENGTH = 500, 100  # Twilio's limits


def _speech(a, timeout: int) -> dict:
    """The speech attributes, as Twilio validates them (a bad value warns and the default applies)."""
    speech_timeout = a.text("speechTimeout")
    if speech_timeout is None:
        speech_timeout = timeout  # Twilio: timeout, when speechTimeout is not given
    elif speech_timeout.lower() == "auto":
        speech_timeout = None
    else:
        speech_timeout = a.integer("speechTimeout", timeout, 1, 600)
    language = a.text("language", "en-US")
    if not _LANGUAGE.match(language):
        language = a._bad("language", language, "en-US")
    model = a.text("speechModel")
    if model is not None and not _MODEL.match(model):
        model = a._bad("speechModel", model, None)
    return dict(speech_timeout=speech_timeout, max_speech_time=a.integer("maxSpeechTime", 60, 1, 600),
                language=language, hints=_hints(a), profanity_filter=a.boolean("profanityFilter", True),
                speech_model=model, enhanced=a.boolean("enhanced", False),
                partial_result_callback=a.text("partialResultCallback") or None,
                partial_result_callback_method=a.method("partialResultCallbackMethod"))


def _hints(a) -> tuple[str, ...]:
    raw = a.text("hints")
    if not raw:
        return ()
    hints = [h for h in (" ".join(part.split()) for part in raw.split(",")) if h]
    kept = tuple(h for h in hints if len(h) <= MAX_HINT_LENGTH)[:MAX_HINTS]
    if len(kept) != len(hints):
        a.warnings.append(v.Warning(SCHEMA_WARNING, f"<Gather> hints: {len(hints) - len(kept)} left out (at most "
                                                    f"{MAX_HINTS} hints of {MAX_HINT_LENGTH} characters)"))
    return kept


def _record(element, a) -> v.Record:
    finish = a.text("finishOnKey", "1234567890*#")
    if any(c not in "0123456789*#" for c in finish):
        finish = a._bad("finishOnKey", finish, "1234567890*#")
    a.raw("transcribe"), a.raw("transcribeCallback")  # transcription is not offered; accepted and ignored
    return v.Record(action=a.text("action"), method=a.method(), timeout=a.integer("timeout", 5, 0, 3600),
                    finish_on_key=finish, max_length=a.integer("maxLength", 3600, 1, 86400),
                    play_beep=a.boolean("playBeep", True),
                    trim=a.choice("trim", "trim-silence", ("trim-silence", "do-not-trim")),
                    recording_status_callback=a.text("recordingStatusCallback"),
                    recording_status_callback_method=a.method("recordingStatusCallbackMethod"),
                    recording_status_callback_event=a.events("recordingStatusCallbackEvent", ("completed",),
                                                             ("in-progress", "completed", "absent")))


_CALL_EVENTS = ("initiated", "ringing", "answered", "completed")


def _leg_options(a) -> dict:
    return dict(url=a.text("url"), method=a.method(), status_callback=a.text("statusCallback"),
                status_callback_method=a.method("statusCallbackMethod"),
                status_callback_event=a.events("statusCallbackEvent", ("completed",), _CALL_EVENTS))


def _number(element, a) -> v.Number:
    return v.Number(number=_required_body(element), send_digits=a.text("sendDigits"), **_leg_options(a))


def _sip(element, a) -> v.Sip:
    return v.Sip(uri=_required_body(element), username=a.text("username"), password=a.text("password"),
                 **_leg_options(a))


def _client(element, a) -> v.Client:
    return v.Client(identity=_required_body(element), **_leg_options(a))


def _conference(element, a) -> v.Conference:
    return v.Conference(
        name=_required_body(element), muted=a.boolean("muted", False),
        beep=a.choice("beep", "true", ("true", "false", "onEnter", "onExit")),
        start_conference_on_enter=a.boolean("startConferenceOnEnter", True),
        end_conference_on_exit=a.boolean("endConferenceOnExit", False),
        wait_url=a.text("waitUrl"), wait_method=a.method("waitMethod"),
        max_participants=a.integer("maxParticipants", 250, 2, 250),
        record=a.choice("record", "do-not-record", ("do-not-record", "record-from-start")),
        status_callback=a.text("statusCallback"), status_callback_method=a.method("statusCallbackMethod"),
        status_callback_event=a.events("statusCallbackEvent", (), ("start", "end", "join", "leave", "mute",
                                                                   "hold", "speaker", "announcement")))


_NOUNS: dict[str, Callable] = {"Number": _number, "Sip": _sip, "Client": _client, "Conference": _conference}


def _dial(element, a) -> v.Dial:
    nouns = []
    for child in element:
        build = _NOUNS.get(child.tag)
        if build is None:
            raise TwimlError(PARSE_FAILURE, f"<Dial> cannot nest <{child.tag}>")
        child_attrs = _Attributes(child, a.warnings)
        nouns.append(build(child, child_attrs))
        child_attrs.check_unknown()
    if _body(element):
        nouns.insert(0, v.Number(number=_body(element)))
    if not nouns:
        raise TwimlError(PARSE_FAILURE, "<Dial> needs a number, SIP URI, client or conference")
    if any(isinstance(n, v.Conference) for n in nouns) and len(nouns) > 1:
        raise TwimlError(PARSE_FAILURE, "<Dial> with a <Conference> cannot dial anything else")
    return v.Dial(
        nouns=tuple(nouns), action=a.text("action"), method=a.method(), timeout=a.integer("timeout", 30, 5, 600),
        caller_id=a.text("callerId"),
        record=a.choice("record", "do-not-record", ("do-not-record", "record-from-answer", "record-from-ringing",
                                                    "record-from-answer-dual", "record-from-ringing-dual")),
        hangup_on_star=a.boolean("hangupOnStar", False), time_limit=a.integer("timeLimit", 14400, 1, 86400),
        answer_on_bridge=a.boolean("answerOnBridge", False),
        recording_status_callback=a.text("recordingStatusCallback"),
        recording_status_callback_method=a.method("recordingStatusCallbackMethod"),
        recording_status_callback_event=a.events("recordingStatusCallbackEvent", ("completed",),
                                                 ("in-progress", "completed", "absent")))


def _hangup(element, a) -> v.Hangup:
    return v.Hangup()


def _reject(element, a) -> v.Reject:
    return v.Reject(reason=a.choice("reason", "rejected", ("rejected", "busy")))


def _redirect(element, a) -> v.Redirect:
    return v.Redirect(url=_required_body(element), method=a.method())


def _message(element, a) -> v.Message:
    body_element = element.find("Body")
    body = _body(body_element) if body_element is not None else _body(element)
    media = tuple(_body(m) for m in element.findall("Media") if _body(m))
    if not body and not media:
        raise TwimlError(PARSE_FAILURE, f"<{element.tag}> needs a body or media")
    return v.Message(body=body, to=a.text("to"), from_=a.text("from"), action=a.text("action"), method=a.method(),
                     status_callback=a.text("statusCallback"), media=media)


_VERBS: dict[str, Callable] = {
    "Say": _say, "Play": _play, "Pause": _pause, "Gather": _gather, "Record": _record, "Dial": _dial,
    "Hangup": _hangup, "Reject": _reject, "Redirect": _redirect, "Message": _message, "Sms": _message,
}
