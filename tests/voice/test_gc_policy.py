"""The controller's garbage-collection policy: young generations as usual, full collections only its own."""
import gc

import gevent

from cpaas.voice.gc_policy import YOUNG_THRESHOLDS, CollectionPolicy


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
