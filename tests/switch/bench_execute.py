"""CPU cost of one execute() round trip in this layer, in process, over a loopback socket pair.

    .venv/bin/python -m tests.switch.bench_execute

A minimal peer answers each sendmsg with `+OK` and the real CHANNEL_EXECUTE and
CHANNEL_EXECUTE_COMPLETE frames of trace 08 (its Application-UUID swapped for ours), so each
round trip moves the same bytes FreeSWITCH would. Both ends run in this one process: the
figure is an upper bound of our per-verb CPU.
"""
from __future__ import annotations

import re
import time

import gevent
import gevent.socket

from cpaas.switch.outbound import ChannelSession
from tests.support.traces import load_trace

ROUNDS = 5000


def main() -> None:
    frames = load_trace("08-outbound-socket-linger")
    connect_reply, executing, complete = frames[1].raw, frames[13].raw, frames[14].raw
    trace_uuid = re.search(rb"Application-UUID: (\S+)", complete).group(1)
    ours, theirs = gevent.socket.socketpair()

    def peer():
        buf = b""
        while True:
            while b"\n\n" not in buf:
                data = theirs.recv(65536)
                if not data:
                    return
                buf += data
            command, _, buf = buf.partition(b"\n\n")
            if command.startswith(b"connect"):
                theirs.sendall(connect_reply)
            elif command.startswith(b"sendmsg"):
                app_uuid = re.search(rb"Event-UUID: (\S+)", command).group(1)
                theirs.sendall(b"Content-Type: command/reply\nReply-Text: +OK\n\n"
                               + executing.replace(trace_uuid, app_uuid) + complete.replace(trace_uuid, app_uuid))

    gevent.spawn(peer)
    session = ChannelSession(ours, "bench")
    session.connect()
    for _ in range(200):  # warm up
        session.execute("playback", "tone_stream://%(500,0,440);loops=1")
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(ROUNDS):
        session.execute("playback", "tone_stream://%(500,0,440);loops=1")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{ROUNDS} execute round trips (sendmsg, +OK, EXECUTE, EXECUTE_COMPLETE; both ends in this process): "
          f"{wall / ROUNDS * 1e6:.0f} us wall, {cpu / ROUNDS * 1e6:.0f} us CPU each")


if __name__ == "__main__":
    main()
