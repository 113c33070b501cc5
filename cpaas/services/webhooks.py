"""Webhook requests: Twilio-style signing, one HTTP attempt, and a record of every attempt."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from cpaas.models import WebhookAttempt, insert_row
from cpaas.services.http_transport import (RawResponse, Transport, TransportFailure, TransportTimeout,
                                           Urllib3Transport)

log = logging.getLogger("cpaas.webhooks")
USER_AGENT = "cpaas-webhooks/1.0 (TwilioProxy-compatible)"


def twilio_signature(url: str, params: dict | None, auth_token: str) -> str:
    """X-Twilio-Signature: base64(HMAC-SHA1(token, url + each POST param sorted by key as key+value))."""
    payload = url + "".join(f"{key}{value}" for key, value in sorted((params or {}).items()))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class WebhookRequest:
    """What to send: plain data, so it can travel through Redis to a worker."""

    url: str
    method: str
    params: dict
    account_sid: str
    purpose: str
    resource_sid: str | None = None
    auth_token: str | None = None  # signs the request when set
    json_body: bool = False
    headers: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class WebhookResponse:
    ok: bool
    status: int | None
    body: bytes
    content_type: str
    error: str | None
    retryable: bool
    elapsed_ms: int
    final_url: str


def prepare(request: WebhookRequest) -> tuple[str, dict, dict | None, bytes | None]:
    """(url, headers, form, body) for one attempt, signed as Twilio signs."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/xml, text/xml, application/json, */*",
               **request.headers}
    form = None
    body = None
    url = request.url
    if request.method.upper() == "GET":
        url = _with_query(url, request.params)
        signed_params = None
    elif request.json_body:
        body = json.dumps(request.params, separators=(",", ":")).encode()
        headers["Content-Type"] = "application/json"
        url = _with_query(url, {"bodySHA256": hashlib.sha256(body).hexdigest()})
        signed_params = None
    else:
        form = {k: "" if v is None else str(v) for k, v in request.params.items()}
        signed_params = form
    if request.auth_token:
        headers["X-Twilio-Signature"] = twilio_signature(url, signed_params, request.auth_token)
    return url, headers, form, body


_DEFAULT_TRANSPORT = Urllib3Transport()
_MAX_REDIRECTS = 10


def send(request: WebhookRequest, timeout: float, transport: Transport | None = None) -> WebhookResponse:
    url, headers, form, body = prepare(request)
    if form is not None:
        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.monotonic()
    try:
        response, final_url = _request(transport or _DEFAULT_TRANSPORT, request.method.upper(), url, headers, body,
                                       timeout)
    except TransportTimeout:
        return _failed(url, started, f"timed out after {timeout:g}s", retryable=True)
    except TransportFailure as exc:
        return _failed(url, started, f"connection failed: {_short(str(exc))}", retryable=True)
    elapsed = int((time.monotonic() - started) * 1000)
    ok = 200 <= response.status < 300
    error = None if ok else f"HTTP {response.status}"
    return WebhookResponse(ok, response.status, response.body, response.content_type, error,
                           response.status >= 500, elapsed, final_url)


def _request(transport: Transport, method: str, url: str, headers: dict, body: bytes | None,
             timeout: float) -> tuple[RawResponse, str]:
    """One request, following redirects as browsers (and requests) do: 301/302/303 become a GET
    without the body, 307/308 repeat the request. Never retried here: the jobs retry with backoff."""
    for _ in range(_MAX_REDIRECTS + 1):
        response = transport.request(method, url, headers, body, timeout)
        if not response.location:
            return response, url
        url = urljoin(url, response.location)
        if response.status in (301, 302, 303) and method != "HEAD":
            method, body = "GET", None
            headers = {k: v for k, v in headers.items() if k != "Content-Type"}
    return response, url


def record_attempt(session, request: WebhookRequest, response: WebhookResponse, attempt: int) -> None:
    # Never changed once written: no unit of work needed.
    insert_row(session, attempt_row(request, response, attempt))
    log_attempt(request, response, attempt)


def attempt_row(request: WebhookRequest, response: WebhookResponse, attempt: int) -> WebhookAttempt:
    """The log row of one attempt, for whoever writes it (a job at once, the controller behind)."""
    return WebhookAttempt(
        account_sid=request.account_sid, resource_sid=request.resource_sid, purpose=request.purpose,
        url=request.url[:1024], method=request.method.upper(), attempt=attempt, response_status=response.status,
        error=(response.error or None) and response.error[:512], elapsed_ms=response.elapsed_ms)


def log_attempt(request: WebhookRequest, response: WebhookResponse, attempt: int) -> None:
    outcome = "ok" if response.ok else f"failed ({response.error})"
    log.log(logging.INFO if response.ok else logging.WARNING, "%s %s %s %s attempt %d: %s in %d ms",
            request.resource_sid or request.account_sid, request.purpose, request.method.upper(), request.url,
            attempt, outcome, response.elapsed_ms)


def _with_query(url: str, params: dict) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, "" if v is None else str(v))
                                                               for k, v in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _failed(url: str, started: float, error: str, retryable: bool) -> WebhookResponse:
    return WebhookResponse(False, None, b"", "", error, retryable, int((time.monotonic() - started) * 1000), url)


def _short(text: str) -> str:
    return text if len(text) < 200 else text[:200] + "…"
