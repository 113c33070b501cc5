"""SQLite under gevent: one greenlet waiting on the network inside a unit of work must not lock
every other greenlet out (the controller runs hundreds of them in one process), a write lock held
by another process (api, controller and worker share the file) must not stop this one, and no
commit stops the process to checkpoint the WAL."""
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PRELUDE = """
    from gevent import monkey
    monkey.patch_all()
    import sqlite3, sys, time
    import gevent
    from cpaas.models import Database, Account
    from cpaas.models.migrate import upgrade

    url = "sqlite:///" + sys.argv[1]
    upgrade(url)
    database = Database(url)
"""


def _run(script: str, tmp_path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(_PRELUDE) + textwrap.dedent(script),
                           str(tmp_path / "db.sqlite")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


def test_a_greenlet_waiting_inside_a_unit_of_work_does_not_lock_the_others_out(tmp_path):
    count, seconds = _run("""
        def slow_writer():
            with database.session() as session:
                session.add(Account(friendly_name="slow"))
                session.flush()      # holds SQLite's write lock from here...
                gevent.sleep(0.5)    # ...while it waits on Redis or ESL, as status callbacks do

        def writer():  # a bare session, as an API request uses
            session = database.sessionmaker()
            session.add(Account(friendly_name="quick"))
            session.commit()
            session.close()

        started = time.monotonic()
        gevent.joinall([gevent.spawn(slow_writer), gevent.spawn_later(0.1, writer)], raise_error=True)
        with database.session() as session:
            print(session.query(Account).count(), round(time.monotonic() - started, 1))
    """, tmp_path)
    # Without the gate the second writer spins in SQLite's busy handler, a C sleep that also stops
    # the first greenlet: both wait the full 30 s timeout and the second fails "database is locked".
    assert int(count) == 2 and float(seconds) < 5


def test_a_write_lock_held_by_another_process_does_not_stop_this_one(tmp_path):
    ticks_during_wait, waited, count = _run("""
        with database.session() as session:  # the file is in WAL mode from here on, as in production
            session.query(Account).count()
        database.dispose()  # this process's next connection opens while the other holds the lock
        other = sqlite3.connect(sys.argv[1], isolation_level=None)  # another process, as far as locks go
        other.execute("BEGIN IMMEDIATE")
        gevent.spawn_later(0.6, other.execute, "COMMIT")

        ticks = []
        def ticker():
            for _ in range(80):
                ticks.append(time.monotonic())
                gevent.sleep(0.01)

        def writer():
            began = time.monotonic()
            with database.session() as session:
                session.add(Account(friendly_name="waits its turn"))
            return began, time.monotonic()

        ticking, writing = gevent.spawn(ticker), gevent.spawn_later(0.05, writer)
        gevent.joinall([ticking, writing], raise_error=True)
        began, ended = writing.value
        with database.session() as session:
            print(sum(began < t < ended for t in ticks), round(ended - began, 2), session.query(Account).count())
    """, tmp_path)
    # The writer waited for the other process's commit, and meanwhile the rest of the process ran:
    # SQLite's own busy handler would have slept in C, stopping the ticker for the whole wait.
    # Counted, not timed: a loaded machine may pause the whole process now and then.
    assert float(waited) >= 0.4 and int(count) == 1
    assert int(ticks_during_wait) >= 10  # one every 10 ms while it waited; a C sleep would allow none


def test_insert_row_writes_the_instance_with_its_column_defaults(tmp_path):
    from cpaas.models import Call, Database, insert_row
    from cpaas.models.migrate import upgrade

    url = f"sqlite:///{tmp_path}/db.sqlite"
    upgrade(url)
    database = Database(url)
    call = Call(direction="outbound-api", to="+15551230001", from_="+15551230002", url="http://127.0.0.1:9/")
    with database.session() as session:
        insert_row(session, call)
    # The defaults were filled in on the instance, which therefore answers as the row does.
    assert call.sid.startswith("CA") and call.status == "queued" and call.method == "POST"
    assert call.callback_sequence == 0 and call.date_created.tzinfo is not None
    with database.session() as session:
        stored = session.get(Call, call.sid)
        assert (stored.to, stored.from_, stored.status, stored.date_created, stored.timeout) == \
            (call.to, call.from_, call.status, call.date_created, call.timeout)
    database.dispose()


def test_the_wal_is_checkpointed_by_a_thread_of_its_own_not_inside_commits(tmp_path):
    tmp_path = tmp_path / "data dir #1 50%"  # the thread opens the file by URI: nothing may be misread
    tmp_path.mkdir()
    autocheckpoint, left_after_wait, restarted_at, threads_after = _run("""
        from sqlalchemy import text
        from cpaas.models import sqlite as sqlite_setup

        with database.session() as session:
            autocheckpoint = session.execute(text("PRAGMA wal_autocheckpoint")).scalar()
            session.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, data TEXT)"))
        for _ in range(sqlite_setup.RESTART_FRAMES + 200):  # a commit per page at least
            with database.session() as session:
                session.execute(text("INSERT INTO filler (data) VALUES (:data)"), {"data": "x" * 3000})

        def wal_state():  # (frames in the WAL, frames not yet copied to the database file)
            probe = sqlite3.connect(sys.argv[1])
            busy, frames, copied = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            probe.close()
            return frames, frames - copied

        time.sleep(3 * sqlite_setup.CHECKPOINT_INTERVAL)  # the thread runs while the hub sleeps
        with database.session() as session:  # the first write after a restart starts the WAL over
            session.execute(text("INSERT INTO filler (data) VALUES ('after')"))
        frames_now, _ = wal_state()
        time.sleep(3 * sqlite_setup.CHECKPOINT_INTERVAL)
        _, left = wal_state()
        before = len(sys._current_frames())  # OS threads: the checkpointer is not a greenlet
        database.dispose()
        time.sleep(2 * sqlite_setup.CHECKPOINT_INTERVAL)
        print(autocheckpoint, left, frames_now, before - len(sys._current_frames()))
    """, tmp_path)
    # Commits never checkpoint (SQLite's would fsync inside one, stopping every greenlet for tens
    # of ms); the thread copied everything, restarted the long WAL, and stopped with the Database.
    assert int(autocheckpoint) == 0
    assert int(left_after_wait) == 0
    assert int(restarted_at) < 100  # not RESTART_FRAMES + 200: the WAL started over
    assert int(threads_after) == 1
