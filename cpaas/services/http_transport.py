"""One HTTP exchange with a user's app, for `webhooks.send`: two transports, one contract.

- `Urllib3Transport` in plain processes (the RQ worker, whose job time-outs are signals that
  must not land in a gevent hub).
- `GeventTransport` in the controller, where every call's document fetch is on its set-up path.
  geventhttpclient parses responses in C and waits on gevent directly: a fetch costs about half
  the CPU of urllib3's (http.client's header parsing dominated), and the controller's latency
  per verb is set by how busy its one hub is.

Both keep connections alive per host, check an idle connection is still open before reusing it
(a user's server closing idle keep-alives must not fail the next fetch), never retry (the
callers decide), and turn every failure into `TransportTimeout` or `TransportFailure`.
"""
from __future__ import annotations

import socket
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import urllib3
from geventhttpclient import HTTPClient
from geventhttpclient.response import HTTPParseError
from geventhttpclient.url import URL

REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))


@dataclass(frozen=True)
class RawResponse:
    status: int
    content_type: str
    location: str | None  # the Location of a redirect, else None
    body: bytes


class Transport(Protocol):
    def request(self, method: str, url: str, headers: dict, body: bytes | None,
                timeout: float) -> RawResponse: ...


class TransportFailure(Exception):
    """The request got no HTTP response: refused, reset, unreachable, not HTTP."""


class TransportTimeout(TransportFailure):
    """Connecting, sending or a read waited longer than the timeout."""


class Urllib3Transport:
    def __init__(self, connections_per_host: int = 10):
        # urllib3 itself rather than requests: requests' per-call preparation (cookies, hooks,
        # adapters) cost a third of every fetch's CPU.
        self.pool = urllib3.PoolManager(num_pools=64, maxsize=connections_per_host)

    def request(self, method: str, url: str, headers: dict, body: bytes | None, timeout: float) -> RawResponse:
        try:
            response = self.pool.request(method, url, body=body, headers=headers, retries=False, redirect=False,
                                         timeout=urllib3.Timeout(connect=timeout, read=timeout))
        except urllib3.exceptions.HTTPError as exc:
            reason = exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
            # NewConnectionError (refused, unreachable) is a ConnectTimeoutError by inheritance only.
            if isinstance(reason, urllib3.exceptions.TimeoutError) and \
                    not isinstance(reason, urllib3.exceptions.NewConnectionError):
                raise TransportTimeout(str(reason)) from None
            raise TransportFailure(str(reason)) from None
        location = response.headers.get("Location") if response.status in REDIRECT_STATUSES else None
        return RawResponse(response.status, response.headers.get("Content-Type", ""), location, response.data)


class GeventTransport:
    #: Hosts whose connections are kept: beyond, the least recently used host's are closed.
    MAX_HOSTS = 64

    def __init__(self, connections_per_host: int = 10):
        self.connections_per_host = connections_per_host
        self._clients: OrderedDict = OrderedDict()

    def request(self, method: str, url: str, headers: dict, body: bytes | None, timeout: float) -> RawResponse:
        try:
            target = URL(url)
        except Exception as exc:  # noqa: BLE001 - any URL it cannot take is the caller's bad input
            raise TransportFailure(f"invalid URL: {exc}") from None
        if target.scheme not in ("http", "https") or not target.host:
            raise TransportFailure(f"not an http(s) URL: {url[:200]}")
        client = self._client(target, timeout)
        try:
            response = client.request(method, target.request_uri, body=body or b"", headers=headers)
            try:
                data = response.read()
            finally:
                response.release()
        except (socket.timeout, TimeoutError) as exc:
            raise TransportTimeout(str(exc) or "timed out") from None
        except (OSError, HTTPParseError) as exc:
            raise TransportFailure(str(exc) or type(exc).__name__) from None
        status = response.status_code
        location = _header(response, "location") if status in REDIRECT_STATUSES else None
        return RawResponse(status, _header(response, "content-type") or "", location, data)

    def close(self) -> None:
        while self._clients:
            self._clients.popitem()[1].close()

    def _client(self, target: URL, timeout: float) -> HTTPClient:
        key = (target.scheme, target.host, target.port, timeout)
        client = self._clients.pop(key, None)
        if client is None:
            while len(self._clients) >= self.MAX_HOSTS:
                self._clients.popitem(last=False)[1].close()
            client = HTTPClient(target.host, target.port, ssl=target.scheme == "https",
                                connection_timeout=timeout, network_timeout=timeout,
                                concurrency=self.connections_per_host)
        self._clients[key] = client  # most recently used last
        return client


def _header(response, name: str) -> str | None:
    value = response.get(name)
    if isinstance(value, list):  # repeated: the first, as http.client's get() gives
        return value[0] if value else None
    return value
