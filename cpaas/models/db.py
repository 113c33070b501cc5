"""Engine and sessions. One `Database` per process, created by whoever starts the process."""
from __future__ import annotations

import logging
import time
import weakref
from contextlib import contextmanager
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from sqlalchemy import create_engine, event, exc, insert, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from cpaas.config import DEFAULT_DATABASE_POOL_SIZE, Settings
from cpaas.models import sqlite

log = logging.getLogger("cpaas.db")


#: Seconds a pooled connection may sit unused before it is checked (SELECT 1) as it is lent out.
PING_AFTER_IDLE = 1.0


class Database:
    def __init__(self, url: str, echo: bool = False, *, pool_size: int = DEFAULT_DATABASE_POOL_SIZE,
                 ping_after_idle: float = PING_AFTER_IDLE):
        self.url = url
        parsed = make_url(url)
        is_sqlite = parsed.get_backend_name() == "sqlite"
        sqlite_file = parsed.database if is_sqlite and parsed.database not in (None, "", ":memory:") else None
        kwargs = {}
        if is_sqlite:
            kwargs["connect_args"] = {"timeout": sqlite.LOCK_TIMEOUT, "check_same_thread": False}
        if sqlite_file:
            Path(sqlite_file).parent.mkdir(parents=True, exist_ok=True)
        if sqlite_file or not is_sqlite:
            # A gevent process runs dozens of units of work at once. Past the pool they wait for a
            # connection instead of opening one: an overflow connection lives for one request, and
            # opening it (a PostgreSQL backend forked, SQLite's pragmas) cost more than the request.
            # With 64 clients, Calls.create on PostgreSQL fell from 620/s to 230/s.
            kwargs.update(pool_size=pool_size, max_overflow=0)
        self.engine = create_engine(url, echo=echo, **kwargs)
        if not is_sqlite:
            _ping_when_idle(self.engine, ping_after_idle)
        self._checkpointer = sqlite.configure(self.engine, sqlite_file) if is_sqlite else None
        if self._checkpointer is not None:  # its thread outlives a Database nobody disposed of
            weakref.finalize(self, self._checkpointer.stop)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessionmaker, "after_commit", _run_on_commit)
        event.listen(self.sessionmaker, "after_rollback", _forget_on_commit)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        return cls(settings.database_url, pool_size=settings.database_pool_size)

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
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()


def _ping_when_idle(engine, idle_seconds: float) -> None:
    """Check a server connection before lending it out, when it has sat unused for a while.

    SQLAlchemy's pool_pre_ping checks on every checkout: a round trip per request, 5% of a
    Calls.create on PostgreSQL. A connection in steady use is known alive; one left idle may have
    been dropped (a restart, a firewall's idle timeout), and then so may every other: the pool
    replaces them all."""
    @event.listens_for(engine.pool, "checkin")
    def _idle_from(_dbapi_connection, record):
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        idle_from = record.info.get("idle_from")
        if idle_from is None or time.monotonic() - idle_from < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # what pool_pre_ping runs: the dialect's SELECT 1
        except engine.dialect.loaded_dbapi.Error as error:
            log.warning("database connection idle for %.0fs is gone (%s); reconnecting",
                        time.monotonic() - idle_from, error)
            raise exc.InvalidatePoolError() from error


def insert_row(session: Session, instance) -> None:
    """INSERT a new model instance's row in `session`'s transaction, without the unit of work.

    For hot paths that create a row and never change it in the same transaction (a call the API
    queues): a flush costs about twice the INSERT itself. Column defaults are filled in on
    `instance`, which stays out of the session and keeps every value it was written with."""
    statement, columns = _insert_plan(type(instance))
    session.execute(statement, _row_values(instance, columns))


def insert_rows(session: Session, instances) -> None:
    """insert_row for many: one executemany per run of instances of the same model."""
    for model, run in groupby(instances, type):
        statement, columns = _insert_plan(model)
        session.execute(statement, [_row_values(instance, columns) for instance in run])


def _row_values(instance, columns) -> dict:
    values = instance.__dict__  # what the constructor set; reading through the attributes cost as much as the INSERT
    row = {}
    for key, column_key, default in columns:
        value = values.get(key)
        if value is None and default is not None:
            value = default.arg(None) if default.is_callable else default.arg
            set_committed_value(instance, key, value)
        row[column_key] = value
    return row


@lru_cache(maxsize=None)
def _insert_plan(model):
    mapper = inspect(model)
    columns = tuple((attribute.key, attribute.columns[0].key, attribute.columns[0].default)
                    for attribute in mapper.column_attrs)
    return insert(mapper.local_table), columns


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
