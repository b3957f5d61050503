"""Task ``bo``: Bayesian optimisation of a problem, resumable, with a plot of progress."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from tessera.bo._loop import BayesianOptimization
from tessera.bo._optimize import AcquisitionOptimizer
from tessera.errors import MissingDependencyError
from tessera.kinds import Acquisition, RunContext, Surrogate, Task
from tessera.spaces import Space

__all__ = ["BOTask", "plot_best_values", "require_matplotlib"]

logger = logging.getLogger(__name__)


def require_matplotlib(task: str) -> None:
    """Raise a MissingDependencyError naming ``task`` when matplotlib is not installed."""
    if importlib.util.find_spec("matplotlib") is None:
        raise MissingDependencyError(
            f"{task}: plotting needs matplotlib; pip install 'tessera[runs]', or set plot: false"
        )


def plot_best_values(
    curves: Mapping[str, Sequence[float] | torch.Tensor],
    optimum: float | None = None,
    title: str = "",
    regret: bool = False,
) -> Any:
    """A matplotlib figure of the best value found against the number of evaluations.

    Arguments:
        curves: label → running best value after each evaluation.
        optimum: the known optimum, drawn as a dashed line (or subtracted, with ``regret``).
        title: the figure's title.
        regret: plot ``|best − optimum|`` on a log scale instead (needs ``optimum``).

    Example:
        >>> figure = plot_best_values({"bo": [3.0, 2.0, 2.0, 0.5]}, optimum=0.0)
        >>> figure.axes[0].get_xlabel()
        'evaluations'
    """
    from matplotlib.figure import Figure

    if regret and optimum is None:
        raise ValueError("plot_best_values: regret=True needs the optimum")
    figure = Figure(figsize=(5.5, 3.5))
    axes = figure.add_subplot()
    for label, values in curves.items():
        values = torch.as_tensor(values, dtype=torch.float64)
        if regret:
            values = (values - optimum).abs().clamp_min(1e-12)
        axes.plot(range(1, len(values) + 1), values.tolist(), lw=1.5, label=label)
    if optimum is not None and not regret:
        axes.axhline(optimum, color="k", ls="--", lw=1, label="optimum")
    axes.set(
        xlabel="evaluations",
        ylabel="regret" if regret else "best value",
        yscale="log" if regret else "linear",
        title=title,
    )
    axes.legend()
    figure.tight_layout()
    return figure


class BOTask(Task):
    """Minimise (or maximise) a problem's objective with Bayesian optimisation.

    The problem is any :class:`~tessera.problems.Problem` with a ``space`` (a
    :class:`~tessera.spaces.Space`) and ``objective(point)``, such as a
    :class:`~tessera.problems.BlackBox`; ``minimize = False`` on the problem maximises. Each
    batch logs ``best_value``, ``batch_best`` and, when the problem knows its optimum,
    ``regret``; a checkpoint after every batch holds the history, so an interrupted run
    resumes where it stopped. At the end a plot of the best value against evaluations is
    saved as ``plots/best_value.png``.

    Arguments are the fields of :class:`tessera.bo._configs.BOTaskConfig`.

    Example:
        >>> from tessera.bo import BOTask
        >>> from tessera.problems import BlackBox
        >>> from tessera.spaces import Box
        >>> problem = BlackBox(lambda x: x**2, Box(-1.0, 1.0), optimum=0.0)
        >>> BOTask(problem, budget=12).budget
        12
    """

    def __init__(
        self,
        problem: Any,
        surrogate: Surrogate | None = None,
        acquisition: Acquisition | None = None,
        optimizer: Mapping[str, Any] | Any | None = None,
        initial_design: int = 10,
        batch_size: int = 1,
        budget: int = 50,
        refit_every: int = 1,
        plot: bool = True,
    ) -> None:
        space = getattr(problem, "space", None)
        if not isinstance(space, Space) or not callable(getattr(problem, "objective", None)):
            raise TypeError(
                f"bo: problem {problem!r} needs a 'space' that is a tessera Space and an "
                "'objective(point)' method; wrap a function in tessera.problems.BlackBox"
            )
        if initial_design > budget:
            raise ValueError(
                f"bo: initial_design = {initial_design} exceeds budget = {budget}; lower "
                "initial_design or raise budget"
            )
        if plot:
            require_matplotlib("bo")
        self.problem = problem
        self.surrogate = surrogate
        self.acquisition = acquisition
        self.optimizer = _optimizer(optimizer)
        self.initial_design, self.batch_size = initial_design, batch_size
        self.budget, self.refit_every, self.plot = budget, refit_every, plot

    @property
    def sign(self) -> float:
        """+1 when the problem is minimised, −1 when it is maximised."""
        return 1.0 if getattr(self.problem, "minimize", True) else -1.0

    def _objective(self, point: Any) -> float:
        return self.sign * float(self.problem.objective(point))

    def run(self, context: RunContext) -> dict[str, Any]:
        """Run the loop to the budget (resuming from a checkpoint); returns the summary."""
        bo = BayesianOptimization(
            self.problem.space,
            self._objective,
            surrogate=self.surrogate,
            acquisition=self.acquisition,
            optimizer=self.optimizer,
            initial_design=self.initial_design,
            batch_size=self.batch_size,
            refit_every=self.refit_every,
            seed=context.seed,
        )
        state = context.load_checkpoint()
        if state is not None:
            bo.load_state_dict(state["bo"])
            logger.info("bo: resuming after %d evaluations", bo.evaluations)
        optimum = getattr(self.problem, "optimum", None)

        # Batches until the budget is spent
        bar = context.progress(self.budget, "bo", initial=bo.evaluations)
        while bo.evaluations < self.budget:
            n = min(self.batch_size, self.budget - bo.evaluations)
            points = bo.ask(n)
            values = [self._objective(point) for point in points]
            bo.tell(points, values)
            step = bo.evaluations - 1
            metrics = {
                "best_value": self.sign * float(bo.y.min()),
                "batch_best": self.sign * min(values),
                "evaluations": bo.evaluations,
            }
            if optimum is not None:
                metrics["regret"] = abs(metrics["best_value"] - float(optimum))
            context.log_metrics(step, metrics)
            bar.update(len(points))
            if context.should_checkpoint(step, 1):
                context.save_checkpoint(step, {"bo": bo.state_dict()})
        bar.close()

        # Summary and plot
        result = bo.result()
        best_values = self.sign * result.best_values
        if self.plot and context.rank == 0:
            name = getattr(self.problem, "name", "problem")
            figure = plot_best_values({"bo": best_values}, optimum, title=str(name))
            context.save_plot("best_value", figure)
        summary: dict[str, Any] = {
            "best_value": self.sign * result.best_value,
            "best_point": result.best_point,
            "evaluations": bo.evaluations,
        }
        if optimum is not None:
            summary["regret"] = abs(summary["best_value"] - float(optimum))
        return summary


def _optimizer(value: Any) -> AcquisitionOptimizer:
    if value is None:
        return AcquisitionOptimizer()
    if isinstance(value, AcquisitionOptimizer):
        return value
    if isinstance(value, Mapping):
        return AcquisitionOptimizer(**value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return AcquisitionOptimizer(**dump())
    raise TypeError(
        f"bo: optimizer must be a mapping of AcquisitionOptimizer settings, got "
        f"{type(value).__name__}"
    )
