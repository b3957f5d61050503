"""The NLL comparison: E-NF against the GNN-flow and simple-dynamics baselines.

Every entry is one ``tessera.runs.run`` of the task ``enf.dw4`` or ``enf.lj13`` whose spec is
saved with its summary in ``table-<system>.json``, so each row can be rerun on its own with
``tessera run``. The budgets (epochs) are far below the paper's; ``run.py`` writes them into
``results.md`` next to the paper's figures.

Usage (``run.py`` calls this; it can also run alone)::

    python benchmarks/enf/table.py [--system dw4] [--only NAME ...] [--out /tmp/enf_runs]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from tessera_enf.configs import ENF_LAYER

HERE = Path(__file__).parent


def results_path(system: str) -> Path:
    return HERE / f"table-{system}.json"


#: Test NLL of Table 1 of arXiv 2105.09016 (nats, zero-CoM convention), by model and
#: training-set size.
PAPER = {
    "dw4": {
        "gnn": {100: 11.93, 1000: 11.31, 10000: 10.38, 100000: 7.95},
        "simple": {100: 9.58, 1000: 9.62, 10000: 9.59, 100000: 9.57},
        "enf": {100: 8.31, 1000: 8.15, 10000: 7.69, 100000: 7.48},
    },
    "lj13": {
        "gnn": {10: 43.56, 100: 42.84, 1000: 37.17, 10000: 36.49},
        "simple": {10: 33.67, 100: 33.10, 1000: 32.79, 10000: 32.99},
        "enf": {10: 33.12, 100: 30.99, 1000: 30.56, 10000: 30.41},
    },
}

#: The paper's epochs by training-set size.
PAPER_EPOCHS = {
    "dw4": {100: 1000, 1000: 300, 10000: 50, 100000: 6},
    "lj13": {10: 500, 100: 1000, 1000: 300, 10000: 50},
}

DW4_DYNAMICS = {
    "enf": ENF_LAYER,  # the paper's dynamics, as the plugin's default flow uses it
    "gnn": {"name": "enf.gnn", "params": {"in_features": 32, "hidden_features": 32}},
    "simple": {"name": "enf.simple", "params": {}},
}


def entry(system: str, model: str, num_train: int, tag: str = "", **task: Any) -> dict[str, Any]:
    n, d = (4, 2) if system == "dw4" else (13, 3)
    dynamics = json.loads(json.dumps(DW4_DYNAMICS[model]))
    dynamics["params"]["dim"] = d
    if "num_nodes" in dynamics["params"] or model != "enf":
        dynamics["params"]["num_nodes"] = n
    flow = {
        "num_nodes": n,
        "dim": d,
        "dynamics": dynamics,
        "num_layers": 1 if model == "simple" else 3,
    }
    if system == "lj13":
        flow["eval_trace"] = "hutchinson"  # as the reference evaluates LJ13
    params = {
        "flow": {"name": "enf", "params": flow},
        "num_train": num_train,
        "lr": 5e-4 if model == "enf" else 1e-3,
        "data_dir": "/tmp/enf_data",
        **task,
    }
    return {
        "name": f"{system}-{model}-{num_train}{tag}",
        "system": system,
        "model": model,
        "spec": {"task": {"name": f"enf.{system}", "params": params}, "seed": 0},
    }


#: DW4: the three dynamics at the paper's second training-set size (10³), each at two
#: budgets (8 and 24 epochs), and E-NF at 10² with the same number of steps. LJ13: E-NF at
#: 10² samples, Hutchinson's trace in evaluation as in the reference.
DW4_BUDGET = {"epochs": 8, "eval_every": 4, "num_valid": 500}
DW4_LONG = {"epochs": 24, "eval_every": 8, "num_valid": 500}
ENTRIES = [
    entry("dw4", "enf", 1000, **DW4_BUDGET),
    entry("dw4", "gnn", 1000, augment=True, **DW4_BUDGET),
    entry("dw4", "simple", 1000, **DW4_BUDGET),
    entry("dw4", "enf", 1000, "-long", **DW4_LONG),
    entry("dw4", "gnn", 1000, "-long", augment=True, **DW4_LONG),
    entry("dw4", "simple", 1000, "-long", **DW4_LONG),
    # 10² samples: one batch per epoch, so as many optimiser steps as the 24-epoch rows
    entry("dw4", "enf", 100, epochs=240, eval_every=40, num_valid=500),
    entry(
        "lj13",
        "enf",
        100,
        epochs=3,
        batch_size=20,
        eval_every=3,
        num_valid=200,
        eval_batch_size=100,
        num_samples=200,
    ),
]


def run(names: list[str] | None, system: str | None, out: Path) -> None:
    import torch

    import tessera.runs as runs

    torch.set_num_threads(1)
    for item in ENTRIES:
        if (names and item["name"] not in names) or (system and item["system"] != system):
            continue
        folder = out / item["name"]
        path = results_path(item["system"])
        done = json.loads(path.read_text()) if path.exists() else {}
        if done.get(item["name"], {}).get("status") == "completed":
            continue
        began = time.time()
        resume = (folder / "checkpoints").is_dir() and any((folder / "checkpoints").iterdir())
        result = runs.run(item["spec"], out=folder, resume=resume)
        results = json.loads(path.read_text()) if path.exists() else {}
        results[item["name"]] = {
            **item,
            "status": result.status,
            "error": result.error,
            "summary": result.summary,
            "wall_s": time.time() - began,
        }
        path.write_text(json.dumps(results, indent=1) + "\n")
        print(item["name"], result.status, result.summary.get("test_nll"), flush=True)
        if result.status == "interrupted":
            break


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--system", choices=["dw4", "lj13"])
    parser.add_argument("--out", type=Path, default=Path("/tmp/enf_runs"))
    args = parser.parse_args()
    run(args.only, args.system, args.out)
