"""A minimal raw Event Socket client for tests: auth, then `api` commands (a test's hand on the switch)."""
from __future__ import annotations

import socket


class RawEsl:
    def __init__(self, host: str, port: int, password: str = "ClueCon", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._buffer = b""
        self._read_frame()  # auth/request
        self.sock.sendall(f"auth {password}\n\n".encode())
        headers, _ = self._read_frame()
        if not headers.get("Reply-Text", "").startswith("+OK"):
            raise RuntimeError(f"ESL auth failed: {headers}")

    def api(self, command: str) -> str:
        self.sock.sendall(f"api {command}\n\n".encode())
        _, body = self._read_frame()
        return body.decode()

    def subscribe(self, *events: str) -> None:
        self.sock.sendall(f"event plain {' '.join(events)}\n\n".encode())
        headers, _ = self._read_frame()
        assert headers.get("Reply-Text", "").startswith("+OK"), headers

    def events_until(self, predicate, timeout: float = 20.0) -> list[dict]:
        """Read plain events (headers decoded) until one matches predicate; returns all read."""
        import time
        from urllib.parse import unquote

        deadline, seen = time.monotonic() + timeout, []
        self.sock.settimeout(1.0)
        while time.monotonic() < deadline:
            try:
                headers, body = self._read_frame()
            except socket.timeout:
                continue
            if headers.get("Content-Type") != "text/event-plain":
                continue
            event = {k: unquote(v) for k, v in (line.split(": ", 1) for line in body.decode().split("\n")
                                                  if ": " in line)}
            seen.append(event)
            if predicate(event):
                return seen
        raise AssertionError(f"no matching event within {timeout}s ({len(seen)} seen)")

    def close(self) -> None:
        self.sock.close()

    def _read_frame(self) -> tuple[dict, bytes]:
        while b"\n\n" not in self._buffer:
            self._fill()
        head, self._buffer = self._buffer.split(b"\n\n", 1)
        headers = dict(line.split(": ", 1) for line in head.decode().split("\n") if ": " in line)
        length = int(headers.get("Content-Length", 0))
        while len(self._buffer) < length:
            self._fill()
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return headers, body

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("ESL connection closed")
        self._buffer += chunk
