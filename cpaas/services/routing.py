"""Where a destination goes: the FreeSWITCH endpoint for an E.164 number, a SIP URI or a client."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from cpaas.config import Settings
from cpaas.config.freeswitch import FreeSwitchSettings, load_freeswitch_settings
from cpaas.services.errors import InvalidParameter
from cpaas.services.phone_numbers import to_e164

_SIP = re.compile(r"^sips?:([^@\s;]+@)?[A-Za-z0-9.\-\[\]:]+(;[^\s]*)?$")
_CLIENT = re.compile(r"^client:([A-Za-z0-9_.\-]{1,64})$")
#: The sandbox switch simulates this gateway's far ends (docs/sandbox.md).
SANDBOX_GATEWAY = "sandbox"


@dataclass(frozen=True)
class Route:
    endpoint: str
    caller_id: str | None  # the From to present, formatted for the trunk


class NoRoute(InvalidParameter):
    reason = "no_route"


class Router:
    def __init__(self, settings: Settings, freeswitch: FreeSwitchSettings | None = None):
        self.settings = settings
        self._freeswitch = freeswitch

    @cached_property
    def freeswitch(self) -> FreeSwitchSettings:
        return self._freeswitch or load_freeswitch_settings()

    def route(self, destination: str, caller_id: str | None = None) -> Route:
        destination = destination.strip()
        if destination.lower().startswith(("sip:", "sips:")):
            if not _SIP.match(destination):
                raise InvalidParameter(f"{destination!r} is not a valid SIP URI", reason="invalid_number")
            return Route(f"sofia/external/{destination.split(':', 1)[1]}", caller_id)
        client = _CLIENT.match(destination)
        if client:
            return Route(f"user/{client.group(1)}", caller_id)
        number = to_e164(destination, field="To")
        if self.freeswitch.trunks:
            try:
                trunk = self.freeswitch.route(number)
            except LookupError:
                raise NoRoute(f"No route to {number}") from None
            return Route(trunk.endpoint(number), _caller_id(trunk, caller_id))
        if self.settings.uses_sandbox:
            return Route(f"sofia/gateway/{SANDBOX_GATEWAY}/{number}", caller_id)
        raise NoRoute(f"No SIP trunk is configured to reach {number}")


def _caller_id(trunk, caller_id: str | None) -> str | None:
    """The caller id in the trunk's format; anything that is not E.164 passes through as given."""
    if caller_id and caller_id.startswith("+"):
        try:
            return trunk.caller_id(caller_id)
        except ValueError:
            return caller_id
    return caller_id
