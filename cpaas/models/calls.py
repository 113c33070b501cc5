"""The canonical call: one row whatever dialect created it, and its status machine."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import ForeignKey, Index, Integer, String, Text, bindparam, select, update
from sqlalchemy.orm import Mapped, mapped_column

from cpaas.models.base import Base, Timestamps, sid_column

# queued → initiated → ringing → in-progress → completed, or busy | no-answer | failed | canceled.
PROGRESS = ("queued", "initiated", "ringing", "in-progress")
TERMINAL = ("completed", "busy", "no-answer", "failed", "canceled")
STATUSES = PROGRESS + TERMINAL
DIRECTIONS = ("inbound", "outbound-api", "outbound-dial")

_BUSY = {"USER_BUSY"}
_NO_ANSWER = {"NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT"}
_CANCELED = {"ORIGINATOR_CANCEL", "LOSE_RACE"}


def status_for_hangup(cause: str | None, answered: bool, canceled_by_api: bool = False) -> str:
    """Map a FreeSWITCH hangup cause to the final call status (ARCHITECTURE.md, the canonical call)."""
    if answered:
        return "completed"
    if canceled_by_api or cause in _CANCELED:
        return "canceled"
    if cause in _BUSY:
        return "busy"
    if cause in _NO_ANSWER:
        return "no-answer"
    return "failed"


class CallLifecycle:
    """The status machine and callback bookkeeping of a call: the same for a Call row and for the
    lighter CallProgressRow that channel events are applied to."""

    @property
    def is_finished(self) -> bool:
        return self.status in TERMINAL

    def advance(self, status: str) -> bool:
        """Move forward in the status machine; a late or repeated event never moves a call back."""
        if status not in STATUSES:
            raise ValueError(f"unknown call status {status!r}")
        if self.is_finished or status == self.status:
            return False
        if status in PROGRESS and PROGRESS.index(status) < PROGRESS.index(self.status):
            return False
        self.status = status
        return True

    def next_sequence(self) -> int:
        """SequenceNumber for the next status callback (from 0)."""
        number = self.callback_sequence
        self.callback_sequence = number + 1
        return number

    def wants_callback(self, event: str) -> bool:
        return bool(self.status_callback) and event in self.status_callback_events.split()


class Call(CallLifecycle, Timestamps, Base):
    __tablename__ = "calls"
    # Lists page newest first within an account (keyset on date_created, sid): one index range scan.
    # The filters Twilio clients use most (To, From, Status) get their own newest-first range too.
    __table_args__ = (Index("ix_calls_account_newest", "account_sid", "date_created", "sid"),
                      Index("ix_calls_account_to_newest", "account_sid", "to", "date_created", "sid"),
                      Index("ix_calls_account_from_newest", "account_sid", "from", "date_created", "sid"),
                      Index("ix_calls_account_status_newest", "account_sid", "status", "date_created", "sid"))

    sid: Mapped[str] = sid_column("CA")
    #: None only for an inbound call to a number no account owns (kept so the operator sees it).
    account_sid: Mapped[str | None] = mapped_column(ForeignKey("accounts.sid"), index=True)
    parent_call_sid: Mapped[str | None] = mapped_column(String(34), index=True)
    phone_number_sid: Mapped[str | None] = mapped_column(String(34))
    direction: Mapped[str] = mapped_column(String(16))
    to: Mapped[str] = mapped_column(String(256), index=True)
    from_: Mapped[str] = mapped_column("from", String(256), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(64))
    forwarded_from: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    start_time: Mapped[datetime | None] = mapped_column(index=True)
    answer_time: Mapped[datetime | None]
    end_time: Mapped[datetime | None] = mapped_column(index=True)
    duration: Mapped[int | None] = mapped_column(Integer)
    answered_by: Mapped[str | None] = mapped_column(String(32))
    # What to run and where to report.
    url: Mapped[str | None] = mapped_column(String(1024))
    method: Mapped[str] = mapped_column(String(8), default="POST")
    fallback_url: Mapped[str | None] = mapped_column(String(1024))
    fallback_method: Mapped[str] = mapped_column(String(8), default="POST")
    twiml: Mapped[str | None] = mapped_column(Text)
    status_callback: Mapped[str | None] = mapped_column(String(1024))
    status_callback_method: Mapped[str] = mapped_column(String(8), default="POST")
    status_callback_events: Mapped[str] = mapped_column(String(64), default="completed")  # space-separated
    callback_sequence: Mapped[int] = mapped_column(Integer, default=0)
    timeout: Mapped[int] = mapped_column(Integer, default=60)
    time_limit: Mapped[int | None] = mapped_column(Integer)
    send_digits: Mapped[str | None] = mapped_column(String(64))
    #: Calls.create CallerId: the caller id to present instead of From (e.g. calling a SIP URI or client).
    caller_id: Mapped[str | None] = mapped_column(String(256))
    record: Mapped[bool] = mapped_column(default=False)
    recording_status_callback: Mapped[str | None] = mapped_column(String(1024))
    # Where the call lives and how it ended.
    node: Mapped[str | None] = mapped_column(String(64))
    channel_uuid: Mapped[str | None] = mapped_column(String(64), index=True)
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    sip_response_code: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(String(512))



class CallProgressRow(CallLifecycle):
    """A call as channel events see it: the columns they read (for the status callback) and may
    change, read and written with Core. Loading whole Call rows through the ORM and flushing them
    cost the controller's listener 70% more CPU per event.

    Only the columns an event changed are written, as the ORM would: another process may have
    changed the others (the API cancelling the call, or changing its StatusCallback) meanwhile.
    """

    READ = ("sid", "account_sid", "from_", "to", "direction", "forwarded_from", "caller_name", "parent_call_sid",
            "status_callback", "status_callback_method", "status_callback_events")
    CHANGED = ("status", "node", "channel_uuid", "start_time", "answer_time", "end_time", "duration",
               "hangup_cause", "sip_response_code", "callback_sequence", "error_code", "error_message",
               "date_updated")

    def __init__(self, row):
        """`row`: the values of READ + CHANGED, in that order."""
        self.__dict__.update(zip(self.READ + self.CHANGED, row))
        self._loaded = dict(zip(self.CHANGED, row[len(self.READ):]))

    def changes(self) -> dict:
        return {name: getattr(self, name) for name, before in self._loaded.items() if getattr(self, name) != before}


_PROGRESS_COLUMNS = [getattr(Call, name).label(name) for name in CallProgressRow.READ + CallProgressRow.CHANGED]
_PROGRESS_BY = {key: select(*_PROGRESS_COLUMNS).where(getattr(Call, key).in_(bindparam("keys", expanding=True)))
                for key in ("sid", "channel_uuid")}


def load_progress_rows(session, key: str, values) -> dict[str, CallProgressRow]:
    """The calls whose `key` (sid or channel_uuid) is one of `values`, by that value."""
    if not values:
        return {}
    rows = session.connection().execute(_PROGRESS_BY[key], {"keys": list(values)})
    calls = (CallProgressRow(row) for row in rows)
    return {getattr(call, key): call for call in calls}


def save_progress_rows(session, calls) -> None:
    """Write what changed in each CallProgressRow: one executemany per set of changed columns."""
    by_columns: dict[tuple[str, ...], list[dict]] = {}
    for call in calls:
        changes = call.changes()
        if changes:
            by_columns.setdefault(tuple(sorted(changes)), []).append({"call_sid": call.sid, **changes})
    connection = session.connection()
    for columns, rows in by_columns.items():
        connection.execute(_progress_update(columns), rows)


@lru_cache(maxsize=64)
def _progress_update(columns: tuple[str, ...]):
    table = Call.__table__
    return (update(table).where(table.c.sid == bindparam("call_sid"))
            .values({name: bindparam(name, type_=table.c[name].type) for name in columns}))
