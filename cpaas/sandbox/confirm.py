"""Answer confirmation (switch_ivr_originate.c's group_confirm_*): a leg that answers does not win
the originate until it is confirmed.

With `group_confirm_key=exec`, `group_confirm_file` is an application (`app args`) run on the leg
in a thread of its own; if the leg is still up when it returns, the leg wins. Any other key is the
digits the called party must press while `group_confirm_file` plays (silence if unset), reading for
`group_confirm_read_timeout` ms (5000) per round, `group_confirm_error_file` after a wrong answer,
round after round until the leg is hung up or times out. The variables may be per leg or global.

Meanwhile the originate's timers keep running: the leg's own (`leg_timeout`), which
`group_confirm_timeout` replaces by that many seconds from now (0: none) and
`group_confirm_cancel_timeout` cancels, and the whole originate's (`originate_timeout`).
"""
from __future__ import annotations

import logging

import gevent

from cpaas.sandbox import audio
from cpaas.sandbox.apps import lookup
from cpaas.sandbox.apps.media import play_prompt, resolve

log = logging.getLogger("cpaas.sandbox.confirm")
READ_TIMEOUT_MS = 5000
VARIABLES = ("group_confirm_key", "group_confirm_file", "group_confirm_error_file",
             "group_confirm_cancel_timeout", "group_confirm_read_timeout")


def wanted(variables: dict) -> bool:
    return bool(variables.get("group_confirm_key"))


def leg_limit(variables: dict, elapsed: float, current: float | None) -> float | None:
    """The leg's time limit (seconds from the originate's start) once its confirmation begins."""
    extend = variables.get("group_confirm_timeout", "")
    if extend.strip().isdigit():
        seconds = int(extend)
        return elapsed + seconds if seconds > 0 else None
    if (variables.get("group_confirm_cancel_timeout") or "").lower() in ("true", "1", "yes", "on"):
        return None
    return current


def collect(channel, variables: dict) -> bool:
    """The collect thread: True when the leg is confirmed (still up once it is done)."""
    channel.greenlet = gevent.getcurrent()  # the leg's applications run here, not in a script of its own
    key = variables["group_confirm_key"]
    try:
        if key.lower() == "exec":
            _execute(channel, variables.get("group_confirm_file") or "")
        else:
            _read_key(channel, key, variables)
    except Exception:  # a bug here must not leave a leg that never ends
        log.exception("channel %s: answer confirmation failed", channel.uuid)
        channel.hangup("NORMAL_TEMPORARY_FAILURE")
    finally:
        channel.greenlet = None
        if channel.hungup:
            channel.finish()
    if channel.hungup:
        return False
    channel.set_var("group_dial_status", "winner")
    return True


def _execute(channel, data: str) -> None:
    name, _, arg = data.strip().partition(" ")
    if lookup(name) is None:
        log.info("channel %s: invalid confirm application %s", channel.uuid, name)
        channel.hangup("DESTINATION_OUT_OF_ORDER")
        return
    channel.execute(name, arg.strip())


def _read_key(channel, key: str, variables: dict) -> None:
    timeout = _int(variables.get("group_confirm_read_timeout"), READ_TIMEOUT_MS) / 1000.0
    error_file = variables.get("group_confirm_error_file")
    while not channel.hungup:
        if _read(channel, variables.get("group_confirm_file") or "silence_stream://0", len(key), timeout) == key:
            return
        if error_file:
            _play(channel, error_file)


def _read(channel, spec: str, count: int, timeout: float) -> str:
    """switch_ivr_read: the prompt (a digit stops it), then digits until `count` or a silent `timeout`."""
    _play(channel, spec, stop_on_digit=True)
    digits = ""
    while len(digits) < count and not channel.hungup:
        if not channel.dtmf_buffer and channel.wait(timeout, wake_on_dtmf=True) != "dtmf":
            break
        digits += channel.dtmf_buffer.popleft()
    return digits


def _play(channel, spec: str, stop_on_digit: bool = False) -> None:
    try:
        prompts = resolve(spec)
    except audio.MediaError:
        return
    for prompt in prompts:
        if channel.hungup or (stop_on_digit and channel.dtmf_buffer):
            return
        play_prompt(channel, prompt, wake_on_dtmf=stop_on_digit)


def forget(channel) -> None:
    """The winner drops the confirmation variables, as FreeSWITCH does: a later bridge of the same
    channel must not confirm it again."""
    for name in VARIABLES:
        channel.set_var(name, None)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        return default
