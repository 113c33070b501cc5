"""A small, fast TwiML app for the benchmarks (gevent WSGI, loopback only).

    python scripts/bench/twiml_server.py PORT   -> serves /voice (Say + Gather) and /done (Hangup)
"""
from gevent import monkey

monkey.patch_all()

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


if __name__ == "__main__":
    WSGIServer(("127.0.0.1", int(sys.argv[1])), app, log=None).serve_forever()
