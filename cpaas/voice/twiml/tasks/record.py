"""<Record>: record the caller to a WAV that becomes a Recording (stored by a job), then post
RecordingUrl/RecordingDuration/Digits to the action. An empty recording skips the action; a
hang-up keeps what was recorded and still posts the action, as Twilio does."""
from __future__ import annotations

import array
import logging
import time
import wave
from pathlib import Path

import gevent

from cpaas.jobs.recordings import enqueue_store
from cpaas.models import Call, Recording, new_sid, utcnow
from cpaas.services.recordings import recording_url
from cpaas.switch.errors import ChannelHangup
from cpaas.voice.twiml import verbs as v

log = logging.getLogger("cpaas.voice")
_MIN_SECONDS = 0.1


def run(flow, verb: v.Record):
    settings = flow.env.settings
    settings.recordings_dir.mkdir(parents=True, exist_ok=True)
    sid = new_sid("RE")
    path = (settings.recordings_dir / f"{sid}.wav").resolve()
    started = utcnow()
    try:
        result = flow.session.record(str(path), verb.max_length, verb.timeout, verb.finish_on_key, verb.play_beep)
    except ChannelHangup:
        recording = _keep(flow, verb, sid, path, started)
        if recording is not None and verb.action:
            flow.post_in_background(verb.action, verb.method, "record-action", RecordingUrl=recording["url"],
                                   RecordingDuration=recording["duration"], RecordingSid=sid, Digits="hangup")
        raise
    recording = _keep(flow, verb, sid, path, started)
    if recording is None or result.interrupted:
        return None
    return flow.request(verb.action, verb.method, "record-action", RecordingUrl=recording["url"],
                        RecordingDuration=recording["duration"], RecordingSid=sid, Digits=result.terminator)


_SILENCE = 200  # 16-bit sample magnitude below which audio counts as silence (as record's threshold)


def trim_silence(path: Path) -> None:
    """Cut leading and trailing silence from a 16-bit WAV, as Twilio's trim="trim-silence" does."""
    try:
        with wave.open(str(path), "rb") as wav:
            params, frames = wav.getparams(), wav.readframes(wav.getnframes())
    except (OSError, wave.Error, EOFError):
        return
    if params.sampwidth != 2 or not frames:
        return
    samples = array.array("h", frames)
    first = next((i for i, sample in enumerate(samples) if abs(sample) > _SILENCE), None)
    if first is None:
        samples = array.array("h")
    else:
        last = next(i for i in range(len(samples) - 1, first - 1, -1) if abs(samples[i]) > _SILENCE)
        channels = params.nchannels
        samples = samples[first - first % channels:last + channels - last % channels]  # whole frames
    with wave.open(str(path), "wb") as wav:
        wav.setparams(params)
        wav.writeframes(samples.tobytes())


def wav_seconds(path: Path) -> float:
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / float(wav.getframerate() or 8000)
    except (OSError, wave.Error, EOFError):
        return 0.0


def _keep(flow, verb: v.Record, sid: str, path: Path, started) -> dict | None:
    if verb.trim == "trim-silence":
        trim_silence(path)
    return keep_recording(flow, sid, path, started, "RecordVerb", verb.recording_status_callback,
                          verb.recording_status_callback_method, verb.recording_status_callback_event)


def keep_recording(flow, sid: str, path: Path, started, source: str, status_callback: str | None,
                   status_callback_method: str, status_callback_events, channels: int = 1,
                   wait: float = 0.0) -> dict | None:
    """The Recording row for what was recorded, queued for storage; None (file removed) when empty.
    `wait`: seconds to let FreeSWITCH finish writing a file a media bug (record_session) owns."""
    seconds = wav_seconds(path)
    deadline = time.monotonic() + wait
    while seconds < _MIN_SECONDS and time.monotonic() < deadline:
        gevent.sleep(0.05)
        seconds = wav_seconds(path)
    if seconds < _MIN_SECONDS:
        log.info("%s: %s captured nothing", flow.call_sid, source)
        path.unlink(missing_ok=True)
        return None
    with flow.env.database.session() as session:
        call = session.get(Call, flow.call_sid)
        recording = Recording(sid=sid, account_sid=call.account_sid, call_sid=call.sid, source=source,
                              status="processing", start_time=started, duration=round(seconds), channels=channels,
                              local_path=str(path), status_callback=status_callback,
                              status_callback_method=status_callback_method,
                              status_callback_events=" ".join(status_callback_events))
        session.add(recording)
        session.flush()
        url = recording_url(flow.env.settings, recording)
    enqueue_store(flow.env.redis, flow.env.settings, sid)
    log.info("%s: recorded %s (%.1fs, %s)", flow.call_sid, sid, seconds, source)
    return {"url": url, "duration": round(seconds)}
