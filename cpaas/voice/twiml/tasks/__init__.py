"""One small unit per TwiML verb. Each `run(flow, verb)` returns None (go on with the next verb),
END (the call is over), or the next document to fetch."""
from __future__ import annotations

from cpaas.voice.twiml import verbs as v
from cpaas.voice.twiml.tasks import dial, gather, hangup, media, message, record, redirect
from cpaas.voice.twiml.tasks.base import END

TASKS = {
    v.Say: media.say, v.Play: media.play, v.Pause: media.pause, v.Gather: gather.run, v.Record: record.run,
    v.Dial: dial.run, v.Hangup: hangup.hangup, v.Reject: hangup.reject, v.Redirect: redirect.run,
    v.Message: message.run,
}


def run_task(flow, verb):
    return TASKS[type(verb)](flow, verb)


__all__ = ["END", "run_task"]
