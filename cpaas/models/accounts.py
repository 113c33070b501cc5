"""Accounts (tenants, with subaccounts) and API keys."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cpaas.models.base import Base, Timestamps, sid_column

ACCOUNT_STATUSES = ("active", "suspended", "closed")


def new_auth_token() -> str:
    return secrets.token_hex(16)


def hash_secret(secret: str) -> str:
    # Secrets are 256 random bits, so a fast unsalted digest is safe and keeps auth cheap per request.
    return hashlib.sha256(secret.encode()).hexdigest()


class Account(Timestamps, Base):
    __tablename__ = "accounts"

    sid: Mapped[str] = sid_column("AC")
    friendly_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Shown again in the Account resource (Twilio does), so it cannot be stored hashed.
    auth_token: Mapped[str] = mapped_column(String(32), default=new_auth_token)
    owner_account_sid: Mapped[str | None] = mapped_column(ForeignKey("accounts.sid"), index=True)

    @property
    def is_subaccount(self) -> bool:
        return self.owner_account_sid is not None


class ApiKey(Timestamps, Base):
    """A credential for an account: SK sid + secret, the secret shown once and stored hashed."""

    __tablename__ = "api_keys"

    sid: Mapped[str] = sid_column("SK")
    account_sid: Mapped[str] = mapped_column(ForeignKey("accounts.sid"), index=True)
    friendly_name: Mapped[str] = mapped_column(String(64), default="")
    secret_hash: Mapped[str] = mapped_column(String(64))
