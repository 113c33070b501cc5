"""SQLite under gevent: one file shared by the api, controller and worker processes.

Every call SQLite makes that waits (a busy lock, an fsync) stops the whole process under gevent,
not just the greenlet that asked. Two things here keep those waits out of the hub: writers take
turns cooperatively (`SQLiteWriters`), and the WAL is checkpointed by a thread of its own
(`WalCheckpointer`) instead of inside whichever commit happens to cross SQLite's threshold.
"""
from __future__ import annotations

import re
import sqlite3
import threading
import time
from urllib.request import pathname2url

from gevent import monkey
from sqlalchemy import event

LOCK_TIMEOUT = 30  # seconds a write waits for another's: api, controller and worker share one SQLite file
CHECKPOINT_INTERVAL = 0.5  # seconds between checkpoints
RESTART_FRAMES = 1000  # a WAL this long (SQLite's own auto-checkpoint size, ~4 MB) is restarted
RESTART_WAIT = 0.1  # seconds a restarting checkpoint waits for readers and writers before trying later


def configure(engine, path: str | None) -> "WalCheckpointer | None":
    """Set up an engine on SQLite file `path` (None: in memory); returns the checkpointer to stop."""
    checkpointer = WalCheckpointer(path) if path else None
    event.listen(engine, "connect", lambda dbapi_connection, _record: _pragmas(dbapi_connection, checkpointer))
    SQLiteWriters(engine)
    return checkpointer


def _pragmas(dbapi_connection, checkpointer: "WalCheckpointer | None") -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer across processes
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    if checkpointer is not None:
        cursor.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's thread does it
    cursor.close()


class SQLiteWriters:
    """SQLite writers wait for each other without stopping the process.

    SQLite allows one writer at a time, and a connection that finds the file locked waits in SQLite's
    busy handler: a C sleep that, under gevent, stops every greenlet of the process. A greenlet that
    holds the write lock while it waits on Redis or ESL (a status callback queued mid-transaction) then
    never resumes, and both time out ("database is locked" after 30 s); a lock held by another process
    (api, controller, worker share the file) stalls every call or request of this one for a few ms.

    So a transaction's first write takes a per-process gate (cooperative: gevent's lock when patched),
    then begins IMMEDIATE, polling with gevent-friendly sleeps while another process holds the lock.
    Reads never wait: WAL readers see the last commit. The gate is held until commit or rollback."""

    _WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.I)
    _HOLDS = "cpaas.holds_write_gate"

    def __init__(self, engine):
        self.gate = threading.RLock()
        event.listen(engine, "before_cursor_execute", self._before_execute)
        # Both fire just before the DBAPI commit/rollback; a gevent lock wakes its next waiter only once
        # this greenlet yields, which the C commit that follows does not do.
        event.listen(engine, "commit", self._release)
        event.listen(engine, "rollback", self._release)
        event.listen(engine, "checkin", self._released_on_checkin)

    def _before_execute(self, conn, _cursor, statement, *_args):
        if conn.info.get(self._HOLDS) or not self._WRITE.match(statement):
            return
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection.in_transaction:  # begun by hand (a test's raw SQL): nothing to take
            return
        self.gate.acquire()
        conn.info[self._HOLDS] = True
        try:
            _begin_immediate(dbapi_connection)
        except BaseException:
            self._release(conn)
            raise

    def _release(self, conn):
        if conn.info.pop(self._HOLDS, False):
            self.gate.release()

    def _released_on_checkin(self, _dbapi_connection, record):
        if record.info.pop(self._HOLDS, False):  # an invalidated connection never committed or rolled back
            self.gate.release()


def _begin_immediate(dbapi_connection: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE (take the write lock now), sleeping between tries so other greenlets run."""
    deadline = time.monotonic() + LOCK_TIMEOUT
    delay = 0.0005
    dbapi_connection.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorname != "SQLITE_BUSY" or time.monotonic() > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.01)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout = {LOCK_TIMEOUT * 1000}")


class WalCheckpointer:
    """Copies the WAL into the database file from an OS thread, off the gevent hub.

    Left to itself, SQLite checkpoints inside the commit that grows the WAL past 1,000 pages, and a
    checkpoint fsyncs: 20-40 ms here, during which no greenlet of the process runs (every call of a
    controller misses its next verb, every API request waits). Our connections never checkpoint
    (wal_autocheckpoint=0); this thread does, every CHECKPOINT_INTERVAL, on a connection of its own:
    sqlite3 releases the GIL while SQLite works, so the hub keeps running.

    PASSIVE checkpoints wait for nobody, but under steady writes they never catch up with the end of
    the WAL, and SQLite only starts the WAL over once they have. So when it is RESTART_FRAMES long,
    a RESTART checkpoint holds new writers off until it is done (they wait cooperatively, see
    `SQLiteWriters`) and the WAL starts over. Failures are left for the next round: the thread has
    no one to report to (logging's locks belong to the hub), and a failing disk fails writers too."""

    def __init__(self, path: str):
        self.path = path
        self._stopped = monkey.get_original("_thread", "allocate_lock")()
        self._stopped.acquire()
        monkey.get_original("_thread", "start_new_thread")(self._run, ())

    def stop(self) -> None:
        if self._stopped.locked():
            self._stopped.release()

    def _run(self) -> None:
        connection = None
        try:
            while not self._stopped.acquire(timeout=CHECKPOINT_INTERVAL):
                connection = connection or self._connect()
                if connection is not None:
                    self._checkpoint(connection)
        finally:
            if connection is not None:
                connection.close()

    def _connect(self) -> sqlite3.Connection | None:
        try:  # mode=rw: a database not made yet (or deleted) is not created here
            return sqlite3.connect(f"file:{pathname2url(self.path)}?mode=rw", uri=True, timeout=RESTART_WAIT,
                                   isolation_level=None)
        except sqlite3.Error:
            return None

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection) -> None:
        try:
            _busy, frames, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames >= RESTART_FRAMES:
                connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        except sqlite3.Error:
            pass
