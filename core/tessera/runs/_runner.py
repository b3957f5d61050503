"""Running a task spec: validate, open the run folder, seed, run, and record the outcome."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tessera.runs._context import Run, RunInterrupted, StopSignal, seed_everything
from tessera.runs._spec import RunError, RunPlan, prepare

__all__ = ["RunResult", "execute", "open_folder", "run"]

logger = logging.getLogger(__name__)

EXIT_FAILED = 1


@dataclass
class RunResult:
    """How a run ended.

    :param status: ``'completed'``, ``'failed'`` or ``'interrupted'``.
    :param out_dir: the run folder.
    :param exit_code: 0, 1 when the task failed, 128 + the signal number when interrupted.
    :param summary: what the task returned (empty unless completed).
    :param error: ``'Type: message'`` of the failure.
    :param last_checkpoint: the step of the last checkpoint written, if any.
    :param signal: the signal that interrupted the run.
    """

    status: str
    out_dir: Path
    exit_code: int
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    last_checkpoint: int | None = None
    signal: int | None = None
    rank: int = 0

    @property
    def report(self) -> Path:
        """The run's ``report.md``."""
        return self.out_dir / "report.md"


def in_torchrun() -> bool:
    """Whether this process was started by ``torchrun`` (or torch's elastic launcher)."""
    return "TORCHELASTIC_RUN_ID" in os.environ and "WORLD_SIZE" in os.environ


def run(
    spec: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    overrides: Sequence[str] = (),
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    nproc: int = 1,
    registry: Any = None,
) -> RunResult:
    """Run a task spec, as ``tessera run`` does.

    Everything is validated before the run folder is created. Under ``torchrun`` each
    process runs this as its rank; with ``nproc > 1`` the processes are launched here.

    :param spec: a run spec (path or mapping), or ``None`` for the quickstart (or, with
        ``resume``, the spec saved in ``out``).
    :param overrides: ``KEY.PATH=VALUE`` strings, e.g. ``task.params.steps=100``.
    :param out: the run folder; defaults to ``runs/NAME-TIMESTAMP``.
    :param resume: continue the run in ``out`` from its last checkpoint.
    :param nproc: processes to launch on this machine (torch.distributed, gloo backend).
    :param registry: the registry to build from and whose hooks see the run; the
        process-wide one by default. Launched processes use their own process-wide one.
    :raises TesseraError: bad input (the spec, an override, the folder, the options).

    Example:
        >>> import tempfile, tessera.runs
        >>> spec = {"task": {"name": "regression", "params": {"steps": 5}}, "seed": 0}
        >>> result = tessera.runs.run(spec, out=tempfile.mkdtemp())  # doctest: +SKIP
        >>> result.status  # doctest: +SKIP
        'completed'
    """
    from tessera.registry import get_registry

    registry = registry if registry is not None else get_registry()
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise RunError(f"--nproc must be a positive number of processes, got {nproc!r}")
    if in_torchrun():
        if nproc != 1:
            raise RunError(
                "this process was started by torchrun, which sets the processes; drop --nproc"
            )
        from tessera.runs._launch import run_as_rank

        main = os.environ.get("RANK", "0") == "0"
        plan = prepare(
            spec, overrides=overrides, out=out, resume=resume, registry=registry, check_folder=main
        )
        return run_as_rank(plan, registry)
    plan = prepare(spec, overrides=overrides, out=out, resume=resume, registry=registry)
    if nproc > 1:
        from tessera.runs._launch import launch

        return launch(plan, nproc)
    open_folder(plan)
    return execute(plan, registry=registry)


def open_folder(plan: RunPlan) -> None:
    """Create the run folder and write ``spec.yaml`` (a resumed folder is kept as it is).

    :raises RunError: the folder cannot be created or written; nothing is left behind.
    """
    if plan.resume:
        return
    out = plan.out_dir
    created = [p for p in [out, *out.parents] if not p.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
        Run(out, plan.spec, name=plan.name).write_spec()
    except OSError as error:
        for path in created:
            shutil.rmtree(path, ignore_errors=True)
        reason = error.strerror or str(error)
        raise RunError(f"cannot create run folder '{out}': {reason}") from None


def use_agg() -> None:
    """Draw matplotlib figures off-screen (the Agg backend)."""
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")


class _Build:
    """Builds the task inside the run, so that a failing constructor is a failed run."""

    def __init__(self, spec: Mapping[str, Any], registry: Any) -> None:
        self.spec = spec
        self.registry = registry

    def run(self, context: Run) -> dict[str, Any]:
        from tessera.registry import build

        return build(self.spec, registry=self.registry).run(context)


def execute(
    plan: RunPlan,
    *,
    rank: int = 0,
    world_size: int = 1,
    registry: Any = None,
    worker: bool = False,
) -> RunResult:
    """Run a planned task in this process, whose folder :func:`open_folder` created.

    :param rank: this process's rank in a distributed run.
    :param world_size: the number of processes.
    :param worker: this process is one of several (signals are forwarded by the launcher).
    :returns: how the run ended; a failure is recorded in the folder, not raised.
    """
    from tessera.registry import get_registry

    registry = registry if registry is not None else get_registry()
    use_agg()
    stop = StopSignal()
    stop.install(worker=worker)
    context = Run(
        plan.out_dir,
        plan.spec,
        rank=rank,
        world_size=world_size,
        resume=plan.resume,
        registry=registry,
        stop=stop,
        name=plan.name,
    )

    def result(status: str, code: int, **extra: Any) -> RunResult:
        return RunResult(
            status, plan.out_dir, code, last_checkpoint=context.last_checkpoint, rank=rank, **extra
        )

    import torch

    deterministic = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    try:
        seed_everything(plan.seed)
        summary = context.execute(_Build(plan.task_spec, registry))
        return result("completed", 0, summary=summary)
    except RunInterrupted as stopped:
        return result("interrupted", 128 + stopped.signum, signal=stopped.signum)
    except KeyboardInterrupt:
        return result("interrupted", 130, signal=2)
    except SystemExit as stopped:
        code = stopped.code if isinstance(stopped.code, int) else EXIT_FAILED
        return result("interrupted", code, signal=code - 128 if code > 128 else None)
    except Exception as error:
        message = f"{type(error).__name__}: {error}".splitlines()[0]
        if rank != 0:
            logger.error("rank %d failed", rank, exc_info=error)
        return result("failed", EXIT_FAILED, error=message)
    finally:
        stop.uninstall()
        torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
