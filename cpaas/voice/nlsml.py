"""What a speech recognizer answered, from the body of FreeSWITCH's DETECTED_SPEECH event.

MRCP servers (through mod_unimrcp) and mod_pocketsphinx answer with NLSML (RFC 6787 section 9.6):
one or more <interpretation> elements, each with a confidence (0.0-1.0 in MRCPv2, 0-100 in MRCPv1
and pocketsphinx) and an <input> holding the words, or <noinput/> / <nomatch/>. When the server
sends no body at all, mod_unimrcp passes on just `Completion-Cause: 002`. Engines that are not
MRCP sometimes send the bare transcript; that is taken as it is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

# MRCPv2 Completion-Cause codes that mean "nothing was said" or "nothing matched".
_CAUSES = {"000": "success", "001": "no-match", "002": "no-input", "003": "recognition-timeout",
           "011": "cancelled", "015": "no-match"}
_COMPLETION_CAUSE = re.compile(r"^\s*Completion-Cause:\s*(\d{3})", re.IGNORECASE)


@dataclass(frozen=True)
class Recognition:
    text: str                 # the words recognized; "" when nothing was
    confidence: float = 0.0   # 0.0-1.0; 0.0 also when the engine did not say
    mode: str = "speech"      # speech | dtmf (an MRCP grammar can recognize keys too)
    outcome: str = "success"  # success | no-input | no-match | error

    @property
    def empty(self) -> bool:
        return not self.text


def parse(body: str | None) -> Recognition:
    body = (body or "").strip()
    if not body:
        return Recognition("", outcome="no-input")
    cause = _COMPLETION_CAUSE.match(body)
    if cause:
        outcome = _CAUSES.get(cause.group(1), "error")
        return Recognition("", outcome="no-match" if outcome == "success" else outcome)
    if not body.startswith("<"):
        return Recognition(" ".join(body.split()))
    try:
        root = ElementTree.fromstring(body.encode("utf-8"), forbid_dtd=True)
    except (DefusedXmlException, ElementTree.ParseError):
        return Recognition("", outcome="error")
    return _best(root)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element.iter() if _local(child.tag) == name]


def _best(root: Element) -> Recognition:
    """The interpretation with the highest confidence (the first of equals: servers list n-best in order)."""
    candidates = [_interpretation(i) for i in _children(root, "interpretation")]
    if not candidates:
        return Recognition("", outcome="no-match")
    spoken = [c for c in candidates if c.text]
    if not spoken:
        return candidates[0]
    return max(spoken, key=lambda c: c.confidence)


def _interpretation(element: Element) -> Recognition:
    inputs = _children(element, "input")
    source = inputs[0] if inputs else None
    if source is not None:
        if _children(source, "noinput"):
            return Recognition("", outcome="no-input")
        if _children(source, "nomatch"):
            return Recognition("", outcome="no-match")
    instance = _children(element, "instance")
    text = _text(source) or (_text(instance[0]) if instance else "")
    confidence = _confidence(element.get("confidence") or (source.get("confidence") if source is not None else None))
    mode = (source.get("mode") if source is not None else None) or "speech"
    return Recognition(text, confidence, mode, "success" if text else "no-match")


def _text(element: Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _confidence(value: str | None) -> float:
    try:
        number = float(value) if value is not None else 0.0
    except ValueError:
        return 0.0
    if number > 1.0:  # MRCPv1 and pocketsphinx: 0-100
        number /= 100.0
    return max(0.0, min(number, 1.0))
