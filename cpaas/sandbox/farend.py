"""Scripted far ends: who answers, how fast, what they send and when they hang up.

A far end's behaviour comes from the dialled number (documented suffixes, like Twilio's magic
test numbers; see docs/sandbox.md) and can be overridden per call with `sandbox_*` channel
variables on the originate or dial string.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import gevent

from cpaas.sandbox import asr, audio

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")


def parse_duration(text: str | None, default: float | None = None) -> float | None:
    """'1500ms', '2s', '1m' or a bare number of seconds -> seconds."""
    if text is None or str(text).strip() == "":
        return default
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    value = float(match.group(1))
    unit = match.group(2) or "s"
    return value / 1000.0 if unit == "ms" else value * 60 if unit == "m" else value


def parse_dtmf_script(text: str | None) -> list[tuple[float, str]]:
    """'1@2s,23#@5s' -> [(2.0, '1'), (5.0, '23#')] (times after answer)."""
    out = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        digits, _, when = item.partition("@")
        out.append((parse_duration(when, 1.0), digits))
    return sorted(out)


def parse_say_script(text: str | None) -> list[tuple[float, asr.Utterance]]:
    """'yes please@2s,no@8s:0.4' -> what the far end says and when (after answer), with the
    recognizer's confidence (0.9 unless given after the time)."""
    out = []
    for item in (text or "").split(","):
        words, _, when = item.strip().rpartition("@")
        if not words.strip():
            continue
        at, _, confidence = when.partition(":")
        try:
            level = float(confidence) if confidence else 0.9
        except ValueError:
            raise ValueError(f"not a confidence: {confidence!r}") from None
        out.append((parse_duration(at, 1.0), asr.Utterance(" ".join(words.split()), min(max(level, 0.0), 1.0))))
    return sorted(out, key=lambda pair: pair[0])


def parse_audio(text: str | None) -> list[audio.Source]:
    """'speech:3s', 'tone:440:2s', 'silence:1s', 'wav:/path.wav' (comma-separated, played in order)."""
    sources, offset = [], 0.0
    for item in (text or "").split(","):
        parts = item.strip().split(":")
        if not parts or not parts[0]:
            continue
        kind = parts[0]
        if kind == "wav":
            pcm, seconds = audio.wav_pcm(":".join(parts[1:]))
            sources.append(audio.Source("pcm", offset, seconds, pcm=pcm))
        elif kind == "tone":
            freq = float(parts[1]) if len(parts) > 2 else 440.0
            seconds = parse_duration(parts[-1], 1.0)
            sources.append(audio.Source("tone", offset, seconds, freq=freq))
        elif kind in ("speech", "silence"):
            seconds = parse_duration(parts[1] if len(parts) > 1 else "1s", 1.0)
            sources.append(audio.Source(kind, offset, seconds))
        else:
            raise ValueError(f"unknown far-end audio {item!r}")
        offset += sources[-1].duration
    return sources


@dataclass
class FarEnd:
    answer_after: float | None = 0.5      # None: never answers
    ring_after: float | None = 0.1        # None: never rings (no 180)
    early_media: bool = False
    fail_cause: str | None = None
    fail_after: float = 0.05               # a refusal comes before any ringing
    unreachable: bool = False              # nothing answers at all (a closed port)
    dtmf: list[tuple[float, str]] = field(default_factory=list)
    say: list[tuple[float, asr.Utterance]] = field(default_factory=list)   # what it says, for recognizers
    audio: list[audio.Source] = field(default_factory=list)
    hangup_after: float | None = None     # seconds after answer
    hangup_cause: str = "NORMAL_CLEARING"
    answered_at: float | None = None      # simulated time the call was answered
    heard: str = ""                       # digits the far end received (for tests)

    def audio_at(self, at: float) -> audio.Source | None:
        if self.answered_at is None:
            return None
        for source in self.audio:
            if source.active(at - self.answered_at):
                shifted = audio.Source(source.kind, source.start + self.answered_at, source.duration,
                                       source.freq, source.pcm)
                return shifted
        return None

    def heard_dtmf(self, digits: str) -> None:
        self.heard += digits

    def on_answer(self, channel) -> None:
        """Start the after-answer script: DTMF presses, and the far end's hang-up."""
        self.answered_at = channel.switch.clock.now()
        clock = channel.switch.clock
        for when, digits in self.dtmf:
            gevent.spawn_later(clock.real(when), _press, channel, digits)
        for when, utterance in self.say:
            gevent.spawn_later(clock.real(when), _speak, channel, utterance)
        if self.hangup_after is not None:
            gevent.spawn_later(clock.real(self.hangup_after), _hang_up, channel, self.hangup_cause)


