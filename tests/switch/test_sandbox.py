"""The ESL layer against the sandbox switch (a FreeSWITCH stand-in in its own process), over real TCP."""
import time
import uuid

import gevent
import pytest
import redis
from gevent.event import AsyncResult

from cpaas.config import FreeSwitchNode
from cpaas.switch import (CONTROL_SUBCLASS, ChannelHangup, EslConnection, JobResult, NodeCommands, NodeRegistry,
                          OriginateRequest, OutboundServer, call_sid_of_originate, node_listener)
from tests.support.sandbox import start_sandbox

SPEED = 20  # the sandbox's clock runs 20x: a 1 s tone takes 50 ms


class Calls:
    """The outbound server's handler runs whatever flow the current test installed."""

    def __init__(self):
        self.flow = None
        self.outcome = AsyncResult()

    def handle(self, session):
        flow, outcome = self.flow, self.outcome
        try:
            outcome.set(flow(session))
        except BaseException as exc:
            outcome.set(exc)
            raise

    def expect(self, flow):
        self.flow = flow
        self.outcome = AsyncResult()
        return self.outcome


@pytest.fixture(scope="module")
def rig():
    calls = Calls()
    server = OutboundServer(calls.handle, "127.0.0.1", 0, command_timeout=3).start()
    sandbox = start_sandbox(controller=f"127.0.0.1:{server.port}", speed=SPEED)
    conn = EslConnection("127.0.0.1", sandbox.port, sandbox.password, name="sandbox", command_timeout=3)
    conn.connect()
    conn.subscribe("BACKGROUND_JOB", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE")
    yield calls, server, sandbox, conn
    conn.stop()
    server.stop(timeout=1)
    sandbox.stop()


def _originate(conn, endpoint, **variables):
    a_uuid = str(uuid.uuid4())
    request = OriginateRequest([endpoint], {"origination_uuid": a_uuid, "cpaas_call_sid": "CAtest", **variables})
    result = conn.bgapi(request.command(), timeout=5)
    assert result.ok, result
    assert result.value == a_uuid
    return a_uuid


def test_originate_loopback_into_park_then_execute_playback_and_kill(rig):
    _calls, _server, _sandbox, conn = rig
    a_uuid = _originate(conn, "loopback/park/default", origination_caller_id_name="Front Desk, Ltd.")
    assert conn.api(f"uuid_getvar {a_uuid} cpaas_call_sid") == "CAtest"
    played = conn.execute(a_uuid, "playback", "tone_stream://%(1000,0,440);loops=1", timeout=5)
    assert played.response == "FILE PLAYED"
    hung = AsyncResult()
    conn.on("CHANNEL_HANGUP_COMPLETE", lambda e: e.uuid == a_uuid and hung.set(e))
    with pytest.raises(ChannelHangup) as killed:
        gevent.spawn_later(0.1, conn.api, f"uuid_kill {a_uuid} USER_BUSY")
        conn.execute(a_uuid, "playback", "tone_stream://%(1000,0,440);loops=-1", timeout=5)
    assert killed.value.cause == "USER_BUSY"
    assert hung.get(timeout=5)["Hangup-Cause"] == "USER_BUSY"


def test_failed_originate_reports_its_cause(rig):
    _calls, _server, _sandbox, conn = rig
    result = conn.bgapi("originate error/user_busy &park()", timeout=5)
    assert not result.ok and result.cause == "USER_BUSY"


def test_outbound_session_drives_a_call_to_hangup(rig):
    calls, server, _sandbox, conn = rig
    seen = {}

    def flow(session):
        seen["in_registry"] = server.sessions.get(session.uuid) is session
        seen["destination"] = session.data["Caller-Destination-Number"]
        seen["answer"] = session.execute("answer").response
        started = time.monotonic()
        seen["play"] = session.execute("playback", "tone_stream://%(1000,0,440);loops=1").response
        seen["play_seconds"] = time.monotonic() - started
        session.set("cpaas_note", "hello world")
        seen["note"] = session.getvar("cpaas_note")
        seen["unset"] = session.getvar("cpaas_never_set")
        seen["status"] = session.api("status")
        return session.hangup("NORMAL_CLEARING")

    outcome = calls.expect(flow)
    _originate(conn, "loopback/esl-out/default")
    info = outcome.get(timeout=10)
    assert not isinstance(info, BaseException), info
    assert seen["in_registry"] and seen["destination"] == "esl-out"
    assert seen["answer"] == "_none_" and seen["play"] == "FILE PLAYED"
    assert seen["play_seconds"] < 1  # 1 s of tone at 20x
    assert seen["note"] == "hello world" and seen["unset"] is None
    assert seen["status"].startswith("UP ")
    assert info.cause == "NORMAL_CLEARING"
    assert info.variables["cpaas_note"] == "hello world"


def test_caller_hangup_raises_into_the_running_execute(rig):
    calls, _server, _sandbox, conn = rig
    a_uuid = {}

    def flow(session):
        session.execute("answer")
        gevent.spawn_later(0.1, conn.api, f"uuid_kill {a_uuid['a']}")
        try:
            session.execute("playback", "tone_stream://%(1000,0,440);loops=-1", timeout=5)
        except ChannelHangup as exc:
            return exc
        return None

    outcome = calls.expect(flow)
    a_uuid["a"] = _originate(conn, "loopback/esl-out/default")
    exc = outcome.get(timeout=10)
    assert isinstance(exc, ChannelHangup)
    assert exc.cause == "NORMAL_CLEARING"  # a cause on one loopback leg does not reach the other
    assert exc.variables["hangup_cause"] == "NORMAL_CLEARING"


def test_interrupt_breaks_an_endless_playback(rig):
    calls, _server, _sandbox, conn = rig

    def flow(session):
        session.execute("answer")
        gevent.spawn_later(0.1, session.interrupt)
        result = session.execute("playback", "tone_stream://%(1000,0,440);loops=-1", timeout=5)
        session.hangup()
        return result

    outcome = calls.expect(flow)
    _originate(conn, "loopback/esl-out/default")
    result = outcome.get(timeout=10)
    assert not isinstance(result, BaseException), result
    assert result.interrupted is True


def test_event_filter_keeps_only_the_events_a_flow_needs(rig):
    calls, server, _sandbox, conn = rig
    names = []

    def flow(session):
        session.on("*", lambda event: names.append(event.name))
        session.execute("answer")
        played = session.execute("playback", "tone_stream://%(1000,0,440);loops=1")
        info = session.hangup()
        gevent.sleep(0.05)  # let the dispatcher hand over the last events
        return played.response, info.cause

    server.only_events = ("DTMF",)
    try:
        outcome = calls.expect(flow)
        _originate(conn, "loopback/esl-out/default")
        assert outcome.get(timeout=10) == ("FILE PLAYED", "NORMAL_CLEARING")
    finally:
        server.only_events = None
    assert names and set(names) <= {"CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"}
    assert "CHANNEL_EXECUTE" not in names and "CHANNEL_STATE" not in names


def test_node_listener_sees_call_status_control_events_and_failed_originates(rig, redis_url):
    _calls, _server, sandbox, _conn = rig
    node = FreeSwitchNode("sandbox", "127.0.0.1", sandbox.port, sandbox.password)
    registry = NodeRegistry(redis.Redis.from_url(redis_url), [node])
    listener = node_listener(node, registry)
    seen: dict[str, AsyncResult] = {name: AsyncResult() for name in
                                    ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "failed", "control")}
    a_uuid = str(uuid.uuid4())
    for name in ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"):
        listener.on(name, lambda e, name=name: e.uuid == a_uuid and seen[name].set(e))
    listener.on("BACKGROUND_JOB", lambda e: e.body.startswith("-ERR") and seen["failed"].set(e))
    listener.on(CONTROL_SUBCLASS, seen["control"].set)
    listener.start()
    commands = NodeCommands([node])
    try:
        assert listener.wait_connected(5)
        deadline = time.monotonic() + 5  # HEARTBEAT every 20 s of sandbox time = 1 s here
        while listener.health.heartbeat_at == 0 and time.monotonic() < deadline:
            gevent.sleep(0.05)
        status = registry.status("sandbox")
        assert status.healthy and status.max_sessions and status.heartbeat_at > 0
        picked = registry.pick()
        assert picked == node

        commands.originate(picked, OriginateRequest(["loopback/park/default"],
                                                    {"origination_uuid": a_uuid, "cpaas_call_sid": "CAlive"}))
        assert seen["CHANNEL_CREATE"].get(timeout=5).variable("cpaas_call_sid") == "CAlive"
        seen["CHANNEL_ANSWER"].get(timeout=5)
        commands.send_control(node, {"cpaas-call-sid": "CAlive", "cpaas-action": "redirect",
                                     "cpaas-url": "http://127.0.0.1:9/next?a=1&b=2"})
        control = seen["control"].get(timeout=5)
        assert control["cpaas-url"] == "http://127.0.0.1:9/next?a=1&b=2"
        assert commands.kill(node, a_uuid, "CALL_REJECTED") is True
        assert seen["CHANNEL_HANGUP_COMPLETE"].get(timeout=5)["Hangup-Cause"] == "CALL_REJECTED"

        commands.originate(node, OriginateRequest(["error/user_busy"], {"cpaas_call_sid": "CAbusy"}))
        failed = seen["failed"].get(timeout=5)
        assert call_sid_of_originate(failed["Job-Command-Arg"]) == "CAbusy"
        assert JobResult.from_event(failed).cause == "USER_BUSY"
    finally:
        commands.close()
        listener.stop()


