"""The comparison tasks and the training task, with a recording run context."""

from __future__ import annotations

import json

import pytest
from tessera_dpdp._tasks import make_instances

import tessera
from tessera.problems import CVRP, TSP


def test_tsp_task_reports_mean_cost_gap_and_time(context):
    """Every solver gets a mean cost, a gap to the best, a time; the table is written."""
    task = tessera.create(
        "task",
        "dpdp.tsp",
        num_instances=3,
        size=10,
        plot=1,
        solvers=[
            {"name": "dpdp", "params": {"beam_size": None, "graph": "full"}},
            {"name": "dpdp.nearest_neighbour"},
        ],
    )
    summary = task.run(context)
    json.dumps(summary)
    assert summary["instances"] == 3
    assert summary["dpdp"]["gap_percent"] == pytest.approx(0.0)  # exact DP is the best
    assert summary["dpdp.nearest_neighbour"]["gap_percent"] >= 0.0
    assert summary["dpdp"]["mean_cost"] <= summary["dpdp.nearest_neighbour"]["mean_cost"]
    assert (context.out_dir / "results.md").read_text().count("|") > 10
    assert [p.name for p in context.plots] == [
        "tours_dpdp.png",
        "tours_dpdp_nearest_neighbour.png",
    ]
    assert {k for _, m in context.metrics for k in m} >= {"dpdp/mean_cost", "dpdp/gap_percent"}


def test_cvrp_task_on_a_cvrplib_instance_uses_the_optimum(context):
    """File-based instances: the gap is measured against the published optimum."""
    task = tessera.create(
        "task",
        "dpdp.cvrp",
        instances=["E-n22-k4"],
        plot=0,
        solvers=[{"name": "dpdp", "params": {"beam_size": 300}}],
    )
    summary = task.run(context)
    assert summary["dpdp"]["gap_percent"] >= 0.0
    assert summary["dpdp"]["mean_cost"] >= 375


def test_task_reference_solver_and_resume(context):
    """Gaps relative to a chosen solver; a resumed run skips the solvers already done."""
    spec = {
        "num_instances": 2,
        "size": 8,
        "plot": 0,
        "reference": 1,
        "solvers": [{"name": "dpdp.nearest_neighbour"}, {"name": "dpdp.two_opt"}],
    }
    task = tessera.create("task", "dpdp.tsp", **spec)
    first = task.run(context)
    assert first["dpdp.two_opt"]["gap_percent"] == 0.0
    context.checkpoints[-1][1]["costs"]["dpdp.two_opt"] = [1.0, 1.0]  # as if done
    again = tessera.create("task", "dpdp.tsp", **spec).run(context)
    assert again["dpdp.two_opt"]["mean_cost"] == 1.0


def test_tsptw_task(context):
    """The TSPTW task runs the DP on random instances with windows."""
    summary = tessera.create(
        "task",
        "dpdp.tsptw",
        num_instances=2,
        size=8,
        plot=0,
        solvers=[{"name": "dpdp", "params": {"beam_size": 50}}],
    ).run(context)
    assert summary["dpdp"]["solved"] == 2


def test_tasks_reject_mismatched_inputs():
    """A solver without the task's problem type, or an instance of another type, fails
    before any work with a message naming both."""
    with pytest.raises(TypeError, match="does not solve TSPTW"):
        tessera.create("task", "dpdp.tsptw", solvers=[{"name": "dpdp.two_opt"}])
    with pytest.raises(TypeError, match=r"dpdp\.cvrp task"):
        make_instances(TSP, instances=["E-n22-k4"])
    assert all(isinstance(p, CVRP) for p in make_instances(CVRP, num_instances=2, size=5))


def test_train_task_saves_a_model_the_solver_loads(context):
    """Training on teacher solutions logs losses and writes a model file for dpdp."""
    task = tessera.create(
        "task",
        "dpdp.train",
        num_train=8,
        num_valid=4,
        epochs=2,
        size=10,
        batch_size=4,
        model={"name": "dpdp.gcn", "params": {"hidden_features": 8, "num_layers": 2}},
        teacher={"name": "dpdp", "params": {"beam_size": 100}},
    )
    summary = task.run(context)
    assert [step for step, _ in context.metrics] == [1, 2]
    assert {"train_loss", "valid_loss", "valid_recall5"} <= set(context.metrics[-1][1])
    solver = tessera.create(
        "solver",
        "dpdp",
        beam_size=10,
        score="heatmap",
        graph="heatmap",
        checkpoint=summary["model"],
    )
    problem = TSP.random(10, seed=99)
    assert problem.is_feasible(solver.solve(problem).value)
