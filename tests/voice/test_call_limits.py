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
        created = [client.calls.create(to=f"+1555765100{i}", from_="+15551230000", url=url) for i in range(6)]
        assert [c.status for c in created] == ["queued"] * 6  # accepted, none rejected
        sids = [c.sid for c in created]
        calls = [stack.finished_call(sid, timeout=30) for sid in sids]
        assert [c.status for c in calls] == ["completed"] * 6
        starts = [c.start_time for c in calls]
        assert starts == sorted(starts)  # released in the order they were made
        # At most 2 calls start per calendar second, so the 5th starts at least two seconds after the
        # 1st begins: over one real second, ten on the sandbox's clock (it runs ten times as fast).
        # (Whether calls 3-6 were still queued at some instant is not asserted: the windows are
        # calendar seconds, so it depends on where the test falls within one.)
        assert (starts[4] - starts[0]).total_seconds() >= 9
    finally:
        api.stop()
        stack.stop()
