"""Config models of the plugin's components; no torch import, so ``tessera show`` is cheap."""

from __future__ import annotations

from pydantic import Field, field_validator

from tessera.config import Config, component
from tessera_emlp._syntax import parse_rep_syntax

__all__ = [
    "DoubleSpringConfig",
    "EMLPConfig",
    "GroupOrderConfig",
    "GroupSizeConfig",
    "NoParameters",
    "RegressionTaskConfig",
]


class GroupSizeConfig(Config):
    """Groups with one size parameter: ``emlp.su``, ``emlp.u``, ``emlp.sp`` (half the
    dimension), ``emlp.sl``, ``emlp.gl``, ``emlp.z``, ``emlp.scaling``."""

    n: int = Field(ge=1, description="dimension (for Sp, half the dimension)")


class GroupOrderConfig(Config):
    """``emlp.c`` and ``emlp.d``: the cyclic and dihedral groups of the plane."""

    k: int = Field(ge=1, description="the number of rotations")


class NoParameters(Config):
    """Groups without parameters: the Lorentz groups, ``emlp.cube``, ``emlp.rubiks_cube``."""


class EMLPConfig(Config):
    """``emlp``: an equivariant MLP for any registered real group.

    Example:
        >>> EMLPConfig(group={"name": "o", "params": {"n": 3}}, rep_in="2*V").channels
        384
    """

    group: component("group") = Field(description="the symmetry group")  # type: ignore[valid-type]
    rep_in: str = Field("V", description="input representation, e.g. '2*V + Scalar'")
    rep_out: str = Field("Scalar", description="output representation, e.g. 'T(2)'")
    channels: int = Field(384, ge=1, description="size of each hidden representation")
    num_layers: int = Field(3, ge=1, description="number of EMLP blocks")
    bilinear: bool = Field(True, description="include the bilinear layer in each block")
    seed: int = Field(0, description="seed of hidden representations and initial weights")

    @field_validator("rep_in", "rep_out")
    @classmethod
    def _rep(cls, value: str) -> str:
        parse_rep_syntax(value)
        return value


class _TrainingConfig(Config):
    train_sizes: list[int] = Field(
        [1000], min_length=1, description="training-set sizes to compare (paper: 30 to 3000)"
    )
    test_size: int = Field(1000, ge=1, description="test-set size")
    models: list[str] = Field(
        ["emlp", "mlp", "mlp_aug"],
        min_length=1,
        description="models to train: emlp, mlp, mlp_aug (MLP with group augmentation)",
    )
    epochs: int = Field(0, ge=0, description="epochs; 0 follows the paper: min(900000 / N, 1000)")
    max_steps: int = Field(0, ge=0, description="cap on optimiser steps per model; 0: none")
    batch_size: int = Field(500, ge=1, description="minibatch size")
    lr: float = Field(3e-3, gt=0, description="Adam learning rate")
    channels: int = Field(384, ge=1, description="EMLP hidden size and MLP width")
    num_layers: int = Field(3, ge=1, description="hidden layers")
    bilinear: bool = Field(True, description="EMLP blocks include the bilinear layer")
    threads: int = Field(0, ge=0, description="torch threads; 0 leaves the setting alone")

    @field_validator("models")
    @classmethod
    def _models(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - {"emlp", "mlp", "mlp_aug"})
        if unknown:
            raise ValueError(f"unknown models {unknown}; use emlp, mlp and mlp_aug")
        return value


class RegressionTaskConfig(_TrainingConfig):
    """``emlp.o5_synthetic``, ``emlp.inertia`` and ``emlp.particle_scattering``: regression
    with EMLP, an MLP and an MLP with augmentation.

    ``groups`` names the symmetry groups the EMLP is trained with (registered group specs);
    empty means the paper's choice for the task.
    """

    groups: list[component("group")] = Field(  # type: ignore[valid-type]
        [], description="EMLP symmetry groups; empty for the task's default"
    )


class DoubleSpringConfig(_TrainingConfig):
    """``emlp.double_spring``: Hamiltonian dynamics of a double spring pendulum, learned as
    a Hamiltonian neural network; compares EMLP with the symmetries SO(2), O(2) and D(k)
    (acting about the vertical axis) with an MLP."""

    symmetries: list[str] = Field(
        ["so2", "o2", "d6"], description="EMLP symmetries: so2, o2, dK (e.g. d6)"
    )
    chunk_len: int = Field(5, ge=2, description="time steps per training chunk")
    dt: float = Field(0.2, gt=0, description="time step")
    integration_time: float = Field(30.0, gt=0, description="rollout length for the metric")
    train_sizes: list[int] = Field([500], min_length=1, description="training trajectories")
    test_size: int = Field(100, ge=1, description="test trajectories")
    models: list[str] = Field(["emlp", "mlp"], min_length=1, description="emlp, mlp")
    batch_size: int = Field(500, ge=1, description="minibatch size")
    lr: float = Field(3e-3, gt=0, description="Adam learning rate")
    channels: int = Field(384, ge=1, description="EMLP hidden size and MLP width")

    @field_validator("symmetries")
    @classmethod
    def _symmetries(cls, value: list[str]) -> list[str]:
        for s in value:
            if s not in ("so2", "o2") and not (s[:1] == "d" and s[1:].isdigit()):
                raise ValueError(f"unknown symmetry {s!r}; use so2, o2 or dK (e.g. d6)")
        return value
