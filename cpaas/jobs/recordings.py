"""RQ job that stores a finished recording (local folder or S3) and announces the outcome.

Retried with backoff (RECORDING_UPLOAD_RETRY_INTERVALS) while storage refuses or is unreachable.
After the last attempt the recording is `failed` with an error code and its WAV stays where the
engine wrote it: nothing is ever lost silently.
"""
from __future__ import annotations

import logging

import redis
from rq import Callback, Queue, Retry, get_current_job

from cpaas.config import Settings
from cpaas.jobs import context
from cpaas.jobs.webhooks import enqueue
from cpaas.models import Account, Database, Recording
from cpaas.services import recordings as service
from cpaas.storage import StorageError, storage_for, storage_options

QUEUE = "recordings"
log = logging.getLogger("cpaas.recordings")


class RecordingNotStored(Exception):
    """Raised so RQ schedules another attempt."""


def enqueue_store(connection: redis.Redis, settings: Settings, recording_sid: str):
    """Queue the storing of a recording the engine has finished writing (row `processing`, `local_path` set).
    Attempts are spaced by RECORDING_UPLOAD_RETRY_INTERVALS."""
    intervals = storage_options().upload_retry_intervals
    retry = Retry(max=len(intervals), interval=list(intervals)) if intervals else None
    return Queue(QUEUE, connection=connection).enqueue(
        store, recording_sid, retry=retry, job_timeout=3600, failure_ttl=7 * 86400,
        on_failure=Callback(on_store_failure),
        description=f"store {recording_sid} in {settings.storage_backend} storage")


def retry_failed_uploads(database: Database, connection: redis.Redis, settings: Settings) -> list[str]:
    """Queue again every recording that failed because storage was unavailable (its WAV is still on disk).
    For an operator once storage is back; returns the recording sids."""
    with database.session() as session:
        sids = [recording.sid for recording in service.reopen_failed_uploads(session)]
    for sid in sids:
        enqueue_store(connection, settings, sid)
    log.info("queued %d failed recording(s) for storing again", len(sids))
    return sids


def store(recording_sid: str) -> dict:
    """Job: one attempt at storing a recording. Retryable failures raise while retries remain."""
    ctx = context.current()
    job = get_current_job()
    storage = storage_for(ctx.settings)
    with ctx.database.session() as session:
        recording = session.get(Recording, recording_sid)
        if recording is None:
            log.warning("%s: nothing to store, no such recording", recording_sid)
            return {"status": None}
        call = recording.call_sid
        if recording.status != "processing":
            log.info("%s %s: nothing to store, already %s", call, recording_sid, recording.status)
            return {"status": recording.status}
        try:
            if not service.store_media(session, storage, recording):
                return {"status": "deleted"}
        except StorageError as exc:
            if job is not None and job.retries_left:
                log.warning("%s %s: storing failed, will retry (%d left): %s", call, recording_sid,
                            job.retries_left, exc)
                raise RecordingNotStored(str(exc)) from None
            log.error("%s %s: storing failed for good, WAV kept at %s: %s", call, recording_sid,
                      recording.local_path, exc)
            service.mark_failed(recording, service.STORE_FAILED)
        except service.RecordingUnusable as exc:
            log.error("%s %s: cannot be stored: %s", call, recording_sid, exc)
            service.mark_failed(recording, service.MEDIA_INVALID)
        else:
            log.info("%s %s: stored as %s", call, recording_sid, recording.storage_key)
        callback = service.status_callback_request(ctx.settings, session.get(Account, recording.account_sid),
                                                   recording)
        outcome = {"status": recording.status, "error_code": recording.error_code}
    _announce(ctx, callback, recording_sid)
    return outcome


def on_store_failure(job, connection, exc_type, exc, traceback) -> None:
    """RQ failure callback. An unexpected error (a bug, a lost database, a job time-out) on the last
    attempt still ends the recording `failed` with its WAV kept, not `processing` for ever."""
    if job.retries_left:
        return  # RQ tries again
    recording_sid = job.args[0]
    ctx = context.current()
    with ctx.database.session() as session:
        recording = session.get(Recording, recording_sid)
        if recording is None or recording.status != "processing":
            return
        log.error("%s %s: storing failed for good (%s: %s), WAV kept at %s", recording.call_sid, recording_sid,
                  exc_type.__name__, exc, recording.local_path)
        service.mark_failed(recording, service.STORE_FAILED)
        callback = service.status_callback_request(ctx.settings, session.get(Account, recording.account_sid),
                                                   recording)
    _announce(ctx, callback, recording_sid)


def _announce(ctx, callback, recording_sid: str) -> None:
    # After the commit, so the app never hears of a status the database does not hold yet.
    if callback is not None:
        enqueue(ctx.redis, callback, ctx.settings.webhook_retry_intervals, order_key=recording_sid)
