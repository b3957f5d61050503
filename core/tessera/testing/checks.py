"""The conformance checks, one set per kind, plus the checks every component passes.

Each check takes a :class:`~tessera.testing.Case` and raises
:class:`~tessera.testing.ConformanceError` (an ``AssertionError``) with a message that says
what the component got wrong. Kinds name their check set in the manifest (``checks =
"module:function"``), so a plugin's own kind gets its checks the same way.
"""

from __future__ import annotations

import json
import math
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from tessera.testing._kit import Case, ConformanceError

__all__ = [
    "TOLERANCES",
    "acquisition_checks",
    "check_acquisition_shapes",
    "check_config_round_trip",
    "check_equivariance",
    "check_flow_invertibility",
    "check_flow_log_det",
    "check_flow_sample_log_prob",
    "check_group_relations",
    "check_interface",
    "check_kernel_psd",
    "check_pickle",
    "check_save_load",
    "check_solver_feasibility",
    "check_space_round_trip",
    "check_surrogate_posterior",
    "equivariant_layer_checks",
    "flow_checks",
    "group_checks",
    "kernel_checks",
    "problem_checks",
    "solver_checks",
    "space_checks",
    "surrogate_checks",
]

#: Relative tolerances of numerical checks, by dtype.
TOLERANCES: dict[torch.dtype, float] = {torch.float64: 1e-6, torch.float32: 1e-4}


def _fail(case: Case, message: str) -> ConformanceError:
    return ConformanceError(f"{case.id}: {message}")


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _relative_error(a: Any, b: Any) -> float:
    ta, tb = _tensors(a), _tensors(b)
    if len(ta) != len(tb):
        return math.inf
    worst = 0.0
    for x, y in zip(ta, tb):
        if x.shape != y.shape:
            return math.inf
        if x.numel() == 0:
            continue
        if not x.is_floating_point():
            if not torch.equal(x, y):
                return math.inf
            continue
        scale = max(float(y.abs().max()), 1.0)
        worst = max(worst, float((x - y).abs().max()) / scale)
    return worst


# Every component


def check_interface(case: Case) -> None:
    """The built object is an instance of its kind's interface."""
    obj = case.build()
    interface = case.registry.kinds()[case.info.kind].load_interface()
    if not isinstance(obj, interface):
        raise _fail(
            case,
            f"built a {type(obj).__name__}, which is not a "
            f"{interface.__module__}.{interface.__qualname__}",
        )


def check_config_round_trip(case: Case) -> None:
    """``spec_of`` gives a JSON-serialisable spec that rebuilds an equal spec."""
    from tessera.registry import build, spec_of

    spec = spec_of(case.build())
    try:
        json.dumps(spec)
    except TypeError as error:
        raise _fail(case, f"spec is not JSON-serialisable ({error}): {spec!r}") from None
    again = spec_of(build(spec, registry=case.registry))
    if again != spec:
        raise _fail(case, f"spec_of(build(spec)) differs from spec:\n  {spec}\n  {again}")


def check_pickle(case: Case) -> None:
    """The component pickles and unpickles with its spec and weights."""
    from tessera.registry import spec_of

    obj = case.build()
    try:
        clone = pickle.loads(pickle.dumps(obj))
    except Exception as error:
        raise _fail(case, f"does not pickle: {type(error).__name__}: {error}") from None
    if type(clone) is not type(obj):
        raise _fail(case, f"unpickled as {type(clone).__name__}, not {type(obj).__name__}")
    if spec_of(clone) != spec_of(obj):
        raise _fail(case, "the unpickled object has another spec")
    if isinstance(obj, torch.nn.Module):
        _same_state(case, obj, clone, "unpickled")


def check_save_load(case: Case) -> None:
    """Modules survive ``tessera.save`` and ``tessera.load`` with the same weights."""
    from tessera.registry import load, save

    obj = case.build()
    if not isinstance(obj, torch.nn.Module):
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "component.pt"
        save(obj, path)
        _same_state(case, obj, load(path, registry=case.registry), "loaded")


def _same_state(case: Case, a: torch.nn.Module, b: torch.nn.Module, what: str) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    if sa.keys() != sb.keys():
        raise _fail(case, f"{what} state_dict keys differ: {sorted(set(sa) ^ set(sb))}")
    for key in sa:
        if not torch.equal(sa[key], sb[key]):
            raise _fail(case, f"{what} state_dict entry {key!r} differs")


