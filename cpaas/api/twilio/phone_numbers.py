"""IncomingPhoneNumbers: numbers the operator routes to us, and where their calls and messages go."""
from __future__ import annotations

from functools import partial

from flask.views import MethodView
from marshmallow import fields, validate

from cpaas.api.blueprint import Blueprint
from cpaas.api.context import db_session
from cpaas.api.twilio.auth import account_in_path, authorize_account
from cpaas.api.twilio.errors import translated
from cpaas.api.twilio.paging import PageParams, paginate
from cpaas.api.twilio.schemas import (Rfc2822, TwilioParams, TwilioResource, method_param, page_schema,
                                      url_param)
from cpaas.models import PhoneNumber
from cpaas.services import phone_numbers as service

blp = Blueprint("incoming_phone_numbers", __name__, url_prefix="/2010-04-01/Accounts/<string:account_sid>",
                description="Phone numbers routed to the account")


def _uri(n: PhoneNumber) -> str:
    return f"/2010-04-01/Accounts/{n.account_sid}/IncomingPhoneNumbers/{n.sid}.json"


class PhoneNumberSchema(TwilioResource):
    account_sid = fields.String()
    address_requirements = fields.Constant("none")
    api_version = fields.Constant("2010-04-01")
    beta = fields.Constant(False)
    capabilities = fields.Function(lambda n: {"voice": n.voice_capable, "sms": n.sms_capable,
                                              "mms": n.mms_capable, "fax": n.fax_capable})
    date_created = Rfc2822()
    date_updated = Rfc2822()
    friendly_name = fields.String()
    identity_sid = fields.Constant(None)
    phone_number = fields.String()
    origin = fields.Constant("hosted")
    sid = fields.String()
    sms_application_sid = fields.Constant(None)
    sms_fallback_method = fields.String()
    sms_fallback_url = fields.String(allow_none=True)
    sms_method = fields.String()
    sms_url = fields.String(allow_none=True)
    status_callback = fields.String(allow_none=True)
    status_callback_method = fields.String()
    trunk_sid = fields.Constant(None)
    uri = fields.Function(_uri)
    voice_receive_mode = fields.Constant("voice")
    voice_application_sid = fields.Constant(None)
    voice_caller_id_lookup = fields.Constant(False)
    voice_fallback_method = fields.String()
    voice_fallback_url = fields.String(allow_none=True)
    voice_method = fields.String()
    voice_url = fields.String(allow_none=True)
    emergency_status = fields.Constant("Inactive")
    emergency_address_sid = fields.Constant(None)
    bundle_sid = fields.Constant(None)
    status = fields.Constant("in-use")


PhoneNumberPageSchema = page_schema("incoming_phone_numbers", PhoneNumberSchema)


class PhoneNumberFields(TwilioParams):
    friendly_name = fields.String(data_key="FriendlyName", validate=validate.Length(max=64))
    voice_url = url_param("VoiceUrl")
    voice_method = method_param("VoiceMethod")
    voice_fallback_url = url_param("VoiceFallbackUrl")
    voice_fallback_method = method_param("VoiceFallbackMethod")
    status_callback = url_param("StatusCallback")
    status_callback_method = method_param("StatusCallbackMethod")
    sms_url = url_param("SmsUrl")
    sms_method = method_param("SmsMethod")
    sms_fallback_url = url_param("SmsFallbackUrl")
    sms_fallback_method = method_param("SmsFallbackMethod")


class PhoneNumberCreateParams(PhoneNumberFields):
    phone_number = fields.String(data_key="PhoneNumber", required=True,
                                 metadata={"twilio_code": 21421, "twilio_message": "PhoneNumber is required"})


class PhoneNumberListParams(PageParams):
    phone_number = fields.String(data_key="PhoneNumber")
    friendly_name = fields.String(data_key="FriendlyName")


_domain = partial(translated, codes={"invalid_number": 21421, "number_taken": 21422})


@blp.route("/IncomingPhoneNumbers.json")
class PhoneNumbers(MethodView):
    @blp.arguments(PhoneNumberListParams, location="query")
    @blp.response(200, PhoneNumberPageSchema)
    def get(self, params, account_sid):
        """List the account's phone numbers"""
        authorize_account(account_sid)
        query = service.numbers_query(account_sid, params.get("phone_number"), params.get("friendly_name"))
        return paginate(db_session(), query, PhoneNumber, params, "incoming_phone_numbers", lambda n: n)

    @blp.arguments(PhoneNumberCreateParams, location="form")
    @blp.response(201, PhoneNumberSchema)
    def post(self, params, account_sid):
        """Add a phone number that the operator routes to this platform"""
        account = account_in_path(account_sid)
        number = params.pop("phone_number")
        return _domain(lambda: service.add_number(db_session(), account, number, **params))


@blp.route("/IncomingPhoneNumbers/<string:sid>.json")
class PhoneNumberResource(MethodView):
    @blp.response(200, PhoneNumberSchema)
    def get(self, account_sid, sid):
        """Fetch a phone number"""
        authorize_account(account_sid)
        return _domain(lambda: service.find_number(db_session(), account_sid, sid))

    @blp.arguments(PhoneNumberFields, location="form")
    @blp.response(200, PhoneNumberSchema)
    def post(self, params, account_sid, sid):
        """Update where a number's calls and messages go"""
        authorize_account(account_sid)
        number = _domain(lambda: service.find_number(db_session(), account_sid, sid))
        return service.update_number(number, **params)

    @blp.response(204)
    def delete(self, account_sid, sid):
        """Release a phone number"""
        authorize_account(account_sid)
        db_session().delete(_domain(lambda: service.find_number(db_session(), account_sid, sid)))
