"""Entry point of the ``tessera`` command: argument parsing and dispatch.

Errors a user can act on end with one line on stderr and exit status 2, no traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from tessera.errors import TesseraError

__all__ = ["main"]

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tessera",
        description="Find, inspect, check and run Tessera components.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("plugins", help="installed plugins and their status")
    p.add_argument(
        "--import",
        dest="do_import",
        action="store_true",
        help="import every component module to find plugins that fail to import",
    )

    p = sub.add_parser("list", help="registered components, by kind")
    p.add_argument("kind", nargs="?", help="only this kind")
    p.add_argument("pattern", nargs="?", help="shell-style pattern on names, e.g. 'egnn*'")

    p = sub.add_parser("show", help="one component: summary, config schema, paper")
    p.add_argument("kind")
    p.add_argument("name")

    p = sub.add_parser("new-plugin", help="write a working plugin skeleton with its tests")
    p.add_argument("name", help="plugin name, e.g. 'my-kernels'")
    p.add_argument("--dir", default=None, help="where to write it (default: ./tessera-NAME)")

    p = sub.add_parser("check", help="run the conformance kit on an installed plugin")
    p.add_argument("plugin", help="plugin name as `tessera plugins` lists it")
    p.add_argument("-k", dest="select", default=None, help="only checks whose id contains this")

    p = sub.add_parser("run", help="run a task spec (the quickstart when none is given)")
    p.add_argument("spec", nargs="?", help="a YAML spec of a task")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a parameter (repeatable)",
    )
    p.add_argument("--out", default=None, help="run folder (default: runs/NAME-TIMESTAMP)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--nproc", type=int, default=1, help="processes (torch.distributed)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tessera`` command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    from tessera.cli import _commands

    try:
        return getattr(_commands, "cmd_" + args.command.replace("-", "_"))(args)
    except TesseraError as error:
        print(f"tessera {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"tessera {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
