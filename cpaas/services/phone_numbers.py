"""Phone numbers: normalised to E.164 with libphonenumber, owned by one account each."""
from __future__ import annotations

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from cpaas.models import Account, PhoneNumber
from cpaas.services.errors import Conflict, InvalidParameter


def to_e164(number: str, region: str | None = None, field: str = "PhoneNumber") -> str:
    """'+1 (555) 123-0000' -> '+15551230000'; national formats need `region` (ISO country)."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        raise InvalidParameter(f"{number!r} is not a valid phone number", reason="invalid_number",
                               field=field) from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidParameter(f"{number!r} is not a valid phone number", reason="invalid_number", field=field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def add_number(session: Session, account: Account, number: str, **fields) -> PhoneNumber:
    e164 = to_e164(number)
    if session.scalar(select(PhoneNumber.sid).where(PhoneNumber.phone_number == e164)):
        raise Conflict(f"{e164} is already assigned", reason="number_taken", field="PhoneNumber")
    phone_number = PhoneNumber(account_sid=account.sid, phone_number=e164,
                               friendly_name=fields.pop("friendly_name", None) or _friendly(e164), **fields)
    session.add(phone_number)
    session.flush()
    return phone_number


def _friendly(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)
