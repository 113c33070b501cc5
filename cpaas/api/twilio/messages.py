"""Messages: send (201 queued, then an RQ job), fetch, list with To/From/DateSent filters, redact, delete."""
from __future__ import annotations

from functools import partial

from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from flask.views import MethodView
from marshmallow import ValidationError, fields, validate

from cpaas.api.blueprint import Blueprint
from cpaas.api.context import db_session
from cpaas.api.twilio.auth import authorize_account
from cpaas.api.twilio.errors import TwilioError, translated
from cpaas.api.twilio.paging import PageParams, paginate
from cpaas.api.twilio.schemas import Rfc2822, TwilioParams, TwilioResource, method_param, page_schema, url_param
from cpaas.models import Message
from cpaas.services import messages as service

blp = Blueprint("messages", __name__, url_prefix="/2010-04-01/Accounts/<string:account_sid>",
                description="SMS and MMS messages")

# Domain reasons -> Twilio's Messages error codes (twilio-client-contract.md).
_CODES = {"to_required": 21604, "from_required": 21603, "body_required": 21602, "body_too_long": 21617,
          "invalid_number": 21211, "invalid_from": 21212, "from_not_sms_capable": 21606,
          "invalid_status_callback": 21609, "in_flight": 20009}


def _uri(m: Message, suffix: str = ".json") -> str:
    return f"/2010-04-01/Accounts/{m.account_sid}/Messages/{m.sid}{suffix}"


class MessageSchema(TwilioResource):
    body = fields.String()
    num_segments = fields.Function(lambda m: str(m.num_segments))
    direction = fields.String()
    from_ = fields.String(data_key="from")
    to = fields.String()
    date_updated = Rfc2822()
    price = fields.Constant(None)
    error_message = fields.String(allow_none=True)
    uri = fields.Function(_uri)
    account_sid = fields.String()
    num_media = fields.Function(lambda m: str(m.num_media))
    status = fields.String()
    messaging_service_sid = fields.Constant(None)
    sid = fields.String()
    date_sent = Rfc2822()
    date_created = Rfc2822()
    error_code = fields.Integer(allow_none=True)
    price_unit = fields.Constant("USD")
    api_version = fields.Constant("2010-04-01")
    # Media and Feedback subresources are not served yet, so no links to them.
    subresource_uris = fields.Function(lambda m: {})


MessagePageSchema = page_schema("messages", MessageSchema)


class MessageCreateParams(TwilioParams):
    # Required-ness is checked by the service, so the API and TwiML report the same codes.
    to = fields.String(data_key="To")
    from_ = fields.String(data_key="From")
    body = fields.String(data_key="Body")
    status_callback = url_param("StatusCallback", code=21609)
    status_callback_method = method_param("StatusCallbackMethod", load_default="POST")
    media_url = fields.List(url_param("MediaUrl"), data_key="MediaUrl", load_default=list)
    validity_period = fields.Integer(data_key="ValidityPeriod", validate=validate.Range(1, 36000),
                                     metadata={"twilio_message": "ValidityPeriod must be between 1 and 36000"})


class MessageUpdateParams(TwilioParams):
    body = fields.String(data_key="Body", required=True,
                         metadata={"twilio_message": "Body is required (an empty Body redacts the message)"})


class TwilioDate(fields.Field):
    """'2024-05-01' or the SDK's '2024-05-01T00:00:00Z' (it sends dates as midnight datetimes)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time(), timezone.utc)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class MessageListParams(PageParams):
    to = fields.String(data_key="To")
    from_ = fields.String(data_key="From")
    date_sent = TwilioDate(data_key="DateSent")
    date_sent_before = TwilioDate(data_key="DateSent<")
    date_sent_after = TwilioDate(data_key="DateSent>")


_domain = partial(translated, codes=_CODES)


@blp.route("/Messages.json")
class Messages(MethodView):
    @blp.arguments(MessageListParams, location="query")
    @blp.response(200, MessagePageSchema)
    def get(self, params, account_sid):
        """List the account's messages, newest first"""
        authorize_account(account_sid)
        day = params.get("date_sent")
        query = service.messages_query(
            account_sid, to=params.get("to"), from_=params.get("from_"),
            sent_on=(day, day + timedelta(days=1)) if day else None,
            sent_before=params.get("date_sent_before"), sent_after=params.get("date_sent_after"))
        return paginate(db_session(), query, Message, params, "messages", lambda m: m)

    @blp.arguments(MessageCreateParams, location="form")
    @blp.response(201, MessageSchema)
    def post(self, params, account_sid):
        """Send a message: answered 201 `queued`; a worker hands it to the gateway"""
        authorize_account(account_sid)
        session = db_session()
        message = _domain(lambda: service.create_outbound(
            session, account_sid, params.get("to"), params.get("from_"), params.get("body"),
            status_callback=params.get("status_callback"), status_callback_method=params["status_callback_method"],
            media_urls=params["media_url"], validity_period=params.get("validity_period")))
        session.commit()  # the send job must find the row
        service.queue_send(current_app.extensions["cpaas.redis"], message.sid)
        return message


@blp.route("/Messages/<string:sid>.json")
class MessageResource(MethodView):
    @blp.response(200, MessageSchema)
    def get(self, account_sid, sid):
        """Fetch a message"""
        authorize_account(account_sid)
        return _domain(lambda: service.find_message(db_session(), account_sid, sid))

    @blp.arguments(MessageUpdateParams, location="form")
    @blp.response(200, MessageSchema)
    def post(self, params, account_sid, sid):
        """Redact a message's body (Body="")"""
        authorize_account(account_sid)
        message = _domain(lambda: service.find_message(db_session(), account_sid, sid))
        if params["body"] != "":
            raise TwilioError(400, 20001, "A message's Body can only be updated to an empty string (redaction)")
        return _domain(lambda: service.redact(message))

    @blp.response(204)
    def delete(self, account_sid, sid):
        """Delete a message (not while it is queued or sending)"""
        authorize_account(account_sid)
        session = db_session()
        _domain(lambda: service.delete(session, service.find_message(session, account_sid, sid)))
