"""Database writes that no call needs to wait for, done in batches.

The controller is one process serving every call on a node. Each transaction costs a commit,
and with SQLite a commit (and the WAL checkpoint it may trigger) holds the whole gevent hub:
while it runs, no other call's verb moves. So status events and webhook attempt logs are queued
here and written together: every write queued while the previous batch committed goes into the
next single transaction. Nothing is dropped: a batch that fails is retried write by write, so one
bad row costs only itself, and `stop` writes what is still queued.
"""
from __future__ import annotations

import logging
from collections import deque
from typing import Callable

import gevent
import gevent.event
from sqlalchemy.orm import Session

from cpaas.models import Database

log = logging.getLogger("cpaas.voice")

#: A queued write: runs inside the batch's transaction and may return a callable to run once the
#: transaction has committed (work that must see the written rows, e.g. finishing recordings).
Write = Callable[[Session], "Callable[[], None] | None"]

#: Writes per transaction at most: the hub is held for the whole transaction, so it stays short.
MAX_BATCH = 100
#: How long the first queued write waits for others to join its batch. Under load, a transaction
#: per event costs more than the events themselves; a row a few tens of ms late costs nothing.
BATCH_WINDOW = 0.01


class WriteBehind:
    def __init__(self, database: Database):
        self.database = database
        self._queue: deque[tuple[str, Write]] = deque()
        self._wake = gevent.event.Event()
        self._idle = gevent.event.Event()
        self._idle.set()
        self._worker: gevent.Greenlet | None = None

    def submit(self, label: str, write: Write) -> None:
        """Queue `write`; `label` (a CallSid) names it in the log if it fails."""
        self._queue.append((label, write))
        self._idle.clear()
        self._wake.set()
        if self._worker is None or self._worker.dead:
            self._worker = gevent.spawn(self._run)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is written; False on timeout."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self.flush(timeout)
        if self._worker is not None:
            self._worker.kill()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            gevent.sleep(BATCH_WINDOW)
            self._wake.clear()
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
                self._write(batch)
                gevent.sleep(0)  # let calls' verbs run between transactions
            self._idle.set()

    def _write(self, batch: list[tuple[str, Write]]) -> None:
        try:
            with self.database.session() as session:
                followups = [write(session) for _, write in batch]
        except Exception:
            log.exception("a batch of %d writes failed; writing them one by one", len(batch))
            followups = [self._write_one(label, write) for label, write in batch]
        for followup in followups:
            if followup is not None:
                gevent.spawn(followup)

    def _write_one(self, label: str, write: Write):
        try:
            with self.database.session() as session:
                return write(session)
        except Exception:
            log.exception("%s: a write failed", label)
            return None
