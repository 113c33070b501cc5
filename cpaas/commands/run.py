"""`cpaas run`: everything one machine needs, supervised by honcho (a maintained Procfile runner)."""
from __future__ import annotations

import os
import shlex
import shutil
import sys

import click
from honcho.manager import Manager
from honcho.printer import Printer

from cpaas.config import Settings
from cpaas.models import Database
from cpaas.models.migrate import upgrade
from cpaas.services.accounts import bootstrap_account


def processes(settings: Settings) -> dict[str, list[str]]:
    """Name -> command line of each process `cpaas run` starts."""
    me = [sys.executable, "-m", "cpaas"]
    procs: dict[str, list[str]] = {}
    if settings.redis_url is None:
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise click.ClickException("REDIS_URL is unset and redis-server is not installed "
                                       "(scripts/setup installs it, or set REDIS_URL)")
        redis_dir = settings.data_dir.resolve() / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        procs["redis"] = [redis_server, "--bind", "127.0.0.1", "--port", str(settings.redis_port),
                          "--dir", str(redis_dir), "--appendonly", "yes", "--save", ""]
    if settings.uses_sandbox:
        procs["sandbox"] = me + ["sandbox"]
    procs["controller"] = me + ["controller"]
    procs["api"] = me + ["api"]
    procs["worker"] = me + ["worker"]
    return procs


def prepare(settings: Settings) -> tuple[str, str, bool]:
    """Migrate the database and make sure a main account exists; returns (sid, token, created)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.recordings_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    database = Database.from_settings(settings)
    try:
        with database.session() as session:
            account, created = bootstrap_account(session)
            return account.sid, account.auth_token, created
    finally:
        database.dispose()


def banner(settings: Settings, sid: str, token: str, created: bool) -> str:
    base = settings.public_base_url
    switch = ("sandbox switch on %s:%d" % (settings.sandbox_host, settings.sandbox_port)
              if settings.uses_sandbox else ", ".join(n.name for n in settings.freeswitch_nodes))
    return "\n".join([
        "",
        f"  cpaas is starting ({'new' if created else 'existing'} database {settings.database_url})",
        f"  API:      {base}/2010-04-01",
        f"  Docs:     {base}/docs  (ReDoc: {base}/docs/redoc)",
        f"  Switch:   {switch}",
        f"  Account:  {sid}",
        f"  Token:    {token}",
        f"  Try:      curl -u {sid}:{token} {base}/2010-04-01/Accounts/{sid}.json",
        "  Ctrl-C stops everything.",
        "",
    ])


def run(settings: Settings) -> int:
    sid, token, created = prepare(settings)
    procs = processes(settings)
    click.echo(banner(settings, sid, token, created))
    env = dict(os.environ)
    env.update(REDIS_URL=settings.effective_redis_url, DATA_DIR=str(settings.data_dir.resolve()),
               DATABASE_URL=settings.database_url, PYTHONUNBUFFERED="1")
    manager = Manager(Printer(sys.stdout))
    for name, argv in procs.items():
        manager.add_process(name, shlex.join(argv), env=env)
    manager.loop()  # SIGINT/SIGTERM stop every child; one child dying stops the rest
    return manager.returncode or 0
