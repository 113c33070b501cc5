"""What one conference member hears from a URL, the way Twilio reads HoldUrl, AnnounceUrl and
waitUrl: the URL answers with audio, or with TwiML made of <Play>, <Say>, <Pause> and <Redirect>."""
from __future__ import annotations

import logging
from urllib.parse import urljoin

from cpaas.config import Settings
from cpaas.voice.env import VoiceEnv
from cpaas.voice.media import Audio, Media, Silence, spoken
from cpaas.voice.twiml import verbs as v
from cpaas.voice.twiml.fetch import DocumentFetcher, DocumentRequest

log = logging.getLogger("cpaas.voice")
MAX_DOCUMENTS = 10  # a <Redirect> loop ends here
MAX_REPEATS = 10  # loop="0" (until stopped) in what becomes one file: an announcement plays this often at most


def media_of(verb: v.Verb, base: str, settings: Settings) -> tuple[Media, int] | None:
    """The media a <Play>, <Say> or <Pause> plays and how many times (0: until stopped); None for
    any other verb."""
    if isinstance(verb, v.Say):
        return spoken(settings, verb.text, verb.voice), verb.loop
    if isinstance(verb, v.Play) and verb.url:
        return Audio(urljoin(base, verb.url)), verb.loop
    if isinstance(verb, v.Pause) and verb.length:
        return Silence(verb.length), 1
    return None


def fetch_media(env: VoiceEnv, call_sid: str, first: DocumentRequest) -> list[Media]:
    """Everything the document at `first` (and those it redirects to) plays, in order, for a call's
    member to hear as one file. Raises FetchFailure when a document cannot be had."""
    fetcher = DocumentFetcher(env)
    call = fetcher.snapshot(call_sid)
    media: list[Media] = []
    request: DocumentRequest | None = first
    for _ in range(MAX_DOCUMENTS):
        if request is None:
            break
        document, url = fetcher.fetch(call_sid, request, call)
        request = None
        for verb in document.verbs:
            if isinstance(verb, v.Redirect):
                request = DocumentRequest(urljoin(url, verb.url), verb.method.upper(), first.params,
                                          purpose=first.purpose)
                break
            played = media_of(verb, url, env.settings)
            if played is None:
                log.warning("%s: <%s> does not play to a conference member (only Play, Say, Pause and Redirect "
                            "do); skipped", call_sid, type(verb).__name__)
                continue
            item, times = played
            media.extend([item] * min(times or MAX_REPEATS, MAX_REPEATS))
    return media
