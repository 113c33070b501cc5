"""Accounts and credentials: create, authenticate, scope what a caller may see, update."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from cpaas.models import ACCOUNT_STATUSES, Account, ApiKey, hash_secret, is_sid, utcnow
from cpaas.services.errors import Forbidden, InvalidParameter, NotFound


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account acted for, and the API key used (if any)."""

    account_sid: str
    api_key_sid: str | None = None


def create_account(session: Session, friendly_name: str, owner: Account | None = None) -> Account:
    if owner is not None and owner.is_subaccount:
        raise Forbidden("A subaccount cannot create subaccounts", field="FriendlyName")
    name = friendly_name or f"SubAccount Created at {utcnow():%Y-%m-%d %I:%M %p}"
    account = Account(friendly_name=name[:64], owner_account_sid=owner.sid if owner else None)
    session.add(account)
    session.flush()
    return account


_owner = aliased(Account)
# Every request authenticates, so credentials are read as one Core row (account or key, its
# account's status and its owner's): loading ORM objects cost more than the rest of the check.
_ACCOUNT_CREDENTIAL = (
    select(Account.sid, Account.auth_token.label("secret"), Account.status, _owner.status.label("owner_status"))
    .outerjoin(_owner, _owner.sid == Account.owner_account_sid)
    .where(Account.sid == bindparam("sid")))
_KEY_CREDENTIAL = (
    select(Account.sid, ApiKey.secret_hash.label("secret"), Account.status, _owner.status.label("owner_status"))
    .join(Account, Account.sid == ApiKey.account_sid)
    .outerjoin(_owner, _owner.sid == Account.owner_account_sid)
    .where(ApiKey.sid == bindparam("sid")))
_OWNER_OF = select(Account.owner_account_sid).where(Account.sid == bindparam("sid"))


def authenticate(session: Session, username: str, password: str) -> Principal | None:
    """Account SID + auth token, or API key SID + secret; None when wrong or not allowed.

    A suspended or closed account, or one whose owner is, cannot use the API.
    """
    if is_sid(username, "AC"):
        statement, presented, api_key_sid = _ACCOUNT_CREDENTIAL, password, None
    elif is_sid(username, "SK"):
        statement, presented, api_key_sid = _KEY_CREDENTIAL, hash_secret(password), username
    else:
        return None
    row = session.connection().execute(statement, {"sid": username}).first()
    if (row is None or not hmac.compare_digest(row.secret.encode(), presented.encode())
            or row.status != "active" or row.owner_status not in (None, "active")):
        return None
    return Principal(row.sid, api_key_sid)


def visible_account_sid(session: Session, principal: Principal, sid: str) -> str:
    """`sid` if the caller may act on that account (itself or its subaccount); NotFound otherwise."""
    if sid == principal.account_sid:
        return sid
    if not is_sid(sid, "AC") or session.scalar(_OWNER_OF, {"sid": sid}) != principal.account_sid:
        raise NotFound(f"Account {sid} was not found")
    return sid


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
