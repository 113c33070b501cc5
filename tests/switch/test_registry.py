"""NodeRegistry on the real Redis fixture; NodeCommands against the loopback peer."""
import time

import gevent
import pytest
import redis

from cpaas.config import FreeSwitchNode, load_settings
from cpaas.switch import (EslConnection, EslDisconnected, NodeCommands, NodeHealth, NodeRegistry, NoHealthyNode,
                          OriginateRequest)
from tests.support.traces import load_trace
from tests.switch.peer import Close, Expect, Send, TraceServer, script_from_trace

NODES = [FreeSwitchNode("fs1", "127.0.0.1", 8021, "ClueCon"), FreeSwitchNode("fs2", "127.0.0.1", 8022, "ClueCon")]


@pytest.fixture
def registry(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield NodeRegistry(client, NODES)
    client.close()


def _health(node, sessions, connected=True, max_sessions=1000):
    return NodeHealth(node, connected, session_count=sessions, max_sessions=max_sessions, heartbeat_at=time.time())


def test_pick_takes_the_least_loaded_healthy_node_and_counts_it_at_once(registry):
    registry.report(_health("fs1", 10))
    registry.report(_health("fs2", 12))
    picks = [registry.pick().name for _ in range(5)]
    # fs1 (10) twice -> 12, then the two stay within one of each other as each pick adds one
    assert picks[:2] == ["fs1", "fs1"]
    counts = sorted(s.sessions for s in registry.statuses())
    assert counts == [13, 14]
    registry.report(_health("fs1", 3))  # FreeSWITCH's own count replaces the estimate
    assert registry.status("fs1").sessions == 3


def test_unhealthy_and_silent_nodes_are_not_picked(redis_url):
    registry = NodeRegistry(redis.Redis.from_url(redis_url), NODES, node_ttl=0.5)  # silent after 0.5 s
    registry.report(_health("fs1", 0, connected=False))
    registry.report(_health("fs2", 500))
    assert registry.pick().name == "fs2"
    time.sleep(0.6)  # both expire: their listeners stopped writing
    assert registry.statuses() == []
    with pytest.raises(NoHealthyNode):
        registry.pick()
    # an expired node is not resurrected by a pick's increment
    assert registry.redis.exists("cpaas:switch:node:fs2") == 0
    registry.redis.close()


def test_load_is_relative_to_capacity(registry):
    registry.report(_health("fs1", 50, max_sessions=100))
    registry.report(_health("fs2", 300, max_sessions=1000))
    assert registry.pick().name == "fs2"


def test_calls_are_bound_to_their_node(registry):
    registry.bind_call("CA1", NODES[1])
    assert registry.node_of("CA1") == NODES[1]
    assert registry.redis.ttl("cpaas:switch:call:CA1") > 0
    registry.unbind_call("CA1")
    assert registry.node_of("CA1") is None
    assert registry.node_of("CAunknown") is None


def test_from_settings_uses_the_sandbox_when_no_node_is_configured(redis_url):
    settings = load_settings({"SANDBOX_ESL_PORT": "9021"}, dotenv=None)
    reg = NodeRegistry.from_settings(settings, redis.Redis.from_url(redis_url))
    assert list(reg.nodes) == ["sandbox"] and reg.nodes["sandbox"].port == 9021


def test_listener_heartbeats_reach_the_registry(registry):
    heartbeat = next(f for f in load_trace("05-record") if b"Event-Name: HEARTBEAT" in f.raw)
    server = TraceServer(script_from_trace("01-auth-api-bgapi", 0, 3) + [
        Expect("event plain HEARTBEAT"), Send(b"Content-Type: command/reply\nReply-Text: +OK\n\n"),
        Send(heartbeat.raw), Expect("exit"), Send(b"Content-Type: command/reply\nReply-Text: +OK bye\n\n"),
        Close()]).start()
    try:
        conn = EslConnection("127.0.0.1", server.port, "ClueCon", name="fs1")
        registry.watch(conn)
        conn.connect()
        deadline = time.monotonic() + 2
        while (registry.status("fs1") is None or registry.status("fs1").heartbeat_at == 0) \
                and time.monotonic() < deadline:
            gevent.sleep(0.01)
        status = registry.status("fs1")
        assert status.healthy and status.sessions == 2 and status.max_sessions == 1000
        conn.stop()
        assert registry.status("fs1").healthy is False  # the disconnect is written at once
    finally:
        server.stop()


def _reply(text):
    return Send(f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode())


def test_node_commands_reuse_one_connection_and_never_resend_a_written_originate():
    auth = script_from_trace("01-auth-api-bgapi", 0, 3)
    api_ok = Send(b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n")
    server = TraceServer(
        auth + [Expect("bgapi originate {cpaas_call_sid=CA1}user/1000 '&socket(127.0.0.1:8084 async full)'"),
                _reply("+OK Job-UUID: x"),
                Expect("api uuid_kill 1234 NORMAL_CLEARING"), api_ok,
                Expect("api uuid_break 1234 all"), api_ok,
                Expect("sendevent CUSTOM"), _reply("+OK 5e1f"), Close()],
        auth + [Expect("bgapi originate"), Close()],  # written, then the node dies: not resent
    ).start()
    node = FreeSwitchNode("fs1", "127.0.0.1", server.port, "ClueCon")
    commands = NodeCommands([node], command_timeout=2)
    try:
        request = OriginateRequest(["user/1000"], {"cpaas_call_sid": "CA1"}, socket="127.0.0.1:8084")
        job_uuid = commands.originate("fs1", request)
        assert commands.kill("fs1", "1234") is True
        assert commands.break_("fs1", "1234") is True
        assert commands.send_control("fs1", {"cpaas-call-sid": "CA1", "cpaas-action": "redirect"}) == "5e1f"
        assert server.accepted == 1
        sent = [c for c in server.received if not c.line.startswith("auth")]
        assert sent[0].headers["job-uuid"] == job_uuid
        assert sent[3].headers == {"event-subclass": "cpaas::control", "cpaas-call-sid": "CA1",
                                   "cpaas-action": "redirect"}
        server.wait_done(1)
        # the pooled connection died in between: reconnect, send, and the node dies mid-command
        with pytest.raises(EslDisconnected) as lost:
            commands.originate("fs1", request)
        assert lost.value.sent is True
        assert server.accepted == 2
        assert server.errors == []
    finally:
        commands.close()
        server.stop()
