"""The DW4 and LJ13 energies: values, symmetries and shape errors."""

from __future__ import annotations

import pytest
import torch
from tessera_enf import DoubleWell, LennardJones, pair_distances


def test_double_well_on_a_square():
    """Sides at d0 cost c; each diagonal pays a s⁴ + b s² with s = d0(√2 − 1)."""
    energy = DoubleWell(a=0.9, b=-4.0, c=0.5, d0=4.0)
    x = torch.tensor([[[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]]], dtype=torch.float64)
    s = 4.0 * (2**0.5 - 1)
    expected = 4 * 0.5 + 2 * (0.9 * s**4 - 4.0 * s**2 + 0.5)
    assert float(energy(x)) == pytest.approx(expected)


def test_double_well_pair_minima():
    """A pair's energy is smallest at d0 ± √(−b / 2a)."""
    energy = DoubleWell(num_particles=2, dim=2)
    d = torch.linspace(0.5, 7.5, 7001, dtype=torch.float64)
    x = torch.zeros(len(d), 2, 2, dtype=torch.float64)
    x[:, 1, 0] = d
    e = energy(x)
    left = d[: len(d) // 2][e[: len(d) // 2].argmin()]
    assert float(left) == pytest.approx(4 - (4 / 1.8) ** 0.5, abs=2e-3)


def test_lennard_jones_minimum_and_confinement():
    """Each ordered pair at r_m contributes −ε; the confinement adds k/2 Σ‖x_i − x̄‖²."""
    pair = LennardJones(num_particles=2, dim=3, epsilon=1.5, oscillator=0.0)
    x = torch.tensor([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]], dtype=torch.float64, requires_grad=True)
    e = pair(x)
    assert float(e.detach()) == pytest.approx(-3.0)
    assert torch.autograd.grad(e.sum(), x)[0].abs().max() < 1e-10  # a minimum
    trapped = LennardJones(num_particles=2, dim=3, epsilon=1.5, oscillator=2.0)
    assert float(trapped(x.detach())) == pytest.approx(-3.0 + 0.5 * 2.0 * 2 * 0.25)


@pytest.mark.parametrize("energy", [DoubleWell(), LennardJones()], ids=["dw4", "lj13"])
def test_energies_are_invariant(energy):
    """Rotations, reflections, translations and permutations leave the energy unchanged."""
    gen = torch.Generator().manual_seed(0)
    n, d = energy.num_particles, energy.dim
    x = 1.5 * torch.randn(4, n, d, generator=gen, dtype=torch.float64)
    q = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=torch.float64))[0]
    y = x[:, torch.randperm(n, generator=gen)] @ q.T + torch.randn(d, generator=gen).double()
    assert torch.allclose(energy(y), energy(x), rtol=1e-10)


def test_shapes_are_checked():
    """Positions of the wrong shape are refused with the expected shape in the message."""
    with pytest.raises(ValueError, match=r"\(batch, 4, 2\)"):
        DoubleWell()(torch.zeros(2, 13, 3))
    with pytest.raises(ValueError, match="particles, dim"):
        pair_distances(torch.zeros(4, 2))
