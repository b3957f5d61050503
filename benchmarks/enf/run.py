"""Benchmarks of the E-NF plugin; writes ``benchmarks/enf/results.md``.

Two parts, each resumable and each saving its raw numbers next to this file:

* ``comparison`` (:mod:`table`): test NLL of E-NF against the GNN-flow and simple-dynamics
  baselines on DW4 (and E-NF on LJ13), every row one ``tessera run`` of ``enf.dw4`` or
  ``enf.lj13`` saved with its spec in ``table-<system>.json``; rows already completed are
  not rerun.
* ``cost``: exact vs Hutchinson trace and ``odeint`` vs ``odeint_adjoint``: wall time per
  epoch, function evaluations per solve, peak memory and test NLL, each configuration in
  its own process, saved in ``cost.json``.

Usage::

    python benchmarks/run.py enf                      # the same as the next line
    python benchmarks/enf/run.py                      # both parts, then results.md
    python benchmarks/enf/run.py --part comparison --system dw4
    python benchmarks/enf/run.py --part cost --system dw4
    python benchmarks/enf/run.py --report             # results.md from the saved numbers
    python benchmarks/enf/run.py --part cost --quick  # smoke test, writes nothing
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

CONFIGS = [
    {"system": "dw4", "trace": "hutchinson", "adjoint": False},
    {"system": "dw4", "trace": "hutchinson", "adjoint": True},
    {"system": "dw4", "trace": "exact", "adjoint": False},
    {"system": "dw4", "trace": "exact", "adjoint": True},
    {"system": "lj13", "trace": "hutchinson", "adjoint": False},
    {"system": "lj13", "trace": "hutchinson", "adjoint": True},
    {"system": "lj13", "trace": "exact", "adjoint": True},
]


def one(config: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration in this process and measure it."""
    import torch

    import tessera

    torch.set_num_threads(1)
    system, epochs = config["system"], config["epochs"]
    n, d = (4, 2) if system == "dw4" else (13, 3)
    flow_params = {
        "num_nodes": n,
        "dim": d,
        "trace": config["trace"],
        "adjoint": config["adjoint"],
    }
    if system == "lj13":
        flow_params["eval_trace"] = "hutchinson"
    torch.manual_seed(0)  # the same initial weights for every configuration
    task = tessera.create(
        "task",
        f"enf.{system}",
        flow={"name": "enf", "params": flow_params},
        num_train=config["num_train"],
        num_test=config["num_test"],
        num_valid=10,
        batch_size=config["batch_size"],
        eval_batch_size=100,
        epochs=epochs,
        plot=False,
        data_dir="/tmp/enf_data",
    )
    data, _ = task.load_data("/tmp/enf_data")
    flow = task.flow
    optimizer = torch.optim.AdamW(flow.parameters(), lr=5e-4, amsgrad=True)
    generator = torch.Generator().manual_seed(0)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    times, nfes = [], []
    for _ in range(epochs):
        began = time.perf_counter()
        flow.train()
        order = torch.randperm(len(data["train"]), generator=generator)
        for start in range(0, len(order), config["batch_size"]):
            batch = data["train"][order[start : start + config["batch_size"]]]
            z, log_det, _ = flow.forward_and_regularization(batch, generator=generator)
            loss = -(flow.base_log_prob(z) + log_det).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            nfes.append(flow.last_nfe)
        times.append(time.perf_counter() - began)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    test_nll, nfe_eval = task.evaluate(data["test"])
    return {
        **config,
        "seconds_per_epoch": sum(times) / len(times),
        "nfe_train": sum(nfes) / len(nfes),
        "peak_mib": (peak_rss - base_rss) / 1024,
        "test_nll": test_nll,
        "nfe_eval": nfe_eval,
    }


