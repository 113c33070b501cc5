"""HTTP Basic auth (Account SID + auth token, or API Key SID + secret) and per-account rate limits."""
from __future__ import annotations

from flask import current_app, g, request

from cpaas.api.context import db_session, rate_limiter
from cpaas.api.twilio.errors import TwilioError, from_domain
from cpaas.models import Account
from cpaas.services.accounts import Principal, authenticate, visible_account_sid
from cpaas.services.errors import DomainError


def require_principal() -> None:
    """before_request for every Twilio blueprint."""
    creds = request.authorization
    principal = None
    if creds is not None and creds.type == "basic" and creds.username and creds.password:
        principal = authenticate(db_session(), creds.username, creds.password)
    if principal is None:
        _limit(f"ip:{request.remote_addr}")
        raise TwilioError(401, 20003, "Authenticate")
    g.principal = principal
    _limit(principal.account_sid)


def _limit(key: str) -> None:
    state = rate_limiter().hit(key)
    g.rate_limit = state
    if not state.allowed:
        current_app.logger.info("rate limit reached for %s", key)
        raise TwilioError(429, 20429, "Too Many Requests")


def principal() -> Principal:
    return g.principal


def authorize_account(account_sid: str) -> None:
    """A Twilio 404 unless the caller may act on the account in the URL.

    Most resources need only its SID, and checking the caller's own costs no query.
    """
    try:
        visible_account_sid(db_session(), g.principal, account_sid)
    except DomainError as exc:
        raise from_domain(exc) from None


def account_in_path(account_sid: str) -> Account:
    """The account named in the URL as a row, for the resources that read or change it."""
    authorize_account(account_sid)
    return db_session().get(Account, account_sid)
