"""Calls: create (queued, dialled by a controller), fetch, list with Twilio's filters, update
(live redirect, hang up, cancel) and delete."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache, partial

import phonenumbers
from flask.views import MethodView
from marshmallow import ValidationError, fields, validate
from sqlalchemy import select

from cpaas.api.blueprint import Blueprint
from cpaas.api.context import call_events, db_session, redis_client, router
from cpaas.api.twilio.auth import authorize_account
from cpaas.api.twilio.errors import TwilioError, translated
from cpaas.api.twilio.paging import PageParams, paginate
from cpaas.api.twilio.schemas import (Rfc2822, TwilioBool, TwilioParams, TwilioResource, method_param,
                                      page_schema, url_param)
from cpaas.models import Call
from cpaas.services import calls as service

blp = Blueprint("calls", __name__, url_prefix="/2010-04-01/Accounts/<string:account_sid>", description="Calls")

_CODES = {"to_required": 21201, "from_required": 21213, "url_required": 21205, "invalid_number": 21211,
          "invalid_from": 21212, "from_not_owned": 21210, "no_route": 13224, "not_modifiable": 21220}
_REST_STATUS = {"initiated": "queued"}  # Twilio's REST resource shows no "initiated"


@lru_cache(maxsize=8192)  # the same few numbers fill every page
def _formatted(number: str) -> str:
    if not number.startswith("+"):
        return number
    try:
        return phonenumbers.format_number(phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return number


def _uri(call: Call, suffix: str = ".json") -> str:
    return f"/2010-04-01/Accounts/{call.account_sid}/Calls/{call.sid}{suffix}"


class CallSchema(TwilioResource):
    sid = fields.String()
    date_created = Rfc2822()
    date_updated = Rfc2822()
    parent_call_sid = fields.String(allow_none=True)
    account_sid = fields.String()
    to = fields.String()
    to_formatted = fields.Function(lambda c: _formatted(c.to))
    from_ = fields.String(data_key="from")
    from_formatted = fields.Function(lambda c: _formatted(c.from_))
    phone_number_sid = fields.String(allow_none=True)
    status = fields.Function(lambda c: _REST_STATUS.get(c.status, c.status))
    start_time = Rfc2822()
    end_time = Rfc2822()
    duration = fields.Function(lambda c: None if c.duration is None else str(c.duration))
    price = fields.Constant(None)
    price_unit = fields.Constant("USD")
    direction = fields.String()
    answered_by = fields.String(allow_none=True)
    api_version = fields.Constant("2010-04-01")
    forwarded_from = fields.String(allow_none=True)
    group_sid = fields.Constant(None)
    caller_name = fields.String(allow_none=True)
    queue_time = fields.Constant("0")
    trunk_sid = fields.Constant(None)
    uri = fields.Function(_uri)
    subresource_uris = fields.Function(lambda c: {"recordings": _uri(c, "/Recordings.json")})


CallPageSchema = page_schema("calls", CallSchema)


class StatusCallbackEvents(fields.Field):
    """Repeated StatusCallbackEvent keys (or one space-separated value)."""

    def _deserialize(self, value, attr, data, **kwargs):
        values = data.getlist(attr) if hasattr(data, "getlist") else [value]
        events = tuple(e for v in values for e in str(v).replace(",", " ").split())
        bad = [e for e in events if e not in ("initiated", "ringing", "answered", "completed")]
        if bad:
            raise ValidationError(f"unknown event {bad[0]!r}")
        return events


class CallCreateParams(TwilioParams):
    to = fields.String(data_key="To")
    from_ = fields.String(data_key="From")
    url = url_param("Url", code=21205)
    twiml = fields.String(data_key="Twiml", validate=validate.Length(max=4000))
    method = method_param("Method", load_default="POST")
    fallback_url = url_param("FallbackUrl")
    fallback_method = method_param("FallbackMethod", load_default="POST")
    status_callback = url_param("StatusCallback", code=21609)
    status_callback_method = method_param("StatusCallbackMethod", load_default="POST")
    status_callback_events = StatusCallbackEvents(data_key="StatusCallbackEvent", load_default=())
    timeout = fields.Integer(data_key="Timeout", load_default=60, validate=validate.Range(1, 600))
    time_limit = fields.Integer(data_key="TimeLimit", validate=validate.Range(1, 86400))
    send_digits = fields.String(data_key="SendDigits", validate=validate.Regexp(r"^[0-9*#wW]{1,32}$"))
    record = TwilioBool(data_key="Record", load_default=False)
    recording_status_callback = url_param("RecordingStatusCallback")
    caller_id = fields.String(data_key="CallerId")


class CallUpdateParams(TwilioParams):
    url = url_param("Url", code=21205)
    method = method_param("Method")
    twiml = fields.String(data_key="Twiml", validate=validate.Length(max=4000))
    status = fields.String(data_key="Status", validate=validate.OneOf(("canceled", "completed")))
    status_callback = url_param("StatusCallback", code=21609)
    status_callback_method = method_param("StatusCallbackMethod")


class TwilioDate(fields.Field):
    """`2024-01-31` (the whole day) or `2024-01-31T10:00:00Z`, as the SDKs send either."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip()
        for pattern, whole_day in (("%Y-%m-%dT%H:%M:%SZ", False), ("%Y-%m-%d", True)):
            try:
                moment = datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
                return moment, whole_day
            except ValueError:
                continue
        raise ValidationError("must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")


