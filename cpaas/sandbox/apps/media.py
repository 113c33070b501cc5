"""playback and speak: how long prompts last (tones, silence, TTS, WAV files and http(s) URLs)
and the PLAYBACK_START/STOP events around them.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import gevent

from cpaas.sandbox import audio
from cpaas.sandbox.apps import app

log = logging.getLogger("cpaas.sandbox.media")
HTTP_TIMEOUT = 10.0
_http_cache: dict[str, tuple[bytes, float]] = {}


@dataclass
class Prompt:
    path: str           # as given (Playback-File-Path)
    type: str | None    # Playback-File-Type: the stream module's prefix; absent for files
    kind: str           # audio.Source kind
    duration: float
    freq: float = 440.0
    pcm: bytes = b""


def resolve(spec: str) -> list[Prompt]:
    """The prompts a playback argument stands for; MediaError if one cannot be found."""
    spec = spec.strip()
    if spec.startswith("file_string://"):
        out = []
        for part in spec[len("file_string://"):].split("!"):
            if part:
                out += resolve(part)
        return out
    if spec.startswith("{") and "}" in spec:  # per-file variables: {var=x}path
        spec = spec[spec.index("}") + 1:]
    if spec.startswith("tone_stream://"):
        seconds, freq = audio.tone_duration(spec[len("tone_stream://"):])
        return [Prompt(spec, "tone_stream", "tone", seconds, freq)]
    if spec.startswith("silence_stream://"):
        ms = spec[len("silence_stream://"):].split(",")[0]
        try:
            value = int(ms)
        except ValueError:
            value = 0
        return [Prompt(spec, None, "silence", float("inf") if value < 0 else value / 1000.0)]
    if spec.startswith(("tts://", "say:")):
        text = spec.split("|")[-1] if "|" in spec else spec.split("://", 1)[-1]
        return [Prompt(spec, "tts", "speech", speech_seconds(text))]
    if spec.startswith("http_cache://"):
        spec = spec[len("http_cache://"):]
    if spec.startswith(("http://", "https://")):
        pcm, seconds = fetch(spec)
        return [Prompt(spec, "http", "pcm", seconds, pcm=pcm)]
    if spec.startswith("shout://"):
        pcm, seconds = fetch("http://" + spec[len("shout://"):])
        return [Prompt(spec, "shout", "pcm", seconds, pcm=pcm)]
    if not os.path.isfile(spec):
        raise audio.MediaError(f"file not found: {spec}")
    if spec.lower().endswith(".wav"):
        pcm, seconds = audio.wav_pcm(spec)
        return [Prompt(spec, None, "pcm", seconds, pcm=pcm)]
    with open(spec, "rb") as handle:
        data = handle.read()
    return [Prompt(spec, None, "speech", mp3_seconds(data))]


def speech_seconds(text: str) -> float:
    return max(0.5, len(text.strip()) * audio.SPEECH_SECONDS_PER_CHAR)


def mp3_seconds(data: bytes) -> float:
    """Duration of an MP3 from its first frame's bitrate (constant bitrate assumed)."""
    bitrates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0]
    start = 0
    if data[:3] == b"ID3" and len(data) > 10:
        start = 10 + ((data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F))
    for i in range(start, min(len(data) - 4, start + 4096)):
        if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0:
            kbps = bitrates[data[i + 2] >> 4]
            if kbps:
                return (len(data) - i) * 8 / (kbps * 1000.0)
    return len(data) * 8 / 128000.0


def _download(url: str) -> bytes:
    import urllib.request
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 (http(s) only)
        return response.read()


def fetch(url: str) -> tuple[bytes, float]:
    """GET the audio for real (in a worker thread: the caller may not be monkey-patched)."""
    if url in _http_cache:
        return _http_cache[url]
    try:
        data = gevent.get_hub().threadpool.apply(_download, (url,))
    except Exception as exc:  # any network or HTTP error is a file FreeSWITCH could not open
        raise audio.MediaError(f"{url}: {exc}") from None
    if data[:4] == b"RIFF":
        import io
        import wave
        try:
            with wave.open(io.BytesIO(data), "rb") as wav:
                frames = wav.readframes(wav.getnframes())
                rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
        except (wave.Error, EOFError) as exc:
            raise audio.MediaError(str(exc)) from None
        seconds = len(frames) / float(rate * width * channels) if rate else 0.0
        pcm = frames if (rate, width, channels) == (audio.RATE, 2, 1) else audio._resample(
            frames, rate, width, channels)
        result = (pcm, seconds)
    else:
        seconds = mp3_seconds(data)
        result = (b"", seconds)
    if len(_http_cache) > 256:
        _http_cache.clear()
    _http_cache[url] = result
    return result


def play_prompt(channel, prompt: Prompt, wake_on_dtmf=False, terminators: str = "", events: bool = True) -> str:
    """Play one prompt; returns done, break, hangup or dtmf (a digit arrived and may stop it)."""
    start = channel.switch.clock.now()
    channel.output = audio.Source(prompt.kind if prompt.kind != "pcm" or prompt.pcm else "speech",
                                  start, prompt.duration, prompt.freq, prompt.pcm)
    file_headers = [("Playback-File-Type", prompt.type)] if prompt.type else []
    file_headers.append(("Playback-File-Path", prompt.path))
    if events:
        channel.fire("PLAYBACK_START", post=file_headers)
    reason = channel.wait(prompt.duration, wake_on_dtmf=wake_on_dtmf)
    played = min(prompt.duration, channel.switch.clock.now() - start)
    channel.output = None
    ms = int(played * 1000)
    channel.set_var("playback_last_offset_pos", ms * 8)
    channel.set_var("playback_seconds", ms // 1000)
    channel.set_var("playback_ms", ms)
    channel.set_var("playback_samples", ms * 8)
    if events:
        status = "done" if reason in ("timeout", "dtmf") else "break"
        channel.fire("PLAYBACK_STOP", post=file_headers + [("Playback-Status", status)])
    return "done" if reason == "timeout" else reason


@app("playback")
def playback(channel, arg):
    try:
        prompts = resolve(arg)
    except audio.MediaError as exc:
        log.info("channel %s: %s", channel.uuid, exc)
        return "FILE NOT FOUND"
    terminators = channel.variables.get("playback_terminators", "")
    if terminators == "none":
        terminators = ""  # no key stops it (a speech gather's prompts)
    for prompt in prompts:
        outcome = play_prompt(channel, prompt, wake_on_dtmf=bool(terminators))
        if outcome == "hangup":
            return "PLAYBACK ERROR"
        if outcome == "dtmf":
            digit = channel.dtmf_buffer.popleft()
            if digit in terminators or terminators == "any":
                channel.set_var("playback_terminator_used", digit)
                return "FILE PLAYED"
        if outcome == "break":
            return "FILE PLAYED"
    return "FILE PLAYED"


@app("speak")
def speak(channel, arg):
    """speak engine|voice|text: no PLAYBACK events (mod_flite writes straight to the channel)."""
    text = arg.split("|", 2)[-1]
    prompt = Prompt(arg, "tts", "speech", speech_seconds(text))
    play_prompt(channel, prompt, events=False)


@app("endless_playback")
def endless_playback(channel, arg):
    try:
        prompts = resolve(arg)
    except audio.MediaError:
        return "FILE NOT FOUND"
    while not channel.hungup:
        for prompt in prompts:
            if play_prompt(channel, prompt) in ("hangup", "break"):
                return "FILE PLAYED"
    return "PLAYBACK ERROR"
