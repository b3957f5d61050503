"""Config models of the law2order components; no torch or numpy import.

Kernels ``law2order.position``, ``law2order.mallows`` and ``law2order.kendall``;
acquisitions ``law``, ``law2order.kriging_believer``, ``law2order.bucb``, ``law2order.dpp``
and ``law2order.random``; solver ``law2order``; problem ``law2order.bn``; tasks
``law2order.benchmark`` and ``law2order.structure``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tessera.config import Config, component

__all__ = [
    "METHODS",
    "BNProblemConfig",
    "BatchUCBConfig",
    "BenchmarkConfig",
    "DPPConfig",
    "DecayKernelConfig",
    "KrigingBelieverConfig",
    "LAW2ORDERSolverConfig",
    "LAWConfig",
    "PermutationKernelConfig",
    "PermutationOptimizerConfig",
    "RandomSearchConfig",
    "StructureConfig",
]

#: The methods the comparison tasks know.
METHODS = ("law-est", "law-ei", "q-ei", "q-est", "bucb", "dpp", "random")

Method = Literal["law-est", "law-ei", "q-ei", "q-est", "bucb", "dpp", "random"]


class PermutationKernelConfig(Config):
    """``law2order.kendall``: a kernel on permutations of ``n`` items.

    Give ``n`` or a permutation ``space``, or neither and let the solver or the ``bo`` loop
    bind the kernel to the problem's space.

    Example:
        >>> PermutationKernelConfig(n=5).n
        5
    """

    n: int | None = Field(None, ge=2, description="permutation size, when no space is given")
    space: component("space") | None = Field(  # type: ignore[valid-type]
        None, description="a permutation space; bound later when None"
    )


class DecayKernelConfig(PermutationKernelConfig):
    """``law2order.position``, ``law2order.mallows``: exp(−ν d(π, σ)) with a learnt ν."""

    nu: float = Field(1.0, gt=0, description="initial decay rate ν")


class LAWConfig(Config):
    """``law``: greedy DPP batches with the acquisition weighted kernel.

    Example:
        >>> LAWConfig().weight
        'est'
    """

    weight: Literal["est", "ei"] = Field("est", description="acquisition inside the weight")
    lower_bound: float = Field(0.01, gt=0, lt=1, description="smallest weight ε > 0")
    slope: float = Field(0.2, gt=0, description="slope of the EST weight's sigmoid")
    est_points: int = Field(512, ge=2, description="grid points of the EST integral")


class DPPConfig(Config):
    """``law2order.dpp``: the unweighted DPP batch (first point by the acquisition)."""

    acquisition: Literal["est", "ei"] = Field("est", description="acquisition of point one")
    est_points: int = Field(512, ge=2, description="grid points of the EST integral")


class KrigingBelieverConfig(Config):
    """``law2order.kriging_believer``: q points, each believed to take its posterior mean."""

    acquisition: Literal["ei", "est"] = Field("ei", description="the acquisition maximised")
    est_points: int = Field(512, ge=2, description="grid points of the EST integral")


class BatchUCBConfig(Config):
    """``law2order.bucb``: batch UCB with variances updated by the chosen points."""

    beta: float | None = Field(None, ge=0, description="fixed β; the n! schedule when None")
    delta: float = Field(0.05, gt=0, lt=1, description="failure probability of the schedule")


class RandomSearchConfig(Config):
    """``law2order.random``: random batches."""

    seed: int = Field(0, description="seed of the random scores")


class PermutationOptimizerConfig(Config):
    """Settings of the swap hill climbing that maximises acquisitions over permutations.

    Example:
        >>> PermutationOptimizerConfig().max_steps
        100
    """

    random_starts: int = Field(10, ge=0, description="uniformly random starts")
    best_random_starts: int = Field(10, ge=0, description="best of raw_samples as starts")
    evaluated_starts: int = Field(10, ge=0, description="best evaluated permutations as starts")
    raw_samples: int = Field(1000, ge=0, description="random permutations scored for starts")
    max_steps: int = Field(100, ge=1, description="most climbing steps per start")
    reference_samples: int = Field(1000, ge=0, description="random permutations for EST's m̂")
    exhaustive_limit: int = Field(5040, ge=0, description="search all n! when at most this")


class LAW2ORDERSolverConfig(Config):
    """``law2order``: batch Bayesian optimisation of a QAP, flow shop or TSP.

    Example:
        >>> LAW2ORDERSolverConfig(batches=3).acquisition
        {'name': 'law'}
    """

    kernel: component("kernel") = Field(  # type: ignore[valid-type]
        {"name": "law2order.position"}, description="kernel on permutations"
    )
    acquisition: component("acquisition") = Field(  # type: ignore[valid-type]
        {"name": "law"}, description="the batch acquisition"
    )
    initial_design: int = Field(30, ge=1, description="random permutations evaluated first")
    batch_size: int = Field(5, ge=1, description="permutations per batch")
    batches: int = Field(20, ge=0, description="batches after the initial design")
    restarts: int = Field(3, ge=1, description="restarts of the GP hyperparameter fit")
    iterations: int = Field(60, ge=1, description="L-BFGS iterations per restart")
    optimizer: PermutationOptimizerConfig = Field(
        default_factory=PermutationOptimizerConfig, description="acquisition optimiser"
    )
    seed: int = Field(0, description="seed of the design, the optimiser and the fit")


class BNProblemConfig(Config):
    """``law2order.bn``: structure learning over orderings, data from a known network.

    Example:
        >>> BNProblemConfig().network
        'asia'
    """

    network: Literal["asia", "random"] = Field("asia", description="the network sampled")
    samples: int = Field(1000, ge=10, description="number of samples")
    seed: int = Field(0, description="seed of the sampler and of a random network")
    max_parents: int = Field(2, ge=0, le=4, description="most parents per variable")
    size: int = Field(8, ge=2, le=16, description="variables of a random network")


class BenchmarkConfig(Config):
    """``law2order.benchmark``: methods compared on a permutation problem over seeds.

    Example:
        >>> BenchmarkConfig(problem={"name": "qap", "params": {"instance": "nug12"}}).seeds
        5
    """

    problem: component("problem") = Field(  # type: ignore[valid-type]
        description="a problem on permutations: qap, tsp, flowshop, law2order.bn"
    )
    methods: list[Method] = Field(
        ["law-est", "law-ei", "q-ei", "bucb", "dpp", "random"],
        min_length=1,
        description="methods compared",
    )
    kernel: component("kernel") = Field(  # type: ignore[valid-type]
        {"name": "law2order.position"}, description="kernel on permutations"
    )
    seeds: int = Field(5, ge=1, description="runs per method")
    initial_design: int = Field(30, ge=1, description="random permutations evaluated first")
    batch_size: int = Field(5, ge=1, description="permutations per batch")
    batches: int = Field(20, ge=0, description="batches after the initial design")
    restarts: int = Field(3, ge=1, description="restarts of the GP hyperparameter fit")
    iterations: int = Field(60, ge=1, description="L-BFGS iterations per restart")
    optimizer: PermutationOptimizerConfig = Field(
        default_factory=PermutationOptimizerConfig, description="acquisition optimiser"
    )
    plot: bool = Field(True, description="save a plot of the mean best value")


class StructureConfig(BenchmarkConfig):
    """``law2order.structure``: the comparison on Bayesian-network structure learning."""

    problem: component("problem") = Field(  # type: ignore[valid-type]
        {"name": "law2order.bn"}, description="an ordering problem, law2order.bn"
    )
