import pytest

from cpaas.messaging.statuses import report_applies


@pytest.mark.parametrize("current, reported, applies", [
    ("queued", "sent", True), ("sending", "sent", True), ("sending", "delivered", True),
    ("sent", "delivered", True), ("sent", "undelivered", True), ("sent", "failed", True),
    ("delivered", "sent", False),      # Kannel's DLR 8 arriving after its DLR 1
    ("sent", "sent", False),           # DLR 4 then 8: nothing new
    ("delivered", "failed", False),    # the first final status stands
    ("failed", "delivered", False),
    ("sending", "bogus", False),
    ("unknown-state", "delivered", False),
])
def test_reports_only_move_a_message_forward(current, reported, applies):
    assert report_applies(current, reported) is applies
