"""Engine and sessions. One `Database` per process, created by whoever starts the process."""
from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event, insert, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("cpaas.db")

SQLITE_POOL = 32  # connections kept open per process
LOCK_TIMEOUT = 30  # seconds a write waits for another's: api, controller and worker share one SQLite file


class Database:
    def __init__(self, url: str, echo: bool = False):
        self.url = url
        parsed = make_url(url)
        kwargs = {}
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"timeout": LOCK_TIMEOUT, "check_same_thread": False}
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                # One connection per greenlet inside a unit of work, and a gevent API worker serves
                # dozens of requests at once. Beyond the pool, connections are opened and closed per
                # request, and opening one (with its pragmas) cost a third of a Calls.create.
                kwargs.update(pool_size=SQLITE_POOL, max_overflow=2 * SQLITE_POOL)
        else:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine = create_engine(url, echo=echo, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            SQLiteWriters(self.engine)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessionmaker, "after_commit", _run_on_commit)
        event.listen(self.sessionmaker, "after_rollback", _forget_on_commit)

    @contextmanager
    def session(self):
        """A unit of work: commit on success, roll back on error."""
        session: Session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


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


def insert_row(session: Session, instance) -> None:
    """INSERT a new model instance's row in `session`'s transaction, without the unit of work.

    For hot paths that create a row and never change it in the same transaction (a call the API
    queues): a flush costs about twice the INSERT itself. Column defaults are filled in on
    `instance`, which stays out of the session and keeps every value it was written with."""
    mapper = inspect(type(instance))
    row = {}
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        value = getattr(instance, attribute.key)
        if value is None and column.default is not None:
            value = column.default.arg(None) if column.default.is_callable else column.default.arg
            setattr(instance, attribute.key, value)
        row[column.key] = value
    session.execute(_insert(mapper.local_table), row)


@lru_cache(maxsize=None)
def _insert(table):
    return insert(table)


def on_commit(session: Session, action) -> None:
    """Run `action()` once `session`'s transaction has committed; never if it rolls back. For what
    tells the world about a change (a status callback): it must not go out for a change that was
    not written, nor twice when a failed batch of writes is retried."""
    session.info.setdefault(_ON_COMMIT, []).append(action)


_ON_COMMIT = "cpaas.on_commit"


def _run_on_commit(session: Session) -> None:
    for action in session.info.pop(_ON_COMMIT, []):
        try:
            action()
        except Exception:  # the change is written; one failed notice must not hide it or the others
            log.exception("an action after commit failed")


def _forget_on_commit(session: Session) -> None:
    session.info.pop(_ON_COMMIT, None)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer across processes
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
