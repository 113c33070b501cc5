"""Real servers for tests: each binds 127.0.0.1 on a free port and stops when the test session ends."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


class RedisServer:
    """A throw-away redis-server (no persistence) on a free loopback port."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is not installed; scripts/test installs it (apt-get install redis-server)")
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="cpaas-redis-")
        self._proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", self._dir.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        self._dir.cleanup()


class PostgresServer:
    """A throw-away PostgreSQL cluster (Debian's postgresql) on a free loopback port.

    It runs with fsync off: the cluster lives for one test session or one benchmark."""

    def __init__(self):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_of_bin)
        if not binaries:
            raise RuntimeError("PostgreSQL is not installed; scripts/test installs it (apt-get install postgresql)")
        self._bin = Path(binaries[-1]).parent
        # initdb refuses to run as root: the cluster then belongs to the postgres user.
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self._dir = tempfile.TemporaryDirectory(prefix="cpaas-pg-")
        self._data = Path(self._dir.name) / "data"
        if self._as_owner:
            shutil.chown(self._dir.name, "postgres")
        self.port = free_port()
        self._run("initdb", "-D", str(self._data), "-A", "trust", "-U", "cpaas", "-E", "UTF8")
        self._run("pg_ctl", "-D", str(self._data), "-l", str(self._data / "log"), "-w", "-o",
                  f"-h 127.0.0.1 -p {self.port} -k {self._data} -c fsync=off", "start")
        self._databases = 0

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(self._as_owner + [str(self._bin / program), *args], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        import psycopg

        self._databases += 1
        name = f"test_{self._databases}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=cpaas dbname=postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://cpaas@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop")
        self._dir.cleanup()


def _version_of_bin(path: str) -> int:
    return int(Path(path).parent.parent.name)
