"""Where recordings live: a local folder by default, or S3 / any S3-protocol store through boto3."""
from __future__ import annotations

from cpaas.config import Settings
from cpaas.storage.base import ObjectNotFound, Storage, StorageError, StoredObject
from cpaas.storage.local import LocalStorage
from cpaas.storage.options import StorageOptions, storage_options
from cpaas.storage.s3 import S3Storage


def storage_for(settings: Settings) -> Storage:
    """The backend STORAGE_BACKEND names, configured from the settings."""
    if settings.storage_backend == "s3":
        return S3Storage(settings.s3_bucket, settings.s3_prefix, settings.s3_endpoint_url, settings.s3_region)
    return LocalStorage(settings.recordings_dir)


__all__ = ["LocalStorage", "ObjectNotFound", "S3Storage", "Storage", "StorageError", "StorageOptions",
           "StoredObject", "storage_for", "storage_options"]
