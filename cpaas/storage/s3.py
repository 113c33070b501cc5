"""Amazon S3 or any S3-protocol store (MinIO, Ceph, …) through boto3.

Credentials come from boto3's standard chain (environment, shared files, instance roles), never from
our settings, so operators manage them the way they manage every other AWS client.
"""
from __future__ import annotations

from pathlib import Path

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cpaas.storage.base import ObjectNotFound, Storage, StorageError, StoredObject, check_key

_CHUNK = 64 * 1024
_MISSING = ("404", "NoSuchKey", "NotFound")


class S3Storage(Storage):
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, region: str | None = None,
                 session: boto3.session.Session | None = None):
        self.bucket = bucket
        self.prefix = prefix
        # Short timeouts and few botocore retries: the storing job has its own, spaced-out retries.
        config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"},
                        signature_version="s3v4")
        self.client = (session or boto3.session.Session()).client("s3", endpoint_url=endpoint_url,
                                                                  region_name=region, config=config)

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def save(self, key: str, source: Path, content_type: str) -> None:
        name = self.object_key(key)
        try:
            size = source.stat().st_size
            self.client.upload_file(str(source), self.bucket, name, ExtraArgs={"ContentType": content_type},
                                    Config=TransferConfig(use_threads=False))
            stored = self.client.head_object(Bucket=self.bucket, Key=name)["ContentLength"]
        except (OSError, Boto3Error, BotoCoreError, ClientError) as exc:
            raise StorageError(f"upload of {key} to s3://{self.bucket}/{name} failed: {exc}") from exc
        if stored != size:
            raise StorageError(f"s3://{self.bucket}/{name} holds {stored} bytes, expected {size}")
        # Only now, with the object confirmed, does the local copy go.
        source.unlink(missing_ok=True)

    def open(self, key: str, byte_range: str | None = None) -> StoredObject:
        name = self.object_key(key)
        try:
            response = self._get(name, byte_range)
        except ClientError as exc:
            if _missing(exc):
                raise ObjectNotFound(key) from None
            raise StorageError(f"could not read s3://{self.bucket}/{name}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"could not read s3://{self.bucket}/{name}: {exc}") from exc
        return StoredObject(response["Body"].iter_chunks(_CHUNK), response.get("ContentLength"),
                            response.get("ContentType") or "application/octet-stream",
                            response.get("ContentRange") if byte_range else None)

    def _get(self, name: str, byte_range: str | None) -> dict:
        if byte_range and "," not in byte_range:
            try:
                return self.client.get_object(Bucket=self.bucket, Key=name, Range=byte_range)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "InvalidRange":
                    raise
        return self.client.get_object(Bucket=self.bucket, Key=name)  # no range, or one S3 cannot satisfy

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not delete {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
            return True
        except ClientError as exc:
            if _missing(exc):
                return False
            raise StorageError(f"could not look up {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"could not look up {key}: {exc}") from exc

    def presigned_url(self, key: str, expires_in: int) -> str | None:
        return self.client.generate_presigned_url("get_object", ExpiresIn=expires_in,
                                                  Params={"Bucket": self.bucket, "Key": self.object_key(key)})


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING
