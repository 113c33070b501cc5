"""Calls whose channel is gone but whose row never heard the hang-up: FreeSWITCH, its event
socket or the controller went away at the wrong moment. Their rows are ended here, so no call
stays "in progress" forever."""
from __future__ import annotations

import logging
import time
from collections import deque

import gevent
from sqlalchemy import select

from cpaas.models import Call, utcnow
from cpaas.models.calls import TERMINAL
from cpaas.services.calls import Progress
from cpaas.voice.env import VoiceEnv

log = logging.getLogger("cpaas.voice")
#: Seconds a call's row may wait, after its flow ended, for the node's CHANNEL_HANGUP_COMPLETE.
GRACE_SECONDS = 5.0
#: How often the watch looks at the calls whose grace is over.
SWEEP_SECONDS = 1.0


def end_orphaned_call(env: VoiceEnv, call_sid: str, why: str) -> None:
    with env.database.session() as session:
        call = session.get(Call, call_sid)
        if call is not None and not call.is_finished:
            _end(env, session, call, why)


def _end(env: VoiceEnv, session, call: Call, why: str) -> None:
    log.warning("%s: no hang-up event arrived (%s); ending the call record", call.sid, why)
    env.call_events.apply(session, call, Progress("ended", utcnow(), hangup_cause="NORMAL_TEMPORARY_FAILURE"))


class OrphanWatch:
    """After a call's flow ends, its row should hear the hang-up within GRACE_SECONDS. Rather than a
    query per call, the calls whose grace is over are checked together, once a second."""

    def __init__(self, env: VoiceEnv):
        self.env = env
        self._due: deque[tuple[float, str, str]] = deque()  # (monotonic deadline, call sid, why), in order
        self._sweeper: gevent.Greenlet | None = None

    def watch(self, call_sid: str, why: str) -> None:
        self._due.append((time.monotonic() + GRACE_SECONDS, call_sid, why))
        if self._sweeper is None or self._sweeper.dead:
            self._sweeper = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.kill()

    def _run(self) -> None:
        while self._due:
            gevent.sleep(SWEEP_SECONDS)
            now = time.monotonic()
            whys = {}
            while self._due and self._due[0][0] <= now:
                _, call_sid, why = self._due.popleft()
                whys[call_sid] = why
            if whys:
                self._sweep(whys)

    def _sweep(self, whys: dict[str, str]) -> None:
        try:
            with self.env.database.session() as session:
                for call in session.scalars(select(Call).where(Call.sid.in_(whys), Call.status.not_in(TERMINAL))):
                    _end(self.env, session, call, whys[call.sid])
        except Exception:
            log.exception("checking %d ended flows for orphaned calls failed", len(whys))
