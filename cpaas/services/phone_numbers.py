"""Phone numbers: normalised to E.164 with libphonenumber, owned by one account each."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cpaas.models import Account, PhoneNumber, utcnow
from cpaas.services.errors import Conflict, InvalidParameter, NotFound


def to_e164(number: str, region: str | None = None, field: str = "PhoneNumber") -> str:
    """'+1 (555) 123-0000' -> '+15551230000'; national formats need `region` (ISO country)."""
    e164 = _e164(number, region)
    if e164 is None:
        raise InvalidParameter(f"{number!r} is not a valid phone number", reason="invalid_number", field=field)
    return e164


@lru_cache(maxsize=16384)
def _e164(number: str, region: str | None) -> str | None:
    # libphonenumber's parse costs ~0.1 ms and Calls.create needs three: the same few From/To
    # numbers come back all day, so their answers are kept.
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def add_number(session: Session, account: Account, number: str, **fields) -> PhoneNumber:
    e164 = to_e164(number)
    if session.scalar(select(PhoneNumber.sid).where(PhoneNumber.phone_number == e164)):
        raise Conflict(f"{e164} is already assigned", reason="number_taken", field="PhoneNumber")
    fields = {k: (v.upper() if k.endswith("_method") and v else v) for k, v in fields.items() if v is not None}
    phone_number = PhoneNumber(account_sid=account.sid, phone_number=e164,
                               friendly_name=fields.pop("friendly_name", None) or _friendly(e164), **fields)
    session.add(phone_number)
    session.flush()
    return phone_number


def _friendly(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)


def numbers_query(account_sid: str, phone_number: str | None = None, friendly_name: str | None = None):
    """An account's numbers; `phone_number` may be partial and use '*' as a wildcard, as in Twilio."""
    query = select(PhoneNumber).where(PhoneNumber.account_sid == account_sid)
    if phone_number:
        pattern = phone_number.replace("%", "").replace("_", "").replace("*", "%")
        query = query.where(PhoneNumber.phone_number.like(pattern if "%" in pattern else f"%{pattern}%"))
    if friendly_name is not None:
        query = query.where(PhoneNumber.friendly_name == friendly_name)
    return query


def find_number(session: Session, account_sid: str, sid: str) -> PhoneNumber:
    number = session.get(PhoneNumber, sid)
    if number is None or number.account_sid != account_sid:
        raise NotFound(f"Phone number {sid} was not found")
    return number


def number_for_inbound(session: Session, e164: str) -> PhoneNumber | None:
    """The number a call or message to `e164` belongs to, if any account owns it."""
    return session.scalars(select(PhoneNumber).where(PhoneNumber.phone_number == e164)).first()


# Built once (every inbound call asks): building a statement costs more than SQLite takes to run it.
_VOICE_ROUTE = (select(PhoneNumber.sid, PhoneNumber.account_sid, Account.auth_token, PhoneNumber.voice_url,
                       PhoneNumber.voice_method, PhoneNumber.voice_fallback_url, PhoneNumber.voice_fallback_method,
                       PhoneNumber.status_callback, PhoneNumber.status_callback_method)
                .join(Account, Account.sid == PhoneNumber.account_sid)
                .where(PhoneNumber.phone_number == bindparam("number")))


def voice_route(session: Session, e164: str):
    """What an inbound call to `e164` needs of its number (sid, account_sid, auth_token, voice_url,
    voice_method, voice_fallback_url, voice_fallback_method, status_callback,
    status_callback_method), or None when no account owns it. One Core row: loading the
    PhoneNumber entity through the ORM cost the controller a tenth of each call's set-up."""
    return session.connection().execute(_VOICE_ROUTE, {"number": e164}).first()


def update_number(number: PhoneNumber, **fields) -> PhoneNumber:
    for name, value in fields.items():
        if name.endswith("_method") and value:
            value = value.upper()
        setattr(number, name, value)
    number.date_updated = utcnow()
    return number
