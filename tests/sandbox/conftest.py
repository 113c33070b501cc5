import socket
import threading

import pytest

from tests.sandbox.esl import EslClient
from tests.support.sandbox import start_sandbox

SPEED = 4.0  # four times real time keeps the trace replays fast without changing their order


class Controller:
    """A listening socket standing in for our controller: the sandbox's `socket` app dials it.

    Each accepted connection is handed to the next handler queued with `expect()`."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self._handlers = []
        self._lock = threading.Lock()
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def expect(self, handler) -> None:
        with self._lock:
            self._handlers.append(handler)

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with self._lock:
                handler = self._handlers.pop(0) if self._handlers else None
            if handler is None:
                conn.close()
                continue
            threading.Thread(target=self._run, args=(handler, conn), daemon=True).start()

    def _run(self, handler, conn):
        try:
            handler(conn)
        except Exception as exc:  # reported by the test that queued the handler
            self.errors.append(exc)

    def close(self):
        self._stop.set()
        self.sock.close()


@pytest.fixture(scope="module")
def controller():
    ctl = Controller()
    yield ctl
    ctl.close()


@pytest.fixture(scope="module")
def sandbox(controller):
    sb = start_sandbox(controller=controller.address, speed=SPEED)
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def sb():
    """A sandbox at ten times real time with no controller: for tests that drive it over ESL alone.
    A module may override it (one with a controller) and keep the `esl` fixture below."""
    sandbox = start_sandbox(speed=10.0)
    yield sandbox
    sandbox.stop()


def subscribed(sandbox, events: str = "ALL") -> EslClient:
    client = EslClient(sandbox.host, sandbox.port)
    client.command(f"event plain {events}")
    return client


@pytest.fixture
def esl(sb):
    client = subscribed(sb)
    yield client
    client.close()
