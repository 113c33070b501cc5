"""Recordings: list, fetch and delete per account and per call (Basic auth), and their media as WAV
or MP3 (public, as Twilio serves media by default: a recording sid is 128 random bits)."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import Response, current_app, redirect, request, send_file, stream_with_context
from flask.views import MethodView
from marshmallow import ValidationError, fields, validate

from cpaas.api.blueprint import Blueprint
from cpaas.api.context import db_session, redis_client, settings
from cpaas.api.twilio.auth import authorize_account
from cpaas.api.twilio.errors import TwilioError, translated
from cpaas.api.twilio.paging import PageParams, paginate
from cpaas.api.twilio.schemas import (Rfc2822, TwilioBool, TwilioParams, TwilioResource, method_param,
                                      page_schema, url_param)
from cpaas.models import Call, Recording
from cpaas.services import call_recordings
from cpaas.services import recordings as service

PREFIX = "/2010-04-01/Accounts/<string:account_sid>"
blp = Blueprint("recordings", __name__, url_prefix=PREFIX, description="Call recordings")
# Nested, so the dialect's authentication (which matches the top-level blueprint names) does not
# apply to media: Twilio serves recording media without credentials unless told otherwise.
media_blp = Blueprint("media", __name__, description="Recording media (no authentication)")


def _uri(r: Recording) -> str:
    return f"/2010-04-01/Accounts/{r.account_sid}/Recordings/{r.sid}.json"


class RecordingSchema(TwilioResource):
    account_sid = fields.String()
    api_version = fields.Constant(service.API_VERSION)
    call_sid = fields.String(allow_none=True)
    conference_sid = fields.String(allow_none=True)
    date_created = Rfc2822()
    date_updated = Rfc2822()
    start_time = Rfc2822()
    duration = fields.Function(lambda r: "-1" if r.duration is None else str(r.duration))
    sid = fields.String()
    price = fields.Constant(None)
    price_unit = fields.Constant("USD")
    status = fields.String()
    channels = fields.Integer()
    source = fields.String()
    error_code = fields.Integer(allow_none=True)
    uri = fields.Function(_uri)
    encryption_details = fields.Constant(None)
    subresource_uris = fields.Function(lambda r: {
        "add_on_results": f"/2010-04-01/Accounts/{r.account_sid}/Recordings/{r.sid}/AddOnResults.json",
        "transcriptions": f"/2010-04-01/Accounts/{r.account_sid}/Recordings/{r.sid}/Transcriptions.json"})
    media_url = fields.Function(lambda r: service.recording_url(current_app.extensions["cpaas.settings"], r))
    track = fields.Constant("both")


RecordingPageSchema = page_schema("recordings", RecordingSchema)


class TwilioDate(fields.Field):
    """`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` (what the SDKs send even for a date) -> (UTC datetime, whole day?).
    A value at exactly midnight is taken as a day, since that is how a date arrives from the SDKs."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip()
        try:
            if len(text) == 10:
                return datetime.fromisoformat(text).replace(tzinfo=timezone.utc), True
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ") from None
        moment = moment.replace(tzinfo=moment.tzinfo or timezone.utc).astimezone(timezone.utc)
        return moment, moment.time() == time(0)


class RecordingListParams(PageParams):
    date_created = TwilioDate(data_key="DateCreated")
    date_created_before = TwilioDate(data_key="DateCreated<")
    date_created_after = TwilioDate(data_key="DateCreated>")
    call_sid = fields.String(data_key="CallSid")
    conference_sid = fields.String(data_key="ConferenceSid")
    include_soft_deleted = TwilioBool(data_key="IncludeSoftDeleted", load_default=False)


def _filters(params: dict) -> dict:
    """DateCreated is one UTC day; DateCreated< and > (sent as `<=`/`>=`) are inclusive, a day counting whole."""
    filters = {"include_deleted": params["include_soft_deleted"], "conference_sid": params.get("conference_sid")}
    if "date_created" in params:
        filters["created_on"] = params["date_created"][0]
    if "date_created_before" in params:
        moment, whole_day = params["date_created_before"]
        # Twilio's times have whole seconds: "on or before 08:15:30" includes 08:15:30.9.
        filters["created_before"] = moment + (timedelta(days=1) if whole_day else timedelta(seconds=1)) \
            - timedelta(microseconds=1)
    if "date_created_after" in params:
        filters["created_after"] = params["date_created_after"][0]
    return filters


