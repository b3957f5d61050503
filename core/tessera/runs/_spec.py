"""Run specs: reading them, applying ``--set`` overrides, and planning a run folder.

A run spec names a task and a seed::

    task:
      name: regression
      params: {steps: 200}
    seed: 0

A bare task spec (``{kind: task, name, params}``) is accepted too and runs with seed 0.
Everything here validates; nothing here writes a file.
"""

from __future__ import annotations

import copy
import datetime
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tessera.errors import SpecError, TesseraError

__all__ = [
    "QUICKSTART",
    "RunError",
    "RunPlan",
    "apply_override",
    "normalise_run_spec",
    "prepare",
    "read_run_spec",
]

QUICKSTART = Path(__file__).with_name("quickstart.yaml")
_RUN_KEYS = ("task", "seed")
_TASK_KEYS = {"kind", "name", "params"}
_MAX_SEED = 2**32 - 1


class RunError(TesseraError):
    """A run that cannot start: its folder, its resume state or its launch options."""


@dataclass(frozen=True)
class RunPlan:
    """A validated run: the resolved spec and where it writes.

    :param spec: the run spec with every default filled in: ``{"task": ..., "seed": ...}``.
    :param out_dir: the run folder.
    :param resume: continue the run in ``out_dir`` from its last checkpoint.
    :param name: the run's name, used for the default folder and in the report.
    """

    spec: dict[str, Any]
    out_dir: Path
    resume: bool
    name: str

    @property
    def task_spec(self) -> dict[str, Any]:
        """The resolved task spec."""
        return self.spec["task"]

    @property
    def seed(self) -> int:
        """The seed of torch, numpy and random."""
        return self.spec["seed"]


# Reading


def read_run_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a run spec (or a bare task spec) from a YAML file.

    :raises SpecError: the file is missing, unreadable, not YAML or not a mapping.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise SpecError(f"spec file '{path}' {what}; give the path of a YAML run spec")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"spec file '{path}' cannot be read: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SpecError(f"spec file '{path}' is not valid YAML{where}: {problem}") from None
    if not isinstance(data, Mapping):
        raise SpecError(
            f"spec file '{path}' must hold a mapping such as "
            f"{{task: {{name: regression}}, seed: 0}}, not {type(data).__name__}"
        )
    return dict(data)


def normalise_run_spec(data: Mapping[str, Any], source: str = "spec") -> dict[str, Any]:
    """Bring a run spec or a bare task spec to ``{"task": {...}, "seed": int}``.

    :raises SpecError: unknown keys, a missing task, or a seed that is not an integer.
    """
    data = copy.deepcopy(dict(data))
    if "task" not in data and "name" in data and set(data) <= _TASK_KEYS:
        data = {"task": data}
    extra = sorted(set(data) - set(_RUN_KEYS))
    if extra:
        raise SpecError(
            f"{source} has unknown keys {extra}; a run spec has 'task' and 'seed' "
            "(task parameters go under task.params)"
        )
    if "task" not in data:
        raise SpecError(f"{source} needs 'task', e.g. task: {{name: regression}}")
    task = data["task"]
    if isinstance(task, str):
        task = {"name": task}
    if not isinstance(task, Mapping):
        raise SpecError(
            f"{source}: 'task' must be a mapping with 'name' and 'params', "
            f"not {type(task).__name__}"
        )
    task = dict(task)
    kind = task.setdefault("kind", "task")
    if kind != "task":
        raise SpecError(
            f"{source}: 'task' has kind {kind!r}; a run needs a component of kind "
            "'task' (see `tessera list task`)"
        )
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _MAX_SEED:
        raise SpecError(f"{source}: seed must be an integer in [0, 2**32 - 1], got {seed!r}")
    return {"task": task, "seed": seed}


def _resolve(registry: Any, raw: dict[str, Any], source: str) -> dict[str, Any]:
    from tessera.registry import validate

    run = normalise_run_spec(raw, source)
    return {"task": validate(run["task"], registry=registry), "seed": run["seed"]}


# Overrides


