"""Call use cases shared by the API and the voice engine: status changes and their callbacks.

Status callbacks carry Twilio's parameter names: Twilio's is the format call-control apps
speak, and a dialect with another format translates in its own layer.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cpaas.jobs.webhooks import enqueue
from cpaas.models import Account, Call, PhoneNumber, insert_row, on_commit, status_for_hangup, utcnow
from cpaas.models.calls import CallProgressRow
from cpaas.services.call_queue import enqueue_call, send_command, withdraw_call
from cpaas.services.errors import InvalidParameter
from cpaas.services.phone_numbers import to_e164
from cpaas.services.webhooks import WebhookRequest

log = logging.getLogger("cpaas.calls")
API_VERSION = "2010-04-01"
#: Twilio's StatusCallbackEvent names for the statuses that trigger them.
CALLBACK_EVENT = {"initiated": "initiated", "ringing": "ringing", "in-progress": "answered"}


def voice_params(call: Call | CallProgressRow) -> dict[str, str]:
    """The parameters of every voice request Twilio sends about a call."""
    caller, called = call.from_, call.to
    return {
        "CallSid": call.sid, "AccountSid": call.account_sid or "", "From": caller, "To": called,
        "Caller": caller, "Called": called, "CallStatus": call.status, "ApiVersion": API_VERSION,
        "Direction": call.direction, "ForwardedFrom": call.forwarded_from or "",
        "CallerName": call.caller_name or "", "ParentCallSid": call.parent_call_sid or "",
    }


@dataclass
class Progress:
    """What a channel event says about a call, in domain terms."""

    status: str
    at: datetime
    node: str | None = None
    channel_uuid: str | None = None
    hangup_cause: str | None = None
    answered: bool = False
    billsec: int | None = None
    sip_response_code: int | None = None
    canceled_by_api: bool = False


class CallEvents:
    """Applies status changes to Call rows and queues the status callbacks they trigger."""

    def __init__(self, redis_client: redis.Redis, retry_intervals: tuple[int, ...]):
        self.redis = redis_client
        self.retry_intervals = retry_intervals

    def apply(self, session: Session, call: Call | CallProgressRow, progress: Progress) -> bool:
        """Returns True when the call's status changed. `call` is a Call row, or the lighter
        CallProgressRow the controller's listener reads and writes with Core."""
        if progress.node and not call.node:
            call.node = progress.node
        if progress.channel_uuid and not call.channel_uuid:
            call.channel_uuid = progress.channel_uuid
        if progress.status == "ended":
            return self._end(session, call, progress)
        if not call.advance(progress.status):
            return False
        if progress.status == "initiated":
            call.start_time = call.start_time or progress.at
        elif progress.status == "in-progress":
            call.start_time = call.start_time or progress.at
            call.answer_time = progress.at
        call.date_updated = utcnow()
        self._notify(session, call, CALLBACK_EVENT.get(progress.status))
        return True

    def fail(self, session: Session, call: Call, cause: str | None, error_code: int | None = None,
             error_message: str | None = None) -> bool:
        """An originate that never produced a channel (BACKGROUND_JOB -ERR) or a call refused before it."""
        if error_code:
            call.error_code, call.error_message = error_code, (error_message or "")[:512]
        return self._end(session, call, Progress("ended", utcnow(), hangup_cause=cause))

    def _end(self, session: Session, call: Call | CallProgressRow, progress: Progress) -> bool:
        answered = progress.answered or call.answer_time is not None
        final = status_for_hangup(progress.hangup_cause, answered, progress.canceled_by_api)
        if not call.advance(final):
            return False
        call.end_time = progress.at
        call.hangup_cause = progress.hangup_cause
        call.sip_response_code = progress.sip_response_code or call.sip_response_code
        if answered:
            call.duration = progress.billsec if progress.billsec is not None else _seconds(call.answer_time,
                                                                                           progress.at)
        else:
            call.duration = 0
        call.date_updated = utcnow()
        log.info("%s %s (%s) after %ss", call.sid, call.status, progress.hangup_cause, call.duration)
        self._notify(session, call, "completed")
        return True

    def _notify(self, session: Session, call: Call | CallProgressRow, event: str | None) -> None:
        if event is None or not call.wants_callback(event):
            return
        params = voice_params(call)
        params.update(Timestamp=_rfc2822(utcnow()), CallbackSource="call-progress-events",
                      SequenceNumber=str(call.next_sequence()))
        if event == "completed":
            params["CallDuration"] = str(call.duration or 0)
            params["Duration"] = str(-(-(call.duration or 0) // 60))  # billed minutes, rounded up
            if call.sip_response_code:
                params["SipResponseCode"] = str(call.sip_response_code)
        if call.error_code:
            params.update(ErrorCode=str(call.error_code), ErrorMessage=call.error_message or "")
        token = session.get(Account, call.account_sid).auth_token
        request = WebhookRequest(url=call.status_callback, method=call.status_callback_method, params=params,
                                 account_sid=call.account_sid, purpose="status-callback", resource_sid=call.sid,
                                 auth_token=token)
        on_commit(session, lambda: enqueue(self.redis, request, self.retry_intervals, order_key=call.sid))


def _seconds(start: datetime | None, end: datetime) -> int:
    return max(int((end - start).total_seconds()), 0) if start else 0


def _rfc2822(moment: datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(moment)


# ---- creating and changing calls (API side) ---------------------------------------------------

CANCELABLE = ("queued", "initiated", "ringing")


@dataclass
class NewCall:
    to: str | None
    from_: str | None
    url: str | None = None
    twiml: str | None = None
    method: str = "POST"
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ()
    timeout: int = 60
    time_limit: int | None = None
    send_digits: str | None = None
    record: bool = False
    recording_status_callback: str | None = None
    caller_id: str | None = None


# Built once: building a statement costs more than SQLite takes to run it. Run on the connection:
# the ORM's execution path (loading a column it would hand back as is) doubled the query's cost.
_OWNED_NUMBER = select(PhoneNumber.sid).where(PhoneNumber.account_sid == bindparam("account_sid"),
                                              PhoneNumber.phone_number == bindparam("number"))


def create_call(session: Session, redis_client: redis.Redis, router, account_sid: str, request: NewCall) -> Call:
    """Validate, write the row `queued`, and queue it for a controller to dial."""
    call = prepare_call(session, router, account_sid, request)
    queue_call(session, redis_client, call)
    return call


def prepare_call(session: Session, router, account_sid: str, request: NewCall) -> Call:
    """Validate and write the row `queued`, uncommitted: rows that belong with the call (a conference
    participant) join the same transaction before queue_call makes them visible to the dialler."""
    if not request.to:
        raise InvalidParameter("A 'To' phone number is required.", reason="to_required", field="To")
    if not request.from_:
        raise InvalidParameter("A 'From' phone number is required.", reason="from_required", field="From")
    if not request.url and not request.twiml:
        raise InvalidParameter("Url or Twiml is required.", reason="url_required", field="Url")
    route = router.route(request.to, None)  # InvalidParameter (invalid_number) or NoRoute
    to = request.to if request.to.lower().startswith(("sip:", "sips:", "client:")) else to_e164(request.to, field="To")
    try:
        from_ = to_e164(request.from_, field="From")
    except InvalidParameter:
        raise InvalidParameter(f"The 'From' phone number {request.from_} is not a valid phone number.",
                               reason="invalid_from", field="From") from None
    owned = session.connection().execute(_OWNED_NUMBER, {"account_sid": account_sid, "number": from_}).scalar()
    if owned is None:
        raise InvalidParameter(f"The source phone number provided, {from_}, is not yet verified for your account.",
                               reason="from_not_owned", field="From")
    events = " ".join(e for e in request.status_callback_events if e in CALLBACK_EVENT.values() or e == "completed")
    call = Call(account_sid=account_sid, direction="outbound-api", to=to, from_=from_, status="queued",
                url=request.url, twiml=request.twiml, method=request.method.upper(),
                fallback_url=request.fallback_url, fallback_method=request.fallback_method.upper(),
                status_callback=request.status_callback, status_callback_method=request.status_callback_method.upper(),
                status_callback_events=events or "completed", timeout=request.timeout, time_limit=request.time_limit,
                send_digits=request.send_digits, record=request.record, caller_id=request.caller_id,
                recording_status_callback=request.recording_status_callback, phone_number_sid=owned)
    insert_row(session, call)
    log.debug("%s: %s -> %s routes via %s", call.sid, from_, to, route.endpoint)
    return call


def queue_call(session: Session, redis_client: redis.Redis, call: Call) -> None:
    session.commit()  # the dispatcher may dial it at once: the row must be visible first
    enqueue_call(redis_client, call.account_sid, call.sid)
    log.info("%s queued: %s -> %s", call.sid, call.from_, call.to)


def update_call(session: Session, redis_client: redis.Redis, call_events: CallEvents, call: Call, *,
                url: str | None = None, method: str | None = None, twiml: str | None = None,
                status: str | None = None, status_callback: str | None = None,
                status_callback_method: str | None = None) -> Call:
    """A live redirect, a hang-up or a cancel; a finished call raises InvalidParameter(not_modifiable)."""
    if status_callback is not None:
        call.status_callback = status_callback
    if status_callback_method is not None:
        call.status_callback_method = status_callback_method.upper()
    if (url or twiml or status) and call.is_finished:
        raise InvalidParameter("Call is not in-progress. Cannot redirect.", reason="not_modifiable", field="Status")
    if status in ("canceled", "completed") and call.status in CANCELABLE and call.node is None:
        if withdraw_call(redis_client, call.account_sid, call.sid):
            call_events.apply(session, call, Progress("ended", utcnow(), hangup_cause="ORIGINATOR_CANCEL",
                                                      canceled_by_api=True))
            return call
        session.refresh(call)  # a dispatcher took it meanwhile: it now has a node to send the command to
    if status == "canceled":
        if call.status not in CANCELABLE:
            raise InvalidParameter("Only a queued or ringing call can be canceled.", reason="not_modifiable",
                                   field="Status")
        send_command(redis_client, call.node or "", call.sid, "cancel")
    elif status == "completed":
        send_command(redis_client, call.node or "", call.sid, "hangup")
    elif url or twiml:
        if call.status in CANCELABLE:  # not answered yet: it will run the new document when it is
            call.url, call.method, call.twiml = url or call.url, (method or call.method).upper(), twiml
        else:
            send_command(redis_client, call.node or "", call.sid, "redirect", url=url, method=(method or "POST"),
                         twiml=twiml)
    call.date_updated = utcnow()
    return call
