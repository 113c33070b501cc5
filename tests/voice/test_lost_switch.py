"""When FreeSWITCH (the sandbox) or the controller goes away mid-call, no call record stays open."""
import signal
import time

from cpaas.models import Account
from cpaas.services.phone_numbers import add_number
from tests.support.voice import ControllerProcess, VoiceStack


def _stack_with_number(tmp_path, redis_url, webhooks, e164):
    stack = VoiceStack(tmp_path, redis_url)
    account = stack.account()
    with stack.database.session() as session:
        add_number(session, session.get(Account, account.sid), e164,
                   voice_url=webhooks.twiml("/hold", '<Response><Pause length="600"/></Response>'))
    return stack


def test_switch_dies_mid_call_and_the_row_still_ends(tmp_path, redis_url, webhooks):
    stack = _stack_with_number(tmp_path, redis_url, webhooks, "+15557654000")
    try:
        stack.inbound_call("+15551230000", "+15557654000")
        call = stack.wait_call(lambda c: c.to == "+15557654000" and c.status == "in-progress")
        stack.sandbox.stop()  # the switch and every channel on it vanish without hang-up events
        ended = stack.finished_call(call.sid, timeout=20)
        assert ended.status == "completed" and ended.end_time is not None
        assert "no hang-up event arrived" in stack.controller.output()
    finally:
        stack.stop()


def test_controller_restart_ends_calls_that_finished_while_it_was_away(tmp_path, redis_url, webhooks):
    stack = _stack_with_number(tmp_path, redis_url, webhooks, "+15557654001")
    try:
        stack.inbound_call("+15551230000", "+15557654001")
        call = stack.wait_call(lambda c: c.to == "+15557654001" and c.status == "in-progress")
        stack.controller._proc.send_signal(signal.SIGKILL)  # crashes: no clean-up of any kind
        stack.controller._proc.wait(10)
        # Its socket closed, so the switch hangs the call up (as FreeSWITCH does) while nobody listens.
        deadline = time.monotonic() + 10
        while stack.esl.api(f"uuid_exists {call.channel_uuid}").strip() == "true":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        with stack.database.session() as session:
            assert session.get(type(call), call.sid).status == "in-progress"  # nobody heard the hang-up
        stack.controller.stop()  # already dead: closes its log
        stack.controller = ControllerProcess(stack.env, int(stack.env["CONTROLLER_PORT"]))
        ended = stack.finished_call(call.sid, timeout=20)
        assert ended.status == "completed"
    finally:
        stack.stop()