def _press(channel, digits: str) -> None:
    if not channel.hungup:
        channel.receive_dtmf_paced(digits, "RTP")


def _speak(channel, utterance: asr.Utterance) -> None:
    if not channel.hungup:
        asr.hear(channel, utterance)


def _hang_up(channel, cause: str) -> None:
    if not channel.hungup:
        channel.set_var("sip_hangup_disposition", "recv_bye")
        channel.hangup(cause, from_peer=True)


# Number suffix -> behaviour. Checked against the dialled digits (the last four).
MAGIC_SUFFIXES = {
    "0486": dict(fail_cause="USER_BUSY"),
    "0480": dict(answer_after=None),                               # rings until originate_timeout
    "0408": dict(answer_after=None, ring_after=None),              # never responds
    "0603": dict(fail_cause="CALL_REJECTED"),
    "0404": dict(fail_cause="UNALLOCATED_NUMBER"),
    "0503": dict(fail_cause="NORMAL_TEMPORARY_FAILURE"),
    "0183": dict(early_media=True, answer_after=3.0),              # early media, answers after 3 s
    "0100": dict(audio="speech:3s"),                               # talks 3 s after answer, then silence
    "0111": dict(dtmf="1@2s"),                                     # presses 1 two seconds after answer
    "0123": dict(dtmf="1234#@2s"),                                 # presses 1234# after 2 s
    "0199": dict(hangup_after=5.0),                                # hangs up 5 s after answer
    "0155": dict(say="yes please@4s"),                             # says "yes please" 4 s after answer
    "0110": dict(answer_after=10.0),                               # answers after 10 s
}


# SIP user parts with a behaviour of their own (sofia/PROFILE/sip:busy@host), as a test UAS would have.
MAGIC_USERS = {
    "busy": MAGIC_SUFFIXES["0486"],
    "ring": MAGIC_SUFFIXES["0480"], "noanswer": MAGIC_SUFFIXES["0480"],
    "reject": MAGIC_SUFFIXES["0603"],
    "unavailable": MAGIC_SUFFIXES["0503"],
}


def for_number(number: str, variables: dict | None = None) -> FarEnd:
    """The far end a dialled number reaches, with `sandbox_*` variables taking precedence."""
    variables = variables or {}
    digits = re.sub(r"\D", "", number or "")
    spec = dict(MAGIC_USERS.get((number or "").lower()) or MAGIC_SUFFIXES.get(digits[-4:], {}))
    if "sandbox_answer_after" in variables:
        value = variables["sandbox_answer_after"]
        spec["answer_after"] = None if value in ("never", "none") else parse_duration(value)
    if "sandbox_fail" in variables:
        spec["fail_cause"] = variables["sandbox_fail"].upper()
    if "sandbox_dtmf" in variables:
        spec["dtmf"] = variables["sandbox_dtmf"]
    if "sandbox_audio" in variables:
        spec["audio"] = variables["sandbox_audio"]
    if "sandbox_say" in variables:
        spec["say"] = variables["sandbox_say"]
    if "sandbox_hangup_after" in variables:
        spec["hangup_after"] = parse_duration(variables["sandbox_hangup_after"])
    if variables.get("sandbox_early_media") == "true":
        spec["early_media"] = True
    return build(**spec)


def build(answer_after: float | None = 0.5, ring_after: float | None = 0.1, early_media: bool = False,
          fail_cause: str | None = None, dtmf: str | list | None = None, audio: str | list | None = None,
          hangup_after: float | None = None, say: str | list | None = None) -> FarEnd:
    said = parse_say_script(say) if isinstance(say, str) or say is None else say
    sources = parse_audio(audio) if isinstance(audio, str) or audio is None else audio
    return FarEnd(answer_after=answer_after, ring_after=ring_after, early_media=early_media,
                  fail_cause=fail_cause,
                  dtmf=parse_dtmf_script(dtmf) if isinstance(dtmf, str) or dtmf is None else dtmf,
                  say=said, audio=sources + _speech_sources(said), hangup_after=hangup_after)


def _speech_sources(said: list[tuple[float, asr.Utterance]]) -> list[audio.Source]:
    """What it says is also what a recording of it hears."""
    return [audio.Source("speech", when, utterance.duration) for when, utterance in said]
