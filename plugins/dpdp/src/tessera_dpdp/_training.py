"""Task ``dpdp.train``: fit the heatmap GCN to solutions of a teacher solver."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from tessera.kinds import RunContext, Solver, Task
from tessera.problems import CVRP, TSP, TSPTW, Problem
from tessera_dpdp._gcn import GCN, balanced_loss, edge_targets
from tessera_dpdp._tasks import make_instances

__all__ = ["TrainTask", "heatmap_recall"]

logger = logging.getLogger(__name__)

_TYPES: dict[str, type[Problem]] = {"tsp": TSP, "cvrp": CVRP, "tsptw": TSPTW}


def heatmap_recall(log_p: torch.Tensor, targets: torch.Tensor, inputs: Any, k: int = 5) -> float:
    """Fraction of solution edges among each node's ``k`` hottest edges."""
    i, n = inputs.shape
    b, s, t = inputs.where
    dense = torch.full((i, n, n), -torch.inf, dtype=log_p.dtype)
    dense[b, s, t] = log_p
    top = dense.topk(min(k, n - 1), -1).indices
    hot = torch.zeros(i, n, n, dtype=torch.bool).scatter_(-1, top, True)[b, s, t]
    positive = targets.bool()
    return float((hot & positive).sum() / positive.sum().clamp_min(1))


class TrainTask(Task):
    """Train a heatmap model on random instances labelled by a teacher solver.

    The teacher (by default the DP itself with a beam of 1000) solves ``num_train`` and
    ``num_valid`` seeded random instances once; the model then learns, with the
    class-balanced cross-entropy, which edges of its k-nearest-neighbour graph the
    teacher's solutions use. Every epoch logs the training and validation losses and the
    validation recall (solution edges among each node's 5 hottest edges) and checkpoints
    model, optimiser and labels, so a run resumes where it stopped. The trained model is
    saved with :func:`tessera.save` to ``output`` in the run folder; give that file to
    ``dpdp``'s ``checkpoint``.

    Arguments are the fields of :class:`tessera_dpdp.configs.TrainConfig`.
    """

    def __init__(
        self,
        model: GCN,
        teacher: Solver,
        problem: str = "tsp",
        size: int = 20,
        num_train: int = 512,
        num_valid: int = 64,
        epochs: int = 20,
        batch_size: int = 16,
        learning_rate: float = 1e-3,
        seed: int = 42,
        output: str = "model.pt",
    ) -> None:
        if getattr(model, "problem", problem) != problem:
            raise ValueError(
                f"the model reads {model.problem!r} instances but problem={problem!r}; build "
                f"the model with problem={problem!r}"
            )
        self.model = model
        self.teacher = teacher
        self.problem = problem
        self.size = size
        self.num_train = num_train
        self.num_valid = num_valid
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.seed = seed
        self.output = output

    def _label(self, problems: list[Problem], context: RunContext, what: str) -> list[Any]:
        values = []
        with context.progress(len(problems), f"{what} labels") as bar:
            for start in range(0, len(problems), 64):
                chunk = problems[start : start + 64]
                values += [s.value for s in self.teacher.solve_many(chunk)]
                bar.update(len(chunk))
        return values

    def run(self, context: RunContext) -> dict[str, Any]:
        torch.manual_seed(self.seed)
        kind = _TYPES[self.problem]
        train = make_instances(kind, num_instances=self.num_train, size=self.size, seed=self.seed)
        valid = make_instances(
            kind, num_instances=self.num_valid, size=self.size, seed=self.seed + self.num_train
        )
        optimizer = torch.optim.Adam(self.model.parameters(), lr=self.learning_rate)

        # Labels (kept in the checkpoint: the teacher may be slow)
        state = context.load_checkpoint()
        if state is None:
            state = {
                "epoch": 0,
                "train": self._label(train, context, "train"),
                "valid": self._label(valid, context, "valid"),
            }
        else:
            self.model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])

        metrics: dict[str, float] = {}
        generator = torch.Generator().manual_seed(self.seed)
        for _ in range(state["epoch"]):  # replay the shuffles of finished epochs
            torch.randperm(len(train), generator=generator)
        for epoch in range(state["epoch"], self.epochs):
            self.model.train()
            order = torch.randperm(len(train), generator=generator).tolist()
            total, batches = 0.0, 0
            for start in range(0, len(order), self.batch_size):
                index = order[start : start + self.batch_size]
                loss = self._loss([train[i] for i in index], [state["train"][i] for i in index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total, batches = total + loss.item(), batches + 1
            metrics = {"train_loss": total / batches, **self._validate(valid, state["valid"])}
            context.log_metrics(epoch + 1, metrics)
            state.update(
                epoch=epoch + 1,
                model=self.model.state_dict(),
                optimizer=optimizer.state_dict(),
            )
            if context.should_checkpoint(epoch + 1, 1):
                context.save_checkpoint(epoch + 1, state)

        from tessera.registry import save

        path = save(self.model, Path(context.out_dir) / self.output)
        return {**metrics, "epochs": self.epochs, "model": str(path)}

    def _loss(self, problems: list[Problem], values: list[Any]) -> torch.Tensor:
        inputs = self.model.inputs(problems)
        targets = edge_targets(inputs, values, self.problem)
        return balanced_loss(self.model(inputs), targets)

    def _validate(self, problems: list[Problem], values: list[Any]) -> dict[str, float]:
        self.model.eval()
        with torch.no_grad():
            inputs = self.model.inputs(problems)
            targets = edge_targets(inputs, values, self.problem)
            logits = self.model(inputs)
            log_p = torch.log_softmax(logits, -1)[:, 1]
            return {
                "valid_loss": float(balanced_loss(logits, targets)),
                "valid_recall5": heatmap_recall(log_p, targets, inputs),
            }
