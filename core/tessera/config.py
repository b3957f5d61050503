"""Configuration models for components.

Every registered component has a pydantic config model. A model lives in a module that
imports no torch and no plugin implementation, so that ``tessera show`` can read it cheaply.
A field that takes another component is annotated with :func:`component`; its value is a
nested spec (a dict with ``name`` and optionally ``kind`` and ``params``) or an object that
was already built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict

__all__ = ["ComponentRef", "Config", "component"]


class Config(BaseModel):
    """Base class of component configs: unknown fields are errors, assignments validate.

    Example:
        >>> from tessera.config import Config
        >>> class MLPConfig(Config):
        ...     hidden_features: int = 64
        >>> MLPConfig(hidden_features=8).hidden_features
        8
    """

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        arbitrary_types_allowed=True,
        protected_namespaces=(),
    )


@dataclass(frozen=True)
class ComponentRef:
    """Marks a config field whose value is a component of ``kind``."""

    kind: str


def component(kind: str) -> Any:
    """Annotation for a config field holding a component of ``kind``.

    The value may be a built object or a nested spec such as
    ``{"name": "egnn", "params": {"hidden_features": 32}}``; :func:`tessera.create` builds
    nested specs before the component's own constructor runs.

    Example:
        >>> from tessera.config import Config, component
        >>> class FlowConfig(Config):
        ...     dynamics: component("equivariant_layer") = {"name": "egnn"}
    """
    return Annotated[Any, ComponentRef(kind)]
