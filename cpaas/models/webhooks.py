"""Every webhook attempt we make, so a user can see why their webhook failed."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cpaas.models.base import Base, Timestamps, sid_column


class WebhookAttempt(Timestamps, Base):
    __tablename__ = "webhook_attempts"

    sid: Mapped[str] = sid_column("WA")
    account_sid: Mapped[str] = mapped_column(ForeignKey("accounts.sid"), index=True)
    #: The call or message the webhook is about (CA… or SM…), to find all attempts for one call.
    resource_sid: Mapped[str | None] = mapped_column(String(34), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # status-callback, voice-url, gather-action, ...
    url: Mapped[str] = mapped_column(String(1024))
    method: Mapped[str] = mapped_column(String(8))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(512))
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)
