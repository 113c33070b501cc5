"""A small, fast TwiML app for the benchmarks (gevent WSGI, loopback only).

    python scripts/bench/twiml_server.py PORT   -> serves /voice (Say + Gather) and /done (Hangup)
"""
from gevent import monkey

monkey.patch_all()

import socket  # noqa: E402
import sys  # noqa: E402

from gevent.pywsgi import WSGIServer  # noqa: E402

DOCUMENTS = {
    "/voice": b'<Response><Say>Welcome to the benchmark</Say><Gather numDigits="2" action="/done" timeout="30">'
              b"<Say>Please enter two digits</Say></Gather></Response>",
    "/done": b"<Response><Hangup/></Response>",
}


def app(environ, start_response):
    body = DOCUMENTS.get(environ["PATH_INFO"])
    if body is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


class NoDelayServer(WSGIServer):
    """pywsgi writes the status and headers, then the body, in two sends: with Nagle on, the body
    waits for the client's delayed ACK of the headers (40 ms on Linux) and every fetch took 44 ms."""

    def handle(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


if __name__ == "__main__":
    NoDelayServer(("127.0.0.1", int(sys.argv[1])), app, log=None).serve_forever()
