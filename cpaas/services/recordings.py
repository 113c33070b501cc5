"""Recordings: storing their media, serving it back, deleting it, and the status callbacks they trigger.

The media of a recording lives in one of two places: the WAV the voice engine wrote (`local_path`,
while `processing`, and still there if storing finally failed), or storage under the keys
`{AccountSid}/{RecordingSid}.wav` and `.mp3` (`storage_key` set once both are confirmed stored).
Callbacks carry Twilio's parameter names, the format call-control apps speak.
"""
from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Iterator

import redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cpaas.config import Settings
from cpaas.jobs.webhooks import enqueue
from cpaas.models import Account, Recording, utcnow
from cpaas.services.errors import DomainError, NotFound
from cpaas.services.webhooks import WebhookRequest
from cpaas.storage import ObjectNotFound, Storage, StorageError, StorageOptions, storage_for, storage_options
from cpaas.storage.audio import InvalidAudio, mp3_chunks, write_mp3

log = logging.getLogger("cpaas.recordings")

API_VERSION = "2010-04-01"
FORMATS = {"wav": "audio/x-wav", "mp3": "audio/mpeg"}
#: Twilio's codes for an `absent` recording (the engine sets them; callbacks carry them as ErrorCode).
ABSENT_TOO_SHORT = 16101
ABSENT_SILENT = 16102
#: Ours for a `failed` one: Twilio publishes none for a failed upload to storage, so these sit at the
#: end of its Voice Recording range (161xx), clear of the codes it documents there.
STORE_FAILED = 16190  # storage refused or was unreachable through every retry; the WAV stays on disk
MEDIA_INVALID = 16191  # the engine's file is missing or is not a 16-bit PCM WAV
#: RecordingStatusCallbackEvent that announces each status; a failed recording ends like a completed one.
CALLBACK_EVENT = {"in-progress": "in-progress", "completed": "completed", "failed": "completed",
                  "absent": "absent"}


class MediaUnavailable(DomainError):
    """Storage could not be reached for this request; worth trying again later."""

    reason = "unavailable"


class RecordingUnusable(Exception):
    """Storing can never succeed (no file, or not audio we can store): fail now, don't retry."""


def open_storage(settings: Settings) -> tuple[Storage, StorageOptions]:
    """The configured backend and the media options; callers keep them for the life of their process."""
    return storage_for(settings), storage_options()


def recording_url(settings: Settings, recording: Recording) -> str:
    """The RecordingUrl handed to apps: no extension, as Twilio does (it answers with the WAV)."""
    return f"{settings.public_base_url}/{API_VERSION}/Accounts/{recording.account_sid}/Recordings/{recording.sid}"


def media_key(recording: Recording, fmt: str) -> str:
    return f"{recording.account_sid}/{recording.sid}.{fmt}"


# --- queries -----------------------------------------------------------------------------------------

def recordings_query(account_sid: str, call_sid: str | None = None, conference_sid: str | None = None,
                     created_on: datetime | None = None, created_before: datetime | None = None,
                     created_after: datetime | None = None, include_deleted: bool = False):
    """An account's recordings. `created_on` is a UTC day; `created_before`/`after` are inclusive instants."""
    query = select(Recording).where(Recording.account_sid == account_sid)
    if call_sid:
        query = query.where(Recording.call_sid == call_sid)
    if conference_sid:
        query = query.where(Recording.conference_sid == conference_sid)
    if created_on is not None:
        day = created_on.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        query = query.where(Recording.date_created >= day, Recording.date_created < day + timedelta(days=1))
    if created_before is not None:
        query = query.where(Recording.date_created <= created_before)
    if created_after is not None:
        query = query.where(Recording.date_created >= created_after)
    if not include_deleted:
        query = query.where(Recording.status != "deleted")
    return query


def find_recording(session: Session, account_sid: str, sid: str, call_sid: str | None = None,
                   conference_sid: str | None = None) -> Recording:
    """The account's recording (of that call or conference, when given); deleted ones are gone as far
    as callers know."""
    recording = session.get(Recording, sid)
    if (recording is None or recording.account_sid != account_sid or recording.status == "deleted"
            or (call_sid is not None and recording.call_sid != call_sid)
            or (conference_sid is not None and recording.conference_sid != conference_sid)):
        raise NotFound(f"Recording {sid} was not found")
    return recording


