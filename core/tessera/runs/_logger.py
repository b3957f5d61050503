"""The built-in metrics logger: ``metrics.jsonl`` streamed, ``metrics.csv`` at the end.

It is an ordinary hooks module (the core's manifest names it as its ``hooks``), so another
logger is written the same way: implement ``tessera_run_start``, ``tessera_run_metrics``,
``tessera_run_checkpoint`` and ``tessera_run_end`` with :data:`tessera.hooks.hookimpl`.

Each record is one line, ``{"step": ..., NAME: VALUE, ...}``, flushed as it is logged. On a
resume the file is cut back to the ``run.resume_records`` records that preceded the
checkpoint the run resumes from; the task logs the rest again.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from pathlib import Path
from typing import IO, Any

from tessera.hooks import hookimpl

__all__ = [
    "tessera_run_checkpoint",
    "tessera_run_end",
    "tessera_run_metrics",
    "tessera_run_start",
    "truncate_records",
    "write_csv",
]

logger = logging.getLogger(__name__)

METRICS = "metrics.jsonl"
TABLE = "metrics.csv"
_files: dict[int, IO[str]] = {}


def truncate_records(path: Path, keep: int) -> int:
    """Cut the JSON-lines file ``path`` back to its first ``keep`` complete lines.

    A partly written last line (the process was killed while writing it) is dropped.

    :returns: the number of lines kept.
    """
    if not path.exists():
        path.write_text("", encoding="utf-8")
        return 0
    data = path.read_bytes()
    lines = data.splitlines(keepends=True)
    complete = [line for line in lines if line.endswith(b"\n")]
    kept = complete[:keep]
    if len(kept) < keep:
        logger.warning(
            "%s holds %d records, fewer than the %d its checkpoint counted", path, len(kept), keep
        )
    if len(kept) != len(lines):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(b"".join(kept))
        os.replace(tmp, path)
    return len(kept)


def write_csv(folder: Path) -> Path:
    """Write ``metrics.csv`` from ``metrics.jsonl``: a ``step`` column, then each metric."""
    records = []
    source = folder / METRICS
    if source.exists():
        for line in source.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(json.loads(line))
    columns = ["step"]
    for record in records:
        columns += [k for k in record if k not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    path = folder / TABLE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _file(run: Any) -> IO[str]:
    handle = _files.get(id(run))
    if handle is None or handle.closed:
        handle = _files[id(run)] = (Path(run.out_dir) / METRICS).open("a", encoding="utf-8")
    return handle


@hookimpl
def tessera_run_start(run: Any) -> None:
    """Open ``metrics.jsonl``: emptied on a fresh run, cut back to the checkpoint on resume."""
    path = Path(run.out_dir) / METRICS
    if run.resumed:
        truncate_records(path, run.resume_records)
    else:
        path.write_text("", encoding="utf-8")
    _file(run)


@hookimpl
def tessera_run_metrics(run: Any, step: int, metrics: dict[str, float]) -> None:
    """Append one record and flush it."""
    handle = _file(run)
    handle.write(json.dumps({"step": step, **metrics}) + "\n")
    handle.flush()


@hookimpl
def tessera_run_checkpoint(run: Any, step: int, path: Any) -> None:
    """Make the records logged before the checkpoint durable."""
    handle = _file(run)
    handle.flush()
    os.fsync(handle.fileno())


@hookimpl
def tessera_run_end(run: Any, status: str, summary: dict[str, Any]) -> None:
    """Close ``metrics.jsonl`` and write ``metrics.csv``."""
    handle = _files.pop(id(run), None)
    if handle is not None:
        handle.close()
    write_csv(Path(run.out_dir))
