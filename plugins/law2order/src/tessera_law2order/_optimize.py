"""Maximising batch acquisitions over permutations by swap hill climbing."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

import torch
from torch import Tensor

from tessera.bo import SearchSpaceExhaustedError
from tessera.kinds import Acquisition, Surrogate
from tessera.spaces import Permutation, Space
from tessera_law2order._acquisition import BatchSelection, GreedyBatchAcquisition

__all__ = ["PermutationOptimizer", "TakenSet"]

logger = logging.getLogger(__name__)

_CHUNK = 4096


class TakenSet:
    """A set of permutations (evaluated or pending) with vectorised membership tests.

    Each permutation gets the key ``Σ_i π(i) r_i`` for fixed random integers ``r_i < 2³¹``,
    exact in int64 for ``n < 2¹⁶``. Equal permutations have equal keys, so a member is
    always found; two different permutations share a key with probability about 2⁻³¹, which
    can only make a non-member look taken, never the reverse.

    Example:
        >>> import torch
        >>> taken = TakenSet(3)
        >>> taken.add(torch.tensor([[0.0, 1.0, 2.0]]))
        >>> taken.contains(torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 2.0]])).tolist()
        [True, False]
    """

    def __init__(self, n: int) -> None:
        if not 1 <= n < 2**16:
            raise ValueError(f"TakenSet: n = {n} must be between 1 and 65535")
        generator = torch.Generator().manual_seed(2102_13382)
        self.weights = torch.randint(1, 2**31 - 1, (n,), generator=generator, dtype=torch.long)
        self.keys = torch.zeros(0, dtype=torch.long)

    def key(self, x: Tensor) -> Tensor:
        """The keys (m,) of permutations ``x`` (m, n)."""
        return (torch.as_tensor(x).round().long() * self.weights).sum(-1)

    def add(self, x: Tensor | None) -> None:
        """Add permutations ``x`` (m, n); ``None`` adds nothing."""
        if x is not None and len(x):
            self.keys = torch.unique(
                torch.cat([self.keys, self.key(x.reshape(-1, len(self.weights)))])
            )

    def contains(self, x: Tensor) -> Tensor:
        """Whether each row of ``x`` (m, n) is in the set, (m,) bools."""
        return torch.isin(self.key(x), self.keys)

    def __len__(self) -> int:
        return len(self.keys)


class _PendingSelection(BatchSelection):
    """Any acquisition as a greedy batch: the chosen points condition the surrogate."""

    def __init__(self, acquisition: Acquisition, surrogate: Surrogate, best_f: float) -> None:
        super().__init__(surrogate, best_f)
        self.acquisition = acquisition

    def scores(self, x: Tensor) -> Tensor:
        return self.acquisition(x, self.model, self.best_f)


class PermutationOptimizer:
    """Chooses batches of new permutations that maximise an acquisition, point by point.

    For each point of a batch the current score (the acquisition for the first point; for
    :class:`~tessera_law2order.GreedyBatchAcquisition` s such as LAW, the score given the
    points already chosen; for other acquisitions, the acquisition of the surrogate
    conditioned on them) is maximised by steepest-ascent hill climbing over the swap
    neighbourhood, from ``evaluated_starts`` best evaluated permutations,
    ``best_random_starts`` best of ``raw_samples`` random ones and ``random_starts``
    random ones. A climber moves to its best neighbour while that improves its score, for
    at most ``max_steps`` steps. The best permutation seen that is neither evaluated,
    pending nor already in the batch is chosen, so no permutation is ever proposed twice.
    Spaces of at most ``exhaustive_limit`` permutations are searched exhaustively. For
    ``random_search`` acquisitions new permutations are drawn uniformly.

    The signature of :meth:`optimize` is that of :class:`tessera.bo.AcquisitionOptimizer`,
    so it plugs into :class:`tessera.bo.BayesianOptimization`.

    Arguments:
        random_starts: uniformly random starting permutations.
        best_random_starts: starts taken as the best scored of ``raw_samples``.
        evaluated_starts: starts taken as the evaluated permutations of smallest value.
        raw_samples: random permutations scored to pick starts.
        max_steps: most hill-climbing steps per start.
        reference_samples: random permutations that stand for the space where an
            acquisition needs them (the EST estimate of the minimum).
        exhaustive_limit: search every permutation when ``n!`` is at most this.

    References:
        | Batch Bayesian Optimization on Permutations using the Acquisition Weighted Kernel
          (Oh, Bondesan, Gavves and Welling, 2022)
        | https://arxiv.org/abs/2102.13382

    Example:
        >>> import torch
        >>> from tessera.bo import ExactGP
        >>> from tessera.spaces import Permutation
        >>> from tessera_law2order import LAW, PermutationOptimizer, PositionKernel
        >>> space = Permutation(6)
        >>> x = space.sample(8, torch.Generator().manual_seed(0))
        >>> y = (x - torch.arange(6.0)).abs().sum(-1)
        >>> gp = ExactGP(PositionKernel(n=6), restarts=1).fit(x, y)
        >>> batch = PermutationOptimizer(exhaustive_limit=0).optimize(
        ...     LAW(), gp, space, float(y.min()), x, y, q=3)
        >>> batch.shape
        torch.Size([3, 6])
    """

    def __init__(
        self,
        random_starts: int = 10,
        best_random_starts: int = 10,
        evaluated_starts: int = 10,
        raw_samples: int = 1000,
        max_steps: int = 100,
        reference_samples: int = 1000,
        exhaustive_limit: int = 5040,
    ) -> None:
        for name, value in (
            ("random_starts", random_starts),
            ("best_random_starts", best_random_starts),
            ("evaluated_starts", evaluated_starts),
            ("raw_samples", raw_samples),
            ("reference_samples", reference_samples),
            ("exhaustive_limit", exhaustive_limit),
        ):
            if value < 0:
                raise ValueError(f"PermutationOptimizer: {name} = {value} must be ≥ 0")
        if random_starts + best_random_starts + evaluated_starts < 1 or max_steps < 1:
            raise ValueError(
                "PermutationOptimizer: needs at least one start and max_steps ≥ 1, got "
                f"{random_starts} + {best_random_starts} + {evaluated_starts} starts and "
                f"max_steps = {max_steps}"
            )
        if best_random_starts > raw_samples:
            raise ValueError(
                f"PermutationOptimizer: best_random_starts = {best_random_starts} exceeds "
                f"raw_samples = {raw_samples}"
            )
        self.random_starts, self.best_random_starts = int(random_starts), int(best_random_starts)
        self.evaluated_starts, self.raw_samples = int(evaluated_starts), int(raw_samples)
        self.max_steps, self.reference_samples = int(max_steps), int(reference_samples)
        self.exhaustive_limit = int(exhaustive_limit)

    def optimize(
        self,
        acquisition: Acquisition,
        surrogate: Surrogate,
        space: Space,
        best_f: float,
        x_observed: Tensor,
        y_observed: Tensor | None = None,
        q: int = 1,
        pending: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """``q`` new distinct permutations (q, n), chosen greedily, as float64 encodings.

        Arguments:
            acquisition: the score to maximise.
            surrogate: the fitted model.
            space: a :class:`~tessera.spaces.Permutation` space.
            best_f: the smallest value observed.
            x_observed: evaluated permutations (m, n); never proposed.
            y_observed: their values (m,), to start from the best ones.
            q: the batch size, ≥ 1.
            pending: permutations under evaluation (k, n); never proposed either.
            generator: the random number generator.

        Raises:
            SearchSpaceExhaustedError: fewer than ``q`` permutations remain.
        """
        if not isinstance(space, Permutation):
            raise NotImplementedError(
                f"PermutationOptimizer searches Permutation spaces, not {space!r}; use "
                "tessera.bo.AcquisitionOptimizer for other spaces"
            )
        if q < 1:
            raise ValueError(f"PermutationOptimizer: q = {q} must be ≥ 1")
        taken = TakenSet(space.n)
        taken.add(x_observed.double())
        if pending is not None:
            taken.add(pending.double())
        if space.size - len(taken) < q:
            raise SearchSpaceExhaustedError(
                f"{space!r}: fewer than q = {q} permutations remain unevaluated "
                f"({len(taken)} evaluated or pending of {space.size}); lower the budget"
            )
        if getattr(acquisition, "random_search", False):
            return self._uniform(space, q, taken, generator)

        reference = space.sample(self.reference_samples, generator)
        with torch.no_grad():
            selection = self.start(acquisition, surrogate, best_f, reference)
            incumbents = self._incumbents(x_observed, y_observed)
            rows = []
            for _ in range(q):
                best = self.maximize(selection.scores, space, taken, incumbents, generator)
                rows.append(best)
                taken.add(best[None])
                selection.add(best[None])
        return torch.stack(rows)

    def start(
        self,
        acquisition: Acquisition,
        surrogate: Surrogate,
        best_f: float,
        reference: Tensor | None = None,
    ) -> BatchSelection:
        """The batch in the making for ``acquisition``: its own, or a pending-point one."""
        if isinstance(acquisition, GreedyBatchAcquisition):
            return acquisition.start(surrogate, best_f, reference)
        return _PendingSelection(acquisition, surrogate, best_f)

    def _incumbents(self, x: Tensor, y: Tensor | None) -> Tensor:
        x = x.double()
        if y is None or len(y) != len(x):
            return x[: self.evaluated_starts]
        return x[torch.argsort(y.double())[: self.evaluated_starts]]

    # Search

    def maximize(
        self,
        score: Callable[[Tensor], Tensor],
        space: Permutation,
        taken: TakenSet,
        incumbents: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """The best permutation (n,) not in ``taken`` found by hill climbing on ``score``.

        Raises:
            SearchSpaceExhaustedError: every permutation is taken.
        """
        if space.size <= self.exhaustive_limit:
            return self._exhaustive(score, space, taken)

        # Starts: best evaluated, best of many random, random
        raw = space.sample(self.raw_samples, generator)
        raw_scores = self._scores(score, raw, taken)
        top = torch.argsort(raw_scores, descending=True)[: self.best_random_starts]
        parts = [raw[top], space.sample(self.random_starts, generator)]
        if incumbents is not None and len(incumbents):
            parts.insert(0, incumbents.double())
        states = torch.cat(parts)
        values = self._scores(score, states, taken)

        # Steepest ascent over swaps
        swaps = space.swaps
        rows = torch.arange(len(swaps))
        active = torch.ones(len(states), dtype=torch.bool)
        for _ in range(self.max_steps):
            index = active.nonzero()[:, 0]
            if not len(index):
                break
            current = states[index]
            moves = current[:, None, :].repeat(1, len(swaps), 1)
            moves[:, rows, swaps[:, 0]] = current[:, swaps[:, 1]]
            moves[:, rows, swaps[:, 1]] = current[:, swaps[:, 0]]
            move_scores = self._scores(score, moves.reshape(-1, space.n), taken, unique=True)
            best, which = move_scores.reshape(len(index), len(swaps)).max(dim=1)
            current_values = values[index]
            margin = 1e-12 * (1 + current_values.abs())
            # A taken start (score −inf, e.g. an evaluated one) moves to any free neighbour
            threshold = torch.where(
                torch.isfinite(current_values), current_values + margin, current_values
            )
            better = best > threshold
            moved = index[better]
            states[moved] = moves[better, which[better]]
            values[moved] = best[better]
            active[index[~better]] = False

        # The best untaken permutation seen
        found = torch.cat([states, raw])
        found_values = torch.cat([values, raw_scores])
        if not bool(torch.isfinite(found_values).any()):
            logger.info("hill climbing found no untaken permutation; drawing one at random")
            return self._uniform(space, 1, taken, generator)[0]
        return found[int(found_values.argmax())]

    def _scores(
        self,
        score: Callable[[Tensor], Tensor],
        x: Tensor,
        taken: TakenSet,
        unique: bool = False,
    ) -> Tensor:
        """Scores of ``x`` (m, n), −inf for taken permutations (and NaN scores)."""
        out = torch.full((len(x),), -torch.inf, dtype=torch.float64)
        free = ~taken.contains(x)
        if not bool(free.any()):
            return out
        points = x[free]
        inverse = None
        if unique:
            points, inverse = torch.unique(points, dim=0, return_inverse=True)
        values = torch.cat([score(chunk).double() for chunk in points.split(_CHUNK)])
        values = torch.nan_to_num(values, nan=-torch.inf)
        out[free] = values if inverse is None else values[inverse]
        return out

    def _exhaustive(
        self, score: Callable[[Tensor], Tensor], space: Permutation, taken: TakenSet
    ) -> Tensor:
        everything = torch.tensor(
            list(itertools.permutations(range(space.n))), dtype=torch.float64
        ).reshape(-1, space.n)
        everything = everything[~taken.contains(everything)]
        if not len(everything):
            raise SearchSpaceExhaustedError(f"{space!r}: every permutation has been taken")
        values = self._scores(score, everything, TakenSet(space.n))
        return everything[int(values.argmax())]

    def _uniform(
        self, space: Permutation, q: int, taken: TakenSet, generator: torch.Generator | None
    ) -> Tensor:
        """``q`` distinct untaken permutations drawn uniformly."""
        if space.size <= self.exhaustive_limit:
            everything = torch.tensor(
                list(itertools.permutations(range(space.n))), dtype=torch.float64
            ).reshape(-1, space.n)
            everything = everything[~taken.contains(everything)]
            order = torch.randperm(len(everything), generator=generator)[:q]
            return everything[order]
        local = TakenSet(space.n)
        local.keys = taken.keys.clone()
        rows: list[Tensor] = []
        while len(rows) < q:
            for row in space.sample(4 * q, generator):
                if len(rows) < q and not bool(local.contains(row[None])[0]):
                    rows.append(row)
                    local.add(row[None])
        return torch.stack(rows)
