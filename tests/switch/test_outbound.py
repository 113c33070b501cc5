"""OutboundServer / ChannelSession against a peer that plays FreeSWITCH's `socket` side from the traces."""
import re

import gevent
import pytest
from gevent.event import AsyncResult

from cpaas.switch import ChannelHangup, OutboundServer
from tests.support.traces import load_trace
from tests.switch.peer import Close, Expect, Send, TraceClient, script_from_frames

LINGER = load_trace("08-outbound-socket-linger")
NOLINGER = load_trace("08b-outbound-socket-nolinger-remote-hangup")
LINGER_2S = load_trace("08e-outbound-socket-linger-timeout")


def _rewrite_event(raw: bytes, **changes: str) -> bytes:
    """An event frame with some headers replaced (`Application_UUID=...`), lengths recomputed."""
    _, _, body = raw.partition(b"\n\n")
    for name, value in changes.items():
        header = name.replace("_", "-").encode()
        body, count = re.subn(rb"^" + re.escape(header) + rb": [^\n]*$", header + b": " + value.encode(), body,
                              flags=re.M)
        assert count, name
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body


@pytest.fixture
def server():
    calls = []

    def start(handler, **options):
        srv = OutboundServer(handler, "127.0.0.1", 0, command_timeout=2, **options).start()
        calls.append(srv)
        return srv

    yield start
    for srv in calls:
        srv.stop(timeout=1)


def _run(server_factory, script, flow, **options):
    """Serve one call with `flow(session)`; returns (flow result or exception, peer)."""
    outcome = AsyncResult()

    def handler(session):
        try:
            outcome.set(flow(session))
        except BaseException as exc:
            outcome.set(exc)
            raise

    srv = server_factory(handler, **options)
    peer = TraceClient(srv.port, script)
    result = outcome.get(timeout=5)
    assert peer.wait_done(5)
    return result, peer


def test_session_flow_over_the_real_linger_transcript(server):
    # Our session asks uuid_getvar through api (full mode) instead of the ESL `getvar` command,
    # so frames 15-18 (getvar x2) and 21-22 (a repeated myevents) are left out.
    frames = LINGER[:15] + LINGER[19:21] + LINGER[23:]
    seen = {}

    def flow(session):
        seen["data"] = dict(session.data)
        seen["answer"] = session.execute("answer")
        seen["play"] = session.execute("playback", "tone_stream://%(500,0,440);loops=1")
        seen["leg"] = session.getvar("loopback_leg")
        return session.hangup()

    info, peer = _run(server, script_from_frames(frames), flow)
    assert peer.errors == []
    assert seen["data"]["Unique-ID"] == "77f107d8-15e4-41bd-b182-2b261477c449"
    assert seen["data"]["Reply-Text"] == "+OK\n" and seen["data"]["Control"] == "full"
    assert seen["answer"].response == "_none_"
    assert seen["play"].response == "FILE PLAYED"
    assert seen["play"].variable("playback_samples") == "4000"
    assert seen["leg"] == "B"
    assert info.cause == "NORMAL_CLEARING" and info.variables["billsec"] is not None
    sendmsgs = [c for c in peer.received if c.line == "sendmsg"]
    assert [c.headers.get("execute-app-name") for c in sendmsgs] == ["answer", "playback", None]
    assert all(c.headers["event-lock"] == "true" for c in sendmsgs[:2])
    assert sendmsgs[2].headers == {"call-command": "hangup", "hangup-cause": "NORMAL_CLEARING"}
    assert peer.received[-1].line == "exit"


def test_completion_is_matched_on_application_uuid_not_on_the_name(server):
    play_done = LINGER[14]
    # Before the real completion: another playback's completion (other Application-UUID,
    # FILE NOT FOUND), and the answer's completion again.
    foreign = _rewrite_event(play_done.raw, Application_UUID="11111111-2222-3333-4444-555555555555",
                             Application_Response="FILE%20NOT%20FOUND")
    steps = script_from_frames(LINGER[:14])
    steps += [Send(foreign), Send(LINGER[10].raw), Send(play_done.raw), Expect("exit"),
              Send(LINGER[35].raw), Close()]

    def flow(session):
        session.execute("answer")
        return session.execute("playback", "tone_stream://%(500,0,440);loops=1")

    result, peer = _run(server, steps, flow)
    assert peer.errors == []
    assert result.response == "FILE PLAYED"
    assert result.application_uuid == peer.received[4].headers["event-uuid"]


