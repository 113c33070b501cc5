"""Calls over the account's per-second limit wait in `queued` and are released in order, never rejected."""
from cpaas.models import Account
from cpaas.services.phone_numbers import add_number
from tests.support.live_server import LiveServer
from tests.support.voice import VoiceStack, twilio_client


def test_calls_beyond_the_rate_wait_and_go_in_order(tmp_path, redis_url, webhooks):
    stack = VoiceStack(tmp_path, redis_url, ACCOUNT_CALLS_PER_SECOND=2)
    api = LiveServer(stack.app)
    try:
        creds = stack.account()
        with stack.database.session() as session:
            add_number(session, session.get(Account, creds.sid), "+15551230000")
        client = twilio_client(api.url, creds)
        url = webhooks.twiml("/v", "<Response><Hangup/></Response>")
        sids = [client.calls.create(to=f"+1555765100{i}", from_="+15551230000", url=url).sid for i in range(6)]
        assert {client.calls(sid).fetch().status for sid in sids[2:]} == {"queued"}  # accepted, waiting
        calls = [stack.finished_call(sid, timeout=30) for sid in sids]
        assert [c.status for c in calls] == ["completed"] * 6
        starts = [c.start_time for c in calls]
        assert starts == sorted(starts)  # released in the order they were made
        assert (starts[-1] - starts[0]).total_seconds() >= 1.5  # 6 calls at 2 per second span >= 2 seconds
    finally:
        api.stop()
        stack.stop()
