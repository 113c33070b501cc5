"""The controller's side of the call queue: dial queued calls within each account's limits, and
carry out commands for calls on this controller's nodes (see services/call_queue.py)."""
from __future__ import annotations

import json
import logging
import time
import uuid

import gevent
import redis
from sqlalchemy import func, select

from cpaas.models import Call
from cpaas.models.calls import TERMINAL
from cpaas.services.call_queue import ACCOUNTS, WAKE, commands_key, queue_key
from cpaas.services.errors import InvalidParameter
from cpaas.switch.errors import EslError
from cpaas.switch.originate import Endpoint, OriginateRequest
from cpaas.voice import recordings
from cpaas.voice.env import VoiceEnv
from cpaas.voice.media import file_string, quote_argument
from cpaas.voice.twiml.fetch import DocumentRequest, FetchFailure
from cpaas.voice.twiml.member_audio import fetch_media

log = logging.getLogger("cpaas.voice")


class Dispatcher:
    def __init__(self, env: VoiceEnv, listeners, flows: dict):
        self.env = env
        self.listeners = listeners
        self.flows = flows
        self.redis = redis.Redis.from_url(env.settings.effective_redis_url)
        self._greenlets: list[gevent.Greenlet] = []

    def start(self) -> "Dispatcher":
        self._greenlets.append(gevent.spawn(self._dispatch_forever))
        for listener in self.listeners:
            self._greenlets.append(gevent.spawn(self._commands_forever, listener))
        return self

    def stop(self) -> None:
        gevent.killall(self._greenlets, timeout=2)

    # ---- dialling queued calls ---------------------------------------------------------------

    def _dispatch_forever(self) -> None:
        while True:
            try:
                if not self.dispatch_once():
                    self.redis.blpop(WAKE, timeout=0.2)  # woken by enqueue_call, or re-checks every 200 ms
            except redis.RedisError as exc:
                log.warning("dispatcher: Redis unavailable (%s); retrying", exc)
                gevent.sleep(1)
            except Exception:
                log.exception("dispatcher: unexpected error")
                gevent.sleep(0.2)

    def dispatch_once(self) -> int:
        """Dial what each account's limits allow now; returns how many calls were sent."""
        sent = 0
        for raw in self.redis.smembers(ACCOUNTS):
            account_sid = raw.decode()
            budget = self._budget(account_sid)
            for _ in range(budget):
                call_sid = self.redis.lpop(queue_key(account_sid))
                if call_sid is None:
                    self._forget_if_empty(account_sid)
                    break
                self.originate(call_sid.decode())
                sent += 1
        return sent

    def _budget(self, account_sid: str) -> int:
        """Calls this account may start now: within calls-per-second and concurrent calls."""
        settings = self.env.settings
        second = int(time.time())
        key = f"calls:rate:{account_sid}:{second}"
        used = int(self.redis.get(key) or 0)
        per_second = settings.account_calls_per_second - used
        if per_second <= 0:
            return 0
        with self.env.database.session() as session:
            live = session.scalar(select(func.count()).select_from(Call).where(
                Call.account_sid == account_sid, Call.node.is_not(None), Call.status.not_in(TERMINAL),
                Call.parent_call_sid.is_(None)))
        budget = min(per_second, settings.account_max_concurrent_calls - live)
        if budget > 0:
            pipe = self.redis.pipeline()
            pipe.incrby(key, budget)
            pipe.expire(key, 5)
            granted = pipe.execute()[0]
            budget -= max(granted - settings.account_calls_per_second, 0)  # another controller took some
        return max(budget, 0)

    def _forget_if_empty(self, account_sid: str) -> None:
        self.redis.srem(ACCOUNTS, account_sid)
        if self.redis.llen(queue_key(account_sid)):  # a call arrived meanwhile
            self.redis.sadd(ACCOUNTS, account_sid)

    def _listener(self):
        """The least-loaded healthy node this controller serves (any, if none looks healthy)."""
        healthy = [l for l in self.listeners if l.connection.health.healthy] or self.listeners
        return min(healthy, key=lambda l: l.connection.health.session_count or 0)

    def originate(self, call_sid: str) -> None:
        listener = self._listener()
        settings = self.env.settings
        with self.env.database.session() as session:
            call = session.get(Call, call_sid)
            if call is None or call.status != "queued":
                return
            try:
                route = self.env.router.route(call.to, call.from_)
            except InvalidParameter as exc:
                self.env.call_events.fail(session, call, "NO_ROUTE_DESTINATION", 13224, exc.message)
                return
            channel_uuid = str(uuid.uuid4())
            variables = {"cpaas_call_sid": call.sid, "cpaas_account_sid": call.account_sid,
                         "origination_uuid": channel_uuid, "originate_timeout": call.timeout,
                         "origination_caller_id_number": call.caller_id or route.caller_id or call.from_}
            if call.time_limit:
                variables["execute_on_answer"] = f"sched_hangup +{call.time_limit} ALLOTTED_TIMEOUT"
            request = OriginateRequest(endpoints=[Endpoint(route.endpoint)], variables=variables,
                                       socket=settings.controller_advertise)
            call.node, call.channel_uuid = listener.node.name, channel_uuid
            session.commit()
            try:
                listener.connection.bgapi_start(request.command(), track=False)
            except EslError as exc:
                log.warning("%s: originate on %s failed: %s", call.sid, listener.node.name, exc)
                self.env.call_events.fail(session, call, "NETWORK_OUT_OF_ORDER", None, str(exc))
                return
        log.info("%s: dialling %s on %s", call_sid, route.endpoint, listener.node.name)

    def _record(self, listener, command: dict) -> None:
        """uuid_record start|mask|unmask|stop; a stopped recording goes to storage."""
        with self.env.database.session() as session:
            call = session.get(Call, command["call_sid"])
            channel_uuid = call.channel_uuid if call else None
        if channel_uuid is None:
            return
        operation, path = command["operation"], command["path"]
        reply = listener.connection.api(f"uuid_record {channel_uuid} {operation} {path}")
        log.info("%s: recording %s %s: %s", command["call_sid"], command["recording"], operation, reply.strip())
        if operation == "stop":
            gevent.spawn(recordings.finish, self.env, command["recording"])

    def _conference(self, listener, command: dict) -> None:
        """mute/unmute/hold/unhold/kick a member (or all), or play what a URL says to one member
        (AnnounceUrl) or to the held one (HoldUrl)."""
        if command["command"] in ("play", "hold") and command.get("url"):
            gevent.spawn(self._conference_audio, listener, command)  # the URL is fetched first: not in this loop
            return
        self._conference_api(listener, command, f"conference {command['conference']} {command['command']} "
                                                f"{command['member']}")

    def _conference_audio(self, listener, command: dict) -> None:
        verb, conference, member = command["command"], command["conference"], command["member"]
        purpose = "conference-announce-url" if verb == "play" else "conference-hold-url"
        first = DocumentRequest(command["url"], (command.get("method") or "POST").upper(),
                                {"ConferenceSid": conference}, purpose=purpose)
        try:
            media = fetch_media(self.env, command["call_sid"], first)
        except FetchFailure as exc:
            log.warning("%s: %s error %d: %s", command["call_sid"], purpose, exc.code, exc.message)
            media = []
        audio = quote_argument(file_string(media)) if media else None
        if verb == "play" and audio:
            self._conference_api(listener, command, f"conference {conference} play {audio} {member}")
        elif verb == "hold":  # without audio of its own, the held member hears the profile's music
            self._conference_api(listener, command, f"conference {conference} hold {member} {audio or ''}".rstrip())

    @staticmethod
    def _conference_api(listener, command: dict, line: str) -> None:
        log.info("%s: %s", command["call_sid"], line[:300])
        try:
            listener.connection.api(line)
        except EslError as exc:
            log.warning("%s: %s failed: %s", command["call_sid"], line[:120], exc)

    # ---- commands for live calls ---------------------------------------------------------------

    def _commands_forever(self, listener) -> None:
        key = commands_key(listener.node.name)
        while True:
            try:
                item = self.redis.blpop(key, timeout=1)
                if item is not None:
                    self.execute(listener, json.loads(item[1]))
            except redis.RedisError as exc:
                log.warning("commands %s: Redis unavailable (%s); retrying", listener.node.name, exc)
                gevent.sleep(1)
            except Exception:
                log.exception("commands %s: unexpected error", listener.node.name)

    def execute(self, listener, command: dict) -> None:
        call_sid, action = command["call_sid"], command["action"]
        if action == "conference":
            self._conference(listener, command)
            return
        if action == "record":
            self._record(listener, command)
            return
        with self.env.database.session() as session:
            call = session.get(Call, call_sid)
            channel_uuid = call.channel_uuid if call else None
        if channel_uuid is None:
            return
        log.info("%s: %s requested through the API", call_sid, action)
        connection = listener.connection
        if action == "hangup":
            connection.api(f"uuid_kill {channel_uuid} NORMAL_CLEARING")
        elif action == "cancel":
            connection.api(f"uuid_setvar {channel_uuid} cpaas_canceled true")
            connection.api(f"uuid_kill {channel_uuid} ORIGINATOR_CANCEL")
        elif action == "redirect":
            flow = self.flows.get(call_sid)
            if flow is not None:
                flow.redirect_to(command.get("url"), command.get("method") or "POST", command.get("twiml"))
