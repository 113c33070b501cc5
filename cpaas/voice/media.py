"""FreeSWITCH file strings for what a call plays (TTS, URLs through http_cache, silence, prompts), and
quoting of application arguments."""
from __future__ import annotations

from dataclasses import dataclass

from cpaas.config import Settings


@dataclass(frozen=True)
class Speech:
    text: str
    voice: str  # the engine's voice (kal, slt, ...)
    engine: str


@dataclass(frozen=True)
class Audio:
    url: str  # http(s) URL or a local path


@dataclass(frozen=True)
class Silence:
    seconds: float


Media = Speech | Audio | Silence


def engine_voice(voices: dict, requested: str) -> str:
    """Twilio voice name ('man', 'Polly.Joanna', ...) -> the TTS engine's voice."""
    return voices.get(requested) or voices.get(requested.lower()) or voices.get("*", "kal")


def spoken(settings: Settings, text: str, voice: str) -> Speech:
    """`text` in the configured TTS engine, with the engine's voice for the requested one."""
    return Speech(text, engine_voice(settings.tts_voices, voice), settings.tts_engine)


def file_of(media: Media) -> str:
    """One file for playback / play_and_get_digits."""
    if isinstance(media, Speech):
        # '|' separates engine, voice and text; '!' separates the parts of a file_string.
        text = " ".join(media.text.replace("|", " ").replace("!", ".").split())
        return f"tts://{media.engine}|{media.voice}|{text}"
    if isinstance(media, Silence):
        return f"silence_stream://{int(media.seconds * 1000)}"
    if media.url.startswith(("http://", "https://")):
        return "http_cache://" + media.url  # fetched once, cached by FreeSWITCH's mod_http_cache
    return media.url


def file_string(items: list[Media]) -> str:
    """Several media as one file, so a gather can be barged into across all of them."""
    files = [file_of(m) for m in items]
    if not files:
        return "silence_stream://1"
    return files[0] if len(files) == 1 else "file_string://" + "!".join(files)


def quote_argument(text: str) -> str:
    """One blank-split application argument (FreeSWITCH's switch_separate_string): single-quoted,
    with quotes and backslashes escaped, so TTS text with spaces stays one argument."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
