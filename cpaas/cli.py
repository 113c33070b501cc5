"""The `cpaas` command: run the product, or one of its processes, and administer it."""
from __future__ import annotations

import sys

if len(sys.argv) > 1 and sys.argv[1] in ("controller", "sandbox"):
    # gevent processes: patch before anything imports socket/ssl users (requests, redis).
    from gevent import monkey

    monkey.patch_all()

import click  # noqa: E402

from cpaas.config import SettingsError, load_settings  # noqa: E402


class _Context:
    """Settings are read once per invocation; a wrong setting ends it with one line."""

    def __init__(self):
        self._settings = None

    @property
    def settings(self):
        if self._settings is None:
            try:
                self._settings = load_settings()
            except SettingsError as exc:
                click.echo(f"cpaas: configuration error: {exc}", err=True)
                sys.exit(2)
        return self._settings


pass_ctx = click.make_pass_decorator(_Context, ensure=True)


@click.group()
@click.version_option(package_name="cpaas")
@click.pass_context
def main(ctx):
    """Self-hosted voice and SMS platform on FreeSWITCH."""
    ctx.ensure_object(_Context)


@main.command()
@pass_ctx
def run(ctx):
    """Run everything one machine needs: api, worker, Redis and the sandbox switch if none configured."""
    from cpaas.commands.run import run as run_all

    sys.exit(run_all(ctx.settings))


@main.command()
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
@pass_ctx
def api(ctx, workers):
    """Serve the HTTP API (gunicorn + gevent) on API_HOST:API_PORT."""
    from cpaas.commands.api import serve

    serve(ctx.settings, workers)


@main.command()
@click.option("--burst", is_flag=True, help="Exit when the queues are empty")
@pass_ctx
def worker(ctx, burst):
    """Run an RQ worker for webhooks, SMS, uploads and call-outs."""
    from cpaas.commands.worker import work

    work(ctx.settings, burst=burst)


@main.command()
@pass_ctx
def controller(ctx):
    """Run the call controller: FreeSWITCH's socket application hands it every call."""
    from cpaas.commands.controller import serve

    serve(ctx.settings)


# subcommands (one add_command line per module that provides a command group)
import cpaas.commands.admin  # noqa: E402,F401  (registers db, accounts, numbers)
import cpaas.commands.sms  # noqa: E402,F401
from cpaas.sandbox.cli import sandbox  # noqa: E402
main.add_command(sandbox)
