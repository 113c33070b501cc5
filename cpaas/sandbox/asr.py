"""Speech recognition as FreeSWITCH 1.10 does it with mod_unimrcp (or mod_pocketsphinx): one
recognizer per channel, started by `detect_speech`, listening to what the far end says.

What the far end says comes from its script (`--say "yes please@2s"`, `sandbox_say`): an
utterance heard while the recognizer listens starts input (Speech-Type `begin-speaking`), gives
an interim result after each word but the last (`detected-partial-speech`) and, once the
speech-complete time-out has passed after it, the result (`detected-speech`) with an NLSML body
as an MRCP server sends it. With no speech within the no-input time-out (counted from
`start_input_timers` when the grammar said start-input-timers=false) the result is mod_unimrcp's
`Completion-Cause: 002`. A result completes the recognition, as RECOGNITION-COMPLETE does.

FreeSWITCH sends DETECTED_SPEECH to event sockets only when `fire_asr_events` was true as
detection started; otherwise the events stay inside the session, which here means nowhere.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import gevent

from cpaas.sandbox.fsstrings import separate

log = logging.getLogger("cpaas.sandbox.asr")

#: The ASR modules this switch has loaded (detect_speech's engine, before any `:profile`).
ENGINES = ("unimrcp", "pocketsphinx")
#: Grammars mod_unimrcp passes to the server by reference; anything else would be a grammar file.
URI_GRAMMARS = ("builtin:", "http://", "https://", "file://", "session:", "inline:")
DEFAULTS = {"no-input-timeout": 5000, "speech-complete-timeout": 800, "recognition-timeout": 15000}
CALLING = ("switch_ivr_async.c", "speech_thread", 0)


@dataclass(frozen=True)
class Utterance:
    text: str
    confidence: float = 0.9
    seconds_per_char: float = 0.07  # about fourteen characters a second, a caller's pace

    @property
    def duration(self) -> float:
        return max(0.4, len(self.text) * self.seconds_per_char)


def parse_grammar(grammar: str) -> tuple[dict[str, str], str]:
    """'{a=1,b=x\\,y}builtin:speech/transcribe' -> ({'a': '1', 'b': 'x,y'}, 'builtin:speech/transcribe')."""
    grammar = grammar.strip()
    params: dict[str, str] = {}
    if grammar.startswith("{") and "}" in grammar:
        inner, grammar = grammar[1:grammar.index("}")], grammar[grammar.index("}") + 1:]
        for pair in separate(inner, ","):
            name, _, value = pair.partition("=")
            if name.strip():
                params[name.strip().lower()] = value
    return params, grammar.strip()


class Recognizer:
    """The channel's recognizer (FreeSWITCH's speech_thread_handle with its ASR handle)."""

    def __init__(self, channel, engine: str):
        self.channel = channel
        self.engine = engine
        self.fire_events = channel.variables.get("fire_asr_events", "").lower() in ("true", "1", "yes", "on")
        self.params: dict[str, str] = {}
        self.grammar = ""
        self.state = "idle"         # idle | listening | hearing | paused | complete
        self.timers_started = False
        self._generation = 0        # bumps at every (re)start, pause and stop: stale timers do nothing

    # ---- control (detect_speech) --------------------------------------------------------
    def load(self, grammar: str) -> bool:
        params, uri = parse_grammar(grammar)
        if self.engine == "unimrcp" and not uri.startswith(URI_GRAMMARS):
            log.info("channel %s: could not read grammar file %s.gram", self.channel.uuid, uri)
            return False
        self.params.update(params)
        self.grammar = uri
        self.start()
        return True

    def start(self) -> None:
        self._generation += 1
        self.state = "listening"
        self.timers_started = False
        if self.params.get("start-input-timers", "true").lower() != "false":
            self.start_input_timers()

    def start_input_timers(self) -> None:
        if self.state != "listening" or self.timers_started:
            return
        self.timers_started = True
        generation = self._generation
        gevent.spawn_later(self._real(self._ms("no-input-timeout")), self._no_input, generation)

    def pause(self) -> None:
        self._generation += 1
        if self.state in ("listening", "hearing"):
            self.state = "paused"

    def resume(self) -> None:
        if self.state in ("paused", "complete"):
            self.start()

    def stop(self) -> None:
        self._generation += 1
        self.state = "idle"

    # ---- hearing --------------------------------------------------------------------------
    def hear(self, utterance: Utterance) -> None:
        """The far end starts saying `utterance`; heard only if the recognizer listens right now."""
        if self.state != "listening":
            return
        self._generation += 1  # speech cancels the no-input timer
        generation = self._generation
        self.state = "hearing"
        self._fire("begin-speaking")
        words = utterance.text.split()
        limit = min(utterance.duration, self._ms("recognition-timeout"))
        for count in range(1, len(words)):
            at = utterance.duration * count / len(words)
            if at < limit:
                text = " ".join(words[:count])
                gevent.spawn_later(self._real(at), self._partial, generation, text, utterance.confidence * 0.6)
        heard = words if utterance.duration <= limit else words[:max(1, int(len(words) * limit / utterance.duration))]
        done = limit + self._ms("speech-complete-timeout")
        gevent.spawn_later(self._real(done), self._result, generation, " ".join(heard), utterance.confidence)

    def _partial(self, generation: int, text: str, confidence: float) -> None:
        if self._current(generation):
            self._fire("detected-partial-speech", nlsml(self.grammar, text, confidence))

    def _result(self, generation: int, text: str, confidence: float) -> None:
        if self._current(generation):
            self.state = "complete"
            self._fire("detected-speech", nlsml(self.grammar, text, confidence))

    def _no_input(self, generation: int) -> None:
        if self._current(generation) and self.state == "listening":
            self.state = "complete"
            self._fire("detected-speech", "Completion-Cause: 002")

    # ---- helpers ----------------------------------------------------------------------------
    def _current(self, generation: int) -> bool:
        return generation == self._generation and not self.channel.hungup and self.channel.recognizer is self

    def _ms(self, name: str) -> float:
        try:
            return int(self.params.get(name, DEFAULTS[name])) / 1000.0
        except ValueError:
            return DEFAULTS[name] / 1000.0

    def _real(self, seconds: float) -> float:
        return self.channel.switch.clock.real(seconds)

    def _fire(self, speech_type: str, body: str | None = None) -> None:
        if self.fire_events:
            self.channel.fire("DETECTED_SPEECH", pre=[("Speech-Type", speech_type)], body=body, calling=CALLING)


def nlsml(grammar: str, text: str, confidence: float) -> str:
    """The result as an MRCPv2 server words it (RFC 6787 section 9.6)."""
    words = escape(text)
    return ('<?xml version="1.0"?>\n'
            "<result>\n"
            f"  <interpretation grammar={quoteattr(grammar)} confidence=\"{confidence:.2f}\">\n"
            f"    <instance>{words}</instance>\n"
            f"    <input mode=\"speech\">{words}</input>\n"
            "  </interpretation>\n"
            "</result>\n")


def hear(channel, utterance: Utterance) -> None:
    """The far end of `channel` says `utterance` (whoever is listening)."""
    recognizer = getattr(channel, "recognizer", None)
    if recognizer is not None and not channel.hungup:
        recognizer.hear(utterance)
