"""FreeSWITCH's argument splitting (switch_separate_string on blanks), as applications see it:
single quotes group words, a backslash escapes the next character, quotes and escapes are removed."""
from __future__ import annotations

_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "s": " "}


def separate_blank(text: str) -> list[str]:
    raw: list[str] = []
    current: list[str] = []
    inside_quotes = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if char == "'":
            inside_quotes = not inside_quotes
        if char == " " and not inside_quotes:
            if current:
                raw.append("".join(current))
                current = []
        else:
            current.append(char)
        i += 1
    if current:
        raw.append("".join(current))
    return [_cleanup(token) for token in raw]


def _cleanup(token: str) -> str:
    """cleanup_separated_string: drop quotes (when balanced) and read escapes. As in FreeSWITCH, a
    backslash is only consumed before a quote, a blank, another backslash or n/r/t/s, so a regex
    argument like `\\d+` reaches the application unchanged."""
    out: list[str] = []
    inside_quotes = False
    i = 0
    while i < len(token):
        char = token[i]
        if char == "\\" and i + 1 < len(token) and (token[i + 1] in "'\" \\" or token[i + 1] in _UNESCAPE):
            nxt = token[i + 1]
            out.append(_UNESCAPE.get(nxt, nxt))
            i += 2
            continue
        if char == "'" and (inside_quotes or "'" in token[i + 1:]):
            inside_quotes = not inside_quotes
        else:
            out.append(char)
        i += 1
    return "".join(out).strip(" ") if not inside_quotes else "".join(out)
