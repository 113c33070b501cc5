"""Replay the real FreeSWITCH 1.10 transcripts against the sandbox (see replay.py for what is compared)."""
from __future__ import annotations

import threading

import pytest

from tests.sandbox.replay import Replayer, connect_to

INBOUND = ["01-auth-api-bgapi", "01b-auth-wrong-password", "01c-command-before-auth",
           "02-originate-loopback-park-kill", "02b-originate-ringing-progress", "03-execute-playback-speak-sleep",
           "04-dtmf-play-and-get-digits", "05-record", "07-conference", "09-event-json", "09b-event-xml",
           "11-misc-filter-nixevent-log-exit", "11b-myevents-uuid-inbound"]


def _assert_clean(report):
    assert not report.problems, "\n".join(report.problems)


# variable_* headers: every variable FreeSWITCH sets that the sandbox also sets must come in the
# same order, except in at most this share of events (a few variables FreeSWITCH updates in place
# rather than moving them to the end; see report.variable_order for the details).
VARIABLE_ORDER_SLACK = 0.15


@pytest.mark.parametrize("trace", INBOUND)
def test_inbound_trace_replays_frame_by_frame(sandbox, trace):
    report = Replayer(trace, connect_to(sandbox.host, sandbox.port)).run()
    _assert_clean(report)
    assert report.compared_frames >= 3
    assert len(report.variable_order) <= VARIABLE_ORDER_SLACK * report.compared_events, \
        "\n".join(report.variable_order)


def test_bridge_trace_replays_with_the_same_events_and_replies(sandbox):
    """06 (bridge, uuid_bridge, failures): every reply and every channel's event sequence match.
    Header names are compared loosely here: after uuid_bridge FreeSWITCH rebuilds the caller
    profile (Caller-Transfer-Source, callee id) in ways the sandbox does not reproduce."""
    report = Replayer("06-bridge", connect_to(sandbox.host, sandbox.port), event_headers=False).run()
    _assert_clean(report)
    assert report.compared_events > 300
    differing = {line.split(" headers differ")[0].split("] ")[1].split(" ")[0] for line in report.header_differences}
    assert differing <= {"loopback/park-a#0", "loopback/park-a#1", "loopback/park-a#2", "loopback/echo-a#0"}, differing


def _replay_with_controller(sandbox, controller, control_trace, outbound_traces):
    """The control connection originates calls into `loopback/esl-out`; each one connects to our
    controller socket, which replays the matching outbound-mode transcript."""
    reports = {}
    done = threading.Event()

    def handler_for(name):
        def handle(conn):
            reports[name] = Replayer(name, None).run(sock=conn)
            if len(reports) == len(outbound_traces):
                done.set()
        return handle
    for name in outbound_traces:
        controller.expect(handler_for(name))
    control = Replayer(control_trace, connect_to(sandbox.host, sandbox.port)).run()
    assert done.wait(30), f"outbound sessions finished: {sorted(reports)}; errors {controller.errors}"
    return control, reports


def test_greenswitch_inbound_and_outbound_traces(sandbox, controller):
    control, reports = _replay_with_controller(sandbox, controller, "12-greenswitch-inbound",
                                               ["12b-greenswitch-outbound"])
    _assert_clean(control)
    _assert_clean(reports["12b-greenswitch-outbound"])
    assert reports["12b-greenswitch-outbound"].compared_events >= 8


def test_outbound_socket_traces_with_their_control_connection(sandbox, controller):
    names = ["08-outbound-socket-linger", "08b-outbound-socket-nolinger-remote-hangup",
             "08c-outbound-socket-exit", "08e-outbound-socket-linger-timeout"]
    control, reports = _replay_with_controller(sandbox, controller, "08d-outbound-socket-control", names)
    _assert_clean(control)
    for name in names:
        _assert_clean(reports[name])


def test_sip_originate_failures_trace(sandbox):
    """10c: SIP originates to a test UAS at 127.0.0.1:5070 whose users are `busy` (486) and `ring`
    (180, never answers). A bound UDP socket stands in for the UAS so the sandbox's reachability
    probe finds something listening; the far ends come from the documented user names."""
    import socket
    uas = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        uas.bind(("127.0.0.1", 5070))
    except OSError:
        uas.close()
        pytest.skip("127.0.0.1:5070 is in use on this machine")
    try:
        report = Replayer("10c-sip-originate-failures", connect_to(sandbox.host, sandbox.port)).run()
    finally:
        uas.close()
    _assert_clean(report)
    assert report.compared_events >= 30
    assert not report.variable_order, report.variable_order
