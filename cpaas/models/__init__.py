"""SQLAlchemy models: the canonical records every dialect renders in its own shape."""
from cpaas.models.accounts import ACCOUNT_STATUSES, Account, ApiKey, hash_secret, new_auth_token
from cpaas.models.base import Base, is_sid, new_sid, utcnow
from cpaas.models.calls import Call, status_for_hangup
from cpaas.models.conferences import Conference, Participant
from cpaas.models.db import Database, insert_row, insert_rows, on_commit
from cpaas.models.messages import Message
from cpaas.models.phone_numbers import PhoneNumber
from cpaas.models.recordings import Recording
from cpaas.models.webhooks import WebhookAttempt

__all__ = [
    "ACCOUNT_STATUSES", "Account", "ApiKey", "Base", "Call", "Conference", "Database", "Message", "Participant",
    "PhoneNumber", "Recording", "WebhookAttempt",
    "hash_secret", "is_sid", "new_auth_token", "new_sid", "insert_row", "insert_rows", "on_commit", "status_for_hangup",
    "utcnow",
]