def cost(system: str | None, quick: bool) -> None:
    """Run the cost configurations, each in a fresh process; save them in ``cost.json``."""
    sizes = {
        "dw4": {"num_train": 1000, "num_test": 1000, "batch_size": 100, "epochs": 2},
        "lj13": {"num_train": 100, "num_test": 200, "batch_size": 20, "epochs": 1},
    }
    if quick:
        sizes = {
            s: {"num_train": 20, "num_test": 20, "batch_size": 10, "epochs": 1} for s in sizes
        }
    path = HERE / "cost.json"
    saved = json.loads(path.read_text()) if path.exists() and not quick else {}
    for config in CONFIGS:
        if system and config["system"] != system:
            continue
        config = {**config, **sizes[config["system"]]}
        key = (
            f"{config['system']}-{config['trace']}-{'adjoint' if config['adjoint'] else 'direct'}"
        )
        if "error" not in saved.get(key, {"error": None}):
            continue
        began = time.time()
        out = subprocess.run(
            [sys.executable, __file__, "_one", json.dumps(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            row = {**config, "error": out.stderr.strip().splitlines()[-1]}
        else:
            row = json.loads(out.stdout.strip().splitlines()[-1])
        row["wall_s"] = time.time() - began
        print(key, json.dumps(row), flush=True)
        if not quick:
            saved[key] = row
            path.write_text(json.dumps(saved, indent=1) + "\n")


def comparison_lines() -> list[str]:
    """The NLL table of the saved comparison runs, next to the paper's figures."""
    from table import ENTRIES, PAPER, PAPER_EPOCHS, results_path

    results: dict[str, Any] = {}
    for system in ("dw4", "lj13"):
        if results_path(system).exists():
            results.update(json.loads(results_path(system).read_text()))
    names = {"enf": "E-NF", "gnn": "GNN-flow", "simple": "Simple dynamics"}
    lines = [
        "| system | model | train size | epochs (paper) | test NLL | paper NLL "
        "| NFE train / eval | s / epoch | min | median E: samples / data |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for item in ENTRIES:
        system, model = item["system"], item["model"]
        params = item["spec"]["task"]["params"]
        n = params["num_train"]
        paper = f"{PAPER[system][model][n]:.2f}"
        head = f"| {system.upper()} | {names[model]} | {n} |"
        done = results.get(item["name"], {})
        if done.get("status") != "completed":
            status = done.get("status", "not run")
            lines.append(
                f"{head} {params['epochs']} ({PAPER_EPOCHS[system][n]}) | {status} "
                f"| {paper} | | | | |"
            )
            continue
        s = done["summary"]
        lines.append(
            f"{head} {s['epochs']} ({PAPER_EPOCHS[system][n]}) | {s['test_nll']:.2f} | "
            f"{paper} | {s['nfe_train']:.0f} / {s['nfe_eval']:.0f} | "
            f"{s['seconds_per_epoch']:.0f} | {s['train_seconds'] / 60:.1f} | "
            f"{s.get('sample_energy_median', math.nan):.3g} / "
            f"{s.get('data_energy_median', math.nan):.3g} |"
        )
    return lines


def cost_lines() -> list[str]:
    """The cost table from ``cost.json``."""
    path = HERE / "cost.json"
    if not path.exists():
        return ["Not run yet: `python benchmarks/enf/run.py --part cost`."]
    lines = [
        "| system | trace | backprop | train size | batch | epochs | s/epoch | NFE/solve |"
        " peak MiB | test NLL |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in json.loads(path.read_text()).values():
        how = "adjoint" if r["adjoint"] else "direct"
        head = (
            f"| {r['system'].upper()} | {r['trace']} | {how} | {r['num_train']} | "
            f"{r['batch_size']} | {r['epochs']} |"
        )
        if "error" in r:
            lines.append(f"{head} failed: {r['error']} | | | |")
            continue
        lines.append(
            f"{head} {r['seconds_per_epoch']:.1f} | {r['nfe_train']:.1f} | "
            f"{r['peak_mib']:.0f} | {r['test_nll']:.3f} |"
        )
    return lines


def write() -> None:
    """``results.md``: the measured tables with the notes that explain them."""
    notes = (HERE / "notes.md").read_text().strip().split("<!-- cost -->")
    text = "\n".join(
        [
            notes[0].strip().replace("<!-- comparison -->", "\n".join(comparison_lines())),
            "",
            notes[1].strip().replace("<!-- cost-table -->", "\n".join(cost_lines())),
        ]
    )
    (HERE / "results.md").write_text(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["comparison", "cost"], help="run only this part")
    parser.add_argument("--system", choices=["dw4", "lj13"], help="run only this system")
    parser.add_argument("--out", type=Path, default=Path("/tmp/enf_runs"), help="run folders")
    parser.add_argument("--quick", action="store_true", help="cost smoke test, saves nothing")
    parser.add_argument("--report", action="store_true", help="only rewrite results.md")
    args = parser.parse_args()
    if not args.report:
        if args.part in (None, "comparison") and not args.quick:
            from table import run

            run(None, args.system, args.out)
        if args.part in (None, "cost"):
            cost(args.system, args.quick)
    if not args.quick:
        write()


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    if len(sys.argv) > 2 and sys.argv[1] == "_one":
        print(json.dumps(one(json.loads(sys.argv[2]))))
    else:
        main()
