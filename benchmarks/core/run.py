"""Core benchmark: cold start of ``tessera list`` with ten plugins, and create() overhead.

Writes ``benchmarks/core/results.md``. Run: ``python benchmarks/run.py core``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGINS = 10
COMPONENTS = 8
REPEATS = 7

MANIFEST = """[plugin]
tessera-api = ">=1.0,<2"
summary = "Synthetic plugin {i}"
"""
COMPONENT = """
[[components]]
kind = "model"
name = "bench{i}.m{j}"
target = "bench_plugin_{i}.impl:Model{j}"
config = "bench_plugin_{i}.configs:Config{j}"
summary = "Model {j} of plugin {i}"
"""


def make_plugins(site: Path) -> None:
    """Ten synthetic distributions, each with eight components, as dist-info folders."""
    for i in range(PLUGINS):
        info = site / f"bench_plugin_{i}-0.1.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: bench-plugin-{i}\nVersion: 0.1\n"
        )
        (info / "entry_points.txt").write_text(f"[tessera.plugins]\nbench{i} = bench_plugin_{i}\n")
        pkg = site / f"bench_plugin_{i}"
        pkg.mkdir()
        (pkg / "__init__.py").write_text("import torch  # a heavy plugin package\n")
        text = MANIFEST.format(i=i) + "".join(
            COMPONENT.format(i=i, j=j) for j in range(COMPONENTS)
        )
        (pkg / "tessera-plugin.toml").write_text(text)


def cold_start(env: dict[str, str], command: list[str]) -> tuple[float, int, list[str]]:
    code = (
        "import sys, time, json\n"
        "t = time.perf_counter()\n"
        "from tessera.cli import main\n"
        f"main({command!r})\n"
        "dt = time.perf_counter() - t\n"
        "mods = sorted(sys.modules)\n"
        "sys.stderr.write(json.dumps([dt, mods]))\n"
    )
    times, modules = [], []
    for _ in range(REPEATS):
        r = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        dt, modules = json.loads(r.stderr)
        times.append(dt)
    return statistics.median(times), len(modules), modules


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        make_plugins(site)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path[1:]])}
        for command in (["list"], ["plugins"]):
            t, n, modules = cold_start(env, command)
            heavy = [m for m in modules if m == "torch" or m.startswith("bench_plugin")]
            rows.append(
                (
                    f"tessera {command[0]} ({PLUGINS} plugins, {PLUGINS * COMPONENTS} components)",
                    f"{t * 1e3:.0f} ms",
                    str(n),
                    ", ".join(heavy) or "none",
                )
            )
        python = subprocess.run([sys.executable, "-c", "pass"], env=env)
        base = timeit.repeat(
            lambda: subprocess.run([sys.executable, "-c", "pass"], env=env),
            number=1,
            repeat=REPEATS,
        )
        rows.append(
            (
                "python -c pass (interpreter start, for reference)",
                f"{statistics.median(base) * 1e3:.0f} ms",
                "-",
                "-",
            )
        )
        del python

    import tessera
    from tessera.groups import SO

    tessera.create("group", "so", n=3)  # warm: discovery and imports
    n = 2000
    direct = min(timeit.repeat(lambda: SO(3), number=n, repeat=5)) / n
    created = (
        min(timeit.repeat(lambda: tessera.create("group", "so", n=3), number=n, repeat=5)) / n
    )

    lines = [
        "# Core benchmark",
        "",
        f"Command: `python benchmarks/run.py core` (median of {REPEATS} cold starts; "
        "create timings are the best of 5 × 2000 calls).",
        "",
        "| measurement | time from `import tessera.cli` to exit | modules imported "
        "| torch or plugin modules imported |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        "| call | time per call |",
        "|---|---|",
        f"| `SO(3)` directly | {direct * 1e6:.1f} µs |",
        f"| `tessera.create('group', 'so', n=3)` | {created * 1e6:.1f} µs |",
        f"| overhead of create | {(created - direct) * 1e6:.1f} µs |",
        "",
    ]
    (HERE / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
