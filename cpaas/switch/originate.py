"""OriginateRequest: a plain description of a call -> the exact FreeSWITCH dial string.

Used by the API (`bgapi originate ...`) and by Dial (`bridge` application), so the
escaping rules live here once.

How FreeSWITCH takes a value apart (switch_utils.c `switch_separate_string`, each split
followed by `cleanup_separated_string`, which removes quotes and backslash escapes):

1. the `originate` api splits its whole argument on blanks (quotes group; `\\s` is a space);
2. the `{...}` block is split on `,`;
3. each `name=value` is split at the first `=`.

So a global variable's value is escaped for level 3, then 2, then (for the api only) 1:
a `,` becomes `\\,`, a quote or backslash is escaped at every level, and a blank becomes
`\\s` at the blank level. Per-leg `[...]` values go through two more splits (`|` and the
comma list of endpoints, with FreeSWITCH's own bracket-comma protection in between), so
they are restricted to values that need no escaping except inner blanks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_NEVER = set("{}[]\n\r\x00")
_LEG_FORBIDDEN = set(",'\"\\|") | _NEVER
_BLANK = None  # the api's argument split (cleanup with no delimiter)


def _escape_level(text: str, delim: str | None, escape_delim: bool = True) -> str:
    """Inverse of one `cleanup_separated_string(text, delim)` (and its tokenizer), escaping only
    what that level would consume: quotes, the delimiter, blanks at the blank level, and a
    backslash only where what follows it would otherwise read as an escape."""
    blank = delim is _BLANK
    # a backslash before any of these (as written out) would start an escape sequence
    escaping = set("'\"\\nrts") | ({delim} if delim else set()) | ({" "} if blank else set())
    out = []
    for i, ch in enumerate(text):
        if ch == "'":
            out.append("\\'")
        elif ch == "\\":
            following = text[i + 1:i + 2]
            out.append("\\\\" if not following or following in escaping else "\\")
        elif ch == delim and escape_delim:
            out.append("\\" + ch)
        elif blank and ch == " ":
            out.append("\\s")
        else:
            out.append(ch)
    return "".join(out)


def _escape_value_level(text: str) -> str:
    """Level 3 (`name=value` split): escapes, and blanks at the edges as \\s (cleanup trims bare ones)."""
    core = text.strip(" ")
    if not core:
        return "\\s" * len(text)
    lead = len(text) - len(text.lstrip(" "))
    trail = len(text) - len(text.rstrip(" "))
    # the `=` split keeps everything after the first `=`, so `=` needs no escape here
    return "\\s" * lead + _escape_level(core, "=", escape_delim=False) + "\\s" * trail


def escape_global_value(value, for_api: bool) -> str:
    """A `{name=value}` value, escaped so that FreeSWITCH sets exactly `value`."""
    text = str(value)
    if _NEVER & set(text):
        raise ValueError(f"originate variable value may not contain brackets or line breaks: {text!r}")
    text = _escape_level(_escape_value_level(text), ",")
    return _escape_level(text, _BLANK) if for_api else text


def _leg_value(value, for_api: bool) -> str:
    text = str(value)
    if _LEG_FORBIDDEN & set(text) or text != text.strip():
        raise ValueError(f"per-leg variable value {text!r}: no , ' \" \\ | brackets or edge blanks allowed")
    return text.replace(" ", "\\s") if for_api else text


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"bad channel variable name {name!r}")
    return name


@dataclass
class Endpoint:
    """One leg: `sofia/gateway/trunk/+15551234567`, `user/1000`, `loopback/echo/default`..."""

    dial: str
    variables: dict = field(default_factory=dict)

    def render(self, for_api: bool) -> str:
        if not self.dial or any(c in self.dial for c in " ,|'\"{}[]\n\r"):
            raise ValueError(f"bad endpoint {self.dial!r}")
        if not self.variables:
            return self.dial
        inner = ",".join(f"{_check_name(k)}={_leg_value(v, for_api)}" for k, v in self.variables.items())
        return f"[{inner}]{self.dial}"


@dataclass
class OriginateRequest:
    """What to call and where to send the answered channel.

    endpoints ring at once (`,`), or one after another when sequential=True (`|`).
    `socket` ("host:port") hands the channel to our controller: `&socket(host:port async full)`;
    otherwise `application`/`application_arg` (default `park`).
    Identity variables go in `variables`: cpaas_call_sid, cpaas_account_sid,
    origination_uuid, origination_caller_id_number, originate_timeout...
    """

    endpoints: list
    variables: dict = field(default_factory=dict)
    socket: str | None = None
    application: str = "park"
    application_arg: str | None = None
    sequential: bool = False

    @classmethod
    def for_call(cls, endpoints: list, *, call_sid: str, account_sid: str | None = None,
                 controller: str | None = None, channel_uuid: str | None = None,
                 caller_id_number: str | None = None, caller_id_name: str | None = None,
                 timeout: int | None = None, **variables) -> "OriginateRequest":
        """An originate carrying our identity variables under the names the rest of the product reads
        (cpaas_call_sid, cpaas_account_sid), handed to the controller at `controller` ("host:port")."""
        named = {"cpaas_call_sid": call_sid, "cpaas_account_sid": account_sid, "origination_uuid": channel_uuid,
                 "origination_caller_id_number": caller_id_number,
                 "origination_caller_id_name": caller_id_name, "originate_timeout": timeout}
        merged = {k: v for k, v in named.items() if v is not None}
        merged.update(variables)
        return cls(list(endpoints), merged, socket=controller)

    def _legs(self, for_api: bool) -> str:
        legs = [e if isinstance(e, Endpoint) else Endpoint(str(e)) for e in self.endpoints]
        if not legs:
            raise ValueError("an originate needs at least one endpoint")
        return ("|" if self.sequential else ",").join(leg.render(for_api) for leg in legs)

    def _globals(self, for_api: bool) -> str:
        if not self.variables:
            return ""
        inner = ",".join(f"{_check_name(k)}={escape_global_value(v, for_api)}" for k, v in self.variables.items())
        return "{" + inner + "}"

    def dial_string(self) -> str:
        """For the `bridge` application's argument (no api blank-splitting level)."""
        return self._globals(False) + self._legs(False)

    def app_token(self) -> str:
        """The `&app(arg)` part of an originate; quoted when it contains blanks."""
        if self.socket:
            if any(c in self.socket for c in " '\"()\n"):
                raise ValueError(f"bad socket address {self.socket!r}")
            return f"'&socket({self.socket} async full)'"
        if not _NAME.match(self.application):
            raise ValueError(f"bad application name {self.application!r}")
        arg = self.application_arg or ""
        if any(c in arg for c in "'()\n\r"):
            raise ValueError(f"application argument may not contain quotes or parentheses: {arg!r}")
        token = f"&{self.application}({arg})"
        return f"'{token}'" if " " in token else token

    def argument(self) -> str:
        """The argument of the `originate` api: `{globals}legs &app(arg)`."""
        return f"{self._globals(True)}{self._legs(True)} {self.app_token()}"

    def command(self) -> str:
        return f"originate {self.argument()}"


_CALL_SID = re.compile(r"cpaas_call_sid=([A-Za-z0-9]+)")


def call_sid_of_originate(command_arg: str | None) -> str | None:
    """The cpaas_call_sid in a BACKGROUND_JOB's Job-Command-Arg (how a failed originate finds its call)."""
    if not command_arg:
        return None
    match = _CALL_SID.search(command_arg)
    return match.group(1) if match else None