# --- storing (the job's work) ------------------------------------------------------------------------

def store_media(session: Session, storage: Storage, recording: Recording) -> bool:
    """Put the recording's WAV and its MP3 rendition into storage, then mark it completed.

    The MP3 goes first so the WAV on disk stays the source of truth until the very last step.
    Raises StorageError (worth retrying) or RecordingUnusable (not). Returns False when the
    recording was deleted meanwhile (whatever was stored is removed again)."""
    wav_key, mp3_key = media_key(recording, "wav"), media_key(recording, "mp3")
    source = Path(recording.local_path) if recording.local_path else None
    if source is None or not source.is_file():
        if not storage.exists(wav_key):  # an earlier attempt may have stored it and died before commit
            raise RecordingUnusable(f"{recording.sid}: no WAV at {recording.local_path}")
    else:
        _store_files(storage, source, wav_key, mp3_key)
    stored = session.execute(
        update(Recording).where(Recording.sid == recording.sid, Recording.status == "processing")
        .values(status="completed", storage_key=wav_key, local_path=None, error_code=None, date_updated=utcnow())
        .execution_options(synchronize_session="fetch"))
    if stored.rowcount == 0:
        log.info("%s %s: deleted while being stored; removing the stored copy", recording.call_sid, recording.sid)
        _remove_objects(storage, recording)
        return False
    session.refresh(recording)
    return True


def _store_files(storage: Storage, wav: Path, wav_key: str, mp3_key: str) -> None:
    mp3 = wav.with_name(f"{wav.stem}.mp3")
    try:
        write_mp3(wav, mp3)
        storage.save(mp3_key, mp3, FORMATS["mp3"])
        storage.save(wav_key, wav, FORMATS["wav"])
    except InvalidAudio as exc:
        raise RecordingUnusable(str(exc)) from None
    except OSError as exc:  # a full or failing disk: worth another attempt later
        raise StorageError(f"could not write {mp3.name}: {exc}") from exc
    finally:
        # A temporary rendition (the next attempt makes it again); failing to remove it must not hide
        # what went wrong before.
        with suppress(OSError):
            mp3.unlink(missing_ok=True)


def mark_failed(recording: Recording, error_code: int) -> None:
    """The end of the line for storing: the row says failed, the WAV stays where the engine left it."""
    recording.status = "failed"
    recording.error_code = error_code
    recording.date_updated = utcnow()


def reopen_failed_uploads(session: Session) -> list[Recording]:
    """Recordings that failed only because storage was down and still have their WAV: back to
    `processing`, ready to be queued again once storage is back."""
    failed = session.scalars(select(Recording).where(Recording.status == "failed",
                                                     Recording.error_code == STORE_FAILED)).all()
    reopened = [r for r in failed if r.local_path and Path(r.local_path).is_file()]
    for recording in reopened:
        recording.status = "processing"
        recording.error_code = None
        recording.date_updated = utcnow()
    return reopened


# --- serving media -----------------------------------------------------------------------------------

@dataclass
class FileMedia:
    path: Path
    content_type: str


@dataclass
class StreamMedia:
    chunks: Iterator[bytes]
    length: int | None
    content_type: str
    content_range: str | None = None  # set when only the requested part is streamed


@dataclass
class RedirectMedia:
    url: str


def media_source(storage: Storage, options: StorageOptions, recording: Recording, fmt: str,
                 byte_range: str | None = None):
    """How to answer a request for the recording's media in `fmt` (wav or mp3): a local file, a stream
    from storage (of `byte_range` only, when given and satisfiable) or encoded on the fly, or a
    redirect to a short-lived presigned URL."""
    engine_file = Path(recording.local_path) if recording.local_path else None
    if recording.storage_key is None and engine_file is not None and engine_file.is_file():
        return _from_engine_file(recording, engine_file, fmt)
    # Stored, or being stored this very moment: the job moves the file before it commits the row.
    return _from_storage(storage, options, recording, fmt, byte_range)


