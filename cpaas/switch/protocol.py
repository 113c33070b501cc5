"""The ESL protocol core shared by inbound connections and outbound channel sessions.

Built on greenswitch's `ESLProtocol`: we keep its handler table (`register_handle`,
`unregister_handle`, handlers per Event-Name, per CUSTOM Event-Subclass, '*' as fallback)
and its state flags, and replace the I/O it gets wrong for a production controller:

- one reader greenlet per socket that cuts frames out of a buffer (see wire.py) instead of
  a readline per header line and a second greenlet polling a queue once a second;
- `send` writes under a lock with `sendall` (greenswitch uses `sock.send`, which may write
  part of a command, with no lock, so two greenlets can interleave their bytes) and waits
  for its reply with a time limit;
- command replies are matched FIFO (ESL answers commands in order); when the socket drops
  every waiter — replies and bgapi jobs — fails at once with one exception
  (greenswitch leaves inbound waiters blocked forever);
- bgapi jobs are registered under a client-made Job-UUID before the command is written,
  so a fast BACKGROUND_JOB can never arrive before anyone waits for it.

Internal waiters are resolved inline by the reader (no queue hop on the command path); user
handlers run in a separate dispatcher greenlet, started only once a handler is registered,
so a slow handler never delays a command reply.
"""
from __future__ import annotations

import logging
import socket
from collections import deque
from time import monotonic
from uuid import uuid4

import gevent
from gevent import Timeout
from gevent.event import AsyncResult, Event as GEvent
from gevent.lock import Semaphore
from greenswitch.esl import ESLProtocol

from cpaas.switch.errors import EslAuthError, EslCommandError, EslDisconnected, EslError, EslTimeout
from cpaas.switch.jobs import JobResult, PendingJob
from cpaas.switch.wire import Event, FrameReader, Reply, encode_command, parse_event

log = logging.getLogger("cpaas.switch")

_STOP = object()


