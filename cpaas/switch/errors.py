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


class HangupInfo:
    """What a channel's CHANNEL_HANGUP_COMPLETE reported.

    `cause` is FreeSWITCH's Hangup-Cause (None when the socket closed with no hang-up event);
    `variables` holds the event's channel variables without their `variable_` prefix (record_ms,
    billsec, sip_term_status, ...), empty when that event never arrived. They are decoded when first
    read: most hang-ups need only the cause, and decoding ~150 headers cost more than the rest.
    """

    def __init__(self, uuid: str | None, cause: str | None, event=None):
        self.uuid = uuid
        self.cause = cause
        self._event = event  # a cpaas.switch.wire.Event, or None
        self._variables: dict | None = None

    @property
    def variables(self) -> dict:
        if self._variables is None:
            self._variables = self._event.variables() if self._event is not None else {}
        return self._variables

    @property
    def headers(self) -> dict:
        return self._event.headers if self._event is not None else {}


class ChannelHangup(HangupInfo, EslDisconnected):
    """The channel hung up (or its outbound socket closed) while something waited on it; it carries
    the HangupInfo of that hang-up."""

    def __init__(self, uuid: str | None, cause: str | None, event=None):
        EslDisconnected.__init__(self, f"channel {uuid} hung up ({cause or 'connection closed'})")
        HangupInfo.__init__(self, uuid, cause, event)


class EslCommandError(EslError):
    """FreeSWITCH answered a command with -ERR (or -USAGE); the message is its text."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text
