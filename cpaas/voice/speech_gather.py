"""A speech gather on one call (CallSession.gather_speech), on FreeSWITCH 1.10:

    uuid_setvar_multi fire_asr_events=true[;playback_terminators=none]
    detect_speech <engine> '{params}<grammar>' cpaas      the recognizer listens in the background
    playback <prompts>   or, when keys count too,   play_and_get_digits ... <prompts> ...
    detect_speech start_input_timers                    speech only: the no-input timer starts now
    ... DETECTED_SPEECH begin-speaking / detected-partial-speech / detected-speech (NLSML) ...
    detect_speech stop                                  frees the recognizer (an MRCP session)

Why not play_and_detect_speech: FreeSWITCH's application ignores keys, and a uuid_break only
cuts its prompt, then it keeps waiting for the recognizer, so a live redirect would hang.

The recognizer's events and the prompt's completion are read as one stream (a subscription),
so nothing is lost between them. Barge-in: begin-speaking breaks the prompt still playing.
With keys allowed, play_and_get_digits' own time-out is the no-input timer (the recognizer's
timers never start) and the first of keys or speech wins.
"""
from __future__ import annotations

import logging
import time

from cpaas.switch.errors import EslTimeout
from cpaas.switch.outbound import ExecuteResult, PendingExecute
from cpaas.switch.wire import Event
from cpaas.voice import nlsml
from cpaas.voice.media import Media, file_string, quote_argument
from cpaas.voice.speech import DigitOptions, SpeechRequest, SpeechResult

log = logging.getLogger("cpaas.voice")

#: Beyond its own time-outs, how long the recognizer may take to answer before we give up on it
#: (an ASR module that is not loaded never answers at all).
MARGIN_SECONDS = 5.0
GRAMMAR_NAME = "cpaas"


class SpeechGather:
    def __init__(self, session, prompts: list[Media], request: SpeechRequest, digits: DigitOptions | None,
                 on_partial=None):
        self.session = session
        self.channel = session.channel
        self.prompts = prompts
        self.request = request
        self.digits = digits
        self.on_partial = on_partial
        self.events = None
        self.prompt: PendingExecute | None = None  # until its completion is read
        self.variable: str | None = None            # where play_and_get_digits puts the keys
        self.speaking = False
        self.interrupted = False
        self.partials = 0                           # interim results passed on so far
        self.deadline: float | None = None          # once the prompts are over

    def interrupt(self) -> None:
        """A live redirect (from another greenlet): stop waiting, whatever is running."""
        self.interrupted = True
        if self.events is not None:
            self.events.wake()

    def run(self) -> SpeechResult:
        with self.channel.subscribe("DETECTED_SPEECH", "CHANNEL_EXECUTE_COMPLETE") as events:
            self.events = events
            try:
                self._listen()
                return self._wait()
            finally:
                self._stop()

    # ---- steps ---------------------------------------------------------------------------

    def _listen(self) -> None:
        variables = {"fire_asr_events": "true"}
        if self.digits is None:
            variables["playback_terminators"] = "none"  # keys do not cut a speech-only prompt
        self.channel.set_many(variables)
        arg = f"{self.request.engine} {quote_argument(self.request.grammar_string())} {GRAMMAR_NAME}"
        self.session._run("detect_speech", arg)
        self.prompt = self._play()
        if self.prompt is None:
            self._prompts_over()

    def _play(self) -> PendingExecute | None:
        if self.digits is not None:
            arg, self.variable = self.session.digits_argument(self.prompts, self.digits)
            return self.session._start("play_and_get_digits", arg)
        if not self.prompts:
            return None
        return self.session._start("playback", file_string(self.prompts))

    def _prompts_over(self) -> None:
        """Speech only: the no-input timer runs from the end of the prompts, as Twilio's timeout."""
        self.session._run("detect_speech", "start_input_timers")
        self._allow(self.request.max_speech_seconds if self.speaking else self.request.no_input_seconds)

    def _stop(self) -> None:
        if not self.channel.hung_up:
            self.session._run("detect_speech", "stop")

    # ---- waiting -------------------------------------------------------------------------

    def _allow(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds + MARGIN_SECONDS

    def _wait(self) -> SpeechResult:
        while True:
            if self.interrupted:
                if self.prompt is not None:
                    self.channel.break_current()
                return SpeechResult("", interrupted=True)
            try:
                event = self.events.get(timeout=self._remaining())
            except EslTimeout:
                log.warning("%s: no answer from the speech recognizer (%s); taking it as no input",
                            self.session.call_sid, self.request.engine)
                return SpeechResult("")
            outcome = None if event is None else self._on(event)
            if outcome is not None:
                return outcome

    def _remaining(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def _on(self, event: Event) -> SpeechResult | None:
        if event.get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE":
            mine = self.prompt is not None and event.get("Application-UUID") == self.prompt.application_uuid
            return self._prompt_done(self.prompt.wait()) if mine else None
        kind = event.get("Speech-Type")
        if kind == "begin-speaking":
            self._barge_in()
        elif kind == "detected-partial-speech":
            self._partial(event)
        elif kind == "detected-speech":
            return self._recognized(nlsml.parse(event.body))
        return None

    def _prompt_done(self, result: ExecuteResult) -> SpeechResult | None:
        self.prompt = None
        if result.interrupted:
            return SpeechResult("", interrupted=True)
        if self.digits is None:
            self._prompts_over()
            return None
        keys = self.session.digits_result(result, self.variable, self.digits.finish_on_key)
        if keys.digits or keys.finished_on_key:
            return SpeechResult("", digits=keys.digits, finished_on_key=keys.finished_on_key)
        if not self.speaking:
            return SpeechResult("")  # neither keys nor speech before the time-out
        self._allow(self.request.max_speech_seconds)
        return None

    def _barge_in(self) -> None:
        self.speaking = True
        self._allow(self.request.max_speech_seconds)
        if self.prompt is not None:
            self.channel.break_current()

    def _partial(self, event: Event) -> None:
        if self.on_partial is None:
            return
        recognition = nlsml.parse(event.body)
        if recognition.text:
            self.partials += 1
            self.on_partial(recognition, self.partials)

    def _recognized(self, recognition: nlsml.Recognition) -> SpeechResult:
        if self.prompt is not None:
            self.channel.break_current()  # the caller has answered: the prompt and key wait are moot
        if recognition.outcome not in ("success", "no-input", "no-match"):
            log.warning("%s: speech recognition failed (%s)", self.session.call_sid, recognition.outcome)
        if recognition.mode == "dtmf":
            return SpeechResult("", digits=recognition.text.replace(" ", ""))
        return SpeechResult(recognition.text, recognition.confidence)
