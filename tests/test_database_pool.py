"""Each process keeps a fixed pool of database connections: a unit of work beyond it waits for one
instead of opening a connection for one request, and a server connection that died while idle is
replaced before anyone uses it."""
import threading
import time

import psycopg
import pytest
from sqlalchemy import event, make_url, text
from sqlalchemy.exc import OperationalError

from cpaas.config import load_settings
from cpaas.models import Database


def test_units_of_work_beyond_the_pool_wait_for_a_connection(database_url):
    database = Database(database_url, pool_size=3)
    connects, inside, most_inside, lock = [], [0], [0], threading.Lock()
    event.listen(database.engine.pool, "connect", lambda *_: connects.append(1))

    def unit_of_work():
        with database.session() as session:
            session.execute(text("SELECT 1"))
            with lock:
                inside[0] += 1
                most_inside[0] = max(most_inside[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=unit_of_work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    database.dispose()
    assert not any(thread.is_alive() for thread in threads)
    assert len(connects) == 3 and most_inside[0] == 3


def _backend_pid(database: Database) -> int:
    with database.session() as session:
        return session.execute(text("SELECT pg_backend_pid()")).scalar()


def _terminate(database: Database, pid: int) -> None:
    """End a backend as a server restart or a firewall's idle timeout would."""
    libpq_url = make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq_url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


def test_a_server_connection_dropped_while_idle_is_replaced_unseen(postgres_url):
    database = Database(postgres_url, pool_size=2, ping_after_idle=0.2)
    first = _backend_pid(database)
    _terminate(database, first)
    time.sleep(0.3)
    assert _backend_pid(database) not in (first, None)
    database.dispose()


def test_a_connection_in_steady_use_is_not_checked(postgres_url):
    """The other side of the bargain: no round trip per checkout, so a connection used a moment
    ago and dropped since fails its next unit of work (and the pool then replaces them all)."""
    database = Database(postgres_url, pool_size=2, ping_after_idle=60)
    first = _backend_pid(database)
    _terminate(database, first)
    with pytest.raises(OperationalError):
        _backend_pid(database)
    assert _backend_pid(database) != first
    database.dispose()


def test_the_pool_size_is_a_setting(tmp_path):
    settings = load_settings({"DATA_DIR": str(tmp_path), "DATABASE_POOL_SIZE": "5"}, dotenv=None)
    database = Database.from_settings(settings)
    assert database.engine.pool.size() == 5 and database.engine.pool._max_overflow == 0
    database.dispose()