def _from_engine_file(recording: Recording, path: Path, fmt: str):
    """Not stored (yet, or storing failed): serve the engine's own file."""
    if fmt == "wav":
        return FileMedia(path, FORMATS[fmt])
    try:
        return StreamMedia(mp3_chunks(path), None, FORMATS[fmt])
    except InvalidAudio:
        raise NotFound(f"Recording {recording.sid} has no {fmt} media") from None


def _from_storage(storage: Storage, options: StorageOptions, recording: Recording, fmt: str,
                  byte_range: str | None):
    key = media_key(recording, fmt)
    path = storage.local_file(key)
    if path is not None:
        return FileMedia(path, FORMATS[fmt])
    try:
        # Only once the row says stored: a presigned URL is not checked against the object.
        url = storage.presigned_url(key, options.url_expires) if options.media_redirect else None
        if url and recording.storage_key:
            return RedirectMedia(url)
        stored = storage.open(key, byte_range)
    except ObjectNotFound:
        raise NotFound(f"Recording {recording.sid} has no {fmt} media") from None
    except StorageError as exc:
        log.warning("%s %s: media unavailable: %s", recording.call_sid, recording.sid, exc)
        raise MediaUnavailable("Recording storage is unavailable, try again later") from None
    return StreamMedia(stored.chunks, stored.length, FORMATS[fmt], stored.content_range)


# --- deleting ----------------------------------------------------------------------------------------

def delete_recording(storage: Storage, recording: Recording) -> None:
    """Remove the media everywhere it may be, then mark the row deleted (kept for its metadata, hidden
    from fetch and from lists unless IncludeSoftDeleted). Media first: a delete must never leave audio."""
    try:
        _remove_objects(storage, recording)
    except StorageError as exc:
        log.warning("%s %s: delete failed: %s", recording.call_sid, recording.sid, exc)
        raise MediaUnavailable("Recording storage is unavailable, try again later") from None
    if recording.local_path:
        Path(recording.local_path).unlink(missing_ok=True)
    recording.status = "deleted"
    recording.storage_key = None
    recording.local_path = None
    recording.date_updated = utcnow()


def _remove_objects(storage: Storage, recording: Recording) -> None:
    for fmt in FORMATS:
        storage.delete(media_key(recording, fmt))


# --- status callbacks --------------------------------------------------------------------------------

def subscribed_events(recording: Recording) -> set[str]:
    return set((recording.status_callback_events or "completed").replace(",", " ").split())


def callback_params(settings: Settings, recording: Recording) -> dict[str, str]:
    """Parameters of a recording status callback, as Twilio sends them."""
    params = {
        "AccountSid": recording.account_sid,
        "CallSid": recording.call_sid or "",
        "RecordingSid": recording.sid,
        "RecordingUrl": recording_url(settings, recording),
        "RecordingStatus": recording.status,
        "RecordingChannels": str(recording.channels or 1),
        "RecordingSource": recording.source,
    }
    if recording.duration is not None:
        params["RecordingDuration"] = str(recording.duration)
    if recording.start_time is not None:
        params["RecordingStartTime"] = format_datetime(recording.start_time.astimezone(timezone.utc))
    if recording.conference_sid:
        params["ConferenceSid"] = recording.conference_sid
    if recording.error_code:  # failed, or absent (too short, silent)
        params["ErrorCode"] = str(recording.error_code)
    return params


def status_callback_request(settings: Settings, account: Account, recording: Recording) -> WebhookRequest | None:
    """The callback the recording's current status triggers, if its app asked for that event."""
    event = CALLBACK_EVENT.get(recording.status)
    if not recording.status_callback or event not in subscribed_events(recording):
        return None
    return WebhookRequest(url=recording.status_callback, method=(recording.status_callback_method or "POST").upper(),
                          params=callback_params(settings, recording), account_sid=recording.account_sid,
                          purpose="recording-status-callback", resource_sid=recording.sid,
                          auth_token=account.auth_token)


def notify_status(connection: redis.Redis, settings: Settings, session: Session, recording: Recording):
    """Queue the status callback for the recording's current status (in order per recording); None if the
    app did not ask for it. The voice engine calls this for in-progress and absent too."""
    request = status_callback_request(settings, session.get(Account, recording.account_sid), recording)
    if request is None:
        return None
    return enqueue(connection, request, settings.webhook_retry_intervals, order_key=recording.sid)
