"""A generic HTTP gateway for providers with JSON (or form) APIs, shaped entirely by configuration.

Sending builds the request from our values (to, from, body, ref, dlr_url, account,
encoding, segments, media, validity) renamed by the FIELDS mapping, plus STATIC_FIELDS, with an
optional auth header or basic auth; the provider's id is read from the response at
ID_FIELD (a dotted path: "messages.0.id"). Delivery reports and inbound messages
are read through DLR_FIELDS / INBOUND_FIELDS from the JSON body or the form/query
fields, and the provider's statuses are translated by DLR_STATUSES over the table below.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

import requests

from cpaas.messaging import errors
from cpaas.messaging.gateways import transport
from cpaas.messaging.gateways.base import (DELIVERED, FAILED, SENT, UNDELIVERED, CallbackError, CallbackRequest,
                                           DeliveryReport, Gateway, InboundSms, OutboundSms, SendResult,
                                           normalize_number)
from cpaas.services.sms_segments import segment

log = logging.getLogger(__name__)

# Status words common among providers (SMPP receipt states included), lower case -> ours.
KNOWN_STATUSES = {
    "sent": SENT, "accepted": SENT, "queued": SENT, "enroute": SENT, "buffered": SENT, "submitted": SENT,
    "delivered": DELIVERED, "delivrd": DELIVERED, "success": DELIVERED,
    "undelivered": UNDELIVERED, "undeliv": UNDELIVERED, "expired": UNDELIVERED,
    "failed": FAILED, "rejected": FAILED, "rejectd": FAILED, "deleted": FAILED, "error": FAILED,
}
_DEFAULT_CODES = {UNDELIVERED: errors.UNREACHABLE_HANDSET, FAILED: errors.UNKNOWN_ERROR}


class HttpGateway(Gateway):
    type = "http"

    def __init__(self, config, public_base_url, session: requests.Session | None = None):
        super().__init__(config, public_base_url)
        self.options = config.options
        self._session = session or requests.Session()
        self._statuses = {**KNOWN_STATUSES, **self.options.dlr_statuses}

    # -- sending ---------------------------------------------------------------------------
    def send(self, sms: OutboundSms) -> SendResult:
        payload = self.payload(sms)
        kwargs: dict[str, Any] = {"headers": {}}
        if self.options.auth_header:
            kwargs["headers"][self.options.auth_header[0]] = self.options.auth_header[1]
        if self.config.username:
            kwargs["auth"] = (self.config.username, self.config.password or "")
        if self.options.method == "get":
            kwargs["params"] = payload
        elif self.options.format == "json":
            kwargs["json"] = payload
        else:
            kwargs["data"] = payload
        response = transport.call(self._session, self.options.method, self.config.url, timeout=self.config.timeout,
                                  message_ref=sms.message_ref, gateway=self.name, **kwargs)
        if isinstance(response, SendResult):
            return response
        provider_id = self._provider_id(response)
        log.info("sms %s: accepted by http gateway %s as %s", sms.message_ref, self.name, provider_id)
        return SendResult.ok(provider_id)

    def payload(self, sms: OutboundSms) -> dict[str, Any]:
        info = segment(sms.body)
        ours = {"to": sms.to, "from": sms.from_, "body": sms.body, "ref": sms.message_ref,
                "dlr_url": self.dlr_url(sms.message_ref), "account": sms.account_sid or "",
                "encoding": info.encoding, "segments": info.num_segments, "media": list(sms.media_urls),
                "validity": sms.validity_period}
        payload: dict[str, Any] = dict(self.options.static_fields)
        for our_name, their_name in self.options.fields.items():
            if ours[our_name] not in (None, []):  # no empty media list or validity for providers to trip on
                payload[their_name] = ours[our_name]
        return payload

    def dlr_url(self, message_ref: str) -> str:
        token = f"&token={self.config.callback_token}" if self.config.callback_token else ""
        return f"{self.callback_url('dlr')}?ref={message_ref}{token}"

    def _provider_id(self, response: requests.Response) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return None
        found = dig(body, self.options.id_field)
        return None if found is None or isinstance(found, (dict, list)) else str(found)

    # -- callbacks -------------------------------------------------------------------------
    def parse_delivery_report(self, request: CallbackRequest) -> DeliveryReport:
        self.check_token(request)
        fields = self.options.dlr_fields
        # Our own ?ref= on the dlr_url is the fallback when the provider does not echo a reference.
        ref = self._field(request, fields.get("ref")) or request.get("ref")
        raw_status = self._field(request, fields.get("status"))
        if not ref or not raw_status:
            raise CallbackError(f"gateway {self.name}: delivery report without reference or status")
        status = self._statuses.get(str(raw_status).strip().lower())
        if status is None:
            raise CallbackError(f"gateway {self.name}: unknown delivery status {raw_status!r}")
        code = _int_or_none(self._field(request, fields.get("error_code")))
        if status in _DEFAULT_CODES and code is None:
            code = _DEFAULT_CODES[status]
        log.info("sms %s: http gateway %s reports %s -> %s", ref, self.name, raw_status, status)
        return DeliveryReport(
            message_ref=str(ref), status=status, error_code=code if status in _DEFAULT_CODES else None,
            error_message=f"provider status {raw_status}" if status in _DEFAULT_CODES else None,
            provider_id=_str_or_none(self._field(request, fields.get("id"))), gateway=self.name)

    def parse_inbound(self, request: CallbackRequest) -> InboundSms:
        self.check_token(request)
        fields = self.options.inbound_fields
        sender, receiver = self._field(request, fields.get("from")), self._field(request, fields.get("to"))
        if not sender or not receiver:
            raise CallbackError(f"gateway {self.name}: inbound message without sender or receiver")
        return InboundSms(
            from_=normalize_number(str(sender)), to=normalize_number(str(receiver)),
            body=str(self._field(request, fields.get("body")) or ""),
            provider_id=_str_or_none(self._field(request, fields.get("id"))), gateway=self.name)

    @staticmethod
    def _field(request: CallbackRequest, path: str | None) -> Any:
        if not path:
            return None
        if isinstance(request.json, dict):
            found = dig(request.json, path)
            if found is not None:
                return found
        return request.get(path)


def dig(document: Any, path: str) -> Any:
    """Follow a dotted path ("messages.0.id") through dicts and lists; None where it leads nowhere."""
    node = document
    for step in path.split("."):
        if isinstance(node, Mapping):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None
    return node


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _str_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
