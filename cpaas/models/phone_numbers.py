"""Phone numbers an account owns: where their calls and messages go."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cpaas.models.base import Base, Timestamps, sid_column


class PhoneNumber(Timestamps, Base):
    __tablename__ = "phone_numbers"

    sid: Mapped[str] = sid_column("PN")
    account_sid: Mapped[str] = mapped_column(ForeignKey("accounts.sid"), index=True)
    phone_number: Mapped[str] = mapped_column(String(32), unique=True)  # E.164
    friendly_name: Mapped[str] = mapped_column(String(64), default="")
    voice_url: Mapped[str | None] = mapped_column(String(1024))
    voice_method: Mapped[str] = mapped_column(String(8), default="POST")
    voice_fallback_url: Mapped[str | None] = mapped_column(String(1024))
    voice_fallback_method: Mapped[str] = mapped_column(String(8), default="POST")
    status_callback: Mapped[str | None] = mapped_column(String(1024))
    status_callback_method: Mapped[str] = mapped_column(String(8), default="POST")
    sms_url: Mapped[str | None] = mapped_column(String(1024))
    sms_method: Mapped[str] = mapped_column(String(8), default="POST")
    sms_fallback_url: Mapped[str | None] = mapped_column(String(1024))
    sms_fallback_method: Mapped[str] = mapped_column(String(8), default="POST")
    voice_capable: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_capable: Mapped[bool] = mapped_column(Boolean, default=True)
    mms_capable: Mapped[bool] = mapped_column(Boolean, default=False)
    fax_capable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Name of the SMS gateway for this number (None: the account's or the default gateway).
    sms_gateway: Mapped[str | None] = mapped_column(String(64))
