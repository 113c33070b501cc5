"""The whisper on the callee's side: a <Dial> leg with a `url` answered, and FreeSWITCH's answer
confirmation handed that channel to this controller (see tasks/whisper.py).

The document runs on the callee's channel like any call's, with one difference at the end: the
channel is not hung up but let go (the socket is closed without `resume`), so the `socket`
application returns with the leg up and FreeSWITCH bridges it to the caller. A document that hangs
up, or that cannot be fetched, ends the leg instead, and the caller's <Dial> goes on without it.
"""
from __future__ import annotations

import logging

from cpaas.switch.outbound import ChannelSession
from cpaas.voice.env import VoiceEnv
from cpaas.voice.session import CallSession
from cpaas.voice.twiml.fetch import DocumentRequest, read_call
from cpaas.voice.twiml.flow import TwimlFlow

log = logging.getLogger("cpaas.voice")


class WhisperFlow(TwimlFlow):
    def finish(self, completed: bool) -> None:
        if not completed:
            self.session.hangup()  # no document, no connection: the callee is not left in the dark
        elif not self.session.channel.hung_up:
            log.info("%s: whisper done; connecting the callee", self.call_sid)


def run(env: VoiceEnv, channel: ChannelSession, latencies: list | None = None) -> None:
    """Run the whisper document of the leg on `channel`; returning lets go of the channel."""
    call_sid = channel.variable("cpaas_call_sid")
    with env.database.session() as session:
        found = read_call(session, call_sid) if call_sid else None
        call, known = found if found is not None else (None, None)
        url, method = (call.url, call.method) if call is not None else (None, "POST")
    if not url:
        log.warning("%s: a whisper channel %s without a document; hanging up", call_sid, channel.uuid)
        channel.hangup("CALL_REJECTED")
        return
    log.info("%s: the callee answered; its whisper is %s", call_sid, url)
    flow = WhisperFlow(CallSession(channel, call_sid, latencies), call_sid, env, known)
    flow.run(DocumentRequest(url, method, purpose="whisper-url"))
