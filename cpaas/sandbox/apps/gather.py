"""DTMF collection: play_and_get_digits and read."""
from __future__ import annotations

import re

from cpaas.sandbox import audio
from cpaas.sandbox.fsstrings import separate_blank
from cpaas.sandbox.apps import app
from cpaas.sandbox.apps.media import play_prompt, resolve


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _play_until_digit(channel, spec: str) -> str:
    """Play `spec`, stopping at the first digit; returns the play outcome."""
    if not spec or spec in ("silence_stream://0",):
        return "done"
    try:
        prompts = resolve(spec)
    except audio.MediaError:
        return "done"
    for prompt in prompts:
        if channel.dtmf_buffer:
            return "dtmf"
        outcome = play_prompt(channel, prompt, wake_on_dtmf=True)
        if outcome != "done":
            return outcome
    return "done"


def collect(channel, max_digits: int, first_timeout: float, digit_timeout: float, terminators: str):
    """Digits until max, a terminator or a time-out: (digits, terminator or '', hung_up)."""
    digits = ""
    while len(digits) < max_digits:
        if not channel.dtmf_buffer:
            reason = channel.wait(first_timeout if not digits else digit_timeout, wake_on_dtmf=True)
            if reason == "hangup":
                return digits, "", True
            if reason in ("timeout", "break"):
                return digits, "", False
        digit = channel.dtmf_buffer.popleft()
        if digit in terminators:
            return digits, digit, False
        digits += digit
    return digits, "", False


@app("play_and_get_digits")
def play_and_get_digits(channel, arg):
    words = separate_blank(arg)
    min_digits, max_digits = _int(words[0] if words else None, 0), _int(words[1] if len(words) > 1 else None, 128)
    tries = max(1, _int(words[2] if len(words) > 2 else None, 1))
    timeout = _int(words[3] if len(words) > 3 else None, 5000) / 1000.0
    terminators = words[4] if len(words) > 4 else "#"
    if terminators == "none":
        terminators = ""
    prompt = words[5] if len(words) > 5 else ""
    invalid = words[6] if len(words) > 6 else ""
    var_name = words[7] if len(words) > 7 else "pagd_input"
    pattern = words[8] if len(words) > 8 else ""
    digit_timeout = _int(words[9] if len(words) > 9 else None, int(timeout * 1000)) / 1000.0
    for _ in range(tries):
        outcome = _play_until_digit(channel, prompt)
        if outcome == "hangup" or channel.hungup:
            break
        digits, terminator, hung_up = collect(channel, max_digits, timeout, digit_timeout, terminators)
        if hung_up:
            break
        if terminator:
            channel.set_var("read_terminator_used", terminator)
        valid = len(digits) >= min_digits and (not pattern or re.fullmatch(pattern, digits) or re.match(pattern, digits))
        if digits and valid or (min_digits == 0 and terminator):
            channel.set_var("read_result", "success")
            channel.set_var(var_name, digits)
            return None
        if _play_until_digit(channel, invalid) == "hangup":
            break
    channel.set_var("read_result", "failure")
    return None


@app("read")
def read(channel, arg):
    """read <min> <max> <file> <var> <timeout_ms> <terminators> [<digit_timeout_ms>]"""
    words = arg.split()
    min_digits, max_digits = _int(words[0] if words else None, 0), _int(words[1] if len(words) > 1 else None, 128)
    prompt = words[2] if len(words) > 2 else ""
    var_name = words[3] if len(words) > 3 else "read_input"
    timeout = _int(words[4] if len(words) > 4 else None, 5000) / 1000.0
    terminators = words[5] if len(words) > 5 else "#"
    digit_timeout = _int(words[6] if len(words) > 6 else None, int(timeout * 1000)) / 1000.0
    if _play_until_digit(channel, prompt) == "hangup":
        return None
    digits, terminator, hung_up = collect(channel, max_digits, timeout, digit_timeout, terminators)
    if hung_up:
        channel.set_var("read_result", "failure")
        return None
    if terminator:
        channel.set_var("read_terminator_used", terminator)
    channel.set_var(var_name, digits)
    if len(digits) >= min_digits and (digits or terminator):
        channel.set_var("read_result", "success")
    else:
        channel.set_var("read_result", "timeout")
    return None
