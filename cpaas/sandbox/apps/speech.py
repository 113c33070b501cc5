"""detect_speech: start, steer and stop the channel's recognizer (cpaas.sandbox.asr).

detect_speech <engine>[:<profile>] <grammar> <name> [<profile>] | grammar <grammar> [<name>] |
              pause | resume | stop | start_input_timers | param <name> <value> | nogrammar <name> |
              grammaron/grammaroff <name> | grammarsalloff | init <engine> [<profile>]
It returns at once (no Application-Response), as FreeSWITCH's does: recognition goes on in the
background and reports through DETECTED_SPEECH events.
"""
from __future__ import annotations

import logging

from cpaas.sandbox import asr
from cpaas.sandbox.apps import app
from cpaas.sandbox.fsstrings import separate

log = logging.getLogger("cpaas.sandbox.asr")
_NO_OPS = ("nogrammar", "grammaron", "grammaroff", "grammarsalloff")


@app("detect_speech")
def detect_speech(channel, arg):
    words = separate(arg, " ", 4) if arg.strip() else []
    if not words:
        log.info("channel %s: detect_speech: usage", channel.uuid)
        return None
    command = words[0].lower()
    recognizer = channel.recognizer
    if command in ("pause", "resume", "stop", "start_input_timers", "param", "grammar", *_NO_OPS):
        if recognizer is not None:
            _control(channel, recognizer, command, words[1:])
    elif command == "init" and len(words) > 1:
        _open(channel, words[1])
    elif len(words) >= 3:
        _start(channel, words[0], words[1])
    return None


def _control(channel, recognizer, command: str, args: list[str]) -> None:
    if command == "stop":
        recognizer.stop()
        channel.recognizer = None
    elif command == "param" and len(args) >= 2:
        recognizer.params[args[0].lower()] = args[1]
    elif command == "grammar" and args:
        recognizer.load(args[0])
    elif command in ("pause", "resume", "start_input_timers"):
        getattr(recognizer, command)()


def _open(channel, engine: str):
    """switch_ivr_detect_speech_init: the ASR handle, or nothing when the module is not loaded."""
    module = engine.split(":", 1)[0].lower()
    if module not in asr.ENGINES:
        log.info("channel %s: invalid ASR module [%s]", channel.uuid, module)
        return None
    if channel.recognizer is None:
        channel.recognizer = asr.Recognizer(channel, module)
    return channel.recognizer


def _start(channel, engine: str, grammar: str) -> None:
    """Open the recognizer if need be, load the grammar and listen (a running one starts over)."""
    recognizer = _open(channel, engine)
    if recognizer is not None and not recognizer.load(grammar):
        recognizer.stop()
        channel.recognizer = None  # FreeSWITCH stops detection when its grammar cannot load
