"""The velocity field of an E-NF: a stack of registered layers with time as node feature.

The field is

.. math::

    v(x, t) = P\\,\\big(x^{(L)} - x\\big), \\qquad
    (h^{(l+1)}, x^{(l+1)}) = \\phi_l(h^{(l)}, x^{(l)}, a), \\qquad
    h^{(0)}_i = W [t, c_i],

where ``φ_l`` are layers of any registered equivariant layer (by default ``egnn``), ``a`` the
squared distances ``‖x_i − x_j‖²`` as edge attributes (when the layer reads one), ``c`` an
optional per-node context and ``P`` the projection onto the zero centre-of-mass subspace.
With an E(n)-equivariant layer ``v`` is E(n) equivariant and translation invariant.

The layers are used only through the registry: the first is the built ``dynamics`` component,
the others are rebuilt from its spec.

References:
    | E(n) Equivariant Normalizing Flows (Satorras et al., 2021), §3.1, eq. (9)
    | https://arxiv.org/abs/2105.09016
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from tessera_enf._subspace import center

__all__ = ["VelocityField"]


def _replicate(layer: nn.Module, count: int) -> list[nn.Module]:
    """``layer`` and ``count − 1`` freshly initialised copies, built through the registry."""
    from tessera.errors import SpecError
    from tessera.registry import build, spec_of

    layers = [layer]
    try:
        spec = spec_of(layer)
    except SpecError:
        spec = None
    for _ in range(count - 1):
        if spec is not None:
            layers.append(build(spec))
            continue
        if not callable(getattr(layer, "reset_parameters", None)):
            raise TypeError(
                f"flow 'enf': cannot make {count} independent copies of the dynamics "
                f"{type(layer).__name__}: it was not built by tessera.create/build and has no "
                "reset_parameters(); pass the dynamics as a spec or set num_layers=1"
            )
        clone = copy.deepcopy(layer)
        clone.reset_parameters()
        layers.append(clone)
    return layers


class VelocityField(nn.Module):
    """``v(x, t)``: a stack of point-cloud layers turned into a zero-CoM velocity.

    Arguments:
        layer: a built layer called as ``layer(h, x, mask, edge_attr) -> (h, x)``; it must
            expose ``in_features`` (== its output width) and ``edge_features`` (0 or 1).
        num_layers: layers in the stack (copies of ``layer``, built from its spec).
        context_features: width of the per-node context.
        time_feature: whether ``t`` is a node feature.
    """

    def __init__(
        self,
        layer: nn.Module,
        num_layers: int = 3,
        context_features: int = 0,
        time_feature: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(layer, nn.Module):
            raise TypeError(
                f"flow 'enf': dynamics must be a torch.nn.Module layer, got {type(layer).__name__}"
            )
        width = getattr(layer, "in_features", None)
        out = getattr(layer, "out_features", width)
        edge = getattr(layer, "edge_features", 0)
        if not isinstance(width, int) or out != width:
            raise ValueError(
                f"flow 'enf': the dynamics layer {type(layer).__name__} must expose an int "
                f"in_features equal to its out_features (got {width!r} and {out!r}), so that "
                "layers can be stacked; build it with out_features unset"
            )
        if edge not in (0, 1):
            raise ValueError(
                f"flow 'enf': the dynamics layer reads {edge} edge features; the flow gives "
                "at most one (the squared distance): build it with edge_features 0 or 1"
            )
        self.width, self.edge_features = width, edge
        self.context_features, self.time_feature = context_features, time_feature
        inputs = int(time_feature) + context_features
        self.embedding = nn.Linear(inputs, width) if inputs else None
        self.layers = nn.ModuleList(_replicate(layer, num_layers))

    def node_features(self, t: Tensor, x: Tensor, context: Tensor | None) -> Tensor:
        """``h⁽⁰⁾`` (B, N, width): the embedding of ``[t, context]`` (zeros without either)."""
        b, n, _ = x.shape
        parts = []
        if self.time_feature:
            parts.append(t.to(x.dtype).expand(b, n, 1))
        if self.context_features:
            if context is None or context.shape != (b, n, self.context_features):
                got = None if context is None else tuple(context.shape)
                raise ValueError(
                    f"flow 'enf' was built with context_features={self.context_features}: "
                    f"context must have shape ({b}, {n}, {self.context_features}), got {got}"
                )
            parts.append(context.to(x.dtype))
        elif context is not None:
            raise ValueError(
                "flow 'enf' was built with context_features=0 but got a context; build it "
                "with context_features set to the context's width"
            )
        if self.embedding is None:
            return x.new_zeros(b, n, self.width)
        return self.embedding(torch.cat(parts, dim=-1))

    def forward(self, t: Tensor, x: Tensor, mask: Tensor, context: Tensor | None = None) -> Tensor:
        """The velocity at ``x`` (B, N, D) and time ``t`` (scalar), (B, N, D), zero CoM."""
        h = self.node_features(t, x, context) * mask.to(x.dtype)[..., None]
        edge_attr = None
        if self.edge_features:
            edge_attr = (x[:, :, None, :] - x[:, None, :, :]).square().sum(-1, keepdim=True)
        y = x
        for layer in self.layers:
            h, y = layer(h, y, mask, edge_attr)
        return center(y - x, mask)
