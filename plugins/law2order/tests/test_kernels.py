"""Permutation kernels against brute-force formulas, positive definiteness, invariances."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from tessera_law2order import (
    KendallKernel,
    MallowsKernel,
    PositionKernel,
    discordant_pairs,
    position_distance,
)

from tessera.spaces import Box, Permutation

ALL4 = torch.tensor(list(itertools.permutations(range(4))), dtype=torch.float64)


def _inverse(p: list[int]) -> list[int]:
    inv = [0] * len(p)
    for position, item in enumerate(p):
        inv[item] = position
    return inv


def _discordant(p: list[int], s: list[int]) -> int:
    n = len(p)
    return sum(1 for i in range(n) for j in range(i + 1, n) if (p[i] - p[j]) * (s[i] - s[j]) < 0)


def _sample(n: int, m: int, seed: int) -> torch.Tensor:
    return Permutation(n).sample(m, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n", [2, 3, 5, 7])
def test_kernels_match_brute_force_formulas(n):
    """Position, Kendall and Mallows Gram matrices equal their defining sums."""
    x1, x2 = _sample(n, 6, 0), _sample(n, 5, 1)
    nu = 0.7
    position, mallows = PositionKernel(n=n, nu=nu), MallowsKernel(n=n, nu=nu)
    kendall = KendallKernel(n=n)
    pairs = n * (n - 1) / 2
    with torch.no_grad():
        gp, gm, gk = position(x1, x2), mallows(x1, x2), kendall(x1, x2)
    for a, p in enumerate(x1.long().tolist()):
        for b, s in enumerate(x2.long().tolist()):
            footrule = sum(abs(u - v) for u, v in zip(_inverse(p), _inverse(s)))
            nd = _discordant(p, s)
            assert float(gp[a, b]) == pytest.approx(math.exp(-nu * footrule / n), rel=1e-12)
            assert float(gm[a, b]) == pytest.approx(math.exp(-nu * nd / pairs), rel=1e-12)
            assert float(gk[a, b]) == pytest.approx((pairs - 2 * nd) / pairs, abs=1e-12)


@pytest.mark.parametrize(
    "kernel",
    [PositionKernel(n=4, nu=0.1), PositionKernel(n=4, nu=5.0), KendallKernel(n=4)]
    + [MallowsKernel(n=4, nu=nu) for nu in (0.1, 1.0, 20.0)],
    ids=["position-0.1", "position-5", "kendall", "mallows-0.1", "mallows-1", "mallows-20"],
)
def test_gram_on_all_permutations_is_psd(kernel):
    """The Gram matrix on all 24 permutations of 4 items is PSD with unit diagonal."""
    with torch.no_grad():
        gram = kernel(ALL4, ALL4)
    assert torch.allclose(gram, gram.T)
    assert float(torch.linalg.eigvalsh(gram).min()) > -1e-10
    assert torch.equal(kernel.diag(ALL4), gram.diagonal())


def test_invariances():
    """Position: relabelling items; Kendall and Mallows: reordering positions."""
    x1, x2 = _sample(6, 4, 2), _sample(6, 3, 3)
    tau = torch.randperm(6, generator=torch.Generator().manual_seed(4))
    relabel = lambda x: tau[x.long()].double()  # noqa: E731
    reorder = lambda x: x[:, tau]  # noqa: E731
    with torch.no_grad():
        for kernel, move in [
            (PositionKernel(n=6), relabel),
            (MallowsKernel(n=6), reorder),
            (KendallKernel(n=6), reorder),
        ]:
            assert torch.allclose(kernel(move(x1), move(x2)), kernel(x1, x2))


def test_distances():
    """Distances of the reversal: footrule n²/2 (n even), all pairs discordant."""
    identity, reverse = torch.arange(6.0)[None], torch.arange(5.0, -1, -1)[None]
    assert float(position_distance(identity, reverse)) == 18.0
    assert float(discordant_pairs(identity, reverse)) == 15.0
    assert float(discordant_pairs(identity, identity)) == 0.0


def test_binding_and_errors():
    """Kernels bind to a Permutation space and reject everything else clearly."""
    kernel = PositionKernel()
    with pytest.raises(RuntimeError, match="bind"):
        kernel(ALL4[:2], ALL4[:2])
    kernel.bind(Permutation(4))
    assert kernel.n == 4 and kernel(ALL4[:2], ALL4[:3]).shape == (2, 3)
    with pytest.raises(NotImplementedError, match="Permutation"):
        MallowsKernel().bind(Box(0.0, 1.0))
    with pytest.raises(ValueError, match="n = 5"):
        KendallKernel(n=5).bind(Permutation(4))
    with pytest.raises(ValueError, match="shape"):
        PositionKernel(n=5)(ALL4, ALL4)
    with pytest.raises(ValueError, match="whole numbers"):
        PositionKernel(n=4)(ALL4[:2] + 0.5, ALL4[:2])
    with pytest.raises(ValueError, match="nu"):
        MallowsKernel(n=4, nu=0.0)


def test_gp_learns_nu():
    """The GP's MAP fit moves ν and keeps it finite; the prior is finite."""
    from tessera.bo import ExactGP

    x = _sample(6, 20, 5)
    y = position_distance(x, torch.arange(6.0)[None])[:, 0]
    kernel = PositionKernel(n=6, nu=1.0)
    ExactGP(kernel, restarts=2, iterations=20).fit(x, y)
    nu = float(kernel.nu.detach())
    assert math.isfinite(nu) and nu != 1.0
    assert math.isfinite(float(kernel.log_prior().detach()))
