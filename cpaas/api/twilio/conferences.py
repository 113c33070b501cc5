"""Conferences and their Participants: list, fetch, end a conference; mute, hold, announce to, kick,
or dial in a participant (a queued outbound call whose document joins the conference)."""
from __future__ import annotations

from functools import partial

from xml.sax.saxutils import escape, quoteattr

from flask.views import MethodView
from marshmallow import fields, validate
from sqlalchemy import select

from cpaas.api.blueprint import Blueprint
from cpaas.api.context import db_session, redis_client, router
from cpaas.api.twilio.auth import authorize_account
from cpaas.api.twilio.calls import _CODES as CALL_CODES
from cpaas.api.twilio.calls import TwilioDate, _time_filters
from cpaas.api.twilio.errors import TwilioError, translated
from cpaas.api.twilio.paging import PageParams, paginate
from cpaas.api.twilio.schemas import Rfc2822, TwilioBool, TwilioParams, TwilioResource, method_param, page_schema, \
    url_param
from cpaas.models import Conference, Participant
from cpaas.services import calls as call_service
from cpaas.services import conferences as service

blp = Blueprint("conferences", __name__, url_prefix="/2010-04-01/Accounts/<string:account_sid>",
                description="Conferences and participants")


def _conference_uri(c: Conference, suffix: str = ".json") -> str:
    return f"/2010-04-01/Accounts/{c.account_sid}/Conferences/{c.sid}{suffix}"


class ConferenceSchema(TwilioResource):
    account_sid = fields.String()
    api_version = fields.Constant("2010-04-01")
    call_sid_ending_conference = fields.String(allow_none=True)
    date_created = Rfc2822()
    date_updated = Rfc2822()
    friendly_name = fields.String()
    reason_conference_ended = fields.String(allow_none=True)
    region = fields.Constant("us1")
    sid = fields.String()
    status = fields.String()
    subresource_uris = fields.Function(lambda c: {"participants": _conference_uri(c, "/Participants.json"),
                                                  "recordings": _conference_uri(c, "/Recordings.json")})
    uri = fields.Function(_conference_uri)


class ParticipantSchema(TwilioResource):
    account_sid = fields.String()
    call_sid = fields.String()
    call_sid_to_coach = fields.Constant(None)
    coaching = fields.Boolean()
    conference_sid = fields.String()
    date_created = Rfc2822()
    date_updated = Rfc2822()
    end_conference_on_exit = fields.Boolean()
    hold = fields.Boolean()
    label = fields.String(allow_none=True)
    muted = fields.Boolean()
    start_conference_on_enter = fields.Boolean()
    status = fields.String()
    queue_time = fields.Constant(None)
    uri = fields.Function(lambda p: f"/2010-04-01/Accounts/{p.account_sid}/Conferences/{p.conference_sid}"
                                    f"/Participants/{p.call_sid}.json")


ConferencePageSchema = page_schema("conferences", ConferenceSchema)
ParticipantPageSchema = page_schema("participants", ParticipantSchema)


class ConferenceListParams(PageParams):
    friendly_name = fields.String(data_key="FriendlyName")
    status = fields.String(data_key="Status", validate=validate.OneOf(("init", "in-progress", "completed")))
    date_created = TwilioDate(data_key="DateCreated")
    date_created_before = TwilioDate(data_key="DateCreated<")
    date_created_after = TwilioDate(data_key="DateCreated>")
    date_updated = TwilioDate(data_key="DateUpdated")
    date_updated_before = TwilioDate(data_key="DateUpdated<")
    date_updated_after = TwilioDate(data_key="DateUpdated>")


class ConferenceUpdateParams(TwilioParams):
    status = fields.String(data_key="Status", validate=validate.OneOf(("completed",)))


class ParticipantListParams(PageParams):
    muted = TwilioBool(data_key="Muted")
    hold = TwilioBool(data_key="Hold")


class ParticipantUpdateParams(TwilioParams):
    muted = TwilioBool(data_key="Muted")
    hold = TwilioBool(data_key="Hold")
    hold_url = url_param("HoldUrl")
    hold_method = method_param("HoldMethod", load_default="GET")
    announce_url = url_param("AnnounceUrl")
    announce_method = method_param("AnnounceMethod", load_default="POST")


class ParticipantCreateParams(TwilioParams):
    from_ = fields.String(data_key="From", required=True, metadata={"twilio_code": 21213})
    to = fields.String(data_key="To", required=True, metadata={"twilio_code": 21201})
    status_callback = url_param("StatusCallback", code=21609)
    status_callback_method = method_param("StatusCallbackMethod", load_default="POST")
    status_callback_event = fields.List(fields.String(), data_key="StatusCallbackEvent", load_default=list)
    timeout = fields.Integer(data_key="Timeout", load_default=60, validate=validate.Range(5, 600))
    muted = TwilioBool(data_key="Muted", load_default=False)
    start_conference_on_enter = TwilioBool(data_key="StartConferenceOnEnter", load_default=True)
    end_conference_on_exit = TwilioBool(data_key="EndConferenceOnExit", load_default=False)
    beep = fields.String(data_key="Beep", load_default="true",
                         validate=validate.OneOf(("true", "false", "onEnter", "onExit")))
    conference_status_callback = url_param("ConferenceStatusCallback")
    conference_status_callback_event = fields.List(fields.String(), data_key="ConferenceStatusCallbackEvent",
                                                   load_default=list)


def _conference(account_sid: str, sid: str) -> Conference:
    authorize_account(account_sid)
    conference = db_session().get(Conference, sid)
    if conference is None or conference.account_sid != account_sid:
        raise TwilioError(404, 20404, f"The requested resource /2010-04-01/Accounts/{account_sid}/Conferences/{sid}"
                                      ".json was not found")
    return conference


