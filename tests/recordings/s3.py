"""A real S3-protocol server for the tests: moto's server on a loopback port, spoken to over HTTP."""
from __future__ import annotations

import uuid

import boto3
from moto.server import ThreadedMotoServer

#: Credentials moto accepts; the product finds them through boto3's standard chain (the environment).
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


class S3Server:
    def __init__(self):
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"

        self._client = None

    def client(self):
        """The tests' own view of the bucket (one client: making one costs ~0.2 s)."""
        if self._client is None:
            session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                            region_name="us-east-1")
            self._client = session.client("s3", endpoint_url=self.url)
        return self._client

    def new_bucket(self) -> str:
        name = f"recordings-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def stop(self) -> None:
        self._server.stop()
