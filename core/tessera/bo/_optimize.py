"""Maximising an acquisition over a mixed search space."""

from __future__ import annotations

import logging

import torch
from torch import Tensor

from tessera.bo._kernels import column_bounds
from tessera.kinds import Acquisition, Surrogate
from tessera.spaces import Space

__all__ = ["AcquisitionOptimizer", "SearchSpaceExhaustedError", "is_member"]

logger = logging.getLogger(__name__)

#: Two encoded points closer than this in every column are the same point.
SAME_POINT = 1e-9
_CHUNK = 2048


class SearchSpaceExhaustedError(ValueError):
    """Every point of a finite search space has been evaluated or is pending."""


def _first_distinct(x: Tensor, keep: int) -> Tensor:
    """Indices of the first ``keep`` rows of ``x`` that repeat no earlier row."""
    chosen: list[int] = []
    for i in range(len(x)):
        if len(chosen) == keep:
            break
        if not chosen or not bool(is_member(x[i : i + 1], x[chosen]).any()):
            chosen.append(i)
    return torch.tensor(chosen, dtype=torch.long)


def is_member(x: Tensor, reference: Tensor, tolerance: float = SAME_POINT) -> Tensor:
    """Whether each row of ``x`` (n, d) equals a row of ``reference`` (m, d), as (n,) bools.

    Example:
        >>> import torch
        >>> is_member(torch.tensor([[0.0, 1.0], [2.0, 2.0]]), torch.tensor([[0.0, 1.0]]))
        tensor([ True, False])
    """
    if len(x) == 0 or len(reference) == 0:
        return torch.zeros(len(x), dtype=torch.bool)
    distance = torch.cdist(x.double(), reference.double(), p=float("inf"))
    return (distance <= tolerance).any(dim=1)


