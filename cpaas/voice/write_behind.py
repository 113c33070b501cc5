"""Database writes that no call needs to wait for, done in batches.

The controller is one process serving every call on a node, and while a greenlet writes (ORM
work, the statements, the commit) the hub is held: no other call's verb moves. So status events
and webhook attempt logs are queued here and written together, a transaction per slice of at most
SLICE of hub time, with the calls' verbs running between slices. Nothing is dropped: a slice
that fails is retried write by write, so one bad row costs only itself, and `stop` writes what is
still queued.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from typing import Callable

import gevent
import gevent.event
from sqlalchemy.orm import Session

from cpaas.models import Database, insert_row, insert_rows

log = logging.getLogger("cpaas.voice")

#: A queued write: runs inside the batch's transaction and may return a callable to run once the
#: transaction has committed (work that must see the written rows, e.g. finishing recordings).
Write = Callable[[Session], "Callable[[], None] | None"]

#: Hub time a transaction may take before it commits and lets verbs run: a verb whose event
#: arrives meanwhile waits that long (the controller's goal is under 5 ms at p99).
SLICE = 0.002
#: The pause between slices: enough for the hub to read sockets and wake the calls they concern.
YIELD = 0.001
#: How long the first queued write waits for others to join its batch. Under load, a transaction
#: per event costs more than the events themselves; a row a few tens of ms late costs nothing.
BATCH_WINDOW = 0.01
#: Rows written by one executemany: a slice stays short even when hundreds are queued.
MAX_ROWS_PER_INSERT = 64


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

    def insert(self, label: str, row) -> None:
        """Queue the INSERT of a new model instance nobody reads back at once (a webhook attempt's
        log row). Those queued one after another are written with one executemany."""
        self.submit(label, _RowInsert(row))

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
                self._write_slice()
                # Let calls' verbs run between transactions. Not sleep(0): that only queues this
                # greenlet behind other ready ones, and gevent runs up to 50 of those before it reads
                # sockets again, so no ESL event would be read until the queue was written out.
                gevent.sleep(YIELD)
            self._idle.set()

    def _write_slice(self) -> None:
        """Queued writes, in order, in one transaction until SLICE has passed (one at least). Each
        is flushed as it goes, so the time its statements take counts against the slice."""
        batch, followups = [], []
        deadline = time.perf_counter() + SLICE
        try:
            with self.database.session() as session:
                while self._queue and (not batch or time.perf_counter() < deadline):
                    if isinstance(self._queue[0][1], _RowInsert):
                        inserts = self._take_row_inserts()
                        batch.extend(inserts)  # before writing: a failure retries them one by one
                        insert_rows(session, [write.row for _label, write in inserts])
                        continue
                    batch.append(self._queue.popleft())
                    followups.append(batch[-1][1](session))
                    session.flush()
        except Exception:
            log.exception("a batch of %d writes failed; writing them one by one", len(batch))
            followups = [self._write_one(label, write) for label, write in batch]
        for followup in followups:
            if followup is not None:
                gevent.spawn(followup)

    def _take_row_inserts(self) -> list[tuple[str, "_RowInsert"]]:
        taken = []
        while self._queue and isinstance(self._queue[0][1], _RowInsert) and len(taken) < MAX_ROWS_PER_INSERT:
            taken.append(self._queue.popleft())
        return taken

    def _write_one(self, label: str, write: Write):
        try:
            with self.database.session() as session:
                return write(session)
        except Exception:
            log.exception("%s: a write failed", label)
            return None


class _RowInsert:
    """A queued insert (a Write, should it have to be written alone)."""

    __slots__ = ("row",)

    def __init__(self, row):
        self.row = row

    def __call__(self, session: Session) -> None:
        insert_row(session, self.row)
