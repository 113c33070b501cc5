"""Over the per-number send rate (SMS_RATE_LIMIT) messages wait for a later slot; none is dropped."""
import pytest

NUMBER = "+15551230400"


@pytest.fixture(scope="module")
def stack(stack_factory):
    stack = stack_factory(SMS_RATE_LIMIT="1/second").start_worker()
    stack.add_number(NUMBER)
    return stack


def test_messages_over_the_rate_wait_and_are_all_delivered(stack):
    created = [stack.client.messages.create(to=f"+1555765040{i}", from_=NUMBER, body=f"m{i}") for i in range(3)]
    for message in created:
        stack.wait_for_status(message.sid, ("delivered",), timeout=20)
    rows = stack.rows(from_=NUMBER)  # full precision (the API's RFC 2822 dates stop at the second)
    first_created = min(row.date_created for row in rows)
    sent_at = sorted(row.date_sent for row in rows)
    # One per second: the third message's slot is two seconds after the first was booked, and the first
    # cannot have been booked before it was created. (Slots chain, so this holds however slow the worker.)
    assert (sent_at[2] - first_created).total_seconds() >= 1.99, sent_at
    assert (sent_at[1] - first_created).total_seconds() >= 0.99, sent_at
