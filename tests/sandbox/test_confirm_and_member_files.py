"""Answer confirmation (group_confirm_*) and files mod_conference plays to one member: what the
product's whisper and conference wait music stand on. Raw ESL against a real sandbox process."""
from __future__ import annotations

import threading
import time

import pytest

from tests.sandbox.conftest import Controller
from tests.sandbox.test_behaviour import ScriptedController
from tests.support.sandbox import start_sandbox

SPEED = 10.0
CONFIRM_PLAYBACK = "group_confirm_key=exec,group_confirm_file=playback\\ssilence_stream://{ms}"


@pytest.fixture(scope="module")
def confirm_controller():
    ctl = Controller()
    yield ctl
    ctl.close()


@pytest.fixture(scope="module")
def sb(confirm_controller):
    sandbox = start_sandbox(controller=confirm_controller.address, speed=SPEED)
    yield sandbox
    sandbox.stop()


def test_a_leg_wins_only_once_its_confirmation_application_returns(esl):
    started = time.monotonic()
    reply = esl.api(f"originate {{{CONFIRM_PLAYBACK.format(ms=3000)}}}sofia/gateway/gw/+15550002001 &park")
    elapsed = (time.monotonic() - started) * SPEED
    assert reply.startswith("+OK "), reply
    leg = reply.split()[1]
    played = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=leg, Application="playback")
    assert played.event("Application-Data") == "silence_stream://3000"
    assert 3.0 <= elapsed <= 15.0  # answered after 0.6 s, then three seconds of confirmation
    assert esl.api(f"uuid_getvar {leg} group_dial_status") == "winner"
    assert esl.api(f"uuid_getvar {leg} group_confirm_key") == "_undef_"
    esl.api(f"uuid_kill {leg}")


def test_group_confirm_timeout_bounds_the_confirmation(esl):
    reply = esl.api(f"originate {{leg_timeout=30,group_confirm_timeout=2,{CONFIRM_PLAYBACK.format(ms=20000)}}}"
                    "sofia/gateway/gw/+15550002002 &park")
    assert reply == "-ERR ALLOTTED_TIMEOUT\n"


def test_the_leg_timer_keeps_running_through_confirmation_unless_cancelled(esl):
    late = esl.api(f"originate {{leg_timeout=2,{CONFIRM_PLAYBACK.format(ms=5000)}}}sofia/gateway/gw/+15550002003 &park")
    assert late == "-ERR ALLOTTED_TIMEOUT\n"
    cancelled = esl.api(f"originate {{leg_timeout=2,group_confirm_cancel_timeout=true,"
                        f"{CONFIRM_PLAYBACK.format(ms=5000)}}}sofia/gateway/gw/+15550002004 &park")
    assert cancelled.startswith("+OK "), cancelled
    esl.api(f"uuid_kill {cancelled.split()[1]}")


def test_a_confirmation_key_must_be_pressed(esl):
    pressed = esl.api("originate {group_confirm_key=1,group_confirm_file=silence_stream://500}"
                      "sofia/gateway/gw/+15550000111 &park")  # this far end presses 1 two seconds in
    assert pressed.startswith("+OK "), pressed
    esl.api(f"uuid_kill {pressed.split()[1]}")
    wrong = esl.api("originate {leg_timeout=8,group_confirm_key=2,group_confirm_read_timeout=1000}"
                    "sofia/gateway/gw/+15550000111 &park")
    assert wrong == "-ERR ALLOTTED_TIMEOUT\n"


def _bridge_from_a_parked_leg(esl, dial_string):
    """A parked caller runs `bridge dial_string` (continue_on_fail); returns its uuid."""
    caller = esl.api("originate loopback/park/default &park").split()[1]
    esl.wait_event("CHANNEL_PARK", Unique_ID=caller)
    esl.api(f"uuid_setvar {caller} continue_on_fail true")
    esl.command(f"sendmsg {caller}\ncall-command: execute\nexecute-app-name: bridge\n"
                f"execute-app-arg: {dial_string}\nevent-lock: true")
    return caller


