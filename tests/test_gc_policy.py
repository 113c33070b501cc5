"""The garbage-collection policy of the controller and the sandbox: young generations as usual,
full collections only its own."""
import gc
import time

import gevent

from cpaas.config.gc_policy import YOUNG_THRESHOLDS, CollectionPolicy
from tests.support.sandbox import start_sandbox


class Cycle:
    def __init__(self):
        self.me = self


def test_full_collections_run_only_on_the_policys_schedule_and_free_old_cycles():
    before = gc.get_threshold()
    policy = CollectionPolicy(full_interval=0.2).start()
    try:
        assert gc.get_threshold()[:2] == YOUNG_THRESHOLDS and gc.get_freeze_count() > 0
        assert not gevent.config.track_greenlet_tree
        full = []
        gc.callbacks.append(lambda phase, info: phase == "stop" and info["generation"] == 2 and full.append(1))
        try:
            old = [Cycle() for _ in range(50_000)]  # survives into the oldest generation
            for _ in range(3):
                gc.collect(1)
            del old  # cyclic garbage now, that only a full collection frees
            for _ in range(200_000):  # enough young collections that CPython would start full ones
                Cycle()
            assert full == []
            gevent.sleep(0.5)
            assert full, "the policy's own full collection did not run"
            assert not any(type(o) is Cycle for o in gc.get_objects())
        finally:
            gc.callbacks.pop()
    finally:
        policy.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    assert gevent.config.track_greenlet_tree


def test_the_sandbox_switch_process_runs_the_policy():
    """Without it, the sandbox stopped every channel for 35-95 ms at 1,000 calls, then sent the
    events it had held back all at once."""
    sandbox = start_sandbox(controller="127.0.0.1:1")
    try:
        deadline = time.monotonic() + 10
        while not any("garbage collection:" in line for line in sandbox.log_lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        [line] = [line for line in sandbox.log_lines if "garbage collection:" in line]
        assert f"young generations at {YOUNG_THRESHOLDS}" in line and "a full collection every 300 s" in line
    finally:
        sandbox.stop()
