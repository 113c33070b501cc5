"""docker/kamailio/kamailio.cfg running for real on 127.0.0.1, between a carrier and two fake FreeSWITCH nodes.

`kamailio -c` only parses; a start also runs the fix-ups (it is how a quoted define passed as a dispatcher
set id was caught). Here Kamailio must dispatch INVITEs, stamp the real source in X-AUTH-IP over whatever
the sender claimed, stay out of the dialog (no Record-Route), and fail over to the other node on a 503.
"""
import os
import signal
import subprocess
import time

import pytest

from tests.deploy.conftest import ROOT
from tests.deploy.sip import Peer, invite, out_of_dialog, response
from tests.deploy.test_kamailio import KAMAILIO
from tests.support.servers import free_port

pytestmark = pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed (scripts/setup test installs it)")
CONFIG = ROOT / "docker" / "kamailio" / "kamailio.cfg"


@pytest.fixture
def cluster(tmp_path):
    nodes = [Peer(), Peer()]
    caller = Peer()
    dispatcher = tmp_path / "dispatcher.list"
    dispatcher.write_text("".join(f"1 sip:127.0.0.1:{node.port} 0 0\n" for node in nodes))
    port = free_port()
    log = open(tmp_path / "kamailio.log", "wb")
    process = subprocess.Popen(
        [KAMAILIO, "-DD", "-E", "-f", str(CONFIG), "-Y", str(tmp_path), "-w", str(tmp_path),
         "-A", "LISTEN_IP=127.0.0.1", "-A", f"SIP_PORT={port}", "-A", f'DISPATCHER_LIST="{dispatcher}"'],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_answering(caller, port, process, tmp_path / "kamailio.log")
        yield caller, nodes, port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        log.close()
        for peer in (caller, *nodes):
            peer.close()


def _wait_until_answering(caller, port, process, log_path):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kamailio exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        caller.send(out_of_dialog("OPTIONS", caller, port, None), ("127.0.0.1", port))
        if caller.receive(0.3, lambda m: m.status == 200):
            return
    raise TimeoutError(f"kamailio did not answer OPTIONS:\n{log_path.read_text()[-3000:]}")


def invites(message):
    return message.method == "INVITE"


def test_an_invite_reaches_a_node_with_the_real_source_and_fails_over_on_503(cluster):
    caller, nodes, port = cluster
    caller.send(invite(caller, port, "+447700900123", "X-AUTH-IP: 6.6.6.6\r\n"), ("127.0.0.1", port))

    first = _next_invite(nodes)
    assert first is not None, "no node received the INVITE"
    node, request = first
    assert request.all("X-AUTH-IP") == ["127.0.0.1"]  # the sender's claim is gone, the real source stamped
    assert request.all("X-AUTH-PORT") == [str(caller.port)]
    assert request.start.startswith("INVITE sip:+447700900123@")  # the DID is untouched
    assert request.all("Record-Route") == []  # in-dialog requests go straight to the node's own Contact
    assert request.first("Via").startswith(f"SIP/2.0/UDP 127.0.0.1:{port}")  # responses come back through us
    node.send(response(request, 503, "Service Unavailable"), request.source)

    other = nodes[1 - nodes.index(node)]
    retried = other.receive(5, invites)
    assert retried is not None, "the INVITE was not retried on the other node after a 503"
    assert retried.first("Call-ID") == request.first("Call-ID")
    other.send(response(retried, 486, "Busy Here"), retried.source)

    final = caller.receive(5, lambda m: m.status is not None and m.status >= 200)
    assert final is not None and final.status == 486


def test_invites_are_spread_over_both_nodes(cluster):
    caller, nodes, port = cluster
    hits = []
    for _ in range(4):
        caller.send(invite(caller, port, "+12025550123"), ("127.0.0.1", port))
        received = _next_invite(nodes)
        assert received is not None
        node, request = received
        hits.append(nodes.index(node))
        node.send(response(request, 486, "Busy Here"), request.source)
    assert set(hits) == {0, 1}


def test_only_invites_start_dialogs(cluster):
    caller, _, port = cluster
    caller.send(out_of_dialog("MESSAGE", caller, port, "+447700900123"), ("127.0.0.1", port))
    reply = caller.receive(5, lambda m: m.status is not None and m.status >= 200)
    assert reply is not None and reply.status == 405


def _next_invite(nodes, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for node in nodes:
            message = node.receive(0.05, invites)
            if message:
                return node, message
    return None
