"""How many SMS segments a message body costs, counted the way carriers count.

A body that fits the GSM 03.38 default alphabet (plus its extension table) travels
as 7-bit septets: 160 in a single SMS, 153 per part once the message needs a
concatenation header (the 6-octet UDH eats 7 septets). Anything else travels as
UCS-2: 70 UTF-16 code units alone, 67 per part. Two things are never cut in half
at a part boundary: an extension character (escape + code, 2 septets) and a
surrogate pair (a character outside the BMP, e.g. most emoji, 2 code units);
such a character moves whole to the next part, which can cost an extra segment.

Self-contained on purpose: the API imports it to fill `num_segments` and the
gateways import it to pick the data coding.
"""
from __future__ import annotations

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet, in code order 0x00..0x7F. 0x1B is the escape to the
# extension table, not a character, so it is left out (as "\x1b" never occurs in text).
_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM_BASIC_CHARS = frozenset(_GSM_BASIC) - {"\x1b"}
# Characters reached through the escape: each costs two septets.
GSM_EXTENSION_CHARS = frozenset("\f^{}\\[~]|€")

SINGLE_LIMITS = {GSM7: 160, UCS2: 70}
MULTIPART_LIMITS = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str
    """'GSM-7' or 'UCS-2'."""
    num_segments: int
    units: int
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the body needs, headers excluded."""
    per_segment: int
    """The limit each part was cut to: 160/153 for GSM-7, 70/67 for UCS-2."""

    @property
    def characters(self) -> int:
        """Alias of `units`, the figure SMS length counters show to users."""
        return self.units


def is_gsm7(body: str) -> bool:
    return all(ch in GSM_BASIC_CHARS or ch in GSM_EXTENSION_CHARS for ch in body)


def encoding_of(body: str) -> str:
    return GSM7 if is_gsm7(body) else UCS2


def unit_cost(ch: str, encoding: str) -> int:
    """Septets or UTF-16 code units one character takes in `encoding`."""
    if encoding == GSM7:
        return 2 if ch in GSM_EXTENSION_CHARS else 1
    return 2 if ord(ch) > 0xFFFF else 1


def split_segments(body: str) -> list[str]:
    """The parts a carrier would send, in order; one (possibly empty) part for a short body."""
    encoding = encoding_of(body)
    total = sum(unit_cost(ch, encoding) for ch in body)
    if total <= SINGLE_LIMITS[encoding]:
        return [body]
    limit = MULTIPART_LIMITS[encoding]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in body:
        cost = unit_cost(ch, encoding)
        if used + cost > limit:  # a 2-unit character never straddles a boundary
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    parts.append("".join(current))
    return parts


def segment(body: str) -> SegmentInfo:
    """Encoding, segment count and size of `body`; an empty body is still one SMS."""
    encoding = encoding_of(body)
    units = sum(unit_cost(ch, encoding) for ch in body)
    if units <= SINGLE_LIMITS[encoding]:
        return SegmentInfo(encoding, 1, units, SINGLE_LIMITS[encoding])
    return SegmentInfo(encoding, len(split_segments(body)), units, MULTIPART_LIMITS[encoding])
