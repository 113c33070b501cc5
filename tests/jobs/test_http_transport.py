"""Both HTTP transports keep one contract (cpaas.services.http_transport), against raw loopback
servers that misbehave the ways users' apps do: closing idle keep-alive connections, never
answering, answering with something that is not HTTP."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from cpaas.services.http_transport import (GeventTransport, TransportFailure, TransportTimeout,
                                           Urllib3Transport)
from tests.support.servers import free_port


class RawServer:
    """Accepts on 127.0.0.1 and hands each connection to `handle(conn, index)` on a thread."""

    def __init__(self, handle):
        self.handle = handle
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.handle, args=(conn, self.connections), daemon=True).start()

    def url(self, path="/doc"):
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.sock.close()


def read_request(conn) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += conn.recv(65536)
    return head


DOC = b"<Response><Hangup/></Response>"


def answer(conn, status=b"200 OK", headers=b"Content-Type: text/xml\r\n", body=DOC):
    conn.sendall(b"HTTP/1.1 " + status + b"\r\n" + headers + b"Content-Length: " + str(len(body)).encode()
                 + b"\r\n\r\n" + body)


@pytest.fixture(params=["urllib3", "gevent"])
def transport(request):
    return Urllib3Transport() if request.param == "urllib3" else GeventTransport()


def post(transport, url, timeout=2.0):
    return transport.request("POST", url, {"Content-Type": "application/x-www-form-urlencoded"}, b"CallSid=CA1",
                             timeout)


def test_a_connection_the_server_closed_while_idle_is_not_reused(transport):
    """The server answers one request per connection without saying `Connection: close`, then
    closes it, as an app server's idle timeout does: the next request must still succeed."""
    closed = threading.Semaphore(0)

    def handle(conn, _index):
        if read_request(conn):
            answer(conn)
        conn.close()
        closed.release()
    with RawServer(handle) as server:
        for _ in range(3):
            response = post(transport, server.url())
            assert (response.status, response.body, response.content_type) == (200, DOC, "text/xml")
            assert closed.acquire(timeout=5)  # the connection is closed (idle) before the next request
        assert server.connections == 3


def test_keep_alive_connections_are_reused(transport):
    def handle(conn, _index):
        while read_request(conn):
            answer(conn)
        conn.close()
    with RawServer(handle) as server:
        for _ in range(5):
            assert post(transport, server.url()).status == 200
        assert server.connections == 1


def test_a_server_that_never_answers_times_out(transport):
    def handle(conn, _index):
        read_request(conn)
        time.sleep(3)
        conn.close()
    with RawServer(handle) as server:
        started = time.monotonic()
        with pytest.raises(TransportTimeout):
            post(transport, server.url(), timeout=0.3)
        assert time.monotonic() - started < 2


def test_a_refused_connection_is_a_failure_not_a_timeout(transport):
    with pytest.raises(TransportFailure) as raised:
        post(transport, f"http://127.0.0.1:{free_port()}/doc")
    assert not isinstance(raised.value, TransportTimeout)


def test_an_answer_that_is_not_http_is_a_failure(transport):
    def handle(conn, _index):
        read_request(conn)
        conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        conn.close()
    with RawServer(handle) as server:
        with pytest.raises(TransportFailure):
            post(transport, server.url())


def test_a_redirect_reports_its_location_and_other_answers_none(transport):
    # Both answers go out on one kept-alive connection: a server that closed after the first
    # without `Connection: close` would race the client's reuse of it.
    answers = iter([(b"302 Found", b"Location: /elsewhere\r\nContent-Type: text/html\r\n", b"moved"),
                    (b"200 OK", b"Location: /ignored\r\nContent-Type: text/xml\r\n", DOC)])

    def handle(conn, _index):
        while read_request(conn):
            answer(conn, *next(answers))
        conn.close()
    with RawServer(handle) as server:
        moved = post(transport, server.url())
        assert (moved.status, moved.location, moved.body) == (302, "/elsewhere", b"moved")
        ok = post(transport, server.url())
        assert (ok.status, ok.location) == (200, None)


def test_a_url_that_is_not_http_is_a_failure():
    with pytest.raises(TransportFailure):
        post(GeventTransport(), "ftp://127.0.0.1/doc")
