"""Calls whose channel is gone but whose row never heard the hang-up: FreeSWITCH, its event
socket or the controller went away at the wrong moment. Their rows are ended here, so no call
stays "in progress" forever."""
from __future__ import annotations

import logging

from cpaas.models import Call, utcnow
from cpaas.services.calls import Progress
from cpaas.voice.env import VoiceEnv

log = logging.getLogger("cpaas.voice")
#: Seconds a call's row may wait, after its flow ended, for the node's CHANNEL_HANGUP_COMPLETE.
GRACE_SECONDS = 5.0


def end_orphaned_call(env: VoiceEnv, call_sid: str, why: str) -> None:
    with env.database.session() as session:
        call = session.get(Call, call_sid)
        if call is None or call.is_finished:
            return
        log.warning("%s: no hang-up event arrived (%s); ending the call record", call_sid, why)
        env.call_events.apply(session, call, Progress("ended", utcnow(), hangup_cause="NORMAL_TEMPORARY_FAILURE"))
