"""Config models of the E-NF plugin's components.

This module imports neither torch nor numpy, so ``tessera show`` reads it cheaply. Each
model documents its fields; the component that takes it is named in its docstring.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from tessera.config import Config, component

__all__ = [
    "ADAPTIVE_METHODS",
    "FIXED_GRID_METHODS",
    "DW4Config",
    "EquivariantFlowConfig",
    "GNNDynamicsConfig",
    "LJ13Config",
    "MetropolisConfig",
    "QM9PositionalConfig",
    "SimpleDynamicsConfig",
]

#: torchdiffeq solvers with error control (rtol, atol).
ADAPTIVE_METHODS = ("dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun")
#: torchdiffeq solvers on a fixed grid (step_size).
FIXED_GRID_METHODS = ("euler", "midpoint", "rk4", "explicit_adams", "implicit_adams")

Method = Literal[
    "dopri5",
    "dopri8",
    "bosh3",
    "fehlberg2",
    "adaptive_heun",
    "euler",
    "midpoint",
    "rk4",
    "explicit_adams",
    "implicit_adams",
]
Trace = Literal["exact", "hutchinson"]
Activation = Literal["silu", "relu", "tanh"]

#: The paper's E-NF dynamics layer (reference: 32 features, attention, tanh-bounded
#: coordinate weights of range 15 over 3 layers, sum aggregation, ‖x_i − x_j‖² as edge
#: attribute).
ENF_LAYER: dict[str, Any] = {
    "name": "egnn",
    "params": {
        "in_features": 32,
        "hidden_features": 32,
        "edge_features": 1,
        "attention": True,
        "tanh": True,
        "coords_range": 5.0,
        "normalize": True,
        "coord_aggregation": "sum",
    },
}


class EquivariantFlowConfig(Config):
    """Parameters of :class:`tessera_enf.EquivariantFlow`, the ``enf`` flow."""

    dynamics: component("equivariant_layer") = Field(
        default_factory=lambda: {"name": ENF_LAYER["name"], "params": dict(ENF_LAYER["params"])},
        description="one layer of the velocity network: any registered equivariant layer "
        "called as layer(h, x, mask, edge_attr) -> (h, x) with in_features == out_features "
        "and edge_features 0 or 1 (egnn, enf.gnn, enf.simple); num_layers copies are built "
        "from its spec",
    )
    num_layers: int = Field(3, ge=1, description="number of stacked dynamics layers")
    num_nodes: int = Field(4, ge=2, description="particles per sample (event shape, base)")
    dim: int = Field(2, ge=1, description="dimension of each particle's position")
    context_features: int = Field(
        0, ge=0, description="width of per-node context features concatenated to time"
    )
    time_feature: bool = Field(True, description="give time t as a node feature")
    method: Method = Field("dopri5", description="torchdiffeq solver")
    rtol: float = Field(1e-4, gt=0, description="solver relative tolerance in training")
    atol: float = Field(1e-4, gt=0, description="solver absolute tolerance in training")
    eval_rtol: float = Field(1e-6, gt=0, description="relative tolerance in eval mode")
    eval_atol: float = Field(1e-6, gt=0, description="absolute tolerance in eval mode")
    step_size: float | None = Field(
        None,
        gt=0,
        description="step of the fixed-grid methods (euler, rk4, ...); required "
        "by them, not allowed for adaptive ones",
    )
    adjoint: bool = Field(
        False,
        description="backpropagate with odeint_adjoint (O(1) memory) instead of "
        "through the solver's operations",
    )
    trace: Trace = Field(
        "hutchinson",
        description="divergence estimator in training mode: exact (N·D "
        "vector-Jacobian products) or Hutchinson's (one)",
    )
    eval_trace: Trace = Field("exact", description="divergence estimator in eval mode")
    noise: Literal["rademacher", "gaussian"] = Field(
        "rademacher", description="distribution of the Hutchinson probe vectors"
    )
    kinetic_energy: float = Field(
        0.0, ge=0, description="weight of the kinetic-energy regulariser ∫‖v‖² dt"
    )
    jacobian_frobenius: float = Field(
        0.0, ge=0, description="weight of the Jacobian regulariser ∫‖εᵀ∂v/∂x‖² dt"
    )

    @model_validator(mode="after")
    def _step_size_for_fixed_grid(self) -> EquivariantFlowConfig:
        if self.method in FIXED_GRID_METHODS and self.step_size is None:
            raise ValueError(
                f"method '{self.method}' integrates on a fixed grid and needs step_size; "
                "set step_size (e.g. 0.05) or use an adaptive method such as dopri5"
            )
        if self.method in ADAPTIVE_METHODS and self.step_size is not None:
            raise ValueError(
                f"step_size is only for fixed-grid methods ({', '.join(FIXED_GRID_METHODS)}); "
                f"method '{self.method}' chooses its steps from rtol and atol: drop step_size"
            )
        return self


class _PointCloudLayer(Config):
    """What the plugin's dynamics layers share: widths and the declared example sizes."""

    in_features: int = Field(32, ge=1, description="width of the node features h (time embedding)")
    edge_features: int = Field(
        0, ge=0, le=1, description="1 to read the squared distances as edge attribute"
    )
    dim: int = Field(3, ge=1, description="dimension of the positions in example inputs")
    num_nodes: int = Field(5, ge=2, description="number of nodes in example inputs")


