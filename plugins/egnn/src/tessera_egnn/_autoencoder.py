"""The ``egnn.graph_autoencoder`` task: embed graphs and decode their edges (§5.2)."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from tessera.kinds import RunContext, Task
from tessera_egnn._baselines import GNN, RadialField
from tessera_egnn._graphs import graph_dataset
from tessera_egnn._model import EGNN
from tessera_egnn._training import (
    average_gradients,
    check_distributed,
    loss_figure,
    progress,
    require_matplotlib,
    shuffled_batches,
)

__all__ = ["GraphAutoencoder", "GraphAutoencoderTask", "GraphBatch", "edge_metrics"]

_SPLITS = ("train", "valid", "test")


class GraphBatch:
    """Zero-padded adjacency matrices with a node mask.

    Arguments:
        graphs: symmetric boolean adjacency matrices, each (n_b, n_b).
    """

    def __init__(self, graphs: list[np.ndarray]) -> None:
        n = max(len(g) for g in graphs)
        self.adjacency = torch.zeros(len(graphs), n, n, dtype=torch.bool)
        self.mask = torch.zeros(len(graphs), n, dtype=torch.bool)
        for b, graph in enumerate(graphs):
            size = len(graph)
            self.adjacency[b, :size, :size] = torch.as_tensor(graph)
            self.mask[b, :size] = True

    def __len__(self) -> int:
        return len(self.mask)

    def select(self, index: Tensor) -> tuple[Tensor, Tensor]:
        """``(adjacency, mask)`` of the graphs ``index``, trimmed to their largest size."""
        mask = self.mask[index]
        n = int(mask.sum(1).max())
        return self.adjacency[index][:, :n, :n], mask[:, :n]


class GraphAutoencoder(nn.Module):
    """Encoder to node embeddings ``z`` (B, N, K) and the decoder
    ``p(edge ij) = σ(w ‖z_i − z_j‖² + b)`` with learnt scalars ``w`` (initially −0.1) and
    ``b`` (initially 1).

    Encoders, each with ``num_layers`` layers of width ``hidden_features`` and the
    adjacency as edge attribute over a fully connected graph:

    - ``egnn``: EGNN whose coordinates, drawn from N(0, I_K), become ``z``; ``h = 1``;
    - ``gnn``: GNN with ``h = 1`` and a linear read-out to ``z``;
    - ``gnn_noise``: the same GNN with ``h ~ N(0, 1)``, which breaks the symmetry;
    - ``radial_field``: radial-field layers moving Gaussian coordinates.

    Arguments:
        encoder: one of the names above.
        embedding_dim: ``K``.
        hidden_features: width of the encoder.
        num_layers: encoder layers.
    """

    def __init__(
        self, encoder: str, embedding_dim: int = 8, hidden_features: int = 64, num_layers: int = 4
    ) -> None:
        super().__init__()
        self.kind, self.embedding_dim = encoder, embedding_dim
        common = {"edge_features": 1, "num_layers": num_layers, "dim": embedding_dim}
        if encoder == "egnn":
            self.encoder = EGNN(in_features=1, hidden_features=hidden_features, **common)
        elif encoder in ("gnn", "gnn_noise"):
            self.encoder = GNN(
                in_features=1, hidden_features=hidden_features, use_positions=False, **common
            )
        elif encoder == "radial_field":
            self.encoder = RadialField(in_features=1, hidden_features=hidden_features, **common)
        else:
            raise ValueError(
                f"unknown encoder {encoder!r}; use egnn, gnn, gnn_noise or radial_field"
            )
        self.w = nn.Parameter(torch.tensor(-0.1))
        self.b = nn.Parameter(torch.tensor(1.0))

    def encode(
        self, adjacency: Tensor, mask: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        """Node embeddings ``z``, (B, N, K), from adjacency (B, N, N) and mask (B, N)."""
        b, n = mask.shape
        weight = mask.to(torch.float32)[..., None]
        edge_attr = adjacency.to(torch.float32)[..., None]
        h = weight.clone()
        if self.kind == "gnn_noise":
            h = torch.randn(b, n, 1, generator=generator) * weight
        x = torch.zeros(b, n, self.embedding_dim)
        if self.kind in ("egnn", "radial_field"):
            x = torch.randn(b, n, self.embedding_dim, generator=generator) * weight
        return self.encoder(h, x, mask, edge_attr).x

    def logits(self, z: Tensor) -> Tensor:
        """Edge logits ``w ‖z_i − z_j‖² + b``, (B, N, N)."""
        return self.w * (z[:, :, None] - z[:, None, :]).square().sum(-1) + self.b

    def forward(
        self, adjacency: Tensor, mask: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        """Edge logits of the reconstructed graphs, (B, N, N)."""
        return self.logits(self.encode(adjacency, mask, generator))


def edge_metrics(logits: Tensor, adjacency: Tensor, mask: Tensor) -> dict[str, float]:
    """Sums over the pairs ``i ≠ j`` of existing nodes: BCE, wrong edges, TP, FP, FN and the
    number of pairs."""
    pairs = mask[:, :, None] & mask[:, None, :]
    pairs &= ~torch.eye(mask.shape[1], dtype=torch.bool)
    target = adjacency.to(logits.dtype)
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")[pairs]
    predicted, actual = (logits > 0)[pairs], adjacency[pairs]
    return {
        "bce": float(bce.sum()),
        "wrong": float((predicted != actual).sum()),
        "tp": float((predicted & actual).sum()),
        "fp": float((predicted & ~actual).sum()),
        "fn": float((~predicted & actual).sum()),
        "pairs": float(pairs.sum()),
    }


class GraphAutoencoderTask(Task):
    """Train graph autoencoders and compare their reconstructions, as Table 3 of the paper.

    Each encoder in ``encoders`` is trained in turn on the same generated graphs
    (community or Erdős–Rényi) with the summed binary cross-entropy over node pairs
    ``i ≠ j``, Adam and a cosine-annealed learning rate. Reported per encoder, on the test
    set at the epoch of best validation BCE: BCE per graph, the percentage of wrongly
    predicted pairs and the F1 score of the edges. Random encoder inputs are redrawn
    every training step and drawn from a fixed seed for evaluation.

    References:
        | E(n) Equivariant Graph Neural Networks (Satorras et al., 2021), §5.2, Table 3
        | https://arxiv.org/abs/2102.09844

    Example:
        >>> import tessera
        >>> task = tessera.create("task", "egnn.graph_autoencoder", num_train=10)
        >>> task.encoders, len(task.make_data()["train"])
        (['egnn', 'gnn', 'gnn_noise'], 10)
    """

    def __init__(
        self,
        dataset: str = "community",
        encoders: list[str] | None = None,
        num_train: int = 5000,
        num_valid: int = 500,
        num_test: int = 500,
        community_sizes: tuple[int, int] = (6, 10),
        num_communities: int = 2,
        p_intra: float = 0.7,
        p_inter: float = 0.01,
        erdos_renyi_sizes: tuple[int, int] = (7, 16),
        erdos_renyi_p: float = 0.25,
        embedding_dim: int = 8,
        hidden_features: int = 64,
        num_layers: int = 4,
        epochs: int = 100,
        batch_size: int = 1,
        lr: float = 1e-4,
        eval_every: int = 2,
        data_seed: int = 0,
        plot: bool = True,
    ) -> None:
        self.dataset = dataset
        self.encoders = list(encoders or ["egnn", "gnn", "gnn_noise"])
        self.sizes = {"train": num_train, "valid": num_valid, "test": num_test}
        self.graph_options = {
            "community_sizes": tuple(community_sizes),
            "num_communities": num_communities,
            "p_intra": p_intra,
            "p_inter": p_inter,
            "erdos_renyi_sizes": tuple(erdos_renyi_sizes),
            "erdos_renyi_p": erdos_renyi_p,
        }
        self.architecture = {
            "embedding_dim": embedding_dim,
            "hidden_features": hidden_features,
            "num_layers": num_layers,
        }
        self.epochs, self.batch_size, self.lr = epochs, batch_size, lr
        self.eval_every, self.data_seed, self.plot = eval_every, data_seed, plot

    def make_data(self) -> dict[str, GraphBatch]:
        """The generated splits, one seed each."""
        seeds = np.random.SeedSequence(self.data_seed).spawn(len(_SPLITS))
        return {
            name: GraphBatch(
                graph_dataset(
                    self.dataset,
                    self.sizes[name],
                    np.random.default_rng(seed),
                    **self.graph_options,
                )
            )
            for name, seed in zip(_SPLITS, seeds)
        }

    @torch.no_grad()
    def evaluate(self, model: GraphAutoencoder, data: GraphBatch, seed: int) -> dict[str, float]:
        """BCE per graph, percentage of wrong pairs and F1 over a whole split."""
        model.eval()
        generator = torch.Generator().manual_seed(seed)
        totals: dict[str, float] = {}
        for start in range(0, len(data), 256):
            adjacency, mask = data.select(torch.arange(start, min(start + 256, len(data))))
            for key, value in edge_metrics(
                model(adjacency, mask, generator), adjacency, mask
            ).items():
                totals[key] = totals.get(key, 0.0) + value
        positives = totals["tp"] + 0.5 * (totals["fp"] + totals["fn"])
        return {
            "bce": totals["bce"] / len(data),
            "wrong_edges_pct": 100.0 * totals["wrong"] / max(totals["pairs"], 1.0),
            "f1": totals["tp"] / positives if positives else 1.0,
        }

    def run(self, context: RunContext) -> dict[str, Any]:
        """Train every encoder in turn; checkpoint every epoch; resume where it stopped."""
        if self.plot:
            require_matplotlib()
        distributed = check_distributed(context)
        rank, world_size, seed = int(context.rank), int(context.world_size), int(context.seed)
        data = self.make_data()
        results: dict[str, dict[str, float]] = {}
        curves: dict[str, tuple[list[int], list[float]]] = {}
        state = context.load_checkpoint()
        if state is not None:
            results, curves = state["results"], state["curves"]

        for index, name in enumerate(self.encoders):
            if name in results:
                continue
            torch.manual_seed(seed * 1_000_003 + index)
            model = GraphAutoencoder(name, **self.architecture)
            optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, self.epochs)
            best = {"valid_bce": math.inf, "epoch": -1}
            history: dict[str, list[float]] = {"eval_epoch": [], "valid_bce": []}
            start, elapsed = 0, 0.0
            if state is not None and state.get("current") == name:
                model.load_state_dict(state["model"])
                optimizer.load_state_dict(state["optimizer"])
                schedule.load_state_dict(state["schedule"])
                best, history = state["best"], state["history"]
                start, elapsed = int(state["epoch"]) + 1, float(state["elapsed"])

            bar = progress(context, self.epochs, f"egnn.graph_autoencoder {name}", start)
            for epoch in range(start, self.epochs):
                began = time.perf_counter()
                model.train()
                generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
                total, count = 0.0, 0
                for batch in shuffled_batches(
                    len(data["train"]),
                    self.batch_size,
                    generator,
                    rank=rank,
                    world_size=world_size,
                ):
                    adjacency, mask = data["train"].select(batch)
                    logits = model(adjacency, mask, generator)
                    pairs = mask[:, :, None] & mask[:, None, :]
                    pairs &= ~torch.eye(mask.shape[1], dtype=torch.bool)
                    bce = F.binary_cross_entropy_with_logits(
                        logits[pairs], adjacency[pairs].float(), reduction="sum"
                    )
                    loss = bce / len(batch)
                    optimizer.zero_grad()
                    loss.backward()
                    if distributed:
                        average_gradients(model, world_size)
                    optimizer.step()
                    total += bce.item()
                    count += len(batch)
                schedule.step()
                metrics = {f"{name}_train_bce": total / max(count, 1)}

                if epoch % self.eval_every == 0 or epoch == self.epochs - 1:
                    valid = self.evaluate(model, data["valid"], seed + 1)
                    test = self.evaluate(model, data["test"], seed + 2)
                    metrics.update({f"{name}_valid_{k}": v for k, v in valid.items()})
                    metrics.update({f"{name}_test_{k}": v for k, v in test.items()})
                    history["eval_epoch"].append(epoch)
                    history["valid_bce"].append(valid["bce"])
                    if valid["bce"] < best["valid_bce"]:
                        best = {
                            "valid_bce": valid["bce"],
                            "epoch": epoch,
                            **{f"test_{k}": v for k, v in test.items()},
                        }
                elapsed += time.perf_counter() - began
                context.log_metrics(index * self.epochs + epoch, metrics)
                bar.update()
                context.save_checkpoint(
                    index * self.epochs + epoch,
                    {
                        "results": results,
                        "curves": curves,
                        "current": name,
                        "epoch": epoch,
                        "elapsed": elapsed,
                        "best": best,
                        "history": history,
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "schedule": schedule.state_dict(),
                    },
                )

            bar.close()
            results[name] = {**best, "train_seconds": elapsed}
            curves[name] = (history["eval_epoch"], history["valid_bce"])
            state = None

        if self.plot and rank == 0:
            context.save_plot(
                "valid_bce",
                loss_figure(
                    curves,
                    ylabel="validation BCE per graph",
                    title=f"Graph autoencoder ({self.dataset})",
                ),
            )
        summary: dict[str, Any] = {"dataset": self.dataset}
        for name, result in results.items():
            for key in ("test_bce", "test_wrong_edges_pct", "test_f1", "epoch"):
                summary[f"{name}_{'best_epoch' if key == 'epoch' else key}"] = result.get(key)
        return summary
