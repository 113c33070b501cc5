"""<Conference waitUrl>: what a participant who cannot start the conference hears until it starts.

mod_conference plays a file to one member alone (`conference <name> play <file> <member>`) and
says when it has played out (play-file-member-done, which the node listener passes on through
cpaas.voice.members). The waitUrl is used as Twilio does: an audio reply loops; a TwiML reply plays
through once, with <Play>, <Say>, <Pause> and <Redirect> (to another wait document). The moment
the conference starts, what is playing is stopped (`conference <name> stop all <member>`).
waitUrl="" is silence; without a waitUrl the conference profile's own music, if any, plays.
"""
from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import gevent
from gevent.event import Event

from cpaas.switch.errors import EslError
from cpaas.voice import members
from cpaas.voice.media import Audio, Media
from cpaas.voice.twiml import verbs as v
from cpaas.voice.twiml.fetch import DocumentRequest, FetchFailure
from cpaas.voice.twiml.member_audio import media_of
from cpaas.voice.twiml.tasks.media import UNTIL_HANGUP

log = logging.getLogger("cpaas.voice")
PURPOSE = "conference-wait-url"
_MAX_DOCUMENTS = 100  # a <Redirect> loop between wait documents ends here


def start(flow, noun: v.Conference, conference_sid: str) -> "WaitMusic | None":
    """The participant's wait music, listening for its member's events; None when there is none
    to play (it starts the conference itself, or waits in silence)."""
    if noun.start_conference_on_enter or not noun.wait_url:
        return None
    first = DocumentRequest(flow.absolute(noun.wait_url), noun.wait_method.upper(), purpose=PURPOSE)
    music = WaitMusic(flow, conference_sid, first)
    members.watch(flow.session.uuid, music)
    return music


def _is_audio(document: v.Document, url: str) -> bool:
    """The fetcher turns an audio reply into a document playing the URL it came from (with the
    request's parameters when the method is GET)."""
    verbs = document.verbs
    return (len(verbs) == 1 and isinstance(verbs[0], v.Play) and bool(verbs[0].url)
            and urlsplit(verbs[0].url)[:3] == urlsplit(url)[:3])


class WaitMusic:
    def __init__(self, flow, conference_sid: str, first: DocumentRequest):
        self.flow = flow
        self.call_sid = flow.call_sid
        self.conference_sid = conference_sid
        self.first = first
        self.member_id: str | None = None
        self.stopped = False
        self.playing = False
        self._done = Event()

    # ---- from the node listener (cpaas.voice.members) --------------------------------------

    def joined(self, member_id: str, started: bool) -> None:
        if self.stopped or started:
            self.stopped = True  # it joined a conference already under way: nothing to wait for
            return
        self.member_id = member_id
        gevent.spawn(self._run)

    def file_done(self) -> None:
        self._done.set()

    def stop(self, silently: bool = False) -> None:
        if self.stopped:
            return
        self.stopped = True
        self._done.set()
        if self.playing and not silently:
            gevent.spawn(self._stop_playing)

    def close(self) -> None:
        """The participant's conference application ended."""
        members.unwatch(self.flow.session.uuid)
        self.stop(silently=True)

    # ---- the player ----------------------------------------------------------------------------

    def _run(self) -> None:
        source = self.first
        try:
            for _ in range(_MAX_DOCUMENTS):
                if source is None or self.stopped:
                    return
                source = self._play_document(source)
        except EslError as exc:  # the call's socket is gone, and its member with it
            log.info("%s: wait music ended: %s", self.call_sid, exc)

    def _play_document(self, source: DocumentRequest) -> DocumentRequest | None:
        """Plays one wait document; returns the one it redirects to, if any."""
        try:
            document, url = self.flow.fetch(source)
        except FetchFailure as exc:
            log.warning("%s: waitUrl error %d: %s; waiting in silence", self.call_sid, exc.code, exc.message)
            return None
        for warning in document.warnings:
            log.warning("%s: TwiML warning %d from %s: %s", self.call_sid, warning.code, url, warning.message)
        if _is_audio(document, url):  # it loops, played from the waitUrl itself
            for _ in range(UNTIL_HANGUP):
                if not self._play(Audio(url)):
                    break
            return None
        for verb in document.verbs:
            if self.stopped:
                return None
            if isinstance(verb, v.Redirect):
                return DocumentRequest(urljoin(url, verb.url), verb.method.upper(), purpose=PURPOSE)
            self._play_verb(verb, url)
        return None

    def _play_verb(self, verb, base: str) -> None:
        played = media_of(verb, base, self.flow.env.settings)
        if played is None:
            log.warning("%s: <%s> does not play while waiting for a conference (only Play, Say, Pause and "
                        "Redirect do); skipped", self.call_sid, type(verb).__name__)
            return
        media, times = played
        for _ in range(times or UNTIL_HANGUP):
            if not self._play(media):
                return

    def _play(self, media: Media) -> bool:
        """Play `media` to the member to its end; False when stopped or it could not be played."""
        if self.stopped:
            return False
        self._done.clear()
        self.playing = True
        try:
            if not self.flow.session.play_to_member(self.conference_sid, self.member_id, media):
                return False
            self._done.wait()
        finally:
            self.playing = False
        return not self.stopped

    def _stop_playing(self) -> None:
        try:
            self.flow.session.stop_member_files(self.conference_sid, self.member_id)
        except EslError:
            return  # gone already, and what played to it with it
        log.info("%s: conference %s started; wait music stopped", self.call_sid, self.conference_sid)
