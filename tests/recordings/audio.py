"""Audio for the recording tests: WAV fixtures made with `wave`, and a strict walk over MP3 frames."""
from __future__ import annotations

import math
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

RATE = 8000


def write_wav(path: Path, seconds: float, rate: int = RATE, tone_hz: float = 440.0) -> Path:
    """16-bit PCM mono: a tone of exactly `seconds` (what the voice engine writes)."""
    frames = round(seconds * rate)
    samples = (int(9000 * math.sin(2 * math.pi * tone_hz * i / rate)) for i in range(frames))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


@dataclass
class WavFacts:
    rate: int
    channels: int
    width: int
    seconds: float


def wav_facts(data: bytes, tmp_path: Path) -> WavFacts:
    path = tmp_path / "downloaded.wav"
    path.write_bytes(data)
    with wave.open(str(path), "rb") as wav:
        return WavFacts(wav.getframerate(), wav.getnchannels(), wav.getsampwidth(),
                        wav.getnframes() / wav.getframerate())


# MPEG audio Layer III tables (ISO/IEC 11172-3 and 13818-3), indexed by the header's fields.
_BITRATES = {1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
             2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


@dataclass
class Mp3Facts:
    frames: int
    rate: int
    channels: int

    @property
    def seconds(self) -> float:
        return self.frames * (1152 if self.rate >= 32000 else 576) / self.rate


def mp3_facts(data: bytes) -> Mp3Facts:
    """Walk every Layer III frame from the first byte to the last; any gap or bad header fails."""
    offset = 0
    if data[:3] == b"ID3":
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        offset = 10 + size
    frames, rate, channels = 0, None, None
    while offset < len(data):
        assert offset + 4 <= len(data), f"truncated frame header at byte {offset}"
        header = int.from_bytes(data[offset:offset + 4], "big")
        assert header >> 21 == 0x7FF, f"no frame sync at byte {offset}"
        version, layer = header >> 19 & 3, header >> 17 & 3
        assert version != 1 and layer == 1, f"not MPEG Layer III at byte {offset}"
        bitrate = _BITRATES[1 if version == 3 else 2][header >> 12 & 15] * 1000
        frame_rate = _RATES[version][header >> 10 & 3]
        assert bitrate, f"free or bad bitrate at byte {offset}"
        assert rate in (None, frame_rate), "sample rate changes mid-stream"
        rate, channels = frame_rate, 1 if header >> 6 & 3 == 3 else 2
        offset += (144 if version == 3 else 72) * bitrate // frame_rate + (header >> 9 & 1)
        frames += 1
    assert offset == len(data), "the last frame runs past the end of the file"
    assert frames, "no MP3 frames"
    return Mp3Facts(frames, rate, channels)


def assert_mp3_lasts(data: bytes, seconds: float) -> Mp3Facts:
    facts = mp3_facts(data)
    assert facts.rate == RATE and facts.channels == 1
    # LAME adds its encoder delay and pads the last frame: at most ~0.25 s at 8 kHz, never less audio.
    assert seconds <= facts.seconds <= seconds + 0.3, facts.seconds
    return facts
