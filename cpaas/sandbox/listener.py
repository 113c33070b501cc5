"""One Event Socket connection, in inbound mode (a client connected to us) or outbound mode
(we connected to the controller for one channel). mod_event_socket's command set and reply texts.
"""
from __future__ import annotations

import logging
import re

import gevent
from gevent.event import Event as Signal
from gevent.queue import Queue

from cpaas.sandbox import protocol
from cpaas.sandbox.channel import Command as ChannelCommand
from cpaas.sandbox.events import EVENT_TYPES

log = logging.getLogger("cpaas.sandbox.listener")

# mod_event_socket's `myevents`: channel events only (no CALLSTATE, PLAYBACK_*, RECORD_*).
MYEVENTS = frozenset("""CHANNEL_ANSWER CHANNEL_APPLICATION CHANNEL_BRIDGE CHANNEL_CREATE CHANNEL_DATA
CHANNEL_DESTROY CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE
CHANNEL_ORIGINATE CHANNEL_UUID CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA
CHANNEL_STATE CHANNEL_UNBRIDGE CHANNEL_UNPARK DETECTED_SPEECH DTMF NOTALK TALK""".split())
LOG_LEVELS = {"console": 0, "alert": 1, "crit": 2, "err": 3, "error": 3, "warning": 4, "notice": 5,
              "info": 6, "debug": 7}
_CLOSE = object()


