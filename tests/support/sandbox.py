"""Run a sandbox switch (FreeSWITCH stand-in) for a test, in its own process.

    from tests.support.sandbox import start_sandbox
    sb = start_sandbox(controller="127.0.0.1:8084", speed=20)
    ... connect an ESL client to sb.host, sb.port with sb.password ...
    sb.stop()

or as a context manager (`with start_sandbox(...) as sb:`), or the `sandbox_switch` fixture
(import it into your conftest.py; it reads the `sandbox_controller` and `sandbox_speed`
fixtures if you define them). A subprocess keeps gevent's monkey-patching out of your test process.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class SandboxProcess:
    def __init__(self, controller: str = "127.0.0.1:8084", speed: float = 1.0, password: str = "ClueCon",
                 host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 10.0):
        self.host = host
        self.password = password
        self.controller = controller
        self.speed = speed
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "cpaas.sandbox", "--host", host, "--port", str(port), "--password", password,
             "--controller", controller, "--speed", str(speed),
             "--log-level", os.environ.get("SANDBOX_LOG_LEVEL", "INFO")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(ROOT))
        self.port = self._read_port(startup_timeout)
        self.log_lines: list[str] = []
        # Drain stderr so a chatty sandbox never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _read_port(self, timeout: float) -> int:
        result: dict = {}

        def read():
            line = self._proc.stdout.readline().decode()
            result["line"] = line
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        line = result.get("line", "")
        if not line.startswith("sandbox listening"):
            self._proc.kill()
            err = self._proc.stderr.read().decode()[-2000:]
            raise RuntimeError(f"sandbox switch did not start: {line!r} {err}")
        return int(line.rsplit(":", 1)[1])

    def _drain(self) -> None:
        for raw in self._proc.stderr:
            self.log_lines.append(raw.decode(errors="replace").rstrip())
            if len(self.log_lines) > 5000:
                del self.log_lines[:1000]

    @property
    def url(self) -> str:
        """As FREESWITCH_NODES takes it."""
        return f"esl://:{self.password}@{self.host}:{self.port}"

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_sandbox(controller: str = "127.0.0.1:8084", speed: float = 1.0, password: str = "ClueCon",
                  port: int = 0) -> SandboxProcess:
    """A running sandbox switch on a free loopback port."""
    return SandboxProcess(controller=controller, speed=speed, password=password, port=port)


@pytest.fixture
def sandbox_switch(request):
    controller = (request.getfixturevalue("sandbox_controller")
                  if "sandbox_controller" in request.fixturenames else "127.0.0.1:8084")
    speed = request.getfixturevalue("sandbox_speed") if "sandbox_speed" in request.fixturenames else 1.0
    sb = start_sandbox(controller=controller, speed=speed)
    yield sb
    sb.stop()
