"""Mixed-variable benchmark problems: Func2C, Func3C, Ackley5C, and SVR hyperparameters.

Func2C and Func3C add up two or three of the Rosenbrock, six-hump camel and Beale functions
(each rescaled) on the continuous point ``2x``, chosen by categorical variables. Ackley5C is
the Ackley function of six variables whose last five are categorical with 17 values
mapped onto the grid ``-1, -0.875, …, 1``. All are minimised.

References:
    | Bayesian Optimisation over Multiple Continuous and Categorical Inputs
      (Ru, Alvi, Nguyen, Osborne and Roberts, 2020), https://arxiv.org/abs/1906.08878
    | Mixed Variable Bayesian Optimization with Frequency Modulated Kernels
      (Oh, Gavves and Welling, 2021), https://arxiv.org/abs/2102.12792
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from tessera.errors import MissingDependencyError
from tessera.problems import BlackBox
from tessera.spaces import Box, Categorical, Product

__all__ = [
    "SIX_HUMP_CAMEL_MINIMUM",
    "Ackley5C",
    "Func2C",
    "Func3C",
    "SVRDiabetes",
    "ackley5c",
    "beale",
    "func2c",
    "func3c",
    "rosenbrock",
    "six_hump_camel",
]

#: The global minimum of the (unscaled) six-hump camel function, at ±(0.0898, −0.7127).
SIX_HUMP_CAMEL_MINIMUM = -1.0316284534898774
_SIX_HUMP_ARGMIN = (0.08984201368301331, -0.7126564032704135)


# The component functions, scaled as in the CoCaBO benchmarks


def rosenbrock(x1: float, x2: float) -> float:
    """Rosenbrock's function divided by 300; minimum 0 at (1, 1)."""
    return (100.0 * (x2 - x1**2) ** 2 + (x1 - 1.0) ** 2) / 300.0


def six_hump_camel(x1: float, x2: float) -> float:
    """The six-hump camel function divided by 10; minimum −0.10316 at ±(0.0898, −0.7127)."""
    return ((4.0 - 2.1 * x1**2 + x1**4 / 3.0) * x1**2 + x1 * x2 + (4.0 * x2**2 - 4.0) * x2**2) / 10


def beale(x1: float, x2: float) -> float:
    """Beale's function divided by 50; minimum 0 at (3, 0.5)."""
    return (
        (1.5 - x1 + x1 * x2) ** 2 + (2.25 - x1 + x1 * x2**2) ** 2 + (2.625 - x1 + x1 * x2**3) ** 2
    ) / 50.0


_BY_INDEX: tuple[Callable[[float, float], float], ...] = (rosenbrock, six_hump_camel, beale)


def func2c(point: Mapping[str, Any]) -> float:
    """Func2C at ``{"x": [x1, x2], "h1": 0..2, "h2": 0..4}``, ``x ∈ [−1, 1]²``.

    ``f = g_{h1}(2x) + g'_{h2}(2x)`` where ``g_0, g_1, g_2`` are Rosenbrock, six-hump camel
    and Beale, and ``g'`` is the same with Beale for every ``h2 ≥ 2``.

    Example:
        >>> round(func2c({"x": [0.5, 0.5], "h1": 0, "h2": 0}), 6)  # 2 · rosenbrock(1, 1)
        0.0
    """
    z1, z2 = (2.0 * float(v) for v in point["x"])
    h1, h2 = int(point["h1"]), int(point["h2"])
    return _BY_INDEX[h1](z1, z2) + _BY_INDEX[min(h2, 2)](z1, z2)


def func3c(point: Mapping[str, Any]) -> float:
    """Func3C at ``{"x": [x1, x2], "h1": 0..2, "h2": 0..4, "h3": 0..3}``, ``x ∈ [−1, 1]²``.

    Func2C's terms plus ``5 · six-hump camel`` (h3 = 0), ``2 · Rosenbrock`` (h3 = 1) or
    ``h3 · Beale`` (h3 ≥ 2), all at ``2x``.
    """
    z1, z2 = (2.0 * float(v) for v in point["x"])
    h1, h2, h3 = int(point["h1"]), int(point["h2"]), int(point["h3"])
    f = _BY_INDEX[h1](z1, z2) + _BY_INDEX[min(h2, 2)](z1, z2)
    if h3 == 0:
        return f + 5.0 * six_hump_camel(z1, z2)
    if h3 == 1:
        return f + 2.0 * rosenbrock(z1, z2)
    return f + h3 * beale(z1, z2)


def ackley5c(point: Mapping[str, Any]) -> float:
    """Ackley5C at ``{"x": x ∈ [−1, 1], "h1" … "h5": 0..16}``; minimum 0 at x = 0, h = 8.

    The Ackley function (a = 20, b = 0.2, c = 2π) of ``z = (x, h1/8 − 1, …, h5/8 − 1)``.
    """
    z = [float(point["x"])] + [int(point[f"h{i}"]) * 0.125 - 1.0 for i in range(1, 6)]
    d = len(z)
    rms = math.sqrt(sum(v * v for v in z) / d)
    mean_cos = sum(math.cos(2 * math.pi * v) for v in z) / d
    return -20.0 * math.exp(-0.2 * rms) - math.exp(mean_cos) + 20.0 + math.e


# Problems


def _func_space(sizes: list[int]) -> Product:
    spaces = {"x": Box(-1.0, 1.0, dims=2)}
    spaces.update({f"h{i + 1}": Categorical(list(range(m))) for i, m in enumerate(sizes)})
    return Product.of(**spaces)


