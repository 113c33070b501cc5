"""Recording a live call on request (the API's /Calls/{CA}/Recordings, or Calls.create Record=true).

The API writes the Recording row and sends a `record` command to the node holding the call; its
controller runs uuid_record (start, mask to pause, unmask to resume, stop) and, when the
recording stops or the call ends, hands the file to the storing job.
"""
from __future__ import annotations

import redis
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cpaas.config import Settings
from cpaas.models import Call, Conference, Recording, new_sid, utcnow
from cpaas.services.call_queue import send_command
from cpaas.services.errors import InvalidParameter, NotFound

LIVE = ("in-progress", "paused")
_OPERATION = {"paused": "mask", "in-progress": "unmask", "stopped": "stop"}


def new_recording(session: Session, settings: Settings, call: Call | None, source: str,
                  status_callback: str | None = None, status_callback_method: str = "POST",
                  status_callback_events: tuple[str, ...] = ("completed",), channels: int = 1,
                  conference: Conference | None = None) -> Recording:
    """The row of a live recording of `call` or `conference` (committed), its file under RECORDINGS_DIR."""
    settings.recordings_dir.mkdir(parents=True, exist_ok=True)
    sid = new_sid("RE")
    owner = call if call is not None else conference
    recording = Recording(sid=sid, account_sid=owner.account_sid, call_sid=call.sid if call else None,
                          conference_sid=conference.sid if conference else None, source=source,
                          status="in-progress", start_time=utcnow(), channels=channels,
                          local_path=str((settings.recordings_dir / f"{sid}.wav").resolve()),
                          status_callback=status_callback, status_callback_method=status_callback_method.upper(),
                          status_callback_events=" ".join(status_callback_events) or "completed")
    session.add(recording)
    session.commit()  # the controller reads it when the command arrives
    return recording


def start(session: Session, redis_client: redis.Redis, settings: Settings, call: Call, **options) -> Recording:
    """Start recording a call in progress (the API): the node's controller runs uuid_record."""
    if call.status != "in-progress":
        raise InvalidParameter("Cannot start a recording: the call is not in progress", reason="not_modifiable")
    recording = new_recording(session, settings, call, "StartCallRecordingAPI", **options)
    send_command(redis_client, call.node or "", call.sid, "record", recording=recording.sid, operation="start",
                 path=recording.local_path)
    return recording


def change(redis_client: redis.Redis, call: Call, recording: Recording, status: str) -> Recording:
    """Status=paused|in-progress|stopped on a live recording."""
    if recording.status not in LIVE:
        raise InvalidParameter(f"The recording is {recording.status}; only a live recording can change",
                               reason="not_modifiable")
    if status != "stopped":
        recording.status = status
    recording.date_updated = utcnow()
    send_command(redis_client, call.node or "", call.sid, "record", recording=recording.sid,
                 operation=_OPERATION[status], path=recording.local_path)
    return recording


def current(session: Session, call_sid: str) -> Recording:
    """Twilio.CURRENT: the call's live recording."""
    recording = session.scalars(select(Recording).where(Recording.call_sid == call_sid, Recording.status.in_(LIVE))
                                .order_by(Recording.date_created.desc())).first()
    if recording is None:
        raise NotFound("The call has no recording in progress")
    return recording


def calls_recording(session: Session, call_sids: list[str]) -> list[str]:
    """Those of `call_sids` with a recording still running."""
    return list(session.connection().execute(_CALLS_RECORDING, {"call_sids": call_sids}).scalars())


# Asked for every batch of hang-ups the controller writes: built once, and run on the connection
# (the ORM's execution path costs as much again for a column it would hand back as is).
_CALLS_RECORDING = (select(Recording.call_sid).distinct()
                    .where(Recording.call_sid.in_(bindparam("call_sids", expanding=True)), Recording.status.in_(LIVE)))


def live_recordings(session: Session, call_sid: str | None = None,
                    conference_sid: str | None = None) -> list[Recording]:
    owner = Recording.call_sid == call_sid if call_sid else Recording.conference_sid == conference_sid
    return list(session.scalars(select(Recording).where(owner, Recording.status.in_(LIVE))))
