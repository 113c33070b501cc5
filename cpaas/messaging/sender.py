"""Send one message through the right gateway at no more than that gateway's throughput.

This is what the SMS job calls. A short wait for a throughput slot is slept off
here; a long one comes back as `Deferred` so the worker is free meanwhile: the job
reschedules itself `delay` seconds later and passes `slot_booked=True`, because
the slot is already ours (booking again would push every later message back).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from cpaas.messaging.gateways.base import OutboundSms, SendResult
from cpaas.messaging.gateways.registry import GatewayRegistry
from cpaas.messaging.ratelimit import GatewayThroughput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deferred:
    """Not sent: the gateway's throughput slot for this message is `delay` seconds away."""

    delay: float
    gateway: str


class SmsSender:
    def __init__(self, registry: GatewayRegistry, throughput: GatewayThroughput | None = None,
                 max_wait: float = 2.0, sleep: Callable[[float], None] = time.sleep):
        self._registry = registry
        self._throughput = throughput
        self._max_wait = max_wait
        self._sleep = sleep

    def send(self, sms: OutboundSms, gateway: str | None = None, slot_booked: bool = False) -> SendResult | Deferred:
        """Send through `gateway` (a name; default: routed by sender and account)."""
        chosen = self._registry.get(gateway) if gateway else self._registry.for_sender(sms.from_, sms.account_sid)
        if self._throughput is not None and not slot_booked:
            delay = self._throughput.reserve(chosen.name)
            if delay > self._max_wait:
                log.info("sms %s: gateway %s throughput slot in %.2fs, deferring", sms.message_ref, chosen.name, delay)
                return Deferred(delay, chosen.name)
            if delay > 0:
                self._sleep(delay)
        return chosen.send(sms)