class AcquisitionOptimizer:
    """Maximises an acquisition over a space with continuous and discrete variables.

    Starting points are the best of ``raw_samples`` random points and ``jitter_samples``
    points jittered around the ``incumbents`` best observations (Gaussian steps on
    continuous columns, one or two random one-hop moves on discrete variables). From each of
    the ``starts`` best, the search alternates Adam steps on the continuous columns (discrete
    ones fixed, kept in bounds) with one-hop hill climbing on the discrete variables
    (continuous ones fixed), until a round improves nothing. Points already evaluated or
    pending are never proposed. Batches are chosen greedily by conditioning the surrogate
    on the points already chosen, or by the acquisition's own :meth:`select` when it
    chooses batches jointly (``acquisition.batch``).

    Arguments:
        raw_samples: random points scored to find starts.
        jitter_samples: points jittered around the best observations.
        incumbents: how many best observations to jitter around.
        starts: starting points of the local search.
        rounds: most alternations of gradient and hill-climbing steps.
        gradient_steps: Adam steps per round on the continuous columns.
        learning_rate: Adam's step, as a fraction of each column's range.
        jitter: standard deviation of the continuous jitter, as a fraction of the range.

    Example:
        >>> import torch
        >>> from tessera.bo import AcquisitionOptimizer, ExactGP, LogExpectedImprovement
        >>> from tessera.spaces import Box, Categorical
        >>> space = Box(-1.0, 1.0) * Categorical(["a", "b"])
        >>> x = space.sample(6, torch.Generator().manual_seed(0))
        >>> y = x[:, 0] ** 2 + x[:, 1]
        >>> gp = ExactGP(restarts=1).bind(space).fit(x, y)
        >>> opt = AcquisitionOptimizer(raw_samples=64, starts=2, rounds=2, gradient_steps=5)
        >>> best = opt.optimize(LogExpectedImprovement(), gp, space, float(y.min()), x, y)
        >>> best.shape, bool(is_member(best, x).any())
        (torch.Size([1, 2]), False)
    """

    def __init__(
        self,
        raw_samples: int = 512,
        jitter_samples: int = 128,
        incumbents: int = 5,
        starts: int = 8,
        rounds: int = 10,
        gradient_steps: int = 25,
        learning_rate: float = 0.02,
        jitter: float = 0.1,
    ) -> None:
        for name, value in (("raw_samples", raw_samples), ("starts", starts), ("rounds", rounds)):
            if value < 1:
                raise ValueError(f"AcquisitionOptimizer: {name} = {value} must be ≥ 1")
        if jitter_samples < 0 or gradient_steps < 0 or incumbents < 1:
            raise ValueError(
                "AcquisitionOptimizer: jitter_samples and gradient_steps must be ≥ 0 and "
                f"incumbents ≥ 1, got {jitter_samples}, {gradient_steps}, {incumbents}"
            )
        if learning_rate <= 0 or jitter <= 0:
            raise ValueError(
                f"AcquisitionOptimizer: learning_rate = {learning_rate} and jitter = {jitter} "
                "must be > 0"
            )
        self.raw_samples, self.jitter_samples = int(raw_samples), int(jitter_samples)
        self.incumbents, self.starts, self.rounds = int(incumbents), int(starts), int(rounds)
        self.gradient_steps, self.learning_rate = int(gradient_steps), float(learning_rate)
        self.jitter = float(jitter)

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
        """``q`` distinct new points (q, dim) that maximise the acquisition.

        Arguments:
            acquisition: the score to maximise.
            surrogate: the fitted model the acquisition reads.
            space: the search space; results are valid encodings of it.
            best_f: the best (smallest) value observed.
            x_observed: evaluated points (n, dim); never proposed again.
            y_observed: their values (n,), to find the best ones to jitter around; when
                ``None`` the first ``incumbents`` rows are used.
            q: the number of points.
            pending: points (k, dim) under evaluation; never proposed either.
            generator: the random number generator.

        Raises:
            SearchSpaceExhaustedError: a finite space has fewer than ``q`` new points.
        """
        if q < 1:
            raise ValueError(f"AcquisitionOptimizer: q = {q} must be ≥ 1")
        excluded = x_observed.double().reshape(-1, space.dim)
        if pending is not None and len(pending):
            excluded = torch.cat([excluded, pending.double().reshape(-1, space.dim)])
        incumbents = self._incumbents(x_observed, y_observed)

        if acquisition.batch and q > 1:
            pool, _ = self._search(
                acquisition, surrogate, space, best_f, excluded, incumbents, generator, 8 * q
            )
            if len(pool) < q:
                raise self._exhausted(space, q, len(excluded))
            chosen = acquisition.select(pool, q, surrogate, best_f)
            return pool[chosen]

        chosen: list[Tensor] = []
        model = surrogate
        for _ in range(q):
            if chosen:
                model = surrogate.condition_on_pending(torch.stack(chosen))
            taken = torch.cat([excluded, *(c[None] for c in chosen)])
            pool, _ = self._search(
                acquisition, model, space, best_f, taken, incumbents, generator, 1
            )
            if not len(pool):
                raise self._exhausted(space, q, len(excluded))
            chosen.append(pool[0])
        return torch.stack(chosen)

    # Steps

    def _incumbents(self, x: Tensor, y: Tensor | None) -> Tensor:
        if y is None or len(y) != len(x):
            return x[: self.incumbents].double()
        order = torch.argsort(y.double())
        return x[order[: self.incumbents]].double()

    def _exhausted(self, space: Space, q: int, taken: int) -> SearchSpaceExhaustedError:
        return SearchSpaceExhaustedError(
            f"{space!r}: fewer than q = {q} points remain unevaluated ({taken} evaluated or "
            f"pending of {space.size}); lower the budget or the batch size"
        )

    def _score(
        self, acquisition: Acquisition, model: Surrogate, x: Tensor, best_f: float
    ) -> Tensor:
        with torch.no_grad():
            parts = [acquisition(chunk, model, best_f) for chunk in x.split(_CHUNK)]
        scores = torch.cat(parts) if parts else x.new_zeros(0)
        return torch.nan_to_num(scores.double(), nan=-torch.inf)

    def _search(
        self,
        acquisition: Acquisition,
        model: Surrogate,
        space: Space,
        best_f: float,
        excluded: Tensor,
        incumbents: Tensor,
        generator: torch.Generator | None,
        keep: int,
    ) -> tuple[Tensor, Tensor]:
        """The ``keep`` best new points found and their scores, best first."""
        lower, upper = column_bounds(space)
        width = upper - lower

        # Starting pool
        pool = torch.cat(
            [
                space.sample(self.raw_samples, generator),
                self._jittered(space, incumbents, lower, width, generator),
            ]
        )
        pool = torch.unique(pool, dim=0)
        pool = pool[~is_member(pool, excluded)]
        if not len(pool):
            pool = self._fresh(space, excluded, generator)
            if not len(pool):
                return pool, pool.new_zeros(0)
        scores = self._score(acquisition, model, pool, best_f)

        # Local search from the best starts
        top = torch.argsort(scores, descending=True)[: self.starts]
        local, local_scores = self._local_search(
            acquisition, model, space, best_f, pool[top], scores[top], lower, width
        )

        # Best new points among local optima and the pool
        found = torch.cat([local, pool])
        found_scores = torch.cat([local_scores, scores])
        fresh = ~is_member(found, excluded)
        found, found_scores = found[fresh], found_scores[fresh]
        order = torch.argsort(found_scores, descending=True)
        found, found_scores = found[order], found_scores[order]
        distinct = _first_distinct(found, keep)
        found, found_scores = found[distinct], found_scores[distinct]
        return found, found_scores

    def _fresh(self, space: Space, excluded: Tensor, generator: torch.Generator | None) -> Tensor:
        """Unevaluated points when the sampled pool held none: many more samples."""
        size = space.size
        if size is not None and size <= 10 * self.raw_samples and space.discrete_parts:
            everything = torch.unique(space.sample(50 * size, generator), dim=0)
            return everything[~is_member(everything, excluded)]
        pool = torch.unique(space.sample(10 * self.raw_samples, generator), dim=0)
        return pool[~is_member(pool, excluded)]

    def _jittered(
        self,
        space: Space,
        incumbents: Tensor,
        lower: Tensor,
        width: Tensor,
        generator: torch.Generator | None,
    ) -> Tensor:
        n = self.jitter_samples
        if n == 0 or len(incumbents) == 0:
            return torch.zeros(0, space.dim, dtype=torch.float64)
        which = torch.randint(0, len(incumbents), (n,), generator=generator)
        x = incumbents[which].clone()
        continuous = list(space.continuous_dims)
        if continuous:
            noise = torch.randn(n, len(continuous), generator=generator, dtype=torch.float64)
            x[:, continuous] += self.jitter * width[continuous] * noise
            x = space.project(x)
        if space.discrete_parts:
            hops = torch.randint(0 if continuous else 1, 3, (n,), generator=generator)
            for i in range(n):
                for _ in range(int(hops[i])):
                    moves = space.neighbours(x[i])
                    if len(moves):
                        x[i] = moves[int(torch.randint(0, len(moves), (1,), generator=generator))]
        return x

    def _local_search(
        self,
        acquisition: Acquisition,
        model: Surrogate,
        space: Space,
        best_f: float,
        x: Tensor,
        scores: Tensor,
        lower: Tensor,
        width: Tensor,
    ) -> tuple[Tensor, Tensor]:
        x, scores = x.clone(), scores.clone()
        continuous = list(space.continuous_dims)
        discrete = bool(space.discrete_parts)
        for _ in range(self.rounds):
            moved = False

            # Gradient steps on continuous columns
            if continuous and self.gradient_steps:
                x_new, s_new = self._gradient(
                    acquisition, model, best_f, x, continuous, lower, width
                )
                better = s_new > scores + 1e-9 * (1 + scores.abs())
                x[better], scores[better] = x_new[better], s_new[better]
                moved |= bool(better.any())

            # One-hop hill climbing on discrete variables
            if discrete:
                moves = [space.neighbours(row) for row in x]
                owner = torch.cat([torch.full((len(m),), i) for i, m in enumerate(moves)])
                moves_x = torch.cat(moves)
                moves_s = self._score(acquisition, model, moves_x, best_f)
                for i in range(len(x)):
                    mine = (owner == i).nonzero()[:, 0]
                    if not len(mine):
                        continue
                    j = mine[int(moves_s[mine].argmax())]
                    if moves_s[j] > scores[i] + 1e-9 * (1 + scores[i].abs()):
                        x[i], scores[i] = moves_x[j], moves_s[j]
                        moved = True

            if not moved:
                break
        return x, scores

    def _gradient(
        self,
        acquisition: Acquisition,
        model: Surrogate,
        best_f: float,
        x: Tensor,
        continuous: list[int],
        lower: Tensor,
        width: Tensor,
    ) -> tuple[Tensor, Tensor]:
        """Adam on the unit-scaled continuous columns; the best point seen per row."""
        lo, span = lower[continuous], width[continuous]
        u = ((x[:, continuous] - lo) / span).clamp(0, 1).detach().requires_grad_(True)
        opt = torch.optim.Adam([u], lr=self.learning_rate)
        best_x, best_s = x.clone(), torch.full((len(x),), -torch.inf, dtype=torch.float64)
        for step in range(self.gradient_steps + 1):
            full = x.clone()
            full[:, continuous] = lo + span * u
            s = acquisition(full, model, best_f)
            with torch.no_grad():
                s_clean = torch.nan_to_num(s.detach().double(), nan=-torch.inf)
                better = s_clean > best_s
                best_x[better], best_s[better] = full.detach()[better], s_clean[better]
            if step == self.gradient_steps:
                break
            finite = torch.isfinite(s)
            if not finite.any():
                break
            opt.zero_grad()
            (-s[finite].sum()).backward()
            opt.step()
            with torch.no_grad():
                u.clamp_(0, 1)
        return best_x, best_s
