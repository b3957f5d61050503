"""Throughput and peak memory of the EGNN layer, next to egnn-pytorch when it is installed.

Usage (from the repository root, with the plugin installed)::

    python benchmarks/egnn/run.py            # writes benchmarks/egnn/results.md
    python benchmarks/egnn/run.py --repeats 5 --rounds 1 --threads 1

Two configurations: the N-body one (batches of 100 graphs of 5 nodes in 3D, 64 features,
2 edge attributes) and a larger one (8 graphs of 100 nodes, 64 features, no edge
attributes). For each implementation it times the forward pass (no gradient) and forward
plus backward of ``h.sum() + x.sum()``, reporting the median over ``--repeats`` timed calls
after warm-up, and the peak resident memory added by forward + backward. Each measurement
runs in its own process, so the peaks do not mix; ``--rounds`` alternates the
implementations that many times and keeps each one's best. The measurements of every round
go to ``benchmarks/egnn/raw/layer.json``.

egnn-pytorch (``pip install egnn-pytorch einops``) is configured as close to the paper's
layer as it allows: message width 64, no normalisation, sum pooling; it has a wider edge
MLP, so its parameter count differs, and the table lists both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"
CONFIGS = {
    "nbody": {"batch": 100, "nodes": 5, "features": 64, "edges": 2, "dim": 3},
    "100 nodes": {"batch": 8, "nodes": 100, "features": 64, "edges": 0, "dim": 3},
}
IMPLEMENTATIONS = ("tessera-egnn", "egnn-pytorch")


def _build(implementation: str, config: dict[str, int]):
    import torch

    f, e = config["features"], config["edges"]
    if implementation == "tessera-egnn":
        import tessera

        layer = tessera.create(
            "equivariant_layer", "egnn", in_features=f, hidden_features=64, edge_features=e
        )

        def call(h, x, edge_attr):
            return layer(h, x, None, edge_attr)

    else:
        from egnn_pytorch import EGNN

        layer = EGNN(dim=f, edge_dim=e, m_dim=64)

        def call(h, x, edge_attr):
            return layer(h, x, edges=edge_attr)

    torch.manual_seed(0)
    b, n, d = config["batch"], config["nodes"], config["dim"]
    h, x = torch.randn(b, n, f), torch.randn(b, n, d)
    edge_attr = torch.randn(b, n, n, e) if e else None
    return layer, call, (h, x, edge_attr)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(implementation: str, config_name: str, repeats: int, threads: int) -> dict:
    """Measure one implementation on one configuration (run in a fresh process)."""
    import torch

    torch.set_num_threads(threads)
    config = CONFIGS[config_name]
    layer, call, inputs = _build(implementation, config)
    params = sum(p.numel() for p in layer.parameters())

    def forward_backward():
        h, x = call(*inputs)
        (h.sum() + x.sum()).backward()

    with torch.no_grad():
        for _ in range(3):
            call(*inputs)
    base = _peak_mib()
    forward_backward()
    peak = _peak_mib() - base

    def timed(function) -> float:
        for _ in range(3):
            function()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
        return 1000 * statistics.median(times)

    with torch.no_grad():
        forward = timed(lambda: call(*inputs))
    both = timed(forward_backward)
    return {
        "params": params,
        "forward_ms": forward,
        "forward_backward_ms": both,
        "peak_mib": peak,
        "graphs": config["batch"],
    }


def _measure(implementation: str, config: str, repeats: int, threads: int) -> dict | None:
    command = [
        sys.executable,
        __file__,
        "--worker",
        implementation,
        config,
        "--repeats",
        str(repeats),
        "--threads",
        str(threads),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"{implementation} on {config}: skipped ({last})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(rounds: list[dict]) -> dict | None:
    """The fastest forward and forward + backward times and the smallest peak over rounds."""
    if not rounds:
        return None
    best = dict(rounds[0])
    for key in ("forward_ms", "forward_backward_ms", "peak_mib"):
        best[key] = min(r[key] for r in rounds)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per measurement")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best kept")
    parser.add_argument(
        "--worker", nargs=2, metavar=("IMPLEMENTATION", "CONFIG"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.repeats, args.threads)))
        return

    import torch

    # Alternate the implementations round by round; keep each one's best round
    rounds: dict[tuple[str, str], list[dict]] = {
        (i, c): [] for c in CONFIGS for i in IMPLEMENTATIONS
    }
    for _ in range(args.rounds):
        for (implementation, config), found in rounds.items():
            measured = _measure(implementation, config, args.repeats, args.threads)
            if measured is not None:
                found.append(measured)
    results = {key: _best(found) for key, found in rounds.items()}
    RAW.mkdir(exist_ok=True)
    raw = {
        "repeats": args.repeats,
        "threads": args.threads,
        "rounds": args.rounds,
        "torch": torch.__version__,
        "load_average": os.getloadavg()[0],
        "measurements": [
            {"implementation": i, "configuration": c, "rounds": found}
            for (i, c), found in rounds.items()
        ],
    }
    (RAW / "layer.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    lines = [
        "# EGNN layer: throughput and memory",
        "",
        f"One `egnn` layer, 64 features and hidden width 64, CPU, {args.threads} thread(s), "
        f"median of {args.repeats} calls, best of {args.rounds} alternating rounds; "
        f"torch {torch.__version__}, "
        f"{platform.processor() or platform.machine()}; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared with other work, so "
        "times are upper bounds; the ratios are the comparison). Peak memory: resident-set "
        "growth during the first forward + backward, in a fresh process.",
        "",
        "| configuration | implementation | parameters | forward (ms) | forward graphs/s "
        "| fwd+bwd (ms) | fwd+bwd graphs/s | peak memory (MiB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (implementation, config), r in results.items():
        if r is None:
            lines.append(f"| {config} | {implementation} | not installed | | | | | |")
            continue
        lines.append(
            f"| {config} | {implementation} | {r['params']:,} | {r['forward_ms']:.2f} | "
            f"{r['graphs'] / r['forward_ms'] * 1000:,.0f} | {r['forward_backward_ms']:.2f} | "
            f"{r['graphs'] / r['forward_backward_ms'] * 1000:,.0f} | {r['peak_mib']:.1f} |"
        )
    ratios = []
    for config in CONFIGS:
        ours, theirs = results[("tessera-egnn", config)], results[("egnn-pytorch", config)]
        if ours and theirs:
            ratios.append(
                f"| {config} | {theirs['forward_ms'] / ours['forward_ms']:.2f} | "
                f"{theirs['forward_backward_ms'] / ours['forward_backward_ms']:.2f} | "
                f"{theirs['peak_mib'] / max(ours['peak_mib'], 0.1):.2f} |"
            )
    if ratios:
        lines += [
            "",
            "Ratios egnn-pytorch / tessera-egnn (above 1: tessera-egnn is faster or smaller):",
            "",
            "| configuration | forward time | fwd+bwd time | peak memory |",
            "|---|---|---|---|",
            *ratios,
        ]
    lines += ["", "Reproduce: `python benchmarks/egnn/run.py` (see its docstring).", ""]
    (HERE / "results.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
