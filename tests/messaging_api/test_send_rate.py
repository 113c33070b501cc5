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
    # 2 per second: the last two sends get slots two seconds after the first two were booked
    # (minus however long the first send itself took, hence the margin).
    assert (sent_at[-1] - sent_at[0]).total_seconds() >= 1.5, sent_at
