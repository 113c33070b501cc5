"""EslConnection against a loopback peer that plays FreeSWITCH's real frames."""
import time

import gevent
import pytest
from gevent.event import Event as GEvent

from cpaas.switch import EslAuthError, EslCommandError, EslConnection, EslDisconnected, EslTimeout
from tests.support.traces import event_name, load_trace
from tests.switch.peer import Close, Expect, Gate, Pause, Send, TraceServer, script_from_frames, script_from_trace

AUTH = script_from_trace("01-auth-api-bgapi", 0, 3)  # auth/request, auth, +OK accepted


def _frame(trace, predicate):
    return next(f for f in load_trace(trace) if predicate(f))


def _reply(text):
    return Send(f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode())


def _api(body):
    data = body.encode()
    return Send(b"Content-Type: api/response\nContent-Length: %d\n\n%s" % (len(data), data))


HEARTBEAT = _frame("05-record", lambda f: event_name(f) == "HEARTBEAT")
CUSTOM = _frame("11-misc-filter-nixevent-log-exit", lambda f: event_name(f) == "CUSTOM")


def _adopt_server_job_ids(frames):
    """bgapi frames captured without a client Job-UUID: let the peer treat the id FreeSWITCH chose
    as the one our client sends (FreeSWITCH honours a client-supplied Job-UUID, trace fact 4)."""
    steps = script_from_frames(frames)
    for i, frame in enumerate(frames):
        if frame.direction == "sent" and frame.raw.startswith(b"bgapi") and not steps[i].trace_ids:
            steps[i].trace_ids = {"job-uuid": frames[i + 1].header("Job-UUID")}
    return steps


@pytest.fixture
def serve():
    servers = []

    def start(*scripts):
        server = TraceServer(*scripts).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _client(server, **options):
    return EslConnection("127.0.0.1", server.port, "ClueCon", **options)


def test_auth_api_and_bgapi_with_client_job_uuid(serve):
    frames = load_trace("01-auth-api-bgapi")
    first_bgapi = next(i for i, f in enumerate(frames) if f.raw == b"bgapi status\n\n")
    # Skip the first `bgapi status` (captured with a server-made id; its twin below has a client id).
    server = serve(_adopt_server_job_ids(frames[:first_bgapi] + frames[first_bgapi + 3:]))
    conn = _client(server)
    conn.connect()
    assert conn.api("status").startswith("UP 0 years")
    assert conn.api("show channels as json") == '{"row_count": 0}\n'
    assert conn.api("show channels") == "\n0 total.\n"
    with pytest.raises(EslCommandError, match="Command not found"):
        conn.api("no_such_command_xyz", check=True)
    assert conn.api("uuid_kill").startswith("-USAGE")
    assert conn.api("uuid_kill 00000000-0000-0000-0000-000000000000") == "-ERR No such channel!\n"
    assert conn.api("eval ${hostname}") == "vm"
    assert conn.send("bogus_esl_command").text == "-ERR command not found"
    conn.subscribe("BACKGROUND_JOB")

    status = conn.bgapi("status")
    assert status.ok and status.value.startswith("UP 0 years")
    unknown = conn.bgapi("no_such_command_xyz")
    assert not unknown.ok and unknown.error == "no_such_command_xyz Command not found!" and unknown.cause is None
    busy = conn.bgapi("originate error/user_busy &park")
    assert not busy.ok and busy.cause == "USER_BUSY" and busy.command == "originate"

    sent = [c for c in server.received if c.line.startswith("bgapi")]
    assert [c.headers["job-uuid"] for c in sent] == [status.job_uuid, unknown.job_uuid, busy.job_uuid]
    assert len({status.job_uuid, unknown.job_uuid, busy.job_uuid}) == 3
    conn.stop()
    server.wait_done()
    assert server.errors == []
    assert server.received[-1].line == "exit"


def test_background_job_arriving_before_the_bgapi_reply_is_not_lost(serve):
    frames = load_trace("01-auth-api-bgapi")
    at = next(i for i, f in enumerate(frames) if f.raw.startswith(b"bgapi originate"))
    expect, reply, job = script_from_frames(frames[at:at + 3])
    expect.trace_ids = {"job-uuid": frames[at + 1].header("Job-UUID")}
    server = serve(AUTH + [Expect("event plain BACKGROUND_JOB"), _reply("+OK event listener enabled plain"),
                           expect, job, reply])  # the event first, then the reply
    conn = _client(server)
    conn.connect()
    result = conn.bgapi("originate error/user_busy &park", timeout=2)
    assert result.cause == "USER_BUSY"
    conn.close()


def test_wrong_password_and_acl_rejection_raise_auth_errors(serve):
    server = serve(script_from_trace("01b-auth-wrong-password"), script_from_trace("01d-acl-rude-rejection"))
    with pytest.raises(EslAuthError, match="-ERR invalid"):
        EslConnection("127.0.0.1", server.port, "WrongPassword").connect()
    started = time.monotonic()
    with pytest.raises(EslAuthError, match="rejected"):
        _client(server, connect_timeout=3).connect()
    assert time.monotonic() - started < 1  # woken by the rejection, not by the time-out


