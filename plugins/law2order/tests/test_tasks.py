"""The comparison tasks: summaries, tables, resume, and a run through the runner."""

from __future__ import annotations

import json

import pytest

import tessera
from tessera.runs import RunInterrupted

TINY = {
    "seeds": 2,
    "initial_design": 4,
    "batch_size": 2,
    "batches": 2,
    "restarts": 1,
    "iterations": 5,
    "optimizer": {
        "random_starts": 2,
        "best_random_starts": 2,
        "evaluated_starts": 2,
        "raw_samples": 50,
        "max_steps": 5,
        "reference_samples": 50,
    },
}


def test_benchmark_reports_every_method(context):
    """Every method gets mean, std, gap and time; the table and the plot are written."""
    methods = ["law-est", "law-ei", "q-ei", "q-est", "bucb", "dpp", "random"]
    task = tessera.create(
        "task",
        "law2order.benchmark",
        problem={"name": "qap", "params": {"instance": "nug12"}},
        methods=methods,
        **TINY,
    )
    summary = task.run(context)
    json.dumps(summary)
    assert summary["optimum"] == 578 and summary["evaluations"] == 8
    assert list(summary["methods"]) == methods
    for row in summary["methods"].values():
        assert row["mean"] >= 578 and row["gap_percent"] >= 0 and row["seeds"] == 2
    assert (context.out_dir / "results.md").read_text().count("| law-est |") == 1
    assert [p.name for p in context.plots] == ["best_value.png"]
    assert {k for _, m in context.metrics for k in m} == {f"{m}/best_value" for m in methods}


def test_benchmark_resumes_where_it_stopped(tmp_path, context_class):
    """An interrupted comparison resumes from its checkpoint to the same summary."""
    spec = dict(
        problem={"name": "flowshop", "params": {"instance": "car1"}},
        methods=["law-est", "random"],
        plot=False,
        **TINY,
    )
    full = tessera.create("task", "law2order.benchmark", **spec).run(context_class(tmp_path / "a"))
    stopped = context_class(tmp_path / "b", stop_after=3)
    with pytest.raises(RunInterrupted):
        tessera.create("task", "law2order.benchmark", **spec).run(stopped)
    stopped.stop_after = None
    resumed = tessera.create("task", "law2order.benchmark", **spec).run(stopped)
    for method in ("law-est", "random"):
        assert resumed["methods"][method]["mean"] == full["methods"][method]["mean"]
        assert resumed["methods"][method]["best_points"] == full["methods"][method]["best_points"]


def test_structure_task_through_the_runner(tmp_path):
    """law2order.structure runs as `tessera run` does, with the optimum and SHD reported."""
    from tessera.runs import run

    result = run(
        {
            "task": {
                "name": "law2order.structure",
                "params": {
                    "problem": {"name": "law2order.bn", "params": {"samples": 300}},
                    "methods": ["law-est", "random"],
                    "plot": False,
                    **TINY,
                },
            },
            "seed": 1,
        },
        out=tmp_path / "run",
    )
    assert result.status == "completed", result.error
    summary = result.summary
    assert summary["optimum"] > 0 and summary["best_gap"] >= 0
    assert all(row["shd"] >= 0 for row in summary["methods"].values())
    assert (tmp_path / "run" / "results.md").exists()


def test_bad_configs_fail_before_running():
    """Unknown methods and non-ordering problems are refused at build time."""
    from tessera.errors import ConfigError

    with pytest.raises(ConfigError, match="methods"):
        tessera.create(
            "task",
            "law2order.benchmark",
            problem={"name": "tsp", "params": {"size": 5}},
            methods=["ga"],
        )
    with pytest.raises(TypeError, match="ordering problem"):
        tessera.create(
            "task",
            "law2order.structure",
            problem={"name": "qap", "params": {"size": 5}},
            plot=False,
        )
