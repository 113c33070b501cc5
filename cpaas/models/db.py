"""Engine and sessions. One `Database` per process, created by whoever starts the process."""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("cpaas.db")


class Database:
    def __init__(self, url: str, echo: bool = False):
        self.url = url
        parsed = make_url(url)
        kwargs = {}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # api, controller and worker share one file: wait for locks instead of failing at once.
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine = create_engine(url, echo=echo, **kwargs)
        # SQLite: one unit of work at a time per process. Under gevent, a greenlet can hold SQLite's
        # write lock while it waits on Redis or ESL; another greenlet that then writes spins in
        # SQLite's busy handler, a C sleep that stops the whole hub, so the holder never resumes
        # and both time out ("database is locked" after 30 s). Waiting here is cooperative instead.
        # (threading.RLock is gevent's when the process is patched; reentrant for nested sessions.)
        self._gate = threading.RLock() if parsed.get_backend_name() == "sqlite" else nullcontext()
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessionmaker, "after_commit", _run_on_commit)
        event.listen(self.sessionmaker, "after_rollback", _forget_on_commit)

    @contextmanager
    def session(self):
        """A unit of work: commit on success, roll back on error."""
        with self._gate:
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
