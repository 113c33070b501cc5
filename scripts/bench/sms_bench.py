"""SMS benchmark (run through scripts/bench/sms).

1. accepted: N POSTs to /2010-04-01/Accounts/{AC}/Messages.json from C client threads against
   `cpaas api` (gunicorn + gevent) with no worker running; messages/s until the last 201.
2. delivered: one `cpaas worker` is started; messages/s from its start until every message
   is `delivered` (queued -> sending -> sent through the sandbox gateway, then its delivery
   report applied by a scheduled job).

A throw-away Redis and SQLite database in a temp dir; per-number and API rate limits are lifted
so the figures measure the code, not the limits.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cpaas.config import load_settings  # noqa: E402
from cpaas.models import Database, Message  # noqa: E402
from cpaas.models.migrate import upgrade  # noqa: E402
from cpaas.services.accounts import create_account  # noqa: E402
from cpaas.services.phone_numbers import add_number  # noqa: E402
from tests.support.servers import RedisServer, free_port, wait_for_port  # noqa: E402

SENDER = "+15551239000"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--simple-worker", action="store_true",
                        help="run the worker as RQ's SimpleWorker (no fork per job) instead of `cpaas worker`, "
                             "to see what forking a work horse per job costs")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds per phase")
    args = parser.parse_args()

    redis_server = RedisServer()
    tmp = tempfile.TemporaryDirectory(prefix="cpaas-bench-sms-")
    port = free_port()
    env = {**os.environ, "DATA_DIR": tmp.name, "DATABASE_URL": f"sqlite:///{tmp.name}/cpaas.db",
           "REDIS_URL": redis_server.url, "API_HOST": "127.0.0.1", "API_PORT": str(port), "LOG_LEVEL": "warning",
           "API_RATE_LIMIT": "100000000/hour", "SMS_RATE_LIMIT": "100000000/hour",
           "SMS_GATEWAY_SANDBOX_DELAY": "0.1", "PYTHONUNBUFFERED": "1"}
    processes: list[subprocess.Popen] = []
    try:
        settings = load_settings(env, dotenv=None)
        upgrade(settings.database_url)
        database = Database(settings.database_url)
        with database.session() as session:
            account = create_account(session, "bench")
            add_number(session, account, SENDER)
            sid, token = account.sid, account.auth_token
        processes.append(_spawn(["api", "--workers", str(args.api_workers)], env, tmp.name))
        wait_for_port(port, 30)
        accepted = _accept(f"http://127.0.0.1:{port}", sid, token, args.messages, args.clients)
        print(f"accepted:  {args.messages} messages in {accepted:.2f}s = {args.messages / accepted:.0f} messages/s "
              f"({args.clients} clients, {args.api_workers} gunicorn gevent workers)")
        started = time.monotonic()
        processes.append(_spawn_simple_worker(env, tmp.name) if args.simple_worker
                         else _spawn(["worker"], env, tmp.name))
        delivered = _wait_delivered(database, args.messages, started, args.timeout)
        print(f"delivered: {args.messages} messages in {delivered:.2f}s = {args.messages / delivered:.0f} messages/s "
              f"(1 {'SimpleWorker' if args.simple_worker else 'cpaas worker'}, sandbox gateway, from worker start)")
        database.dispose()
        return 0
    finally:
        for proc in reversed(processes):
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis_server.stop()
        tmp.cleanup()


def _spawn(command: list[str], env: dict, cwd: str) -> subprocess.Popen:
    log = open(Path(cwd) / f"{command[0]}.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "cpaas", *command], env=env, cwd=cwd, stdout=log,
                            stderr=subprocess.STDOUT)


_SIMPLE_WORKER = """
import redis
from rq import Queue, SimpleWorker
from cpaas.commands.worker import QUEUES
from cpaas.config import load_settings
settings = load_settings()
connection = redis.Redis.from_url(settings.effective_redis_url)
SimpleWorker([Queue(name, connection=connection) for name in QUEUES], connection=connection).work(
    logging_level=settings.log_level, with_scheduler=True)
"""


def _spawn_simple_worker(env: dict, cwd: str) -> subprocess.Popen:
    log = open(Path(cwd) / "worker.log", "wb")
    return subprocess.Popen([sys.executable, "-c", _SIMPLE_WORKER], env=env, cwd=cwd, stdout=log,
                            stderr=subprocess.STDOUT)


def _accept(base: str, sid: str, token: str, count: int, clients: int) -> float:
    url = f"{base}/2010-04-01/Accounts/{sid}/Messages.json"
    sessions = {}

    def post(i: int) -> int:
        import threading

        session = sessions.setdefault(threading.get_ident(), requests.Session())
        response = session.post(url, data={"To": f"+1555765{i % 10000:04d}", "From": SENDER, "Body": f"bench {i}"},
                                auth=(sid, token), timeout=30)
        return response.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        codes = list(pool.map(post, range(count)))
    elapsed = time.monotonic() - started
    bad = [c for c in codes if c != 201]
    if bad:
        raise SystemExit(f"{len(bad)} of {count} creates failed (first status {bad[0]})")
    return elapsed


def _wait_delivered(database: Database, count: int, started: float, timeout: float) -> float:
    while True:
        with database.session() as session:
            done = session.scalar(select(func.count()).select_from(Message).where(Message.status == "delivered"))
        if done >= count:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise SystemExit(f"only {done}/{count} delivered after {timeout:g}s")
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
