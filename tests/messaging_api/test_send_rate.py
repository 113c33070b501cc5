"""Over the per-number send rate (SMS_RATE_LIMIT) messages wait for a later slot; none is dropped."""
import pytest

NUMBER = "+15551230400"


@pytest.fixture(scope="module")
def stack(stack_factory):
    stack = stack_factory(SMS_RATE_LIMIT="2/second").start_worker()
    stack.add_number(NUMBER)
    return stack


def test_messages_over_the_rate_wait_and_are_all_delivered(stack):
    sids = [stack.client.messages.create(to=f"+1555765040{i}", from_=NUMBER, body=f"m{i}").sid for i in range(6)]
    sent_at = sorted(stack.wait_for_status(sid, ("delivered",), timeout=20).date_sent for sid in sids)
    # 2 per second: the six sends need three one-second windows.
    assert (sent_at[-1] - sent_at[0]).total_seconds() >= 1.9
    for i in range(2, 6):
        assert (sent_at[i] - sent_at[i - 2]).total_seconds() >= 0.95, sent_at