class EslProtocol(ESLProtocol):
    def __init__(self, command_timeout: float = 5.0, label: str = "esl"):
        super().__init__()
        self.command_timeout = command_timeout
        self.label = label
        self.last_rx = 0.0  # monotonic time the last frame was read (silence detection, latency)
        self.last_tx = 0.0  # monotonic time the last command was written
        self._send_lock = Semaphore()
        self._replies: deque[AsyncResult] = deque()
        self._jobs: dict[str, AsyncResult] = {}
        self._sock = None
        self._reader = None
        self._dispatcher = None
        self._failure: EslError | None = EslDisconnected("not connected", sent=False)
        self._closed = GEvent()
        self._closed.set()

    # ---- socket lifetime -------------------------------------------------------------

    def _attach(self, sock) -> None:
        """Start reading a freshly connected socket; commands may be sent from now on."""
        self._sock = sock
        self._replies = deque()
        self._failure = None
        self._closed.clear()
        self.connected = True
        self.last_rx = monotonic()
        self._reader = gevent.spawn(self._read_loop, sock)

    def _read_loop(self, sock) -> None:
        reason: EslError = EslDisconnected(f"{self.label}: connection closed")
        try:
            reader = FrameReader(sock)
            while True:
                headers, body = reader.read()
                self.last_rx = monotonic()
                self._route(headers, body)
                if reader.buffered:
                    # More frames already read: let the calls this frame woke run before parsing
                    # them, or a busy event socket holds the hub through a whole 64 KB read.
                    gevent.sleep(0)
        except EslError as exc:
            # Kept as the session's failure: with its traceback it would hold this frame, and the
            # frame the session, a cycle only a full garbage collection frees (the controller
            # runs those rarely: a full collection stalls every call).
            reason = exc.with_traceback(None)
        except (OSError, ValueError) as exc:
            reason = EslDisconnected(f"{self.label}: {exc}")
        finally:
            self._connection_lost(sock, reason)

    def _connection_lost(self, sock, reason: EslError) -> None:
        if sock is not self._sock or self._failure is not None:
            return
        self.connected = False
        self._failure = reason
        replies, self._replies = self._replies, deque()
        jobs, self._jobs = self._jobs, {}
        for waiter in replies:
            waiter.set_exception(self._waiter_error(reason))
        for waiter in jobs.values():
            waiter.set_exception(self._waiter_error(reason))
        _abort(sock)
        self._auth_request_event.set()  # wakes a connect() still waiting for auth/request
        self._on_connection_lost(reason)
        self._closed.set()

    def _waiter_error(self, reason: EslError) -> EslError:
        """A fresh exception per waiter (one instance raised in many greenlets mixes tracebacks)."""
        if isinstance(reason, EslDisconnected):
            return EslDisconnected(str(reason), sent=True)
        return type(reason)(str(reason))

    def _on_connection_lost(self, reason: EslError) -> None:
        """Hook for subclasses: called once per socket, after every waiter has failed."""

    def wait_closed(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)

    def close(self) -> None:
        """Drop the socket now; waiters fail with EslDisconnected."""
        sock = self._sock
        if sock is not None and self._failure is None:
            _abort(sock)
            if self._reader is not None and self._reader is not gevent.getcurrent():
                self._reader.join(timeout=self.command_timeout)

    def stop(self) -> None:
        """Say goodbye (`exit`) if still connected, then drop the socket and the dispatcher."""
        if self._failure is None:
            try:
                self.send("exit", timeout=min(self.command_timeout, 2.0))
            except EslError:
                pass
        self.close()
        self._stop_dispatcher()

    def _stop_dispatcher(self) -> None:
        if self._dispatcher is not None:
            self._esl_event_queue.put(_STOP)
            self._dispatcher = None

    # ---- inbound frames --------------------------------------------------------------

    def _route(self, headers: dict[str, str], body: bytes) -> None:
        kind = headers.get("Content-Type")
        if kind == "text/event-plain":
            self._on_event(parse_event(body))
        elif kind == "command/reply":
            self._on_reply(Reply(headers))
        elif kind == "api/response":
            self._on_reply(Reply(headers, body.decode("utf-8", "replace")))
        elif kind == "auth/request":
            self._auth_request_event.set()
        elif kind == "text/disconnect-notice":
            self._on_disconnect_notice(headers, body)
        elif kind == "text/rude-rejection":
            raise EslAuthError(f"{self.label}: rejected by FreeSWITCH ACL: {body.decode(errors='replace').strip()}")

    def _on_reply(self, reply: Reply) -> None:
        if self._replies:
            # A waiter that timed out still owns this reply; setting it is harmless and
            # keeps every later reply matched to its own command.
            self._replies.popleft().set(reply)
        else:
            log.warning("%s: reply with no command waiting: %r", self.label, reply)

    def _on_event(self, event: Event) -> None:
        if event.get("Event-Name") == "BACKGROUND_JOB":
            waiter = self._jobs.pop(event.get("Job-UUID"), None)
            if waiter is not None:
                waiter.set(event)
        if self.event_handlers:
            self._esl_event_queue.put(event)

    def _on_disconnect_notice(self, headers: dict[str, str], body: bytes) -> None:
        """FreeSWITCH says goodbye; the socket close that follows fails the waiters."""

    # ---- user event handlers -----------------------------------------------------------

    def register_handle(self, name: str, handler) -> None:
        """handler(event) for Event-Name `name`, a CUSTOM Event-Subclass, or '*' (unhandled events)."""
        super().register_handle(name, handler)
        if self._dispatcher is None:
            self._dispatcher = gevent.spawn(self._dispatch_loop)

    on = register_handle

    def _dispatch_loop(self) -> None:
        queue = self._esl_event_queue
        while True:
            event = queue.get()
            if event is _STOP:
                return
            for handler in self._handlers_for(event):
                try:
                    handler(event)
                except Exception:
                    log.exception("%s: event handler %r failed on %s (uuid %s)",
                                  self.label, handler, event.name, event.uuid)

    def _handlers_for(self, event: Event) -> list:
        handlers = self.event_handlers
        name = event.get("Event-Name")
        key = event.get("Event-Subclass") if name == "CUSTOM" else name
        found = handlers.get(key)
        if not found:
            found = handlers.get("*", ())
        return list(found)  # a copy: a handler may unregister itself

    # ---- commands ----------------------------------------------------------------------

    def send(self, command: str, headers: dict[str, str] | None = None, body: str | None = None,
             timeout: float | None = None) -> Reply:
        """Write one command and return its reply (command/reply or api/response)."""
        return self._exchange([encode_command(command, headers, body)], command, timeout)[0]

    def send_pipelined(self, commands: list[str], timeout: float | None = None) -> list[Reply]:
        """Write several commands in one go and return their replies in order: one round trip
        instead of one per command (FreeSWITCH answers them in order)."""
        return self._exchange([encode_command(c) for c in commands], commands[0], timeout)

    def _exchange(self, frames: list[bytes], what: str, timeout: float | None) -> list[Reply]:
        waiters = [AsyncResult() for _ in frames]
        with self._send_lock:
            if self._failure is not None:
                raise EslDisconnected(f"{self.label}: not connected ({self._failure})", sent=False)
            self._replies.extend(waiters)
            try:
                self._sock.sendall(frames[0] if len(frames) == 1 else b"".join(frames))
                self.last_tx = monotonic()
            except OSError:
                _abort(self._sock)  # the reader sees the close and fails every waiter, ours too
        limit = self.command_timeout if timeout is None else timeout
        try:
            with Timeout(limit):
                return [waiter.get() for waiter in waiters]
        except Timeout:
            raise EslTimeout(f"{self.label}: no reply to {what.split(None, 1)[0]!r} within {limit}s") from None

    def api(self, command: str, timeout: float | None = None, check: bool = False) -> str:
        """`api <command>` -> its output. With check=True an output starting -ERR/-USAGE raises."""
        body = self.send(f"api {command}", timeout=timeout).body
        if check and body.startswith("-"):
            raise EslCommandError(body.strip())
        return body

    def bgapi_start(self, command: str, track: bool = True, timeout: float | None = None) -> PendingJob:
        """`bgapi <command>` with a Job-UUID made here; returns once FreeSWITCH accepted it.

        track=True registers the job before the command is written, so `PendingJob.wait()`
        gets its BACKGROUND_JOB however fast it comes (the connection must receive
        BACKGROUND_JOB events). track=False is fire-and-forget: the result goes to whoever
        listens for BACKGROUND_JOB (the controller's node listener).
        """
        job_uuid = str(uuid4())
        waiter = AsyncResult() if track else None
        if waiter is not None:
            self._jobs[job_uuid] = waiter
        try:
            reply = self.send(f"bgapi {command}", {"Job-UUID": job_uuid}, timeout=timeout)
        except EslError:
            self._jobs.pop(job_uuid, None)
            raise
        if not reply.ok:
            self._jobs.pop(job_uuid, None)
            raise EslCommandError(reply.text)
        return PendingJob(job_uuid, waiter, self.label, self._jobs)

    def bgapi(self, command: str, timeout: float | None = 30.0) -> JobResult:
        """`bgapi <command>` and wait for its BACKGROUND_JOB -> JobResult."""
        return self.bgapi_start(command).wait(timeout)


def _abort(sock) -> None:
    """Close a socket so that a greenlet blocked reading it wakes up at once."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
