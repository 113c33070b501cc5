"""SMS gateway callbacks: delivery reports and inbound (MO) messages, as docs/messaging.md describes.

    /sms/<type>/<gateway>/dlr       e.g. /sms/kannel/kannel1/dlr
    /sms/<type>/<gateway>/inbound

Not part of any API dialect: gateways authenticate with their shared `token=`
(SMS_GATEWAY_<NAME>_CALLBACK_TOKEN), checked by the gateway's own parser. Answers
are plain text, since gateways only look at the HTTP status.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, request

from cpaas.api.context import db_session
from cpaas.messaging.gateways.base import CallbackError, CallbackRequest
from cpaas.messaging.gateways.registry import GatewayRegistry, UnknownGateway
from cpaas.services import messages

blp = Blueprint("sms_gateways", __name__, url_prefix="/sms")
_REGISTRY = "cpaas.sms_gateways"


def install_registry(app: Flask, registry: GatewayRegistry) -> None:
    """Use these gateways (by default they are read from the environment and .env on first use)."""
    app.extensions[_REGISTRY] = registry


def _registry() -> GatewayRegistry:
    registry = current_app.extensions.get(_REGISTRY)
    if registry is None:
        settings = current_app.extensions["cpaas.settings"]
        registry = current_app.extensions[_REGISTRY] = GatewayRegistry.from_environ(messages.gateway_environ(),
                                                                                   settings.public_base_url)
    return registry


def _callback_request() -> CallbackRequest:
    params = {**request.args.to_dict(), **request.form.to_dict()}
    return CallbackRequest(params=params, headers=dict(request.headers), json=request.get_json(silent=True),
                           raw_query=request.query_string)


def _callbacks() -> messages.Callbacks:
    settings = current_app.extensions["cpaas.settings"]
    return messages.Callbacks(current_app.extensions["cpaas.redis"], settings.webhook_retry_intervals)


def _text(body: str, status: int = 200):
    return body + "\n", status, {"Content-Type": "text/plain; charset=utf-8"}


def _parse(gateway_type: str, name: str, what: str, parse):
    """(what the gateway's callback says, None), or (None, the plain-text refusal to answer it with)."""
    try:
        return parse(_registry().get(name, gateway_type), _callback_request()), None
    except UnknownGateway as exc:
        return None, _text(str(exc), 404)
    except CallbackError as exc:
        current_app.logger.warning("sms %s via %s refused: %s", what, name, exc)
        return None, _text(str(exc), exc.status)


@blp.route("/<string:gateway_type>/<string:name>/dlr", methods=["GET", "POST"])
def delivery_report(gateway_type: str, name: str):
    report, refusal = _parse(gateway_type, name, "dlr", lambda gateway, req: gateway.parse_delivery_report(req))
    if refusal:
        return refusal
    moved = messages.apply_report(db_session(), _callbacks(), report)
    return _text(f"{report.message_ref} {moved.status if moved else 'unchanged'}")


@blp.route("/<string:gateway_type>/<string:name>/inbound", methods=["GET", "POST"])
def inbound(gateway_type: str, name: str):
    sms, refusal = _parse(gateway_type, name, "inbound", lambda gateway, req: gateway.parse_inbound(req))
    if refusal:
        return refusal
    session = db_session()
    message, is_new = messages.receive(session, sms)
    if message is None:
        # Accepted and dropped: a gateway retrying a message for a number nobody owns helps no one.
        return _text(f"no account owns {sms.to}")
    if is_new:
        session.commit()  # the job must find the row
        messages.queue_inbound(current_app.extensions["cpaas.redis"], message.sid)
    return _text(message.sid)
