"""The few exception types the ESL layer raises; callers catch these, never socket errors."""
from __future__ import annotations


class EslError(Exception):
    """Base of every error raised by cpaas.switch."""


class EslTimeout(EslError):
    """A command got no reply (or a job/application no result) within its time limit."""


class EslAuthError(EslError):
    """FreeSWITCH refused the password, or rejected us by ACL (text/rude-rejection)."""


class EslDisconnected(EslError):
    """The connection is gone; every waiter on it gets this at once.

    `sent` tells a retrying caller whether the command may already have reached FreeSWITCH
    (False: it was refused before a byte was written, so sending it elsewhere is safe).
    """

    def __init__(self, message: str = "ESL connection closed", sent: bool = True):
        super().__init__(message)
        self.sent = sent


class ChannelHangup(EslDisconnected):
    """The channel hung up (or its outbound socket closed) while something waited on it.

    `cause` is FreeSWITCH's Hangup-Cause (None when the socket closed with no hang-up event);
    `variables` holds the CHANNEL_HANGUP_COMPLETE channel variables without their `variable_` prefix
    (record_ms, billsec, sip_term_status, ...), empty when that event never arrived.
    """

    def __init__(self, uuid: str | None, cause: str | None, variables: dict | None = None,
                 headers: dict | None = None):
        super().__init__(f"channel {uuid} hung up ({cause or 'connection closed'})")
        self.uuid = uuid
        self.cause = cause
        self.variables = variables or {}
        self.headers = headers or {}


class EslCommandError(EslError):
    """FreeSWITCH answered a command with -ERR (or -USAGE); the message is its text."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text
