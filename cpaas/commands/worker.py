"""`cpaas worker`: an RQ worker (a plain process, not gevent: RQ's job time-outs rely on signals).

It runs jobs in its own process (RQ's SimpleWorker) rather than forking one per job: a fork
starts every job cold (new database engine, new connections) and cost ~30 ms a job, which
capped SMS delivery at a few messages a second. Job time-outs still work (SIGALRM in this
process); run several workers for parallelism and isolation.
"""
from __future__ import annotations

import logging
import time

import redis
from rq import Queue, SimpleWorker

from cpaas.config import Settings

QUEUES = ("webhooks", "recordings", "sms", "default")
log = logging.getLogger("cpaas.worker")


def wait_for_redis(url: str, timeout: float = 30.0) -> redis.Redis:
    """`cpaas run` starts Redis beside us; give it a moment instead of dying at once."""
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return client
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def work(settings: Settings, queues: tuple[str, ...] = QUEUES, burst: bool = False) -> bool:
    connection = wait_for_redis(settings.effective_redis_url)
    worker = SimpleWorker([Queue(name, connection=connection) for name in queues], connection=connection)
    # The scheduler runs retries that wait out a backoff interval.
    return worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=True)
