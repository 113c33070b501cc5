"""TwimlFlow: runs a call's TwiML documents, verb by verb, on one CallSession.

The end of a document hangs up. A live update (redirect) interrupts the verb in progress and
continues with the new document; a hang-up anywhere raises ChannelHangup out of `run`.
"""
from __future__ import annotations

import logging
from urllib.parse import urljoin

from cpaas.jobs.webhooks import enqueue
from cpaas.models import Call
from cpaas.services.webhooks import WebhookRequest
from cpaas.voice.env import VoiceEnv
from cpaas.voice.session import CallSession
from cpaas.voice.twiml import verbs as v
from cpaas.voice.twiml.fetch import (CallSnapshot, DocumentFetcher, DocumentRequest, FetchFailure, InlineDocument,
                                     parse_document)
from cpaas.voice.twiml.tasks import END, run_task

log = logging.getLogger("cpaas.voice")
_MAX_DOCUMENTS = 1000  # a redirect loop must not hold a call forever


class TwimlFlow:
    def __init__(self, session: CallSession, call_sid: str, env: VoiceEnv, call: CallSnapshot | None = None):
        self.session = session
        self.call_sid = call_sid
        self.env = env
        self.fetcher = DocumentFetcher(env)
        self._call = call  # read once; what requests about the call say, but CallStatus
        self.document_url: str | None = None
        self._pending: DocumentRequest | InlineDocument | None = None

    # ---- used by tasks -----------------------------------------------------------------

    def absolute(self, url: str) -> str:
        return urljoin(self.document_url or "", url)

    def request(self, url: str | None, method: str, purpose: str, **params) -> DocumentRequest:
        """The next document: `url` (relative to the current document; None: the current document)."""
        return DocumentRequest(self.absolute(url) if url else (self.document_url or ""), method.upper(),
                               {k: str(val) for k, val in params.items()}, purpose=purpose)

    def post_in_background(self, url: str | None, method: str, purpose: str, **params) -> None:
        """A request whose reply the call does not wait for or use, as a job: an action Twilio still
        requests after the caller hung up, partial speech results."""
        known = self.call_snapshot()
        request = WebhookRequest(url=self.request(url, method, purpose).url, method=method.upper(),
                                 params={**known.params, **{k: str(v) for k, v in params.items()}},
                                 account_sid=known.account_sid, purpose=purpose, resource_sid=self.call_sid,
                                 auth_token=known.auth_token)
        enqueue(self.env.redis, request, self.env.settings.webhook_retry_intervals, order_key=self.call_sid)

    def call_snapshot(self) -> CallSnapshot:
        """What a request about the call says now: its row is read once (if the controller did not
        have it at hand), and CallStatus comes from the channel."""
        if self._call is None:
            self._call = self.fetcher.snapshot(self.call_sid)
        return self._call.with_status(self.session.call_status(self._call.params["CallStatus"]))

    def fetch(self, source: DocumentRequest) -> tuple[v.Document, str]:
        """(the document `source` names, the URL it came from); FetchFailure when there is none."""
        return self.fetcher.fetch(self.call_sid, source, self.call_snapshot())

    # ---- live updates ------------------------------------------------------------------

    def redirect_to(self, url: str | None, method: str, twiml: str | None = None) -> None:
        self.redirect(InlineDocument(twiml) if twiml else DocumentRequest(url or "", method.upper(),
                                                                           purpose="redirect"))

    def redirect(self, source: DocumentRequest | InlineDocument) -> None:
        """From another greenlet: stop what the call is doing and run `source` next."""
        log.info("%s: live update -> %s", self.call_sid, getattr(source, "url", "inline TwiML"))
        self._pending = source
        self.session.interrupt()

    # ---- running -----------------------------------------------------------------------

    def run(self, first: DocumentRequest | InlineDocument) -> None:
        source = first
        try:
            for _ in range(_MAX_DOCUMENTS):
                if source is None:
                    break
                document = self._load(source)
                source = self._execute(document)
        except FetchFailure as exc:
            self._record_error(exc)
            self.finish(completed=False)
            return
        self.finish(completed=True)

    def finish(self, completed: bool) -> None:
        """After the last document (or one that could not be had): the call is hung up, as Twilio does."""
        self.session.hangup()

    def _load(self, source) -> v.Document:
        if isinstance(source, InlineDocument):
            return parse_document(source.twiml)
        self.session.waiting_elsewhere()
        document, self.document_url = self.fetch(source)
        for warning in document.warnings:
            log.warning("%s: TwiML warning %d from %s: %s", self.call_sid, warning.code, self.document_url,
                        warning.message)
        return document

    def _execute(self, document: v.Document):
        for verb in document.verbs:
            if self._pending is not None:
                break
            outcome = run_task(self, verb)
            if outcome is END:
                return None
            if outcome is not None:
                return outcome
        pending, self._pending = self._pending, None
        return pending

    def _record_error(self, failure: FetchFailure) -> None:
        log.warning("%s: error %d: %s; hanging up", self.call_sid, failure.code, failure.message)
        with self.env.database.session() as session:
            call = session.get(Call, self.call_sid)
            call.error_code, call.error_message = failure.code, failure.message[:512]