def test_remote_hangup_raises_into_the_waiting_execute_with_hangup_variables(server):
    # 08b: the A leg is killed while our flow waits on an application.
    steps = script_from_frames(NOLINGER[:9]) + [Expect("sendmsg"), Send(NOLINGER[5].raw)]
    steps += script_from_frames(NOLINGER[9:])

    def flow(session):
        session.execute("answer")
        with pytest.raises(ChannelHangup) as hung:
            session.execute("playback", "/tmp/long.wav")
        # any later command on the session raises the same way
        with pytest.raises(ChannelHangup):
            session.execute("playback", "/tmp/other.wav")
        return hung.value

    exc, peer = _run(server, steps, flow, linger=False)
    assert peer.errors == []
    assert exc.cause == "NORMAL_CLEARING"
    assert exc.uuid == "216a1eb5-7c77-4e02-bc92-b7614699d7bc"
    assert exc.variables["hangup_cause"] == "NORMAL_CLEARING"
    assert "billsec" in exc.variables


def test_linger_notice_is_not_an_end_events_keep_coming_until_hangup_complete(server):
    # 08e, with the linger disconnect-notice moved before CHANNEL_HANGUP: the waiting execute
    # must not fail on the notice, only on HANGUP_COMPLETE, and then with its variables.
    notice = LINGER_2S[21]
    frames = LINGER_2S[:14] + [notice] + LINGER_2S[14:21] + LINGER_2S[22:]
    steps = script_from_frames(frames)
    steps[2].prefix = "myevents"  # the capture asked `myevents plain`; plain is the default

    def flow(session):
        session.execute("answer")
        with pytest.raises(ChannelHangup) as hung:
            session.execute("hangup", "USER_BUSY")
        return hung.value, session.hangup_info

    (exc, info), peer = _run(server, steps, flow, linger=2)
    assert peer.errors == []
    assert exc.cause == "USER_BUSY"
    assert exc.variables["hangup_cause"] == "USER_BUSY"
    assert info.cause == "USER_BUSY"


def test_interrupt_from_another_greenlet_breaks_the_running_execute(server):
    steps = script_from_frames(LINGER[:13])  # ... playback sent, +OK, CHANNEL_EXECUTE
    api_ok = b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n"
    steps += [Expect("api uuid_break 77f107d8-15e4-41bd-b182-2b261477c449 all"), Send(api_ok),
              Send(LINGER[14].raw), Expect("exit"), Send(LINGER[35].raw), Close()]

    def flow(session):
        session.execute("answer")
        breaker = gevent.spawn_later(0.05, session.interrupt)
        result = session.execute("playback", "tone_stream://%(500,0,440);loops=1")
        assert breaker.get(timeout=2) is True
        return result

    result, peer = _run(server, steps, flow)
    assert peer.errors == []
    assert result.interrupted is True and result.response == "FILE PLAYED"


def test_each_call_runs_in_its_own_greenlet_and_is_findable_by_uuid(server):
    release = AsyncResult()
    running = []

    def handler(session):
        running.append((gevent.getcurrent(), session.uuid))
        release.get(timeout=5)

    srv = server(handler, linger=False)
    script_a = script_from_frames(NOLINGER[:4]) + [Expect("exit"), Send(LINGER[35].raw), Close()]
    script_b = script_from_frames(LINGER[:4]) + [Expect("exit"), Send(LINGER[35].raw), Close()]
    peers = [TraceClient(srv.port, script_a), TraceClient(srv.port, script_b)]
    deadline = gevent.Timeout(3)
    with deadline:
        while len(running) < 2:
            gevent.sleep(0.01)
    assert running[0][0] is not running[1][0]
    assert set(srv.sessions) == {"216a1eb5-7c77-4e02-bc92-b7614699d7bc", "77f107d8-15e4-41bd-b182-2b261477c449"}
    release.set(None)
    for peer in peers:
        assert peer.wait_done(3)
        assert peer.errors == []
    assert srv.sessions == {}


