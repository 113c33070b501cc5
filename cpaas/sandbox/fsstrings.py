"""FreeSWITCH's string splitting (switch_utils.c `switch_separate_string` and
`cleanup_separated_string`), as the originate api and applications see their arguments:
single quotes group, a backslash escapes a quote, the delimiter, another backslash, or stands
for a character (`\\s` blank, `\\n`, `\\r`, `\\t`); any other backslash stays as it is (so a
regex like `\\d+` reaches play_and_get_digits unchanged); blanks at the edges are trimmed.
"""
from __future__ import annotations

_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "s": " "}


def cleanup(token: str, delim: str | None) -> str:
    """cleanup_separated_string(token, delim)."""
    i = 0
    while i < len(token) and token[i] == " ":
        i += 1
    out: list[str] = []
    end = 0  # length of `out` up to the last character that is kept (trailing blanks are cut)
    inside_quotes = False
    while i < len(token):
        char = token[i]
        if char == "\\" and i + 1 < len(token):
            nxt = token[i + 1]
            if nxt in "'\"\\" or (delim and nxt == delim) or nxt in _UNESCAPE:
                out.append(_UNESCAPE.get(nxt, nxt))
                end = len(out)
                i += 2
                continue
        if char == "'" and (inside_quotes or "'" in token[i + 1:]):
            inside_quotes = not inside_quotes
            if inside_quotes:
                end = len(out)
        else:
            out.append(char)
            if char != " " or inside_quotes:
                end = len(out)
        i += 1
    return "".join(out[:end])


def separate(text: str, delim: str, limit: int = 0) -> list[str]:
    """switch_separate_string(text, delim): split outside quotes and escapes, then clean each part.
    `limit` (like arraylen) leaves the rest of the string in the last part."""
    if delim == " ":
        return _separate_blank(text, limit)
    parts: list[str] = []
    start = 0
    i = 0
    inside_quotes = False
    while i < len(text):
        if limit and len(parts) == limit - 1:
            break
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "'" and (inside_quotes or "'" in text[i + 1:]):
            inside_quotes = not inside_quotes
        elif char == delim and not inside_quotes:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    if text:
        parts.append(text[start:])
    return [cleanup(part, delim) for part in parts]


def _separate_blank(text: str, limit: int) -> list[str]:
    raw: list[str] = []
    i = 0
    while i < len(text):
        while i < len(text) and text[i] == " ":
            i += 1
        if i >= len(text):
            break
        if limit and len(raw) == limit - 1:
            raw.append(text[i:])
            break
        start = i
        inside_quotes = False
        while i < len(text):
            char = text[i]
            if char == "\\":
                i += 2
                continue
            if char == "'":
                inside_quotes = not inside_quotes
            elif char == " " and not inside_quotes:
                break
            i += 1
        raw.append(text[start:i])
    return [cleanup(token, None) for token in raw]


def separate_blank(text: str) -> list[str]:
    """An application's arguments split on blanks (play_and_get_digits, read, record...)."""
    return _separate_blank(text, 0)
