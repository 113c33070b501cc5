"""RQ jobs for SMS: send through the configured gateways, apply sandbox delivery reports, and answer
incoming messages by requesting the number's SmsUrl and running its Messaging TwiML.

A message is never lost or left in `sending`: a gateway that is down, busy or
broken is retried with backoff (SMS_SEND_ATTEMPTS, SMS_RETRY_BASE_DELAY,
SMS_RETRY_MAX_DELAY); when the attempts are spent, or the gateway refuses for
good, the message ends `failed` with the error code. A job that crashes (or whose
worker dies) runs `send_crashed`, which fails the message too.

Waits never block a worker: the per-number rate (SMS_RATE_LIMIT), a gateway's
throughput and retry backoff all reschedule the job on RQ's scheduler.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import timedelta

from rq import Callback, Queue

from cpaas.jobs import context
from cpaas.jobs.sms_twiml import Redirect, SendMessage, TwimlError, parse
from cpaas.messaging import errors
from cpaas.messaging.config import RetryPolicy
from cpaas.messaging.gateways.base import DeliveryReport, OutboundSms, SendResult
from cpaas.messaging.gateways.registry import GatewayRegistry, UnknownGateway
from cpaas.messaging.ratelimit import GatewayThroughput, NumberRateLimiter
from cpaas.messaging.sender import Deferred, SmsSender
from cpaas.models import Account, Message, PhoneNumber
from cpaas.models.messages import SENDING, SENT
from cpaas.services import messages
from cpaas.services.errors import DomainError
from cpaas.services.webhooks import WebhookRequest, record_attempt
from cpaas.services.webhooks import send as send_webhook

log = logging.getLogger("cpaas.sms")
QUEUE = messages.QUEUE
MAX_REDIRECTS = 10


@dataclass
class _Messaging:
    """The gateways and limiters of one worker process, built from its environment once."""

    registry: GatewayRegistry
    sender: SmsSender
    number_limiter: NumberRateLimiter
    retry: RetryPolicy


_built: tuple[context.JobContext, _Messaging] | None = None


def _messaging(ctx: context.JobContext) -> _Messaging:
    global _built
    if _built is None or _built[0] is not ctx:
        registry = GatewayRegistry.from_environ(messages.gateway_environ(), ctx.settings.public_base_url)
        _built = (ctx, _Messaging(registry, SmsSender(registry, GatewayThroughput(ctx.redis, registry.config)),
                                  NumberRateLimiter.from_config(ctx.redis, registry.config), registry.config.retry))
    return _built[1]


def _callbacks(ctx: context.JobContext) -> messages.Callbacks:
    return messages.Callbacks(ctx.redis, ctx.settings.webhook_retry_intervals)


# -- sending ---------------------------------------------------------------------------------
def send(message_sid: str, attempt: int = 1, number_slot: bool = False, gateway: str | None = None,
         gateway_slot: bool = False, not_before: float | None = None) -> str:
    """Job: one attempt at handing a message to its gateway. `number_slot`/`gateway_slot` say the
    rate-limit slots are already booked (a rescheduled run must not book them twice); `not_before`
    is the booked slot's time: RQ's scheduler counts whole seconds, so a job may start early."""
    if not_before is not None and time.time() < not_before:
        time.sleep(min(not_before - time.time(), 2.0))
    ctx = context.current()
    sms = _messaging(ctx)
    loaded = _load_outbound(ctx, message_sid)
    if isinstance(loaded, str):
        return loaded
    outbound, number_gateway = loaded
    gateway = gateway or number_gateway
    if not number_slot:
        wait = sms.number_limiter.reserve(outbound.from_)
        if wait > 0:
            log.info("%s: %s is over its send rate; sending in %.1fs", message_sid, outbound.from_, wait)
            _send_later(ctx, wait, message_sid, attempt, True, gateway, gateway_slot)
            return "rate-limited"
    try:
        chosen = sms.registry.get(gateway) if gateway else sms.registry.for_sender(outbound.from_,
                                                                                  outbound.account_sid)
    except UnknownGateway as exc:
        return _finish(ctx, message_sid, SendResult.reject(errors.UNKNOWN_ERROR, str(exc)), attempt, gateway)
    with ctx.database.session() as session:
        messages.transition(session, _callbacks(ctx), message_sid, SENDING)
        messages.record_gateway(session, message_sid, gateway=chosen.name, send_attempts=attempt)
    outcome = sms.sender.send(outbound, gateway=chosen.name, slot_booked=gateway_slot)
    if isinstance(outcome, Deferred):
        _send_later(ctx, outcome.delay, message_sid, attempt, True, chosen.name, True)
        return "deferred"
    return _finish(ctx, message_sid, outcome, attempt, chosen.name)


def _load_outbound(ctx: context.JobContext, message_sid: str) -> tuple[OutboundSms, str | None] | str:
    """The message as the gateway sees it and its number's own gateway, or why there is nothing to send."""
    with ctx.database.session() as session:
        message = session.get(Message, message_sid)
        if message is None:
            log.warning("%s: not found (deleted?); nothing to send", message_sid)
            return "missing"
        if not message.in_flight:
            return f"already {message.status}"
        outbound = OutboundSms(message.sid, message.from_, message.to, message.body, message.account_sid,
                               tuple(message.media_urls), message.validity_period)
        number = session.get(PhoneNumber, message.phone_number_sid) if message.phone_number_sid else None
        return outbound, number.sms_gateway if number else None


