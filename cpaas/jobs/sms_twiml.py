"""Messaging TwiML: the reply an app gives to an incoming message, parsed into plain verbs.

    <Response>
      <Message to="+1555…" from="+1555…" action="/status" method="POST">Hello</Message>
      <Message><Body>Look</Body><Media>https://example.org/cat.jpg</Media></Message>
      <Redirect method="GET">/next</Redirect>
    </Response>

`<Message action>` is where the new message's status callbacks go (Twilio's current
meaning; `statusCallback` is the older name and is used when there is no action).
`<Redirect>` fetches another document and ends this one. An empty `<Response/>`
sends nothing. XML is parsed with defusedxml: entity expansion and external
references in an app's reply are refused, not followed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

log = logging.getLogger("cpaas.sms.twiml")


class TwimlError(ValueError):
    """The reply is not a Messaging TwiML document (Twilio's 12100)."""


@dataclass(frozen=True)
class SendMessage:
    body: str
    media: tuple[str, ...] = ()
    to: str | None = None
    from_: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str = "POST"


def parse(document: bytes | str, document_url: str) -> list[SendMessage | Redirect]:
    """The verbs to run, in order; relative URLs resolved against the document's URL."""
    if not (document.strip() if isinstance(document, str) else document.strip()):
        return []
    try:
        root = fromstring(document)
    except (ParseError, DefusedXmlException) as exc:
        raise TwimlError(f"not well-formed TwiML: {exc}") from None
    if root.tag != "Response":
        raise TwimlError(f"the root element is <{root.tag}>, not <Response>")
    verbs: list[SendMessage | Redirect] = []
    for element in root:
        if element.tag == "Message":
            verbs.append(_message(element, document_url))
        elif element.tag == "Redirect":
            verbs.append(_redirect(element, document_url))
            break  # a Redirect replaces the rest of the document
        else:
            log.warning("%s: <%s> is not a Messaging TwiML verb; skipped", document_url, element.tag)
    return verbs


def _message(element: Element, document_url: str) -> SendMessage:
    bodies = [element.text or ""] + [child.text or "" for child in element if child.tag == "Body"]
    media = tuple(url for url in (_resolve(document_url, (c.text or "").strip()) for c in element
                                  if c.tag == "Media") if url)
    action = element.get("action")
    callback = action or element.get("statusCallback")
    return SendMessage(body="".join(bodies).strip(), media=media, to=element.get("to") or None,
                       from_=element.get("from") or None,
                       status_callback=_resolve(document_url, callback) if callback else None,
                       status_callback_method=_method(element.get("method")) if action else "POST")


def _redirect(element: Element, document_url: str) -> Redirect:
    target = (element.text or "").strip()
    if not target:
        raise TwimlError("<Redirect> needs a URL")
    return Redirect(_resolve(document_url, target), _method(element.get("method")))


def _method(value: str | None) -> str:
    method = (value or "POST").upper()
    if method not in ("GET", "POST"):
        raise TwimlError(f"method {value!r} is not GET or POST")
    return method


def _resolve(document_url: str, url: str) -> str:
    return urljoin(document_url, url) if url else url