def test_bgapi_over_the_call_socket_gets_its_background_job():
    """Under myevents, FreeSWITCH still delivers BACKGROUND_JOB to the socket whose session
    owns the job (Job-Owner-UUID); the session's bgapi waits for it like an inbound one."""
    job_frame = next(f for f in load_trace("01-auth-api-bgapi") if b"-ERR USER_BUSY" in f.raw)
    trace_job = job_frame.body.split(b"Job-UUID: ")[1][:36].decode()
    owned = job_frame.raw.replace(b"Job-Command: originate", b"Job-Owner-UUID: 77f107d8-15e4-41bd-b182-2b261477c449"
                                  b"\nJob-Command: originate")
    _, _, body = owned.partition(b"\n\n")
    owned = b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body
    steps = script_from_frames(LINGER[:6]) + [
        Expect("bgapi originate error/user_busy", {"job-uuid": trace_job}),
        Send(f"Content-Type: command/reply\nReply-Text: +OK Job-UUID: {trace_job}\nJob-UUID: {trace_job}\n\n".encode()),
        Send(owned), Expect("exit"), Send(LINGER[35].raw), Close()]
    srv = OutboundServer(lambda session: outcome.set(session.bgapi("originate error/user_busy &park()", 5)),
                         "127.0.0.1", 0, command_timeout=2).start()
    outcome = AsyncResult()
    try:
        peer = TraceClient(srv.port, steps)
        result = outcome.get(timeout=5)
        assert peer.wait_done(5) and peer.errors == []
        assert result.cause == "USER_BUSY"
    finally:
        srv.stop(timeout=1)


def test_socket_loss_without_hangup_events_raises_channel_hangup_into_every_waiter(server):
    steps = script_from_frames(LINGER[:6]) + [Expect("sendmsg"), Send(LINGER[7].raw), Expect("api"), Close()]
    errors = []

    def flow(session):
        play = gevent.spawn(session.execute, "playback", "/tmp/a.wav")  # accepted, waits for completion
        gevent.sleep(0.05)
        api = gevent.spawn(session.api, "uuid_getvar x y")              # waits for its reply
        gevent.joinall([play, api], timeout=3)
        errors.extend([play.exception, api.exception])
        return session.hangup_info

    info, peer = _run(server, steps, flow)
    assert peer.errors == []
    assert all(isinstance(e, ChannelHangup) and e.cause is None for e in errors), errors
    assert info.cause is None and info.variables == {}


def test_execute_timeout_and_late_completion_is_ignored(server):
    from cpaas.switch import EslTimeout
    steps = script_from_frames(LINGER[:13])  # playback accepted and started, never completes
    steps += [Expect("api uuid_getvar"), Send(LINGER[20].raw), Expect("exit"), Send(LINGER[35].raw), Close()]

    def flow(session):
        session.execute("answer")
        with pytest.raises(EslTimeout):
            session.execute("playback", "tone_stream://%(500,0,440);loops=1", timeout=0.1)
        assert session._executes == {}  # nothing left waiting
        return session.getvar("loopback_leg")

    leg, peer = _run(server, steps, flow)
    assert peer.errors == []
    assert leg == "B"


def test_a_subscription_keeps_events_between_waits_and_fails_once_the_channel_is_gone(server):
    # 08b again: events that arrive while nobody waits on the subscription are kept, in order.
    steps = script_from_frames(NOLINGER[:9]) + [Expect("sendmsg"), Send(NOLINGER[5].raw)]
    steps += script_from_frames(NOLINGER[9:])

    def flow(session):
        with session.subscribe("CHANNEL_ANSWER", "CHANNEL_EXECUTE_COMPLETE") as events:
            answered = session.execute("answer")
            kept = [events.get(timeout=1) for _ in range(2)]
            events.wake()
            woken = events.get(timeout=1)
            with pytest.raises(ChannelHangup):
                session.execute("playback", "/tmp/long.wav")
            late = events.get(timeout=1)  # the socket application's completion, before HANGUP_COMPLETE
            with pytest.raises(ChannelHangup) as hung:
                events.get(timeout=1)
            with pytest.raises(ChannelHangup):
                events.get(timeout=1)
        assert session._subscriptions == []
        return answered, kept, woken, late, hung.value

    (answered, kept, woken, late, hung), peer = _run(server, steps, flow, linger=False)
    assert peer.errors == []
    assert [e.name for e in kept] == ["CHANNEL_ANSWER", "CHANNEL_EXECUTE_COMPLETE"]
    assert kept[1].get("Application-UUID") == answered.application_uuid
    assert woken is None and late.get("Application") == "socket"
    assert hung.cause == "NORMAL_CLEARING" and "billsec" in hung.variables
