"""Render freeswitch_conf/ and dialplan/ (Jinja2, every value XML-escaped) into the tree FreeSWITCH loads."""
from __future__ import annotations

from pathlib import Path

from defusedxml import ElementTree
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from cpaas.config import SettingsError
from cpaas.config.freeswitch.model import FreeSwitchSettings


def project_root() -> Path:
    """Where freeswitch_conf/ and dialplan/ live: the working directory if it has them, else this checkout."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[3]):
        if (candidate / "freeswitch_conf").is_dir() and (candidate / "dialplan").is_dir():
            return candidate
    raise FileNotFoundError("freeswitch_conf/ and dialplan/ not found (run from the project root or pass --templates)")


def render(settings: FreeSwitchSettings, out_dir: Path, templates: Path | None = None) -> list[Path]:
    """Render freeswitch_conf/** into out_dir and dialplan/** into out_dir/dialplan; return the files written.

    Every file is parsed after rendering, so a template or value that breaks the XML fails here, not in
    FreeSWITCH's log."""
    root = templates or project_root()
    sources = [(root / "freeswitch_conf", Path(".")), (root / "dialplan", Path("dialplan"))]
    written = []
    for source, target in sources:
        environment = _environment(source)
        for template_path in sorted(source.rglob("*.xml")):
            relative = template_path.relative_to(source)
            text = environment.get_template(relative.as_posix()).render(fs=settings)
            _check_well_formed(text, relative)
            destination = out_dir / target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text, encoding="utf-8")
            written.append(destination)
    return written


def _environment(source: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(source)), autoescape=True, undefined=StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )


def _check_well_formed(text: str, name: Path) -> None:
    try:
        ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise SettingsError(f"rendering {name}: not well-formed XML ({exc})") from None
