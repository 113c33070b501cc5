"""The whole messaging stack on loopback: the API (live HTTP), a real `cpaas worker`, Redis, a webhook
server standing in for the user's app, and (for Kannel tests) a real Kannel with fakesmsc.

One stack per test module (starting a worker and Kannel per test would cost seconds each);
tests in a module use distinct numbers so they do not see each other's messages.
"""
from __future__ import annotations

import time

import pytest
import redis
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from cpaas.api.gateways import install_registry
from cpaas.config import load_settings
from cpaas.messaging.gateways.registry import GatewayRegistry
from cpaas.models import Message
from tests.api.conftest import twilio_client
from tests.support.app import environ_for_tests, make_app, new_account
from tests.support.live_server import LiveServer
from tests.support.webhook_server import WebhookServer
from tests.support.worker import WorkerProcess

# Small retry intervals: three attempts ~0.2 s apart (plus RQ's 1 s scheduler tick).
FAST = {"SMS_SEND_ATTEMPTS": "3", "SMS_RETRY_BASE_DELAY": "0.2", "SMS_RETRY_MAX_DELAY": "0.5",
        "SMS_GATEWAY_SANDBOX_DELAY": "0.1", "SMS_RATE_LIMIT": "100000/hour", "API_RATE_LIMIT": "100000/hour"}


class SmsStack:
    def __init__(self, tmp_path, redis_url: str, **overrides):
        redis.Redis.from_url(redis_url).flushall()
        self.env = environ_for_tests(tmp_path, redis_url, **{**FAST, **overrides})
        self.app, self.database = make_app(load_settings(self.env, dotenv=None))
        self.server = LiveServer(self.app)
        # Gateways call back (DLR, get-url) to the live server, so its URL is the public one.
        self.env["PUBLIC_BASE_URL"] = self.server.url
        self.registry = GatewayRegistry.from_environ(self.env, self.server.url)
        install_registry(self.app, self.registry)
        self.webhooks = WebhookServer()
        self.account = new_account(self.database, "Messaging")
        self.client = twilio_client(self.server, self.account.sid, self.account.token)
        self.redis = redis.Redis.from_url(redis_url)
        self.worker: WorkerProcess | None = None

    def start_worker(self) -> "SmsStack":
        self.worker = WorkerProcess(self.env)
        return self

    def add_number(self, number: str, **fields):
        return self.client.incoming_phone_numbers.create(phone_number=number, **fields)

    def wait_for_status(self, sid: str, statuses: tuple[str, ...], timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while True:
            message = self.client.messages(sid).fetch()
            if message.status in statuses:
                return message
            if time.monotonic() > deadline:
                raise AssertionError(f"{sid} is {message.status}, expected one of {statuses}{self.worker_log()}")
            time.sleep(0.1)

    def callbacks_for(self, path: str, sid: str, count: int | None = None, until: str | None = None,
                      timeout: float = 15.0):
        """The status callbacks about `sid`: the first `count`, or all up to the one saying `until`;
        each is checked to be signed with the account's token."""
        deadline = time.monotonic() + timeout
        while True:
            got = [r for r in self.webhooks.received(path) if r.form.get("MessageSid") == sid]
            statuses = [r.form.get("MessageStatus") for r in got]
            if until in statuses:
                got = got[:statuses.index(until) + 1]
                break
            if count is not None and len(got) >= count:
                got = got[:count]
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(got)}/{count} callbacks for {sid}: {[r.form for r in got]}"
                                     f"{self.worker_log()}")
            time.sleep(0.05)
        validator = RequestValidator(self.account.token)
        for request in got:
            assert validator.validate(request.url, request.form, request.headers["X-Twilio-Signature"])
        return got

    def request_to(self, path: str, predicate, timeout: float = 15.0):
        """The first request the user's app received on `path` that matches `predicate`."""
        deadline = time.monotonic() + timeout
        while not (matching := [r for r in self.webhooks.received(path) if predicate(r)]):
            assert time.monotonic() < deadline, f"no matching request on {path}{self.worker_log()}"
            time.sleep(0.05)
        return matching[0]

    def rows(self, **where) -> list[Message]:
        with self.database.session() as session:
            query = select(Message).filter_by(**where).order_by(Message.date_created)
            return list(session.scalars(query))

    def worker_log(self) -> str:
        return "" if self.worker is None else "\n(worker still running; its log is printed at teardown)"

    def stop(self) -> None:
        if self.worker is not None:
            log = self.worker.stop()
            print("---- worker log (tail) ----\n" + log[-6000:])
        self.webhooks.stop()
        self.server.stop()
        self.database.dispose()


@pytest.fixture(scope="module")
def stack_factory(tmp_path_factory, redis_server):
    stacks = []

    def make(**overrides) -> SmsStack:
        stack = SmsStack(tmp_path_factory.mktemp("sms"), redis_server.url, **overrides)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop()
