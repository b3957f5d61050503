"""The conformance kit passes correct components and fails deliberately broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import tessera
from tessera.kinds import EquivariantLayer, Flow, Kernel, Solver
from tessera.problems import TSP, Solution
from tessera.testing import ConformanceError, cases, checks_for, run_checks
from tessera.testing.checks import (
    check_equivariance,
    check_flow_invertibility,
    check_flow_log_det,
    check_flow_sample_log_prob,
    check_kernel_psd,
    check_solver_feasibility,
)

# Equivariant layers on R^3 under SO(3)


class NormGate(EquivariantLayer):
    """x ↦ x · tanh(‖x‖ w): SO(3)-equivariant."""

    def __init__(self, shift: float = 0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(0.7))
        self.shift = shift
        self._group = tessera.create("group", "so", n=3)

    @property
    def group(self):
        return self._group

    def forward(self, x):
        return x * torch.tanh(x.norm(dim=-1, keepdim=True) * self.weight) + self.shift

    def act_on_inputs(self, g, inputs):
        return (inputs[0] @ g.T,)

    def act_on_outputs(self, g, outputs):
        return outputs @ g.T

    def example_inputs(self, batch_size=2, generator=None, dtype=torch.float64):
        return (torch.randn(batch_size, 5, 3, generator=generator, dtype=dtype),)


# Flows on R^2


class Affine(Flow):
    """z = a ⊙ x + b, elementwise, with log|det| = Σ log|a| (or a wrong one)."""

    event_shape = (2,)

    def __init__(self, wrong_log_det: bool = False, wrong_inverse: bool = False):
        super().__init__()
        self.log_a = nn.Parameter(torch.tensor([0.3, -0.5]))
        self.b = nn.Parameter(torch.tensor([1.0, 2.0]))
        self.wrong_log_det, self.wrong_inverse = wrong_log_det, wrong_inverse

    def forward(self, x, context=None):
        z = x * self.log_a.exp() + self.b
        log_det = self.log_a.sum().expand(len(x))
        return z, (0 * log_det if self.wrong_log_det else log_det)

    def inverse(self, z, context=None):
        x = (z - self.b) / self.log_a.exp()
        if self.wrong_inverse:
            x = x + 0.1
        return x, -self.log_a.sum().expand(len(z))


# Kernels on R^2


class RBF(Kernel):
    def __init__(self, negate_distance: bool = False):
        super().__init__()
        self.negate_distance = negate_distance

    def forward(self, x1, x2):
        d = torch.cdist(x1, x2)
        return -d if self.negate_distance else torch.exp(-0.5 * d**2)

    def example_inputs(self, n=8, generator=None):
        return torch.randn(n, 2, generator=generator, dtype=torch.float64)


# Solvers for TSP


class IdentityTour(Solver):
    problem_types = (TSP,)

    def __init__(self, mode: str = "right"):
        self.mode = mode

    def solve(self, problem):
        tour = list(range(problem.size))
        if self.mode == "duplicate":
            tour[-1] = 0
            return Solution(tour, 0.0)
        cost = float(problem.objective(tour))
        return Solution(tour, cost + (1.0 if self.mode == "misreport" else 0.0))


def _case(register, kind, name, target, params=None):
    info = register(kind, name, target, examples=[params or {}])
    (case,) = cases(plugin=info.plugin, names=[name], kinds=[kind])
    return case


def test_equivariant_layer_passes_and_broken_fails(tessera_register):
    good = _case(tessera_register, "equivariant_layer", "gate", NormGate)
    check_equivariance(good)
    bad = _case(tessera_register, "equivariant_layer", "shifted", NormGate, {"shift": 0.5})
    with pytest.raises(ConformanceError, match="not equivariant to SO\\(3\\)"):
        check_equivariance(bad)


def test_flow_checks_catch_wrong_log_det_and_inverse(tessera_register):
    good = _case(tessera_register, "flow", "affine", Affine)
    for check in (check_flow_invertibility, check_flow_log_det, check_flow_sample_log_prob):
        check(good)
    wrong_det = _case(tessera_register, "flow", "bad-det", Affine, {"wrong_log_det": True})
    with pytest.raises(ConformanceError, match="log-determinant"):
        check_flow_log_det(wrong_det)
    wrong_inv = _case(tessera_register, "flow", "bad-inv", Affine, {"wrong_inverse": True})
    with pytest.raises(ConformanceError, match="inverse\\(forward\\(x\\)\\) differs"):
        check_flow_invertibility(wrong_inv)


def test_kernel_psd_check(tessera_register):
    check_kernel_psd(_case(tessera_register, "kernel", "rbf", RBF))
    bad = _case(tessera_register, "kernel", "negdist", RBF, {"negate_distance": True})
    with pytest.raises(ConformanceError, match="not positive semi-definite"):
        check_kernel_psd(bad)


@pytest.mark.parametrize(
    ("mode", "message"),
    [("duplicate", "infeasible solution"), ("misreport", "reported cost")],
)
def test_solver_checks(tessera_register, mode, message):
    check_solver_feasibility(_case(tessera_register, "solver", "ident", IdentityTour))
    bad = _case(tessera_register, "solver", f"ident-{mode}", IdentityTour, {"mode": mode})
    with pytest.raises(ConformanceError, match=message):
        check_solver_feasibility(bad)


def test_every_check_runs_on_registered_components(tessera_register):
    tessera_register("flow", "affine", Affine)
    tessera_register("kernel", "rbf", RBF)
    report = run_checks(plugin="local")
    assert report.failed == 0, [r for r in report.results if not r.passed]
    names = {r.id.rsplit("-", 1)[-1] for r in report.results}
    assert {"flow_log_det", "kernel_psd", "config_round_trip", "pickle", "save_load"} <= names


def test_interface_check_fails_for_wrong_class(tessera_register):
    tessera_register(
        "kernel", "not-a-kernel", nn.Linear, examples=[{"in_features": 2, "out_features": 2}]
    )
    report = run_checks(plugin="local")
    failed = [r for r in report.results if not r.passed]
    assert any("interface" in r.id and "not a tessera.kinds" in r.message for r in failed)


def test_kit_checks_are_listed_per_kind(tessera_registry):
    info = tessera_registry.get("group", "so")
    names = [c.__name__ for c in checks_for(info)]
    assert names[0] == "check_interface" and "check_group_relations" in names
    assert names[-3:] == ["check_config_round_trip", "check_pickle", "check_save_load"]


def test_recording_context_stops_and_resumes_a_task(tmp_path: Path) -> None:
    """stop_after stops a task from its k-th checkpoint; the same context then resumes it
    to the summary and metrics of a run that was never stopped."""
    from tessera.runs import RunInterrupted, seed_everything
    from tessera.testing import RecordingContext

    def task():
        seed_everything(0)
        return tessera.create("task", "regression", steps=30, checkpoint_every=10, eval_every=5)

    straight = RecordingContext(tmp_path / "a")
    expected = task().run(straight)
    stopped = RecordingContext(tmp_path / "b", stop_after=2)
    with pytest.raises(RunInterrupted):
        task().run(stopped)
    assert [step for step, _ in stopped.checkpoints] == [9, 19]
    stopped.stop_after = None
    assert task().run(stopped) == expected
    assert stopped.metrics == straight.metrics  # no record lost or repeated
    assert [p.name for p in straight.plots] == [p.name for p in stopped.plots]
    assert all(p.is_file() and p.parent == tmp_path / "b" / "plots" for p in stopped.plots)


def test_recording_context_runs_children_in_subfolders(tmp_path: Path) -> None:
    """A suite's children run in their own contexts, named as the runner names them."""
    from tessera.testing import RecordingContext

    child = {"name": "regression", "params": {"steps": 5, "checkpoint_every": 5}}
    context = RecordingContext(tmp_path)
    summary = tessera.create("task", "suite", tasks=[child, child]).run(context)
    assert list(summary) == list(context.children) == ["regression", "regression-2"]
    assert all(len(c.checkpoints) == 1 for c in context.children.values())
    assert context.children["regression-2"].out_dir == tmp_path / "regression-2"