class Listener:
    def __init__(self, switch, sock, password: str | None = None, session=None):
        self.switch = switch
        self.sock = sock
        self.password = password
        self.session = session                     # the controlled channel in outbound mode
        self.outbound = session is not None
        self.authed = self.outbound
        self.format: str | None = None
        self.all_events = False
        self.event_names: set[str] = set()
        self.subclasses: set[str] = set()
        self.filters: list[tuple[str, str]] = []
        self.nixed: set[str] = set()               # taken out of `event ALL` by nixevent
        self.own_jobs: set[str] = set()            # Job-UUIDs of the bgapi commands sent here
        self.myevents_uuid: str | None = None
        self.linger: int | None = None             # seconds; -1 = until the client leaves
        self.log_level: int | None = None
        self.divert = False
        self.closed = Signal()
        self._out: Queue = Queue()
        self._writer = None
        self._bye_sent = False

    # ---- plumbing ---------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if not self.closed.is_set():
            self._out.put(data)

    def close_after_flush(self) -> None:
        self._out.put(_CLOSE)

    def _write_loop(self) -> None:
        try:
            while True:
                item = self._out.get()
                if item is _CLOSE:
                    break
                parts = [item]
                while not self._out.empty() and len(parts) < 256:  # coalesce bursts of events
                    nxt = self._out.peek()
                    if nxt is _CLOSE:
                        break
                    parts.append(self._out.get())
                self.sock.sendall(b"".join(parts))
        except OSError:
            pass
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self.switch.unlisten(self)
        try:
            self.sock.close()
        except OSError:
            pass

    def serve(self) -> None:
        """Run the connection until either side ends it."""
        self._writer = gevent.spawn(self._write_loop)
        reader = protocol.FrameReader(self.sock)
        if not self.outbound:
            self.send(protocol.auth_request())
        try:
            while not self.closed.is_set():
                cmd = reader.read()
                if cmd is None:
                    break
                self.handle(cmd)
        except OSError:
            pass
        finally:
            self.switch.unlisten(self)
            if self.outbound:
                self._session_gone()
            if not self._bye_sent:
                self.close_after_flush()
            self._writer.join(timeout=5)
            self._shutdown()

    # ---- event delivery ---------------------------------------------------------------------
    def offer(self, event) -> None:
        if self.format is None:
            return
        if event.name == "BACKGROUND_JOB" and event.header("Job-UUID") in self.own_jobs:
            # A job this connection started reaches it whatever it subscribed to (myevents too).
            self.own_jobs.discard(event.header("Job-UUID"))
            self.send(event.frame(self.format))
            return
        if self.myevents_uuid is not None:
            if event.channel_uuid != self.myevents_uuid or event.name not in MYEVENTS:
                if not self._subscribed(event):
                    return
        elif not self._subscribed(event):
            return
        if self.filters and not self._passes_filters(event):
            return
        self.send(event.frame(self.format))

    def channel_only(self) -> str | None:
        """The channel whose events are all this connection can take, if that is so: `myevents`
        without other subscriptions, background jobs of its own or log lines."""
        if self.myevents_uuid is None or self.all_events or self.event_names or self.subclasses \
                or self.own_jobs or self.log_level is not None:
            return None
        return self.myevents_uuid

    def _subscribed(self, event) -> bool:
        if event.name in self.nixed:
            return False
        if self.all_events and not (self.myevents_uuid and event.channel_uuid not in (None, self.myevents_uuid)
                                    and self.outbound):
            return True
        if event.name == "CUSTOM":
            return "CUSTOM" in self.event_names or event.subclass in self.subclasses
        return event.name in self.event_names

    def _passes_filters(self, event) -> bool:
        for name, value in self.filters:
            actual = event.header(name)
            if actual is None:
                continue
            if value.startswith("/") and value.endswith("/") and len(value) > 1:
                if re.search(value[1:-1], actual):
                    return True
            elif actual == value:
                return True
        return False

    def offer_log(self, level: int, text: str, file: str, func: str, line: int) -> None:
        if self.log_level is not None and level <= self.log_level:
            self.send(protocol.log_data(text, level, file, func, line))

    def reply(self, text: str, *extra) -> None:
        self.send(protocol.command_reply(text, *extra))

    # ---- commands ---------------------------------------------------------------------------
    def handle(self, cmd: protocol.Command) -> None:
        line = cmd.line
        word, _, rest = line.partition(" ")
        word = word.lower()
        rest = rest.strip()
        if not self.authed:
            if word == "auth":
                self._auth(rest)
            elif word == "userauth":
                self.reply("-ERR invalid")
            else:
                self.reply("-ERR command not found")
            return
        handler = getattr(self, f"cmd_{word}", None)
        if handler is None or word in ("connect",) and not self.outbound:
            self.reply("-ERR command not found")
            return
        try:
            handler(rest, cmd)
        except Exception:  # a bug in one command must not take the connection (and its calls) down
            log.exception("listener: %r failed (session %s)", line, self.session.uuid if self.session else "-")
            self.reply("-ERR command failed")
        if self.switch.is_listening(self):  # what it takes may have changed (event, bgapi, log...)
            self.switch.listen(self)

    def _auth(self, password: str) -> None:
        if password == self.password:
            self.authed = True
            self.reply("+OK accepted")
            self.switch.listen(self)
        else:
            self.reply("-ERR invalid")
            self._bye()

    def _bye(self) -> None:
        self._bye_sent = True
        session_uuid = self.session.uuid if self.session is not None else None
        self.send(protocol.disconnect_notice(session_uuid))
        self.close_after_flush()

    def cmd_exit(self, rest, cmd) -> None:
        self.reply("+OK bye")
        self._bye()

    def cmd_auth(self, rest, cmd) -> None:
        self.reply("+OK accepted")

    def cmd_api(self, rest, cmd) -> None:
        from cpaas.sandbox.api import execute
        output = execute(self.switch, rest, listener=self)
        self.send(protocol.api_response(output))

    def cmd_bgapi(self, rest, cmd) -> None:
        from cpaas.sandbox.api import execute
        job = cmd.header("Job-UUID") or self.switch.new_uuid()
        self.own_jobs.add(job)
        self.reply(f"+OK Job-UUID: {job}", ("Job-UUID", job))
        name, _, arg = rest.partition(" ")

        def run():
            output = execute(self.switch, rest, listener=self)
            headers = [("Job-UUID", job), ("Job-Command", name)]
            if arg:
                headers.append(("Job-Command-Arg", arg))
            self.switch.fire("BACKGROUND_JOB", headers, body=output)
        gevent.spawn(run)

    def cmd_event(self, rest, cmd) -> None:
        words = rest.split()
        fmt = "plain"
        if words and words[0].lower() in protocol.RENDERERS:
            fmt = words.pop(0).lower()
        custom = False
        accepted = False
        for word in words:
            upper = word.upper()
            if custom and upper not in EVENT_TYPES:
                self.subclasses.add(word)
                accepted = True
                continue
            if upper == "ALL":
                self.all_events = True
                accepted = True
            elif upper == "CUSTOM":
                custom = True
                accepted = True
            elif upper in EVENT_TYPES:
                self.event_names.add(upper)
                self.nixed.discard(upper)
                accepted = True
        if not accepted:
            self.reply("-ERR no keywords supplied")
            return
        self.format = fmt
        self.switch.listen(self)
        self.reply(f"+OK event listener enabled {fmt}")

    def cmd_myevents(self, rest, cmd) -> None:
        words = rest.split()
        if self.myevents_uuid is not None:
            self.reply("-ERR aready enabled.")
            return
        fmt = "plain"
        target = self.session.uuid if self.session is not None else None
        for word in words:
            if word.lower() in protocol.RENDERERS:
                fmt = word.lower()
            else:
                target = word
        if target is None:
            self.reply("-ERR invalid uuid")
            return
        channel = self.switch.channel(target)
        if channel is None and not self.outbound:
            self.reply("-ERR invalid uuid")
            return
        self.myevents_uuid = target
        self.format = fmt
        self.switch.listen(self)
        if channel is not None and not self.outbound:
            channel.on_hangup.append(self._controlled_hangup)
        self.reply("+OK Events Enabled")

    def _controlled_hangup(self, channel) -> None:
        """An inbound `myevents <uuid>` connection ends with its channel: nothing after its
        CHANNEL_HANGUP, then the goodbye (after the reply to whatever caused the hang-up)."""
        self.session = channel
        self.format = None
        self.switch.unlisten(self)
        gevent.spawn(self._bye)

    def cmd_nixevent(self, rest, cmd) -> None:
        words = rest.split()
        if not words:
            self.reply("-ERR no keywords supplied")
            return
        custom = False
        for word in words:
            upper = word.upper()
            if custom and upper not in EVENT_TYPES:
                self.subclasses.discard(word)
            elif upper == "ALL":
                self.all_events = False
                self.event_names.clear()
                self.subclasses.clear()
            elif upper == "CUSTOM":
                custom = True
            else:
                self.event_names.discard(upper)
                self.nixed.add(upper)
        self.reply("+OK events nixed")

    def cmd_noevents(self, rest, cmd) -> None:
        if self.format is None and not self.event_names and not self.all_events:
            self.reply("-ERR not listening for events")
            return
        self.format = None
        self.all_events = False
        self.event_names.clear()
        self.subclasses.clear()
        self.myevents_uuid = None
        self.nixed.clear()
        self.reply("+OK no longer listening for events")

    def cmd_filter(self, rest, cmd) -> None:
        words = rest.split(None, 1)
        if not words:
            self.reply("-ERR command not found")
            return
        if words[0].lower() == "delete":
            target = words[1] if len(words) > 1 else ""
            name, _, value = target.partition(" ")
            if name.lower() == "all" or not name:
                self.filters.clear()
                self.reply("+OK filter deleted. [all]")
                return
            before = len(self.filters)
            self.filters = [(n, v) for n, v in self.filters if not (n == name and (not value or v == value))]
            if len(self.filters) == before:
                self.reply("-ERR invalid syntax")
            else:
                self.reply(f"+OK filter deleted. [{name}][{value}]")
            return
        name, _, value = rest.partition(" ")
        self.filters.append((name, value.strip()))
        self.reply(f"+OK filter added. [{name}]=[{value.strip()}]")

    def cmd_sendevent(self, rest, cmd) -> None:
        name = (rest.split() or ["CUSTOM"])[0].upper()
        event_uuid = self.switch.new_uuid()
        leading = []
        subclass = cmd.header("Event-Subclass")
        if subclass:
            leading.append(("Event-Subclass", subclass))
        leading.append(("Command", f"sendevent {rest}"))
        leading += [(k, v) for k, v in cmd.headers if k.lower() != "event-subclass"]
        leading.append(("Event-UUID", event_uuid))
        self.switch.fire(name if name in EVENT_TYPES else "CUSTOM", [], body=cmd.body or None,
                         calling=("mod_event_socket.c", "parse_command", 2275), subclass=subclass,
                         leading=leading, channel_uuid=cmd.header("Unique-ID"))
        self.reply(f"+OK {event_uuid}")

    def cmd_sendmsg(self, rest, cmd) -> None:
        target = rest.strip() or cmd.header("Unique-ID") or (self.session.uuid if self.session else "")
        channel = self.switch.channel(target) if target else None
        if channel is None or channel.hungup:
            self.reply(f"-ERR invalid session id [{target}]")
            return
        kind = (cmd.header("call-command") or "").lower()
        leading = [("Command", f"sendmsg {rest}".rstrip())] + list(cmd.headers)
        if kind == "execute":
            app = cmd.header("execute-app-name") or ""
            arg = cmd.header("execute-app-arg")
            if arg is None and cmd.body:
                arg = cmd.body
            loops = cmd.header("loops")
            command = ChannelCommand("execute", app, arg or "", app_uuid=cmd.header("Event-UUID"),
                                     loops=int(loops) if loops and loops.isdigit() else 1, headers=leading)
        elif kind == "hangup":
            command = ChannelCommand("hangup", cause=cmd.header("hangup-cause") or "NORMAL_CLEARING",
                                     headers=leading)
        elif kind in ("unicast", "nomedia"):
            command = ChannelCommand(kind, headers=leading)
        else:
            self.reply("-ERR invalid command")
            return
        self.reply("+OK")
        if kind == "hangup":
            channel.hangup(command.cause)
        else:
            channel.queue_command(command)

    def cmd_log(self, rest, cmd) -> None:
        level_text = rest.strip()
        if not level_text:
            level = 7 if self.log_level is None else self.log_level
            self.log_level = level
            self.switch.listen(self)
            self.reply(f"+OK log level  [{level}]")
            return
        if level_text.isdigit() and int(level_text) <= 7:
            level = int(level_text)
        elif level_text.lower() in LOG_LEVELS:
            level = LOG_LEVELS[level_text.lower()]
        else:
            self.reply("-ERR invalid log level")
            return
        self.log_level = level
        self.switch.listen(self)
        self.reply(f"+OK log level {level_text} [{level}]")

    def cmd_nolog(self, rest, cmd) -> None:
        if self.log_level is None:
            self.reply("-ERR not loging")
            return
        self.log_level = None
        self.reply("+OK no longer logging")

    def cmd_divert_events(self, rest, cmd) -> None:
        if not self.outbound:
            self.reply("-ERR not controlling a session.")
            return
        self.divert = rest.strip().lower() == "on"
        self.reply("+OK events diverted" if self.divert else "+OK events not diverted")

    def cmd_linger(self, rest, cmd) -> None:
        if not self.outbound:
            self.reply("-ERR not controlling a session")
            return
        if rest.strip().lstrip("-").isdigit():
            self.linger = int(rest.strip())
            self.reply(f"+OK will linger {self.linger} seconds")
        else:
            self.linger = -1
            self.reply("+OK will linger")

    def cmd_nolinger(self, rest, cmd) -> None:
        if not self.outbound:
            self.reply("-ERR not controlling a session")
            return
        self.linger = None
        self.reply("+OK will not linger")

    def cmd_getvar(self, rest, cmd) -> None:
        if not self.outbound:
            self.reply("-ERR command not found")
            return
        value = self.session.get_var(rest.strip())
        self.reply(value if value else "-ERR command not found")

    def cmd_resume(self, rest, cmd) -> None:
        if not self.outbound:
            self.reply("-ERR command not found")
            return
        self.session.set_var("socket_resume", "true")
        self.reply("+OK")

    def cmd_connect(self, rest, cmd) -> None:
        from cpaas.sandbox.outbound import connect_reply
        self.send(connect_reply(self.switch, self.session))

    # ---- outbound session end -----------------------------------------------------------------
    def session_reported(self, channel) -> None:
        """After CHANNEL_HANGUP_COMPLETE of the controlled channel: linger notice, then goodbye."""
        if self._bye_sent or self.closed.is_set():
            return
        self.switch.unlisten(self)  # outbound sockets never see CHANNEL_DESTROY
        if self.linger is None:
            self._bye()
            return
        self.send(protocol.disconnect_notice(channel.uuid, "linger", channel.name, self.linger))
        if self.linger >= 0:
            gevent.spawn_later(self.switch.clock.real(self.linger), self._linger_over)

    def _linger_over(self) -> None:
        if not self._bye_sent and not self.closed.is_set():
            self._bye()

    def _session_gone(self) -> None:
        """The controller left. Parked in the `socket` application, the channel gets it back: the
        application returns and whoever ran it goes on (a dialplan or an originate's `&socket()` has
        nothing left and hangs up; an answer confirmation makes the leg the winner). A channel still
        running something the controller started is hung up at once, where FreeSWITCH would let that
        application finish first."""
        channel = self.session
        if channel is None or channel.hungup:
            return
        if channel.current_app == "socket":
            channel.release_control()
        else:
            channel.hangup("NORMAL_CLEARING")
