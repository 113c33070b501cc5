"""Storage settings that cpaas.config does not carry, read from the environment with the same
one-line errors that name the variable."""
from __future__ import annotations

from dataclasses import dataclass

from cpaas.config import _Reader, merged_environ


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


def storage_options(environ: dict | None = None, dotenv: str | None = ".env") -> StorageOptions:
    """Read from the same place as every other setting (the environment over `.env`)."""
    env = _Reader(merged_environ(environ, dotenv))
    defaults = StorageOptions()
    return StorageOptions(
        media_redirect=env.boolean("RECORDING_MEDIA_REDIRECT", defaults.media_redirect),
        url_expires=env.int("RECORDING_URL_EXPIRES", defaults.url_expires, 1, 7 * 86400),
        upload_retry_intervals=env.int_list("RECORDING_UPLOAD_RETRY_INTERVALS", defaults.upload_retry_intervals,
                                            0, 86400),
    )
