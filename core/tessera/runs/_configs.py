"""Config models of the built-in tasks (no torch import, so ``tessera show`` reads them)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tessera.config import Config, component

__all__ = ["RegressionConfig", "SuiteConfig"]


class RegressionConfig(Config):
    """Fit a small MLP to a noisy 1-D function with minibatch SGD.

    Example:
        >>> RegressionConfig(steps=50).batch_size
        32
    """

    function: Literal["sin", "abs", "step"] = Field(
        "sin", description="target: sin(pi*frequency*x), |x| or a smoothed step, on [-1, 1]"
    )
    frequency: float = Field(1.5, gt=0, description="frequency of the 'sin' target")
    samples: int = Field(256, ge=8, description="training points drawn uniformly in [-1, 1]")
    noise: float = Field(0.05, ge=0, description="standard deviation of the label noise")
    hidden_features: int = Field(32, ge=1, description="width of each hidden layer")
    layers: int = Field(2, ge=1, description="number of hidden layers")
    steps: int = Field(400, ge=1, description="SGD steps")
    batch_size: int = Field(32, ge=1, description="global batch size, split over processes")
    lr: float = Field(0.05, gt=0, description="SGD learning rate")
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum")
    eval_every: int = Field(25, ge=1, description="steps between test-error evaluations")
    checkpoint_every: int = Field(50, ge=1, description="steps between checkpoints")
    dtype: Literal["float32", "float64"] = Field("float32", description="parameter dtype")


class SuiteConfig(Config):
    """Run several tasks one after another, each in its own subfolder.

    Example:
        >>> SuiteConfig(tasks=[{"name": "regression"}]).tasks[0]["name"]
        'regression'
    """

    tasks: list[component("task")] = Field(
        ..., min_length=1, description="task specs, run in order"
    )
