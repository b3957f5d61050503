"""The Bayesian-optimisation loop, usable from user code: ask, tell, run, minimize."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from tessera.bo._optimize import AcquisitionOptimizer, SearchSpaceExhaustedError, is_member
from tessera.kinds import Acquisition, Surrogate
from tessera.spaces import Space

__all__ = ["BOResult", "BayesianOptimization", "minimize"]

logger = logging.getLogger(__name__)


@dataclass
class BOResult:
    """What a Bayesian-optimisation run found.

    Attributes:
        x: every evaluated point, encoded, (n, dim), in evaluation order.
        y: their objective values, (n,).
        points: the same points in the space's native form.
        best_point: the native point of the smallest value.
        best_value: the smallest value.
        best_values: the running minimum after each evaluation, (n,).
    """

    x: Tensor
    y: Tensor
    points: list[Any] = field(repr=False)
    best_point: Any
    best_value: float
    best_values: Tensor = field(repr=False)


class BayesianOptimization:
    """Minimise a black-box objective over a search space with a surrogate model.

    The first ``initial_design`` evaluations are random distinct points; after that each
    batch of ``batch_size`` points maximises the acquisition (see
    :class:`AcquisitionOptimizer`). Hyperparameters are refitted every ``refit_every``
    batches; in between the surrogate takes the new observations by a cheap update. Use
    :meth:`run` for the whole loop, or :meth:`ask` and :meth:`tell` to evaluate points
    yourself (in parallel, say): points asked for and not yet told are pending, so a later
    :meth:`ask` never proposes them again and conditions the surrogate on them.
    :meth:`state_dict` holds the history and the random state, so a loop restored with
    :meth:`load_state_dict` continues as if never stopped.

    Arguments:
        space: the search space.
        objective: a function of one native point returning a float, to minimise; may be
            ``None`` when only :meth:`ask` and :meth:`tell` are used.
        surrogate: the model; an :class:`ExactGP` with a Matérn kernel when ``None``. A
            surrogate with a ``bind(space)`` method is bound to ``space``.
        acquisition: the score to maximise; log expected improvement when ``None``.
        optimizer: the acquisition optimiser; default settings when ``None``.
        initial_design: random evaluations before the surrogate is used, ≥ 1.
        batch_size: points per batch, ≥ 1.
        refit_every: refit hyperparameters every this many batches, ≥ 1.
        seed: seed of the initial design and of the optimiser's random starts.

    Example:
        >>> from tessera.bo import BayesianOptimization
        >>> from tessera.spaces import Box, Categorical
        >>> space = Box(-2.0, 2.0) * Categorical(["flat", "shifted"])
        >>> def f(point):
        ...     x, kind = point
        ...     return (x - 0.5) ** 2 + (1.0 if kind == "flat" else 0.0)
        >>> bo = BayesianOptimization(space, f, initial_design=4, seed=0)
        >>> result = bo.run(budget=8)
        >>> len(result.points), result.best_value < 1.0
        (8, True)
    """

    def __init__(
        self,
        space: Space,
        objective: Callable[[Any], float] | None = None,
        surrogate: Surrogate | None = None,
        acquisition: Acquisition | None = None,
        optimizer: AcquisitionOptimizer | None = None,
        initial_design: int = 10,
        batch_size: int = 1,
        refit_every: int = 1,
        seed: int = 0,
    ) -> None:
        from tessera.bo._acquisition import LogExpectedImprovement
        from tessera.bo._gp import ExactGP

        if not isinstance(space, Space):
            raise TypeError(
                f"BayesianOptimization: space must be a tessera Space, got {type(space).__name__}"
            )
        for name, value in (
            ("initial_design", initial_design),
            ("batch_size", batch_size),
            ("refit_every", refit_every),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"BayesianOptimization: {name} = {value!r} must be an int ≥ 1")
        self.space = space
        self.objective = objective
        self.surrogate = surrogate if surrogate is not None else ExactGP(seed=seed)
        bind = getattr(self.surrogate, "bind", None)
        if callable(bind):
            bind(space)
        self.acquisition = acquisition if acquisition is not None else LogExpectedImprovement()
        self.optimizer = optimizer if optimizer is not None else AcquisitionOptimizer()
        self.initial_design, self.batch_size = initial_design, batch_size
        self.refit_every = refit_every
        self.generator = torch.Generator().manual_seed(seed)
        self.x = torch.zeros(0, space.dim, dtype=torch.float64)
        self.y = torch.zeros(0, dtype=torch.float64)
        self.pending = torch.zeros(0, space.dim, dtype=torch.float64)  # asked, not told
        self.batches = 0  # batches proposed by the surrogate
        self._fitted_rows = 0  # rows of x the surrogate has seen

    # State

    @property
    def evaluations(self) -> int:
        """The number of evaluations told so far."""
        return len(self.y)

    def state_dict(self) -> dict[str, Any]:
        """The history, the random state and the surrogate's hyperparameters."""
        state: dict[str, Any] = {
            "x": self.x.clone(),
            "y": self.y.clone(),
            "pending": self.pending.clone(),
            "batches": self.batches,
            "generator": self.generator.get_state(),
        }
        if isinstance(self.surrogate, torch.nn.Module):
            state["surrogate"] = {k: v.clone() for k, v in self.surrogate.state_dict().items()}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`; the surrogate is refitted at the next :meth:`ask`,
        starting from the saved hyperparameters.

        With ``refit_every = 1`` (the default) the restored loop continues exactly as the
        uninterrupted one. With ``refit_every > 1`` its first batch refits where the
        uninterrupted loop would have added the new rows to the fitted model, so the two
        may differ from there on.
        """
        # TODO: save the rows and standardisation of the last fit, so that a restore with
        # refit_every > 1 can rebuild the fitted model instead of refitting it.
        x, y = torch.as_tensor(state["x"]).double(), torch.as_tensor(state["y"]).double()
        if x.ndim != 2 or x.shape[1] != self.space.dim or len(x) != len(y):
            raise ValueError(
                f"BayesianOptimization: saved history has x of shape {tuple(x.shape)} and y of "
                f"shape {tuple(y.shape)}, which does not fit {self.space!r}"
            )
        self.x, self.y = x, y
        pending = state.get("pending")
        self.pending = (
            torch.zeros(0, self.space.dim, dtype=torch.float64)
            if pending is None
            else torch.as_tensor(pending).double().reshape(-1, self.space.dim)
        )
        self.batches = int(state["batches"])
        self.generator.set_state(state["generator"])
        if "surrogate" in state and isinstance(self.surrogate, torch.nn.Module):
            self.surrogate.load_state_dict(state["surrogate"])
        self._fitted_rows = 0

    # Ask and tell

    def ask(self, n: int | None = None) -> list[Any]:
        """The next ``n`` points to evaluate (``batch_size`` by default), native, distinct.

        They are pending until :meth:`tell` gets their values: no later call proposes them
        again, and the surrogate is conditioned on them (at its posterior mean).

        Raises:
            SearchSpaceExhaustedError: a finite space has no unevaluated point left.
        """
        n = self.batch_size if n is None else n
        if n < 1:
            raise ValueError(f"BayesianOptimization.ask: n = {n} must be ≥ 1")
        if self.evaluations < self.initial_design:
            x = self._random(min(n, self.initial_design - self.evaluations))
        else:
            x = self._propose(n)
        self.pending = torch.cat([self.pending, x])
        return self.space.decode(x)

    def tell(self, points: Sequence[Any], values: Sequence[float] | Tensor) -> None:
        """Record the objective ``values`` of native ``points``.

        Raises:
            ValueError: lengths differ, a value is not finite, or a point is not in the space.
        """
        values = torch.as_tensor(values, dtype=torch.float64).reshape(-1)
        if len(values) != len(points):
            raise ValueError(
                f"BayesianOptimization.tell: {len(points)} points but {len(values)} values"
            )
        bad = (~torch.isfinite(values)).nonzero()[:, 0].tolist()
        if bad:
            raise ValueError(
                f"BayesianOptimization.tell: values {values[bad].tolist()} of points "
                f"{[points[i] for i in bad]!r} are not finite; return a finite penalty instead"
            )
        x = self.space.encode(list(points))
        if len(self.pending):
            self.pending = self.pending[~is_member(self.pending, x)]
        self.x = torch.cat([self.x, x])
        self.y = torch.cat([self.y, values])

    def _random(self, n: int) -> Tensor:
        chosen = torch.zeros(0, self.space.dim, dtype=torch.float64)
        for _ in range(100):
            x = torch.unique(self.space.sample(4 * n, self.generator), dim=0)
            x = x[torch.randperm(len(x), generator=self.generator)]
            x = x[~is_member(x, torch.cat([self.x, self.pending, chosen]))]
            chosen = torch.cat([chosen, x[: n - len(chosen)]])
            if len(chosen) == n:
                return chosen
        raise SearchSpaceExhaustedError(
            f"{self.space!r}: could not draw {n} unevaluated random points ({self.evaluations} "
            "evaluated); lower initial_design or the budget"
        )

    def _update_surrogate(self) -> None:
        refit = self._fitted_rows == 0 or self.batches % self.refit_every == 0
        add = getattr(self.surrogate, "add_observations", None)
        if refit or add is None:
            self.surrogate.fit(self.x, self.y)
        elif self._fitted_rows < len(self.x):
            add(self.x[self._fitted_rows :], self.y[self._fitted_rows :])
        self._fitted_rows = len(self.x)

    def _propose(self, n: int) -> Tensor:
        self._update_surrogate()
        best_f = float(self.y.min())
        model = self.surrogate
        options: dict[str, Tensor] = {}
        if len(self.pending):  # asked for, not yet told: condition on them, propose others
            options["pending"] = self.pending
            condition = getattr(model, "condition_on_pending", None)
            if callable(condition):
                model = condition(self.pending)
        x = self.optimizer.optimize(
            self.acquisition,
            model,
            self.space,
            best_f,
            self.x,
            self.y,
            q=n,
            generator=self.generator,
            **options,
        )
        self.batches += 1
        return self.space.project(x)

    # Running

    def step(self) -> tuple[list[Any], list[float]]:
        """Ask for a batch, evaluate it with the objective, tell; returns points and values."""
        if self.objective is None:
            raise RuntimeError(
                "BayesianOptimization has no objective; pass objective=... or use ask and tell"
            )
        points = self.ask()
        values = [float(self.objective(point)) for point in points]
        self.tell(points, values)
        return points, values

    def run(
        self,
        budget: int,
        callback: Callable[[BayesianOptimization], None] | None = None,
    ) -> BOResult:
        """Evaluate until ``budget`` evaluations in all (earlier ones count); the result.

        ``callback(self)`` is called after each batch.
        """
        if budget < 1:
            raise ValueError(f"BayesianOptimization.run: budget = {budget} must be ≥ 1")
        if self.objective is None:
            raise RuntimeError("BayesianOptimization.run needs an objective; pass objective=...")
        while self.evaluations < budget:
            n = min(self.batch_size, budget - self.evaluations)
            points = self.ask(n)
            values = [float(self.objective(point)) for point in points]
            self.tell(points, values)
            logger.info(
                "evaluation %d/%d: best %.6g", self.evaluations, budget, float(self.y.min())
            )
            if callback is not None:
                callback(self)
        return self.result()

    def result(self) -> BOResult:
        """The history so far as a :class:`BOResult`."""
        if not self.evaluations:
            raise RuntimeError("BayesianOptimization.result: nothing has been evaluated yet")
        best = int(self.y.argmin())
        points = self.space.decode(self.x)
        return BOResult(
            x=self.x.clone(),
            y=self.y.clone(),
            points=points,
            best_point=points[best],
            best_value=float(self.y[best]),
            best_values=torch.cummin(self.y, dim=0).values,
        )


def minimize(
    objective: Callable[[Any], float],
    space: Space,
    budget: int,
    **options: Any,
) -> BOResult:
    """Minimise ``objective`` over ``space`` in ``budget`` evaluations; the result.

    Keyword options are those of :class:`BayesianOptimization` (``surrogate``,
    ``acquisition``, ``initial_design``, ``batch_size``, ``seed``, ...).

    Example:
        >>> from tessera.bo import minimize
        >>> from tessera.spaces import Integer
        >>> result = minimize(lambda k: (k - 3) ** 2, Integer(0, 4), budget=5, initial_design=2)
        >>> sorted(result.points), result.best_point  # five distinct points: all of them
        ([0, 1, 2, 3, 4], 3)
    """
    return BayesianOptimization(space, objective, **options).run(budget)
