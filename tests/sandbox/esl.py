"""A deliberately dumb raw ESL client for the sandbox tests: bytes in, parsed frames out.

It shares nothing with cpaas.switch (the product's client) or the sandbox: tests must see the wire.
"""
from __future__ import annotations

import queue
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote


@dataclass
class Frame:
    headers: list[tuple[str, str]]
    body: bytes = b""
    raw: bytes = b""
    closed: bool = False
    event_headers: list[tuple[str, str]] = field(default_factory=list)
    event_body: bytes = b""

    def header(self, name, default=None):
        for key, value in self.headers:
            if key == name:
                return value
        return default

    @property
    def content_type(self):
        return self.header("Content-Type")

    def event(self, name, default=None):
        """A header of the event a text/event-plain frame carries (URL-decoded)."""
        for key, value in self.event_headers:
            if key == name:
                return unquote(value)
        return default

    @property
    def event_name(self):
        return self.event("Event-Name")


def split_headers(block: bytes) -> list[tuple[str, str]]:
    out = []
    for line in block.decode("utf-8", "replace").split("\n"):
        if line:
            key, _, value = line.partition(":")
            out.append((key, value.lstrip(" ")))
    return out


def parse_event_body(body: bytes) -> tuple[list[tuple[str, str]], bytes]:
    block, _, rest = body.partition(b"\n\n")
    return split_headers(block), rest


class FrameStream:
    """Reads frames off a connected socket on a thread; `next(timeout)` hands them out in order."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.frames: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        buf = b""
        try:
            while True:
                while b"\n\n" not in buf:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        raise EOFError
                    buf += chunk
                head, _, buf = buf.partition(b"\n\n")
                headers = split_headers(head)
                length = next((int(v) for k, v in headers if k == "Content-Length"), 0)
                while len(buf) < length:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        raise EOFError
                    buf += chunk
                body, buf = buf[:length], buf[length:]
                frame = Frame(headers, body, head + b"\n\n" + body)
                if frame.content_type == "text/event-plain":
                    frame.event_headers, frame.event_body = parse_event_body(body)
                self.frames.put(frame)
        except (EOFError, OSError):
            self.frames.put(Frame([], closed=True))

    def next(self, timeout: float = 5.0) -> Frame:
        return self.frames.get(timeout=timeout)


class EslClient:
    def __init__(self, host: str, port: int, password: str | None = "ClueCon", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(None)
        self.stream = FrameStream(self.sock)
        self.events: list[Frame] = []
        if password is not None:
            first = self.stream.next()
            assert first.content_type == "auth/request", first.raw
            assert self.command(f"auth {password}").header("Reply-Text") == "+OK accepted"

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() if text.endswith("\n\n") else (text + "\n\n").encode())

    def _until(self, predicate, timeout: float) -> Frame:
        deadline = time.monotonic() + timeout
        while True:
            frame = self.stream.next(timeout=max(0.01, deadline - time.monotonic()))
            if frame.closed:
                raise ConnectionError("closed")
            if frame.content_type in ("text/event-plain", "text/event-json", "text/event-xml", "log/data"):
                self.events.append(frame)
                if predicate(frame):
                    return frame
                continue
            if predicate(frame):
                return frame

    def command(self, text: str, timeout: float = 10.0) -> Frame:
        self.send(text)
        return self._until(lambda f: f.content_type == "command/reply", timeout)

    def api(self, text: str, timeout: float = 30.0) -> str:
        self.send(f"api {text}")
        return self._until(lambda f: f.content_type == "api/response", timeout).body.decode()

    def wait_event(self, name: str, timeout: float = 10.0, **match) -> Frame:
        """The next (or an already received, not yet consumed) event named `name` matching headers."""
        def ok(frame):
            return frame.event_name == name and all(frame.event(k.replace("_", "-")) == v for k, v in match.items())
        for frame in list(self.events):
            if ok(frame):
                self.events.remove(frame)
                return frame
        frame = self._until(lambda f: f.content_type == "text/event-plain" and ok(f), timeout)
        self.events.remove(frame)
        return frame

    def execute(self, uuid: str, app: str, arg: str = "", timeout: float = 30.0) -> Frame:
        """sendmsg execute with event-lock and an Event-UUID; returns CHANNEL_EXECUTE_COMPLETE."""
        import uuid as uuidlib
        app_uuid = str(uuidlib.uuid4())
        lines = [f"sendmsg {uuid}", "call-command: execute", f"execute-app-name: {app}"]
        if arg:
            lines.append(f"execute-app-arg: {arg}")
        lines += ["event-lock: true", f"Event-UUID: {app_uuid}"]
        reply = self.command("\n".join(lines))
        assert reply.header("Reply-Text") == "+OK", reply.raw
        return self.wait_event("CHANNEL_EXECUTE_COMPLETE", timeout=timeout, Application_UUID=app_uuid)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
