"""Building components from specs, and giving back the spec of a built component.

A spec names a registered component and its parameters::

    {"kind": "flow", "name": "enf", "params": {"dynamics": {"name": "egnn"}}}

Parameters whose config field is a :func:`tessera.config.component` take nested specs
(``kind`` may be left out there, and a bare string is a name). Every spec is validated, nested
ones included, before anything is built; nothing in a spec imports or runs code beyond the
registered components it names.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import os
import typing
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError, create_model

from tessera.config import ComponentRef, Config
from tessera.errors import ConfigError, SpecError

__all__ = ["build", "config_from_signature", "create", "load", "load_spec", "save", "spec_of"]

SPEC_ATTR = "__tessera_spec__"
SAVE_FORMAT = "tessera.component/1"
_SPEC_KEYS = {"kind", "name", "params"}
_specs: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _registry(registry: Any) -> Any:
    if registry is not None:
        return registry
    from tessera.registry import get_registry

    return get_registry()


# Specs


def load_spec(source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """Read a spec from a YAML or JSON file, or copy a mapping.

    :raises SpecError: the file is missing, unreadable or not a mapping.
    """
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source))
    path = Path(source)
    if not path.is_file():
        raise SpecError(f"spec file '{path}' does not exist; give the path of a YAML file")
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"spec file '{path}' cannot be read: {error}") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise SpecError(f"spec file '{path}' is not valid YAML{where}: {problem}") from None
    if not isinstance(data, Mapping):
        raise SpecError(
            f"spec file '{path}' must hold a mapping with 'kind', 'name' and 'params', "
            f"not {type(data).__name__}"
        )
    return dict(data)


def _normalise(spec: Any, kind: str | None, path: str) -> tuple[str, str, dict[str, Any]]:
    where = f" at '{path}'" if path else ""
    if isinstance(spec, str):
        if kind is None:
            raise SpecError(f"spec{where} is the bare name {spec!r}; give {{kind, name}}")
        return kind, spec, {}
    if not isinstance(spec, Mapping):
        raise SpecError(
            f"spec{where} must be a mapping with 'kind', 'name' and 'params', or a name; "
            f"got {type(spec).__name__}"
        )
    extra = set(spec) - _SPEC_KEYS
    if extra:
        raise SpecError(
            f"spec{where} has unknown keys {sorted(extra)}; a spec has only 'kind', 'name' "
            "and 'params' (component parameters go under 'params')"
        )
    if "name" not in spec or not isinstance(spec["name"], str):
        raise SpecError(f"spec{where} needs 'name', the registered component's name")
    spec_kind = spec.get("kind", kind)
    if spec_kind is None:
        raise SpecError(f"spec{where} needs 'kind' (for example 'flow' or 'solver')")
    if kind is not None and spec_kind != kind:
        raise SpecError(f"spec{where} is of kind {spec_kind!r}, but the field takes {kind!r}")
    params = spec.get("params") or {}
    if not isinstance(params, Mapping):
        raise SpecError(f"'params'{where} must be a mapping, not {type(params).__name__}")
    return spec_kind, spec["name"], dict(params)


# Validation


def _refs_in(annotation: Any) -> tuple[ComponentRef | None, bool]:
    """The component reference in an annotation, and whether it is a list of them."""
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, ComponentRef):
            return meta, False
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        ref, many = _refs_in(arg)
        if ref is not None:
            return ref, many or origin in (list, tuple, typing.Sequence, set)
    return None, False


def component_fields(model: type[Config]) -> dict[str, tuple[ComponentRef, bool]]:
    """Fields of ``model`` that hold components: name → (reference, is a list)."""
    found: dict[str, tuple[ComponentRef, bool]] = {}
    for name, info in model.model_fields.items():
        ref = next((m for m in info.metadata if isinstance(m, ComponentRef)), None)
        many = False
        if ref is None:
            ref, many = _refs_in(info.annotation)
        if ref is not None:
            found[name] = (ref, many)
    return found


def _describe(error: dict[str, Any], model: type[Config]) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    if not loc:  # a check across fields
        return error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        known = ", ".join(model.model_fields) or "none"
        return f"unknown field '{loc}' (fields: {known})"
    if error["type"] == "missing":
        return f"field '{loc}' is required"
    return f"field '{loc}': got {error['input']!r}; {error['msg'].lower()}"


@dataclass
class _Node:
    kind: str
    name: str
    info: Any
    config: Config
    children: dict[str, Any] = field(default_factory=dict)


def _validate(registry: Any, spec: Any, kind: str | None, path: str) -> _Node:
    kind, name, params = _normalise(spec, kind, path)
    info = registry.get(kind, name)
    model = info.load_config()
    try:
        config = model.model_validate(params)
    except ValidationError as error:
        problems = "; ".join(_describe(e, model) for e in error.errors())
        prefix = f"{path}: " if path else ""
        raise ConfigError(f"{prefix}invalid config for {kind} {name!r}: {problems}") from None
    node = _Node(kind, name, info, config)
    for field_name, (ref, many) in component_fields(model).items():
        value = getattr(config, field_name)
        sub = f"{path}.params.{field_name}" if path else field_name
        if many and isinstance(value, (list, tuple)):
            node.children[field_name] = [
                _validate(registry, v, ref.kind, f"{sub}[{i}]") if _is_spec(v) else v
                for i, v in enumerate(value)
            ]
        elif _is_spec(value):
            node.children[field_name] = _validate(registry, value, ref.kind, sub)
    return node


def _is_spec(value: Any) -> bool:
    return isinstance(value, (str, Mapping))


# Building


def _instantiate(node: _Node) -> Any:
    kwargs: dict[str, Any] = {}
    for field_name in type(node.config).model_fields:
        value = node.children.get(field_name, getattr(node.config, field_name))
        if isinstance(value, _Node):
            value = _instantiate(value)
        elif isinstance(value, list):
            value = [_instantiate(v) if isinstance(v, _Node) else v for v in value]
        kwargs[field_name] = value
    obj = node.info.load()(**kwargs)
    _attach(obj, _resolved(node, kwargs))
    return obj


def _resolved(node: _Node, kwargs: dict[str, Any]) -> dict[str, Any]:
    refs = component_fields(type(node.config))
    params: dict[str, Any] = {}
    for field_name, value in kwargs.items():
        if field_name in refs:
            params[field_name] = (
                [spec_of(v) for v in value]
                if isinstance(value, (list, tuple))
                else None
                if value is None
                else spec_of(value)
            )
            continue
        try:
            params[field_name] = node.config.model_dump(mode="json", include={field_name})[
                field_name
            ]
        except Exception:  # a value with no JSON form (a callable, say) is kept as it is
            params[field_name] = value
    return {"kind": node.kind, "name": node.name, "params": params}


def _attach(obj: Any, spec: dict[str, Any]) -> None:
    try:
        object.__setattr__(obj, SPEC_ATTR, spec)
        return
    except (AttributeError, TypeError):
        pass
    with contextlib.suppress(TypeError):  # not weak-referenceable: spec_of will say so
        _specs[obj] = spec


def build(spec: Any, *, registry: Any = None) -> Any:
    """Build a component from a spec: a mapping, or the path of a YAML or JSON file.

    The whole tree of nested specs is validated before anything is built.

    :raises SpecError: the spec is not of the documented form.
    :raises ConfigError: a parameter does not validate; the message gives its path.
    :raises UnknownComponentError: a name is not registered; the message suggests near ones.

    Example:
        >>> import tessera
        >>> group = tessera.build({"kind": "group", "name": "so", "params": {"n": 3}})
        >>> tessera.spec_of(group)
        {'kind': 'group', 'name': 'so', 'params': {'n': 3}}
    """
    if isinstance(spec, (str, os.PathLike)):
        spec = load_spec(spec)
    return _instantiate(_validate(_registry(registry), spec, None, ""))


def create(kind: str, name: str, /, *, registry: Any = None, **params: Any) -> Any:
    """Validate ``params`` against the config of ``kind`` ``name`` and build it.

    Example:
        >>> import tessera
        >>> tessera.create("group", "o", n=2).d
        2
    """
    return build({"kind": kind, "name": name, "params": params}, registry=registry)


def validate(spec: Any, *, registry: Any = None) -> dict[str, Any]:
    """Validate a spec without building it and return it with every default filled in."""
    if isinstance(spec, (str, os.PathLike)):
        spec = load_spec(spec)
    return _node_spec(_validate(_registry(registry), spec, None, ""))


def _node_spec(node: _Node) -> dict[str, Any]:
    params = node.config.model_dump(mode="json", exclude=set(node.children))
    for field_name, child in node.children.items():
        if isinstance(child, list):
            params[field_name] = [_node_spec(c) if isinstance(c, _Node) else c for c in child]
        else:
            params[field_name] = _node_spec(child)
    return {"kind": node.kind, "name": node.name, "params": params}


def spec_of(obj: Any) -> dict[str, Any]:
    """The spec, every default filled in, that rebuilds ``obj`` with :func:`build`.

    :raises SpecError: ``obj`` was not built by :func:`create` or :func:`build`.
    """
    spec = getattr(obj, SPEC_ATTR, None)
    if spec is None:
        try:
            spec = _specs.get(obj)
        except TypeError:
            spec = None
    if spec is None:
        raise SpecError(
            f"{type(obj).__name__} object was not built by tessera.create or tessera.build, "
            "so it has no spec; build it with tessera.create(kind, name, **params)"
        )
    return copy.deepcopy(spec)


# Saving


def save(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Save a built component as its spec plus, for modules, its ``state_dict``.

    The file is written next to its destination and renamed into place, so a failed save
    leaves any earlier file intact.
    """
    import torch

    spec = spec_of(obj)
    state = obj.state_dict() if isinstance(obj, torch.nn.Module) else None
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": SAVE_FORMAT, "spec": spec, "state_dict": state}, tmp)
    os.replace(tmp, path)
    return path


