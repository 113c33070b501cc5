"""The API on a live loopback server, with local or S3 storage, and the storing job run in-process."""
from __future__ import annotations

from twilio.rest import Client

from cpaas.jobs import context
from cpaas.jobs.context import JobContext
from cpaas.jobs.recordings import store
from tests.recordings.rows import processing_recording
from tests.support.app import make_app, new_account, settings_for_tests
from tests.support.live_server import LiveServer


class ApiStack:
    def __init__(self, tmp_path, redis_url, s3_server, backend: str, **overrides):
        self.bucket = None
        if backend == "s3":
            self.bucket = s3_server.new_bucket()
            overrides = {"STORAGE_BACKEND": "s3", "S3_BUCKET": self.bucket, "S3_ENDPOINT_URL": s3_server.url,
                         "S3_REGION": "us-east-1", **overrides}
        self.s3 = s3_server
        self.settings = settings_for_tests(tmp_path, redis_url, **overrides)
        self.app, self.database = make_app(self.settings)
        self.server = LiveServer(self.app)
        self.url = self.server.url

    def account(self, name: str = "Main"):
        return new_account(self.database, name)

    def client(self, account) -> Client:
        client = Client(account.sid, account.token)
        client.api.base_url = self.url
        return client

    def recording(self, account, seconds: float = 3.0, **fields) -> str:
        return processing_recording(self.database, self.settings, account.sid, seconds, **fields)

    def store(self, sid: str) -> dict:
        """What the worker does, run here: the same job function, without RQ around it."""
        context.use(JobContext(self.settings))
        try:
            return store(sid)
        finally:
            context.use(None)

    def media(self, account_sid: str, sid: str, ext: str = ".wav") -> str:
        return f"{self.url}/2010-04-01/Accounts/{account_sid}/Recordings/{sid}{ext}"

    def stored_keys(self) -> list[str]:
        """Stored objects, named by their keys (without the bucket's prefix)."""
        if self.bucket:
            prefix = self.settings.s3_prefix
            keys = self.s3.keys(self.bucket)
            assert all(key.startswith(prefix) for key in keys)
            return [key[len(prefix):] for key in keys]
        root = self.settings.recordings_dir
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def stop(self) -> None:
        self.server.stop()
        self.database.dispose()
