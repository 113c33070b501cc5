"""<Message> (and the older <Sms>) inside a call: send an SMS from the call, then carry on or
request the action with SmsSid/SmsStatus. By default it goes to the other party of the call,
from our number."""
from __future__ import annotations

import logging

from cpaas.models import Call
from cpaas.services.errors import InvalidParameter
from cpaas.services.messages import send_message
from cpaas.voice.twiml import verbs as v

log = logging.getLogger("cpaas.voice")


def run(flow, verb: v.Message):
    with flow.env.database.session() as session:
        call = session.get(Call, flow.call_sid)
        ours, theirs = (call.to, call.from_) if call.direction == "inbound" else (call.from_, call.to)
        try:
            message = send_message(session, flow.env.redis, call.account_sid, verb.to or theirs, verb.from_ or ours,
                                   verb.body, flow.absolute(verb.status_callback) if verb.status_callback else None,
                                   [flow.absolute(url) for url in verb.media], parent_sid=call.sid)
            sid, status = message.sid, "sending"
        except InvalidParameter as exc:
            log.warning("%s: <Message> not sent: %s", flow.call_sid, exc.message)
            sid, status = None, "invalid"
    if not verb.action:
        return None
    params = {"SmsStatus": status}
    if sid:
        params.update(SmsSid=sid, MessageSid=sid)
    return flow.request(verb.action, verb.method, "message-action", **params)
