"""originate: the outbound call the product places for every API-created call."""
from __future__ import annotations

from cpaas.sandbox.api import command
from cpaas.sandbox.originate import originate_command


@command("originate")
def originate(switch, arg, listener):
    return originate_command(switch, arg)
