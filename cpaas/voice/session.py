"""CallSession: one per call; every media operation is a blocking call that returns a result.

Verbs (TwiML or jambonz) only ask the session for media operations; only the session talks to
the channel. A hang-up at any moment raises `ChannelHangup` out of whatever is waiting.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from cpaas.models import status_for_hangup
from cpaas.switch.errors import ChannelHangup
from cpaas.switch.outbound import ChannelSession, ExecuteResult, PendingExecute
from cpaas.voice.media import Media, file_of, file_string, quote_argument
from cpaas.voice.speech import DigitOptions, SpeechRequest, SpeechResult
from cpaas.voice.speech_gather import SpeechGather

log = logging.getLogger("cpaas.voice")

__all__ = ["CallSession", "ChannelHangup", "GatherResult", "MediaResult", "RecordResult", "BridgeResult",
           "DigitOptions", "SpeechResult"]


@dataclass(frozen=True)
class MediaResult:
    completed: bool  # False when interrupted (a live update) or the file could not be played
    response: str | None = None


@dataclass(frozen=True)
class GatherResult:
    digits: str
    finished_on_key: str  # the terminator pressed, "" if none
    interrupted: bool = False

    @property
    def empty(self) -> bool:
        return not self.digits


@dataclass(frozen=True)
class RecordResult:
    path: str
    duration_ms: int
    terminator: str  # the key that ended it, "" if none
    interrupted: bool = False

    @property
    def empty(self) -> bool:
        return self.duration_ms < 100


@dataclass(frozen=True)
class BridgeResult:
    answered: bool
    hangup_cause: str | None  # why the dial ended without an answer (originate_disposition)
    other_uuid: str | None  # the leg that answered
    interrupted: bool = False


class CallSession:
    def __init__(self, channel: ChannelSession, call_sid: str, latencies: list | None = None):
        self.channel = channel
        self.call_sid = call_sid
        self._answered = False
        #: When given, each verb appends (next command written - previous completion read) in seconds:
        #: the controller's own latency per verb (scripts/bench/controller).
        self.latencies = latencies
        self._completion_read_at: float | None = None
        self._gathers = 0
        self._listening = None  # the speech gather in progress (cpaas.voice.speech_gather.SpeechGather)

    @property
    def uuid(self) -> str | None:
        return self.channel.uuid

    def _start(self, application: str, arg: str | None = None) -> PendingExecute:
        """Send an application without waiting for it (the caller reads its completion itself)."""
        log.debug("%s: %s %s", self.call_sid, application, (arg or "")[:120])
        return self.channel.execute_async(application, arg)

    def _run(self, application: str, arg: str | None = None) -> ExecuteResult:
        log.debug("%s: %s %s", self.call_sid, application, (arg or "")[:120])
        if self.latencies is None:
            return self.channel.execute(application, arg)
        pending = self.channel.execute_async(application, arg)
        if self._completion_read_at is not None:
            self.latencies.append(self.channel.last_tx - self._completion_read_at)
        result = pending.wait()
        self._completion_read_at = self.channel.last_rx
        return result

    def waiting_elsewhere(self) -> None:
        """The flow waits on something outside the controller (a webhook): not verb latency."""
        self._completion_read_at = None

    # ---- call control ------------------------------------------------------------------

    @property
    def answered(self) -> bool:
        """Answered by us, or before (an originated call, a bridge that answered it)."""
        return self._answered or self.channel.answered

    def call_status(self, unanswered: str) -> str:
        """The call's Twilio status as the channel shows it now; `unanswered`: its status before any answer.

        Requests about the call (the next document, an action) carry it: the Call row learns the
        answer and the hang-up a little later, from the node's listener.
        """
        if self.channel.hung_up:
            return status_for_hangup(self.channel.hangup_cause, self.answered)
        return "in-progress" if self.answered else unanswered

    def answer(self) -> None:
        if not self.answered:
            self._run("answer")
            self._answered = True

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        if not self.channel.hung_up:
            self.channel.hangup(cause)

    def reject(self, busy: bool) -> None:
        """Refuse an unanswered call (486 Busy Here or 603 Decline) without answering it."""
        self.hangup("USER_BUSY" if busy else "CALL_REJECTED")

    def interrupt(self) -> bool:
        """Stop the operation in progress now (a live redirect); it returns interrupted."""
        listening = self._listening
        if listening is not None:
            # It may be waiting for the recognizer with no application running, where a uuid_break
            # would stay pending and cut the next document's first prompt: it breaks what it runs.
            listening.interrupt()
            return not self.channel.hung_up
        return self.channel.interrupt()

    def set_variable(self, name: str, value) -> None:
        self.channel.set(name, value)

    # ---- media -------------------------------------------------------------------------

    def play(self, media: Media) -> MediaResult:
        self.answer()
        result = self._run("playback", file_of(media))
        return MediaResult(not result.interrupted and result.response == "FILE PLAYED", result.response)

    def say(self, text: str, voice: str, engine: str) -> MediaResult:
        self.answer()
        clean = " ".join(text.split())
        result = self._run("speak", f"{engine}|{voice}|{clean}")
        return MediaResult(not result.interrupted, result.response)

    def pause(self, seconds: float) -> MediaResult:
        self.answer()
        result = self._run("sleep", str(int(seconds * 1000)))
        return MediaResult(not result.interrupted, result.response)

    def send_digits(self, digits: str) -> MediaResult:
        self.answer()
        result = self._run("send_dtmf", digits)
        return MediaResult(not result.interrupted, result.response)

    def gather(self, prompts: list[Media], timeout: float, finish_on_key: str, num_digits: int | None,
               max_digits: int = 128) -> GatherResult:
        """Play the prompts (barge-in on the first key) and collect DTMF, as Twilio's <Gather>."""
        self.answer()
        arg, variable = self.digits_argument(prompts, DigitOptions(timeout, finish_on_key, num_digits), max_digits)
        result = self._run("play_and_get_digits", arg)
        return self.digits_result(result, variable, finish_on_key)

    def digits_argument(self, prompts: list[Media], options: DigitOptions, max_digits: int = 128):
        """play_and_get_digits' argument, and the variable the digits will be in."""
        minimum = maximum = options.num_digits
        if options.num_digits is None:
            minimum, maximum = 1, max_digits
        timeout_ms = max(int(options.timeout * 1000), 1000)
        terminators = options.finish_on_key or "none"
        self._gathers += 1
        variable = f"cpaas_digits_{self._gathers}"  # fresh each time: no stale digits, no reset round trip
        arg = " ".join([str(minimum), str(maximum), "1", str(timeout_ms), terminators,
                        quote_argument(file_string(prompts)), "silence_stream://1", variable,
                        r"^[0-9*#]*$", str(timeout_ms)])
        return arg, variable

    @staticmethod
    def digits_result(result: ExecuteResult, variable: str, finish_on_key: str) -> GatherResult:
        digits = result.variable(variable) or ""
        terminator = result.variable("read_terminator_used") or ""
        return GatherResult(digits, terminator if finish_on_key else "", result.interrupted)

    def gather_speech(self, prompts: list[Media], request: SpeechRequest, digits: DigitOptions | None = None,
                      on_partial=None) -> SpeechResult:
        """Play the prompts and recognize what the caller says (barge-in when they start speaking).

        With `digits`, keys are collected as gather() does and the first of speech or keys wins.
        on_partial(Recognition, sequence) is called with interim results when the engine sends them.
        """
        self.answer()
        self._listening = SpeechGather(self, prompts, request, digits, on_partial)
        try:
            return self._listening.run()
        finally:
            self._listening = None

    def record(self, path: str, max_seconds: int, silence_seconds: int, finish_on_key: str,
               beep: bool) -> RecordResult:
        self.answer()
        if beep:
            self._run("playback", "tone_stream://%(500,0,1000)")
        self.channel.set("playback_terminators", finish_on_key or "none")
        arg = f"{quote_argument(path)} {max_seconds}"
        if silence_seconds:
            arg += f" 200 {silence_seconds}"  # energy threshold, seconds of silence that end it
        result = self._run("record", arg)
        duration_ms = int(result.variable("record_ms") or 0)
        terminator = result.variable("playback_terminator_used") or ""
        return RecordResult(path, duration_ms, terminator, result.interrupted)

    def start_recording(self, path: str) -> None:
        """Record the call in the background (both directions) until stop_recording or the hang-up.
        record_session takes its data as the path (no blank-splitting, so no quoting)."""
        self._run("record_session", path)

    def stop_recording(self, path: str) -> None:
        if not self.channel.hung_up:
            self._run("stop_record_session", path)

    def bridge(self, dial_string: str) -> BridgeResult:
        """Ring the legs of `dial_string` (built by switch.OriginateRequest.dial_string()) and bridge.

        Whatever happens to the other leg, the caller stays for the rest of the flow: without
        continue_on_fail FreeSWITCH hangs the caller up when a bridge fails busy.
        """
        self.channel.set("continue_on_fail", "true")
        self.channel.set("hangup_after_bridge", "false")
        result = self._run("bridge", dial_string)
        # last_bridge_* survive from an earlier bridge on this channel; only these describe this one.
        disposition = result.variable("originate_disposition")
        if disposition == "SUCCESS":
            return BridgeResult(True, None, result.variable("bridge_uuid"), result.interrupted)
        cause = result.variable("originate_failed_cause") or disposition
        return BridgeResult(False, cause, None, result.interrupted)

    def conference(self, name: str, profile: str, flags: list[str]) -> MediaResult:
        """Join conference `name` until the member leaves, is kicked, or the conference ends."""
        self.answer()
        arg = f"{name}@{profile}"
        if flags:
            arg += "+flags{" + "|".join(flags) + "}"
        result = self._run("conference", arg)
        return MediaResult(not result.interrupted, result.response)

    def play_to_member(self, conference: str, member_id: str, media: Media) -> bool:
        """mod_conference plays `media` to this call's member alone, over what the conference says.
        True once it started; its end comes as a play-file-member-done event to the node listener."""
        reply = self.channel.api(f"conference {conference} play {quote_argument(file_of(media))} {member_id}")
        if "Playing file" not in reply:
            log.warning("%s: conference %s could not play %s: %s", self.call_sid, conference, file_of(media)[:120],
                        reply.strip())
            return False
        return True

    def stop_member_files(self, conference: str, member_id: str) -> None:
        """Stop what plays to this call's member now (no play-file-member-done follows)."""
        reply = self.channel.api(f"conference {conference} stop all {member_id}")
        log.info("%s: conference %s: %s", self.call_sid, conference, reply.strip())