def _domain(action):
    def storage_down_is_503():  # storage down: retry later, not a client error
        try:
            return action()
        except service.MediaUnavailable as exc:
            raise TwilioError(503, 20503, exc.message) from None

    return translated(storage_down_is_503)


def _storage():
    """One storage client per app, made on first use (boto3 clients are thread-safe)."""
    extensions = current_app.extensions
    if "cpaas.storage" not in extensions:
        extensions["cpaas.storage"] = service.open_storage(extensions["cpaas.settings"])
    return extensions["cpaas.storage"]


def _list(account_sid: str, params: dict, call_sid: str | None = None, conference_sid: str | None = None):
    authorize_account(account_sid)
    filters = _filters(params)
    filters["conference_sid"] = conference_sid or filters["conference_sid"]
    query = service.recordings_query(account_sid, call_sid=call_sid or params.get("call_sid"), **filters)
    return paginate(db_session(), query, Recording, params, "recordings", lambda r: r)


def _find(account_sid: str, sid: str, **parent) -> Recording:
    authorize_account(account_sid)
    return _domain(lambda: service.find_recording(db_session(), account_sid, sid, **parent))


def _delete(account_sid: str, sid: str, **parent) -> None:
    recording = _find(account_sid, sid, **parent)
    storage, _ = _storage()
    _domain(lambda: service.delete_recording(storage, recording))
    current_app.logger.info("%s %s: recording deleted", recording.call_sid, recording.sid)


@blp.route("/Recordings.json")
class Recordings(MethodView):
    @blp.arguments(RecordingListParams, location="query")
    @blp.response(200, RecordingPageSchema)
    def get(self, params, account_sid):
        """List the account's recordings"""
        return _list(account_sid, params)


@blp.route("/Recordings/<string:sid>.json")
class RecordingResource(MethodView):
    @blp.response(200, RecordingSchema)
    def get(self, account_sid, sid):
        """Fetch a recording"""
        return _find(account_sid, sid)

    @blp.response(204)
    def delete(self, account_sid, sid):
        """Delete a recording and its media"""
        _delete(account_sid, sid)


class CallRecordingCreateParams(TwilioParams):
    status_callback = url_param("RecordingStatusCallback")
    status_callback_method = method_param("RecordingStatusCallbackMethod", load_default="POST")
    status_callback_events = fields.String(data_key="RecordingStatusCallbackEvent", load_default="completed")
    channels = fields.String(data_key="RecordingChannels", load_default="mono",
                             validate=validate.OneOf(("mono", "dual")))


class CallRecordingUpdateParams(TwilioParams):
    status = fields.String(data_key="Status", required=True,
                           validate=validate.OneOf(("paused", "in-progress", "stopped")))


def _live_call(account_sid: str, call_sid: str) -> Call:
    authorize_account(account_sid)
    call = db_session().get(Call, call_sid)
    if call is None or call.account_sid != account_sid:
        raise TwilioError(404, 20404, f"The requested resource {request.path} was not found")
    return call


@blp.route("/Calls/<string:call_sid>/Recordings.json")
class CallRecordings(MethodView):
    @blp.arguments(RecordingListParams, location="query")
    @blp.response(200, RecordingPageSchema)
    def get(self, params, account_sid, call_sid):
        """List a call's recordings"""
        return _list(account_sid, params, call_sid=call_sid)

    @blp.arguments(CallRecordingCreateParams, location="form")
    @blp.response(201, RecordingSchema)
    def post(self, params, account_sid, call_sid):
        """Start recording a call in progress"""
        call = _live_call(account_sid, call_sid)
        events = tuple(params["status_callback_events"].replace(",", " ").split())
        return translated(lambda: call_recordings.start(
            db_session(), redis_client(), settings(), call, status_callback=params.get("status_callback"),
            status_callback_method=params["status_callback_method"], status_callback_events=events,
            channels=2 if params["channels"] == "dual" else 1), {"not_modifiable": 21220})


