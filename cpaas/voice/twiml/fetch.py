"""Fetch a call's next TwiML document: signed as Twilio signs, fallback URL on failure, errors by code.

11200 the document could not be retrieved, 12300 its Content-Type is not TwiML, 12100 it does not
parse. An audio response plays as if it were <Play>, as Twilio does.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cpaas.models import Account, Call
from cpaas.services.calls import voice_params
from cpaas.services.webhooks import WebhookRequest, attempt_row, log_attempt, send
from cpaas.voice.env import VoiceEnv
from cpaas.voice.twiml import verbs as v
from cpaas.voice.twiml.parser import TwimlError, parse

RETRIEVAL_FAILURE = 11200
INVALID_CONTENT_TYPE = 12300
_TWIML_TYPES = ("text/xml", "application/xml", "text/html")


@dataclass(frozen=True)
class CallSnapshot:
    """What a request about the call says, when the caller already has it (no read back)."""
    params: dict
    account_sid: str
    auth_token: str

    def with_status(self, status: str) -> "CallSnapshot":
        if self.params.get("CallStatus") == status:
            return self
        return replace(self, params={**self.params, "CallStatus": status})


_CALL_AND_TOKEN = (select(Call, Account.auth_token).join(Account, Account.sid == Call.account_sid)
                   .where(Call.sid == bindparam("sid")))


def read_call(session: Session, call_sid: str) -> tuple[Call, CallSnapshot] | None:
    """The call's row and what requests about it say (one query); None if there is no such call."""
    row = session.execute(_CALL_AND_TOKEN, {"sid": call_sid}).first()
    if row is None:
        return None
    call, token = row
    return call, CallSnapshot(voice_params(call), call.account_sid, token)


@dataclass(frozen=True)
class DocumentRequest:
    url: str
    method: str = "POST"
    params: dict = field(default_factory=dict)  # added to the voice parameters (Digits, DialCallStatus...)
    fallback_url: str | None = None
    fallback_method: str = "POST"
    purpose: str = "voice-url"


@dataclass(frozen=True)
class InlineDocument:
    twiml: str


class FetchFailure(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class DocumentFetcher:
    def __init__(self, env: VoiceEnv):
        self.env = env

    def fetch(self, call_sid: str, request: DocumentRequest, call: CallSnapshot) -> tuple[v.Document, str]:
        """(document, its URL); tries the fallback URL once when the first attempt fails. `call`:
        what the request says about the call."""
        try:
            return self._attempt(call_sid, request.url, request.method, request, call), request.url
        except FetchFailure:
            if not request.fallback_url:
                raise
        return (self._attempt(call_sid, request.fallback_url, request.fallback_method, request, call),
                request.fallback_url)

    def _attempt(self, call_sid: str, url: str, method: str, request: DocumentRequest,
                 call: CallSnapshot) -> v.Document:
        webhook = WebhookRequest(url=url, method=method, params={**call.params, **request.params},
                                 account_sid=call.account_sid, purpose=request.purpose, resource_sid=call_sid,
                                 auth_token=call.auth_token)
        response = send(webhook, self.env.settings.webhook_timeout, self.env.http)
        log_attempt(webhook, response, 1)
        self.env.write_behind.insert(call_sid, attempt_row(webhook, response, 1))
        if not response.ok:
            raise FetchFailure(RETRIEVAL_FAILURE, f"HTTP retrieval failure: {url}: {response.error}")
        content_type = response.content_type.split(";")[0].strip().lower()
        if content_type.startswith("audio/"):
            return v.Document((v.Play(url=response.final_url),))
        if content_type not in _TWIML_TYPES and not content_type.endswith("+xml"):
            raise FetchFailure(INVALID_CONTENT_TYPE, f"Invalid Content-Type {content_type!r} from {url}")
        return parse_document(response.body)

    def snapshot(self, call_sid: str) -> CallSnapshot:
        """The call as a request about it describes it now (one read, in a session of its own: no
        pooled connection is held while the user's app answers)."""
        with self.env.database.session() as session:
            found = read_call(session, call_sid)
        if found is None:
            raise LookupError(f"{call_sid}: no such call")
        return found[1]


def parse_document(document: bytes | str) -> v.Document:
    try:
        return parse(document)
    except TwimlError as exc:
        raise FetchFailure(exc.code, exc.message) from None
