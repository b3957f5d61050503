"""Train the paper's four N-body models through the Tessera runner and tabulate the results.

Usage (from the repository root, with the plugin installed)::

    # one run per model; each uses one CPU thread, so two can run side by side
    python benchmarks/egnn/nbody.py train egnn --epochs 1500 --out /tmp/egnn-nbody
    python benchmarks/egnn/nbody.py train linear radial_field gnn --epochs 300 1500 1200 \\
        --out /tmp/egnn-nbody
    # the table: test MSE at the best validation epoch next to the paper's, forward time
    python benchmarks/egnn/nbody.py report --out /tmp/egnn-nbody

``report`` writes ``benchmarks/egnn/nbody_results.md``. All runs share the simulated data
(3000/2000/2000 trajectories) in ``OUT/data``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

import tessera  # noqa: E402

HERE = Path(__file__).resolve().parent

#: The models of Table 2, configured as in the reference implementation.
MODELS = {
    "linear": {"name": "egnn.linear"},
    "gnn": {
        "name": "egnn.gnn",
        "params": {"in_features": 0, "edge_features": 1, "use_velocity": True,
                   "hidden_features": 64, "num_layers": 4},
    },
    "radial_field": {
        "name": "egnn.radial_field",
        "params": {"edge_features": 2, "velocity": True, "hidden_features": 64,
                   "num_layers": 4},
    },
    "egnn": {
        "name": "egnn",
        "params": {"in_features": 1, "edge_features": 2, "velocity": True,
                   "hidden_features": 64, "num_layers": 4},
    },
}
#: Test MSE after up to 10,000 epochs (Table 2 of arXiv:2102.09844).
PAPER = {"linear": 0.0819, "gnn": 0.0107, "radial_field": 0.0104, "egnn": 0.0071}
LABELS = {"linear": "Linear", "gnn": "GNN", "radial_field": "Radial Field", "egnn": "EGNN"}


def train(names: list[str], epochs: list[int], out: Path, seed: int) -> None:
    from tessera.runs import run

    if len(epochs) == 1:
        epochs = epochs * len(names)
    for name, count in zip(names, epochs, strict=True):
        spec = {
            "task": {
                "name": "egnn.nbody",
                "params": {"model": MODELS[name], "epochs": count,
                           "data_dir": str(out / "data")},
            },
            "seed": seed,
        }
        folder = out / name
        result = run(spec, out=folder, resume=(folder / "checkpoints").is_dir())
        print(f"{name}: {result.status} {json.dumps(result.summary)}", flush=True)


def forward_ms(name: str, repeats: int = 50) -> float:
    """Median forward time (ms) of a model on a batch of 100 five-particle systems."""
    torch.manual_seed(0)
    model = tessera.build({"kind": "model", **MODELS[name]}).eval()
    x, v = torch.randn(100, 5, 3), torch.randn(100, 5, 3)
    h = v.norm(dim=-1, keepdim=True)
    q = torch.randint(0, 2, (100, 5)).float() * 2 - 1
    edge_attr = torch.stack([q[:, :, None] * q[:, None], torch.cdist(x, x).square()], -1)
    edge_attr = edge_attr[..., : getattr(model, "edge_features", 2)]
    h = h[..., : getattr(model, "in_features", 1)]
    times = []
    with torch.no_grad():
        for _ in range(repeats + 5):
            start = time.perf_counter()
            model(h, x, None, edge_attr if edge_attr.shape[-1] else None, None, v)
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times[5:])


def report(out: Path) -> None:
    rows = []
    for name in MODELS:
        summary_path = out / name / "summary.json"
        if not summary_path.exists():
            continue
        summary = json.loads(summary_path.read_text())
        rows.append(
            f"| {LABELS[name]} | {summary['test_mse']:.4f} | {PAPER[name]:.4f} | "
            f"{summary['epochs']} | {summary['best_epoch']} | "
            f"{summary['train_seconds'] / 60:.1f} | {forward_ms(name):.2f} |"
        )
    text = "\n".join([
        "# EGNN: N-body results",
        "",
        "Charged particles, 3000 training / 2000 validation / 2000 test trajectories, "
        "positions 1000 steps ahead; test MSE at the epoch of best validation MSE (evaluated "
        "every 5 epochs). The paper trains up to 10,000 epochs; these runs are shorter. "
        "Forward time: median over 50 calls on a batch of 100 systems, one CPU thread.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s).",
        "",
        "| model | test MSE | paper | epochs | best epoch | train time (min) | forward (ms) |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Reproduce: see the docstring of `benchmarks/egnn/nbody.py`.",
        "",
    ])
    (HERE / "nbody_results.md").write_text(text, encoding="utf-8")
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train_parser = commands.add_parser("train", help="train models through the runner")
    train_parser.add_argument("models", nargs="+", choices=list(MODELS))
    train_parser.add_argument("--epochs", nargs="+", type=int, default=[1000])
    train_parser.add_argument("--seed", type=int, default=1)
    train_parser.add_argument("--out", type=Path, default=Path("/tmp/egnn-nbody"))
    report_parser = commands.add_parser("report", help="write nbody_results.md")
    report_parser.add_argument("--out", type=Path, default=Path("/tmp/egnn-nbody"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.command == "train":
        train(args.models, args.epochs, args.out, args.seed)
    else:
        report(args.out)


if __name__ == "__main__":
    main()
