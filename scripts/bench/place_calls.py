"""The benchmark's callers: place N inbound calls on the sandbox switch at a steady rate.

    python scripts/bench/place_calls.py HOST PORT --calls 1000 --rate 100 --hold 12

Runs in its own process so that the controller process being measured holds only the
controller, as in production (callers are on the far side of FreeSWITCH). Prints the seconds
it took to place every call.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.queue  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.esl_client import RawEsl  # noqa: E402

CONNECTIONS = 8  # placing a call is a round trip: several at once keep up with --rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--hold", type=float, required=True)
    parser.add_argument("--to", default="+15557650000")
    args = parser.parse_args()

    pool = gevent.queue.Queue()
    for _ in range(CONNECTIONS):
        pool.put(RawEsl(args.host, args.port))

    def place(i):
        esl = pool.get()
        try:
            reply = esl.api(f"sandbox_call --from +1555{i:07d} --to {args.to} --dtmf 42@{args.hold}s")
            if not reply.startswith("+OK"):
                raise RuntimeError(f"call {i} not placed: {reply.strip()}")
        finally:
            pool.put(esl)

    started = time.monotonic()
    placing = []
    for i in range(args.calls):
        delay = started + i / args.rate - time.monotonic()
        if delay > 0:
            gevent.sleep(delay)
        placing.append(gevent.spawn(place, i))
    gevent.joinall(placing, raise_error=True)
    print(f"{time.monotonic() - started:.3f}", flush=True)
    while not pool.empty():
        pool.get().close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
