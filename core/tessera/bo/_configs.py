"""Config models of the Bayesian-optimisation components; no torch import.

Kernels ``rbf`` and ``matern``, surrogate ``gp``, acquisitions ``ei``, ``log_ei`` and
``ucb``, problem ``synthetic`` and task ``bo``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tessera.config import Config, component

__all__ = [
    "AcquisitionOptimizerConfig",
    "BOTaskConfig",
    "ExactGPConfig",
    "ExpectedImprovementConfig",
    "LogExpectedImprovementConfig",
    "MaternKernelConfig",
    "RBFKernelConfig",
    "SyntheticConfig",
    "UpperConfidenceBoundConfig",
]


class RBFKernelConfig(Config):
    """``rbf``: the squared-exponential kernel with ARD length scales.

    Give ``space`` (or let the ``bo`` loop bind one) to scale each encoded column to
    ``[0, 1]``; without a space give ``dims`` and the inputs are used as they are.

    Example:
        >>> RBFKernelConfig(dims=3).lengthscale
        0.5
    """

    lengthscale: float = Field(0.5, gt=0, description="initial length scale, on unit columns")
    ard: bool = Field(True, description="one length scale per input column")
    dims: int | None = Field(None, ge=1, description="input width, when no space is given")
    space: component("space") | None = Field(  # type: ignore[valid-type]
        None, description="search space whose encoding the kernel reads; bound later if None"
    )


class MaternKernelConfig(RBFKernelConfig):
    """``matern``: the Matérn kernel of smoothness ``nu`` with ARD length scales."""

    nu: Literal[0.5, 1.5, 2.5] = Field(2.5, description="smoothness: 0.5, 1.5 or 2.5")


class ExactGPConfig(Config):
    """``gp``: exact Gaussian-process regression with MAP-fitted hyperparameters.

    Example:
        >>> ExactGPConfig(kernel={"name": "rbf", "params": {"dims": 2}}).restarts
        3
    """

    kernel: component("kernel") = Field(  # type: ignore[valid-type]
        {"name": "matern"}, description="covariance function, any registered kernel"
    )
    noise: float = Field(1e-3, gt=0, description="initial noise variance, on standardised y")
    learn_noise: bool = Field(True, description="fit the noise variance; else keep it fixed")
    restarts: int = Field(3, ge=1, description="random restarts of the MAP fit")
    iterations: int = Field(60, ge=1, description="optimiser iterations per restart")
    optimizer: Literal["lbfgs", "adam"] = Field("lbfgs", description="hyperparameter optimiser")
    learning_rate: float = Field(0.05, gt=0, description="step size of Adam")
    standardize: bool = Field(True, description="fit to y standardised to mean 0, std 1")
    seed: int = Field(0, description="seed of the random restarts")


class ExpectedImprovementConfig(Config):
    """``ei``: expected improvement below the best value observed."""

    xi: float = Field(0.0, ge=0, description="improvement margin required, in units of y")


class LogExpectedImprovementConfig(ExpectedImprovementConfig):
    """``log_ei``: the logarithm of expected improvement, accurate where EI underflows."""


class UpperConfidenceBoundConfig(Config):
    """``ucb``: the optimistic bound ``−(μ − √β σ)`` for minimisation."""

    beta: float = Field(2.0, ge=0, description="exploration weight β")


class AcquisitionOptimizerConfig(Config):
    """Settings of the acquisition optimiser over mixed spaces.

    Example:
        >>> AcquisitionOptimizerConfig().starts
        8
    """

    raw_samples: int = Field(512, ge=1, description="random points scored to pick starts")
    jitter_samples: int = Field(128, ge=0, description="points jittered around the best seen")
    incumbents: int = Field(5, ge=1, description="best observed points to jitter around")
    starts: int = Field(8, ge=1, description="starting points of the local search")
    rounds: int = Field(10, ge=1, description="alternations of gradient and hill-climb steps")
    gradient_steps: int = Field(25, ge=0, description="Adam steps on continuous variables")
    learning_rate: float = Field(0.02, gt=0, description="Adam step, as a fraction of range")
    jitter: float = Field(0.1, gt=0, description="jitter std, as a fraction of range")


class SyntheticConfig(Config):
    """``synthetic``: a standard test function on a box (sphere, Ackley, Rosenbrock, Branin).

    Example:
        >>> SyntheticConfig(function="ackley", dims=4).dims
        4
    """

    function: Literal["sphere", "ackley", "rosenbrock", "branin"] = Field(
        "branin", description="the test function"
    )
    dims: int | None = Field(None, ge=1, description="dimension; 2 when None (Branin: only 2)")


class BOTaskConfig(Config):
    """``bo``: Bayesian optimisation of a black-box problem.

    Example:
        >>> BOTaskConfig(problem={"name": "func2c"}, budget=30).acquisition
        {'name': 'log_ei'}
    """

    problem: component("problem") = Field(  # type: ignore[valid-type]
        description="the objective: a problem with ``space`` and ``objective(point)``"
    )
    surrogate: component("surrogate") = Field(  # type: ignore[valid-type]
        {"name": "gp"}, description="model of the objective"
    )
    acquisition: component("acquisition") = Field(  # type: ignore[valid-type]
        {"name": "log_ei"}, description="scores candidates from the surrogate"
    )
    optimizer: AcquisitionOptimizerConfig = Field(
        default_factory=AcquisitionOptimizerConfig, description="acquisition optimiser"
    )
    initial_design: int = Field(10, ge=1, description="random evaluations before the model")
    batch_size: int = Field(1, ge=1, description="points evaluated per iteration")
    budget: int = Field(50, ge=1, description="total evaluations, initial design included")
    refit_every: int = Field(1, ge=1, description="refit hyperparameters every this many batches")
    plot: bool = Field(True, description="save a plot of the best value against evaluations")

    @model_validator(mode="after")
    def _check_budget(self) -> BOTaskConfig:
        if self.initial_design > self.budget:
            raise ValueError(
                f"initial_design = {self.initial_design} exceeds budget = {self.budget}; "
                "lower initial_design or raise budget"
            )
        return self