def load(path: str | os.PathLike[str], *, registry: Any = None, map_location: Any = "cpu") -> Any:
    """Rebuild a component saved by :func:`save`; weights load with ``weights_only=True``."""
    import torch

    try:
        data = torch.load(Path(path), map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise SpecError(f"saved component '{path}' does not exist") from None
    if not isinstance(data, dict) or data.get("format") != SAVE_FORMAT:
        raise SpecError(f"'{path}' is not a component saved by tessera.save")
    obj = build(data["spec"], registry=registry)
    if data["state_dict"] is not None:
        obj.load_state_dict(data["state_dict"])
    return obj


# Configs from signatures


def config_from_signature(target: Any, name: str) -> type[Config]:
    """A config model whose fields are the keyword parameters of ``target``.

    Used for components registered without a config model. Parameters without an annotation
    accept any value; ``*args`` and ``**kwargs`` are not supported and are left out.
    """
    func = target.__init__ if inspect.isclass(target) else target
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:
        hints = {}
    fields: dict[str, Any] = {}
    for i, (param_name, param) in enumerate(inspect.signature(func).parameters.items()):
        if inspect.isclass(target) and i == 0:
            continue  # self
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(param_name, Any)
        default = ... if param.default is param.empty else param.default
        fields[param_name] = (annotation, default)
    return create_model(name, __base__=Config, **fields)
