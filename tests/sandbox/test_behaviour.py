"""The sandbox as the product uses it: far ends, recordings, inbound calls into the controller socket,
the fast clock and the CLI. Raw sockets only; every test talks to a real sandbox process."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from tests.sandbox.conftest import Controller
from tests.sandbox.esl import EslClient, FrameStream
from tests.support.sandbox import start_sandbox

SPEED = 20.0


@pytest.fixture(scope="module")
def fast_controller():
    ctl = Controller()
    yield ctl
    ctl.close()


@pytest.fixture(scope="module")
def fast(fast_controller):
    sb = start_sandbox(controller=fast_controller.address, speed=SPEED)
    yield sb
    sb.stop()


@pytest.fixture
def esl(fast):
    client = EslClient(fast.host, fast.port)
    client.command("event plain ALL")
    yield client
    client.close()


def _vars(frame):
    return {k[len("variable_"):]: frame.event(k) for k, _ in frame.event_headers if k.startswith("variable_")}


def test_record_writes_a_wav_of_the_far_ends_tone_with_the_requested_length(esl, tmp_path):
    uuid = esl.api("originate loopback/tone/default &park").split()[1]
    path = tmp_path / "rec.wav"
    esl.execute(uuid, "record", f"{path} 3")
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (8000, 2, 1)
        frames = wav.getnframes()
        pcm = wav.readframes(frames)
    assert frames == 3 * 8000
    assert max(abs(int.from_bytes(pcm[i:i + 2], "little", signed=True)) for i in range(0, 4000, 2)) > 1000
    assert esl.api(f"uuid_getvar {uuid} record_ms") == "3000"
    assert esl.api(f"uuid_kill {uuid}") == "+OK\n"


def test_record_stops_on_silence_and_says_so(esl, tmp_path):
    uuid = esl.api("originate loopback/tonesilence/default &park").split()[1]
    path = tmp_path / "quiet.wav"
    done = esl.execute(uuid, "record", f"{path} 30 200 2")
    assert done.event("Application-Response") == "_none_"
    assert esl.api(f"uuid_getvar {uuid} silence_hits_exhausted") == "true"
    ms = int(esl.api(f"uuid_getvar {uuid} record_ms"))
    # Up to 2 s of tone, then 2 s of silence; well short of the 30 s limit whatever the wake-ups
    # (at twenty times real time, half a simulated second is 25 ms).
    assert 2000 <= ms <= 10000
    esl.api(f"uuid_kill {uuid}")


@pytest.mark.parametrize("number,expected", [
    ("+15550100486", "-ERR USER_BUSY\n"),
    ("+15550100603", "-ERR CALL_REJECTED\n"),
    ("+15550100404", "-ERR UNALLOCATED_NUMBER\n"),
])
def test_gateway_far_end_failures_come_from_the_dialled_number(esl, number, expected):
    assert esl.api(f"originate sofia/gateway/sandbox/{number} &park") == expected


def test_a_far_end_that_only_rings_times_out_with_no_answer(esl):
    started = time.monotonic()
    assert esl.api("originate {originate_timeout=20}sofia/gateway/sandbox/+15550100480 &park") == "-ERR NO_ANSWER\n"
    assert time.monotonic() - started < 3  # 20 simulated seconds


def test_answered_gateway_call_reports_sip_status_and_billing_on_hangup(esl):
    reply = esl.api("originate {cpaas_call_sid=CA123,origination_caller_id_number=+15551112222}"
                    "sofia/gateway/sandbox/+15557654321 &park")
    assert reply.startswith("+OK ")
    uuid = reply.split()[1].strip()
    esl.wait_event("CHANNEL_PARK", Unique_ID=uuid)
    time.sleep(0.5)  # ten simulated seconds
    esl.api(f"uuid_kill {uuid}")
    done = esl.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID=uuid)
    v = _vars(done)
    assert done.event("Hangup-Cause") == "NORMAL_CLEARING"
    assert v["cpaas_call_sid"] == "CA123"
    assert v["sip_term_status"] == "200"
    assert int(v["billsec"]) >= 8
    assert done.event("Caller-Caller-ID-Number") == "+15551112222"


def test_far_end_presses_digits_and_hangs_up_on_its_own(esl):
    uuid = esl.api("originate {sandbox_dtmf=42#@1s,sandbox_hangup_after=5s}"
                   "sofia/gateway/sandbox/+15557654321 &park").split()[1].strip()
    done = esl.execute(uuid, "play_and_get_digits", "1 4 1 3000 # silence_stream://100 silence_stream://100 choice \\d+")
    assert done.event("Application") == "play_and_get_digits"
    assert esl.api(f"uuid_getvar {uuid} choice") == "42"
    hangup = esl.wait_event("CHANNEL_HANGUP", Unique_ID=uuid, timeout=5)
    assert hangup.event("Hangup-Cause") == "NORMAL_CLEARING"


def test_sched_hangup_ends_the_call_with_allotted_timeout(esl):
    uuid = esl.api("originate loopback/echo/default &park").split()[1]
    assert esl.api(f"sched_hangup +2 {uuid}") == "+OK\n"
    hangup = esl.wait_event("CHANNEL_HANGUP", Unique_ID=uuid, timeout=5)
    assert hangup.event("Hangup-Cause") == "ALLOTTED_TIMEOUT"


def test_show_channels_as_json_lists_live_channels(esl):
    uuid = esl.api("originate loopback/echo/default &park").split()[1]
    import json
    rows = json.loads(esl.api("show channels as json"))["rows"]
    assert uuid in {row["uuid"] for row in rows}
    esl.api(f"uuid_kill {uuid}")


class ScriptedController:
    """Our side of an outbound socket: connect, subscribe, answer, then run a gather."""

    def __init__(self, sock):
        self.sock = sock
        self.stream = FrameStream(sock)

    def send(self, text):
        self.sock.sendall((text + "\n\n").encode())

    def reply(self):
        while True:
            frame = self.stream.next(timeout=10)
            if frame.closed or frame.content_type in ("command/reply", "text/disconnect-notice"):
                return frame

    def until(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            frame = self.stream.next(timeout=deadline - time.monotonic())
            seen.append(frame)
            if predicate(frame):
                return frame, seen
        raise AssertionError("not seen")


def test_scripted_inbound_call_presses_digits_and_hangs_up_through_the_controller(fast, fast_controller):
    import threading
    got = {}
    finished = threading.Event()

    def controller(conn):
        ctl = ScriptedController(conn)
        ctl.send("connect")
        data = ctl.reply()
        got["data"] = dict(data.headers)
        ctl.send("myevents")
        assert ctl.reply().header("Reply-Text") == "+OK Events Enabled"
        ctl.send("linger")
        ctl.reply()
        ctl.send("sendmsg\ncall-command: execute\nexecute-app-name: answer\nevent-lock: true")
        ctl.reply()
        ctl.send("sendmsg\ncall-command: execute\nexecute-app-name: play_and_get_digits\n"
                 "execute-app-arg: 1 1 1 5000 # silence_stream://500 silence_stream://100 digit \\d\nevent-lock: true")
        ctl.reply()
        _, seen = ctl.until(lambda f: f.event_name == "CHANNEL_EXECUTE_COMPLETE"
                            and f.event("Application") == "play_and_get_digits")
        ctl.send("getvar digit")
        got["digit"] = ctl.reply().header("Reply-Text")
        notice, seen = ctl.until(lambda f: f.content_type == "text/disconnect-notice")
        got["events"] = [f.event_name for f in seen if f.event_name]
        got["complete"] = next(f for f in seen if f.event_name == "CHANNEL_HANGUP_COMPLETE")
        got["linger"] = notice.header("Content-Disposition")
        ctl.send("exit")
        got["bye"] = ctl.reply().header("Reply-Text")
        finished.set()

    fast_controller.expect(controller)
    with_client = EslClient(fast.host, fast.port)
    started = time.monotonic()
    reply = with_client.api("sandbox_call --from +15551230000 --to 5557650000 --dtmf 7@2s --hangup-after 10s")
    assert reply.startswith("+OK ")
    assert finished.wait(10), fast_controller.errors
    elapsed = time.monotonic() - started
    with_client.close()
    data = got["data"]
    assert data["Reply-Text"] == "%2BOK%0A"
    assert data["variable_cpaas_direction"] == "inbound"
    assert data["variable_cpaas_trunk"] == "sandbox"
    assert data["variable_cpaas_to"] == "%2B5557650000" and data["variable_cpaas_original_to"] == "5557650000"
    assert data["variable_cpaas_from"] == "%2B15551230000"
    assert data["Caller-Caller-ID-Number"] == "%2B15551230000"
    assert data["Caller-Destination-Number"] == "5557650000"
    assert got["digit"] == "7"
    assert got["linger"] == "linger"
    assert got["bye"] == "+OK bye"
    assert "CHANNEL_HANGUP" in got["events"] and "CHANNEL_HANGUP_COMPLETE" in got["events"]
    assert "CHANNEL_DESTROY" not in got["events"]
    assert elapsed < 5  # a ten-second call at twenty times real time
    complete = got["complete"]
    assert complete.event("Hangup-Cause") == "NORMAL_CLEARING"
    assert 9 <= int(complete.event("variable_billsec")) <= 20  # ten simulated seconds, and a late timer


def test_cli_call_places_an_inbound_call(fast, fast_controller):
    fast_controller.expect(lambda conn: conn.close())
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cpaas"), "sandbox", "call", "--from", "+15551230000", "--to", "+15557650000",
         "--dtmf", "1@2s", "--hangup-after", "10s", "--host", fast.host, "--port", str(fast.port)],
        capture_output=True, text=True, timeout=30, cwd=root,
        env=dict(os.environ, PYTHONPATH=str(root)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("+OK ")


def test_wrong_password_gets_invalid_then_goodbye(fast):
    import socket
    with socket.create_connection((fast.host, fast.port), timeout=5) as sock:
        stream = FrameStream(sock)
        assert stream.next().content_type == "auth/request"
        sock.sendall(b"auth nope\n\n")
        assert stream.next().header("Reply-Text") == "-ERR invalid"
        assert stream.next().content_type == "text/disconnect-notice"
        assert stream.next().closed


def test_bgapi_on_the_call_socket_reports_its_job_to_that_socket(fast, fast_controller):
    import threading
    got = {}
    finished = threading.Event()

    def controller(conn):
        ctl = ScriptedController(conn)
        ctl.send("connect")
        ctl.reply()
        ctl.send("myevents")
        ctl.reply()
        ctl.send("bgapi eval ok\nJob-UUID: 5a4e2b8e-0000-4000-8000-000000000001")
        got["reply"] = ctl.reply().header("Reply-Text")
        job, _ = ctl.until(lambda f: f.event_name == "BACKGROUND_JOB")
        got["body"] = job.event_body
        ctl.send("exit")
        ctl.reply()
        finished.set()

    fast_controller.expect(controller)
    client = EslClient(fast.host, fast.port)
    try:
        assert client.api("sandbox_call --from +15551230000 --to +15557650000").startswith("+OK ")
        assert finished.wait(10), fast_controller.errors
    finally:
        client.close()
    assert got["reply"] == "+OK Job-UUID: 5a4e2b8e-0000-4000-8000-000000000001"
    assert got["body"] == b"ok"


def _channel_events(trace_frames, uuid_prefix):
    from tests.support.traces import event_name
    names = []
    for frame in trace_frames:
        name = event_name(frame)
        if name and name not in ("PRESENCE_IN", "API", "CODEC") and f"Unique-ID: {uuid_prefix}".encode() in frame.body:
            names.append(name)
    return names


def test_inbound_call_fires_the_events_a_sip_call_from_a_trunk_does(fast, fast_controller):
    """Against trace 10b (a SIP UAC calling in): the same events from the new call to routing, the
    same answer sequence (early media, then answer) and the same tail after the caller's BYE."""
    from tests.support.traces import load_trace
    real = _channel_events(load_trace("10b-sip-inbound-from-sipp-uac"), "cd8e7d28")
    import threading
    finished = threading.Event()

    def controller(conn):
        ctl = ScriptedController(conn)
        ctl.send("connect")
        ctl.reply()
        ctl.send("sendmsg\ncall-command: execute\nexecute-app-name: answer\nevent-lock: true")
        ctl.reply()
        ctl.until(lambda f: f.content_type == "text/disconnect-notice")
        finished.set()

    fast_controller.expect(controller)
    watcher = EslClient(fast.host, fast.port)
    try:
        watcher.command("event plain ALL")
        uuid = watcher.api("sandbox_call --from +15551230000 --to +15557650000 --hangup-after 2s").split()[1]
        destroy = watcher.wait_event("CHANNEL_DESTROY", Unique_ID=uuid, timeout=10)
        last = watcher.wait_event("CHANNEL_STATE", Unique_ID=uuid, Channel_State="CS_DESTROY", timeout=5)
        assert finished.wait(10)
        ours = [f.event_name for f in watcher.events if f.event("Unique-ID") == uuid
                and f.event_name not in ("PRIVATE_COMMAND", "API")] + [destroy.event_name, last.event_name]
    finally:
        watcher.close()
    assert ours[:6] == real[:6] == ["CHANNEL_STATE", "CHANNEL_STATE", "CHANNEL_CREATE", "CHANNEL_CALLSTATE",
                                    "CHANNEL_STATE", "CHANNEL_STATE"]
    answer = ["CHANNEL_PROGRESS_MEDIA", "CHANNEL_CALLSTATE", "CHANNEL_ANSWER", "CHANNEL_CALLSTATE"]
    assert _contains(real, answer) and _contains(ours, answer)
    tail = ["CHANNEL_STATE", "CHANNEL_CALLSTATE", "CHANNEL_STATE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY",
            "CHANNEL_STATE"]
    assert real[-6:] == ours[-6:] == tail
    assert "CHANNEL_HANGUP" in ours


def _contains(seq, sub):
    return any(seq[i:i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))