def test_a_confirmation_socket_that_lets_go_connects_the_leg(esl, confirm_controller):
    """The product's whisper: the leg's confirmation is a socket to the controller; `exit` ends
    the socket application with the leg up, which makes it the winner (no hang-up, no resume)."""
    got = {}
    done = threading.Event()

    def controller(conn):
        ctl = ScriptedController(conn)
        ctl.send("connect")
        got["answer_state"] = ctl.reply().header("Answer-State")
        ctl.send("myevents")
        ctl.reply()
        ctl.send("sendmsg\ncall-command: execute\nexecute-app-name: playback\n"
                 "execute-app-arg: silence_stream://1000\nevent-lock: true")
        ctl.until(lambda f: f.event_name == "CHANNEL_EXECUTE_COMPLETE" and f.event("Application") == "playback")
        ctl.send("exit")
        got["bye"] = ctl.reply().header("Reply-Text")
        done.set()

    confirm_controller.expect(controller)
    caller = _bridge_from_a_parked_leg(
        esl, f"{{group_confirm_key=exec,group_confirm_file=socket {confirm_controller.address} async full}}"
             "sofia/gateway/gw/+15550002005")
    bridged = esl.wait_event("CHANNEL_BRIDGE", Unique_ID=caller)
    assert done.wait(10), confirm_controller.errors
    assert got["answer_state"] == "answered" and got["bye"] == "+OK bye"
    callee = bridged.event("Bridge-B-Unique-ID")
    # Read before the bridge: the callee's playback ran to its end, then the leg was connected.
    assert [f for f in esl.events if f.event_name == "CHANNEL_EXECUTE_COMPLETE" and f.event("Unique-ID") == callee
            and f.event("Application") == "playback"]
    assert esl.api(f"uuid_getvar {callee} group_dial_status") == "winner"
    esl.api(f"uuid_kill {caller}")


def test_a_confirmation_socket_that_hangs_up_fails_the_bridge(esl, confirm_controller):
    def controller(conn):
        ctl = ScriptedController(conn)
        ctl.send("connect")
        ctl.reply()
        ctl.send("sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING")
        ctl.reply()

    confirm_controller.expect(controller)
    caller = _bridge_from_a_parked_leg(
        esl, f"{{group_confirm_key=exec,group_confirm_file=socket {confirm_controller.address} async full}}"
             "sofia/gateway/gw/+15550002006")
    done = esl.wait_event("CHANNEL_EXECUTE_COMPLETE", Unique_ID=caller, Application="bridge")
    assert done.event("variable_originate_disposition") == "NORMAL_CLEARING"
    assert not [f for f in esl.events if f.event_name == "CHANNEL_BRIDGE" and f.event("Unique-ID") == caller]
    assert esl.api(f"uuid_exists {caller}") == "true"  # continue_on_fail: the caller goes on
    esl.api(f"uuid_kill {caller}")


def test_files_played_to_one_member_end_with_an_event_or_stop_silently(esl):
    reply = esl.api("originate loopback/echo/default &park")
    uuid = reply.split()[1]
    esl.send(f"sendmsg {uuid}\ncall-command: execute\nexecute-app-name: conference\nexecute-app-arg: room77@default")
    joined = esl.wait_event("CUSTOM", Unique_ID=uuid, Action="add-member")
    member = joined.event("Member-ID")
    assert esl.api(f"conference room77 play silence_stream://1000 {member}") == \
        f"(play) Playing file silence_stream://1000 to member {member}\n"
    assert esl.wait_event("CUSTOM", Action="play-file-member", Unique_ID=uuid).event("File") == \
        "silence_stream://1000"
    assert esl.api(f"sandbox_member_files {uuid}") == "+OK\nsilence_stream://1000\n"
    assert esl.wait_event("CUSTOM", Action="play-file-member-done", Unique_ID=uuid).event("File") == \
        "silence_stream://1000"
    assert esl.api(f"sandbox_member_files {uuid}") == "+OK\n"

    said = "'tts://flite|kal|Please hold on'"
    assert "to member" in esl.api(f"conference room77 play {said} {member}")
    assert esl.api(f"sandbox_member_files {uuid}") == "+OK\ntts://flite|kal|Please hold on\n"
    assert esl.api(f"conference room77 stop all {member}") == "Stopped 1 files.\n"
    assert esl.api(f"sandbox_member_files {uuid}") == "+OK\n"
    time.sleep(0.3)  # the stopped file would have played out by now: no done event for it
    assert not [f for f in esl.events if f.event("Action") == "play-file-member-done"]
    assert esl.api(f"conference room77 play /no/such.wav {member}") == "(play) File: /no/such.wav not found.\n"
    assert esl.api("conference room77 play silence_stream://1 99") == "Member: 99 not found.\n"
    esl.api(f"uuid_kill {uuid}")
