"""The ``enf.qm9_positional`` task: a flow over the atom positions of QM9 molecules.

QM9 is read from a local copy in its published format by the core's reader
(:func:`tessera.datasets.read_qm9`). Only the positions are modelled; atom types are
ignored, as in the paper's "QM9 Positional" experiment.

References:
    | E(n) Equivariant Normalizing Flows (Satorras et al., 2021), §5.2, Table 2
    | https://arxiv.org/abs/2105.09016
    | Quantum chemistry structures and properties of 134 kilo molecules
    | (Ramakrishnan et al., 2014), https://doi.org/10.1038/sdata.2014.22
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from tessera.datasets import read_qm9
from tessera_enf._energies import pair_distances
from tessera_enf._subspace import center
from tessera_enf._tasks import ParticleSystemTask

__all__ = ["QM9PositionalTask", "read_qm9_positions"]


def read_qm9_positions(path: str | Path, num_atoms: int) -> tuple[Tensor, Tensor]:
    """The positions of the molecules of a local QM9 copy that have ``num_atoms`` atoms.

    Arguments:
        path: a folder of ``*.xyz`` files or a tar archive of them (``.tar``,
            ``.tar.bz2``, ``.tar.gz``), such as the published ``dsgdb9nsd.xyz.tar.bz2``;
            read by :func:`tessera.datasets.read_qm9`.
        num_atoms: the atom count to keep.

    Returns:
        Centred positions (M, num_atoms, 3), float64 in Å, and their ``gdb`` indices (M,),
        sorted by index.

    :raises ValueError: the path is not a QM9 copy, a file is malformed, or no molecule has
        ``num_atoms`` atoms.
    """
    molecules = read_qm9(path)
    kept = [m for m in molecules if len(m.symbols) == num_atoms]
    if not kept:
        counts = sorted({len(m.symbols) for m in molecules})
        raise ValueError(
            f"QM9 copy '{path}' has no molecule with num_atoms={num_atoms} atoms (its atom "
            f"counts: {', '.join(map(str, counts))}); set num_atoms to one of them"
        )
    positions = torch.stack([torch.from_numpy(m.positions) for m in kept])
    return center(positions), torch.tensor([m.index for m in kept])


class QM9PositionalTask(ParticleSystemTask):
    """``enf.qm9_positional``: fit a flow to the positions of the QM9 molecules with
    ``num_atoms`` atoms (19 in the paper: the most common size), atom types ignored.

    The molecules are read from the local copy at ``path``, centred and split at random
    (``split_seed``) into ``num_train``, ``num_valid`` and ``num_test`` molecules (by
    default 80%, 10% and 10%). Training and evaluation follow
    :class:`ParticleSystemTask`: the reported ``test_nll`` is in nats per molecule on the
    zero centre-of-mass subspace, positions in Å. After training the flow's samples are
    compared with the test molecules by their interatomic distances
    (``plots/distances.png``).

    References:
        | E(n) Equivariant Normalizing Flows (Satorras et al., 2021), §5.2
        | https://arxiv.org/abs/2105.09016

    Example:
        >>> import tessera
        >>> task = tessera.create("task", "enf.qm9_positional", path="qm9/", epochs=2)
        >>> task.flow.event_shape
        (19, 3)
    """

    system, dim = "qm9_positional", 3
    sample_plot = "distances"

    def __init__(
        self,
        flow: nn.Module,
        path: str,
        num_atoms: int = 19,
        num_train: int | None = None,
        num_valid: int | None = None,
        num_test: int | None = None,
        split_seed: int = 0,
        **kwargs: Any,
    ) -> None:
        self.num_nodes = num_atoms
        super().__init__(flow, {}, data_seed=split_seed, **kwargs)
        self.path, self.num_atoms = path, num_atoms
        self.requested = {"train": num_train, "valid": num_valid, "test": num_test}

    def energy(self) -> Any:
        raise NotImplementedError(
            "enf.qm9_positional models molecules without an energy function; its samples "
            "are compared by interatomic distances (compare_samples)"
        )

    def system_params(self) -> dict[str, Any]:
        return {"path": str(self.path), "num_atoms": self.num_atoms}

    def load_data(self, data_dir: str | Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
        """Read the copy at ``path`` (``data_dir`` is not used) and split it; float32."""
        positions, _ = read_qm9_positions(self.path, self.num_atoms)
        total = len(positions)
        sizes = dict(self.requested)
        for split in ("valid", "test"):
            if sizes[split] is None:
                sizes[split] = max(1, int(0.1 * total))
        if sizes["train"] is None:
            sizes["train"] = total - sizes["valid"] - sizes["test"]
        if min(sizes.values()) < 1 or sum(sizes.values()) > total:
            raise ValueError(
                f"enf.qm9_positional: QM9 copy '{self.path}' has {total} molecules with "
                f"{self.num_atoms} atoms, too few for num_train={sizes['train']}, "
                f"num_valid={sizes['valid']}, num_test={sizes['test']} (each split needs at "
                "least one); lower them or give a larger copy"
            )
        if self.batch_size > sizes["train"]:
            raise ValueError(
                f"enf.qm9_positional: batch_size ({self.batch_size}) exceeds the "
                f"{sizes['train']} training molecules; set batch_size ≤ {sizes['train']}"
            )
        self.sizes = sizes
        order = torch.randperm(total, generator=torch.Generator().manual_seed(self.data_seed))
        splits, start = {}, 0
        for split in ("train", "valid", "test"):
            splits[split] = positions[order[start : start + sizes[split]]].float()
            start += sizes[split]
        return splits, {"num_molecules": total}

    def compare_samples(self, samples: Tensor, data: Tensor) -> tuple[dict[str, float], Any]:
        """Interatomic distances of the flow's samples against the test molecules': their
        medians, the total-variation distance of their histograms and (with ``plot``) both
        histograms."""
        d_samples = pair_distances(samples).flatten()
        d_data = pair_distances(data).flatten()
        hi = float(d_data.max()) * 1.5
        bins = torch.linspace(0.0, hi, 61, dtype=torch.float64)
        h_samples = torch.histogram(d_samples.clamp(max=hi), bins=bins).hist
        h_data = torch.histogram(d_data, bins=bins).hist
        tv = 0.5 * float((h_samples / h_samples.sum() - h_data / h_data.sum()).abs().sum())
        report = {
            "sample_distance_median": float(d_samples.median()),
            "data_distance_median": float(d_data.median()),
            "distance_histogram_tv": tv if math.isfinite(tv) else math.nan,
        }
        return report, _distance_figure(bins, h_data, h_samples) if self.plot else None


def _distance_figure(bins: Tensor, data: Tensor, samples: Tensor) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    width = float(bins[1] - bins[0])
    mids = (0.5 * (bins[1:] + bins[:-1])).tolist()
    axes.bar(mids, (data / data.sum() / width).tolist(), width=width, alpha=0.5, label="test")
    axes.step(mids, (samples / samples.sum() / width).tolist(), where="mid", label="flow")
    axes.set_xlabel("interatomic distance (Å)")
    axes.set_ylabel("density")
    axes.set_title("enf.qm9_positional: distances of samples")
    axes.legend()
    figure.tight_layout()
    return figure
