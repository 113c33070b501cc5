"""The statuses a delivery report can move an outbound message to (Twilio's names)."""
SENT = "sent"
DELIVERED = "delivered"
UNDELIVERED = "undelivered"
FAILED = "failed"
REPORT_STATUSES = (SENT, DELIVERED, UNDELIVERED, FAILED)
FINAL_STATUSES = (DELIVERED, UNDELIVERED, FAILED)
