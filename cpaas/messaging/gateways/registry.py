"""Builds the configured gateways once and picks the one for a sender (per number, per account, default)."""
from __future__ import annotations

from typing import Mapping

from cpaas.messaging.config import MessagingConfig, load_messaging_config
from cpaas.messaging.gateways.base import Gateway
from cpaas.messaging.gateways.http import HttpGateway
from cpaas.messaging.gateways.kannel import KannelGateway
from cpaas.messaging.gateways.sandbox import SandboxGateway

GATEWAY_CLASSES: dict[str, type[Gateway]] = {"sandbox": SandboxGateway, "kannel": KannelGateway, "http": HttpGateway}


class UnknownGateway(LookupError):
    """A callback or a stored message names a gateway that is not configured (any more)."""


class GatewayRegistry:
    def __init__(self, config: MessagingConfig, public_base_url: str):
        self.config = config
        self._gateways = {name: GATEWAY_CLASSES[gc.type](gc, public_base_url) for name, gc in config.gateways.items()}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], public_base_url: str) -> "GatewayRegistry":
        """From the same environment as Settings; pass settings.public_base_url."""
        return cls(load_messaging_config(environ), public_base_url)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._gateways)

    def get(self, name: str, type: str | None = None) -> Gateway:
        """The gateway called `name`; with `type`, only if it is of that type (callback URLs carry both)."""
        gateway = self._gateways.get(name)
        if gateway is None or (type is not None and gateway.type != type):
            raise UnknownGateway(f"no {type or 'SMS'} gateway named {name!r}")
        return gateway

    def for_sender(self, from_number: str | None, account_sid: str | None = None) -> Gateway:
        return self._gateways[self.config.route(from_number, account_sid).name]
