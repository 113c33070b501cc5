"""The controller's event listener for one node, assembled from the pieces in this package.

    listener = node_listener(node, registry)
    listener.on("CHANNEL_ANSWER", on_answer)           # handlers per Event-Name
    listener.on(CONTROL_SUBCLASS, on_control)          # ... and per CUSTOM Event-Subclass
    listener.start()                                   # reconnects and resubscribes by itself

Its events drive call status (CHANNEL_CREATE -> initiated, PROGRESS -> ringing, ANSWER ->
in-progress, HANGUP_COMPLETE -> the final status), BACKGROUND_JOB carries an originate's
failure (`call_sid_of_originate(event["Job-Command-Arg"])` finds its call), CUSTOM
cpaas::control carries live-call updates sent by `NodeCommands.send_control`, and HEARTBEAT
keeps the node's health and session count in the registry.
"""
from __future__ import annotations

from cpaas.config import FreeSwitchNode
from cpaas.switch.commands import CONTROL_SUBCLASS
from cpaas.switch.inbound import EslConnection
from cpaas.switch.registry import NodeRegistry

CALL_STATUS_EVENTS = (
    "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
    "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB",
)


def node_listener(node: FreeSwitchNode, registry: NodeRegistry | None = None, *,
                  events: tuple[str, ...] = CALL_STATUS_EVENTS,
                  subclasses: tuple[str, ...] = (CONTROL_SUBCLASS,), **options) -> EslConnection:
    """An EslConnection for `node`, subscribed to `events` and CUSTOM `subclasses`, reporting
    its health to `registry`; call `.start()` once its handlers are registered."""
    listener = EslConnection.for_node(node, **options)
    listener.subscribe(*events)
    if subclasses:
        listener.subscribe("CUSTOM", *subclasses)
    if registry is not None:
        registry.watch(listener)
    return listener