def _parse_override(text: str) -> tuple[list[str], Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise SpecError(f"--set {text!r}: expected KEY.PATH=VALUE, e.g. task.params.steps=100")
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
    parts = key.strip().split(".")
    if any(not p for p in parts):
        raise SpecError(f"--set {text!r}: the key path {key!r} has an empty part")
    return parts, parsed


def _child(node: Any, part: str, where: str, text: str) -> Any:
    """The entry ``part`` of ``node`` in the resolved spec, or an error naming the valid keys."""
    if isinstance(node, Mapping):
        if part not in node:
            keys = ", ".join(sorted(map(str, node))) or "none"
            raise SpecError(
                f"--set {text}: {where or 'the run spec'} has no key {part!r} (keys: {keys})"
            )
        return node[part]
    if isinstance(node, list):
        if not part.isdigit() or int(part) >= len(node):
            raise SpecError(
                f"--set {text}: {where} is a list of {len(node)}; use an index from 0 to "
                f"{len(node) - 1}, not {part!r}"
            )
        return node[int(part)]
    raise SpecError(f"--set {text}: {where} is the value {node!r}, which has no key {part!r}")


def apply_override(raw: dict[str, Any], resolved: dict[str, Any], text: str) -> dict[str, Any]:
    """Apply one ``KEY.PATH=VALUE`` to the raw run spec; the path must exist in ``resolved``.

    Missing intermediate entries of ``raw`` are copied from ``resolved``, so a default can be
    overridden without spelling its parents.

    :returns: a new raw spec.
    :raises SpecError: a malformed override, or a path that is not in the resolved spec.
    """
    parts, value = _parse_override(text)
    node: Any = resolved
    for i, part in enumerate(parts):
        node = _child(node, part, ".".join(parts[:i]), text)
    raw = normalise_run_spec(raw)
    target: Any = raw
    source: Any = resolved
    for part in parts[:-1]:
        key: Any = int(part) if isinstance(target, list) else part
        source = source[key]
        if isinstance(target, list):
            target = target[key]
            continue
        if not isinstance(target.get(key), (Mapping, list)):
            target[key] = copy.deepcopy(source)
        target = target[key]
    last = parts[-1]
    target[int(last) if isinstance(target, list) else last] = value
    return raw


# Planning


def _default_out(name: str) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{name}-{stamp}"
    out, n = base, 1
    while out.exists():
        n += 1
        out = base.with_name(f"{base.name}-{n}")
    return out


def check_writable(out: Path) -> None:
    """Raise :class:`RunError` unless ``out`` can be created (or written, if it exists)."""
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise RunError(f"cannot create run folder '{out}': '{probe}' is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise RunError(f"cannot create run folder '{out}': '{probe}' is not writable")


def _read_status(out: Path) -> str | None:
    import json

    try:
        return json.loads((out / "run.json").read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError):
        return None


def quickstart_spec(registry: Any) -> dict[str, Any]:
    """The quickstart suite, keeping only the tasks whose components are all installed.

    A task is left out, with a log line, when it or any component its spec names is not
    registered (its plugin is not installed or not loaded); any other error in the shipped
    spec is raised.
    """
    import logging

    from tessera.errors import UnknownComponentError
    from tessera.registry import validate

    raw = read_run_spec(QUICKSTART)
    kept = []
    for task in raw["task"]["params"]["tasks"]:
        try:
            validate({"kind": "task", **task}, registry=registry)
        except UnknownComponentError as error:
            logging.getLogger(__name__).info(
                "quickstart: skipping task %r: %s", task["name"], error
            )
            continue
        kept.append(task)
    raw["task"]["params"]["tasks"] = kept
    return raw


def prepare(
    spec: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    overrides: Sequence[str] = (),
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    registry: Any = None,
    check_folder: bool = True,
) -> RunPlan:
    """Validate a run without writing anything.

    :param spec: a run spec (path or mapping); ``None`` runs the quickstart, or with
        ``resume`` the spec saved in ``out``.
    :param overrides: ``KEY.PATH=VALUE`` strings addressing the run spec.
    :param out: the run folder; defaults to ``runs/NAME-TIMESTAMP``.
    :param resume: continue the run in ``out``.
    :param check_folder: check the folder; off on the ranks of a multi-machine run that do
        not write it (they may not see it), which must then be given the spec.
    :raises SpecError, ConfigError, UnknownComponentError: the spec does not validate.
    :raises RunError: the folder cannot be used.
    """
    from tessera.registry import get_registry

    registry = registry if registry is not None else get_registry()
    out_dir = Path(out) if out is not None else None
    name = None

    # The raw spec
    saved = None
    if resume and not check_folder:
        if spec is None and out_dir is not None and (out_dir / "spec.yaml").is_file():
            spec = out_dir / "spec.yaml"
        elif spec is None:
            raise RunError("--resume on a rank that cannot see the run folder needs the spec")
    elif resume:
        if out_dir is None:
            raise RunError("--resume needs --out DIR, the run folder to continue")
        if not (out_dir / "spec.yaml").is_file():
            raise RunError(
                f"cannot resume '{out_dir}': it is not a run folder (no spec.yaml); "
                "give --out of a run that was started before"
            )
        status = _read_status(out_dir)
        if status == "completed":
            raise RunError(
                f"run '{out_dir}' already completed; start a new run with another --out"
            )
        saved = read_run_spec(out_dir / "spec.yaml")
    if spec is None and saved is not None:
        raw, source = saved, f"'{out_dir / 'spec.yaml'}'"
        name = _read_name(out_dir) if out_dir is not None else None
    elif spec is None:
        raw, source, name = quickstart_spec(registry), "the quickstart", "quickstart"
    elif isinstance(spec, Mapping):
        raw, source = dict(spec), "spec"
    else:
        raw, source = read_run_spec(spec), f"spec file '{spec}'"

    # Validation, then the overrides one by one
    resolved = _resolve(registry, raw, source)
    for text in overrides:
        raw = apply_override(raw, resolved, text)
        try:
            resolved = _resolve(registry, raw, f"--set {text}")
        except TesseraError as error:
            message = str(error)
            if not message.startswith("--set"):
                message = f"--set {text}: {message}"
            raise type(error)(message) from None

    if saved is not None and resolved != _resolve(registry, saved, "saved spec"):
        raise RunError(
            f"cannot resume '{out_dir}' with a different spec; drop the spec and --set "
            "options to continue the saved one"
        )
    name = name or resolved["task"]["name"].replace(":", "-")

    # The folder
    if out_dir is None:
        out_dir = _default_out(name)
    if not check_folder:
        return RunPlan(resolved, out_dir, resume, name)
    if not resume and out_dir.exists():
        if not out_dir.is_dir():
            raise RunError(f"cannot create run folder '{out_dir}': it is a file")
        if any(out_dir.iterdir()):
            raise RunError(
                f"run folder '{out_dir}' already exists and is not empty; pass --resume to "
                "continue it, or choose another --out"
            )
    check_writable(out_dir)
    return RunPlan(resolved, out_dir, resume, name)


def _read_name(out: Path) -> str | None:
    import json

    try:
        return json.loads((out / "run.json").read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError):
        return None


def flatten(summary: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """``(dotted key, value)`` pairs of a nested mapping."""
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, name + "/")
        else:
            yield name, value
