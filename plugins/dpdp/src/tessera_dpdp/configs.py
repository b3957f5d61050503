"""Config models of the DPDP plugin's components.

This module imports neither torch nor numpy, so ``tessera show`` reads it cheaply. Each
model documents its fields; the component that takes it is named in its docstring.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tessera.config import Config, component

__all__ = [
    "DPDPConfig",
    "DistanceHeatmapConfig",
    "GCNConfig",
    "HGSConfig",
    "LKHConfig",
    "NearestNeighbourConfig",
    "ORToolsConfig",
    "RoutingTaskConfig",
    "TrainConfig",
    "TwoOptConfig",
]

Score = Literal["cost", "heatmap", "heatmap_potential"]
GraphKind = Literal["full", "knn", "heatmap"]
ProblemKind = Literal["tsp", "cvrp", "tsptw"]


class DPDPConfig(Config):
    """``dpdp``: restricted dynamic programming with a beam chosen by a score.

    Example:
        >>> DPDPConfig(beam_size=100).score
        'cost'
    """

    beam_size: int | None = Field(
        1000,
        ge=1,
        description="states kept per instance after each step; null keeps every "
        "non-dominated state (exact dynamic programming on the chosen graph)",
    )
    score: Score = Field(
        "cost",
        description="what ranks the states: 'cost' (partial route length), 'heatmap' (sum of "
        "-p over the edges taken) or 'heatmap_potential' (plus a potential of the "
        "unvisited nodes); the heatmap scores need a model",
    )
    graph: GraphKind = Field(
        "knn",
        description="edges a state may expand along: 'full', 'knn' (k nearest neighbours, "
        "symmetrised) or 'heatmap' (p > heatmap_threshold); for CVRP the depot is always "
        "connected to every customer",
    )
    knn: int = Field(10, ge=1, description="neighbours per node for graph='knn'")
    heatmap_threshold: float = Field(
        1e-5, gt=0, lt=1, description="edges with heatmap probability above it form the graph"
    )
    model: component("model") | None = Field(  # type: ignore[valid-type]
        None,
        description="heatmap model (e.g. dpdp.gcn) with a heatmap(problems) method; "
        "untrained unless 'checkpoint' is given",
    )
    checkpoint: str | None = Field(
        None,
        description="a model file written by tessera.save, or 'tsp100' for the checkpoint "
        "shipped with the plugin; it replaces 'model'",
    )
    depot_penalty: float = Field(
        0.1,
        gt=0,
        le=1,
        description="CVRP heatmap scores: the probability of going via the depot is "
        "multiplied by this factor",
    )
    start_distance_weight: float = Field(
        0.1,
        ge=0,
        description="potential: weight of a node's normalised distance to the start node",
    )
    complete: bool = Field(
        True,
        description="a state whose current node has no unvisited neighbour in the graph may "
        "go to any unvisited node, so a sparse graph never strands the beam; false follows "
        "the paper strictly",
    )
    lookahead: bool = Field(
        True,
        description="TSPTW: drop states from which some unvisited node can no longer be "
        "reached in time (exact: uses shortest-path travel times)",
    )
    batch_size: int = Field(
        16, ge=1, description="instances of equal type and size solved together"
    )
    device: str = Field("cpu", description="torch device of the dynamic program")

    @model_validator(mode="after")
    def _heatmap_needs_a_model(self) -> DPDPConfig:
        needs = self.score != "cost" or self.graph == "heatmap"
        if needs and self.model is None and self.checkpoint is None:
            raise ValueError(
                f"score={self.score!r} with graph={self.graph!r} needs a heatmap; give "
                "model (e.g. {'name': 'dpdp.gcn'}) or checkpoint, or use score='cost' "
                "with graph='knn' or 'full'"
            )
        return self


class NearestNeighbourConfig(Config):
    """``dpdp.nearest_neighbour``: greedy construction from the start node or depot."""


class TwoOptConfig(Config):
    """``dpdp.two_opt``: nearest neighbour, then 2-opt and Or-opt moves to a local optimum.

    Example:
        >>> TwoOptConfig().or_opt
        True
    """

    or_opt: bool = Field(True, description="also move segments of 1 to 3 nodes (Or-opt)")
    max_rounds: int = Field(
        1000, ge=1, description="improvement rounds at most (each applies the best move)"
    )


class ORToolsConfig(Config):
    """``dpdp.ortools``: OR-tools routing with guided local search and a time limit."""

    time_limit: float = Field(1.0, gt=0, description="seconds of search per instance")
    metaheuristic: Literal[
        "guided_local_search", "simulated_annealing", "tabu_search", "automatic"
    ] = Field("guided_local_search", description="OR-tools local search metaheuristic")


class LKHConfig(Config):
    """``dpdp.lkh``: LKH through the elkai package."""

    runs: int = Field(1, ge=1, description="independent LKH runs; the best tour is kept")


class HGSConfig(Config):
    """``dpdp.hgs``: hybrid genetic search through the pyvrp package."""

    time_limit: float = Field(1.0, gt=0, description="seconds of search per instance")
    seed: int = Field(0, ge=0, description="random seed of the search")


class GCNConfig(Config):
    """``dpdp.gcn``: residual gated graph convolutional network predicting a heatmap.

    Example:
        >>> GCNConfig(problem="cvrp").node_features
        4
    """

    problem: ProblemKind = Field("tsp", description="problem type whose instances the model reads")
    hidden_features: int = Field(64, ge=2, description="width of node and edge embeddings")
    num_layers: int = Field(8, ge=1, description="residual gated GCN layers")
    mlp_layers: int = Field(2, ge=1, description="layers of the edge classifier")
    knn: int = Field(10, ge=1, description="each node's k nearest neighbours are its edges")
    aggregation: Literal["mean", "sum"] = Field(
        "mean", description="gated aggregation of neighbour messages"
    )

    @property
    def node_features(self) -> int:
        """Input width per node: coordinates plus the problem's own features."""
        return {"tsp": 2, "cvrp": 4, "tsptw": 5}[self.problem]


