"""Inbound ESL: we connect to FreeSWITCH's event socket (port 8021).

`EslConnection` is one long-lived client per node. `connect()` makes one attempt (socket,
auth, then replays the subscriptions); `start()` runs a supervisor greenlet that keeps it
connected: on a drop it reconnects with exponential backoff (plus jitter, so N controllers
do not hammer a restarting FreeSWITCH in step) and re-subscribes the same events and
filters. Handlers live on the object, so they survive reconnects.

Health: FreeSWITCH sends HEARTBEAT every 20 s by default (Session-Count, Max-Sessions,
Idle-CPU...). Each one updates `health` and is passed to `on_health` callbacks (the node
registry writes it to Redis). A watchdog notices silence: when nothing at all has arrived
for `silence_timeout` seconds it probes with `api status`; no answer means the TCP
connection is dead (a half-open socket after a network failure never errors by itself),
so it is dropped and the supervisor reconnects.
"""
from __future__ import annotations

import logging
import random
from uuid import uuid4
from dataclasses import dataclass, field, replace
from time import monotonic, time

import gevent
import gevent.socket
from gevent import Timeout
from gevent.event import AsyncResult, Event as GEvent

from cpaas.config import FreeSwitchNode
from cpaas.switch.errors import ChannelHangup, EslAuthError, EslCommandError, EslDisconnected, EslError, EslTimeout
from cpaas.switch.outbound import ExecuteResult
from cpaas.switch.protocol import EslProtocol, _abort
from cpaas.switch.wire import Event

log = logging.getLogger("cpaas.switch")


@dataclass(frozen=True)
class NodeHealth:
    """What we know about one FreeSWITCH node right now."""

    node: str
    connected: bool
    session_count: int | None = None
    max_sessions: int | None = None
    idle_cpu: float | None = None
    uptime_ms: int | None = None
    #: wall-clock time of the last HEARTBEAT (0 when none yet)
    heartbeat_at: float = 0.0
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def healthy(self) -> bool:
        return self.connected


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _event_command(events: list[str], subclasses: list[str]) -> str:
    words = list(events)
    if subclasses:
        words += ["CUSTOM", *subclasses]
    return "event plain " + " ".join(words)