class GNNDynamicsConfig(_PointCloudLayer):
    """Parameters of :class:`tessera_enf.GNNDynamics`, the non-equivariant baseline layer."""

    hidden_features: int = Field(32, ge=1, description="width of messages and MLPs")
    attention: bool = Field(True, description="gate each message by σ(φ_att(m_ij))")
    activation: Activation = "silu"


class SimpleDynamicsConfig(_PointCloudLayer):
    """Parameters of :class:`tessera_enf.SimpleDynamics`, the radial-kernel baseline."""

    in_features: int = Field(1, ge=1, description="width of h (read only when time_dependent)")
    num_rbf: int = Field(50, ge=1, description="Gaussian radial basis functions")
    max_distance: float = Field(8.0, gt=0, description="largest RBF centre")
    rbf_gamma: float = Field(0.5, gt=0, description="RBF width: exp(−γ (d − μ)²)")
    hidden_features: tuple[int, ...] = Field(
        (64, 32), description="hidden widths of the radial MLP (reference: 64, 32)"
    )
    time_dependent: bool = Field(
        False,
        description="feed h (the time embedding) to the radial MLP; the reference "
        "simple dynamics is time independent",
    )


class MetropolisConfig(Config):
    """Parameters of :class:`tessera_enf.Metropolis`, the parallel-walker MCMC sampler."""

    walkers: int = Field(1000, ge=1, description="independent chains run in parallel")
    burn_in: int = Field(2000, ge=0, description="steps discarded at the start")
    thin: int = Field(10, ge=1, description="steps between kept samples of a chain")
    step_size: float = Field(0.1, gt=0, description="initial std of the Gaussian proposal")
    adapt: bool = Field(
        True, description="tune the step size towards target_acceptance during burn-in only"
    )
    target_acceptance: float = Field(0.4, gt=0, lt=1, description="acceptance rate aimed at")
    init_scale: float = Field(1.0, gt=0, description="std of the random initial positions")


def _sampler(**params: Any) -> Any:
    return Field(
        default_factory=lambda: MetropolisConfig(**params),
        description="MCMC settings for generating the data sets",
    )


def _flow(num_nodes: int, dim: int) -> Any:
    return Field(
        default_factory=lambda: {
            "name": "enf",
            "params": {"num_nodes": num_nodes, "dim": dim},
        },
        description="any registered flow whose event shape is (num_nodes, dim) and whose "
        "log_prob has the zero-centre-of-mass convention (enf with any dynamics)",
    )


class _Training(Config):
    """Fields of the flow-training loop shared by every task of the plugin."""

    epochs: int = Field(300, ge=1, description="training epochs")
    batch_size: int = Field(100, ge=1, description="samples per training batch")
    eval_batch_size: int = Field(500, ge=1, description="samples per evaluation batch")
    eval_every: int = Field(5, ge=1, description="epochs between validation/test passes")
    lr: float = Field(5e-4, gt=0, description="AdamW (amsgrad) learning rate")
    weight_decay: float = Field(1e-12, ge=0, description="AdamW weight decay")
    augment: bool = Field(
        False, description="randomly rotate/reflect every training batch (for baselines)"
    )
    num_samples: int = Field(
        500, ge=0, description="flow samples drawn after training for the comparison plot"
    )
    plot: bool = Field(True, description="save loss and sample plots (needs matplotlib)")


