"""`cpaas db`, `cpaas accounts`, `cpaas numbers`: administration from the shell."""
from __future__ import annotations

import click
from sqlalchemy import select

from cpaas.cli import main, pass_ctx
from cpaas.models import Account, Database
from cpaas.models.migrate import upgrade
from cpaas.services.accounts import create_account
from cpaas.services.errors import DomainError
from cpaas.services.phone_numbers import add_number


@main.group()
def db():
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx):
    """Apply every pending migration."""
    upgrade(ctx.settings.database_url)
    click.echo(f"database at {ctx.settings.database_url} is up to date")


@main.group()
def accounts():
    """Accounts and their credentials."""


@accounts.command("create")
@click.option("--name", "friendly_name", default="", help="Friendly name")
@click.option("--parent", "parent_sid", default=None, help="Make it a subaccount of this account SID")
@pass_ctx
def accounts_create(ctx, friendly_name, parent_sid):
    """Create an account and print its SID and auth token."""
    with _session(ctx) as session:
        parent = _account(session, parent_sid) if parent_sid else None
        account = _domain(lambda: create_account(session, friendly_name or "Main account", owner=parent))
        click.echo(f"{account.sid} {account.auth_token} {account.friendly_name}")


@accounts.command("list")
@pass_ctx
def accounts_list(ctx):
    """List every account: SID, status, owner, name."""
    with _session(ctx) as session:
        for account in session.scalars(select(Account).order_by(Account.date_created)):
            click.echo(f"{account.sid} {account.status:9} {account.owner_account_sid or '-':34} "
                       f"{account.friendly_name}")


@main.group()
def numbers():
    """Phone numbers routed to this platform."""


@numbers.command("add")
@click.argument("phone_number")
@click.option("--account", "account_sid", required=True, help="Owner account SID")
@click.option("--voice-url", default=None)
@click.option("--voice-method", default="POST", type=click.Choice(["GET", "POST"]))
@click.option("--sms-url", default=None)
@click.option("--sms-method", default="POST", type=click.Choice(["GET", "POST"]))
@click.option("--name", "friendly_name", default=None)
@pass_ctx
def numbers_add(ctx, phone_number, account_sid, **fields):
    """Assign PHONE_NUMBER (any format with a country code) to an account."""
    with _session(ctx) as session:
        account = _account(session, account_sid)
        number = _domain(lambda: add_number(session, account, phone_number, **fields))
        click.echo(f"{number.sid} {number.phone_number} -> {account.sid}")


def _session(ctx):
    upgrade(ctx.settings.database_url)
    return Database.from_settings(ctx.settings).session()


def _account(session, sid: str) -> Account:
    account = session.get(Account, sid)
    if account is None:
        raise click.ClickException(f"no account {sid}")
    return account


def _domain(action):
    try:
        return action()
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
