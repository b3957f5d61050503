"""``report.md``: a run's status, summary table and plots, and those of its child runs."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tessera.runs._spec import flatten

__all__ = ["write_report"]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _format(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, list):
        text = json.dumps(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return str(value).replace("|", "\\|")


def _table(summary: Mapping[str, Any]) -> list[str]:
    rows = list(flatten(summary))
    if not rows:
        return ["(no summary)", ""]
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {key} | {_format(value)} |" for key, value in rows]
    return [*lines, ""]


def _children(folder: Path) -> list[Path]:
    found = []
    for path in folder.iterdir():
        info = _read_json(path / "run.json") if path.is_dir() else None
        if isinstance(info, Mapping):
            found.append((info.get("position", 0), path.name, path))
    return [path for _, _, path in sorted(found)]


def _section(folder: Path, root: Path, depth: int) -> list[str]:
    info = _read_json(folder / "run.json") or {}
    summary = _read_json(folder / "summary.json") or {}
    children = _children(folder)
    title = info.get("name", folder.name)
    task = info.get("task", "?")
    status = info.get("status", "?")
    lines = [f"{'#' * depth} {title}", ""]
    processes = info.get("world_size", 1)
    lines.append(
        f"Task `{task}`, seed {info.get('seed', '?')}, {processes} "
        f"process{'es' if processes != 1 else ''}: **{status}**."
    )
    if info.get("error"):
        error = (folder / "error.txt").relative_to(root).as_posix()
        lines.append(f"Error: `{info['error']}` (traceback in [{error}]({error})).")
    lines.append("")
    if not children:
        lines += _table(summary)
    plots = sorted((folder / "plots").glob("*.png")) if (folder / "plots").is_dir() else []
    for plot in plots:
        rel = plot.relative_to(root).as_posix()
        lines += [f"![{plot.stem}]({rel})", ""]
    for child in children:
        lines += _section(child, root, depth + 1)
    return lines


def write_report(folder: str | Path) -> Path:
    """Write ``report.md`` in the run folder ``folder`` from what the folder holds.

    :returns: the report's path.
    """
    folder = Path(folder)
    lines = _section(folder, folder, 1)
    spec = folder / "spec.yaml"
    if spec.is_file():
        lines += ["## Spec", "", "```yaml", spec.read_text(encoding="utf-8").rstrip(), "```", ""]
    path = folder / "report.md"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(path)
    return path
