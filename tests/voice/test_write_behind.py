"""The controller's write-behind queue: every write lands, in order, without holding the hub."""
import time

import gevent
from sqlalchemy import event, select

from cpaas.models import Account, Database
from cpaas.models.migrate import upgrade
from cpaas.voice.write_behind import WriteBehind


def _database(tmp_path) -> Database:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    upgrade(url)
    return Database(url)


def _busy(seconds: float) -> None:
    """ORM work standing in for a write's real cost: it holds the hub, as CPU work does."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_long_queue_is_written_in_short_transactions_with_calls_running_between(tmp_path):
    database = _database(tmp_path)
    writes = WriteBehind(database)
    ticks = []

    def ticker():  # a call's verb: it must get the hub every few ms
        while True:
            ticks.append(time.perf_counter())
            gevent.sleep(0.001)

    def write(n):
        def run(session):
            _busy(0.001)
            session.add(Account(friendly_name=f"row {n:03d}"))
        return run

    ticks_at_commit = []
    event.listen(database.engine, "commit", lambda _conn: ticks_at_commit.append(len(ticks)))
    ticking = gevent.spawn(ticker)
    gevent.sleep(0.01)
    for n in range(150):
        writes.submit(f"write {n}", write(n))
    assert writes.flush(timeout=30)
    ticking.kill()
    with database.session() as session:
        names = list(session.scalars(select(Account.friendly_name).order_by(Account.date_created, Account.sid)))
    assert names == [f"row {n:03d}" for n in range(150)]
    # 150 ms of writing in all: many short transactions, and the ticker ran between every two of
    # them (one transaction for it all would have stopped the ticker that long). Counted, not
    # timed: a loaded machine may pause the whole process at any moment.
    slices = ticks_at_commit[:-1]  # the last commit is the read above
    assert len(slices) >= 20
    assert all(later > earlier for earlier, later in zip(slices, slices[1:]))
    database.dispose()


def test_a_failing_write_costs_only_itself(tmp_path):
    database = _database(tmp_path)
    writes = WriteBehind(database)

    def good(name):
        return lambda session: session.add(Account(friendly_name=name))

    def bad(session):
        raise ValueError("a broken write")

    for write in (good("first"), bad, good("second")):
        writes.submit("CAtest", write)
    assert writes.flush(timeout=10)
    with database.session() as session:
        names = set(session.scalars(select(Account.friendly_name)))
    assert names == {"first", "second"}
    database.dispose()


def test_queued_rows_are_inserted_together_and_a_bad_one_costs_only_itself(tmp_path):
    from sqlalchemy import event

    database = _database(tmp_path)
    writes = WriteBehind(database)
    statements = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda conn, cursor, sql, params, context, many: statements.append((sql.split()[0], many)))
    for n in range(100):
        writes.insert("CAtest", Account(friendly_name=f"row {n:03d}"))
    writes.submit("CAtest", lambda session: session.add(Account(friendly_name="orm write")))
    writes.insert("CAtest", Account(sid="AC-clash", friendly_name="first"))
    writes.insert("CAtest", Account(sid="AC-clash", friendly_name="second, same key"))
    writes.insert("CAtest", Account(friendly_name="after the clash"))
    assert writes.flush(timeout=10)
    with database.session() as session:
        names = list(session.scalars(select(Account.friendly_name)))
    assert sorted(names) == sorted([f"row {n:03d}" for n in range(100)] + ["orm write", "first", "after the clash"])
    # 100 rows in two statements (64 + 36), not 100
    assert [many for verb, many in statements if verb == "INSERT"][:2] == [True, True]
    database.dispose()