def _participant(account_sid: str, conference_sid: str, call_sid: str) -> tuple[Conference, Participant]:
    conference = _conference(account_sid, conference_sid)
    participant = db_session().get(Participant, (conference.sid, call_sid))
    if participant is None:
        raise TwilioError(404, 20404, f"Participant {call_sid} was not found in {conference_sid}")
    return conference, participant


_domain = partial(translated, codes={**CALL_CODES, "not_connected": 20001})


@blp.route("/Conferences.json")
class Conferences(MethodView):
    @blp.arguments(ConferenceListParams, location="query")
    @blp.response(200, ConferencePageSchema)
    def get(self, params, account_sid):
        """List conferences, newest first"""
        authorize_account(account_sid)
        query = select(Conference).where(Conference.account_sid == account_sid)
        if params.get("friendly_name") is not None:
            query = query.where(Conference.friendly_name == params["friendly_name"])
        if params.get("status"):
            query = query.where(Conference.status == params["status"])
        query = _time_filters(query, Conference.date_created, params.get("date_created"),
                              params.get("date_created_before"), params.get("date_created_after"))
        query = _time_filters(query, Conference.date_updated, params.get("date_updated"),
                              params.get("date_updated_before"), params.get("date_updated_after"))
        return paginate(db_session(), query, Conference, params, "conferences", lambda c: c)


@blp.route("/Conferences/<string:sid>.json")
class ConferenceResource(MethodView):
    @blp.response(200, ConferenceSchema)
    def get(self, account_sid, sid):
        """Fetch a conference"""
        return _conference(account_sid, sid)

    @blp.arguments(ConferenceUpdateParams, location="form")
    @blp.response(200, ConferenceSchema)
    def post(self, params, account_sid, sid):
        """End a conference (Status=completed): every participant leaves"""
        conference = _conference(account_sid, sid)
        if params.get("status") == "completed" and conference.status != "completed":
            service.end_conference(redis_client(), conference)
        return conference


@blp.route("/Conferences/<string:sid>/Participants.json")
class Participants(MethodView):
    @blp.arguments(ParticipantListParams, location="query")
    @blp.response(200, ParticipantPageSchema)
    def get(self, params, account_sid, sid):
        """List a conference's participants"""
        conference = _conference(account_sid, sid)
        query = select(Participant).where(Participant.conference_sid == conference.sid)
        for name in ("muted", "hold"):
            if params.get(name) is not None:
                query = query.where(getattr(Participant, name) == params[name])
        return paginate(db_session(), query, Participant, params, "participants", lambda p: p)

    @blp.arguments(ParticipantCreateParams, location="form")
    @blp.response(201, ParticipantSchema)
    def post(self, params, account_sid, sid):
        """Dial a new participant into the conference"""
        conference = _conference(account_sid, sid)
        authorize_account(account_sid)
        twiml = _join_twiml(conference.friendly_name, params)
        request = call_service.NewCall(to=params["to"], from_=params["from_"], twiml=twiml,
                                       status_callback=params.get("status_callback"),
                                       status_callback_method=params["status_callback_method"],
                                       status_callback_events=tuple(params["status_callback_event"]),
                                       timeout=params["timeout"])
        call = _domain(lambda: call_service.prepare_call(db_session(), router(), account_sid, request))
        participant = Participant(conference_sid=conference.sid, call_sid=call.sid, account_sid=account_sid,
                                  status="queued", muted=params["muted"],
                                  start_conference_on_enter=params["start_conference_on_enter"],
                                  end_conference_on_exit=params["end_conference_on_exit"])
        db_session().add(participant)  # committed with the call: the joining controller replaces this row
        call_service.queue_call(db_session(), redis_client(), call)
        return participant


@blp.route("/Conferences/<string:sid>/Participants/<string:call_sid>.json")
class ParticipantResource(MethodView):
    @blp.response(200, ParticipantSchema)
    def get(self, account_sid, sid, call_sid):
        """Fetch a participant"""
        return _participant(account_sid, sid, call_sid)[1]

    @blp.arguments(ParticipantUpdateParams, location="form")
    @blp.response(200, ParticipantSchema)
    def post(self, params, account_sid, sid, call_sid):
        """Mute, hold or announce to a participant"""
        conference, participant = _participant(account_sid, sid, call_sid)
        return _domain(lambda: service.update_participant(
            redis_client(), conference, participant, muted=params.get("muted"), hold=params.get("hold"),
            hold_url=params.get("hold_url"), hold_method=params["hold_method"],
            announce_url=params.get("announce_url"), announce_method=params["announce_method"]))

    @blp.response(204)
    def delete(self, account_sid, sid, call_sid):
        """Kick a participant out of the conference"""
        conference, participant = _participant(account_sid, sid, call_sid)
        if participant.status == "connected":
            service.send_member_command(redis_client(), conference, participant, "kick")


def _join_twiml(name: str, params: dict) -> str:
    events = " ".join(params["conference_status_callback_event"])
    attributes = {"muted": params["muted"], "beep": params["beep"],
                  "startConferenceOnEnter": params["start_conference_on_enter"],
                  "endConferenceOnExit": params["end_conference_on_exit"]}
    if params.get("conference_status_callback"):
        attributes["statusCallback"] = params["conference_status_callback"]
        attributes["statusCallbackEvent"] = events
    rendered = " ".join(f"{k}={quoteattr(str(v).lower() if isinstance(v, bool) else str(v))}"
                        for k, v in attributes.items())
    return f"<Response><Dial><Conference {rendered}>{escape(name)}</Conference></Dial></Response>"
