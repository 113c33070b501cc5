"""The statuses a delivery report can move an outbound message to (Twilio's names)."""
SENT = "sent"
DELIVERED = "delivered"
UNDELIVERED = "undelivered"
FAILED = "failed"
REPORT_STATUSES = (SENT, DELIVERED, UNDELIVERED, FAILED)
FINAL_STATUSES = (DELIVERED, UNDELIVERED, FAILED)

_PROGRESS = {"accepted": 0, "queued": 0, "sending": 1, SENT: 2, DELIVERED: 3, UNDELIVERED: 3, FAILED: 3}


def report_applies(current: str, reported: str) -> bool:
    """Whether a delivery report saying `reported` may move a message that is `current`.

    Gateways report out of order (Kannel may call with "delivered" before "accepted by
    the SMSC") and sometimes twice: a report only ever moves a message forward, and the
    first final status stands.
    """
    return _PROGRESS.get(reported, -1) > _PROGRESS.get(current, 3)
