"""The sandbox gateway: no carrier, deterministic outcomes, so the whole flow can be tried anywhere.

Every message is accepted and reported `delivered` after the configured delay,
except to the magic destination numbers below (in the spirit of Twilio's test
numbers; the table is documented in docs/messaging.md). The delivery report is not
called back over HTTP: it rides in `SendResult.scheduled_reports` and the job layer
applies it after its delay.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from cpaas.messaging import errors
from cpaas.messaging.gateways.base import (DELIVERED, FAILED, REPORT_STATUSES, UNDELIVERED, CallbackError,
                                           CallbackRequest, DeliveryReport, Gateway, InboundSms, OutboundSms,
                                           ScheduledReport, SendResult, normalize_number, require)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MagicNumber:
    """What happens to a message sent to this number."""

    at_send: str | None       # 'reject' (final) or 'retry' (temporary, every attempt), or None: accepted
    report: str = DELIVERED   # the delivery report status when accepted
    error_code: int | None = None
    error_message: str | None = None


MAGIC_NUMBERS: dict[str, MagicNumber] = {
    "+15005550001": MagicNumber("reject", error_code=errors.INVALID_TO,
                                error_message="The 'To' number is not a valid phone number"),
    "+15005550002": MagicNumber("reject", error_code=errors.NOT_SMS_REACHABLE,
                                error_message="The 'To' phone number is not currently reachable via SMS"),
    "+15005550004": MagicNumber("reject", error_code=errors.UNSUBSCRIBED,
                                error_message="The recipient has unsubscribed (replied STOP)"),
    "+15005550009": MagicNumber("reject", error_code=errors.NOT_MOBILE,
                                error_message="The 'To' number is not a mobile number"),
    "+15005550010": MagicNumber(None, UNDELIVERED, errors.UNREACHABLE_HANDSET, "Unreachable destination handset"),
    "+15005550011": MagicNumber(None, UNDELIVERED, errors.UNKNOWN_HANDSET, "Unknown destination handset"),
    "+15005550012": MagicNumber(None, FAILED, errors.CARRIER_REJECTED, "The carrier rejected the message"),
    "+15005550020": MagicNumber("retry", error_code=errors.QUEUE_OVERFLOW,
                                error_message="Sandbox gateway is busy (this number always is)"),
}


class SandboxGateway(Gateway):
    type = "sandbox"

    def send(self, sms: OutboundSms) -> SendResult:
        magic = MAGIC_NUMBERS.get(sms.to)
        if magic and magic.at_send == "reject":
            log.info("sms %s: sandbox %s rejects %s (%s)", sms.message_ref, self.name, sms.to, magic.error_code)
            return SendResult.reject(magic.error_code, magic.error_message)
        if magic and magic.at_send == "retry":
            log.info("sms %s: sandbox %s busy for %s", sms.message_ref, self.name, sms.to)
            return SendResult.retry(magic.error_code, magic.error_message)
        provider_id = f"sandbox-{uuid.uuid4().hex}"
        report = DeliveryReport(
            message_ref=sms.message_ref, status=magic.report if magic else DELIVERED,
            error_code=magic.error_code if magic else None, error_message=magic.error_message if magic else None,
            provider_id=provider_id, gateway=self.name)
        log.info("sms %s: sandbox %s accepted, reports %s in %gs", sms.message_ref, self.name, report.status,
                 self.config.options.delay)
        return SendResult.ok(provider_id, (ScheduledReport(self.config.options.delay, report),))

    def parse_delivery_report(self, request: CallbackRequest) -> DeliveryReport:
        """A report posted by hand (ref, status, error_code): lets tests and tools drive any outcome."""
        self.check_token(request)
        status = require(request, "status", self.name)
        if status not in REPORT_STATUSES:
            raise CallbackError(f"gateway {self.name}: status {status!r} is not one of {', '.join(REPORT_STATUSES)}")
        code = request.get("error_code")
        if code and not code.isdigit():
            raise CallbackError(f"gateway {self.name}: error_code {code!r} is not a number")
        return DeliveryReport(require(request, "ref", self.name), status, int(code) if code else None,
                              request.get("error_message") or None, gateway=self.name)

    def parse_inbound(self, request: CallbackRequest) -> InboundSms:
        """An injected inbound message, with Twilio's parameter names (From, To, Body)."""
        self.check_token(request)
        return InboundSms(
            from_=normalize_number(require(request, "From", self.name)),
            to=normalize_number(require(request, "To", self.name)),
            body=request.get("Body") or "",
            provider_id=request.get("MessageId") or f"sandbox-{uuid.uuid4().hex}",
            gateway=self.name)
