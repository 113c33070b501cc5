"""What a channel plays or hears, as far as the sandbox needs: how long a prompt lasts, whether a
stretch of audio is silence, and real 8 kHz 16-bit mono PCM for recordings.
"""
from __future__ import annotations

import math
import os
import re
import struct
import wave
from dataclasses import dataclass

RATE = 8000
SPEECH_SECONDS_PER_CHAR = 0.065   # flite speaks roughly 15 characters a second


@dataclass
class Source:
    """Audio a channel sends from `start` (simulated seconds): a tone, silence, speech or samples."""

    kind: str                  # "tone" | "silence" | "speech" | "pcm"
    start: float
    duration: float            # float("inf") for endless
    freq: float = 440.0
    pcm: bytes = b""

    def active(self, at: float) -> bool:
        return self.start <= at < self.start + self.duration

    def is_silent(self, at: float) -> bool:
        return not self.active(at) or self.kind == "silence"

    def samples(self, at: float, count: int) -> bytes:
        """`count` samples from simulated time `at` (silence outside the source)."""
        if self.kind == "silence" or not self.active(at):
            return b"\x00\x00" * count
        offset = int((at - self.start) * RATE)
        if self.kind == "pcm":
            chunk = self.pcm[offset * 2:(offset + count) * 2]
            return chunk + b"\x00\x00" * (count - len(chunk) // 2)
        freq = self.freq if self.kind == "tone" else 180.0
        amp = 8000 if self.kind == "tone" else 5000
        return struct.pack(f"<{count}h", *(int(amp * math.sin(2 * math.pi * freq * (offset + i) / RATE))
                                           for i in range(count)))


class MediaError(Exception):
    """A prompt that cannot be played: FreeSWITCH answers FILE NOT FOUND."""


_TONE = re.compile(r"%\(([^)]*)\)")


def tone_duration(spec: str) -> tuple[float, float]:
    """tone_stream://%(on,off,freq[,freq]);loops=N -> (seconds, first frequency)."""
    body, _, options = spec.partition(";")
    loops = 1
    match = re.search(r"loops=(-?\d+)", options)
    if match:
        loops = int(match.group(1))
    total_ms = 0
    freq = 440.0
    for segment in _TONE.findall(body):
        parts = [p for p in segment.split(",") if p.strip()]
        if len(parts) >= 2:
            total_ms += float(parts[0]) + float(parts[1])
        if len(parts) >= 3:
            try:
                freq = float(parts[2])
            except ValueError:
                pass
    if not _TONE.findall(body):
        total_ms = 1000
    if loops < 0:
        return float("inf"), freq
    return total_ms * max(loops, 1) / 1000.0, freq


def wav_pcm(path: str) -> tuple[bytes, float]:
    """PCM (converted to 8 kHz 16-bit mono) and duration of a WAV file."""
    try:
        with wave.open(path, "rb") as wav:
            frames = wav.readframes(wav.getnframes())
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
    except (wave.Error, EOFError) as exc:
        raise MediaError(str(exc)) from None
    duration = len(frames) / float(rate * width * channels) if rate else 0.0
    if width == 2 and channels == 1 and rate == RATE:
        return frames, duration
    return _resample(frames, rate, width, channels), duration


def _resample(frames: bytes, rate: int, width: int, channels: int) -> bytes:
    count = len(frames) // (width * channels)
    out = []
    step = rate / RATE
    i = 0.0
    while int(i) < count:
        base = int(i) * width * channels
        if width == 2:
            value = struct.unpack_from("<h", frames, base)[0]
        elif width == 1:
            value = (frames[base] - 128) << 8
        else:
            value = int.from_bytes(frames[base:base + width], "little", signed=True) >> (8 * (width - 2))
        out.append(value)
        i += step
    return struct.pack(f"<{len(out)}h", *out)


def write_wav(path: str, pcm: bytes) -> None:
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with wave.open(path, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm)
