"""Accounts and credentials: create, authenticate, scope what a caller may see, update."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cpaas.models import ACCOUNT_STATUSES, Account, ApiKey, hash_secret, is_sid, utcnow
from cpaas.services.errors import Forbidden, InvalidParameter, NotFound


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account acted for, and the API key used (if any)."""

    account: Account
    api_key_sid: str | None = None

    @property
    def account_sid(self) -> str:
        return self.account.sid


def create_account(session: Session, friendly_name: str, owner: Account | None = None) -> Account:
    if owner is not None and owner.is_subaccount:
        raise Forbidden("A subaccount cannot create subaccounts", field="FriendlyName")
    name = friendly_name or f"SubAccount Created at {utcnow():%Y-%m-%d %I:%M %p}"
    account = Account(friendly_name=name[:64], owner_account_sid=owner.sid if owner else None)
    session.add(account)
    session.flush()
    return account


def authenticate(session: Session, username: str, password: str) -> Principal | None:
    """Account SID + auth token, or API key SID + secret; None when wrong or not allowed."""
    if is_sid(username, "AC"):
        account = session.get(Account, username)
        if account and account.token_matches(password) and account.can_authenticate:
            return Principal(account)
    elif is_sid(username, "SK"):
        key = session.get(ApiKey, username)
        if key and key.secret_matches(password) and key.account.can_authenticate:
            return Principal(key.account, api_key_sid=key.sid)
    return None


def visible_account(session: Session, principal: Principal, sid: str) -> Account:
    """The account `sid` if the caller may act on it (itself or its subaccount); NotFound otherwise."""
    if sid == principal.account_sid:
        return principal.account
    account = session.get(Account, sid) if is_sid(sid, "AC") else None
    if account is None or account.owner_account_sid != principal.account_sid:
        raise NotFound(f"Account {sid} was not found")
    return account


def visible_accounts_query(principal: Principal, friendly_name: str | None = None, status: str | None = None):
    """The caller's own account and its subaccounts."""
    query = select(Account).where(or_(Account.sid == principal.account_sid,
                                      Account.owner_account_sid == principal.account_sid))
    if friendly_name is not None:
        query = query.where(Account.friendly_name == friendly_name)
    if status is not None:
        query = query.where(Account.status == status)
    return query


def update_account(principal: Principal, account: Account, friendly_name: str | None = None,
                   status: str | None = None) -> Account:
    if status is not None:
        _change_status(principal, account, status)
    if friendly_name is not None:
        account.friendly_name = friendly_name[:64]
    account.date_updated = utcnow()
    return account


def _change_status(principal: Principal, account: Account, status: str) -> None:
    if status not in ACCOUNT_STATUSES:
        raise InvalidParameter(f"Status must be one of {', '.join(ACCOUNT_STATUSES)}", field="Status")
    if account.sid == principal.account_sid and status != account.status:
        raise Forbidden("An account cannot change its own status; its parent account can", field="Status")
    if account.status == "closed" and status != "closed":
        raise InvalidParameter("A closed account cannot be reopened", field="Status")
    account.status = status


def create_api_key(session: Session, account: Account, friendly_name: str = "") -> tuple[ApiKey, str]:
    """A new key and its secret; the secret is returned once and only its hash is kept."""
    secret = secrets.token_urlsafe(24)
    key = ApiKey(account_sid=account.sid, friendly_name=friendly_name[:64], secret_hash=hash_secret(secret))
    session.add(key)
    session.flush()
    return key, secret


def bootstrap_account(session: Session, friendly_name: str = "Main account") -> tuple[Account, bool]:
    """The first main account, created on first run; returns (account, created)."""
    account = session.scalars(select(Account).where(Account.owner_account_sid.is_(None))
                              .order_by(Account.date_created).limit(1)).first()
    if account is not None:
        return account, False
    return create_account(session, friendly_name), True
