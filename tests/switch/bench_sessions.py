"""Benchmark of the ESL layer's own cost per verb, against the sandbox switch (own process).

    .venv/bin/python -m tests.switch.bench_sessions --calls 1000 --verbs 5

N calls are originated into `loopback/esl-out` (the sandbox hands each B leg to our
OutboundServer); each flow answers, runs --verbs short playbacks and hangs up. Measured in
this process only: from the moment the reader took a CHANNEL_EXECUTE_COMPLETE off the socket
to the moment the next command's bytes were written (`event in -> next command out`), p50/p99.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import time
import uuid

from gevent.event import Event as GEvent

from cpaas.switch import ChannelHangup, EslConnection, OriginateRequest, OutboundServer
from tests.support.sandbox import start_sandbox


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--verbs", type=int, default=5)
    parser.add_argument("--speed", type=float, default=50)
    parser.add_argument("--filter", action="store_true", help="only_events: execute/hang-up events only")
    parser.add_argument("--tone-ms", type=int, default=200, help="length of each playback (sandbox time)")
    args = parser.parse_args()

    latencies: list[float] = []
    finished = []
    all_done = GEvent()
    concurrent = {"now": 0, "peak": 0}

    def flow(session):
        concurrent["now"] += 1
        concurrent["peak"] = max(concurrent["peak"], concurrent["now"])
        try:
            session.execute("answer")
            event_in = session.last_rx  # the answer's CHANNEL_EXECUTE_COMPLETE
            for _ in range(args.verbs):
                pending = session.execute_async("playback", f"tone_stream://%({args.tone_ms},0,440);loops=1")
                latencies.append(session.last_tx - event_in)
                pending.wait(30)
                event_in = session.last_rx
            session.hangup()
        except ChannelHangup:
            pass
        finally:
            concurrent["now"] -= 1
            finished.append(session.uuid)
            if len(finished) == args.calls:
                all_done.set()

    server = OutboundServer(flow, "127.0.0.1", 0, command_timeout=30,
                            only_events=("CHANNEL_EXECUTE_COMPLETE",) if args.filter else None).start()
    sandbox = start_sandbox(controller=f"127.0.0.1:{server.port}", speed=args.speed)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn = EslConnection("127.0.0.1", sandbox.port, sandbox.password, command_timeout=30)
    conn.connect()
    started = time.monotonic()
    for _ in range(args.calls):
        request = OriginateRequest(["loopback/esl-out/default"], {"origination_uuid": str(uuid.uuid4())})
        conn.bgapi_start(request.command(), track=False)
    ok = all_done.wait(120)
    elapsed = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_after = usage.ru_maxrss
    conn.stop()
    server.stop(timeout=1)
    sandbox.stop()
    latencies.sort()
    if not latencies:
        print("no verbs completed")
        return
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(f"calls {len(finished)}/{args.calls} (complete={ok}) in {elapsed:.2f}s, peak concurrent {concurrent['peak']}")
    print(f"event in -> next command out: n={len(latencies)} p50={p(0.5):.3f}ms p99={p(0.99):.3f}ms "
          f"max={latencies[-1] * 1000:.3f}ms mean={statistics.mean(latencies) * 1000:.3f}ms")
    print(f"CPU of this process {usage.ru_utime + usage.ru_stime:.2f}s for {args.calls} calls "
          f"({(usage.ru_utime + usage.ru_stime) / args.calls * 1000:.2f} ms per call of {args.verbs + 2} commands+)")
    print(f"RSS growth {(rss_after - rss_before) / 1024:.1f} MiB ({(rss_after - rss_before) / max(1, concurrent['peak']):.1f} KiB per concurrent call)")


if __name__ == "__main__":
    main()