class CallListParams(PageParams):
    to = fields.String(data_key="To")
    from_ = fields.String(data_key="From")
    parent_call_sid = fields.String(data_key="ParentCallSid")
    status = fields.String(data_key="Status")
    start_time = TwilioDate(data_key="StartTime")
    start_time_before = TwilioDate(data_key="StartTime<")
    start_time_after = TwilioDate(data_key="StartTime>")
    end_time = TwilioDate(data_key="EndTime")
    end_time_before = TwilioDate(data_key="EndTime<")
    end_time_after = TwilioDate(data_key="EndTime>")


def _time_filters(query, column, exact, before, after):
    if exact is not None:
        moment, whole_day = exact
        query = query.where(column >= moment, column < moment + timedelta(days=1)) if whole_day \
            else query.where(column == moment)
    if before is not None:
        moment, whole_day = before
        query = query.where(column <= (moment + timedelta(days=1) if whole_day else moment))
    if after is not None:
        moment, whole_day = after
        query = query.where(column >= moment)
    return query


def _call(account_sid: str, sid: str) -> Call:
    authorize_account(account_sid)
    call = db_session().get(Call, sid)
    if call is None or call.account_sid != account_sid:
        raise TwilioError(404, 20404, f"The requested resource /2010-04-01/Accounts/{account_sid}/Calls/{sid}.json"
                                      " was not found")
    return call


_domain = partial(translated, codes=_CODES)


@blp.route("/Calls.json")
class Calls(MethodView):
    @blp.arguments(CallListParams, location="query")
    @blp.response(200, CallPageSchema)
    def get(self, params, account_sid):
        """List calls, newest first, with Twilio's filters"""
        authorize_account(account_sid)
        query = select(Call).where(Call.account_sid == account_sid)
        for name, column in (("to", Call.to), ("from_", Call.from_), ("parent_call_sid", Call.parent_call_sid)):
            if params.get(name):
                query = query.where(column == params[name])
        if params.get("status"):
            wanted = params["status"]
            query = query.where(Call.status.in_(("queued", "initiated") if wanted == "queued" else (wanted,)))
        query = _time_filters(query, Call.start_time, params.get("start_time"), params.get("start_time_before"),
                              params.get("start_time_after"))
        query = _time_filters(query, Call.end_time, params.get("end_time"), params.get("end_time_before"),
                              params.get("end_time_after"))
        return paginate(db_session(), query, Call, params, "calls", lambda c: c)

    @blp.arguments(CallCreateParams, location="form")
    @blp.response(201, CallSchema)
    def post(self, params, account_sid):
        """Make an outbound call: it is queued, then dialled within the account's limits"""
        authorize_account(account_sid)
        request = service.NewCall(**params)
        return _domain(lambda: service.create_call(db_session(), redis_client(), router(), account_sid, request))


@blp.route("/Calls/<string:sid>.json")
class CallResource(MethodView):
    @blp.response(200, CallSchema)
    def get(self, account_sid, sid):
        """Fetch a call"""
        return _call(account_sid, sid)

    @blp.arguments(CallUpdateParams, location="form")
    @blp.response(200, CallSchema)
    def post(self, params, account_sid, sid):
        """Redirect a live call (Url/Twiml), hang it up (Status=completed) or cancel it (Status=canceled)"""
        call = _call(account_sid, sid)
        return _domain(lambda: service.update_call(db_session(), redis_client(), call_events(), call, **params))

    @blp.response(204)
    def delete(self, account_sid, sid):
        """Delete the record of a finished call"""
        call = _call(account_sid, sid)
        if not call.is_finished:
            raise TwilioError(400, 21220, "Cannot delete a call that is not finished")
        db_session().delete(call)
