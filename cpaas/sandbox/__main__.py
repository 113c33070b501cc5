"""`python -m cpaas.sandbox [--host H] [--port P] [--password X] [--controller H:P] [--speed N]`."""
from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m cpaas.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8021)
    parser.add_argument("--password", default="ClueCon")
    parser.add_argument("--controller", default="127.0.0.1:8084")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()
    from cpaas.sandbox.cli import serve
    serve(args.host, args.port, args.password, args.controller, args.speed, log_level=args.log_level)


if __name__ == "__main__":
    main()
