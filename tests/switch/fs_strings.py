"""A line-by-line model of FreeSWITCH's switch_separate_string (src/switch_utils.c), used to
check that OriginateRequest escapes values so FreeSWITCH reads back exactly what we meant."""

ESC = "\\"


def _unescape_char(ch: str) -> str:
    return {"n": "\n", "r": "\r", "t": "\t", "s": " "}.get(ch, ch)


def _cleanup(text: str, delim: str | None) -> str:
    i = 0
    while i < len(text) and text[i] == " ":
        i += 1
    out: list[str] = []
    end = None
    inside = False
    while i < len(text):
        ch = text[i]
        escaped = False
        if ch == ESC and i + 1 < len(text):
            e = text[i + 1]
            if e in "'\"" or (delim and e == delim) or e == ESC or _unescape_char(e) != e:
                i += 1
                out.append(_unescape_char(e) if e not in "'\"\\" and e != delim else e)
                end = len(out)
                escaped = True
        if not escaped:
            if ch == "'" and (inside or "'" in text[i + 1:]):
                inside = not inside
                if inside:
                    end = len(out)
            else:
                out.append(ch)
                if ch != " " or inside:
                    end = len(out)
        i += 1
    return "".join(out[:end] if end is not None else out)


def separate_char(text: str, delim: str, arraylen: int = 1024) -> list[str]:
    parts, start, i, inside = [], 0, 0, False
    count = 0
    starts = []
    while i < len(text) and count < arraylen:
        starts.append(i)
        count += 1
        while i < len(text):
            ch = text[i]
            if ch == ESC:
                i += 2
                continue
            if ch == "'" and (inside or "'" in text[i + 1:]):
                inside = not inside
            elif ch == delim and not inside and count < arraylen:
                break
            i += 1
        parts.append(text[starts[-1]:i])
        i += 1
    return [_cleanup(p, delim) for p in parts]


def separate_blank(text: str) -> list[str]:
    parts, i, inside = [], 0, False
    while i < len(text):
        while i < len(text) and text[i] == " ":
            i += 1
        if i >= len(text):
            break
        start = i
        while i < len(text):
            ch = text[i]
            if ch == ESC:
                i += 2
                continue
            if ch == "'":
                inside = not inside
            elif ch == " " and not inside:
                break
            i += 1
        parts.append(text[start:i])
    return [_cleanup(p, None) for p in parts]


def parse_global_vars(dial: str) -> tuple[dict, str]:
    """`{a=1,b=2}rest` -> ({'a': '1', 'b': '2'}, 'rest') the way switch_event_create_brackets does."""
    assert dial.startswith("{")
    depth, end = 0, None
    for i, ch in enumerate(dial):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0:
            end = i
            break
    inner, rest = dial[1:end], dial[end + 1:]
    variables = {}
    for item in separate_char(inner, ","):
        name, value = separate_char(item, "=", arraylen=2)
        variables[name] = value
    return variables, rest
