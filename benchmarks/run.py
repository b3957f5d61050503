"""Run benchmarks and write their tables: ``python benchmarks/run.py [NAME ...]``.

Each ``benchmarks/NAME/run.py`` writes ``benchmarks/NAME/results.md``; with no names, all run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    available = sorted(p.parent.name for p in HERE.glob("*/run.py"))
    unknown = sorted(set(names) - set(available))
    if unknown:
        print(
            f"unknown benchmark(s) {unknown}; available: {', '.join(available)}", file=sys.stderr
        )
        return 2
    status = 0
    for name in names or available:
        print(f"== {name}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / name / "run.py")])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
