"""The ``tessera`` subcommands."""

from __future__ import annotations

import argparse
import contextlib
import sys
import textwrap
from typing import Any

from tessera.errors import TesseraError
from tessera.registry import component_fields, get_registry

__all__ = ["cmd_check", "cmd_list", "cmd_new_plugin", "cmd_plugins", "cmd_run", "cmd_show"]


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def cmd_plugins(args: argparse.Namespace) -> int:
    registry = get_registry()
    if args.do_import:
        loaded = {p.name for p in registry.plugins() if p.status == "loaded"}
        for info in registry.components():
            if info.plugin in loaded:
                with contextlib.suppress(TesseraError):  # recorded as the plugin's status
                    info.load()
    rows = []
    for p in registry.plugins():
        status = p.status if not p.reason else f"{p.status}: {p.reason}"
        rows.append([p.name, p.distribution, p.version, status])
    print(_table(rows, ["plugin", "distribution", "version", "status"]))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    registry = get_registry()
    components = registry.components(args.kind, args.pattern)
    clashing = {
        (c.kind, c.name)
        for c in components
        if sum(1 for d in components if (d.kind, d.name) == (c.kind, c.name)) > 1
    }
    rows = [
        [c.kind, c.qualified_name if (c.kind, c.name) in clashing else c.name, c.plugin, c.summary]
        for c in components
    ]
    if not rows:
        what = f"{args.kind} components" if args.kind else "components"
        match = f" matching {args.pattern!r}" if args.pattern else ""
        print(f"no {what}{match}")
        return 0
    print(_table(rows, ["kind", "name", "plugin", "summary"]))
    return 0


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    text = text or repr(annotation)
    return text.replace("typing.", "").replace("NoneType", "None")


def cmd_show(args: argparse.Namespace) -> int:
    registry = get_registry()
    info = registry.get(args.kind, args.name)
    model = info.load_config()
    refs = component_fields(model)
    print(f"{info.kind} {info.name}  ({info.qualified_name})")
    if info.summary:
        print(f"  {info.summary}")
    print(f"  distribution: {info.distribution or '-'} {info.version}")
    if info.paper or info.arxiv:
        arxiv = f" (arXiv:{info.arxiv})" if info.arxiv else ""
        print(f"  paper: {info.paper}{arxiv}")
    print(f"  target: {info.target!s}")
    print("\nconfig:")
    rows = []
    for name, field in model.model_fields.items():
        if name in refs:
            ref, many = refs[name]
            kind = f"component({ref.kind})"
            type_name = f"list[{kind}]" if many else kind
        else:
            type_name = _type_name(field.annotation)
        if field.is_required():
            default = "(required)"
        elif field.default_factory is not None:
            default = repr(field.default_factory())
        else:
            default = repr(field.default)
        rows.append([name, type_name, default, field.description or ""])
    print(
        textwrap.indent(_table(rows, ["field", "type", "default", "description"]), "  ")
        if rows
        else "  (no parameters)"
    )
    if info.examples and info.examples != [{}]:
        print("\nexamples:")
        for example in info.examples:
            print(f"  {example}")
    return 0


def cmd_new_plugin(args: argparse.Namespace) -> int:
    from tessera.cli._skeleton import write_skeleton

    path = write_skeleton(args.name, args.dir)
    print(f"wrote plugin skeleton to {path}")
    print(f"next: pip install -e {path} && pytest {path}/tests")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from tessera.testing import run_checks

    report = run_checks(plugin=args.plugin, select=args.select)
    for result in report.results:
        mark = "SKIP" if result.skipped else "PASS" if result.passed else "FAIL"
        print(f"{mark} {result.id}")
        if not result.passed or result.skipped:
            print(textwrap.indent(result.message.strip(), "    "))
    skipped = f", {report.skipped} skipped" if report.skipped else ""
    print(f"{report.passed} passed, {report.failed} failed{skipped}")
    return 0 if report.failed == 0 else 1


def cmd_run(args: argparse.Namespace) -> int:
    try:
        from tessera.runs import run_cli
    except ImportError:  # pragma: no cover
        print(
            "tessera run: error: the runner is not available in this installation", file=sys.stderr
        )
        return 2
    return run_cli(args)
