"""Message use cases shared by the API, the gateway callbacks, the SMS jobs and the voice engine.

Outbound: `create_outbound` validates and writes a `queued` row; once that row is
committed, `queue_send` hands it to the SMS job (cpaas/jobs/sms.py), which moves it
along queued → sending → sent → delivered | undelivered | failed. Every change goes
through `transition`, a compare-and-set UPDATE, because a gateway's delivery report
(handled by the API) and the send job (a worker) race on the same row.

Inbound: `receive` stores a message that arrived for one of our numbers;
`queue_inbound` has a job request the number's SmsUrl and run the Messaging TwiML.

Status callbacks carry Twilio's parameter names and are signed with the account's
auth token, retried with backoff, and kept in order per message (cpaas/jobs/webhooks.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import phonenumbers
import redis
from rq import Callback, Queue
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cpaas.config import merged_environ
from cpaas.jobs.webhooks import enqueue as enqueue_webhook
from cpaas.messaging.gateways.base import DeliveryReport, InboundSms
from cpaas.messaging.statuses import report_applies
from cpaas.models import Account, Message, PhoneNumber, utcnow
from cpaas.models.messages import FAILED, RECEIVED, SENT, statuses_before
from cpaas.services.errors import Conflict, InvalidParameter, NotFound
from cpaas.services.phone_numbers import number_for_inbound, to_e164
from cpaas.services.sms_segments import segment
from cpaas.services.webhooks import WebhookRequest

log = logging.getLogger("cpaas.messages")
API_VERSION = "2010-04-01"
MAX_BODY_CHARACTERS = 1600
# RQ finds the job functions by name, so this module need not import the job module that imports it.
QUEUE = "sms"
SEND_JOB = "cpaas.jobs.sms.send"
SEND_CRASHED = "cpaas.jobs.sms.send_crashed"
INBOUND_JOB = "cpaas.jobs.sms.handle_inbound"
#: Statuses that trigger a status callback (queued is the creation, not a change).
CALLBACK_STATUSES = ("sending", "sent", "delivered", "undelivered", "failed")


def gateway_environ(dotenv: str | None = ".env") -> dict[str, str]:
    """Where the SMS_* gateway settings come from: the environment over `.env`, as load_settings reads."""
    return merged_environ(None, dotenv)


# -- outbound --------------------------------------------------------------------------------
def create_outbound(session: Session, account_sid: str, to: str | None, from_: str | None, body: str | None, *,
                    status_callback: str | None = None, status_callback_method: str = "POST",
                    media_urls=(), validity_period: int | None = None, direction: str = "outbound-api",
                    parent_sid: str | None = None) -> Message:
    """Validate and write a `queued` message (flushed, not committed). Raises InvalidParameter with
    reasons to_required, from_required, body_required, body_too_long, invalid_number (To),
    invalid_from, from_not_sms_capable, invalid_status_callback."""
    body = body or ""
    media_urls = [url for url in media_urls if url]
    if not to:
        raise InvalidParameter("A 'To' phone number is required.", reason="to_required", field="To")
    if not from_:
        raise InvalidParameter("A 'From' phone number is required.", reason="from_required", field="From")
    if not body and not media_urls:
        raise InvalidParameter("Message body is required.", reason="body_required", field="Body")
    if len(body) > MAX_BODY_CHARACTERS:
        raise InvalidParameter(f"The concatenated message body exceeds the {MAX_BODY_CHARACTERS} character limit.",
                               reason="body_too_long", field="Body")
    if status_callback and not _is_http_url(status_callback):
        raise InvalidParameter("The StatusCallback URL is not a valid URL.", reason="invalid_status_callback",
                               field="StatusCallback")
    sender = _sending_number(session, account_sid, from_)
    to_e = _destination(to, sender.phone_number)
    message = Message(account_sid=account_sid, direction=direction, to=to_e, from_=sender.phone_number, body=body,
                      num_segments=segment(body).num_segments if body else 1, status="queued",
                      status_callback=status_callback or None,
                      status_callback_method=(status_callback_method or "POST").upper(),
                      validity_period=validity_period, phone_number_sid=sender.sid, parent_sid=parent_sid)
    message.media_urls = media_urls
    session.add(message)
    session.flush()
    log.info("%s queued %s -> %s (%d segment(s), %s)", message.sid, message.from_, message.to,
             message.num_segments, direction)
    return message


def queue_send(redis_client: redis.Redis, message_sid: str) -> None:
    """Hand a committed message to the send job; a job that crashes marks the message failed."""
    Queue(QUEUE, connection=redis_client).enqueue(SEND_JOB, message_sid, on_failure=Callback(SEND_CRASHED),
                                                  description=f"send {message_sid}")


def send_message(session: Session, redis_client: redis.Redis, account_sid: str, to: str | None,
                 from_: str | None, body: str | None, status_callback: str | None = None, media=(), *,
                 status_callback_method: str = "POST", direction: str = "outbound-call",
                 parent_sid: str | None = None) -> Message:
    """Create and send in one call (the voice engine's <Message>/<Sms>): commits `session` so the
    send job can see the row, then queues it. Raises InvalidParameter as create_outbound does."""
    message = create_outbound(session, account_sid, to, from_, body, status_callback=status_callback,
                              status_callback_method=status_callback_method, media_urls=media,
                              direction=direction, parent_sid=parent_sid)
    session.commit()
    queue_send(redis_client, message.sid)
    return message


def _sending_number(session: Session, account_sid: str, from_: str) -> PhoneNumber:
    try:
        e164 = to_e164(from_, field="From")
    except InvalidParameter:
        raise InvalidParameter(f"The 'From' number {from_} is not a valid phone number.", reason="invalid_from",
                               field="From") from None
    number = session.scalars(select(PhoneNumber).where(PhoneNumber.phone_number == e164,
                                                       PhoneNumber.account_sid == account_sid)).first()
    if number is None or not number.sms_capable:
        raise InvalidParameter(f"The From phone number {e164} is not a valid, SMS-capable inbound phone number "
                               "or short code for your account.", reason="from_not_sms_capable", field="From")
    return number


def _destination(to: str, sender_e164: str) -> str:
    """E.164; a national number takes the sender's country, as Twilio does."""
    region = phonenumbers.region_code_for_country_code(phonenumbers.parse(sender_e164).country_code)
    try:
        return to_e164(to, region=None if to.startswith("+") else region, field="To")
    except InvalidParameter:
        raise InvalidParameter(f"The 'To' number {to} is not a valid phone number.", reason="invalid_number",
                               field="To") from None


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# -- status changes --------------------------------------------------------------------------
@dataclass(frozen=True)
class Callbacks:
    """Where status callbacks go: the Redis of the webhook queue and its retry intervals."""

    redis: redis.Redis
    retry_intervals: tuple[int, ...]


def transition(session: Session, callbacks: Callbacks, message_sid: str, status: str,
               error_code: int | None = None, error_message: str | None = None, **fields) -> Message | None:
    """Move a message to `status` only if it is still before it (atomically, whoever else writes);
    queue the status callback. Returns the updated message, or None when it did not move."""
    now = utcnow()
    values = dict(fields, status=status, date_updated=now)
    if status == SENT:
        values["date_sent"] = now
    if error_code is not None:
        values.update(error_code=error_code, error_message=(error_message or "")[:512] or None)
    result = session.execute(update(Message).where(Message.sid == message_sid,
                                                   Message.status.in_(statuses_before(status)))
                             .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    message = session.get(Message, message_sid, populate_existing=True)
    log.info("%s %s%s", message_sid, status, f" ({error_code}: {error_message})" if error_code else "")
    notify_status(session, callbacks, message)
    return message


def record_gateway(session: Session, message_sid: str, **fields) -> None:
    """Facts about the send that are true whatever the status: gateway, provider id, attempt count."""
    session.execute(update(Message).where(Message.sid == message_sid).values(**fields)
                    .execution_options(synchronize_session=False))


def apply_report(session: Session, callbacks: Callbacks, report: DeliveryReport) -> Message | None:
    """A gateway's delivery report: moves the message forward only (reports come late, twice, out of order)."""
    message = session.get(Message, report.message_ref)
    if message is None or message.direction == "inbound":
        log.warning("%s: delivery report %s from %s for no outbound message", report.message_ref, report.status,
                    report.gateway)
        return None
    if not report_applies(message.status, report.status):
        log.info("%s: %s report ignored (already %s)", message.sid, report.status, message.status)
        return None
    fields = {"provider_id": report.provider_id} if report.provider_id and not message.provider_id else {}
    return transition(session, callbacks, message.sid, report.status, report.error_code, report.error_message,
                      **fields)


def status_params(message: Message) -> dict[str, str]:
    params = {"MessageSid": message.sid, "SmsSid": message.sid, "MessageStatus": message.status,
              "SmsStatus": message.status, "AccountSid": message.account_sid, "From": message.from_,
              "To": message.to, "ApiVersion": API_VERSION}
    if message.error_code and message.status in ("failed", "undelivered"):
        params["ErrorCode"] = str(message.error_code)
    return params


def notify_status(session: Session, callbacks: Callbacks, message: Message) -> None:
    if not message.status_callback or message.status not in CALLBACK_STATUSES:
        return
    token = session.get(Account, message.account_sid).auth_token
    request = WebhookRequest(url=message.status_callback, method=message.status_callback_method,
                             params=status_params(message), account_sid=message.account_sid,
                             purpose="status-callback", resource_sid=message.sid, auth_token=token)
    enqueue_webhook(callbacks.redis, request, callbacks.retry_intervals, order_key=message.sid)


# -- the API's other operations --------------------------------------------------------------
def find_message(session: Session, account_sid: str, sid: str) -> Message:
    message = session.get(Message, sid)
    if message is None or message.account_sid != account_sid:
        raise NotFound(f"Message {sid} was not found")
    return message


def messages_query(account_sid: str, to: str | None = None, from_: str | None = None, sent_on=None,
                   sent_before=None, sent_after=None):
    """An account's messages; `sent_on` is a day [start, end), the bounds are inclusive."""
    query = select(Message).where(Message.account_sid == account_sid)
    if to:
        query = query.where(Message.to == to)
    if from_:
        query = query.where(Message.from_ == from_)
    if sent_on is not None:
        query = query.where(Message.date_sent >= sent_on[0], Message.date_sent < sent_on[1])
    if sent_before is not None:
        query = query.where(Message.date_sent <= sent_before)
    if sent_after is not None:
        query = query.where(Message.date_sent >= sent_after)
    return query


def redact(message: Message) -> Message:
    """Body="" as in Twilio: the text is gone for good, the record (status, numbers, segments) stays."""
    if message.in_flight:
        raise Conflict("Cannot redact a message that is still being sent", reason="in_flight", field="Body")
    message.body = ""
    message.date_updated = utcnow()
    log.info("%s redacted", message.sid)
    return message


def delete(session: Session, message: Message) -> None:
    if message.in_flight:
        raise Conflict("Cannot delete message because it is being sent", reason="in_flight")
    session.delete(message)
    log.info("%s deleted", message.sid)


# -- inbound ---------------------------------------------------------------------------------
def receive(session: Session, sms: InboundSms) -> tuple[Message | None, bool]:
    """Store a message that arrived from a gateway. (message, True) when new; (existing, False) when the
    gateway delivered the same one twice; (None, False) when no account owns the number it was sent to."""
    number = number_for_inbound(session, sms.to)
    if number is None and sms.to.isdigit():
        # SMSCs often write international numbers without the '+' (15551230000).
        number = number_for_inbound(session, "+" + sms.to)
    if number is None:
        log.warning("inbound SMS from %s to %s via %s (id %s): no account owns that number; dropped", sms.from_,
                    sms.to, sms.gateway, sms.provider_id or "-")
        return None, False
    if sms.provider_id and sms.gateway:
        existing = session.scalars(select(Message).where(Message.provider_id == sms.provider_id,
                                                         Message.gateway == sms.gateway,
                                                         Message.direction == "inbound")).first()
        if existing is not None:
            log.info("%s: duplicate delivery of %s from %s ignored", existing.sid, sms.provider_id, sms.gateway)
            return existing, False
    now = utcnow()
    message = Message(account_sid=number.account_sid, direction="inbound", to=number.phone_number, from_=sms.from_,
                      body=sms.body, num_segments=segment(sms.body).num_segments if sms.body else 1,
                      status=RECEIVED, date_sent=sms.received_at or now, phone_number_sid=number.sid,
                      gateway=sms.gateway, provider_id=sms.provider_id)
    message.media_urls = sms.media_urls
    session.add(message)
    session.flush()
    log.info("%s received from %s to %s via %s", message.sid, sms.from_, sms.to, sms.gateway)
    return message, True


def queue_inbound(redis_client: redis.Redis, message_sid: str) -> None:
    """Have a worker request the number's SmsUrl and run its reply (after the row is committed)."""
    Queue(QUEUE, connection=redis_client).enqueue(INBOUND_JOB, message_sid, description=f"inbound {message_sid}")


def inbound_params(message: Message) -> dict[str, str]:
    """The parameters of Twilio's incoming-message request to SmsUrl."""
    params = {"MessageSid": message.sid, "SmsSid": message.sid, "SmsMessageSid": message.sid,
              "AccountSid": message.account_sid, "MessagingServiceSid": "", "From": message.from_,
              "To": message.to, "Body": message.body, "NumMedia": str(message.num_media),
              "NumSegments": str(message.num_segments), "SmsStatus": "received", "ApiVersion": API_VERSION}
    for index, url in enumerate(message.media_urls):
        params[f"MediaUrl{index}"] = url
    return params


def fail_unsent(session: Session, callbacks: Callbacks, message_sid: str, error_code: int, error_message: str):
    """The last word on a message the send job could not finish: failed, never left queued or sending."""
    return transition(session, callbacks, message_sid, FAILED, error_code, error_message)

