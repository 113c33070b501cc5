"""SandboxSwitch used in-process (the interface other parts of the product may embed)."""
from __future__ import annotations

import gevent
from gevent import socket

from cpaas.sandbox.server import SandboxSwitch


def _frame(sock, buf=b""):
    while b"\n\n" not in buf:
        buf += sock.recv(4096)
    head, _, rest = buf.partition(b"\n\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\n") if line.startswith(b"Content-Length")), 0)
    while len(rest) < length:
        rest += sock.recv(4096)
    return head.decode(), rest[:length].decode(), rest[length:]


def test_start_binds_a_free_port_and_speaks_esl_until_stopped():
    switch = SandboxSwitch(port=0, password="s3cret", controller="127.0.0.1:1", speed=5)
    switch.start()
    try:
        assert switch.port > 0
        with gevent.Timeout(10):
            sock = socket.create_connection(("127.0.0.1", switch.port))
            head, _, buf = _frame(sock)
            assert head == "Content-Type: auth/request"
            sock.sendall(b"auth s3cret\n\n")
            head, _, buf = _frame(sock, buf)
            assert "Reply-Text: +OK accepted" in head
            sock.sendall(b"api originate loopback/echo/default &park\n\n")
            head, body, buf = _frame(sock, buf)
            assert body.startswith("+OK ")
            assert len(switch.switch.channels) == 2  # both loopback legs
            sock.close()
    finally:
        switch.stop()
    with gevent.Timeout(5):
        while switch.switch.channels:  # stop() hangs every channel up
            gevent.sleep(0.05)
