"""Recorded audio: checking the engine's PCM WAV and encoding its MP3 rendition with LAME (lameenc)."""
from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import lameenc

#: Samples per read while encoding: about a second of 8 kHz audio, so memory stays flat for long calls.
_FRAMES_PER_READ = 8192


class InvalidAudio(Exception):
    """Not a 16-bit PCM WAV of one or two channels (the only input LAME takes here)."""


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def wav_info(path: Path) -> WavInfo:
    with _open_pcm16(path) as reader:
        return WavInfo(reader.getframerate(), reader.getnchannels(), reader.getnframes())


def mp3_chunks(path: Path) -> Iterator[bytes]:
    """The WAV at `path` as constant-bitrate MP3, produced as it is read (usable as an HTTP stream).
    The file is checked before the first chunk, so a bad file fails before any byte is sent."""
    reader = _open_pcm16(path)
    encoder = _encoder(reader.getframerate(), reader.getnchannels())
    return _encode(reader, encoder)


def write_mp3(wav_path: Path, mp3_path: Path) -> None:
    with mp3_path.open("wb") as out:
        for chunk in mp3_chunks(wav_path):
            out.write(chunk)


def _encode(reader: wave.Wave_read, encoder: lameenc.Encoder) -> Iterator[bytes]:
    with reader:
        while frames := reader.readframes(_FRAMES_PER_READ):
            if data := encoder.encode(frames):
                yield bytes(data)
        if tail := encoder.flush():
            yield bytes(tail)


def _encoder(sample_rate: int, channels: int) -> lameenc.Encoder:
    encoder = lameenc.Encoder()
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(channels)
    # 32 kbit/s per channel is transparent for narrowband telephone audio and keeps files small.
    encoder.set_bit_rate(32 * channels)
    encoder.set_quality(2)
    encoder.silence()
    return encoder


def _open_pcm16(path: Path) -> wave.Wave_read:
    try:
        reader = wave.open(str(path), "rb")
    except (wave.Error, EOFError) as exc:
        raise InvalidAudio(f"{path.name}: not a PCM WAV file ({exc})") from None
    if reader.getsampwidth() != 2 or reader.getnchannels() not in (1, 2):
        reader.close()
        raise InvalidAudio(f"{path.name}: expected 16-bit PCM, mono or stereo")
    return reader
