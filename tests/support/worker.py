"""A real `cpaas worker` process against the test database and Redis."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import redis
from rq import Worker


class WorkerProcess:
    def __init__(self, settings_env: dict[str, str]):
        env = {**os.environ, **settings_env, "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen([sys.executable, "-m", "cpaas", "worker"], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        connection = redis.Redis.from_url(settings_env["REDIS_URL"])
        deadline = time.monotonic() + 20
        while not Worker.all(connection=connection):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("cpaas worker did not start: " + self._proc.stdout.read().decode()[-2000:])
            time.sleep(0.1)

    def stop(self) -> str:
        self._proc.terminate()
        try:
            out, _ = self._proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            out, _ = self._proc.communicate()
        return out.decode(errors="replace")
