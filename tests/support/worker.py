"""A real `cpaas worker` process against the test database and Redis."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import redis
from rq import Worker


class WorkerProcess:
    def __init__(self, settings_env: dict[str, str]):
        env = {**os.environ, **settings_env, "PYTHONUNBUFFERED": "1"}
        # A file, not a pipe: a pipe nobody reads until stop() fills up (RQ logs every job) and then
        # blocks the worker, and every later webhook or SMS wait with it.
        self._output = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([sys.executable, "-m", "cpaas", "worker"], env=env,
                                      stdout=self._output, stderr=subprocess.STDOUT)
        connection = redis.Redis.from_url(settings_env["REDIS_URL"])
        deadline = time.monotonic() + 20
        while not Worker.all(connection=connection):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._proc.kill()
                raise RuntimeError("cpaas worker did not start: " + self._read()[-2000:])
            time.sleep(0.1)

    def stop(self) -> str:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        output = self._read()
        self._output.close()
        return output

    def _read(self) -> str:
        self._output.seek(0)
        return self._output.read().decode(errors="replace")
