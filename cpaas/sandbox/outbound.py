"""The `socket` application: connect to the controller and let it drive the channel (outbound ESL).

Like mod_event_socket's socket app in `async full` mode: the channel parks and runs the commands
the controller sends; after hang-up the controller sees events through CHANNEL_HANGUP_COMPLETE,
then (with linger) a linger notice, then the final disconnect notice.
"""
from __future__ import annotations

import logging

import gevent
from gevent import socket

from cpaas.sandbox import protocol
from cpaas.sandbox.events import core_headers

log = logging.getLogger("cpaas.sandbox.outbound")
CONNECT_TIMEOUT = 5.0


def connect_reply(switch, channel) -> bytes:
    """The CHANNEL_DATA block that answers `connect`."""
    switch.sequence += 1
    headers = core_headers(switch.identity, "CHANNEL_DATA", switch.sequence, switch.clock.now())
    headers += channel.profile.headers("Channel")
    headers += channel.channel_headers(with_vars=True)
    mode = "async" if channel.variables.get("socket_async", "true") == "true" else "static"
    headers += [("Content-Type", "command/reply"), ("Reply-Text", "+OK\n"), ("Socket-Mode", mode),
                ("Control", "full")]
    return ("".join(f"{k}: {protocol.url_encode(v)}\n" for k, v in headers) + "\n").encode()


def run_socket(channel, arg: str) -> None:
    from cpaas.sandbox.listener import Listener
    words = arg.split()
    if not words:
        return
    host, _, port = words[0].rpartition(":")
    flags = set(words[1:])
    channel.set_var("socket_host", host)
    try:
        sock = socket.create_connection((host or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT)
        sock.settimeout(None)
    except (OSError, ValueError) as exc:
        log.warning("channel %s: socket %s failed: %s", channel.uuid, words[0], exc)
        return
    channel.set_var("socket_async", "true" if "async" in flags else "false")
    listener = Listener(channel.switch, sock, session=channel)
    channel.on_reported.append(listener.session_reported)
    gevent.spawn(listener.serve)
    channel.fire("CHANNEL_PARK")
    channel.serve_commands()
    channel.fire("CHANNEL_UNPARK")