# Groups


def check_group_relations(case: Case) -> None:
    """Generators, exponentials of the algebra and samples satisfy the defining relations."""
    group = case.build()
    d, gen = group.d, _generator()
    tol = 1e-6

    lie = group.lie_algebra
    if lie.shape[1:] != (d, d):
        raise _fail(case, f"lie_algebra has shape {tuple(lie.shape)}, expected (k, {d}, {d})")
    if len(lie):
        err = float(group.algebra_residual(lie).max())
        if err > tol:
            raise _fail(
                case, f"Lie-algebra generators break the algebra's relations (residual {err:.2e})"
            )
        # Real coefficients: the algebra is a real span, also for complex groups
        coeffs = torch.randn(len(lie), generator=gen, dtype=torch.float64).to(lie.dtype)
        element = torch.linalg.matrix_exp((coeffs[:, None, None] * lie).sum(0))
        err = float(group.relation_residual(element).max())
        if err > tol:
            raise _fail(
                case, f"exp of an algebra element is not in the group (residual {err:.2e})"
            )

    discrete = group.discrete_generators
    if discrete.shape[1:] != (d, d):
        raise _fail(
            case, f"discrete_generators has shape {tuple(discrete.shape)}, expected (m, {d}, {d})"
        )
    if len(discrete):
        err = float(group.relation_residual(discrete).max())
        if err > tol:
            raise _fail(case, f"discrete generators are not in the group (residual {err:.2e})")
    perms = group.discrete_permutations
    if perms is not None:
        eye = torch.eye(d, dtype=discrete.dtype)
        dense = torch.stack([eye[p] for p in perms]) if len(perms) else discrete
        if not torch.equal(dense, discrete):
            raise _fail(case, "discrete_permutations do not match discrete_generators")

    samples = group.samples(8, generator=gen)
    if samples.shape != (8, d, d):
        raise _fail(case, f"samples(8) has shape {tuple(samples.shape)}, expected (8, {d}, {d})")
    err = float(group.relation_residual(samples).max())
    if err > tol:
        raise _fail(case, f"samples are not in the group (residual {err:.2e})")


def group_checks() -> list:
    return [check_group_relations]


# Equivariant layers


def check_equivariance(case: Case) -> None:
    """f(g·x) = g·f(x) for sampled g, in float64 and float32, to the dtype's tolerance."""
    layer = case.build().eval()
    for dtype in (torch.float64, torch.float32):
        layer = layer.to(dtype)
        gen = _generator()
        for trial in range(3):
            inputs = layer.example_inputs(batch_size=2, generator=gen, dtype=dtype)
            g = layer.sample_group_element(generator=gen, dtype=dtype)
            with torch.no_grad():
                lhs = layer(*layer.act_on_inputs(g, inputs))
                rhs = layer.act_on_outputs(g, layer(*inputs))
            err = _relative_error(lhs, rhs)
            if not err <= TOLERANCES[dtype]:
                raise _fail(
                    case,
                    f"not equivariant to {layer.group!r} in {dtype}: relative "
                    f"error {err:.2e} > {TOLERANCES[dtype]:.0e} (trial {trial})",
                )


def equivariant_layer_checks() -> list:
    return [check_equivariance]


# Flows


def _flow_inputs(case: Case) -> tuple[Any, Tensor, Tensor | None]:
    flow = case.build().double().eval()
    x, context = flow.example_inputs(batch_size=3, generator=_generator(), dtype=torch.float64)
    return flow, x, context


def check_flow_invertibility(case: Case) -> None:
    """inverse(forward(x)) = x, and the two log-determinants cancel."""
    flow, x, context = _flow_inputs(case)
    with torch.no_grad():
        z, log_det = flow(x, context)
        x_back, log_det_back = flow.inverse(z, context)
    if log_det.shape != (len(x),):
        raise _fail(case, f"log_det has shape {tuple(log_det.shape)}, expected ({len(x)},)")
    err = _relative_error(x_back, x)
    if err > 1e-4:
        raise _fail(case, f"inverse(forward(x)) differs from x (relative error {err:.2e})")
    err = float((log_det + log_det_back).abs().max())
    if err > 1e-4:
        raise _fail(case, f"forward and inverse log-determinants do not cancel ({err:.2e})")


