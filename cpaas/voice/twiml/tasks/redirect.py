"""<Redirect>: continue with another document."""
from __future__ import annotations

from cpaas.voice.twiml import verbs as v


def run(flow, verb: v.Redirect):
    return flow.request(verb.url, verb.method, "redirect")
