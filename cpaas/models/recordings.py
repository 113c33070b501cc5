"""Recordings of calls: the media lives in storage (local folder or S3), the row says where and what."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cpaas.models.base import Base, Timestamps, sid_column

#: processing (being stored) -> completed | failed; absent: nothing was recorded; deleted.
RECORDING_STATUSES = ("in-progress", "paused", "stopped", "processing", "completed", "absent", "failed", "deleted")


class Recording(Timestamps, Base):
    __tablename__ = "recordings"
    # Lists page newest first within an account (keyset on date_created, sid): one index range scan.
    __table_args__ = (Index("ix_recordings_account_newest", "account_sid", "date_created", "sid"),)

    sid: Mapped[str] = sid_column("RE")
    account_sid: Mapped[str] = mapped_column(ForeignKey("accounts.sid"), index=True)
    call_sid: Mapped[str | None] = mapped_column(String(34), index=True)
    conference_sid: Mapped[str | None] = mapped_column(String(34), index=True)
    source: Mapped[str] = mapped_column(String(32))  # RecordVerb, DialVerb, Conference, OutboundAPI, ...
    status: Mapped[str] = mapped_column(String(16), default="processing")
    start_time: Mapped[datetime | None]
    duration: Mapped[int | None] = mapped_column(Integer)  # seconds
    channels: Mapped[int] = mapped_column(Integer, default=1)
    #: Where the WAV is now: a local path until stored, then the storage key.
    local_path: Mapped[str | None] = mapped_column(String(1024))
    storage_key: Mapped[str | None] = mapped_column(String(1024))
    error_code: Mapped[int | None] = mapped_column(Integer)
    status_callback: Mapped[str | None] = mapped_column(String(1024))
    status_callback_method: Mapped[str] = mapped_column(String(8), default="POST")
    status_callback_events: Mapped[str] = mapped_column(String(64), default="completed")