def test_originate_straight_into_the_controller_socket(rig):
    calls, server, _sandbox, conn = rig
    outcome = calls.expect(lambda session: session.hangup().cause)
    request = OriginateRequest.for_call(["loopback/park/default"], call_sid="CAsock",
                                        controller=f"127.0.0.1:{server.port}")
    result = conn.bgapi(request.command(), timeout=5)
    assert result.ok, result
    assert outcome.get(timeout=5) == "NORMAL_CLEARING"


def test_plain_global_variable_values_arrive_exactly(rig):
    _calls, _server, _sandbox, conn = rig
    values = {"cpaas_path": "C:\\dir", "cpaas_eq": "a=b", "cpaas_tab": "x\ty", "cpaas_quote": 'say"hi"'}
    a_uuid = _originate(conn, "loopback/park/default", **values)
    try:
        for name, value in values.items():
            assert conn.api(f"uuid_getvar {a_uuid} {name}") == value
    finally:
        conn.api(f"uuid_kill {a_uuid}")


# ---- where the sandbox does not (yet) behave like FreeSWITCH 1.10 --------------------------
def test_escaped_global_variable_values_arrive_exactly(rig):
    _calls, _server, _sandbox, conn = rig
    values = {"cpaas_name": "O'Brien, Jones", "cpaas_spaced": "John Doe", "cpaas_list": "a,b"}
    a_uuid = _originate(conn, "loopback/park/default", **values)
    try:
        for name, value in values.items():
            assert conn.api(f"uuid_getvar {a_uuid} {name}") == value
    finally:
        conn.api(f"uuid_kill {a_uuid}")