def test_command_timeout_keeps_later_replies_matched_to_their_commands(serve):
    gate = GEvent()
    server = serve(AUTH + [Expect("api status"), Expect("api eval"), Gate(gate),
                           _api("status output"), _api("eval output"), Expect("exit"), _reply("+OK bye"), Close()])
    conn = _client(server)
    conn.connect()
    started = time.monotonic()
    with pytest.raises(EslTimeout):
        conn.api("status", timeout=0.2)
    assert 0.15 < time.monotonic() - started < 1
    later = gevent.spawn(conn.api, "eval ${hostname}")
    gevent.sleep(0.05)
    gate.set()
    assert later.get(timeout=2) == "eval output"  # not the late "status output"
    conn.stop()


def test_connection_drop_fails_every_waiter_at_once(serve):
    server = serve(AUTH + [Expect("event plain"), _reply("+OK event listener enabled plain"),
                           Expect("bgapi"), _reply("+OK Job-UUID: x"), Expect("api"), Expect("api"),
                           Pause(0.1), Close()])
    conn = _client(server, command_timeout=10)
    conn.connect()
    conn.subscribe("BACKGROUND_JOB")
    job = gevent.spawn(conn.bgapi, "originate loopback/x &park", 10)
    gevent.sleep(0.02)  # the job is accepted and now waits for its BACKGROUND_JOB
    waiters = [job, gevent.spawn(conn.api, "status"), gevent.spawn(conn.api, "eval x")]
    started = time.monotonic()
    gevent.joinall(waiters, timeout=5)
    assert time.monotonic() - started < 1
    for waiter in waiters:
        assert isinstance(waiter.exception, EslDisconnected)
    with pytest.raises(EslDisconnected) as refused:
        conn.api("status")
    assert refused.value.sent is False  # refused before writing: safe to retry elsewhere


def test_reconnect_with_backoff_resubscribes_events_and_filters(serve):
    subscribe = [Expect("event plain CHANNEL_ANSWER HEARTBEAT CUSTOM cpaas::control"),
                 _reply("+OK event listener enabled plain"),
                 Expect("filter Event-Name CHANNEL_ANSWER"), _reply("+OK filter added.")]
    server = serve(
        AUTH + subscribe + [Pause(0.05), Close()],
        [],  # the node is down: connection accepted and closed at once
        AUTH + subscribe + [Send(HEARTBEAT.raw), Send(CUSTOM.raw.replace(b"lab%3A%3Atest", b"cpaas%3A%3Acontrol")),
                            Expect("exit"), _reply("+OK bye"), Close()],
    )
    conn = _client(server, backoff_initial=0.02, backoff_max=0.1)
    conn.subscribe("CHANNEL_ANSWER", "CUSTOM cpaas::control")  # recorded while down, sent on connect
    conn.add_filter("Event-Name", "CHANNEL_ANSWER")
    healths, customs, heartbeats = [], GEvent(), []
    conn.on_health(healths.append)  # subscribes HEARTBEAT, before CUSTOM's subclasses on the wire
    conn.on("cpaas::control", lambda event: customs.set())
    conn.on("HEARTBEAT", heartbeats.append)
    conn.start()
    assert customs.wait(5)
    assert conn.connects == 2 and server.accepted == 3
    assert [h.connected for h in healths][:2] == [True, False]
    assert healths[-1].connected and healths[-1].session_count == 2 and healths[-1].max_sessions == 1000
    assert heartbeats[0]["Session-Count"] == "2"
    conn.stop()
    server.wait_done()
    assert server.errors == []


def test_subscribe_is_recorded_for_reconnects_and_sent_once(serve):
    server = serve(AUTH + [Expect("event plain CHANNEL_HANGUP_COMPLETE"), _reply("+OK event listener enabled plain"),
                           Expect("event plain BACKGROUND_JOB"), _reply("+OK event listener enabled plain"),
                           Expect("event plain CHANNEL_ANSWER CUSTOM conference::maintenance"),
                           _reply("+OK event listener enabled plain"),
                           Expect("exit"), _reply("+OK bye"), Close()])
    conn = _client(server)
    conn.connect()
    conn.subscribe("CHANNEL_HANGUP_COMPLETE")
    conn.subscribe("CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB")
    assert conn.subscriptions == (["CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"], [])
    conn.subscribe("conference::maintenance", "CHANNEL_ANSWER")
    assert conn.subscriptions[0] == ["CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB", "CHANNEL_ANSWER",
                                     "CUSTOM", "conference::maintenance"]
    conn.stop()
    server.wait_done()
    assert server.errors == []


def test_silent_connection_is_probed_dropped_and_replaced(serve):
    server = serve(AUTH + [Expect("api status"), Pause(5)],  # swallows the probe
                   AUTH + [Expect("exit"), _reply("+OK bye"), Close()])
    conn = _client(server, silence_timeout=0.2, command_timeout=0.2, backoff_initial=0.01)
    conn.start()
    assert conn.wait_connected(2)
    deadline = time.monotonic() + 3
    while conn.connects < 2 and time.monotonic() < deadline:
        gevent.sleep(0.02)
    assert conn.connects >= 2  # a stalled test may see the new connection probed and replaced too
    assert server.players[0].received[-1].line == "api status"
    conn.stop()