def check_flow_log_det(case: Case) -> None:
    """The forward log-determinant equals log|det J| from autograd, on the flow's subspace."""
    flow, x, context = _flow_inputs(case)
    basis = flow.event_basis()
    size = x[0].numel()
    basis = torch.eye(size, dtype=x.dtype) if basis is None else basis.to(x.dtype)
    for i in range(min(2, len(x))):
        ctx = None if context is None else context[i : i + 1]

        def f(xi: Tensor, ctx: Tensor | None = ctx) -> Tensor:
            return flow(xi.reshape(1, *x.shape[1:]), ctx)[0].reshape(-1)

        jac = torch.autograd.functional.jacobian(f, x[i].reshape(-1))
        expected = torch.linalg.slogdet(basis.T @ jac @ basis).logabsdet
        with torch.no_grad():
            got = flow(x[i : i + 1], ctx)[1][0]
        if not torch.isfinite(got) or abs(float(got - expected)) > 1e-4 * max(
            1.0, abs(float(expected))
        ):
            raise _fail(
                case,
                f"log-determinant {float(got):.6f} differs from autograd's "
                f"{float(expected):.6f} on sample {i}",
            )


def check_flow_sample_log_prob(case: Case) -> None:
    """log_prob of samples equals the log-density computed along the sampling path."""
    flow, x, context = _flow_inputs(case)
    with torch.no_grad():
        samples, log_prob = flow.sample_and_log_prob(len(x), context, generator=_generator(1))
        again = flow.log_prob(samples, context)
    if samples.shape != x.shape:
        raise _fail(case, f"samples have shape {tuple(samples.shape)}, expected {tuple(x.shape)}")
    if not torch.isfinite(log_prob).all():
        raise _fail(case, "log-densities of samples are not finite")
    err = float((log_prob - again).abs().max())
    if err > 1e-4 * max(1.0, float(log_prob.abs().max())):
        raise _fail(case, f"log_prob(sample) differs from the sampling path's by {err:.2e}")


def flow_checks() -> list:
    return [check_flow_invertibility, check_flow_log_det, check_flow_sample_log_prob]


# Kernels and surrogates


def _psd_error(matrix: Tensor) -> float:
    eig = torch.linalg.eigvalsh(0.5 * (matrix + matrix.T))
    return float(-eig.min() / max(float(eig.abs().max()), 1.0))


def check_kernel_psd(case: Case) -> None:
    """Gram matrices are symmetric and positive semi-definite; shapes and diag agree."""
    kernel = case.build().double()
    gen = _generator()
    x1, x2 = kernel.example_inputs(10, generator=gen), kernel.example_inputs(6, generator=gen)
    with torch.no_grad():
        k11, k12, k21 = kernel(x1, x1), kernel(x1, x2), kernel(x2, x1)
        diag = kernel.diag(x1)
    if k11.shape != (10, 10) or k12.shape != (10, 6):
        raise _fail(
            case,
            f"Gram shapes {tuple(k11.shape)} and {tuple(k12.shape)}, expected "
            "(10, 10) and (10, 6)",
        )
    if _relative_error(k11, k11.T) > 1e-10 or _relative_error(k12, k21.T) > 1e-10:
        raise _fail(case, "Gram matrix is not symmetric")
    err = _psd_error(k11)
    if err > 1e-8:
        raise _fail(
            case,
            f"Gram matrix is not positive semi-definite (min eigenvalue "
            f"{-err:.2e} relative to the largest)",
        )
    if _relative_error(diag, k11.diagonal()) > 1e-8:
        raise _fail(case, "diag(x) differs from the diagonal of k(x, x)")


def kernel_checks() -> list:
    return [check_kernel_psd]


