"""Accounts: fetch, list (own + subaccounts), create subaccount, update name/status."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate

from cpaas.api.blueprint import Blueprint
from cpaas.api.context import db_session
from cpaas.api.twilio.auth import account_in_path, principal
from cpaas.api.twilio.errors import translated
from cpaas.api.twilio.paging import PageParams, paginate
from cpaas.api.twilio.schemas import Rfc2822, TwilioParams, TwilioResource, page_schema
from cpaas.models import ACCOUNT_STATUSES, Account
from cpaas.services import accounts as service

blp = Blueprint("accounts", __name__, url_prefix="/2010-04-01", description="Accounts and subaccounts")

# Subresources an account exposes; each resource module adds its own name here when it is mounted.
SUBRESOURCES: list[str] = ["keys", "incoming_phone_numbers", "recordings", "messages", "calls", "conferences"]
_SUBRESOURCE_PATHS = {"keys": "Keys", "incoming_phone_numbers": "IncomingPhoneNumbers", "calls": "Calls",
                      "messages": "Messages", "recordings": "Recordings", "conferences": "Conferences"}


class AccountSchema(TwilioResource):
    auth_token = fields.String()
    date_created = Rfc2822()
    date_updated = Rfc2822()
    friendly_name = fields.String()
    owner_account_sid = fields.Function(lambda a: a.owner_account_sid or a.sid)
    sid = fields.String()
    status = fields.String()
    subresource_uris = fields.Function(
        lambda a: {name: f"/2010-04-01/Accounts/{a.sid}/{_SUBRESOURCE_PATHS[name]}.json" for name in SUBRESOURCES})
    type = fields.Constant("Full")
    uri = fields.Function(lambda a: f"/2010-04-01/Accounts/{a.sid}.json")


AccountPageSchema = page_schema("accounts", AccountSchema)


class AccountListParams(PageParams):
    friendly_name = fields.String(data_key="FriendlyName")
    status = fields.String(data_key="Status", validate=validate.OneOf(ACCOUNT_STATUSES))


class AccountCreateParams(TwilioParams):
    friendly_name = fields.String(data_key="FriendlyName", load_default="", validate=validate.Length(max=64))


class AccountUpdateParams(TwilioParams):
    friendly_name = fields.String(data_key="FriendlyName", validate=validate.Length(max=64))
    status = fields.String(data_key="Status", validate=validate.OneOf(ACCOUNT_STATUSES),
                           metadata={"twilio_message": "Status must be one of active, suspended, closed"})


@blp.route("/Accounts.json")
class Accounts(MethodView):
    @blp.arguments(AccountListParams, location="query")
    @blp.response(200, AccountPageSchema)
    def get(self, params):
        """List the account and its subaccounts"""
        query = service.visible_accounts_query(principal(), params.get("friendly_name"), params.get("status"))
        return paginate(db_session(), query, Account, params, "accounts", lambda a: a)

    @blp.arguments(AccountCreateParams, location="form")
    @blp.response(201, AccountSchema)
    def post(self, params):
        """Create a subaccount"""
        return translated(lambda: service.create_account(db_session(), params["friendly_name"],
                                                         owner=account_in_path(principal().account_sid)))


@blp.route("/Accounts/<string:account_sid>.json")
class AccountResource(MethodView):
    @blp.response(200, AccountSchema)
    def get(self, account_sid):
        """Fetch an account"""
        return account_in_path(account_sid)

    @blp.arguments(AccountUpdateParams, location="form")
    @blp.response(200, AccountSchema)
    def post(self, params, account_sid):
        """Update an account's name or status (a parent suspends, reactivates or closes its subaccounts)"""
        account = account_in_path(account_sid)
        return translated(lambda: service.update_account(principal(), account, **params))
