"""Kannel: send through smsbox's HTTP `sendsms`, read its delivery reports and inbound (MO) requests.

Sending: GET <URL>?username&password&from&to&text&charset=UTF-8&coding=0|2&dlr-mask&dlr-url.
The dlr-url carries our message ref, so each report maps back to its message without
storing Kannel's ids. Kannel replaces the %-codes in it when it calls us:
%d the report type, %A the SMSC's reply text, %i the smsc-id, %T the time, %F the SMSC's message id.

Inbound: smsbox's sms-service `get-url` (see `inbound_get_url`) calls us with
%p (sender) %P (our number) %b (the text) %c/%C (coding/charset) %I (Kannel's id) %i %T.
"""
from __future__ import annotations

import logging
import math
from datetime import datetime, timezone
from urllib.parse import unquote_to_bytes

import requests

from cpaas.messaging import errors
from cpaas.messaging.gateways import transport
from cpaas.messaging.gateways.base import (DELIVERED, FAILED, SENT, UNDELIVERED, CallbackError, CallbackRequest,
                                           DeliveryReport, Gateway, InboundSms, OutboundSms, SendResult,
                                           normalize_number, require)
from cpaas.services.sms_segments import UCS2, encoding_of

log = logging.getLogger(__name__)

# Kannel's DLR types (the %d value) -> (our status, error code).
DLR_TYPES = {
    1: (DELIVERED, None),                           # delivered to the phone
    2: (UNDELIVERED, errors.UNREACHABLE_HANDSET),   # the SMSC gave up delivering
    4: (SENT, None),                                # buffered at the SMSC (intermediate)
    8: (SENT, None),                                # the SMSC accepted it
    16: (FAILED, errors.CARRIER_REJECTED),          # the SMSC rejected it
}
CODING_7BIT, CODING_UCS2 = 0, 2
# smsbox answers a refused destination with 400 and this text (white-/black-lists, prefixes).
_DENIED = ("denied", "black-list", "white-list", "not allowed")


class KannelGateway(Gateway):
    type = "kannel"

    def __init__(self, config, public_base_url, session: requests.Session | None = None):
        super().__init__(config, public_base_url)
        self.options = config.options
        self._session = session or requests.Session()

    # -- sending ---------------------------------------------------------------------------
    def send(self, sms: OutboundSms) -> SendResult:
        response = transport.call(self._session, "get", self.config.url, params=self.sendsms_params(sms),
                                  timeout=self.config.timeout, message_ref=sms.message_ref, gateway=self.name)
        if isinstance(response, SendResult):
            return self._classify_refusal(response)
        # 202 "0: Accepted for delivery" or "3: Queued for later delivery" (no SMSC connected yet).
        if response.text.lstrip()[:2] in ("0:", "3:"):
            log.info("sms %s: accepted by kannel %s (%s)", sms.message_ref, self.name, response.text.strip())
            return SendResult.ok()
        return SendResult.reject(errors.UNKNOWN_ERROR,
                                 f"gateway {self.name} answered {response.status_code}: {response.text.strip()[:200]}")

    def sendsms_params(self, sms: OutboundSms) -> dict[str, str]:
        params = {
            "username": self.config.username,
            "password": self.config.password,
            "from": sms.from_,
            "to": sms.to,
            "text": sms.body,
            "charset": "UTF-8",
            "coding": str(CODING_UCS2 if encoding_of(sms.body) == UCS2 else CODING_7BIT),
        }
        if self.options.dlr_mask:
            params["dlr-mask"] = str(self.options.dlr_mask)
            params["dlr-url"] = self.dlr_url(sms.message_ref)
        if self.options.smsc:
            params["smsc"] = self.options.smsc
        if sms.validity_period:
            params["validity"] = str(max(1, math.ceil(sms.validity_period / 60)))  # Kannel counts minutes
        return params

    def dlr_url(self, message_ref: str) -> str:
        # The %-codes are Kannel's; our own values are plain [A-Za-z0-9] so they need no escaping.
        query = f"ref={message_ref}&type=%d&reply=%A&smsc=%i&ts=%T&id=%F" + self._token_query()
        return f"{self.callback_url('dlr')}?{query}"

    def inbound_get_url(self) -> str:
        """The get-url to put in Kannel's sms-service group (with `mo-recode = true` in the smsbox group)."""
        query = "from=%p&to=%P&text=%b&coding=%c&charset=%C&id=%I&smsc=%i&ts=%T" + self._token_query()
        return f"{self.callback_url('inbound')}?{query}"

    def _token_query(self) -> str:
        return f"&token={self.config.callback_token}" if self.config.callback_token else ""

    def _classify_refusal(self, result: SendResult) -> SendResult:
        """A destination Kannel's lists refuse is a carrier-style reject, not a broken gateway."""
        text = (result.error_message or "").lower()
        if not result.retryable and any(word in text for word in _DENIED):
            return SendResult.reject(errors.CARRIER_REJECTED, result.error_message)
        return result

    # -- callbacks -------------------------------------------------------------------------
    def parse_delivery_report(self, request: CallbackRequest) -> DeliveryReport:
        self.check_token(request)
        ref = require(request, "ref", self.name)
        raw_type = require(request, "type", self.name)
        try:
            status, code = DLR_TYPES[int(raw_type)]
        except (ValueError, KeyError):
            raise CallbackError(f"gateway {self.name}: unknown Kannel DLR type {raw_type!r}") from None
        reply = (request.get("reply") or "").strip() or None
        log.info("sms %s: kannel %s DLR type %s -> %s (%s)", ref, self.name, raw_type, status, reply)
        return DeliveryReport(
            message_ref=ref, status=status, error_code=code,
            error_message=f"Kannel DLR {raw_type}: {reply or 'no SMSC reply'}" if code else None,
            provider_id=request.get("id") or None, gateway=self.name)

    def parse_inbound(self, request: CallbackRequest) -> InboundSms:
        self.check_token(request)
        sender = normalize_number(require(request, "from", self.name))
        receiver = normalize_number(require(request, "to", self.name))
        return InboundSms(
            from_=sender, to=receiver, body=self._inbound_text(request),
            provider_id=request.get("id") or None, gateway=self.name,
            received_at=_timestamp(request.get("ts")), smsc=request.get("smsc") or None)

    def _inbound_text(self, request: CallbackRequest) -> str:
        charset = (request.get("charset") or "UTF-8").upper()
        if charset in ("UTF-8", "UTF8"):
            return request.get("text") or ""
        # %b is the raw message bytes: anything but UTF-8 must be read from the undecoded query.
        raw = _raw_param(request.raw_query, "text")
        if raw is None:
            raise CallbackError(f"gateway {self.name}: {charset} text needs the raw query string "
                                "(or set mo-recode = true in Kannel's smsbox group)")
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise CallbackError(f"gateway {self.name}: text is not valid {charset}: {exc}") from None


def _raw_param(raw_query: bytes | str | None, name: str) -> bytes | None:
    if raw_query is None:
        return None
    query = raw_query.decode("latin-1") if isinstance(raw_query, bytes) else raw_query
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == name:
            return unquote_to_bytes(value.replace("+", " "))
    return None


def _timestamp(value: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc) if value else None
    except (ValueError, OverflowError, OSError):
        return None

