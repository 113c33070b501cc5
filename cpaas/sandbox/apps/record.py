"""record, record_session / stop_record_session (and uuid_record): real 8 kHz 16-bit mono WAV files
of what the far end sends (its scripted audio, the other leg's prompts, otherwise silence).
"""
from __future__ import annotations

import logging

import gevent

from cpaas.sandbox.fsstrings import separate_blank
from cpaas.sandbox import audio
from cpaas.sandbox.apps import app

log = logging.getLogger("cpaas.sandbox.record")
FRAME_SECONDS = 0.1          # the recorder samples the far end's audio in 100 ms frames
DEFAULT_TERMINATORS = "*#"


def heard_source(channel, at: float):
    """What `channel` hears at simulated time `at`: its peer's output or its scripted far end."""
    peer = channel.peer()
    if peer is not None and peer.output is not None and peer.output.active(at):
        return peer.output
    if channel.farend is not None:
        return channel.farend.audio_at(at)
    return None


def _frame(channel, at: float, seconds: float) -> tuple[bytes, bool]:
    count = int(round(seconds * audio.RATE))
    source = heard_source(channel, at)
    if source is None:
        return b"\x00\x00" * count, True
    return source.samples(at, count), source.is_silent(at)


def _finish_file(channel, path: str, pcm: bytes) -> None:
    try:
        audio.write_wav(path, pcm)
    except OSError as exc:
        log.warning("channel %s: cannot write %s: %s", channel.uuid, path, exc)
        return
    samples = len(pcm) // 2
    ms = samples * 1000 // audio.RATE
    size = 44 + len(pcm)
    channel.set_var("record_record_file_size", size)
    channel.set_var("record_file_size", size)
    channel.set_var("record_seconds", ms // 1000)
    channel.set_var("record_ms", ms)
    channel.set_var("record_samples", samples)


@app("record")
def record(channel, arg):
    words = separate_blank(arg)  # FreeSWITCH's switch_separate_string: quotes group words
    if not words:
        return None
    path = words[0]
    limit = float(words[1]) if len(words) > 1 and words[1].replace(".", "", 1).isdigit() else 0.0
    threshold = int(words[2]) if len(words) > 2 and words[2].isdigit() else 0
    hits = float(words[3]) if len(words) > 3 and words[3].replace(".", "", 1).isdigit() else 0.0
    terminators = channel.variables.get("playback_terminators", DEFAULT_TERMINATORS)
    if terminators == "none":
        terminators = ""
    channel.set_var("silence_hits_exhausted", "false")
    channel.set_var("read_codec", "L16")  # the recorder sets the read codec up again
    channel.set_var("read_rate", "8000")
    channel.fire("RECORD_START", post=[("Record-File-Path", path)])
    clock = channel.switch.clock
    started = clock.now()
    pcm = bytearray()
    silent_for = 0.0
    exhausted = False
    limit_samples = int(limit * audio.RATE)
    while True:
        # Whole samples throughout: fractions of a sample would never add up to the limit.
        recorded = len(pcm) // 2
        if limit_samples and recorded >= limit_samples:
            break
        step = FRAME_SECONDS if not limit else min(FRAME_SECONDS, (limit_samples - recorded) / audio.RATE)
        reason = channel.wait(step, wake_on_dtmf=bool(terminators))
        target = int((clock.now() - started) * audio.RATE)
        if limit_samples:
            target = min(target, limit_samples)
        if target > recorded:
            frame, silent = _frame(channel, started + recorded / audio.RATE, (target - recorded) / audio.RATE)
            pcm += frame
            silent_for = silent_for + (target - recorded) / audio.RATE if silent else 0.0
        if reason in ("hangup", "break"):
            break
        if reason == "dtmf":
            digit = channel.dtmf_buffer.popleft()
            if digit in terminators:
                channel.set_var("playback_terminator_used", digit)
                break
        if threshold and hits and silent_for >= hits:
            exhausted = True
            break
    if exhausted:
        channel.set_var("silence_hits_exhausted", "true")
    _finish_file(channel, path, bytes(pcm))
    channel.fire("RECORD_STOP", post=[("Record-File-Path", path)])
    channel.set_var("read_codec", "L16")  # the channel's own read codec is back
    channel.set_var("read_rate", "8000")
    return None


class SessionRecording:
    """record_session: records in the background until stopped or the call ends."""

    def __init__(self, channel, path: str, limit: float):
        self.channel, self.path, self.limit = channel, path, limit
        self.pcm = bytearray()
        self.stopped = False
        self.masked = False  # uuid_record mask: silence is written until unmask (a paused recording)
        self.greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        channel, clock = self.channel, self.channel.switch.clock
        channel.fire("RECORD_START", post=[("Record-File-Path", self.path)])
        started = last = clock.now()
        while not self.stopped and not channel.hungup:
            gevent.sleep(clock.real(FRAME_SECONDS))
            now = clock.now()
            if self.limit and now - started >= self.limit:
                now = started + self.limit
                self.stopped = True
            frame, _ = _frame(channel, last, now - last)
            self.pcm += bytes(len(frame)) if self.masked else frame
            last = now
        _finish_file(channel, self.path, bytes(self.pcm))
        channel.fire("RECORD_STOP", post=[("Record-File-Path", self.path)])
        recordings = getattr(channel, "session_recordings", {})
        recordings.pop(self.path, None)

    def stop(self) -> None:
        self.stopped = True


def start_session_recording(channel, path: str, limit: float = 0.0) -> None:
    recordings = channel.__dict__.setdefault("session_recordings", {})
    if path not in recordings:
        recordings[path] = SessionRecording(channel, path, limit)


def mask_session_recording(channel, path: str, masked: bool) -> bool:
    recording = getattr(channel, "session_recordings", {}).get(path)
    if recording is None:
        return False
    recording.masked = masked
    return True


def stop_session_recording(channel, path: str) -> None:
    recordings = getattr(channel, "session_recordings", {})
    targets = list(recordings.values()) if path == "all" else [recordings[path]] if path in recordings else []
    for recording in targets:
        recording.stop()
        recording.greenlet.join(timeout=5)


@app("record_session")
def record_session(channel, arg):
    words = arg.split()
    if words:
        start_session_recording(channel, words[0], float(words[1]) if len(words) > 1 and words[1].isdigit() else 0)


@app("stop_record_session")
def stop_record_session(channel, arg):
    stop_session_recording(channel, arg.strip() or "all")
