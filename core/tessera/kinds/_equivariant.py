"""The EquivariantLayer interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch
from torch import nn

__all__ = ["EquivariantLayer"]


class EquivariantLayer(nn.Module, ABC):
    r"""A module equivariant to a group: :math:`f(\rho_{in}(g)\,x) = \rho_{out}(g)\,f(x)`.

    A layer says which group it respects and how an element acts on its inputs and on its
    outputs, so that equivariance is checked without knowing the layer
    (:func:`tessera.testing.check_equivariance`). Group elements are whatever
    :meth:`sample_group_element` returns: a matrix for a matrix group, or a structured
    element (rotation, translation, permutation) for a layer on point clouds.

    ``forward(*inputs)`` returns a tensor or a tuple of tensors.
    """

    @property
    @abstractmethod
    def group(self) -> Any:
        """The group the layer is equivariant to (a :class:`~tessera.kinds.Group` for matrix
        groups; any object with a ``name`` otherwise)."""

    def sample_group_element(
        self, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64
    ) -> Any:
        """A random element of :attr:`group`; by default ``self.group.sample(...)``."""
        return self.group.sample(generator=generator, dtype=dtype)

    @abstractmethod
    def act_on_inputs(self, g: Any, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """Apply ``g`` to a tuple of inputs, returning the transformed tuple."""

    @abstractmethod
    def act_on_outputs(self, g: Any, outputs: Any) -> Any:
        """Apply ``g`` to what :meth:`forward` returned."""

    @abstractmethod
    def example_inputs(
        self,
        batch_size: int = 2,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> tuple[Any, ...]:
        """Random inputs of the right shapes, for tests and the conformance kit."""
