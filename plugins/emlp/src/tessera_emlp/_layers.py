"""Equivariant layers: Linear, bilinear, gated nonlinearities and the EMLP block, plus the
uniform channel heuristic and the binding of representation strings to groups.

References:
    | A Practical Method for Constructing Equivariant Multilayer Perceptrons for
      Arbitrary Matrix Groups (Finzi et al., 2021)
    | https://arxiv.org/abs/2104.09459
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tessera.kinds import Group
from tessera_emlp._reps import Rep, Scalar, SumRep, T, V
from tessera_emlp._solver import SolverOptions, solve_block
from tessera_emlp._syntax import Node, parse_rep_syntax

__all__ = [
    "BiLinear",
    "EMLPBlock",
    "EquivariantLinear",
    "GatedNonlinearity",
    "gated",
    "parse_rep",
    "uniform_rep",
]


def parse_rep(text: str | Rep, group: Group) -> Rep:
    """Bind a representation string (see :mod:`tessera_emlp._syntax`) to ``group``.

    Example:
        >>> from tessera.groups import SO
        >>> parse_rep("2*V + T(1,1)", SO(3)).size
        15
    """
    if isinstance(text, Rep):
        return text
    return _bind(parse_rep_syntax(text), group, text)


def _bind(node: Node, group: Group, text: str) -> Rep:
    kind = node[0]
    if kind == "V":
        return V(group, node[1])
    if kind == "Scalar":
        return Scalar
    if kind == "T":
        return T(node[1], node[2], group)
    if kind == "dual":
        return _bind(node[1], group, text).T
    if kind == "sum":
        return _bind(node[1], group, text) + _bind(node[2], group, text)
    if kind == "mul":
        if node[1] == 0:
            raise ValueError(f"representation {text!r}: a multiplicity must be ≥ 1")
        return node[1] * _bind(node[2], group, text)
    if kind == "tensor":
        return _bind(node[1], group, text) * _bind(node[2], group, text)
    if kind == "pow":
        return _bind(node[1], group, text) ** node[2]
    if kind == "map":
        return _bind(node[1], group, text) >> _bind(node[2], group, text)
    raise AssertionError(kind)


def _summands(rep: Rep) -> tuple[Rep, ...]:
    return rep.reps if isinstance(rep, SumRep) else (rep,)


def gated(rep: Rep) -> Rep:
    """``rep`` plus one Scalar gate for each summand that is not a Scalar.

    Example:
        >>> from tessera.groups import SO
        >>> gated(Scalar + 2 * V(SO(3)))
        Scalar+2V+2Scalar
    """
    gates = sum(1 for r in _summands(rep) if r != Scalar)
    return rep if gates == 0 else rep + gates * Scalar


def uniform_rep(channels: int, group: Group, generator: torch.Generator | None = None) -> Rep:
    """Spread about ``channels`` dimensions evenly over tensor ranks.

    Repeatedly take the largest rank ``r`` with ``(r + 1) d^r`` dimensions left and add
    ``d^{r−k}`` tensors of every rank ``k ≤ r``, so that each rank receives the same number
    of dimensions. For groups whose ``V*`` differs from ``V`` each rank-``k`` tensor is
    ``T(p, k − p)`` with ``p ~ Binomial(k, 1/2)`` drawn from ``generator``.

    Example:
        >>> from tessera.groups import SO
        >>> uniform_rep(48, SO(3))
        21Scalar+6V+V⊗V
    """
    d = group.d
    counts: list[int] = []
    left = channels
    while left > 0:
        rank = 0
        while (rank + 2) * d ** (rank + 1) <= left:
            rank += 1
        if (rank + 1) * d**rank > left:
            if not counts:
                counts = [left]
            else:
                counts[0] += left
            break
        counts += [0] * (rank + 1 - len(counts))
        for k in range(rank + 1):
            counts[k] += d ** (rank - k)
        left -= (rank + 1) * d**rank
    self_dual = group.is_orthogonal and not group.dtype.is_complex
    parts: list[Rep] = []
    for k, count in enumerate(counts):
        if count == 0:
            continue
        if k == 0 or self_dual:
            parts.append(count * T(k, 0, group) if k else count * Scalar)
            continue
        p = (torch.rand(count, k, generator=generator) < 0.5).sum(-1)
        for value in sorted(set(p.tolist())):
            parts.append(int((p == value).sum()) * T(int(value), k - int(value), group))
    return sum(parts[1:], parts[0]) if parts else Scalar


def _check_real(rep: Rep, layer: str) -> None:
    group = rep.group
    if group is not None and group.dtype.is_complex:
        raise NotImplementedError(
            f"{layer}: {group!r} is a complex group; layers act on real features, so use "
            "a real group (the basis solver itself supports complex groups)"
        )


class EquivariantLinear(nn.Module):
    """The equivariant linear map ``rep_in → rep_out``: ``W = Σ θ_b B_b``, bias likewise.

    The weight is assembled block by block from cached equivariant bases of the canonical
    blocks of ``rep_in >> rep_out`` and the bias from those of ``rep_out``.

    Arguments:
        rep_in, rep_out: the representations (of the same group, or of factors of one
            product group).
        bias: whether to add an equivariant bias.
        generator: the random generator of the initial parameters.
        options: solver settings.

    Example:
        >>> from tessera.groups import SO
        >>> layer = EquivariantLinear(V(SO(3)), V(SO(3)) + Scalar)
        >>> layer(torch.randn(4, 3)).shape
        torch.Size([4, 4])
    """

    def __init__(
        self,
        rep_in: Rep,
        rep_out: Rep,
        bias: bool = True,
        generator: torch.Generator | None = None,
        options: SolverOptions | None = None,
    ) -> None:
        super().__init__()
        self.rep_in, self.rep_out = rep_in, rep_out
        _check_real(rep_in >> rep_out, "EquivariantLinear")
        weight_rep = rep_in >> rep_out
        self._weight_parts = self._register(weight_rep, "weight", rep_in.size, generator, options)
        self._bias_parts = self._register(rep_out, "bias", 1, generator, options) if bias else []

    def _register(self, rep: Rep, name: str, fan_in: int, generator, options) -> list[int]:
        ambient = rep.ambient
        parts = []
        for i, group in enumerate(rep.blocks(ambient)):
            basis = solve_block(ambient, group.leaves, options or SolverOptions())
            if basis.shape[1] == 0:
                continue
            scale = fan_in**-0.5 if name == "weight" else 0.0
            theta = torch.randn(group.count, basis.shape[1], generator=generator) * scale
            self.register_parameter(f"{name}_{i}", nn.Parameter(theta))
            self.register_buffer(f"{name}_basis_{i}", basis)
            self.register_buffer(f"{name}_index_{i}", group.index.reshape(-1))
            parts.append(i)
        return parts

    def _assemble(self, name: str, parts: list[int], size: int, like: Tensor) -> Tensor:
        out = like.new_zeros(size)
        for i in parts:
            theta = getattr(self, f"{name}_{i}")
            basis = getattr(self, f"{name}_basis_{i}")
            index = getattr(self, f"{name}_index_{i}")
            out = out.index_put((index,), (theta @ basis.to(theta.dtype).T).reshape(-1))
        return out

    def weight(self) -> Tensor:
        """The equivariant weight matrix, (out, in)."""
        like = next(self.parameters(), torch.zeros(0))
        flat = self._assemble(
            "weight", self._weight_parts, self.rep_out.size * self.rep_in.size, like
        )
        return flat.reshape(self.rep_out.size, self.rep_in.size)

    def bias(self) -> Tensor:
        """The equivariant bias, (out,)."""
        like = next(self.parameters(), torch.zeros(0))
        return self._assemble("bias", self._bias_parts, self.rep_out.size, like)

    def forward(self, x: Tensor) -> Tensor:
        """``x: (..., rep_in.size)`` → ``(..., rep_out.size)``."""
        return x @ self.weight().to(x.dtype).T + self.bias().to(x.dtype)


class BiLinear(nn.Module):
    """An equivariant bilinear layer ``x ↦ W(x) x`` with ``W(x)`` built from ``x`` itself.

    Each block of ``rep >> rep_out`` whose canonical type also occurs among the blocks of
    ``rep`` takes as its weights a learnable multiple of one input block of that type (input
    copies are cycled over the weight blocks). Such a block transforms exactly as the weight
    block does, so ``W(g·x) = ρ_out(g) W(x) ρ_in(g)⁻¹`` and the layer is equivariant.

    Arguments:
        rep: the input representation.
        rep_out: the output representation.
        generator: the random generator of the initial parameters.

    Example:
        >>> from tessera.groups import SO
        >>> rep = Scalar + V(SO(3)) + V(SO(3)) ** 2
        >>> BiLinear(rep, rep)(torch.randn(2, rep.size)).shape
        torch.Size([2, 13])
    """

    def __init__(
        self,
        rep: Rep,
        rep_out: Rep,
        generator: torch.Generator | None = None,
        options: SolverOptions | None = None,
    ) -> None:
        super().__init__()
        self.rep_in, self.rep_out = rep, rep_out
        _check_real(rep >> rep_out, "BiLinear")
        inputs = {g.leaves: g.index for g in rep.blocks(rep.ambient)}
        weight_rep = rep >> rep_out
        target, source, copy = [], [], []
        copies = 0
        for group in weight_rep.blocks(weight_rep.ambient):
            found = inputs.get(group.leaves)
            if found is None:
                continue
            choice = torch.arange(group.count) % found.shape[0]
            target.append(group.index.reshape(-1))
            source.append(found[choice].reshape(-1))
            ids = torch.arange(copies, copies + group.count)
            copy.append(ids[:, None].expand(group.index.shape).reshape(-1))
            copies += group.count
        empty = torch.zeros(0, dtype=torch.long)
        self.register_buffer("target", torch.cat(target) if target else empty)
        self.register_buffer("source", torch.cat(source) if source else empty)
        self.register_buffer("copy", torch.cat(copy) if copy else empty)
        self.weight = nn.Parameter(0.1 * torch.randn(copies, generator=generator))

    def forward(self, x: Tensor) -> Tensor:
        """``x: (batch, rep.size)`` → ``(batch, rep_out.size)``."""
        batch = x.shape[:-1]
        x2 = x.reshape(-1, x.shape[-1])
        w = x2.new_zeros(x2.shape[0], self.rep_out.size * self.rep_in.size)
        w[:, self.target] = x2[:, self.source] * self.weight.to(x.dtype)[self.copy]
        w = w.reshape(-1, self.rep_out.size, self.rep_in.size)
        return (w @ x2[..., None])[..., 0].reshape(*batch, self.rep_out.size)


class GatedNonlinearity(nn.Module):
    """SiLU on Scalar summands; every other summand times ``sigmoid`` of its gate.

    Takes ``gated(rep)`` (gates appended in summand order) and returns ``rep``.

    Example:
        >>> from tessera.groups import SO
        >>> rep = Scalar + V(SO(3))
        >>> GatedNonlinearity(rep)(torch.randn(2, gated(rep).size)).shape
        torch.Size([2, 4])
    """

    def __init__(self, rep: Rep) -> None:
        super().__init__()
        self.rep = rep
        gate = torch.full((rep.size,), -1, dtype=torch.long)
        start, next_gate = 0, rep.size
        for r in _summands(rep):
            if r != Scalar:
                gate[start : start + r.size] = next_gate
                next_gate += 1
            start += r.size
        self.register_buffer("gate", gate)

    def forward(self, x: Tensor) -> Tensor:
        main = x[..., : self.rep.size]
        scalar = self.gate < 0
        gates = x[..., self.gate.clamp_min(0)]
        return torch.where(scalar, nn.functional.silu(main), main * torch.sigmoid(gates))


class EMLPBlock(nn.Module):
    """Linear to ``gated(rep_out)``, a residual bilinear layer, then the gated nonlinearity.

    Example:
        >>> from tessera.groups import SO
        >>> G = SO(3)
        >>> EMLPBlock(V(G), Scalar + V(G))(torch.randn(2, 3)).shape
        torch.Size([2, 4])
    """

    def __init__(
        self,
        rep_in: Rep,
        rep_out: Rep,
        bilinear: bool = True,
        generator: torch.Generator | None = None,
        options: SolverOptions | None = None,
    ) -> None:
        super().__init__()
        hidden = gated(rep_out)
        self.linear = EquivariantLinear(rep_in, hidden, generator=generator, options=options)
        self.bilinear = BiLinear(hidden, hidden, generator=generator) if bilinear else None
        self.nonlinearity = GatedNonlinearity(rep_out)

    def forward(self, x: Tensor) -> Tensor:
        h = self.linear(x)
        if self.bilinear is not None:
            h = h + self.bilinear(h)
        return self.nonlinearity(h)
