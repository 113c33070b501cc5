"""The canonical message (SMS/MMS), outbound or inbound, and its status machine.

Outbound: queued → sending → sent → delivered | undelivered | failed (failed may
also come straight from queued/sending when the gateway refuses or retries run
out). Inbound: received. Delivery reports only ever move a message forward
(cpaas.messaging.statuses.report_applies); `advance` here enforces the same order
for the job layer's own transitions.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cpaas.models.base import Base, Timestamps, sid_column

QUEUED, SENDING, SENT = "queued", "sending", "sent"
DELIVERED, UNDELIVERED, FAILED, RECEIVED = "delivered", "undelivered", "failed", "received"
OUTBOUND_STATUSES = (QUEUED, SENDING, SENT, DELIVERED, UNDELIVERED, FAILED)
FINAL_STATUSES = (DELIVERED, UNDELIVERED, FAILED, RECEIVED)
MESSAGE_STATUSES = OUTBOUND_STATUSES + (RECEIVED,)
#: outbound-api: REST API; outbound-reply: Messaging TwiML answering an inbound message;
#: outbound-call: <Message>/<Sms> inside a call's TwiML.
DIRECTIONS = ("inbound", "outbound-api", "outbound-reply", "outbound-call")

_ORDER = {QUEUED: 0, SENDING: 1, SENT: 2, DELIVERED: 3, UNDELIVERED: 3, FAILED: 3, RECEIVED: 3}


def statuses_before(status: str) -> tuple[str, ...]:
    """The statuses a message may move to `status` from: every earlier, not yet final one.

    Used as a compare-and-set condition (`UPDATE … WHERE status IN (…)`) so a worker and a
    delivery report racing on one message can never move it backwards.
    """
    return tuple(s for s in MESSAGE_STATUSES if s not in FINAL_STATUSES and _ORDER[s] < _ORDER[status])


class Message(Timestamps, Base):
    __tablename__ = "messages"
    # Lists page newest first within an account (keyset on date_created, sid): one index range scan.
    __table_args__ = (Index("ix_messages_account_newest", "account_sid", "date_created", "sid"),
                      Index("ix_messages_account_to_newest", "account_sid", "to", "date_created", "sid"),
                      Index("ix_messages_account_from_newest", "account_sid", "from", "date_created", "sid"))

    sid: Mapped[str] = sid_column("SM")
    account_sid: Mapped[str] = mapped_column(ForeignKey("accounts.sid"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    to: Mapped[str] = mapped_column(String(256), index=True)
    from_: Mapped[str] = mapped_column("from", String(256), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    num_segments: Mapped[int] = mapped_column(Integer, default=1)
    #: JSON list of MediaUrls (stored; only gateways that can carry MMS pass them on).
    media_urls_json: Mapped[str] = mapped_column("media_urls", Text, default="[]")
    status: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(String(512))
    date_sent: Mapped[datetime | None] = mapped_column(index=True)
    status_callback: Mapped[str | None] = mapped_column(String(1024))
    status_callback_method: Mapped[str] = mapped_column(String(8), default="POST")
    validity_period: Mapped[int | None] = mapped_column(Integer)
    phone_number_sid: Mapped[str | None] = mapped_column(String(34))
    #: The inbound message (SM…) or call (CA…) whose TwiML produced this one.
    parent_sid: Mapped[str | None] = mapped_column(String(34), index=True)
    gateway: Mapped[str | None] = mapped_column(String(64))
    provider_id: Mapped[str | None] = mapped_column(String(128), index=True)
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def media_urls(self) -> list[str]:
        return json.loads(self.media_urls_json or "[]")

    @media_urls.setter
    def media_urls(self, urls) -> None:
        self.media_urls_json = json.dumps(list(urls))

    @property
    def num_media(self) -> int:
        return len(self.media_urls)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def in_flight(self) -> bool:
        """Still owned by the send job: deleting it now would lose track of a message on its way."""
        return self.status in (QUEUED, SENDING)

    def advance(self, status: str) -> bool:
        """Move forward only; the first final status stands. True when the status changed."""
        if status not in MESSAGE_STATUSES:
            raise ValueError(f"unknown message status {status!r}")
        if self.is_final or _ORDER[status] <= _ORDER[self.status]:
            return False
        self.status = status
        return True
