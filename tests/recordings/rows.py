"""Recording rows as the voice engine leaves them: a WAV in RECORDINGS_DIR and a `processing` row."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from cpaas.models import Recording, new_sid
from tests.recordings.audio import write_wav

START = datetime(2026, 11, 23, 8, 0, 5, tzinfo=timezone.utc)


def processing_recording(database, settings, account_sid: str, seconds: float = 3.0, call_sid: str | None = None,
                         callback: str | None = None, events: str = "completed", source: str = "RecordVerb",
                         **fields) -> str:
    sid = new_sid("RE")
    path = write_wav(settings.recordings_dir / f"{sid}.wav", seconds)
    with database.session() as session:
        session.add(Recording(sid=sid, account_sid=account_sid, call_sid=call_sid or new_sid("CA"),
                              source=source, status="processing", start_time=START,
                              duration=round(seconds), channels=1, local_path=str(path),
                              status_callback=callback, status_callback_method="POST",
                              status_callback_events=events, **fields))
    return sid


def load(database, sid: str) -> Recording:
    with database.session() as session:
        return session.get(Recording, sid)


def wait_for_status(database, sid: str, statuses: tuple[str, ...], timeout: float = 20.0) -> Recording:
    deadline = time.monotonic() + timeout
    while True:
        recording = load(database, sid)
        if recording.status in statuses:
            return recording
        if time.monotonic() > deadline:
            raise AssertionError(f"{sid} is still {recording.status} after {timeout}s")
        time.sleep(0.1)
