"""Storage settings that cpaas.config does not carry, read from the environment with the same
one-line errors that name the variable."""
from __future__ import annotations

import os
from dataclasses import dataclass

from cpaas.config import SettingsError

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


@dataclass(frozen=True)
class StorageOptions:
    #: RECORDING_MEDIA_REDIRECT: answer media requests with a redirect to a presigned URL (S3 only)
    #: instead of streaming the object through the API.
    media_redirect: bool = False
    #: RECORDING_URL_EXPIRES: lifetime in seconds of those presigned URLs.
    url_expires: int = 300
    #: RECORDING_UPLOAD_RETRY_INTERVALS: seconds between attempts to store a recording; the count is the
    #: retry limit, after which the recording is `failed` and its file stays where the engine wrote it.
    upload_retry_intervals: tuple[int, ...] = (10, 30, 120, 600, 1800)


def storage_options(environ: dict | None = None) -> StorageOptions:
    env = os.environ if environ is None else environ
    defaults = StorageOptions()
    return StorageOptions(
        media_redirect=_bool(env, "RECORDING_MEDIA_REDIRECT", defaults.media_redirect),
        url_expires=_int(env, "RECORDING_URL_EXPIRES", defaults.url_expires, 1, 7 * 86400),
        upload_retry_intervals=_ints(env, "RECORDING_UPLOAD_RETRY_INTERVALS", defaults.upload_retry_intervals),
    )


def _raw(env, name: str) -> str | None:
    value = env.get(name)
    return None if value is None or not value.strip() else value.strip()


def _bool(env, name: str, default: bool) -> bool:
    raw = _raw(env, name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise SettingsError(f"{name}: {raw!r} is not true or false")


def _int(env, name: str, default: int, lo: int, hi: int) -> int:
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name}: {value} is outside {lo}..{hi}")
    return value


def _ints(env, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = _raw(env, name)
    if raw is None:
        return default
    try:
        values = tuple(int(part) for part in raw.replace(",", " ").split())
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a list of whole numbers") from None
    if not all(0 <= v <= 86400 for v in values):
        raise SettingsError(f"{name}: every value must be within 0..86400")
    return values
