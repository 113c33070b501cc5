"""Garbage collection in a process that holds many calls: no pause that grows with their number.

Both the controller and the sandbox switch keep a greenlet (or several) per live call, suspended
deep in their stacks, and a collection traverses every frame of every greenlet in the generations
it collects. CPython starts a full collection on its own whenever the old generation has grown by
a quarter (every few hundred calls at 100 set-ups/s). At 1,000 live calls, one took 60-220 ms in
the controller, during which no verb of any call moved, and 35-110 ms in the sandbox, which then
sent the events it had held back all at once, as no FreeSWITCH does.

So those processes (`cpaas controller`, the sandbox switch, and the benchmark that stands for the
controller):
- stop gevent recording the spawner's stack at every spawn (a debugging aid: a fifth of the
  objects the collector had to traverse at 1,000 calls, and work on every spawn);
- freeze what exists once they have started (modules, settings, compiled statements: nothing
  there ever becomes garbage), so no collection traverses it again;
- collect the young generations often, so each of those pauses stays short;
- never let CPython start a full collection, and run one themselves every FULL_INTERVAL seconds.
  What a full collection frees is garbage caught in cycles among old objects. Calls leave none in
  the controller (tests/switch/test_sandbox.py), and the sandbox's full collections freed 0-25
  objects at 1,000 calls, so between two full collections neither process grows.

It lives with the settings because it configures the interpreter and depends on nothing of ours:
the sandbox, which may use no other package of ours, applies it too.
"""
from __future__ import annotations

import gc
import logging
import time

import gevent

log = logging.getLogger("cpaas.gc")

FULL_INTERVAL = 300.0
#: gen-0 threshold (CPython's default) and gen-1: every other young collection also takes gen 1,
#: so what gen 1 holds (recent calls' greenlets, among others) stays small.
YOUNG_THRESHOLDS = (700, 2)
_NEVER = 1 << 30  # gen-1 collections before CPython would consider a full one


class CollectionPolicy:
    def __init__(self, full_interval: float = FULL_INTERVAL):
        self.full_interval = full_interval
        self._saved_thresholds: tuple[int, int, int] | None = None
        self._saved_tree_tracking = True
        self._worker: gevent.Greenlet | None = None

    def start(self) -> "CollectionPolicy":
        self._saved_tree_tracking = gevent.config.track_greenlet_tree
        gevent.config.track_greenlet_tree = False
        self._saved_thresholds = gc.get_threshold()
        gc.collect()  # what startup left behind, before the survivors are frozen
        gc.freeze()
        gc.set_threshold(*YOUNG_THRESHOLDS, _NEVER)
        self._worker = gevent.spawn(self._collect_forever)
        log.info("garbage collection: %d objects frozen, young generations at %s, a full collection every %.0f s",
                 gc.get_freeze_count(), YOUNG_THRESHOLDS, self.full_interval)
        return self

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
        if self._saved_thresholds is not None:
            gevent.config.track_greenlet_tree = self._saved_tree_tracking
            gc.set_threshold(*self._saved_thresholds)
            gc.unfreeze()  # back into the oldest generation, collectable again
            self._saved_thresholds = None

    def _collect_forever(self) -> None:
        while True:
            gevent.sleep(self.full_interval)
            self.collect_fully()

    @staticmethod
    def collect_fully() -> int:
        started = time.perf_counter()
        freed = gc.collect()
        log.info("full garbage collection: %d objects freed in %.0f ms", freed,
                 (time.perf_counter() - started) * 1000)
        return freed
