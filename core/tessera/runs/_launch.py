"""Several processes: ``--nproc N`` through torch's elastic launcher, and ``torchrun`` ranks.

``tessera run SPEC --nproc N`` validates the spec, creates the run folder, then starts N
workers with :func:`torch.distributed.launcher.api.elastic_launch` (what ``torchrun`` uses),
each a ``python -m tessera.runs._worker`` process that joins a gloo process group and runs
the same spec as its rank. Under ``torchrun``
every process runs ``tessera run`` itself and :func:`run_as_rank` takes over.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from tessera.runs._context import write_atomic
from tessera.runs._runner import EXIT_FAILED, RunResult, execute, open_folder
from tessera.runs._spec import RunError, RunPlan

__all__ = ["launch", "run_as_rank", "worker_main"]

logger = logging.getLogger(__name__)

BACKEND = "gloo"


def _init(local_world_size: int) -> tuple[int, int]:
    import torch
    import torch.distributed as dist

    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, local_world_size)))
    if not dist.is_initialized():
        dist.init_process_group(BACKEND)
    return dist.get_rank(), dist.get_world_size()


def _close(result: RunResult | None, *, destroy: bool = True) -> None:
    """Leave the process group; after a run that ended alike on every rank, together.

    A rank that leaves while another still holds the group can abort the other in gloo, so
    ranks that completed (or stopped at the agreed step) wait for each other first.
    """
    import torch.distributed as dist

    if result is not None and result.status in ("completed", "interrupted"):
        dist.barrier()
    if destroy:
        dist.destroy_process_group()


def worker_main(argv: list[str] | None = None) -> int:
    """One launched process: join the group, run the folder's spec as this rank.

    ``python -m tessera.runs._worker OUT_DIR NAME [--resume] [--log-level N]``; the
    launcher sets ``RANK``, ``WORLD_SIZE`` and the rendezvous variables. The group is not
    destroyed: the worker module ends the process at once with the returned status, since
    gloo's teardown at exit now and then aborts a process whose run has completed.
    """
    import argparse

    import yaml

    parser = argparse.ArgumentParser(prog="tessera.runs._worker")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("name")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--log-level", type=int, default=logging.WARNING)
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    spec = yaml.safe_load((args.out_dir / "spec.yaml").read_text(encoding="utf-8"))
    plan = RunPlan(spec, args.out_dir, args.resume, args.name)
    rank, world_size = _init(int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    result = None
    try:
        result = execute(plan, rank=rank, world_size=world_size, worker=True)
        return result.exit_code
    finally:
        _close(result, destroy=False)


def launch(plan: RunPlan, nproc: int) -> RunResult:
    """Run ``plan`` on ``nproc`` local processes; returns rank 0's outcome.

    The workers are ``python -m tessera.runs._worker`` processes, as ``torchrun`` would
    start them; they read the resolved spec from the run folder.

    :raises RunError: torch.distributed is not available, or the folder cannot be created.
    """
    import torch.distributed as dist

    if not dist.is_available():
        raise RunError(
            "--nproc needs torch.distributed, which this torch build lacks; run with --nproc 1"
        )
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    open_folder(plan)
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        # The launcher reports each worker it starts and stops; -v shows it.
        for name in list(logging.root.manager.loggerDict):
            if name.startswith("torch.distributed.elastic"):
                logging.getLogger(name).setLevel(logging.ERROR)
    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=nproc,
        run_id=str(uuid.uuid4()),
        rdzv_backend="c10d",
        rdzv_endpoint="localhost:0",
        max_restarts=0,
        monitor_interval=0.1,
    )
    args = [
        "-m",
        "tessera.runs._worker",
        str(plan.out_dir),
        plan.name,
        "--log-level",
        str(logging.getLogger().getEffectiveLevel()),
    ]
    if plan.resume:
        args.append("--resume")
    try:
        elastic_launch(config, sys.executable)(*args)
    except SignalException as stopped:
        signum = int(stopped.sigval)
        return _outcome(plan, 128 + signum, signum)
    except ChildFailedError as failure:
        rank, first = failure.get_first_failure()
        recorded = _outcome(plan, 0, None)
        if recorded.status == "completed":
            logger.warning(
                "worker %d exited with status %d after the run completed; %s is complete",
                rank,
                first.exitcode,
                plan.out_dir,
            )
            return recorded
        root = failure.failures.get(0)
        if root is not None and root.exitcode > 0:
            outcome = _outcome(plan, root.exitcode, None)
            if outcome.status in ("failed", "interrupted"):
                return outcome  # rank 0 recorded why
        # A worker died without recording why (killed, or crashed in native code).
        error = f"worker {rank} exited with status {first.exitcode}"
        write_atomic(plan.out_dir / "error.txt", failure.format_msg())
        _mark_failed(plan, error)
        return RunResult("failed", plan.out_dir, EXIT_FAILED, error=error)
    return _outcome(plan, 0, None)


def _mark_failed(plan: RunPlan, error: str) -> None:
    path = plan.out_dir / "run.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {"name": plan.name, "task": plan.task_spec["name"], "seed": plan.seed}
    info.update(status="failed", error=error)
    write_atomic(path, json.dumps(info, indent=2) + "\n")


def _outcome(plan: RunPlan, code: int, signum: int | None) -> RunResult:
    """Rank 0's outcome, read back from the run folder."""
    try:
        info = json.loads((plan.out_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    status = info.get("status", "failed" if code else "completed")
    summary = {}
    if status == "completed" and code == 0:
        summary = json.loads((plan.out_dir / "summary.json").read_text(encoding="utf-8"))
    if signum is None and code > 128:
        signum = code - 128
    return RunResult(
        status, plan.out_dir, code, summary, info.get("error"), info.get("last_checkpoint"), signum
    )


def run_as_rank(plan: RunPlan, registry: Any) -> RunResult:
    """Run ``plan`` as this process's rank of a ``torchrun`` job.

    Rank 0 creates the folder and tells the others its path (the default path has a
    timestamp); a folder that cannot be created stops every rank.
    """
    import torch.distributed as dist

    rank, world_size = _init(int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    result = None
    try:
        error = None
        if rank == 0:
            try:
                open_folder(plan)
            except RunError as failure:
                error = str(failure)
        box = [error, str(plan.out_dir)]
        dist.broadcast_object_list(box, src=0)
        if box[0] is not None:
            raise RunError(box[0])
        plan = replace(plan, out_dir=type(plan.out_dir)(box[1]))
        result = execute(plan, rank=rank, world_size=world_size, registry=registry, worker=True)
        return result
    finally:
        _close(result)
