"""A real HTTP server on loopback that records every request and answers as each test scripts it."""
from __future__ import annotations

import io
import math
import struct
import threading
import time
import wave
from collections import defaultdict, deque
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Received:
    method: str
    path: str
    url: str
    headers: dict
    form: dict
    args: dict
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    body: str | bytes = ""
    content_type: str = "text/xml"
    delay: float = 0.0
    headers: dict = field(default_factory=dict)

    @classmethod
    def wav(cls, seconds: float) -> "Reply":
        """`seconds` of a 440 Hz tone as an 8 kHz 16-bit mono WAV."""
        frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                          for i in range(int(8000 * seconds)))
        out = io.BytesIO()
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(frames)
        return cls(body=out.getvalue(), content_type="audio/wav")


class WebhookServer:
    def __init__(self):
        self.requests: list[Received] = []
        self._replies: dict[str, deque[Reply]] = defaultdict(deque)
        self._defaults: dict[str, Reply] = {}
        self._cond = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def reply(self, path: str, *replies: Reply, default: Reply | None = None) -> str:
        """Queue replies for `path` (one per request, in order), then `default` (200 empty if unset)."""
        self._replies[path].extend(replies)
        if default is not None:
            self._defaults[path] = default
        return self.url + path

    def twiml(self, path: str, document: str) -> str:
        return self.reply(path, default=Reply(body=document))

    def received(self, path: str | None = None) -> list[Received]:
        with self._cond:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len([r for r in self.requests if r.path == path]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [r.path for r in self.requests]
                    raise AssertionError(f"{path}: expected {count} request(s) within {timeout}s; got {got}")
                self._cond.wait(left)
            return [r for r in self.requests if r.path == path]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ, start_response):
        request = Request(environ)
        body = request.get_data(cache=True)
        received = Received(request.method, request.path, request.url, dict(request.headers),
                            request.form.to_dict(), request.args.to_dict(), body, time.monotonic())
        with self._cond:
            queue = self._replies.get(request.path)
            reply = queue.popleft() if queue else self._defaults.get(request.path, Reply())
        if reply.delay:
            time.sleep(reply.delay)
        with self._cond:
            self.requests.append(received)
            self._cond.notify_all()
        response = Response(reply.body, status=reply.status, content_type=reply.content_type, headers=reply.headers)
        return response(environ, start_response)