class _ParticleTask(_Training):
    """Fields shared by the particle-system tasks (data generated by MCMC)."""

    num_train: int = Field(1000, ge=1, description="training samples")
    num_valid: int = Field(1000, ge=1, description="validation samples")
    num_test: int = Field(1000, ge=1, description="test samples")
    data_seed: int = Field(0, description="seed of the MCMC data sets")
    data_dir: str | None = Field(
        None, description="cache folder of generated data; None: '<run folder>/data'"
    )

    @model_validator(mode="after")
    def _batch_fits(self) -> _ParticleTask:
        if self.batch_size > self.num_train:
            raise ValueError(
                f"batch_size ({self.batch_size}) exceeds num_train ({self.num_train}); "
                f"set batch_size ≤ {self.num_train}"
            )
        return self


class DW4Config(_ParticleTask):
    """Parameters of the ``enf.dw4`` task: 4 particles in 2D in a pairwise double well."""

    flow: component("flow") = _flow(4, 2)
    a: float = Field(0.9, description="quartic coefficient")
    b: float = Field(-4.0, description="quadratic coefficient")
    c: float = Field(0.0, description="constant per pair")
    d0: float = Field(4.0, description="distance offset")
    sampler: MetropolisConfig = _sampler(
        walkers=1000, burn_in=4000, thin=20, step_size=0.5, init_scale=2.0
    )


class LJ13Config(_ParticleTask):
    """Parameters of the ``enf.lj13`` task: 13 Lennard-Jones particles in 3D."""

    flow: component("flow") = _flow(13, 3)
    epsilon: float = Field(1.0, gt=0, description="well depth ε")
    r_m: float = Field(1.0, gt=0, description="distance of the minimum r_m")
    oscillator: float = Field(
        1.0, ge=0, description="scale of the harmonic confinement ½ Σ ‖x_i − x̄‖²"
    )
    sampler: MetropolisConfig = _sampler(
        walkers=500, burn_in=10000, thin=50, step_size=0.05, init_scale=1.0
    )


#: The reference's QM9-positional dynamics: 6 EGNN layers of 64 features, attention,
#: tanh-bounded coordinate updates (range 15 over 6 layers), sum aggregation.
QM9_LAYER: dict[str, Any] = {
    "name": "egnn",
    "params": {
        **ENF_LAYER["params"],
        "in_features": 64,
        "hidden_features": 64,
        "coords_range": 2.5,
    },
}


class QM9PositionalConfig(_Training):
    """Parameters of the ``enf.qm9_positional`` task: positions of QM9 molecules."""

    path: str = Field(
        description="a local QM9 copy: a folder of dsgdb9nsd_*.xyz files or the "
        "dsgdb9nsd.xyz.tar.bz2 archive (nothing is downloaded)"
    )
    num_atoms: int = Field(
        19, ge=2, description="keep the molecules with this many atoms (19: the most common)"
    )
    flow: component("flow") = Field(
        default_factory=lambda: {
            "name": "enf",
            "params": {
                "num_nodes": 19,
                "dim": 3,
                "num_layers": 6,
                "noise": "gaussian",
                "kinetic_energy": 1e-3,
                "jacobian_frobenius": 1e-3,
                "dynamics": {"name": "egnn", "params": dict(QM9_LAYER["params"])},
            },
        },
        description="any registered flow whose event shape is (num_atoms, 3) and whose "
        "log_prob has the zero-centre-of-mass convention",
    )
    num_train: int | None = Field(
        None, ge=1, description="training molecules; None: those left by valid and test"
    )
    num_valid: int | None = Field(
        None, ge=1, description="validation molecules; None: 10% of the kept molecules"
    )
    num_test: int | None = Field(
        None, ge=1, description="test molecules; None: 10% of the kept molecules"
    )
    split_seed: int = Field(0, description="seed of the random train/valid/test split")
    epochs: int = Field(1000, ge=1, description="training epochs")
    batch_size: int = Field(128, ge=1, description="molecules per training batch")
    eval_every: int = Field(1, ge=1, description="epochs between validation/test passes")
    lr: float = Field(2e-4, gt=0, description="AdamW (amsgrad) learning rate")

    @model_validator(mode="after")
    def _batch_fits(self) -> QM9PositionalConfig:
        if self.num_train is not None and self.batch_size > self.num_train:
            raise ValueError(
                f"batch_size ({self.batch_size}) exceeds num_train ({self.num_train}); "
                f"set batch_size ≤ {self.num_train}"
            )
        return self