@blp.route("/Calls/<string:call_sid>/Recordings/<string:sid>.json")
class CallRecordingResource(MethodView):
    @blp.response(200, RecordingSchema)
    def get(self, account_sid, call_sid, sid):
        """Fetch one of a call's recordings"""
        return _find(account_sid, sid, call_sid=call_sid)

    @blp.arguments(CallRecordingUpdateParams, location="form")
    @blp.response(200, RecordingSchema)
    def post(self, params, account_sid, call_sid, sid):
        """Pause, resume or stop a live recording (`Twilio.CURRENT` names the call's live recording)"""
        call = _live_call(account_sid, call_sid)
        if sid == "Twilio.CURRENT":
            recording = translated(lambda: call_recordings.current(db_session(), call.sid))
        else:
            recording = _find(account_sid, sid, call_sid=call_sid)
        return translated(lambda: call_recordings.change(redis_client(), call, recording, params["status"]),
                          {"not_modifiable": 21220})

    @blp.response(204)
    def delete(self, account_sid, call_sid, sid):
        """Delete one of a call's recordings and its media"""
        _delete(account_sid, sid, call_sid=call_sid)


@blp.route("/Conferences/<string:conference_sid>/Recordings.json")
class ConferenceRecordings(MethodView):
    @blp.arguments(RecordingListParams, location="query")
    @blp.response(200, RecordingPageSchema)
    def get(self, params, account_sid, conference_sid):
        """List a conference's recordings"""
        return _list(account_sid, params, conference_sid=conference_sid)


@blp.route("/Conferences/<string:conference_sid>/Recordings/<string:sid>.json")
class ConferenceRecordingResource(MethodView):
    @blp.response(200, RecordingSchema)
    def get(self, account_sid, conference_sid, sid):
        """Fetch one of a conference's recordings"""
        return _find(account_sid, sid, conference_sid=conference_sid)

    @blp.response(204)
    def delete(self, account_sid, conference_sid, sid):
        """Delete one of a conference's recordings and its media"""
        _delete(account_sid, sid, conference_sid=conference_sid)


def _media(account_sid: str, sid: str, fmt: str) -> Response:
    try:
        return _media_response(account_sid, sid, fmt)
    except FileNotFoundError:
        # The storing job moved the engine's file between our look at the row and opening it:
        # the row now says where the media is.
        db_session().expire_all()
        return _media_response(account_sid, sid, fmt)


def _media_response(account_sid: str, sid: str, fmt: str) -> Response:
    # No credentials here: the account in the path must still own the recording.
    recording = _domain(lambda: service.find_recording(db_session(), account_sid, sid))
    storage, options = _storage()
    source = _domain(lambda: service.media_source(storage, options, recording, fmt, _single_range()))
    if isinstance(source, service.RedirectMedia):
        return redirect(source.url, code=302)
    if isinstance(source, service.FileMedia):
        return send_file(source.path, mimetype=source.content_type, conditional=True,
                         download_name=f"{sid}.{fmt}", max_age=0)
    response = Response(stream_with_context(source.chunks), mimetype=source.content_type,
                        status=206 if source.content_range else 200)
    if source.length is not None:
        response.content_length = source.length
        response.headers["Accept-Ranges"] = "bytes"
    if source.content_range:
        response.headers["Content-Range"] = source.content_range
    return response


def _single_range() -> str | None:
    """The request's Range header when it asks for one byte range (players seeking); None otherwise."""
    parsed = request.range
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return None
    return parsed.to_header()


_MEDIA_DOC = {"security": [], "responses": {"200": {"description": "The audio",
                                                    "content": {"audio/x-wav": {}, "audio/mpeg": {}}},
                                            "302": {"description": "Redirect to a short-lived storage URL"}}}


@media_blp.route("/Recordings/<string:sid>.wav")
@media_blp.doc(**_MEDIA_DOC)
def media_wav(account_sid, sid):
    """Download a recording as WAV"""
    return _media(account_sid, sid, "wav")


@media_blp.route("/Recordings/<string:sid>.mp3")
@media_blp.doc(**_MEDIA_DOC)
def media_mp3(account_sid, sid):
    """Download a recording as MP3"""
    return _media(account_sid, sid, "mp3")


@media_blp.route("/Recordings/<string:sid>")
@media_blp.doc(**_MEDIA_DOC)
def media_default(account_sid, sid):
    """Download a recording (WAV, what a RecordingUrl without extension returns)"""
    return _media(account_sid, sid, "wav")


blp.register_blueprint(media_blp)
