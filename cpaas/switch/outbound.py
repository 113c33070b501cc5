"""Outbound ESL: FreeSWITCH's `socket host:port async full` connects to us, once per channel.

`OutboundServer` accepts those connections (gevent's StreamServer: one greenlet per
connection, no accept polling — greenswitch's OutboundESLServer sleeps 100 ms whenever the
accept queue is empty, which adds up to 100 ms to every call set-up) and runs the handler
in that greenlet with a ready `ChannelSession` (connected, `myevents`, `linger`).

`ChannelSession.execute(app, arg)` sends sendmsg with an `Event-UUID` of our own and waits
for the CHANNEL_EXECUTE_COMPLETE whose `Application-UUID` is that id. greenswitch matches
on the application's *name* (variable_current_application), so two playbacks in a row, or
a `park` completing while a `playback` runs, complete the wrong waiter.

Hang-up: CHANNEL_HANGUP records the cause; CHANNEL_HANGUP_COMPLETE (which carries every
channel variable: billsec, record_ms, sip_term_status...) fails whatever waits on the
session with `ChannelHangup`; so does the socket closing before that. An execute whose
completion arrives between HANGUP and HANGUP_COMPLETE also gets ChannelHangup: the caller
is gone, and the flow must end rather than carry on with a result. With linger (the
default here) FreeSWITCH keeps the socket open after the hang-up: the linger
disconnect-notice is not an end, events through CHANNEL_HANGUP_COMPLETE still arrive, and
api commands still work until we say `exit`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import uuid4

import gevent
from gevent import Timeout
from gevent.event import AsyncResult, Event as GEvent
from gevent.queue import Empty, Queue
from gevent.server import StreamServer
import gevent.socket

from cpaas.switch.errors import ChannelHangup, EslCommandError, EslDisconnected, EslError, EslTimeout, HangupInfo
from cpaas.switch.protocol import EslProtocol
from cpaas.switch.wire import Event, Reply

log = logging.getLogger("cpaas.switch")

#: What a session itself needs from FreeSWITCH: execute completion and the hang-up.
SESSION_EVENTS = ("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB")

#: Longer arguments go in a body: FreeSWITCH reads header lines into a fixed-size buffer.
_MAX_HEADER_ARG = 1024


@dataclass(frozen=True)
class ExecuteResult:
    application: str
    application_uuid: str
    #: Application-Response: `FILE PLAYED`, `FILE NOT FOUND`, `PLAYBACK ERROR`, `_none_`...
    response: str | None
    event: Event
    #: True when `interrupt()` broke this application (uuid_break)
    interrupted: bool = False

    def variable(self, name: str, default: str | None = None) -> str | None:
        return self.event.variable(name, default)

    @property
    def variables(self) -> dict[str, str]:
        return self.event.variables()



class PendingExecute:
    """An application sent with sendmsg; `wait()` returns its ExecuteResult."""

    __slots__ = ("session", "application", "application_uuid", "interrupted", "_waiter")

    def __init__(self, session: "ChannelSession", application: str, application_uuid: str):
        self.session = session
        self.application = application
        self.application_uuid = application_uuid
        self.interrupted = False
        self._waiter = AsyncResult()

    def _complete(self, event: Event) -> None:
        self._waiter.set(ExecuteResult(self.application, self.application_uuid,
                                       event.get("Application-Response"), event, self.interrupted))

    def _fail(self, exc: Exception) -> None:
        self._waiter.set_exception(exc)

    def wait(self, timeout: float | None = None) -> ExecuteResult:
        try:
            return self._waiter.get(timeout=timeout)
        except Timeout:
            self.session._executes.pop(self.application_uuid, None)
            raise EslTimeout(f"channel {self.session.uuid}: {self.application} not complete within {timeout}s") from None


_GONE = object()  # queued to subscriptions when the channel is over
_WOKEN = object()  # queued by EventSubscription.wake()


class EventSubscription:
    """This channel's events of some names, in the order FreeSWITCH sent them, for one waiter.

    Unlike `wait_for`, nothing that arrives between two waits is lost, so a caller can run
    applications and read their completions and other events (DETECTED_SPEECH) as one stream.
    """

    def __init__(self, session: "ChannelSession", names: tuple[str, ...]):
        self.session = session
        self.names = frozenset(names)
        self._queue: Queue = Queue()

    def _offer(self, event: Event, name: str) -> None:
        if name in self.names:
            self._queue.put(event)

    def wake(self) -> None:
        """Make the waiting `get` return None (another greenlet wants the waiter's attention)."""
        self._queue.put(_WOKEN)

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event; None when woken; ChannelHangup once the channel is gone; EslTimeout."""
        try:
            item = self._queue.get(timeout=timeout)
        except Empty:
            raise EslTimeout(f"{self.session.label}: no {'/'.join(sorted(self.names))} within {timeout}s") from None
        if item is _GONE:
            self._queue.put(_GONE)  # every later get fails the same way
            self.session._hangup_done.wait(self.session.command_timeout)
            raise self.session._hangup_error()
        return None if item is _WOKEN else item

    def close(self) -> None:
        if self in self.session._subscriptions:
            self.session._subscriptions.remove(self)

    def __enter__(self) -> "EventSubscription":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ChannelSession(EslProtocol):
    """One channel under our control (greenswitch's OutboundSession, done right)."""

    def __init__(self, sock, address=None, command_timeout: float = 5.0):
        super().__init__(command_timeout=command_timeout, label=f"channel from {address}")
        self.address = address
        self.data: dict[str, str] = {}
        self.uuid: str | None = None
        self.hangup_cause: str | None = None
        self._hangup_event: Event | None = None
        #: answered when connected, or since: CHANNEL_ANSWER (when the session's events include it)
        self.answered = False
        self._hangup_info: HangupInfo | None = None
        self._hangup_done = GEvent()
        self._executes: dict[str, PendingExecute] = {}
        self._event_waiters: list[tuple[str, object, AsyncResult]] = []
        self._subscriptions: list[EventSubscription] = []
        self._attach(sock)

    # ---- setting up --------------------------------------------------------------------

    def connect(self) -> dict[str, str]:
        """`connect` -> the channel's data (CHANNEL_DATA headers, decoded)."""
        self._take_channel_data(self.send("connect"))
        return self.data

    def _take_channel_data(self, reply: Reply) -> None:
        self.data = reply.headers
        self.uuid = reply.headers.get("Unique-ID") or reply.headers.get("Channel-Unique-ID")
        self.answered = self.answered or reply.headers.get("Answer-State") == "answered"
        self.label = f"channel {self.uuid}"
        if reply.headers.get("Control") != "full":
            log.warning("%s: socket is not in 'full' mode; api/bgapi on this session will fail", self.label)

    def setup(self, myevents: bool = True, linger: bool | int = True,
              only_events: tuple[str, ...] | None = None) -> dict[str, str]:
        """connect, myevents, linger (and filters) written together: one round trip before the flow starts.

        only_events: ask FreeSWITCH to send just these Event-Names (`filter Event-Name X`, OR-ed),
        e.g. CHANNEL_EXECUTE_COMPLETE, CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE, BACKGROUND_JOB, DTMF:
        a verb then costs one or two frames instead of a dozen. The three events this
        session needs for execute and hang-up are always added.
        """
        commands = ["connect"]
        if myevents:
            commands.append("myevents")
        if linger is True:
            commands.append("linger")
        elif linger:
            commands.append(f"linger {int(linger)}")
        if only_events:
            wanted = dict.fromkeys((*SESSION_EVENTS, *only_events))
            commands.extend(f"filter Event-Name {name}" for name in wanted)
        replies = self.send_pipelined(commands)
        self._take_channel_data(replies[0])
        for command, reply in zip(commands[1:], replies[1:]):
            if not reply.ok and "enabled" not in reply.text:
                raise EslCommandError(f"{self.label}: {command}: {reply.text}")
        return self.data

    @property
    def session_data(self) -> dict[str, str]:  # greenswitch's name
        return self.data

    def myevents(self) -> None:
        """Receive this channel's events (a repeat answers `-ERR aready enabled.`, which is fine)."""
        reply = self.send("myevents")
        if not reply.ok and "enabled" not in reply.text:
            raise EslCommandError(reply.text)

    def linger(self, seconds: int | None = None) -> None:
        reply = self.send("linger" if seconds is None else f"linger {int(seconds)}")
        if not reply.ok:
            raise EslCommandError(reply.text)

    def nolinger(self) -> None:
        self.send("nolinger")

    def variable(self, name: str, default: str | None = None) -> str | None:
        """A channel variable as it was when the socket connected."""
        return self.data.get("variable_" + name, default)

    # ---- applications ------------------------------------------------------------------

    def execute(self, application: str, arg: str | None = None, *, timeout: float | None = None,
                event_lock: bool = True) -> ExecuteResult:
        """Run a dialplan application and wait for its CHANNEL_EXECUTE_COMPLETE.

        Raises ChannelHangup if the channel hangs up first, EslTimeout after `timeout`
        seconds (None: no limit; hang-up and socket loss still end the wait).
        """
        return self.execute_async(application, arg, event_lock=event_lock).wait(timeout)

    def execute_async(self, application: str, arg: str | None = None, *, event_lock: bool = True) -> PendingExecute:
        """Send the application; returns once FreeSWITCH accepted it (+OK), before it runs.

        event-lock makes FreeSWITCH run queued messages one at a time, in order; without it
        an application sent while another runs may start in the middle of it.
        """
        self._raise_if_hung_up()
        application_uuid = str(uuid4())
        headers = {"call-command": "execute", "execute-app-name": application}
        body = None
        if arg is not None:
            arg = str(arg)
            if len(arg) > _MAX_HEADER_ARG or "\n" in arg:
                body = arg
            else:
                headers["execute-app-arg"] = arg
        if event_lock:
            headers["event-lock"] = "true"
        headers["Event-UUID"] = application_uuid
        pending = PendingExecute(self, application, application_uuid)
        self._executes[application_uuid] = pending  # registered before the write
        try:
            reply = self.send("sendmsg", headers, body)
        except EslError:
            self._executes.pop(application_uuid, None)
            raise
        if not reply.ok:
            self._executes.pop(application_uuid, None)
            raise EslCommandError(f"{self.label}: {application}: {reply.text}")
        return pending

    def interrupt(self) -> bool:
        """Break the application in progress (and flush queued ones): uuid_break <uuid> all.

        Safe from any greenlet. The interrupted execute returns normally with
        `interrupted=True`. Returns False when the channel is already gone.
        """
        for pending in list(self._executes.values()):
            pending.interrupted = True
        if self.hangup_cause is not None or self._failure is not None:
            return False
        return self.api(f"uuid_break {self.uuid} all").startswith("+OK")

    def break_current(self) -> bool:
        """Stop the application in progress only (uuid_break <uuid>): barge-in over a prompt the
        flow itself decided to cut; it returns normally, not interrupted, and nothing queued is lost."""
        if self.hangup_cause is not None or self._failure is not None:
            return False
        return self.api(f"uuid_break {self.uuid}").startswith("+OK")

    # ---- variables ---------------------------------------------------------------------

    def set_many(self, variables: dict) -> None:
        """Several variables in one round trip (uuid_setvar_multi); values may not hold ';'."""
        for name, value in variables.items():
            _check_name(name)
            if ";" in str(value):
                raise ValueError(f"{name}: ';' cannot be set with uuid_setvar_multi")
        pairs = ";".join(f"{name}={value}" for name, value in variables.items())
        self.api(f"uuid_setvar_multi {self.uuid} {pairs}", check=True)

    def set(self, name: str, value) -> None:
        """Set a channel variable now (uuid_setvar: immediate, not queued behind a running app)."""
        _check_name(name)
        self.api(f"uuid_setvar {self.uuid} {name} {value}", check=True)

    def unset(self, name: str) -> None:
        _check_name(name)
        self.api(f"uuid_setvar {self.uuid} {name}", check=True)

    def getvar(self, name: str) -> str | None:
        """The variable's current value, None when unset."""
        _check_name(name)
        value = self.api(f"uuid_getvar {self.uuid} {name}")
        if value == "_undef_" or value.startswith("-ERR"):
            return None
        return value

    # ---- hang-up -----------------------------------------------------------------------

    def hangup(self, cause: str = "NORMAL_CLEARING", timeout: float | None = None) -> HangupInfo:
        """Hang the channel up and wait for CHANNEL_HANGUP_COMPLETE; returns what it reported."""
        if self.hangup_cause is None and self._failure is None:
            try:
                self.send("sendmsg", {"call-command": "hangup", "hangup-cause": cause})
            except ChannelHangup:
                pass
        self._hangup_done.wait(self.command_timeout if timeout is None else timeout)
        return self.hangup_info or HangupInfo(self.uuid, self.hangup_cause)

    @property
    def hung_up(self) -> bool:
        return self.hangup_cause is not None or self._hangup_done.is_set()

    @property
    def hangup_info(self) -> HangupInfo | None:
        """What CHANNEL_HANGUP_COMPLETE reported (cause only if the socket closed first); None while up."""
        if not self._hangup_done.is_set():
            return None
        if self._hangup_info is None:
            self._hangup_info = HangupInfo(self.uuid, self.hangup_cause, self._hangup_event)
        return self._hangup_info

    def wait_hangup(self, timeout: float | None = None) -> HangupInfo | None:
        self._hangup_done.wait(timeout)
        return self.hangup_info

    def _hangup_error(self) -> ChannelHangup:
        event = self._hangup_event if self._hangup_done.is_set() else None
        return ChannelHangup(self.uuid, self.hangup_cause, event)

    def _raise_if_hung_up(self) -> None:
        if self.hangup_cause is not None or self._failure is not None:
            self._hangup_done.wait(self.command_timeout)  # so the error carries the variables
            raise self._hangup_error()

    # ---- events ------------------------------------------------------------------------

    def subscribe(self, *names: str) -> EventSubscription:
        """Queue this channel's events named `names` from now on (see EventSubscription); close it after."""
        self._raise_if_hung_up()
        subscription = EventSubscription(self, names)
        self._subscriptions.append(subscription)
        return subscription

    def wait_for(self, name: str, predicate=None, timeout: float | None = None) -> Event:
        """Block until this session receives event `name` (matching predicate(event), if given).

        Registered before it returns control, resolved by the reader; raises ChannelHangup
        if the channel ends first, EslTimeout after `timeout`.
        """
        self._raise_if_hung_up()
        waiter = AsyncResult()
        entry = (name, predicate, waiter)
        self._event_waiters.append(entry)
        try:
            return waiter.get(timeout=timeout)
        except Timeout:
            raise EslTimeout(f"{self.label}: no {name} within {timeout}s") from None
        finally:
            if entry in self._event_waiters:
                self._event_waiters.remove(entry)

    def _on_event(self, event: Event) -> None:
        headers = event  # get() reads single headers without decoding the whole event
        name = headers.get("Event-Name")
        if name == "CHANNEL_EXECUTE_COMPLETE":
            pending = self._executes.get(headers.get("Application-UUID"))
            if pending is not None and self.hangup_cause is None:
                del self._executes[pending.application_uuid]
                pending._complete(event)
        elif name == "CHANNEL_ANSWER" and headers.get("Unique-ID") == self.uuid:
            self.answered = True
        elif name == "CHANNEL_HANGUP" and headers.get("Unique-ID") == self.uuid:
            self.hangup_cause = headers.get("Hangup-Cause") or "NORMAL_CLEARING"
        elif name == "CHANNEL_HANGUP_COMPLETE" and headers.get("Unique-ID") == self.uuid:
            self.hangup_cause = headers.get("Hangup-Cause") or self.hangup_cause
            self._hangup_event = event
            self._finish()
        for subscription in self._subscriptions:
            subscription._offer(event, name)
        if self._event_waiters:
            for entry in list(self._event_waiters):
                wanted, predicate, waiter = entry
                if wanted == name and (predicate is None or predicate(event)):
                    self._event_waiters.remove(entry)
                    waiter.set(event)
        super()._on_event(event)

    def _on_disconnect_notice(self, headers: dict[str, str], body: bytes) -> None:
        if headers.get("Content-Disposition") == "linger":
            # Not an end: events through CHANNEL_HANGUP_COMPLETE may still follow.
            self._lingering = True

    def _finish(self) -> None:
        """The channel is over: fail every waiter with ChannelHangup, once."""
        if self._hangup_done.is_set():
            return
        self._hangup_done.set()
        executes, self._executes = self._executes, {}
        waiters, self._event_waiters = self._event_waiters, []
        for subscription in self._subscriptions:
            subscription._queue.put(_GONE)
        for pending in executes.values():
            pending._fail(self._hangup_error())
        for _name, _predicate, waiter in waiters:
            waiter.set_exception(self._hangup_error())

    def _on_connection_lost(self, reason: EslError) -> None:
        self._finish()

    def _waiter_error(self, reason: EslError) -> EslError:
        return self._hangup_error()

    def _exchange(self, frames: list[bytes], what: str, timeout: float | None) -> list[Reply]:
        try:
            return super()._exchange(frames, what, timeout)
        except ChannelHangup:
            raise
        except EslDisconnected:  # the socket is gone: for a call, that is a hang-up
            self._hangup_done.wait(self.command_timeout)
            raise self._hangup_error() from None

    def finish(self) -> None:
        """End our side: `exit` if the socket is still open, wait for FreeSWITCH to close it."""
        if self._failure is None:
            try:
                self.send("exit", timeout=min(self.command_timeout, 2.0))
            except EslError:
                pass
            self.wait_closed(self.command_timeout)
        self.close()
        self._stop_dispatcher()


def _check_name(name: str) -> None:
    if not name or any(c in name for c in " \t\r\n"):
        raise ValueError(f"bad channel variable name {name!r}")


class OutboundServer:
    """Accepts FreeSWITCH's outbound sockets; runs handler(session) in each connection's greenlet.

    `sessions` maps channel uuid -> live ChannelSession, so another greenlet (a live
    redirect arriving on the node listener) can find a call and `interrupt()` it.
    linger: True (until we exit), a number of seconds, or False.
    only_events: see ChannelSession.setup (None: every event of the channel).
    """

    def __init__(self, handler, host: str = "127.0.0.1", port: int = 8084, *, command_timeout: float = 5.0,
                 myevents: bool = True, linger: bool | int = True, only_events: tuple[str, ...] | None = None,
                 backlog: int = 1024):
        self.handler = handler
        self.host = host
        self.port = port
        self.command_timeout = command_timeout
        self.myevents = myevents
        self.linger = linger
        self.only_events = only_events
        self.sessions: dict[str, ChannelSession] = {}
        self._server = StreamServer((host, port), self._handle, backlog=backlog)

    def start(self) -> "OutboundServer":
        self._server.start()
        self.port = self._server.server_port
        log.info("outbound ESL server listening on %s:%s", self.host, self.port)
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop accepting; give running calls `timeout` seconds, then kill their greenlets."""
        self._server.stop(timeout=timeout)

    def __enter__(self) -> "OutboundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handle(self, sock, address) -> None:
        sock.setsockopt(gevent.socket.IPPROTO_TCP, gevent.socket.TCP_NODELAY, 1)
        session = ChannelSession(sock, address, command_timeout=self.command_timeout)
        try:
            session.setup(self.myevents, self.linger, self.only_events)
        except EslError as exc:
            log.warning("%s: outbound socket set-up failed: %s", session.label, exc)
            session.finish()
            return
        uuid = session.uuid
        self.sessions[uuid] = session
        try:
            self.handler(session)
        except ChannelHangup as exc:
            log.info("channel %s: hung up (%s) during its flow", uuid, exc.cause)
        except Exception:
            log.exception("channel %s: call handler failed", uuid)
        finally:
            self.sessions.pop(uuid, None)
            session.finish()
