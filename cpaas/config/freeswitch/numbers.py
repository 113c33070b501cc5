"""Numbers per trunk format: how a carrier's numbers become E.164 (dialplan rules) and back (dial strings).

Country facts (calling code, trunk prefix, exit code) come from libphonenumber's metadata.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat

NUMBER_FORMATS = ("e164", "international", "national")
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")


@dataclass(frozen=True)
class NumberRule:
    """One inbound normalisation step: a regex on the number as the carrier sent it, and its E.164 rewrite.

    `replacement` uses FreeSWITCH's `$N` capture syntax: the dialplan applies it verbatim."""

    expression: str
    replacement: str


def calling_code(region: str) -> int:
    return _metadata(region).country_code


def inbound_rules(number_format: str, country: str | None) -> tuple[NumberRule, ...]:
    """How a number in `number_format` (To or From) becomes E.164, first match wins."""
    rules = [NumberRule(r"^\+([1-9][0-9]{6,14})$", "+$1")]
    if country:
        rules.extend(_international_prefix_rules(country))
    if number_format == "national":
        code = calling_code(country)
        prefix = _metadata(country).national_prefix or ""
        if prefix.isdigit():
            rules.append(NumberRule(rf"^{prefix}([1-9][0-9]{{3,13}})$", f"+{code}$1"))
        rules.append(NumberRule(r"^([1-9][0-9]{3,13})$", f"+{code}$1"))
    else:
        rules.append(NumberRule(r"^([1-9][0-9]{6,14})$", "+$1"))
    return tuple(rules)


def format_number(e164: str, style: str, country: str | None) -> str:
    """An E.164 number written the way a carrier in `style` wants it (national: as dialled in `country`)."""
    if not E164.match(e164):
        raise ValueError(f"{e164!r} is not an E.164 number")
    if style == "e164":
        return e164
    if style == "international":
        return e164[1:]
    number = phonenumbers.parse(e164)
    if number.country_code == calling_code(country):
        text = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    else:
        text = phonenumbers.format_out_of_country_calling_number(number, country)
    return re.sub(r"[^0-9]", "", text)


def _metadata(region: str) -> PhoneMetadata:
    return PhoneMetadata.metadata_for_region(region)


def _international_prefix_rules(region: str) -> list[NumberRule]:
    """`00…`/`011…` (the country's exit code, as libphonenumber knows it) means the rest is CC + number."""
    idd = _metadata(region).international_prefix
    if not idd:
        return []
    groups = re.compile(idd).groups
    return [NumberRule(rf"^(?:{idd})([1-9][0-9]{{6,14}})$", f"+${groups + 1}")]
