"""NodeCommands: how an API (or worker) process tells a FreeSWITCH node what to do.

Fire-and-forget commands only — `bgapi originate`, `uuid_kill`, `uuid_break`,
`sendevent CUSTOM` — the API never blocks on a call; results come back as events to the
controller's node listener (BACKGROUND_JOB, CHANNEL_*).

One pooled connection per node per process, opened on first use and kept: a connection
per command would pay TCP set-up, auth/request and auth (three round trips, and a log
line in FreeSWITCH) for every originate, and the pooled one is safe to share between
greenlets because EslConnection serialises writes and matches replies in order. It
subscribes to nothing, so FreeSWITCH sends it no events. When it has died in between (the
node restarted), a command that was refused before any byte was written is retried once
on a fresh connection; one that may have been written is not (an originate must never be
sent twice).
"""
from __future__ import annotations

import logging
from typing import Iterable

from gevent.lock import Semaphore

from cpaas.config import FreeSwitchNode
from cpaas.switch.errors import EslDisconnected
from cpaas.switch.inbound import EslConnection
from cpaas.switch.originate import OriginateRequest

log = logging.getLogger("cpaas.switch")

#: Event-Subclass the controller listens on for live-call updates (redirect, hang-up).
CONTROL_SUBCLASS = "cpaas::control"


class NodeCommands:
    def __init__(self, nodes: Iterable[FreeSwitchNode], *, command_timeout: float = 5.0,
                 connect_timeout: float = 3.0):
        self.nodes = {node.name: node for node in nodes}
        self.command_timeout = command_timeout
        self.connect_timeout = connect_timeout
        self._pool: dict[str, EslConnection] = {}
        self._locks = {name: Semaphore() for name in self.nodes}

    def _node(self, node: FreeSwitchNode | str) -> FreeSwitchNode:
        if isinstance(node, FreeSwitchNode):
            return node
        return self.nodes[node]

    def connection(self, node: FreeSwitchNode | str) -> EslConnection:
        node = self._node(node)
        lock = self._locks.setdefault(node.name, Semaphore())
        with lock:  # one connect per node at a time; the greenlets queued behind it reuse it
            conn = self._pool.get(node.name)
            if conn is None or not conn.connected:
                conn = EslConnection.for_node(node, connect_timeout=self.connect_timeout,
                                              command_timeout=self.command_timeout)
                conn.connect()
                self._pool[node.name] = conn
            return conn

    def _call(self, node, action):
        try:
            return action(self.connection(node))
        except EslDisconnected as exc:
            if exc.sent:
                raise
            log.info("esl %s: pooled connection was closed; reconnecting once", self._node(node).name)
            return action(self.connection(node))

    def api(self, node, command: str) -> str:
        return self._call(node, lambda conn: conn.api(command))

    def originate(self, node, request: OriginateRequest) -> str:
        """`bgapi originate ...`; returns the Job-UUID (its BACKGROUND_JOB goes to the node listener)."""
        command = request.command()
        job = self._call(node, lambda conn: conn.bgapi_start(command, track=False))
        log.info("esl %s: originate sent (job %s, call %s)", self._node(node).name, job.job_uuid,
                 request.variables.get("cpaas_call_sid"))
        return job.job_uuid

    def kill(self, node, channel_uuid: str, cause: str = "NORMAL_CLEARING") -> bool:
        """uuid_kill; False when the channel no longer exists."""
        return self.api(node, f"uuid_kill {channel_uuid} {cause}").startswith("+OK")

    def break_(self, node, channel_uuid: str) -> bool:
        """uuid_break <uuid> all: interrupt what the channel is playing/recording now."""
        return self.api(node, f"uuid_break {channel_uuid} all").startswith("+OK")

    def send_control(self, node, headers: dict[str, str], body: str | None = None) -> str:
        """`sendevent CUSTOM` with Event-Subclass cpaas::control (a live redirect or hang-up for
        the controller that holds the call); returns the event's uuid."""
        all_headers = {"Event-Subclass": CONTROL_SUBCLASS, **headers}
        reply = self._call(node, lambda conn: conn.send_event("CUSTOM", all_headers, body))
        return reply.text[3:].strip()

    def close(self) -> None:
        pool, self._pool = self._pool, {}
        for conn in pool.values():
            conn.stop()
