"""A whole voice stack for end-to-end tests: the sandbox switch, a real `cpaas controller` and
`cpaas worker` (subprocesses), the product's database, and the API app in-process."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time

from sqlalchemy import select

from cpaas.models import Account, Call, Database
from cpaas.models.migrate import upgrade
from cpaas.services.phone_numbers import add_number
from tests.support.app import environ_for_tests, make_app, new_account
from tests.support.esl_client import RawEsl
from tests.support.sandbox import start_sandbox
from tests.support.servers import free_port, wait_for_port
from tests.support.worker import WorkerProcess


class ControllerProcess:
    def __init__(self, env: dict[str, str], port: int):
        self.log_path = os.path.join(env["DATA_DIR"], "controller.log")
        self._log = open(self.log_path, "w")
        self._proc = subprocess.Popen([sys.executable, "-m", "cpaas", "controller"], env={**os.environ, **env},
                                      stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, timeout=20)
        except TimeoutError:
            self.stop()
            raise RuntimeError("controller did not start:\n" + self.output()[-3000:]) from None

    def output(self) -> str:
        with open(self.log_path) as log:
            return log.read()

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._log.close()


class VoiceStack:
    def __init__(self, tmp_path, redis_url: str, speed: float = 10.0, **overrides):
        controller_port = free_port()
        self.sandbox = start_sandbox(controller=f"127.0.0.1:{controller_port}", speed=speed)
        self.env = environ_for_tests(tmp_path, redis_url, CONTROLLER_PORT=controller_port,
                                     SANDBOX_ESL_PORT=self.sandbox.port, WEBHOOK_TIMEOUT=3, **overrides)
        upgrade(self.env["DATABASE_URL"])
        self.worker = self.controller = None
        try:
            self.worker = WorkerProcess(self.env)
            self.controller = ControllerProcess(self.env, controller_port)
        except Exception:
            self.stop()
            raise
        self.app, self.database = make_app(_settings(self.env))
        self.esl = RawEsl(self.sandbox.host, self.sandbox.port, self.sandbox.password)

    def account(self, name: str = "Main"):
        return new_account(self.database, name)

    def number(self, account, e164: str, voice_url: str | None = None, **fields) -> None:
        """Give `account` the number `e164` whose calls fetch `voice_url` (and any other field)."""
        with self.database.session() as session:
            add_number(session, session.get(Account, account.sid), e164, voice_url=voice_url, **fields)

    def watch(self, *events: str) -> RawEsl:
        """An ESL connection to the switch subscribed to `events` (close it when done)."""
        watcher = RawEsl(self.sandbox.host, self.sandbox.port, self.sandbox.password)
        watcher.subscribe(*events)
        return watcher

    def inbound_call(self, from_: str, to: str, dtmf: str | None = None, hangup_after: str | None = None,
                     audio: str | None = None, say: str | None = None) -> str:
        args = f"--from {from_} --to {to}"
        if dtmf:
            args += f" --dtmf {dtmf}"
        if say:
            args += f" --say {shlex.quote(say)}"
        if hangup_after:
            args += f" --hangup-after {hangup_after}"
        if audio:
            args += f" --audio {audio}"
        reply = self.esl.api(f"sandbox_call {args}")
        assert reply.startswith("+OK"), reply
        return reply.split()[1]

    def wait_call(self, predicate, timeout: float = 20.0) -> Call:
        """The first call row matching predicate(call), polled until `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            with self.database.session() as session:
                for call in session.scalars(select(Call).order_by(Call.date_created)):
                    if predicate(call):
                        session.expunge(call)
                        return call
            if time.monotonic() > deadline:
                raise AssertionError("no matching call; controller log:\n" + self.controller.output()[-4000:])
            time.sleep(0.05)

    def finished_call(self, sid: str, timeout: float = 20.0) -> Call:
        return self.wait_call(lambda c: c.sid == sid and c.is_finished, timeout)

    def stop(self) -> None:
        for part in ("esl",):
            if getattr(self, part, None) is not None:
                self.esl.close()
        if self.controller is not None:
            self.controller.stop()
        if self.worker is not None:
            self.worker.stop()
        self.sandbox.stop()
        if getattr(self, "database", None) is not None:
            self.database.dispose()


def _settings(env):
    from cpaas.config import load_settings

    return load_settings(env, dotenv=None)


__all__ = ["VoiceStack", "Database"]


def twilio_client(server_url: str, creds):
    from twilio.rest import Client

    client = Client(creds.sid, creds.token)
    client.api.base_url = server_url
    return client
