"""A small evaluator of FreeSWITCH's XML dialplan (mod_dialplan_xml's hunt), for the subset our dialplan uses.

Why our own: the one PyPI candidate (frslint 0.1.0) looks a `${var}` field up as the literal string, treats an
unset variable as "no match" (FreeSWITCH expands it to "" and `^$` matches), has no inline execution, and
installs top-level packages named `log`, `debug` and `lint`. This module follows mod_dialplan_xml.c:

* extensions are tried in order; one that "proceeds" stops the hunt unless it has continue="true";
* a condition's field is a caller-profile field by name (`destination_number`), or, when it contains `$`,
  the expansion of its variables (unset expands to ""); the expression is also expanded, then searched
  (PCRE `pcre_exec`, unanchored unless the pattern anchors itself);
* a true condition adds its actions with `$N` replaced by its captures, a false one its anti-actions
  (and anti-actions make the extension proceed); break="on-false" (default), "on-true", "always", "never";
* inline="true" runs `set`/`unset`/`log` during the hunt, so later conditions see the value; other actions
  only run after the hunt, so a plain `set` is invisible to conditions (a classic dialplan trap).

Anything outside that subset (regex="any|all|xor", time conditions, nested conditions, `${api(args)}`
expansions, other inline applications) raises `Unsupported` instead of being guessed at.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree

# switch_caller_get_field_by_name: the fields a condition can name without `${}`.
CALLER_PROFILE_FIELDS = (
    "dialplan", "username", "caller_id_name", "ani", "aniii", "caller_id_number", "network_addr", "rdnis",
    "destination_number", "uuid", "source", "context", "chan_name",
)
_TIME_ATTRIBUTES = ("year", "yday", "mon", "mday", "week", "mweek", "wday", "hour", "minute", "minute-of-day",
                    "time-of-day", "date-time")
_INLINE_APPS = ("set", "unset", "log")
_VARIABLE = re.compile(r"\$\{([^{}]+)\}")
_CAPTURE = re.compile(r"\$(\d{1,2})")


class Unsupported(ValueError):
    """The dialplan uses a feature this evaluator does not model."""


@dataclass
class Channel:
    """A channel as the hunt sees it: caller-profile fields, channel variables, the switch's global variables."""

    profile: dict[str, str]
    variables: dict[str, str] = field(default_factory=dict)
    globals: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        # switch_channel_get_variable_dup: channel variables, then caller-profile fields, then globals.
        if name in self.variables:
            return self.variables[name]
        if name in self.profile:
            return self.profile[name]
        return self.globals.get(name)

    def expand(self, text: str) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            if "(" in name or " " in name:
                raise Unsupported(f"api expansion ${{{name}}} is not modelled")
            return self.get(name) or ""

        return _VARIABLE.sub(one, text)


@dataclass
class Hunt:
    """What the hunt produced: the matched extensions and the applications queued for execution."""

    extensions: list[str]
    applications: list[tuple[str, str]]

    def apps(self) -> list[str]:
        return [app for app, _ in self.applications]

    def data(self, app: str) -> list[str]:
        return [data for name, data in self.applications if name == app]


def load_globals(conf_dir: Path) -> dict[str, str]:
    """The global variables vars.xml sets (`X-PRE-PROCESS cmd="set"`), as FreeSWITCH would hold them."""
    found = {}
    for element in ElementTree.parse(Path(conf_dir) / "vars.xml").getroot().iter("X-PRE-PROCESS"):
        if element.get("cmd") == "set":
            name, _, value = element.get("data", "").partition("=")
            found[name] = value
    return found


def load_context(dialplan_dir: Path, name: str):
    """The <context name=...> element from the rendered dialplan/*.xml files."""
    for path in sorted(Path(dialplan_dir).glob("*.xml")):
        for context in ElementTree.parse(path).getroot().iter("context"):
            if context.get("name") == name:
                return context
    raise KeyError(f"no context {name!r} in {dialplan_dir}")


def hunt(context, channel: Channel) -> Hunt:
    result = Hunt(extensions=[], applications=[])
    for extension in context.findall("extension"):
        proceed = _parse_extension(extension, channel, result.applications)
        if proceed:
            result.extensions.append(extension.get("name", "UNKNOWN"))
            if extension.get("continue", "false").lower() != "true":
                break
    return result


def execute(hunt_result: Hunt, channel: Channel, stop_at: str) -> int:
    """Run the queued `set`/`unset`/`log` in order up to the first `stop_at` application; return its index."""
    for index, (app, data) in enumerate(hunt_result.applications):
        if app == stop_at:
            return index
        if app in _INLINE_APPS:
            _run(app, data, channel)
    raise AssertionError(f"{stop_at} is not among {hunt_result.apps()}")


def _parse_extension(extension, channel: Channel, queue: list[tuple[str, str]]) -> bool:
    proceed = False
    for condition in extension.findall("condition"):
        _refuse_unsupported(condition)
        matched, captures = _evaluate(condition, channel)
        proceed = matched
        if matched:
            for action in condition.findall("action"):
                data = _substitute(action.get("data", ""), captures) if captures is not None else action.get("data", "")
                _dispatch(action, data, channel, queue)
        else:
            for anti_action in condition.findall("anti-action"):
                _dispatch(anti_action, anti_action.get("data", ""), channel, queue)
                proceed = True
        rule = condition.get("break", "on-false")
        if (matched and rule == "on-true") or (not matched and rule == "on-false") or rule == "always":
            break
    return proceed


def _refuse_unsupported(condition) -> None:
    if condition.get("regex") is not None or condition.find("regex") is not None:
        raise Unsupported("regex='any|all|xor' conditions are not modelled")
    if condition.find("condition") is not None:
        raise Unsupported("nested conditions are not modelled")
    if any(condition.get(attribute) is not None for attribute in _TIME_ATTRIBUTES):
        raise Unsupported("time-of-day conditions are not modelled")
    if condition.find("expression") is not None:
        raise Unsupported("<expression> children are not modelled")


def _evaluate(condition, channel: Channel) -> tuple[bool, list[str] | None]:
    """(matched, captures); captures is None when the expression has no group (no `$N` substitution)."""
    name = condition.get("field")
    if name is None:
        return True, None
    if "$" in name:
        value = channel.expand(name)
    else:
        if name not in CALLER_PROFILE_FIELDS:
            raise Unsupported(f"field {name!r} is not a caller-profile field")
        value = channel.profile.get(name) or ""
    expression = channel.expand(condition.get("expression", ""))
    match = re.search(expression, value)
    if match is None:
        return False, None
    if "(" not in expression:
        return True, None
    return True, [match.group(0), *[g or "" for g in match.groups()]]


def _substitute(data: str, captures: list[str]) -> str:
    return _CAPTURE.sub(lambda m: captures[int(m.group(1))] if int(m.group(1)) < len(captures) else "", data)


def _dispatch(action, data: str, channel: Channel, queue: list[tuple[str, str]]) -> None:
    app = action.get("application", "")
    if action.get("inline", "false").lower() == "true":
        if app not in _INLINE_APPS:
            raise Unsupported(f"inline {app!r} is not modelled")
        _run(app, data, channel)
    else:
        queue.append((app, data))


def _run(app: str, data: str, channel: Channel) -> None:
    """switch_core_session_exec expands the data, then the application runs."""
    expanded = channel.expand(data)
    if app == "set":
        name, _, value = expanded.partition("=")
        if value:
            channel.variables[name] = value
        else:
            channel.variables.pop(name, None)
    elif app == "unset":
        channel.variables.pop(expanded, None)
    else:
        channel.log.append(expanded)
