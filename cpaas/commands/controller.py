"""`cpaas controller`: the call controller (gevent; FreeSWITCH connects to it once per call)."""
from __future__ import annotations

import logging
import signal


def serve(settings) -> None:
    from gevent import monkey

    if not monkey.is_module_patched("socket"):  # cpaas/cli.py patches first when run as `cpaas controller`
        monkey.patch_all()
    import gevent

    from cpaas.voice.controller import Controller
    from cpaas.voice.env import VoiceEnv
    from cpaas.config.gc_policy import CollectionPolicy

    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    controller = Controller(VoiceEnv.from_settings(settings)).start()
    collection = CollectionPolicy().start()
    logging.getLogger("cpaas.voice").info("controller on %s:%d for %s", settings.controller_host, controller.port,
                                          ", ".join(n.name for n in settings.esl_nodes))
    stopped = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stopped.set)
    gevent.signal_handler(signal.SIGINT, stopped.set)
    stopped.wait()
    controller.stop()
    collection.stop()