def _finish(ctx: context.JobContext, message_sid: str, outcome: SendResult, attempt: int,
            gateway: str | None) -> str:
    callbacks = _callbacks(ctx)
    if outcome.accepted:
        with ctx.database.session() as session:
            if outcome.provider_id:
                messages.record_gateway(session, message_sid, provider_id=outcome.provider_id)
            messages.transition(session, callbacks, message_sid, SENT)
        for scheduled in outcome.scheduled_reports:
            _queue(ctx).enqueue_in(timedelta(seconds=scheduled.delay), apply_report, asdict(scheduled.report),
                                   description=f"report {message_sid}")
        return "sent"
    if outcome.retryable:
        delay = _messaging(ctx).retry.delay_after(attempt)
        if delay is not None:
            log.info("%s: attempt %d through %s failed (%s), retrying in %gs", message_sid, attempt, gateway,
                     outcome.error_message, delay)
            _send_later(ctx, delay, message_sid, attempt + 1, True, gateway, False)
            return "retrying"
        outcome = outcome.as_final()
        log.warning("%s: giving up after %d attempt(s) through %s", message_sid, attempt, gateway)
    with ctx.database.session() as session:
        messages.fail_unsent(session, callbacks, message_sid, outcome.error_code or errors.UNKNOWN_ERROR,
                             outcome.error_message or "")
    return "failed"


def send_crashed(job, connection, exc_type, exc_value, _traceback) -> None:
    """RQ failure callback of `send` (an exception, or a worker that died mid-job)."""
    message_sid = job.args[0]
    log.error("%s: send job crashed: %s: %s", message_sid, getattr(exc_type, "__name__", exc_type), exc_value)
    ctx = context.current()
    with ctx.database.session() as session:
        messages.fail_unsent(session, _callbacks(ctx), message_sid, errors.UNKNOWN_ERROR,
                             "internal error while sending")


def _send_later(ctx: context.JobContext, delay: float, *args) -> None:
    queue = _queue(ctx)
    kwargs = {"on_failure": Callback(send_crashed), "description": f"send {args[0]}"}
    if delay <= 0:
        queue.enqueue(send, *args, **kwargs)
    else:
        queue.enqueue_in(timedelta(seconds=delay), send, *args, not_before=time.time() + delay, **kwargs)


def _queue(ctx: context.JobContext) -> Queue:
    return Queue(QUEUE, connection=ctx.redis)


def apply_report(report: dict) -> str:
    """Job: a delivery report the gateway gave us in advance (the sandbox), due now."""
    ctx = context.current()
    with ctx.database.session() as session:
        moved = messages.apply_report(session, _callbacks(ctx), DeliveryReport(**report))
    return moved.status if moved else "ignored"


# -- inbound ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Inbound:
    sid: str
    account_sid: str
    from_: str
    to: str
    auth_token: str
    params: dict


def handle_inbound(message_sid: str) -> str:
    """Job: request the receiving number's SmsUrl (its fallback when that fails) and run the reply."""
    ctx = context.current()
    with ctx.database.session() as session:
        message = session.get(Message, message_sid)
        number = session.get(PhoneNumber, message.phone_number_sid) if message and message.phone_number_sid else None
        if message is None or number is None or not number.sms_url:
            log.info("%s: no SmsUrl to request", message_sid)
            return "no-sms-url"
        inbound = _Inbound(message.sid, message.account_sid, message.from_, message.to,
                           session.get(Account, message.account_sid).auth_token, messages.inbound_params(message))
        candidates = [(number.sms_url, number.sms_method)]
        if number.sms_fallback_url:
            candidates.append((number.sms_fallback_url, number.sms_fallback_method))
    verbs = _document(ctx, inbound, candidates, "sms-url")
    for _ in range(MAX_REDIRECTS + 1):
        if verbs is None:
            return "no-document"
        redirect = None
        for verb in verbs:
            if isinstance(verb, SendMessage):
                _reply(ctx, inbound, verb)
            else:
                redirect = verb
        if redirect is None:
            return "done"
        verbs = _document(ctx, inbound, [(redirect.url, redirect.method)], "sms-redirect")
    log.warning("%s: more than %d redirects; stopped", message_sid, MAX_REDIRECTS)
    return "too-many-redirects"


def _document(ctx, inbound: _Inbound, candidates, purpose: str) -> list[SendMessage | Redirect] | None:
    """The verbs of the first candidate URL that answers with valid TwiML (Twilio's fallback rule)."""
    for url, method in candidates:
        request = WebhookRequest(url=url, method=method, params=inbound.params, account_sid=inbound.account_sid,
                                 purpose=purpose, resource_sid=inbound.sid, auth_token=inbound.auth_token)
        response = send_webhook(request, ctx.settings.webhook_timeout)
        with ctx.database.session() as session:
            record_attempt(session, request, response, 1)
        if not response.ok:
            log.warning("%s: %s %s failed (11200: %s)", inbound.sid, method, url, response.error)
            continue
        try:
            return parse(response.body, response.final_url or url)
        except TwimlError as exc:
            log.warning("%s: %s answered invalid TwiML (12100: %s)", inbound.sid, url, exc)
    return None


def _reply(ctx, inbound: _Inbound, verb: SendMessage) -> None:
    """<Message>: to the sender and from the number written to, unless the verb says otherwise."""
    with ctx.database.session() as session:
        try:
            reply = messages.create_outbound(
                session, inbound.account_sid, verb.to or inbound.from_, verb.from_ or inbound.to, verb.body,
                status_callback=verb.status_callback, status_callback_method=verb.status_callback_method,
                media_urls=verb.media, direction="outbound-reply", parent_sid=inbound.sid)
        except DomainError as exc:
            log.warning("%s: <Message> not sent (14101): %s", inbound.sid, exc.message)
            return
        reply_sid = reply.sid
    messages.queue_send(ctx.redis, reply_sid)
