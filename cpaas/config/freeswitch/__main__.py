"""`python -m cpaas.config.freeswitch --out DIR`: render the FreeSWITCH configuration from the .env."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cpaas.config import SettingsError
from cpaas.config.freeswitch.reading import load_freeswitch_settings
from cpaas.config.freeswitch.render import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="render_freeswitch_conf", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="directory FreeSWITCH loads (its conf dir)")
    parser.add_argument("--env-file", default=".env", help="dotenv file read under the environment (default .env)")
    parser.add_argument("--templates", type=Path, help="project root holding freeswitch_conf/ and dialplan/")
    args = parser.parse_args(argv)
    try:
        settings = load_freeswitch_settings(dotenv=args.env_file)
        written = render(settings, args.out, args.templates)
    except SettingsError as exc:
        print(f"render_freeswitch_conf: configuration error: {exc}", file=sys.stderr)
        return 2
    trunks = ", ".join(t.name for t in settings.trunks) or "none"
    print(f"render_freeswitch_conf: wrote {len(written)} files to {args.out} (trunks: {trunks}; "
          f"controller {settings.controller})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
