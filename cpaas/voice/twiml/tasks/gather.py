"""<Gather>: play the nested prompts, collect DTMF, post Digits and FinishedOnKey to the action."""
from __future__ import annotations

from cpaas.voice.media import Audio, Silence
from cpaas.voice.twiml import verbs as v
from cpaas.voice.twiml.tasks.media import speech

_PROMPT_LOOP_CAP = 10  # a prompt with loop="0" inside Gather repeats this many times at most


def prompts(flow, verb: v.Gather) -> list:
    media = []
    for prompt in verb.prompts:
        if isinstance(prompt, v.Pause):
            media.append(Silence(prompt.length))
            continue
        times = prompt.loop or _PROMPT_LOOP_CAP
        if isinstance(prompt, v.Say):
            media += [speech(flow, prompt)] * times
        elif prompt.url:
            media += [Audio(flow.absolute(prompt.url))] * times
    return media


def run(flow, verb: v.Gather):
    result = flow.session.gather(prompts(flow, verb), verb.timeout, verb.finish_on_key, verb.num_digits)
    if result.interrupted:
        return None
    if result.empty and not verb.action_on_empty_result:
        return None  # no input: fall through to the next verb
    return flow.request(verb.action, verb.method, "gather-action", Digits=result.digits,
                        FinishedOnKey=result.finished_on_key)
