"""bgapi results: the BACKGROUND_JOB body parsed once, here.

The body is the api command's output: `+OK <uuid>\\n` for a successful originate,
`-ERR USER_BUSY\\n` for a failed one, `-ERR x Command not found!\\n`, `-USAGE: ...`,
or plain text (`bgapi status`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gevent import Timeout

from cpaas.switch.errors import EslTimeout
from cpaas.switch.wire import Event

_CAUSE = re.compile(r"^[A-Z][A-Z0-9_]+$")


@dataclass(frozen=True)
class JobResult:
    job_uuid: str
    ok: bool
    #: after `+OK ` (the new channel's uuid for originate) or the whole output when it has no +OK
    value: str
    #: for -ERR: the text after `-ERR `; else ""
    error: str
    #: for -ERR with a single hang-up cause word (USER_BUSY, NO_ANSWER, ...): that word; else None
    cause: str | None
    body: str
    command: str | None = None

    @classmethod
    def from_body(cls, job_uuid: str, body: str, command: str | None = None) -> "JobResult":
        text = body.strip()
        if text.startswith("+OK"):
            return cls(job_uuid, True, text[3:].strip(), "", None, body, command)
        if text.startswith("-ERR"):
            error = text[4:].strip()
            cause = error if _CAUSE.match(error) else None
            return cls(job_uuid, False, "", error, cause, body, command)
        if text.startswith("-"):  # -USAGE: ...
            return cls(job_uuid, False, "", text[1:], None, body, command)
        return cls(job_uuid, True, text, "", None, body, command)

    @classmethod
    def from_event(cls, event: Event) -> "JobResult":
        return cls.from_body(event.get("Job-UUID", ""), event.body, event.get("Job-Command"))


class PendingJob:
    """A bgapi FreeSWITCH accepted; `wait()` returns its JobResult when BACKGROUND_JOB arrives."""

    __slots__ = ("job_uuid", "_waiter", "_label", "_registry")

    def __init__(self, job_uuid: str, waiter, label: str = "", registry: dict | None = None):
        self.job_uuid = job_uuid
        self._waiter = waiter
        self._label = label
        self._registry = registry  # the connection's pending-job table, cleaned on time-out

    def wait(self, timeout: float | None = 30.0) -> JobResult:
        if self._waiter is None:
            raise RuntimeError("this job was started untracked (track=False); its result goes to event listeners")
        try:
            event = self._waiter.get(timeout=timeout)
        except Timeout:
            if self._registry is not None:
                self._registry.pop(self.job_uuid, None)
            raise EslTimeout(f"{self._label}: no BACKGROUND_JOB for {self.job_uuid} within {timeout}s") from None
        return JobResult.from_event(event)
