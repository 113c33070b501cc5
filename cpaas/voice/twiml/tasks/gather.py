"""<Gather>: play the nested prompts, collect DTMF and/or speech, post the result to the action.

DTMF posts Digits and FinishedOnKey; speech posts SpeechResult and Confidence (Digits instead when
the caller pressed keys, with input="dtmf speech"). No input falls through to the next verb,
unless actionOnEmptyResult.
"""
from __future__ import annotations

from cpaas.voice.media import Audio, Silence
from cpaas.voice.speech import DigitOptions, SpeechRequest
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
    if "speech" in verb.input:
        result, params = _speech(flow, verb)
    else:
        result = flow.session.gather(prompts(flow, verb), verb.timeout, verb.finish_on_key, verb.num_digits)
        params = {"Digits": result.digits, "FinishedOnKey": result.finished_on_key}
    if result.interrupted:
        return None
    if result.empty and not verb.action_on_empty_result:
        return None  # no input: fall through to the next verb
    return flow.request(verb.action, verb.method, "gather-action", **params)


def _speech(flow, verb: v.Gather):
    digits = DigitOptions(verb.timeout, verb.finish_on_key, verb.num_digits) if "dtmf" in verb.input else None
    result = flow.session.gather_speech(prompts(flow, verb), speech_request(flow, verb), digits,
                                        _partial_poster(flow, verb))
    if result.by_keys:
        return result, {"Digits": result.digits, "FinishedOnKey": result.finished_on_key}
    if result.empty:
        return result, {}
    return result, {"SpeechResult": result.text, "Confidence": _confidence(result.confidence)}


def speech_request(flow, verb: v.Gather) -> SpeechRequest:
    settings = flow.env.settings
    return SpeechRequest(engine=settings.asr_engine, grammar=settings.asr_grammar, language=verb.language,
                         no_input_seconds=verb.timeout, end_silence_seconds=verb.speech_timeout,
                         max_speech_seconds=verb.max_speech_time, hints=verb.hints,
                         profanity_filter=verb.profanity_filter, model=verb.speech_model, enhanced=verb.enhanced,
                         param_names=settings.asr_params)


def _partial_poster(flow, verb: v.Gather):
    """Interim results go to partialResultCallback as they come (jobs: they never hold up the call)."""
    if not verb.partial_result_callback:
        return None

    def post(recognition, sequence: int) -> None:
        flow.post_in_background(verb.partial_result_callback, verb.partial_result_callback_method,
                                "gather-partial-result", UnstableSpeechResult=recognition.text,
                                Stability=_confidence(recognition.confidence), SequenceNumber=sequence)
    return post


def _confidence(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0.0"
