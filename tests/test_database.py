"""Database sessions under gevent: one greenlet waiting on the network inside a unit of work must
not lock every other greenlet out of SQLite (the controller runs hundreds of them in one process)."""
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import sys, time
    import gevent
    from cpaas.models import Database, Account
    from cpaas.models.migrate import upgrade

    url = "sqlite:///" + sys.argv[1]
    upgrade(url)
    database = Database(url)

    def slow_writer():
        with database.session() as session:
            session.add(Account(friendly_name="slow"))
            session.flush()      # holds SQLite's write lock from here...
            gevent.sleep(0.5)    # ...while it waits on Redis or ESL, as status callbacks do

    def writer():
        with database.session() as session:
            session.add(Account(friendly_name="quick"))

    started = time.monotonic()
    gevent.joinall([gevent.spawn(slow_writer), gevent.spawn_later(0.1, writer)], raise_error=True)
    with database.session() as session:
        print(session.query(Account).count(), round(time.monotonic() - started, 1))
""")


def test_a_greenlet_waiting_inside_a_unit_of_work_does_not_lock_the_others_out(tmp_path):
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path / "db.sqlite")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    count, seconds = done.stdout.split()
    # Without the gate the second writer spins in SQLite's busy handler, a C sleep that also stops
    # the first greenlet: both wait the full 30 s timeout and the second fails "database is locked".
    assert int(count) == 2 and float(seconds) < 5
