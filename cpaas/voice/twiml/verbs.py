"""TwiML verbs as plain, validated objects (Twilio's defaults applied), before anything touches a call."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Say:
    text: str
    voice: str = "man"
    language: str = "en-US"
    loop: int = 1  # 0: until the call ends


@dataclass(frozen=True)
class Play:
    url: str | None
    loop: int = 1
    digits: str | None = None  # DTMF to send instead of audio ('w' waits half a second)


@dataclass(frozen=True)
class Pause:
    length: int = 1


Prompt = Say | Play | Pause


@dataclass(frozen=True)
class Gather:
    action: str | None = None  # None: the current document's URL
    method: str = "POST"
    timeout: int = 5
    finish_on_key: str = "#"  # "" disables
    num_digits: int | None = None
    input: tuple[str, ...] = ("dtmf",)
    action_on_empty_result: bool = False
    prompts: tuple[Prompt, ...] = ()
    # Speech (input holds "speech"):
    speech_timeout: int | None = 5  # seconds of silence that end an utterance; None: "auto" (the engine's)
    max_speech_time: int = 60
    language: str = "en-US"
    hints: tuple[str, ...] = ()
    profanity_filter: bool = True
    speech_model: str | None = None
    enhanced: bool = False
    partial_result_callback: str | None = None
    partial_result_callback_method: str = "POST"


@dataclass(frozen=True)
class Record:
    action: str | None = None
    method: str = "POST"
    timeout: int = 5  # seconds of silence that end the recording; 0 disables
    finish_on_key: str = "1234567890*#"
    max_length: int = 3600
    play_beep: bool = True
    trim: str = "trim-silence"
    recording_status_callback: str | None = None
    recording_status_callback_method: str = "POST"
    recording_status_callback_event: tuple[str, ...] = ("completed",)


@dataclass(frozen=True, kw_only=True)
class LegOptions:
    """What <Number>, <Sip> and <Client> share: a document for the callee (the whisper, run when
    it answers and before it is connected), and the leg's status callbacks."""

    url: str | None = None
    method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_event: tuple[str, ...] = ("completed",)


@dataclass(frozen=True)
class Number(LegOptions):
    number: str
    send_digits: str | None = None


@dataclass(frozen=True)
class Sip(LegOptions):
    uri: str
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class Client(LegOptions):
    identity: str


@dataclass(frozen=True)
class Conference:
    name: str
    muted: bool = False
    beep: str = "true"  # true | false | onEnter | onExit
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    wait_url: str | None = None
    wait_method: str = "POST"
    max_participants: int = 250
    record: str = "do-not-record"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_event: tuple[str, ...] = ()


DialNoun = Number | Sip | Client | Conference


@dataclass(frozen=True)
class Dial:
    nouns: tuple[DialNoun, ...]
    action: str | None = None
    method: str = "POST"
    timeout: int = 30
    caller_id: str | None = None
    record: str = "do-not-record"
    hangup_on_star: bool = False
    time_limit: int = 14400
    answer_on_bridge: bool = False
    recording_status_callback: str | None = None
    recording_status_callback_method: str = "POST"
    recording_status_callback_event: tuple[str, ...] = ("completed",)


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Reject:
    reason: str = "rejected"  # rejected | busy


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Message:
    """<Message>/<Sms> inside a voice document: sends an SMS from the call."""

    body: str
    to: str | None = None
    from_: str | None = None
    action: str | None = None
    method: str = "POST"
    status_callback: str | None = None
    media: tuple[str, ...] = ()


Verb = Say | Play | Pause | Gather | Record | Dial | Hangup | Reject | Redirect | Message

#: Verbs whose execution needs media, so the call is answered before them (Reject never answers).
NEEDS_MEDIA = (Say, Play, Pause, Gather, Record, Dial)


@dataclass(frozen=True)
class Warning:
    code: int
    message: str


@dataclass(frozen=True)
class Document:
    verbs: tuple[Verb, ...]
    warnings: tuple[Warning, ...] = field(default=())