class EslConnection(EslProtocol):
    def __init__(self, host: str, port: int, password: str, *, name: str | None = None,
                 connect_timeout: float = 5.0, command_timeout: float = 5.0,
                 silence_timeout: float = 60.0, backoff_initial: float = 0.1, backoff_max: float = 10.0):
        self.name = name or f"{host}:{port}"
        super().__init__(command_timeout=command_timeout, label=f"esl {self.name}")
        self.host = host
        self.port = port
        self.password = password
        self.connect_timeout = connect_timeout
        self.silence_timeout = silence_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._events: list[str] = []
        self._subclasses: list[str] = []  # CUSTOM Event-Subclasses
        self._filters: list[tuple[str, str]] = []
        self._health_callbacks: list = []
        self._executes: dict[str, tuple[str, str, AsyncResult]] = {}  # Application-UUID -> (uuid, app, waiter)
        self._hanging: set[str] = set()  # channels with executes pending that got CHANNEL_HANGUP
        self._supervisor = None
        self._watchdog = None
        self._stopping = False
        self._up = GEvent()
        self.connects = 0
        self.health = NodeHealth(self.name, connected=False)

    @classmethod
    def for_node(cls, node: FreeSwitchNode, **options) -> "EslConnection":
        return cls(node.host, node.port, node.password, name=node.name, **options)

    # ---- connecting --------------------------------------------------------------------

    def connect(self) -> None:
        """One attempt: TCP connect, auth, re-apply subscriptions. Raises EslError on failure."""
        self._auth_request_event.clear()
        try:
            sock = gevent.socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as exc:
            raise EslDisconnected(f"{self.label}: cannot connect: {exc}", sent=False) from None
        sock.settimeout(None)
        sock.setsockopt(gevent.socket.IPPROTO_TCP, gevent.socket.TCP_NODELAY, 1)
        self._attach(sock)
        try:
            self._authenticate()
            self._apply_subscriptions()
        except EslError:
            _abort(sock)
            self.wait_closed(self.command_timeout)
            raise
        self.connects += 1
        self._watchdog = gevent.spawn(self._watch_silence, sock)
        self._set_health(connected=True)
        self._up.set()
        log.info("%s: connected and subscribed (%d events, %d filters)", self.label,
                 len(self._events), len(self._filters))

    def _authenticate(self) -> None:
        arrived = self._auth_request_event.wait(self.connect_timeout)
        if self._failure is not None:  # closed or rude-rejected before auth
            raise self._failure
        if not arrived:
            raise EslTimeout(f"{self.label}: no auth/request within {self.connect_timeout}s")
        reply = self.send(f"auth {self.password}")
        if not reply.ok:
            raise EslAuthError(f"{self.label}: authentication failed: {reply.text}")

    def _apply_subscriptions(self) -> None:
        if self._events or self._subclasses:
            self._checked(self.send(_event_command(self._events, self._subclasses)))
        for header, value in self._filters:
            self._checked(self.send(f"filter {header} {value}"))

    @staticmethod
    def _checked(reply):
        if not reply.ok:
            raise EslError(reply.text)
        return reply

    def start(self) -> "EslConnection":
        """Keep this connection up in the background (reconnect with backoff, resubscribe)."""
        if self._supervisor is None:
            self._stopping = False
            self._supervisor = gevent.spawn(self._supervise)
        return self

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._up.wait(timeout)

    def _supervise(self) -> None:
        delay = self.backoff_initial
        while not self._stopping:
            try:
                self.connect()
            except EslError as exc:
                log.warning("%s: connect failed (%s); retrying in %.2fs", self.label, exc, delay)
                gevent.sleep(delay * (1 + random.random() * 0.2))
                delay = min(delay * 2, self.backoff_max)
                continue
            connected_at = monotonic()
            self.wait_closed()
            if monotonic() - connected_at > self.backoff_max:
                delay = self.backoff_initial  # it had been stable: reconnect at once
            elif not self._stopping:
                gevent.sleep(delay)  # flapping (auth passes, then drops): keep backing off
                delay = min(delay * 2, self.backoff_max)
            if not self._stopping:
                log.warning("%s: connection lost (%s); reconnecting", self.label, self._failure)

    def _on_connection_lost(self, reason: EslError) -> None:
        executes, self._executes = self._executes, {}
        self._hanging.clear()
        for _uuid, _app, waiter in executes.values():
            waiter.set_exception(self._waiter_error(reason))
        self._up.clear()
        if self._watchdog is not None and self._watchdog is not gevent.getcurrent():
            self._watchdog.kill(block=False)
        self._watchdog = None
        self._set_health(connected=False)

    def stop(self) -> None:
        self._stopping = True
        super().stop()
        if self._supervisor is not None:
            self._supervisor.kill()
            self._supervisor = None

    def __enter__(self) -> "EslConnection":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- subscriptions -----------------------------------------------------------------

    def subscribe(self, *names: str) -> None:
        """Add events (`CHANNEL_ANSWER`, `HEARTBEAT`, `CUSTOM cpaas::control`...); kept for reconnects.

        A word after CUSTOM, or any word with `::`, is a CUSTOM subclass. FreeSWITCH reads every
        word after CUSTOM as a subclass, so the command always puts them last.
        """
        new_events, new_subclasses, custom = [], [], False
        for word in (w for name in names for w in name.split()):
            if word == "CUSTOM":
                custom = True
            elif custom or "::" in word:
                if word not in self._subclasses and word not in new_subclasses:
                    new_subclasses.append(word)
            elif word not in self._events and word not in new_events:
                new_events.append(word)
        if not new_events and not new_subclasses:
            return
        self._events.extend(new_events)
        self._subclasses.extend(new_subclasses)
        if self._failure is None:
            try:
                self._checked(self.send(_event_command(new_events, new_subclasses)))
            except EslDisconnected:
                pass  # recorded: the reconnect subscribes it

    def add_filter(self, header: str, value: str) -> None:
        """`filter Header value` (only matching events are delivered); kept for reconnects."""
        if (header, value) in self._filters:
            return
        self._filters.append((header, value))
        if self._failure is None:
            try:
                self._checked(self.send(f"filter {header} {value}"))
            except EslDisconnected:
                pass  # recorded: the reconnect applies it

    @property
    def subscriptions(self) -> tuple[list[str], list[tuple[str, str]]]:
        events = self._events + (["CUSTOM", *self._subclasses] if self._subclasses else [])
        return events, list(self._filters)

    def bgapi_start(self, command: str, track: bool = True, timeout: float | None = None):
        if track and "BACKGROUND_JOB" not in self._events and "ALL" not in self._events:
            self.subscribe("BACKGROUND_JOB")
        return super().bgapi_start(command, track=track, timeout=timeout)

    def send_event(self, name: str, headers: dict[str, str], body: str | None = None):
        """`sendevent NAME` (for CUSTOM pass Event-Subclass in headers) -> the reply (+OK <event uuid>)."""
        reply = self.send(f"sendevent {name}", headers, body)
        return self._checked(reply)

    # ---- health ------------------------------------------------------------------------

    def on_health(self, callback) -> None:
        """callback(NodeHealth) on every HEARTBEAT, connect and disconnect."""
        self._health_callbacks.append(callback)
        self.subscribe("HEARTBEAT")

    # ---- applications on any channel (sendmsg <uuid>) -------------------------------------

    def execute(self, uuid: str, application: str, arg: str | None = None, *, timeout: float | None = None,
                event_lock: bool = True) -> ExecuteResult:
        """Run an application on channel `uuid` and wait for its CHANNEL_EXECUTE_COMPLETE
        (matched on our Event-UUID). Raises ChannelHangup if that channel hangs up first —
        also when the completion comes after CHANNEL_HANGUP, as ChannelSession does.

        Call flows use the outbound ChannelSession; this is for channels the controller does
        not hold a socket for (a parked leg, a test)."""
        self.subscribe("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE")
        application_uuid = str(uuid4())
        headers = {"call-command": "execute", "execute-app-name": application}
        if arg is not None:
            headers["execute-app-arg"] = str(arg)
        if event_lock:
            headers["event-lock"] = "true"
        headers["Event-UUID"] = application_uuid
        waiter = AsyncResult()
        self._executes[application_uuid] = (uuid, application, waiter)
        try:
            reply = self.send(f"sendmsg {uuid}", headers)
            if not reply.ok:
                raise EslCommandError(f"{self.label}: {application} on {uuid}: {reply.text}")
            event = waiter.get(timeout=timeout)
        except Timeout:
            raise EslTimeout(f"{self.label}: {application} on {uuid} not complete within {timeout}s") from None
        finally:
            self._executes.pop(application_uuid, None)
        return ExecuteResult(application, application_uuid, event.get("Application-Response"), event)

    def _on_event(self, event: Event) -> None:
        name = event.get("Event-Name")
        if name == "HEARTBEAT":
            self._on_heartbeat(event)
        elif self._executes:
            if name == "CHANNEL_EXECUTE_COMPLETE":
                entry = self._executes.get(event.get("Application-UUID"))
                if entry is not None and entry[0] not in self._hanging:
                    del self._executes[event.get("Application-UUID")]
                    entry[2].set(event)
            elif name == "CHANNEL_HANGUP":
                uuid = event.get("Unique-ID")
                if any(entry[0] == uuid for entry in self._executes.values()):
                    self._hanging.add(uuid)
            elif name == "CHANNEL_HANGUP_COMPLETE":
                self._fail_executes_of(event)
        super()._on_event(event)

    def _fail_executes_of(self, event: Event) -> None:
        uuid = event.get("Unique-ID")
        self._hanging.discard(uuid)
        for app_uuid, (channel, _app, waiter) in list(self._executes.items()):
            if channel == uuid:
                del self._executes[app_uuid]
                waiter.set_exception(ChannelHangup(uuid, event.get("Hangup-Cause"), event))

    def _on_heartbeat(self, event: Event) -> None:
        h = event  # get() reads the few headers without decoding the rest
        self._set_health(
            connected=True,
            session_count=_int(h.get("Session-Count")),
            max_sessions=_int(h.get("Max-Sessions")),
            idle_cpu=_float(h.get("Idle-CPU")),
            uptime_ms=_int(h.get("Uptime-msec")),
            heartbeat_at=time(),
        )

    def _set_health(self, **changes) -> None:
        self.health = replace(self.health, **changes)
        for callback in list(self._health_callbacks):
            try:
                callback(self.health)
            except Exception:
                log.exception("%s: health callback %r failed", self.label, callback)

    def _watch_silence(self, sock) -> None:
        """Probe a connection that has been silent for silence_timeout; drop it if the probe fails."""
        while self._sock is sock and self._failure is None:
            quiet_for = monotonic() - self.last_rx
            if quiet_for < self.silence_timeout:
                gevent.sleep(self.silence_timeout - quiet_for)
                continue
            try:
                self.api("status", timeout=min(self.command_timeout, self.silence_timeout))
            except EslError as exc:
                log.warning("%s: silent for %.1fs and the probe failed (%s); dropping the connection",
                            self.label, quiet_for, exc)
                _abort(sock)
                return
