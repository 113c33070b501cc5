"""The `cpaas` command: run the product, or one of its processes, and administer it."""
from __future__ import annotations

import sys

import click

from cpaas.config import SettingsError, load_settings


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


# subcommands (one add_command line per module that provides a command group)
