"""Config models of the EGNN plugin's components.

This module imports neither torch nor numpy, so ``tessera show`` reads it cheaply. Each
model documents its fields; the component that takes it is named in its docstring.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from tessera.config import Config, component

__all__ = [
    "ConstantVelocityConfig",
    "EGNNConfig",
    "EGNNLayerConfig",
    "GNNConfig",
    "GraphAutoencoderConfig",
    "NBodyConfig",
    "QM9Config",
    "RadialFieldConfig",
]

Activation = Literal["silu", "relu", "leaky_relu"]


class _Declared(Config):
    """The group a point-cloud module declares: E(dim) × S(num_nodes)."""

    dim: int = Field(
        3,
        ge=1,
        description="dimension of the coordinates in the declared group and in example "
        "inputs; the module itself accepts coordinates of any dimension",
    )
    num_nodes: int = Field(
        5,
        ge=1,
        description="number of nodes in the declared group S(num_nodes) and in example "
        "inputs; the module itself accepts any number of nodes",
    )


class _LayerOptions(_Declared):
    """Options of the equivariant graph convolutional layer, shared by layer and model."""

    edge_features: int = Field(0, ge=0, description="width of the edge attributes a_ij")
    coord_aggregation: Literal["mean", "sum"] = Field(
        "mean",
        description="C in x_i += C Σ_j (x_i − x_j) φx(m_ij): 'mean' divides by the number "
        "of neighbours (the paper's 1/(M−1)), 'sum' uses C = 1",
    )
    residual: bool = Field(True, description="h_i ← h_i + φh(h_i, m_i) instead of φh(h_i, m_i)")
    attention: bool = Field(False, description="gate each message: m_ij ← m_ij σ(φinf(m_ij))")
    normalize: bool = Field(
        False, description="use (x_i − x_j) / (‖x_i − x_j‖ + ε) in the coordinate update"
    )
    tanh: bool = Field(
        False, description="bound the coordinate weight: φx(m_ij) ← coords_range · tanh(φx)"
    )
    coords_range: float = Field(1.0, gt=0, description="the bound used when tanh is true")
    velocity: bool = Field(
        False, description="velocity variant: x_i += φv(h_i) v_i, with v an extra input"
    )
    update_coords: bool = Field(
        True, description="false: coordinate-free mode, x passes through unchanged"
    )
    activation: Activation = Field("silu", description="non-linearity of every MLP")

    @model_validator(mode="after")
    def _velocity_needs_coordinates(self) -> _LayerOptions:
        if self.velocity and not self.update_coords:
            raise ValueError(
                "velocity=true updates coordinates, but update_coords is false; set "
                "update_coords=true or velocity=false"
            )
        return self


class EGNNLayerConfig(_LayerOptions):
    """Parameters of :class:`tessera_egnn.EGNNLayer`, one equivariant graph convolution."""

    in_features: int = Field(16, ge=1, description="width of the node features h")
    hidden_features: int = Field(64, ge=1, description="width of the messages m_ij and MLPs")
    out_features: int | None = Field(
        None, ge=1, description="width of the updated h; None keeps in_features"
    )

    @model_validator(mode="after")
    def _residual_needs_same_width(self) -> EGNNLayerConfig:
        if self.residual and self.out_features not in (None, self.in_features):
            raise ValueError(
                f"residual=true needs out_features == in_features ({self.in_features}), got "
                f"{self.out_features}; set residual=false or out_features={self.in_features}"
            )
        return self


class EGNNConfig(_LayerOptions):
    """Parameters of :class:`tessera_egnn.EGNN`: embedding, stacked layers and read-outs."""

    in_features: int = Field(1, ge=1, description="width of the input node features h")
    hidden_features: int = Field(64, ge=1, description="width of h inside the stack")
    out_features: int | None = Field(
        None, ge=1, description="width of the node output; None returns the hidden h"
    )
    graph_features: int = Field(
        0, ge=0, description="width of the pooled graph output; 0 for none"
    )
    pooling: Literal["sum", "mean"] = Field("sum", description="pooling of the graph output")
    num_layers: int = Field(4, ge=1, description="number of equivariant layers")


class GNNConfig(_Declared):
    """Parameters of :class:`tessera_egnn.GNN`, the message-passing baseline."""

    in_features: int = Field(1, ge=0, description="width of the input node features h")
    hidden_features: int = Field(64, ge=1, description="width of h and of the messages")
    edge_features: int = Field(0, ge=0, description="width of the edge attributes")
    num_layers: int = Field(4, ge=1, description="number of message-passing layers")
    use_positions: bool = Field(True, description="append the coordinates x to h")
    use_velocity: bool = Field(False, description="append the velocities v to h")
    activation: Activation = "silu"

    @model_validator(mode="after")
    def _has_inputs(self) -> GNNConfig:
        if self.in_features == 0 and not (self.use_positions or self.use_velocity):
            raise ValueError(
                "the GNN has no input: in_features is 0 and use_positions and use_velocity "
                "are false; enable one of them"
            )
        return self


class RadialFieldConfig(_Declared):
    """Parameters of :class:`tessera_egnn.RadialField`, the radial-field baseline."""

    in_features: int = Field(
        1, ge=1, description="width of the node features h read by the velocity weight φv"
    )
    hidden_features: int = Field(64, ge=1, description="width of the radial MLPs")
    edge_features: int = Field(0, ge=0, description="width of the edge attributes")
    num_layers: int = Field(4, ge=1, description="number of radial-field layers")
    velocity: bool = Field(False, description="add φv(h_i) v_i to the update")
    activation: Activation = "silu"


class ConstantVelocityConfig(_Declared):
    """Parameters of :class:`tessera_egnn.ConstantVelocity`: x + t v with a learnt t."""

    initial_time: float = Field(1.0, description="initial value of the learnt time t")


_NBODY_MODEL: dict[str, Any] = {
    "name": "egnn",
    "params": {
        "in_features": 1,
        "edge_features": 2,
        "hidden_features": 64,
        "num_layers": 4,
        "velocity": True,
    },
}


class NBodyConfig(Config):
    """Parameters of the ``egnn.nbody`` task: charged particles, predict positions ahead."""

    model: component("model") = Field(
        default_factory=lambda: dict(_NBODY_MODEL),
        description="any registered model called as model(h, x, mask, edge_attr, None, v) "
        "whose output has the predicted positions in .x (egnn, egnn.gnn, "
        "egnn.radial_field, egnn.linear)",
    )
    num_train: int = Field(3000, ge=1, description="training trajectories")
    num_valid: int = Field(2000, ge=1, description="validation trajectories")
    num_test: int = Field(2000, ge=1, description="test trajectories")
    num_particles: int = Field(5, ge=2, description="particles per system")
    dim: int = Field(3, ge=1, description="dimension of the simulated space")
    steps: int = Field(5000, ge=2, description="integration steps per trajectory")
    sample_every: int = Field(100, ge=1, description="steps between saved frames")
    dt: float = Field(0.001, gt=0, description="integration time step")
    frame_input: int = Field(30, ge=0, description="saved frame given as input")
    frame_target: int = Field(40, ge=1, description="saved frame to predict")
    data_seed: int = Field(43, description="seed of the simulated data set")
    data_dir: str | None = Field(
        None, description="cache folder of simulated data; None: '<run folder>/data'"
    )
    epochs: int = Field(10000, ge=1, description="training epochs (the paper: 10,000)")
    batch_size: int = Field(100, ge=1, description="systems per batch")
    lr: float = Field(5e-4, gt=0, description="Adam learning rate")
    weight_decay: float = Field(1e-12, ge=0, description="Adam weight decay")
    eval_every: int = Field(5, ge=1, description="epochs between validation/test passes")
    plot: bool = Field(True, description="save the loss curves (needs matplotlib)")

    @model_validator(mode="after")
    def _frames_exist(self) -> NBodyConfig:
        saved = self.steps // self.sample_every - 1
        if saved < 1:
            raise ValueError(
                f"steps={self.steps} with sample_every={self.sample_every} saves no frame; "
                "make steps at least twice sample_every"
            )
        if not self.frame_input < self.frame_target < saved:
            raise ValueError(
                f"need frame_input < frame_target < {saved} (the number of saved frames), got "
                f"frame_input={self.frame_input}, frame_target={self.frame_target}"
            )
        return self


class GraphAutoencoderConfig(Config):
    """Parameters of the ``egnn.graph_autoencoder`` task."""

    dataset: Literal["community", "erdos_renyi"] = Field(
        "community", description="graph family: two communities or Erdős–Rényi"
    )
    encoders: list[Literal["egnn", "gnn", "gnn_noise", "radial_field"]] = Field(
        default_factory=lambda: ["egnn", "gnn", "gnn_noise"],
        min_length=1,
        description="autoencoders trained and compared, in order",
    )
    num_train: int = Field(5000, ge=1, description="training graphs")
    num_valid: int = Field(500, ge=1, description="validation graphs")
    num_test: int = Field(500, ge=1, description="test graphs")
    community_sizes: tuple[int, int] = Field(
        (6, 10), description="inclusive range of each community's size"
    )
    num_communities: int = Field(2, ge=1, description="communities per graph")
    p_intra: float = Field(0.7, ge=0, le=1, description="edge probability within a community")
    p_inter: float = Field(0.01, ge=0, le=1, description="edge probability across communities")
    erdos_renyi_sizes: tuple[int, int] = Field(
        (7, 16), description="inclusive range of Erdős–Rényi graph sizes"
    )
    erdos_renyi_p: float = Field(0.25, ge=0, le=1, description="Erdős–Rényi edge probability")
    embedding_dim: int = Field(8, ge=1, description="dimension of the node embeddings z")
    hidden_features: int = Field(64, ge=1, description="width of the encoders")
    num_layers: int = Field(4, ge=1, description="layers of each encoder")
    epochs: int = Field(100, ge=1, description="training epochs per encoder")
    batch_size: int = Field(1, ge=1, description="graphs per batch (the paper: 1)")
    lr: float = Field(1e-4, gt=0, description="Adam learning rate, cosine-annealed")
    eval_every: int = Field(2, ge=1, description="epochs between validation/test passes")
    data_seed: int = Field(0, description="seed of the generated graphs")
    plot: bool = Field(True, description="save the loss curves (needs matplotlib)")

    @model_validator(mode="after")
    def _ranges(self) -> GraphAutoencoderConfig:
        for name in ("community_sizes", "erdos_renyi_sizes"):
            low, high = getattr(self, name)
            if not 1 <= low <= high:
                raise ValueError(
                    f"{name} must be (low, high) with 1 ≤ low ≤ high, got ({low}, {high})"
                )
        return self


QM9Property = Literal[
    "mu", "alpha", "homo", "lumo", "gap", "r2", "zpve", "U0", "U", "H", "G", "Cv"
]


class QM9Config(Config):
    """Parameters of the ``egnn.qm9`` task: property regression on a local QM9 copy."""

    path: str = Field(
        description="a folder of dsgdb9nsd_*.xyz files or the dsgdb9nsd.xyz.tar.bz2 archive"
    )
    target: QM9Property = Field("homo", description="the property to regress")
    num_train: int = Field(100000, ge=1, description="training molecules")
    num_test: int | None = Field(
        None, ge=1, description="test molecules; None: 10% of the data set"
    )
    num_valid: int | None = Field(
        None, ge=1, description="validation molecules; None: all the rest"
    )
    split_seed: int = Field(0, description="seed of the random split")
    hidden_features: int = Field(128, ge=1, description="width of the network")
    num_layers: int = Field(7, ge=1, description="number of invariant EGNN layers")
    attention: bool = Field(True, description="attention gate on the messages")
    charge_power: int = Field(2, ge=0, description="node features (Z/Z_max)^k, k ≤ power")
    epochs: int = Field(1000, ge=1, description="training epochs")
    batch_size: int = Field(96, ge=1, description="molecules per batch")
    lr: float = Field(1e-3, gt=0, description="Adam learning rate, cosine-annealed")
    weight_decay: float = Field(1e-16, ge=0, description="Adam weight decay")
    eval_every: int = Field(1, ge=1, description="epochs between validation/test passes")
    plot: bool = Field(True, description="save the loss curves (needs matplotlib)")