class DistanceHeatmapConfig(Config):
    """``dpdp.distance_heatmap``: a model-free heatmap from distances alone."""

    knn: int = Field(10, ge=1, description="each node spreads its heat over its k nearest")
    temperature: float = Field(
        0.5, gt=0, description="softmax temperature, relative to the mean neighbour distance"
    )


class RoutingTaskConfig(Config):
    """``dpdp.tsp``, ``dpdp.cvrp``, ``dpdp.tsptw``: compare solvers on a set of instances.

    Example:
        >>> RoutingTaskConfig(num_instances=4, size=10).seed
        1234
    """

    solvers: list[component("solver")] = Field(  # type: ignore[valid-type]
        default_factory=lambda: [
            {"name": "dpdp", "params": {"beam_size": 100}},
            {"name": "dpdp.two_opt"},
        ],
        description="solvers to run, each a spec such as {'name': 'dpdp'}",
    )
    labels: list[str] | None = Field(
        None, description="one name per solver in the report; by default taken from the specs"
    )
    reference: int | None = Field(
        None,
        description="index of the solver whose cost is the reference of the gaps; null: "
        "the best cost any solver found (or the known optimum, if lower)",
    )
    instances: list[str] | None = Field(
        None,
        description="instance files or names of shipped instances (e.g. 'berlin52'); "
        "null: random instances",
    )
    num_instances: int = Field(10, ge=1, description="random instances to generate")
    size: int = Field(20, ge=2, description="nodes (TSP, TSPTW) or customers (CVRP)")
    seed: int = Field(1234, ge=0, description="seed of the first random instance")
    scale: int | None = Field(
        None,
        ge=1,
        description="integer coordinates round(u * scale) and TSPLIB rounding; null: float "
        "coordinates in the unit square (TSPTW always uses a scale, 100 by default)",
    )
    plot: int = Field(2, ge=0, description="tours to plot per solver (plots/NAME.png)")


class TrainConfig(Config):
    """``dpdp.train``: train the heatmap model on solutions the plugin generates.

    Example:
        >>> TrainConfig(num_train=8, epochs=1).problem
        'tsp'
    """

    problem: ProblemKind = Field("tsp", description="problem type to train on")
    model: component("model") = Field(  # type: ignore[valid-type]
        default_factory=lambda: {"name": "dpdp.gcn"},
        description="the heatmap model; its 'problem' must match",
    )
    teacher: component("solver") = Field(  # type: ignore[valid-type]
        default_factory=lambda: {"name": "dpdp", "params": {"beam_size": 1000}},
        description="solver whose solutions are the training targets",
    )
    size: int = Field(20, ge=2, description="nodes (TSP, TSPTW) or customers (CVRP)")
    num_train: int = Field(512, ge=1, description="training instances")
    num_valid: int = Field(64, ge=1, description="validation instances")
    epochs: int = Field(20, ge=1, description="passes over the training instances")
    batch_size: int = Field(16, ge=1, description="instances per gradient step")
    learning_rate: float = Field(1e-3, gt=0, description="Adam learning rate")
    seed: int = Field(42, ge=0, description="seed of the data and the initialisation")
    output: str = Field("model.pt", description="file in the run folder the model is saved to")
