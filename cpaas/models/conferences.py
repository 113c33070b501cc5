"""Conferences and their participants, kept in step with FreeSWITCH's conference events."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, synonym

from cpaas.models.base import Base, Timestamps, sid_column

CONFERENCE_STATUSES = ("init", "in-progress", "completed")
PARTICIPANT_STATUSES = ("queued", "connecting", "ringing", "connected", "complete", "failed")


class Conference(Timestamps, Base):
    """FreeSWITCH knows the conference by its sid (names are per account, sids are unique)."""

    __tablename__ = "conferences"
    # Lists page newest first within an account (keyset on date_created, sid): one index range scan.
    __table_args__ = (Index("ix_conferences_account_newest", "account_sid", "date_created", "sid"),)

    sid: Mapped[str] = sid_column("CF")
    account_sid: Mapped[str] = mapped_column(ForeignKey("accounts.sid"), index=True)
    friendly_name: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16), default="init", index=True)
    node: Mapped[str | None] = mapped_column(String(64))
    reason_conference_ended: Mapped[str | None] = mapped_column(String(64))
    call_sid_ending_conference: Mapped[str | None] = mapped_column(String(34))
    status_callback: Mapped[str | None] = mapped_column(String(1024))
    status_callback_method: Mapped[str] = mapped_column(String(8), default="POST")
    status_callback_events: Mapped[str] = mapped_column(String(128), default="")
    callback_sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: record="record-from-start": the conference is recorded from its start (a Recording of it).
    record: Mapped[bool] = mapped_column(default=False)

    def next_sequence(self) -> int:
        number = self.callback_sequence
        self.callback_sequence = number + 1
        return number


class Participant(Timestamps, Base):
    __tablename__ = "participants"

    conference_sid: Mapped[str] = mapped_column(ForeignKey("conferences.sid"), primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(34), primary_key=True)
    account_sid: Mapped[str] = mapped_column(ForeignKey("accounts.sid"), index=True)
    label: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="connecting")
    muted: Mapped[bool] = mapped_column(default=False)
    hold: Mapped[bool] = mapped_column(default=False)
    coaching: Mapped[bool] = mapped_column(default=False)
    start_conference_on_enter: Mapped[bool] = mapped_column(default=True)
    end_conference_on_exit: Mapped[bool] = mapped_column(default=False)
    beep: Mapped[str] = mapped_column(String(8), default="true")  # true | false | onEnter | onExit
    member_id: Mapped[str | None] = mapped_column(String(16))  # FreeSWITCH's Member-ID
    channel_uuid: Mapped[str | None] = mapped_column(String(64))
    #: Twilio names a participant by its call: paging and URIs use it as the sid.
    sid = synonym("call_sid")
