"""The charged-particle N-body simulator of the paper's §5.1, vectorised over systems.

Each system holds ``N`` particles with charges ±1 (equally likely), Gaussian initial
positions of standard deviation ``loc_std · (N/5)^(1/3)`` and initial velocities of norm
``speed`` in uniformly random directions. The force on particle ``i`` is the Coulomb force
``F_i = k Σ_j q_i q_j (x_i − x_j) / ‖x_i − x_j‖³`` (unit masses), each component clipped
to ``±max_force``. Integration is semi-implicit Euler: ``v += dt F(x)`` once, then per step
``x += dt v``, save every ``sample_every`` steps, ``v += dt F(x)``. Frame ``k`` is the state
after ``(k + 1) · sample_every`` steps; ``steps / sample_every − 1`` frames are saved.
Initial positions outside the box ``[−box, box]^d`` are reflected into it, as in the
reference simulator; later positions are not confined.

References:
    | E(n) Equivariant Graph Neural Networks (Satorras et al., 2021), §5.1
    | https://arxiv.org/abs/2102.09844
    | Neural Relational Inference for Interacting Systems (Kipf et al., 2018)
    | https://arxiv.org/abs/1802.04687
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Trajectories", "coulomb_forces", "energy", "simulate_charged_particles"]


class Trajectories(NamedTuple):
    """Simulated systems.

    Attributes:
        positions: (S, T, N, d), the saved frames.
        velocities: (S, T, N, d).
        charges: (S, N), ±1.
    """

    positions: np.ndarray
    velocities: np.ndarray
    charges: np.ndarray


def _pairs(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs i < j and the incidence matrix (N, P) with +1 at i and −1 at j."""
    i, j = np.triu_indices(n, 1)
    incidence = np.zeros((n, len(i)))
    incidence[i, np.arange(len(i))] = 1.0
    incidence[j, np.arange(len(i))] = -1.0
    return i, j, incidence


def _forces(
    x: np.ndarray,
    coupling: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    max_force: float | None,
) -> np.ndarray:
    """Forces on positions laid out (N, S, d); ``coupling`` is k q_i q_j, (P, S)."""
    i, j, incidence = pairs
    diff = x[i] - x[j]
    r2 = np.einsum("psd,psd->ps", diff, diff)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff *= (coupling / (r2 * np.sqrt(r2)))[..., None]
    forces = (incidence @ diff.reshape(len(i), -1)).reshape(x.shape)
    if max_force is not None:
        np.clip(forces, -max_force, max_force, out=forces)
    return forces


def coulomb_forces(
    x: np.ndarray, charges: np.ndarray, interaction: float = 1.0, max_force: float | None = None
) -> np.ndarray:
    """Coulomb forces ``k Σ_j q_i q_j (x_i − x_j)/‖x_i − x_j‖³``, clipped per component.

    Arguments:
        x: positions, (S, N, d).
        charges: (S, N).
        interaction: the constant ``k``.
        max_force: clip each force component to ``±max_force``; ``None`` for no clipping.

    Returns:
        Forces, (S, N, d).
    """
    pairs = _pairs(x.shape[1])
    q = charges.T
    coupling = interaction * q[pairs[0]] * q[pairs[1]]
    forces = _forces(np.ascontiguousarray(x.transpose(1, 0, 2)), coupling, pairs, max_force)
    return forces.transpose(1, 0, 2)


def energy(
    positions: np.ndarray, velocities: np.ndarray, charges: np.ndarray, interaction: float = 1.0
) -> np.ndarray:
    """Total energy ``½ Σ ‖v_i‖² + k Σ_{i<j} q_i q_j / ‖x_i − x_j‖`` (unit masses).

    Arguments:
        positions, velocities: (..., N, d).
        charges: (..., N), broadcastable against the positions' leading axes.

    Returns:
        Energies, (...,).
    """
    n = positions.shape[-2]
    i, j = np.triu_indices(n, 1)
    r = np.linalg.norm(positions[..., i, :] - positions[..., j, :], axis=-1)
    potential = interaction * (charges[..., i] * charges[..., j] / r).sum(-1)
    return 0.5 * np.square(velocities).sum((-1, -2)) + potential


def simulate_charged_particles(
    num_systems: int,
    num_particles: int = 5,
    dim: int = 3,
    steps: int = 5000,
    sample_every: int = 100,
    dt: float = 0.001,
    loc_std: float = 1.0,
    speed: float = 0.5,
    interaction: float = 1.0,
    max_force: float | None = 100.0,
    box_size: float = 5.0,
    rng: np.random.Generator | int | None = None,
) -> Trajectories:
    """Simulate ``num_systems`` independent charged-particle systems at once.

    Arguments:
        num_systems: ``S``.
        num_particles: ``N`` per system.
        dim: ``d``.
        steps: integration steps, at least ``2 · sample_every``.
        sample_every: steps between saved frames.
        dt: time step.
        loc_std: standard deviation of initial positions for five particles (scaled by
            ``(N/5)^(1/3)`` to keep the density).
        speed: norm of each initial velocity.
        interaction: Coulomb constant ``k``.
        max_force: per-component force clip (the reference: ``0.1 / dt``); ``None`` for none.
        box_size: initial positions are reflected into ``[−box_size, box_size]^d``.
        rng: a numpy ``Generator`` or a seed.

    Returns:
        :class:`Trajectories` with ``steps // sample_every − 1`` frames.

    Example:
        >>> t = simulate_charged_particles(4, steps=200, sample_every=100, rng=0)
        >>> t.positions.shape, t.charges.shape
        ((4, 1, 5, 3), (4, 5))
    """
    if steps < 2 * sample_every:
        raise ValueError(
            f"steps={steps} saves no frame with sample_every={sample_every}; "
            "use steps ≥ 2 · sample_every"
        )
    rng = np.random.default_rng(rng)
    s, n, d = num_systems, num_particles, dim
    frames = steps // sample_every - 1

    # Initial state
    charges = rng.choice(np.array([-1.0, 1.0]), size=(s, n))
    x = rng.standard_normal((s, n, d)) * loc_std * (n / 5.0) ** (1.0 / 3.0)
    v = rng.standard_normal((s, n, d))
    v *= speed / np.linalg.norm(v, axis=-1, keepdims=True)
    over, under = x > box_size, x < -box_size
    x[over], v[over] = 2 * box_size - x[over], -np.abs(v[over])
    x[under], v[under] = -2 * box_size - x[under], np.abs(v[under])

    # Semi-implicit Euler, in the layout (N, S, d) that makes pair differences contiguous
    pairs = _pairs(n)
    coupling = interaction * charges.T[pairs[0]] * charges.T[pairs[1]]
    x, v = np.ascontiguousarray(x.transpose(1, 0, 2)), np.ascontiguousarray(v.transpose(1, 0, 2))
    positions = np.empty((frames, n, s, d))
    velocities = np.empty((frames, n, s, d))
    v += dt * _forces(x, coupling, pairs, max_force)
    saved = 0
    for step in range(1, steps):
        x += dt * v
        if step % sample_every == 0 and saved < frames:
            positions[saved], velocities[saved] = x, v
            saved += 1
        v += dt * _forces(x, coupling, pairs, max_force)
    positions = positions.transpose(2, 0, 1, 3)
    velocities = velocities.transpose(2, 0, 1, 3)
    return Trajectories(positions, velocities, charges)