def check_surrogate_posterior(case: Case) -> None:
    """Posterior shapes, positive variances, a PSD joint covariance, pending points help."""
    surrogate = case.build()
    gen = _generator()
    x, y = surrogate.example_data(12, generator=gen)
    surrogate.fit(x, y)
    test = surrogate.example_data(5, generator=gen)[0]
    with torch.no_grad():
        post = surrogate.posterior(test, joint=True)
    if post.mean.shape != (5,) or post.variance.shape != (5,):
        raise _fail(
            case,
            f"posterior mean/variance shapes {tuple(post.mean.shape)}, "
            f"{tuple(post.variance.shape)}; expected (5,)",
        )
    if not (torch.isfinite(post.mean).all() and (post.variance > 0).all()):
        raise _fail(case, "posterior means must be finite and variances positive")
    cov = post.covariance
    if cov is None or cov.shape != (5, 5):
        raise _fail(case, "posterior(joint=True) must give a (5, 5) covariance")
    if _relative_error(cov.diagonal(), post.variance) > 1e-4 or _psd_error(cov) > 1e-6:
        raise _fail(case, "joint covariance must be PSD with the variances on its diagonal")
    with torch.no_grad():
        after = surrogate.condition_on_pending(test[:1]).posterior(test)
    if float(after.variance[0]) > float(post.variance[0]) * (1 + 1e-6):
        raise _fail(case, "conditioning on a pending point must not raise its variance")
    if _relative_error(after.mean, post.mean) > 1e-4:
        raise _fail(case, "conditioning on a pending point must not change the mean")


def surrogate_checks() -> list:
    return [check_surrogate_posterior]


def check_acquisition_shapes(case: Case) -> None:
    """Scores have one finite-or-minus-infinity value per candidate; select gives q of them."""
    from tessera.testing._reference import ReferenceGP

    acquisition = case.build()
    gen = _generator()
    x = acquisition.example_inputs(16, generator=gen).double()
    y = torch.sin(x.sum(-1)) + 0.1 * torch.randn(len(x), generator=gen, dtype=x.dtype)
    gp = ReferenceGP(lengthscale=float(x.std()) or 1.0).fit(x[:8], y[:8])
    candidates = x[8:]
    scores = acquisition(candidates, gp, float(y[:8].min()))
    if scores.shape != (len(candidates),):
        raise _fail(
            case, f"scores have shape {tuple(scores.shape)}, expected ({len(candidates)},)"
        )
    if torch.isnan(scores).any():
        raise _fail(case, "scores contain NaN")
    chosen = acquisition.select(candidates, 3, gp, float(y[:8].min()))
    if chosen.shape != (3,) or len(set(chosen.tolist())) != 3:
        raise _fail(case, f"select(q=3) gave {chosen.tolist()}, expected 3 distinct indices")
    if not ((chosen >= 0) & (chosen < len(candidates))).all():
        raise _fail(case, f"select gave indices out of range: {chosen.tolist()}")


def acquisition_checks() -> list:
    return [check_acquisition_shapes]


# Solvers, spaces, problems


def check_solver_feasibility(case: Case) -> None:
    """Solutions of random instances are feasible and their cost is the true objective."""
    solver = case.build()
    if not solver.problem_types:
        raise _fail(case, "declares no problem_types")
    sizes = getattr(solver, "example_problem_sizes", (7,))
    for problem_type in solver.problem_types:
        for size in sizes:
            problem = problem_type.random(size, seed=0)
            solution = solver.solve(problem)
            try:
                problem.check(solution.value)
            except ValueError as error:
                raise _fail(
                    case,
                    f"infeasible solution on a random {problem_type.__name__} "
                    f"of size {size}: {error}",
                ) from None
            true = float(problem.objective(solution.value))
            if not math.isclose(float(solution.cost), true, rel_tol=1e-6, abs_tol=1e-6):
                raise _fail(
                    case,
                    f"reported cost {solution.cost} differs from the objective "
                    f"{true} on a random {problem_type.__name__}",
                )


def solver_checks() -> list:
    return [check_solver_feasibility]


def check_space_round_trip(case: Case) -> None:
    """Samples decode to points the space contains and encode back to the same tensor."""
    space = case.build()
    x = space.sample(6, generator=_generator())
    if x.shape != (6, space.dim):
        raise _fail(case, f"sample(6) has shape {tuple(x.shape)}, expected (6, {space.dim})")
    points = space.decode(x)
    for point in points:
        if not space.contains(point):
            raise _fail(case, f"a decoded sample {point!r} is not in the space")
    again = space.encode(points)
    if _relative_error(again, x) > 1e-10:
        raise _fail(case, "encode(decode(x)) differs from x")


def space_checks() -> list:
    return [check_space_round_trip]


def problem_checks() -> list:
    return []