class _Benchmark(BlackBox):
    """A fixed benchmark: :meth:`random` has nothing to randomise."""

    @classmethod
    def random(cls, size: int, *, seed: int | None = None) -> BlackBox:
        raise NotImplementedError(
            f"{cls.__name__} is a fixed benchmark with no random instances; build it with "
            f"{cls.__name__}()"
        )


class Func2C(_Benchmark):
    """Func2C: two continuous variables in [−1, 1] and categorical ``h1`` (3), ``h2`` (5).

    The optimum, ``2 · six-hump camel minimum / 10 ≈ −0.20633``, is at ``h1 = h2 = 1`` and
    ``x = ±(0.0449, −0.3563)``.

    Example:
        >>> problem = Func2C()
        >>> problem.space.dim, round(problem.optimum, 5)
        (4, -0.20633)
    """

    def __init__(self) -> None:
        x = [v / 2 for v in _SIX_HUMP_ARGMIN]
        super().__init__(
            func2c,
            _func_space([3, 5]),
            optimum=2 * SIX_HUMP_CAMEL_MINIMUM / 10,
            name="func2c",
            metadata={"minimizer": {"x": x, "h1": 1, "h2": 1}},
        )


class Func3C(_Benchmark):
    """Func3C: two continuous variables in [−1, 1] and categorical ``h1`` (3), ``h2`` (5),
    ``h3`` (4).

    The optimum, ``7 · six-hump camel minimum / 10 ≈ −0.72214``, is at ``h = (1, 1, 0)``.
    """

    def __init__(self) -> None:
        x = [v / 2 for v in _SIX_HUMP_ARGMIN]
        super().__init__(
            func3c,
            _func_space([3, 5, 4]),
            optimum=7 * SIX_HUMP_CAMEL_MINIMUM / 10,
            name="func3c",
            metadata={"minimizer": {"x": x, "h1": 1, "h2": 1, "h3": 0}},
        )


class Ackley5C(_Benchmark):
    """Ackley5C: one continuous variable in [−1, 1] and five categorical ones with 17 values.

    The optimum 0 is at ``x = 0`` and every ``h = 8``.
    """

    def __init__(self) -> None:
        spaces = {"x": Box(-1.0, 1.0)}
        spaces.update({f"h{i}": Categorical(list(range(17))) for i in range(1, 6)})
        minimizer = {"x": 0.0, **{f"h{i}": 8 for i in range(1, 6)}}
        super().__init__(
            ackley5c,
            Product.of(**spaces),
            optimum=0.0,
            name="ackley5c",
            metadata={"minimizer": minimizer},
        )


class _SVRObjective:
    """Mean test RMSE of NuSVR on scikit-learn's diabetes data over random 70/30 splits."""

    def __init__(self, splits: int, seed: int) -> None:
        self.splits, self.seed = splits, seed
        self._data: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"splits": self.splits, "seed": self.seed, "_data": None}

    def __call__(self, point: Mapping[str, Any]) -> float:
        import numpy as np
        from sklearn.datasets import load_diabetes
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import NuSVR

        if self._data is None:
            self._data = load_diabetes(return_X_y=True)
        x, y = self._data
        model = make_pipeline(
            StandardScaler(),
            NuSVR(
                C=min(max(10 ** point["log10_C"], 1e-4), 10.0),
                tol=min(max(10 ** point["log10_tol"], 1e-6), 1.0),
                nu=min(max(10 ** point["log10_nu"], 1e-6), 1.0),
                kernel=point["kernel"],
                gamma=point["gamma"],
                shrinking=point["shrinking"],
                max_iter=200_000,
            ),
        )
        errors = []
        n_train = int(0.7 * len(x))
        for split in range(self.splits):
            order = np.random.default_rng(self.seed + split).permutation(len(x))
            train, test = order[:n_train], order[n_train:]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(x[train], y[train])
            errors.append(float(np.sqrt(np.mean((model.predict(x[test]) - y[test]) ** 2))))
        return float(np.mean(errors))


class SVRDiabetes(_Benchmark):
    """Hyperparameters of a ν-support-vector regressor on scikit-learn's diabetes data.

    The objective is the test RMSE averaged over ``splits`` random 70/30 splits (seeded).
    The space follows the FM paper's SVM benchmark: ``log10 C ∈ [−4, 1]``, ``log10 tol ∈
    [−6, 0]``, ``log10 ν ∈ [−6, 0]``, kernel (linear, poly, rbf, sigmoid), gamma (scale,
    auto) and shrinking (on, off). The paper used the Boston housing data, which
    scikit-learn no longer ships; the diabetes data ships with it. Needs scikit-learn
    (``pip install 'tessera-bofm[sklearn]'``).

    Arguments:
        splits: the number of random train/test splits averaged.
        seed: the seed of the first split.
    """

    def __init__(self, splits: int = 5, seed: int = 0) -> None:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            raise MissingDependencyError(
                "the svr-diabetes problem needs scikit-learn; install it with "
                "pip install 'tessera-bofm[sklearn]'"
            ) from None
        if splits < 1:
            raise ValueError(f"SVRDiabetes: splits = {splits} must be ≥ 1")
        space = Product.of(
            log10_C=Box(-4.0, 1.0),
            log10_tol=Box(-6.0, 0.0),
            log10_nu=Box(-6.0, 0.0),
            kernel=Categorical(["linear", "poly", "rbf", "sigmoid"]),
            gamma=Categorical(["scale", "auto"]),
            shrinking=Categorical([True, False]),
        )
        super().__init__(_SVRObjective(splits, seed), space, name="svr-diabetes")
        self.splits, self.seed = splits, seed
