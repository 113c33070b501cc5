"""<Hangup> and <Reject> (which never answers)."""
from __future__ import annotations

from cpaas.voice.twiml import verbs as v
from cpaas.voice.twiml.tasks.base import END


def hangup(flow, verb: v.Hangup):
    flow.session.hangup()
    return END


def reject(flow, verb: v.Reject):
    flow.session.reject(busy=verb.reason == "busy")
    return END
