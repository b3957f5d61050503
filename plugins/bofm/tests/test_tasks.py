"""Tests of the comparison task, and of the core ``bo`` task with the plugin's components."""

from __future__ import annotations

import pytest
import torch
from tessera_bofm.problems import Func2C
from tessera_bofm.tasks import make_surrogate

import tessera
from tessera.bo import AcquisitionOptimizer, BayesianOptimization
from tessera.runs import RunInterrupted

FAST = {"raw_samples": 64, "jitter_samples": 32, "starts": 2, "rounds": 2, "gradient_steps": 5}


def _compare(registry, **params):
    spec = {
        "problem": {"name": "func2c"},
        "methods": ["modlap", "product", "random"],
        "seeds": 2,
        "budget": 5,
        "initial_design": 3,
        "restarts": 1,
        "iterations": 10,
        "optimizer": FAST,
    }
    spec.update(params)
    return tessera.create("task", "bofm.compare", registry=registry, **spec)


def test_compare_reports_every_method(registry, context_class, tmp_path):
    context = context_class(tmp_path)
    summary = _compare(registry).run(context)
    assert set(summary["methods"]) == {"modlap", "product", "random"}
    assert sorted(summary["ranking"]) == ["modlap", "product", "random"]
    means = [summary["methods"][m]["mean"] for m in summary["ranking"]]
    assert means == sorted(means)
    assert all(summary["methods"][m]["seeds"] == 2 for m in summary["methods"])
    assert summary["optimum"] == pytest.approx(Func2C().optimum)
    assert context.plots == [tmp_path / "plots" / "regret.png"] and context.plots[0].exists()
    assert len(context.metrics) == 6  # one record per (method, seed)


def test_compare_resumes_after_an_interruption(registry, context_class, tmp_path):
    expected = _compare(registry).run(context_class(tmp_path))
    context = context_class(tmp_path, stop_after=5)  # in the middle of the second run
    with pytest.raises(RunInterrupted):
        _compare(registry).run(context)
    context.stop_after = None
    assert _compare(registry).run(context) == expected


def test_seed_s_of_every_method_shares_the_initial_design():
    problem = Func2C()
    loops = [
        BayesianOptimization(
            problem.space,
            problem.objective,
            make_surrogate(m, 0, 1, 5),
            optimizer=AcquisitionOptimizer(**FAST),
            initial_design=3,
            seed=7,
        )
        for m in ("moddif", "additive")
    ]
    for bo in loops:
        bo.run(3)
    assert torch.equal(loops[0].x, loops[1].x)


def test_bo_task_with_the_fm_kernel_through_the_runner(registry, tmp_path):
    from tessera.runs import run

    spec = {
        "task": {
            "name": "bo",
            "params": {
                "problem": {"name": "func2c"},
                "surrogate": {
                    "name": "gp",
                    "params": {
                        "kernel": {"name": "fm", "params": {"variant": "moddif"}},
                        "restarts": 1,
                        "iterations": 10,
                    },
                },
                "optimizer": FAST,
                "initial_design": 3,
                "budget": 5,
            },
        },
        "seed": 1,
    }
    result = run(spec, out=tmp_path / "run", registry=registry)
    assert result.status == "completed", (tmp_path / "run" / "error.txt").read_text()
    summary = result.summary
    assert summary["evaluations"] == 5 and summary["regret"] >= 0
    assert set(summary["best_point"]) == {"x", "h1", "h2"}


def test_compare_rejects_bad_settings(registry):
    with pytest.raises(tessera.errors.ConfigError, match="must be below budget"):
        _compare(registry, initial_design=5)
    with pytest.raises(tessera.errors.ConfigError, match="methods"):
        _compare(registry, methods=["modlap", "cocabo"])


def test_svr_hyperparameters_by_bo(registry, context_class, tmp_path):
    pytest.importorskip("sklearn")
    task = tessera.create(
        "task",
        "bo",
        problem={"name": "svr-diabetes", "params": {"splits": 2}},
        surrogate={
            "name": "gp",
            "params": {"kernel": {"name": "fm"}, "restarts": 1, "iterations": 10},
        },
        optimizer=FAST,
        initial_design=3,
        budget=5,
        registry=registry,
    )
    summary = task.run(context_class(tmp_path))
    assert summary["evaluations"] == 5 and 40 < summary["best_value"] < 200
