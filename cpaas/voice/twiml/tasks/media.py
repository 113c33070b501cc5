"""<Say>, <Play>, <Pause>."""
from __future__ import annotations

from cpaas.voice.media import Audio, Speech, spoken
from cpaas.voice.twiml import verbs as v

UNTIL_HANGUP = 1000  # loop="0": Twilio repeats until the call ends


def speech(flow, verb: v.Say) -> Speech:
    return spoken(flow.env.settings, verb.text, verb.voice)


def say(flow, verb: v.Say):
    spoken = speech(flow, verb)
    for _ in range(verb.loop or UNTIL_HANGUP):
        if not flow.session.say(spoken.text, spoken.voice, spoken.engine).completed:
            break


def play(flow, verb: v.Play):
    if verb.digits:
        flow.session.send_digits(verb.digits)
        return
    audio = Audio(flow.absolute(verb.url))
    for _ in range(verb.loop or UNTIL_HANGUP):
        result = flow.session.play(audio)
        if not result.completed:
            break


def pause(flow, verb: v.Pause):
    flow.session.pause(verb.length)
