"""`cpaas sms receive`: inject an inbound message as if a gateway had delivered it, to try a number's
SmsUrl and Messaging TwiML without a carrier. A running worker requests the SmsUrl and sends the reply."""
from __future__ import annotations

import sys

import click
import redis

from cpaas.cli import main, pass_ctx
from cpaas.messaging.gateways.base import InboundSms, normalize_number
from cpaas.models import Database
from cpaas.services import messages
from cpaas.services.errors import DomainError
from cpaas.services.phone_numbers import to_e164


@main.group()
def sms():
    """SMS tools."""


@sms.command("receive")
@click.option("--from", "from_", required=True, help="The phone that sends the message, E.164")
@click.option("--to", required=True, help="One of your numbers, E.164")
@click.option("--body", default="", help="The message text")
@click.option("--gateway", default="sandbox", show_default=True, help="The gateway it is recorded as arriving on")
@pass_ctx
def receive(ctx, from_, to, body, gateway):
    """Inject an inbound message; prints its MessageSid."""
    settings = ctx.settings
    try:
        sms_in = InboundSms(from_=normalize_number(from_), to=to_e164(normalize_number(to), field="To"), body=body,
                            gateway=gateway)
    except DomainError as exc:
        raise click.BadParameter(exc.message, param_hint="--to") from None
    database = Database.from_settings(settings)
    try:
        with database.session() as session:
            message, _ = messages.receive(session, sms_in)
            if message is None:
                click.echo(f"cpaas: no account owns {sms_in.to}; add it with `cpaas numbers add`", err=True)
                sys.exit(1)
            sid = message.sid
        messages.queue_inbound(redis.Redis.from_url(settings.effective_redis_url), sid)
    finally:
        database.dispose()
    click.echo(sid)
