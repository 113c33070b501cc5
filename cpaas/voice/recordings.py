"""The controller's side of recordings it did not make through a verb: API-started recordings and
Calls.create Record=true. A stopped recording (or one running when the call ends) is measured
and handed to the storing job."""
from __future__ import annotations

import logging
import time
from pathlib import Path

import gevent

from cpaas.jobs.recordings import enqueue_store
from cpaas.models import Recording
from cpaas.services import call_recordings
from cpaas.services.recordings import ABSENT_TOO_SHORT, notify_status
from cpaas.voice.env import VoiceEnv
from cpaas.voice.twiml.tasks.record import wav_seconds

log = logging.getLogger("cpaas.voice")
_SETTLE = 2.0
_MIN_SECONDS = 0.1  # seconds FreeSWITCH may take to close the file after a stop or hang-up


def finish(env: VoiceEnv, recording_sid: str) -> None:
    with env.database.session() as session:
        recording = session.get(Recording, recording_sid)
        if recording is None or recording.status not in call_recordings.LIVE:
            return
        path = Path(recording.local_path)
    seconds = _settled_seconds(path)
    with env.database.session() as session:
        recording = session.get(Recording, recording_sid)
        recording.duration = round(seconds)
        log.info("%s: recording %s stopped (%.1fs)", recording.call_sid, recording_sid, seconds)
        if seconds < _MIN_SECONDS:
            recording.status, recording.error_code = "absent", ABSENT_TOO_SHORT
            path.unlink(missing_ok=True)
            notify_status(env.redis, env.settings, session, recording)
            return
        recording.status = "processing"
    enqueue_store(env.redis, env.settings, recording_sid)


def finish_all(env: VoiceEnv, call_sid: str | None = None, conference_sid: str | None = None) -> None:
    """The call (or conference) ended: every recording still running on it is over too."""
    with env.database.session() as session:
        sids = [r.sid for r in call_recordings.live_recordings(session, call_sid, conference_sid)]
    for sid in sids:
        finish(env, sid)


def _settled_seconds(path: Path) -> float:
    deadline = time.monotonic() + _SETTLE
    seconds = wav_seconds(path)
    while time.monotonic() < deadline:
        gevent.sleep(0.1)
        again = wav_seconds(path)
        if again == seconds and seconds > 0:
            break
        seconds = again
    return seconds
