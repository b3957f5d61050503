"""Config models of the plugin's components; no torch import, so `tessera show` reads them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tessera.bo._configs import AcquisitionOptimizerConfig
from tessera.config import Config, component

__all__ = [
    "METHODS",
    "BenchmarkConfig",
    "CompareConfig",
    "DiffusionKernelConfig",
    "FMKernelConfig",
    "SVRDiabetesConfig",
]

#: The methods the comparison task knows.
METHODS = ("moddif", "modlap", "additive", "product", "random")

Method = Literal["moddif", "modlap", "additive", "product", "random"]


class FMKernelConfig(Config):
    """``fm``: the frequency-modulated kernel on mixed spaces.

    Example:
        >>> FMKernelConfig(variant="moddif").variant
        'moddif'
    """

    variant: Literal["moddif", "modlap"] = Field(
        "modlap", description="frequency modulating function: 'moddif' or 'modlap'"
    )
    space: component("space") | None = Field(  # type: ignore[valid-type]
        None, description="search space; the bo loop binds the problem's space when None"
    )


class DiffusionKernelConfig(Config):
    """``diffusion-additive`` and ``diffusion-product``: RBF and diffusion kernels combined."""

    space: component("space") | None = Field(  # type: ignore[valid-type]
        None, description="search space; the bo loop binds the problem's space when None"
    )


class BenchmarkConfig(Config):
    """``func2c``, ``func3c``, ``ackley5c``: fixed benchmarks without parameters."""


class SVRDiabetesConfig(Config):
    """``svr-diabetes``: ν-SVR hyperparameters on scikit-learn's diabetes data."""

    splits: int = Field(5, ge=1, description="random 70/30 train/test splits averaged")
    seed: int = Field(0, ge=0, description="seed of the first split")


class CompareConfig(Config):
    """``bofm.compare``: FM kernels against the baselines and random search on a problem.

    Example:
        >>> CompareConfig(problem={"name": "func2c"}, seeds=2).methods[0]
        'moddif'
    """

    problem: component("problem") = Field(  # type: ignore[valid-type]
        description="the benchmark, a problem with a mixed space"
    )
    methods: list[Method] = Field(
        default_factory=lambda: list(METHODS), min_length=1, description="methods compared"
    )
    seeds: int = Field(5, ge=1, description="runs per method")
    budget: int = Field(50, ge=2, description="evaluations per run, initial design included")
    initial_design: int = Field(10, ge=1, description="random evaluations before the model")
    acquisition: component("acquisition") = Field(  # type: ignore[valid-type]
        {"name": "log_ei"}, description="acquisition of every BO method"
    )
    restarts: int = Field(3, ge=1, description="restarts of each GP fit")
    iterations: int = Field(60, ge=1, description="L-BFGS iterations per restart")
    optimizer: AcquisitionOptimizerConfig = Field(
        default_factory=AcquisitionOptimizerConfig, description="acquisition optimiser"
    )

    @model_validator(mode="after")
    def _check(self) -> CompareConfig:
        if self.initial_design >= self.budget:
            raise ValueError(
                f"initial_design = {self.initial_design} must be below budget = {self.budget}"
            )
        if len(set(self.methods)) != len(self.methods):
            raise ValueError(f"methods {self.methods} repeat; give each method once")
        return self
