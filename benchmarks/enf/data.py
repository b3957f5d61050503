"""Check the MCMC data sets against the Boltzmann density; write ``data.md`` and figures.

DW4: the energy histogram of the Metropolis samples (the tasks' default sampler settings) is
compared with the Boltzmann energy density estimated independently by self-normalised
importance sampling from a wide Gaussian on the zero centre-of-mass subspace (6 degrees of
freedom, so importance sampling is accurate). LJ13 (36 degrees of freedom) has no such
reference; two chains started from compact and from dilute configurations must agree.

Usage::

    python benchmarks/enf/data.py
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from tessera_enf import DoubleWell, LennardJones, Metropolis, center
from tessera_enf.configs import DW4Config, LJ13Config

HERE = Path(__file__).parent


def importance_energies(
    energy: DoubleWell, count: int, scale: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Energies and normalised weights of ``count`` draws from N(0, scale² I) on the
    zero-CoM subspace, reweighted to exp(−E)."""
    gen = torch.Generator().manual_seed(seed)
    dof = (energy.num_particles - 1) * energy.dim
    energies, log_w = [], []
    for _ in range(count // 100_000):
        x = scale * center(
            torch.randn(
                100_000, energy.num_particles, energy.dim, generator=gen, dtype=torch.float64
            )
        )
        e = energy(x)
        log_q = -0.5 * x.square().sum((1, 2)) / scale**2 - dof * math.log(scale)
        energies.append(e)
        log_w.append(-e - log_q)
    e, log_w = torch.cat(energies), torch.cat(log_w)
    return e, torch.softmax(log_w, 0)


def histogram(values: torch.Tensor, bins: torch.Tensor, weights: torch.Tensor | None = None):
    counts = torch.histogram(values, bins=bins, weight=weights).hist
    return counts / counts.sum() / (bins[1] - bins[0])


def main() -> None:
    from matplotlib.figure import Figure

    torch.set_num_threads(1)
    (HERE / "figures").mkdir(exist_ok=True)
    lines = ["# MCMC data sets against the Boltzmann density", ""]

    # DW4
    dw4 = DoubleWell()
    settings = DW4Config().sampler.model_dump()
    mcmc = Metropolis(**settings).sample(dw4, (4, 2), 20000, torch.Generator().manual_seed(0))
    e_is, w = importance_energies(dw4, 2_000_000, 2.0, 1)
    ess = float(1 / w.square().sum())
    mean_is = float((w * e_is).sum())
    std_is = float(((w * (e_is - mean_is) ** 2).sum()).sqrt())
    mean_mc = float(mcmc.energies.mean())
    bins = torch.linspace(-27.0, -12.0, 61, dtype=torch.float64)
    h_mc, h_is = histogram(mcmc.energies, bins), histogram(e_is, bins, w)
    tv = 0.5 * float((h_mc - h_is).abs().sum() * (bins[1] - bins[0]))
    lines += [
        "## DW4",
        "",
        f"Metropolis: {settings['walkers']} walkers, burn-in {settings['burn_in']}, thinning "
        f"{settings['thin']}, acceptance {mcmc.acceptance:.2f}; 20,000 samples.",
        f"Reference: importance sampling, 2,000,000 Gaussian draws (scale 2), effective sample "
        f"size {ess:,.0f}.",
        "",
        "| | mean energy | std |",
        "|---|---|---|",
        f"| Metropolis | {mean_mc:.3f} ± {float(mcmc.energies.std()) / math.sqrt(20000):.3f} | "
        f"{float(mcmc.energies.std()):.3f} |",
        f"| importance sampling | {mean_is:.3f} | {std_is:.3f} |",
        "",
        f"Total-variation distance between the two energy histograms (60 bins): {tv:.3f}.",
        "",
        "![DW4 energies](figures/dw4_energy.png)",
        "",
    ]
    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    mids = 0.5 * (bins[1:] + bins[:-1])
    axes.bar(mids, h_mc, width=float(bins[1] - bins[0]), alpha=0.5, label="Metropolis samples")
    axes.plot(mids, h_is, "k-", lw=2, label="Boltzmann (importance sampling)")
    axes.set_xlabel("energy E(x)")
    axes.set_ylabel("density")
    axes.set_title("DW4: energies of the MCMC data")
    axes.legend()
    figure.tight_layout()
    figure.savefig(HERE / "figures" / "dw4_energy.png", dpi=120)

    # LJ13
    lj = LennardJones()
    settings = LJ13Config().sampler.model_dump()
    runs = {}
    for label, init in (("compact start (scale 0.5)", 0.5), ("dilute start (scale 2.5)", 2.5)):
        sampler = Metropolis(**{**settings, "init_scale": init})
        runs[label] = sampler.sample(lj, (13, 3), 5000, torch.Generator().manual_seed(2))
    bins = torch.linspace(-80.0, -20.0, 61, dtype=torch.float64)
    hists = {k: histogram(r.energies, bins) for k, r in runs.items()}
    a, b = hists.values()
    tv = 0.5 * float((a - b).abs().sum() * (bins[1] - bins[0]))
    lines += [
        "## LJ13",
        "",
        f"Metropolis: {settings['walkers']} walkers, burn-in {settings['burn_in']}, thinning "
        f"{settings['thin']}; 5,000 samples per start.",
        "",
        "| start | mean energy | std | acceptance |",
        "|---|---|---|---|",
    ]
    for label, r in runs.items():
        lines.append(
            f"| {label} | {float(r.energies.mean()):.2f} ± "
            f"{float(r.energies.std()) / math.sqrt(5000):.2f} | "
            f"{float(r.energies.std()):.2f} | {r.acceptance:.2f} |"
        )
    # The gap in standard errors, with the most pessimistic count of independent samples
    # (one per walker; the walkers are independent chains)
    (m_a, s_a), (m_b, s_b) = (
        (float(r.energies.mean()), float(r.energies.std())) for r in runs.values()
    )
    gap = abs(m_a - m_b) / math.hypot(s_a, s_b) * math.sqrt(settings["walkers"])
    verdict = (
        "the two starts agree, so the chains have mixed at this burn-in."
        if gap < 3
        else "the chains have not mixed at this burn-in: the LJ13 data sets depend on the "
        "start and are not certified Boltzmann samples."
    )
    lines += [
        "",
        f"Total-variation distance between the two histograms (60 bins): {tv:.3f}.",
        f"The mean energies differ by {abs(m_a - m_b):.2f}, {gap:.0f} standard errors: " + verdict,
        "",
        "![LJ13 energies](figures/lj13_energy.png)",
        "",
    ]
    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    mids = 0.5 * (bins[1:] + bins[:-1])
    for label, h in hists.items():
        axes.step(mids, h, where="mid", label=label)
    axes.set_xlabel("energy E(x)")
    axes.set_ylabel("density")
    axes.set_title("LJ13: energies of the MCMC data")
    axes.legend()
    figure.tight_layout()
    figure.savefig(HERE / "figures" / "lj13_energy.png", dpi=120)
    (HERE / "data.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