def test_bgapi_over_the_call_socket(rig):
    calls, _server, _sandbox, conn = rig

    def flow(session):
        try:
            session.execute("answer")  # unanswered, the originate itself fails NORMAL_CLEARING (trace 08d)
            return session.bgapi("eval ok", timeout=2).ok
        finally:
            session.hangup()

    outcome = calls.expect(flow)
    _originate(conn, "loopback/esl-out/default")
    assert outcome.get(timeout=10) is True


def test_a_finished_call_socket_leaves_no_cyclic_garbage(rig):
    """The controller runs full collections rarely (cpaas/config/gc_policy.py): what a call leaves in
    reference cycles would stay in memory until the next one."""
    import gc

    calls, server, _sandbox, conn = rig
    gc.collect()  # what earlier tests left

    def flow(session):
        session.execute("answer")
        session.execute("playback", "tone_stream://%(100,0,440)")
        return session.hangup().cause

    outcome = calls.expect(flow)
    _originate(conn, "loopback/esl-out/default")
    assert outcome.get(timeout=10) == "NORMAL_CLEARING"
    deadline = time.monotonic() + 5
    while server.sessions and time.monotonic() < deadline:
        gevent.sleep(0.05)
    gevent.sleep(0.1)  # the socket's reader greenlet finishes after the handler
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        leaked = [type(o).__name__ for o in gc.garbage if type(o).__module__.startswith("cpaas.")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert leaked == []
