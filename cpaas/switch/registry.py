"""NodeRegistry: which FreeSWITCH nodes are up, how loaded, and which node holds each call.

Redis layout (all under `cpaas:switch:`):
- `node:<name>` hash {healthy, sessions, max_sessions, idle_cpu, heartbeat_at, updated_at},
  written by the controller's listener for that node on every HEARTBEAT, connect and
  disconnect, with a TTL of `node_ttl` seconds: a node whose listener (or whole machine)
  died simply expires and stops being picked.
- `call:<CallSid>` -> node name, with a TTL (`call_ttl`) so a call whose completion was
  never recorded cannot pin a key forever.

`pick()` takes the healthy node with the lowest sessions/max_sessions and adds one to its
session count at once (atomically, in Redis), so a burst of originates between two
heartbeats spreads over the nodes instead of piling onto the one that looked emptiest;
the next HEARTBEAT overwrites the estimate with FreeSWITCH's own count.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from time import time
from typing import Iterable

from cpaas.config import FreeSwitchNode, Settings
from cpaas.switch.errors import EslError
from cpaas.switch.inbound import EslConnection, NodeHealth

PREFIX = "cpaas:switch:"

# Increment only a node that still exists: HINCRBY on an expired key would resurrect it
# without a TTL, as healthy-looking forever.
_BUMP = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HINCRBY', KEYS[1], 'sessions', 1)
end
return nil
"""


class NoHealthyNode(EslError):
    """No configured FreeSWITCH node has reported healthy within the node TTL."""


@dataclass(frozen=True)
class NodeStatus:
    name: str
    healthy: bool
    sessions: int
    max_sessions: int | None
    idle_cpu: float | None
    heartbeat_at: float
    updated_at: float

    @property
    def load(self) -> float:
        return self.sessions / self.max_sessions if self.max_sessions else float(self.sessions)


class NodeRegistry:
    def __init__(self, redis_client, nodes: Iterable[FreeSwitchNode], *, node_ttl: float = 60.0,
                 call_ttl: int = 12 * 3600):
        self.redis = redis_client
        self.nodes: dict[str, FreeSwitchNode] = {node.name: node for node in nodes}
        self.node_ttl = node_ttl
        self.call_ttl = call_ttl
        self._bump = redis_client.register_script(_BUMP)

    @classmethod
    def from_settings(cls, settings: Settings, redis_client, **options) -> "NodeRegistry":
        return cls(redis_client, settings.esl_nodes, **options)

    def node(self, name: str) -> FreeSwitchNode:
        try:
            return self.nodes[name]
        except KeyError:
            raise NoHealthyNode(f"unknown FreeSWITCH node {name!r}") from None

    # ---- health, written by each node's listener ----------------------------------------

    def report(self, health: NodeHealth) -> None:
        fields = {"healthy": int(health.healthy), "updated_at": time()}
        if health.session_count is not None:
            fields["sessions"] = health.session_count
        if health.max_sessions is not None:
            fields["max_sessions"] = health.max_sessions
        if health.idle_cpu is not None:
            fields["idle_cpu"] = health.idle_cpu
        if health.heartbeat_at:
            fields["heartbeat_at"] = health.heartbeat_at
        key = PREFIX + "node:" + health.node
        pipe = self.redis.pipeline()
        pipe.hset(key, mapping=fields)
        pipe.pexpire(key, int(self.node_ttl * 1000))
        pipe.execute()

    def watch(self, connection: EslConnection) -> None:
        """Write this listener's health here on every HEARTBEAT, connect and disconnect."""
        connection.on_health(self.report)

    def status(self, name: str) -> NodeStatus | None:
        return self._status(name, self.redis.hgetall(PREFIX + "node:" + name))

    def statuses(self) -> list[NodeStatus]:
        pipe = self.redis.pipeline()
        names = list(self.nodes)
        for name in names:
            pipe.hgetall(PREFIX + "node:" + name)
        found = (self._status(name, raw) for name, raw in zip(names, pipe.execute()))
        return [s for s in found if s is not None]

    @staticmethod
    def _status(name: str, raw: dict) -> NodeStatus | None:
        if not raw:
            return None
        value = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                 for k, v in raw.items()}
        return NodeStatus(
            name=name,
            healthy=value.get("healthy") == "1",
            sessions=int(value.get("sessions", 0)),
            max_sessions=int(value["max_sessions"]) if "max_sessions" in value else None,
            idle_cpu=float(value["idle_cpu"]) if "idle_cpu" in value else None,
            heartbeat_at=float(value.get("heartbeat_at", 0)),
            updated_at=float(value.get("updated_at", 0)),
        )

    # ---- choosing a node ----------------------------------------------------------------

    def pick(self) -> FreeSwitchNode:
        """The least-loaded healthy node, counted as one session busier from now on."""
        healthy = [s for s in self.statuses() if s.healthy]
        if not healthy:
            raise NoHealthyNode(f"no healthy FreeSWITCH node among {', '.join(self.nodes) or 'none'}")
        lowest = min(s.load for s in healthy)
        chosen = random.choice([s for s in healthy if s.load == lowest])
        self._bump(keys=[PREFIX + "node:" + chosen.name])
        return self.nodes[chosen.name]

    # ---- where each call lives ------------------------------------------------------------

    def bind_call(self, call_sid: str, node: FreeSwitchNode | str) -> None:
        name = node if isinstance(node, str) else node.name
        self.redis.set(PREFIX + "call:" + call_sid, name, ex=self.call_ttl)

    def node_of(self, call_sid: str) -> FreeSwitchNode | None:
        name = self.redis.get(PREFIX + "call:" + call_sid)
        if name is None:
            return None
        return self.nodes.get(name.decode() if isinstance(name, bytes) else name)

    def unbind_call(self, call_sid: str) -> None:
        self.redis.delete(PREFIX + "call:" + call_sid)
