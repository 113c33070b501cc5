"""API keys: an SK sid + secret that authenticates as the account; the secret is shown only on create."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate
from sqlalchemy import select

from cpaas.api.blueprint import Blueprint
from cpaas.api.context import db_session
from cpaas.api.twilio.auth import account_in_path, authorize_account
from cpaas.api.twilio.errors import TwilioError
from cpaas.api.twilio.paging import PageParams, paginate
from cpaas.api.twilio.schemas import Rfc2822, TwilioParams, TwilioResource, page_schema
from cpaas.models import ApiKey, utcnow
from cpaas.services.accounts import create_api_key

blp = Blueprint("keys", __name__, url_prefix="/2010-04-01/Accounts/<string:account_sid>",
                description="API keys")


class KeySchema(TwilioResource):
    sid = fields.String()
    friendly_name = fields.String()
    date_created = Rfc2822()
    date_updated = Rfc2822()


class NewKeySchema(KeySchema):
    secret = fields.String()


KeyPageSchema = page_schema("keys", KeySchema)


class KeyParams(TwilioParams):
    friendly_name = fields.String(data_key="FriendlyName", load_default="", validate=validate.Length(max=64))


def _key(account_sid: str, sid: str) -> ApiKey:
    authorize_account(account_sid)
    key = db_session().get(ApiKey, sid)
    if key is None or key.account_sid != account_sid:
        raise TwilioError(404, 20404, f"The requested resource /2010-04-01/Accounts/{account_sid}/Keys/{sid}.json"
                                      " was not found")
    return key


@blp.route("/Keys.json")
class Keys(MethodView):
    @blp.arguments(PageParams, location="query")
    @blp.response(200, KeyPageSchema)
    def get(self, params, account_sid):
        """List API keys"""
        authorize_account(account_sid)
        return paginate(db_session(), select(ApiKey).where(ApiKey.account_sid == account_sid), ApiKey,
                        params, "keys", lambda k: k)

    @blp.arguments(KeyParams, location="form")
    @blp.response(201, NewKeySchema)
    def post(self, params, account_sid):
        """Create an API key; the response carries its secret, which is never shown again"""
        key, secret = create_api_key(db_session(), account_in_path(account_sid), params["friendly_name"])
        return {"sid": key.sid, "friendly_name": key.friendly_name, "date_created": key.date_created,
                "date_updated": key.date_updated, "secret": secret}


@blp.route("/Keys/<string:sid>.json")
class Key(MethodView):
    @blp.response(200, KeySchema)
    def get(self, account_sid, sid):
        """Fetch an API key"""
        return _key(account_sid, sid)

    @blp.arguments(KeyParams, location="form")
    @blp.response(200, KeySchema)
    def post(self, params, account_sid, sid):
        """Rename an API key"""
        key = _key(account_sid, sid)
        key.friendly_name = params["friendly_name"]
        key.date_updated = utcnow()
        return key

    @blp.response(204)
    def delete(self, account_sid, sid):
        """Delete an API key; it stops authenticating at once"""
        db_session().delete(_key(account_sid, sid))
