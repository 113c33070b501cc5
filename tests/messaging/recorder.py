"""A real HTTP server on loopback that records every request and answers what the test tells it to."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

from cpaas.messaging.gateways import CallbackRequest


@dataclass
class Recorded:
    method: str
    path: str
    raw_query: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: object = None

    def as_callback(self) -> CallbackRequest:
        """What the API layer will hand a gateway parser for this request."""
        return CallbackRequest(params=self.params, headers=self.headers, json=self.json, raw_query=self.raw_query)


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict = b"ok"
    delay: float = 0.0


@dataclass
class RecordingServer:
    respond: Callable[[Recorded], Reply] = field(default=lambda request: Reply())
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self):
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                recorder._handle(self)

            do_POST = do_PUT = do_GET

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        content_type = handler.headers.get("Content-Type", "")
        parsed_json = None
        if "json" in content_type and body:
            parsed_json = json.loads(body)
        elif "form" in content_type and body:
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        recorded = Recorded(handler.command, parts.path, parts.query, params, dict(handler.headers.items()), body,
                            parsed_json)
        with self._changed:  # recorded before answering, so a test sees it as soon as its call returns
            self.requests.append(recorded)
            self._changed.notify_all()
        reply = self.respond(recorded)
        if reply.delay:
            self._stopping.wait(reply.delay)
        payload = reply.body
        content = "text/plain"
        if isinstance(payload, dict):
            payload, content = json.dumps(payload).encode(), "application/json"
        elif isinstance(payload, str):
            payload = payload.encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", content)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout tests)

    def wait_for(self, predicate: Callable[[Recorded], bool], count: int = 1, timeout: float = 10.0) -> list[Recorded]:
        """The first `count` recorded requests matching `predicate`; TimeoutError if they do not come."""
        with self._changed:
            ok = self._changed.wait_for(lambda: len([r for r in self.requests if predicate(r)]) >= count, timeout)
            matching = [r for r in self.requests if predicate(r)]
        if not ok:
            raise TimeoutError(f"{len(matching)}/{count} matching requests after {timeout}s: {self.requests!r}")
        return matching[:count]

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
