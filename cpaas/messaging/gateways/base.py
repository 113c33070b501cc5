"""The one interface every SMS gateway implements, and the plain values it trades in.

No models here: the job layer turns an outgoing Message row into an `OutboundSms`,
calls `Gateway.send`, and moves the row along the status machine from the
`SendResult`. Delivery reports and inbound messages reach the API as HTTP
requests; the API hands them over as a `CallbackRequest` and gets back a
`DeliveryReport` or an `InboundSms`.
"""
from __future__ import annotations

import hmac
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from cpaas.messaging.config import GatewayConfig
from cpaas.messaging.statuses import DELIVERED, FAILED, FINAL_STATUSES, REPORT_STATUSES, SENT, UNDELIVERED

__all__ = ["SENT", "DELIVERED", "UNDELIVERED", "FAILED", "REPORT_STATUSES", "FINAL_STATUSES", "OutboundSms",
           "DeliveryReport", "ScheduledReport", "SendResult", "InboundSms", "CallbackRequest", "CallbackError",
           "Gateway", "require", "normalize_number"]


@dataclass(frozen=True)
class OutboundSms:
    message_ref: str
    """Our id for the message (the MessageSid); gateways echo it back in delivery reports."""
    from_: str
    to: str
    body: str
    account_sid: str | None = None
    media_urls: tuple[str, ...] = ()
    validity_period: int | None = None
    """Seconds the carrier should keep trying (Twilio's ValidityPeriod); None = the gateway's default."""


@dataclass(frozen=True)
class DeliveryReport:
    message_ref: str
    status: str
    """One of REPORT_STATUSES."""
    error_code: int | None = None
    error_message: str | None = None
    provider_id: str | None = None
    gateway: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class ScheduledReport:
    """A delivery report the gateway already knows will follow, due `delay` seconds after the send."""

    delay: float
    report: DeliveryReport


@dataclass(frozen=True)
class SendResult:
    accepted: bool
    provider_id: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    retryable: bool = False
    """True when trying again later may succeed (gateway down, timeout, 5xx, busy)."""
    scheduled_reports: tuple[ScheduledReport, ...] = ()
    """Reports the caller must apply after their delay (only gateways without callbacks, i.e. the sandbox)."""

    @classmethod
    def ok(cls, provider_id: str | None = None, scheduled_reports: tuple[ScheduledReport, ...] = ()) -> "SendResult":
        return cls(True, provider_id=provider_id, scheduled_reports=scheduled_reports)

    @classmethod
    def retry(cls, error_code: int, error_message: str) -> "SendResult":
        return cls(False, error_code=error_code, error_message=error_message, retryable=True)

    @classmethod
    def reject(cls, error_code: int, error_message: str) -> "SendResult":
        return cls(False, error_code=error_code, error_message=error_message, retryable=False)

    def as_final(self) -> "SendResult":
        """The same failure, no longer retryable: what the job records once its attempts are spent."""
        return SendResult(False, self.provider_id, self.error_code, self.error_message, False)


@dataclass(frozen=True)
class InboundSms:
    from_: str
    to: str
    body: str
    provider_id: str | None = None
    gateway: str | None = None
    received_at: datetime | None = None
    media_urls: tuple[str, ...] = ()
    smsc: str | None = None


@dataclass(frozen=True)
class CallbackRequest:
    """What a gateway's HTTP request to us carried, independent of the web framework."""

    params: Mapping[str, str]
    """Query string and form fields merged (values already percent-decoded as UTF-8)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    """The parsed JSON body, when the request had one."""
    raw_query: bytes | str | None = None
    """The undecoded query string; needed only for text in a charset other than UTF-8."""

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value is None else str(value)


class CallbackError(ValueError):
    """A delivery report or inbound request we cannot accept; `status` is the HTTP answer to give."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class Gateway(ABC):
    """One configured gateway. Implementations never raise on a failed send: they return a SendResult."""

    type: str = ""

    def __init__(self, config: GatewayConfig, public_base_url: str):
        self.config = config
        self.name = config.name
        self.public_base_url = public_base_url.rstrip("/")

    @abstractmethod
    def send(self, sms: OutboundSms) -> SendResult:
        """Hand one message to the gateway."""

    @abstractmethod
    def parse_delivery_report(self, request: CallbackRequest) -> DeliveryReport:
        """Turn the gateway's delivery report request into a DeliveryReport (CallbackError if malformed)."""

    @abstractmethod
    def parse_inbound(self, request: CallbackRequest) -> InboundSms:
        """Turn the gateway's inbound (MO) request into an InboundSms (CallbackError if malformed)."""

    def callback_path(self, kind: str) -> str:
        """Where on our API this gateway calls back: kind is 'dlr' or 'inbound'."""
        return f"/sms/{self.type}/{self.name}/{kind}"

    def callback_url(self, kind: str) -> str:
        return self.public_base_url + self.callback_path(kind)

    def check_token(self, request: CallbackRequest) -> None:
        """Refuse callbacks without the configured shared token (anyone can reach a public URL)."""
        expected = self.config.callback_token
        if expected is None:
            return
        given = request.get("token") or ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise CallbackError(f"gateway {self.name}: callback token missing or wrong", status=403)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def require(request: CallbackRequest, name: str, gateway: str) -> str:
    value = request.get(name)
    if value is None or value == "":
        raise CallbackError(f"gateway {gateway}: parameter {name!r} is missing")
    return value


def normalize_number(number: str) -> str:
    """Carriers write international numbers as 00…; the rest of the product uses E.164 '+…'."""
    number = number.strip()
    if number.startswith("00") and number[2:].isdigit():
        return "+" + number[2:]
    return number
