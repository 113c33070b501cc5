"""A loopback TCP peer that plays FreeSWITCH's side of a recorded ESL conversation.

The frames it writes are the real bytes from ../shared/esl-traces (tests/support/traces.py);
between them it reads the commands our client writes and checks each one starts like the
command in the trace. Ids our client makes itself (Job-UUID, Event-UUID) differ from the
trace's, so once it has read a command carrying one, it rewrites the trace's id to ours in
every later frame (same length, so Content-Length stays right).

Runs in gevent greenlets on gevent sockets; the test process is not monkey-patched.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import gevent
import gevent.socket
from gevent.event import Event as GEvent
from gevent.server import StreamServer

from tests.support.traces import Frame, load_trace

_IDS = ("job-uuid", "event-uuid")


@dataclass
class Send:
    raw: bytes


@dataclass
class Expect:
    """Read one command; it must start with `prefix`. `trace_ids` are the trace's Job/Event-UUIDs."""

    prefix: str
    trace_ids: dict = field(default_factory=dict)


@dataclass
class Close:
    pass


@dataclass
class Pause:
    seconds: float


@dataclass
class Gate:
    """Wait until the test opens this gate (gevent Event), to time a frame against the client."""

    event: GEvent


@dataclass
class Command:
    line: str
    headers: dict
    body: bytes


def script_from_frames(frames: list[Frame]) -> list:
    steps: list = []
    for frame in frames:
        if frame.direction == "recv":
            steps.append(Send(frame.raw))
        elif frame.direction == "sent":
            first = frame.raw.split(b"\n", 1)[0].decode()
            ids = {k.lower(): v for k, v in frame.headers if k.lower() in _IDS}
            steps.append(Expect(first, ids))
        else:
            steps.append(Close())
    return steps


def script_from_trace(name: str, start: int = 0, stop: int | None = None) -> list:
    return script_from_frames(load_trace(name)[start:stop])


class _Player:
    def __init__(self, sock, script: list):
        self.sock = sock
        self.script = script
        self.buf = bytearray()
        self.received: list[Command] = []
        self.errors: list[str] = []
        self.mapping: dict[bytes, bytes] = {}
        self.done = GEvent()

    def read_command(self) -> Command | None:
        while b"\n\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        end = self.buf.index(b"\n\n")
        head = bytes(self.buf[:end]).decode()
        del self.buf[:end + 2]
        lines = head.split("\n")
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(": ")
            headers[key.lower()] = value
        body = b""
        length = int(headers.get("content-length", 0) or 0)
        while len(self.buf) < length:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        if length:
            body = bytes(self.buf[:length])
            del self.buf[:length]
        return Command(lines[0], headers, body)

    def play(self) -> None:
        try:
            for step in self.script:
                if isinstance(step, Send):
                    data = step.raw
                    for old, new in self.mapping.items():
                        data = data.replace(old, new)
                    self.sock.sendall(data)
                elif isinstance(step, Expect):
                    command = self.read_command()
                    if command is None:
                        self.errors.append(f"client closed while {step.prefix!r} was expected")
                        return
                    self.received.append(command)
                    if not command.line.startswith(step.prefix):
                        self.errors.append(f"expected {step.prefix!r}, got {command.line!r}")
                        return
                    for key, trace_value in step.trace_ids.items():
                        if key in command.headers:
                            self.mapping[trace_value.encode()] = command.headers[key].encode()
                elif isinstance(step, Pause):
                    gevent.sleep(step.seconds)
                elif isinstance(step, Gate):
                    step.event.wait(10)
                elif isinstance(step, Close):
                    break
        except OSError as exc:
            self.errors.append(f"socket error: {exc}")
        finally:
            try:
                self.sock.close()
            finally:
                self.done.set()


class TraceServer:
    """Plays FreeSWITCH's event socket: the n-th accepted connection plays scripts[n]."""

    def __init__(self, *scripts: list):
        self.scripts = list(scripts)
        self.players: list[_Player] = []
        self.accepted = 0
        self._server = StreamServer(("127.0.0.1", 0), self._handle)

    def start(self) -> "TraceServer":
        self._server.start()
        return self

    @property
    def port(self) -> int:
        return self._server.server_port

    def _handle(self, sock, address) -> None:
        index = self.accepted
        self.accepted += 1
        if index >= len(self.scripts):
            sock.close()
            return
        player = _Player(sock, self.scripts[index])
        self.players.append(player)
        player.play()

    def wait_done(self, count: int | None = None, timeout: float = 5.0) -> None:
        deadline = gevent.Timeout(timeout)
        with deadline:
            while len(self.players) < (count or len(self.scripts)):
                gevent.sleep(0.005)
            for player in self.players:
                player.done.wait()

    @property
    def errors(self) -> list[str]:
        return [e for p in self.players for e in p.errors]

    @property
    def received(self) -> list[Command]:
        return [c for p in self.players for c in p.received]

    def stop(self) -> None:
        self._server.stop(timeout=1)


class TraceClient:
    """Plays FreeSWITCH's `socket` application: connects to our outbound server and plays a script."""

    def __init__(self, port: int, script: list):
        sock = gevent.socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.settimeout(None)
        self.player = _Player(sock, script)
        self.greenlet = gevent.spawn(self.player.play)

    def wait_done(self, timeout: float = 5.0) -> bool:
        return self.player.done.wait(timeout)

    @property
    def errors(self) -> list[str]:
        return self.player.errors

    @property
    def received(self) -> list[Command]:
        return self.player.received
