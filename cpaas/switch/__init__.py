"""ESL, and only here: FreeSWITCH connections on greenswitch, call control, node registry.

- `EslConnection` (inbound.py): one supervised client per node — api, bgapi, events, health.
- `OutboundServer` / `ChannelSession` (outbound.py): the per-call sockets FreeSWITCH opens to us.
- `OriginateRequest` (originate.py): call description -> exact originate / bridge dial string.
- `NodeRegistry` (registry.py): node health and call -> node in Redis.
- `NodeCommands` (commands.py): fire-and-forget commands from API processes to a node.
- `node_listener` (listener.py): the controller's per-node event listener, assembled.
"""
from cpaas.switch.commands import CONTROL_SUBCLASS, NodeCommands
from cpaas.switch.errors import (ChannelHangup, EslAuthError, EslCommandError, EslDisconnected, EslError,
                                 EslTimeout)
from cpaas.switch.inbound import EslConnection, NodeHealth
from cpaas.switch.jobs import JobResult, PendingJob
from cpaas.switch.listener import CALL_STATUS_EVENTS, node_listener
from cpaas.switch.originate import Endpoint, OriginateRequest, call_sid_of_originate
from cpaas.switch.outbound import ChannelSession, ExecuteResult, HangupInfo, OutboundServer, PendingExecute
from cpaas.switch.registry import NodeRegistry, NodeStatus, NoHealthyNode
from cpaas.switch.wire import Event, Reply

__all__ = [
    "CALL_STATUS_EVENTS", "CONTROL_SUBCLASS", "node_listener", "ChannelHangup", "ChannelSession", "Endpoint", "EslAuthError", "EslCommandError",
    "EslConnection", "EslDisconnected", "EslError", "EslTimeout", "Event", "ExecuteResult", "HangupInfo",
    "JobResult", "NodeCommands", "NodeHealth", "NodeRegistry", "NodeStatus", "NoHealthyNode",
    "OriginateRequest", "OutboundServer", "PendingExecute", "PendingJob", "Reply", "call_sid_of_originate",
]
