"""The Acquisition interface."""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor

from tessera.kinds._gp import Surrogate

__all__ = ["Acquisition"]


class Acquisition(ABC):
    """Scores candidate points from a surrogate; larger scores are better.

    Objectives are minimised, so ``best_f`` is the smallest value observed so far.
    """

    #: Whether :meth:`select` chooses batches jointly rather than by greedy conditioning.
    batch: bool = False

    @abstractmethod
    def __call__(self, x: Tensor, surrogate: Surrogate, best_f: float) -> Tensor:
        """Scores of candidates ``x`` (n, d), shape (n,)."""

    def example_inputs(self, n: int = 16, generator: torch.Generator | None = None) -> Tensor:
        """Candidates (n, d) for tests and the conformance kit; (n, 3) Gaussian by default."""
        return torch.randn(n, 3, generator=generator, dtype=torch.float64)

    def select(self, candidates: Tensor, q: int, surrogate: Surrogate, best_f: float) -> Tensor:
        """Indices (q,) of ``q`` distinct candidates (m, d) to evaluate next.

        By default the best candidate is taken, the surrogate is conditioned on it as a
        pending point, and the rest are scored again, ``q`` times.
        """
        if not 1 <= q <= len(candidates):
            raise ValueError(
                f"q={q} must be between 1 and the number of candidates ({len(candidates)})"
            )
        chosen: list[int] = []
        model = surrogate
        for _ in range(q):
            scores = self(candidates, model, best_f).detach().clone()
            if chosen:
                scores[chosen] = -torch.inf
            chosen.append(int(scores.argmax()))
            if len(chosen) < q:
                model = surrogate.condition_on_pending(candidates[chosen])
        return torch.tensor(chosen, dtype=torch.long)
