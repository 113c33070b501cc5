"""How fast this machine runs Python at the moment, printed beside a benchmark's figures.

A shared machine's speed drifts: on the 2-core machine these benchmarks were written on, this
reference read 34 ms at one time and 73 ms at another on the same evening, and every figure
moved with it. Taken before and after a run, it tells which state the figures come from, and two runs are
compared only when their references are alike."""
from __future__ import annotations

import time


def reference_ms() -> float:
    """CPU milliseconds for a fixed pure-Python loop, best of three: lower is faster."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return best * 1000


def describe(before: float, after: float) -> str:
    return f"machine speed reference  {before:.0f} ms before, {after:.0f} ms after (a fixed loop; lower is faster)"
