"""The run context a task receives: metrics, checkpoints, plots, progress and stop requests.

A run folder holds::

    spec.yaml         the resolved run spec (every default filled in)
    run.json          name, status ('running', 'completed', 'failed', 'interrupted'), times
    metrics.jsonl     one JSON object per log_metrics call, with its 'step' (hook plugin)
    metrics.csv       the same as a table, written when the run ends (hook plugin)
    summary.json      what Task.run returned
    plots/NAME.png    figures saved with save_plot
    checkpoints/      step-XXXXXXXX.pt, the last two kept
    report.md         summary table and plots (and those of child runs, for suites)
    error.txt         the traceback, when the run failed

Only rank 0 writes. A checkpoint records how many metric records were logged before it, so a
resumed run truncates ``metrics.jsonl`` back to that point and logs the rest again: a run
killed at any moment resumes with no record lost or duplicated.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import re
import signal
import traceback
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any

from tessera.runs._progress import Progress

__all__ = ["CHECKPOINT_FORMAT", "KEEP_CHECKPOINTS", "Run", "RunInterrupted", "StopSignal"]

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "tessera.checkpoint/1"
KEEP_CHECKPOINTS = 2
_CHECKPOINT = re.compile(r"^step-(\d+)\.pt$")
_PLOT_NAME = re.compile(r"^[\w.\-]+$")


class RunInterrupted(BaseException):
    """Raised inside a task once a stop was requested and its state is safe on disk.

    Like :class:`KeyboardInterrupt` it is not an :class:`Exception`, so a task's own
    ``except Exception`` does not swallow it.
    """

    def __init__(self, signum: int, step: int | None = None) -> None:
        super().__init__(
            f"stopped by {_signal_name(signum)}"
            + (f" after the checkpoint at step {step}" if step is not None else "")
        )
        self.signum = signum
        self.step = step


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class StopSignal:
    """SIGINT and SIGTERM turned into a request that the task sees at its next step.

    In a single process a second signal stops at once (without a checkpoint); in a
    distributed worker repeats are ignored, since the launcher forwards the signal it got
    and ends workers that outlive its shutdown timeout.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}
        self._worker = False

    @property
    def requested(self) -> bool:
        """Whether a stop was requested."""
        return self.signum is not None

    def install(self, *, worker: bool = False) -> None:
        """Catch SIGINT and SIGTERM (main thread only; elsewhere this does nothing)."""
        import threading

        if threading.current_thread() is not threading.main_thread():
            return
        self._worker = worker
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        """Restore the handlers found by :meth:`install`."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            logger.warning(
                "%s received: stopping at the next checkpoint (send it again to stop at once)",
                _signal_name(signum),
            )
            return
        if self._worker:
            return
        self.uninstall()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)


def seed_everything(seed: int) -> None:
    """Seed ``random``, numpy and torch, and ask torch for deterministic algorithms."""
    import numpy as np
    import torch

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def _rng_state() -> dict[str, Any]:
    import numpy as np
    import torch

    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "random": random.getstate(),
        "numpy": {
            "name": name,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
        "torch": torch.get_rng_state(),
    }


def _set_rng_state(state: Mapping[str, Any]) -> None:
    import numpy as np
    import torch

    version, internal, gauss = state["random"]
    random.setstate((version, tuple(internal), gauss))
    n = state["numpy"]
    np.random.set_state(
        (n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"])
    )
    torch.set_rng_state(state["torch"])


def to_json(value: Any, where: str = "value") -> Any:
    """``value`` as JSON data: tensors and numpy values become numbers and lists.

    :raises TypeError: a value with no JSON form; the message names ``where`` it was.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_json(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return to_json(tolist(), where)
    raise TypeError(
        f"{where}: {type(value).__name__} {value!r} has no JSON form; return "
        "numbers, strings, lists, mappings, tensors or numpy arrays"
    )


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` beside ``path`` and rename it into place."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _broadcast(value: Any, world_size: int) -> Any:
    if world_size <= 1:
        return value
    import torch.distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


class Run:
    """The context of one run (or of one child run of a suite); implements ``RunContext``.

    Tasks receive it from the runner; they do not build it. Hook implementations receive it
    as ``run``: ``out_dir``, ``spec``, ``seed``, ``rank``, ``world_size``, ``resumed``,
    ``resume_step``, ``resume_records``, ``name``, ``parent`` and ``stop_requested``.

    :param out_dir: the run folder.
    :param spec: the resolved run spec, ``{"task": ..., "seed": ...}``.
    :param rank: this process's rank; only rank 0 writes.
    :param world_size: the number of processes.
    :param resume: continue from the last checkpoint in ``out_dir``.
    :param registry: whose hooks receive the run events; ``None`` calls no hooks.
    :param parent: the run of the suite this run is part of.
    :param stop: the shared stop request; a fresh one by default.

    Example:
        >>> import tempfile
        >>> run = Run(tempfile.mkdtemp(), {"task": {"name": "demo"}, "seed": 0})
        >>> (run.seed, run.rank, run.world_size, run.resumed)
        (0, 0, 1, False)
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        spec: Mapping[str, Any],
        *,
        rank: int = 0,
        world_size: int = 1,
        resume: bool = False,
        registry: Any = None,
        parent: Run | None = None,
        stop: StopSignal | None = None,
        name: str | None = None,
        position: int = 0,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.spec = dict(spec)
        self.seed: int = int(self.spec.get("seed", 0))
        self.rank = rank
        self.world_size = world_size
        self.resumed = resume
        self.registry = registry
        self.parent = parent
        self.name = name or str(self.spec.get("task", {}).get("name", "run")).replace(":", "-")
        self.position = position
        self.status = "created"
        self.resume_step: int | None = None
        self.resume_records = 0
        self.last_checkpoint: int | None = None
        self.summary: dict[str, Any] = {}
        self._stop = stop if stop is not None else StopSignal()
        self._agreed_stop: int | None = None
        self._checkpointing = False
        self._records = 0
        self._payload: dict[str, Any] | None = None
        self._bar: Progress | None = None
        self._children: set[str] = set()
        self._started = ""

    def __repr__(self) -> str:
        return f"Run({str(self.out_dir)!r}, rank={self.rank}, status={self.status!r})"

    @property
    def is_main(self) -> bool:
        """Whether this process writes the run folder (rank 0)."""
        return self.rank == 0

    @property
    def stop_requested(self) -> bool:
        """Whether SIGINT or SIGTERM asked the run to stop."""
        return self._stop.requested or self._agreed_stop is not None

    # Life cycle

    def _hook(self, name: str, **kwargs: Any) -> None:
        if self.is_main and self.registry is not None:
            getattr(self.registry.hook, name)(run=self, **kwargs)

    def _write_status(self, **extra: Any) -> None:
        data = {
            "name": self.name,
            "status": self.status,
            "task": self.spec["task"]["name"],
            "seed": self.seed,
            "world_size": self.world_size,
            "position": self.position,
            "started": self._started,
            **extra,
        }
        write_atomic(self.out_dir / "run.json", json.dumps(data, indent=2) + "\n")

    def write_spec(self) -> None:
        """Write ``spec.yaml``, the resolved run spec (rank 0)."""
        if not self.is_main:
            return
        import yaml

        self.out_dir.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(self.spec, sort_keys=False, default_flow_style=False)
        write_atomic(self.out_dir / "spec.yaml", text)

    def start(self) -> None:
        """Find the checkpoint to resume from, mark the run as running and call the hooks."""
        self._started = _now()
        self.status = "running"
        if self.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            if self.resumed:
                (self.out_dir / "error.txt").unlink(missing_ok=True)  # an earlier attempt's
                self._payload = self._read_last_checkpoint()
                if self._payload is not None:
                    self.resume_step = int(self._payload["step"])
                    self.resume_records = int(self._payload["records"])
                    self.last_checkpoint = self.resume_step
                    logger.info(
                        "%s: resuming after the checkpoint at step %d",
                        self.out_dir,
                        self.resume_step,
                    )
            self._records = self.resume_records
            self._write_status()
        self._hook("tessera_run_start")

    def execute(self, task: Any) -> dict[str, Any]:
        """Run ``task`` in this context and write its outcome; exceptions propagate.

        :returns: the task's summary, as JSON data.
        """
        self.start()
        try:
            result = task.run(self)
            if not isinstance(result, Mapping):
                raise TypeError(
                    f"{type(task).__name__}.run returned "
                    f"{type(result).__name__}; a task returns a dict of metrics"
                )
            summary = to_json(dict(result), "summary")
        except (RunInterrupted, KeyboardInterrupt, SystemExit):
            self.finish("interrupted")
            raise
        except BaseException as error:
            self.finish("failed", error=error)
            raise
        self.finish("completed", summary)
        return summary

    def finish(
        self,
        status: str,
        summary: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Record how the run ended: summary or error, status, hooks and report."""
        from tessera.runs._report import write_report

        if self._bar is not None:
            self._bar.close()
        self.status = status
        self.summary = dict(summary or {})
        if not self.is_main:
            return
        if status == "completed":
            write_atomic(self.out_dir / "summary.json", json.dumps(self.summary, indent=2) + "\n")
        extra: dict[str, Any] = {"ended": _now()}
        if error is not None:
            text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            write_atomic(self.out_dir / "error.txt", text)
            extra["error"] = f"{type(error).__name__}: {error}".splitlines()[0]
        if self.last_checkpoint is not None:
            extra["last_checkpoint"] = self.last_checkpoint
        self._write_status(**extra)
        try:
            self._hook("tessera_run_end", status=status, summary=self.summary)
        finally:
            write_report(self.out_dir)

    # Metrics and progress

    def log_metrics(self, step: int, metrics: Mapping[str, Any]) -> None:
        """Stream ``metrics`` for ``step``; rank 0 passes them to the hooks (the log).

        Values are numbers or 0-d tensors. Every rank may call it; only rank 0 records.
        A task that never checkpoints is stopped here after a stop request.

        :raises TypeError: a value is not a number.
        """
        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"log_metrics: step must be an int, got {step!r}")
        clean = {str(k): _number(k, v, step) for k, v in metrics.items()}
        if self.is_main:
            self._hook("tessera_run_metrics", step=step, metrics=clean)
            self._records += 1
            if self._bar is not None:
                self._bar.show(clean)
        if self._stop.requested and not self._checkpointing:
            raise RunInterrupted(self._stop.signum or signal.SIGINT)

    def progress(self, total: int | None, description: str = "", initial: int = 0) -> Progress:
        """A progress bar over the task's own counter (drawn by rank 0 on a terminal).

        It shows the metrics last logged. Use it as a context manager.
        """
        self._bar = Progress(
            total, description or self.name, initial=initial, enabled=self.is_main
        )
        return self._bar

    # Checkpoints

    def should_checkpoint(self, step: int, every: int) -> bool:
        """Whether to save a checkpoint after ``step``: every ``every`` steps, or to stop.

        With several processes it is a collective call (the ranks agree on stopping), so
        every rank calls it at every step.
        """
        self._checkpointing = True
        if self.world_size > 1:
            import torch
            import torch.distributed as dist

            flag = torch.tensor([self._stop.signum or 0])
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            self._agreed_stop = int(flag.item()) or None
            stop = self._agreed_stop is not None
        else:
            stop = self._stop.requested
        return stop or (step + 1) % every == 0

    def save_checkpoint(self, step: int, state: Mapping[str, Any]) -> None:
        """Write the task's ``state`` after ``step`` (rank 0); every rank calls it.

        The state holds tensors, numbers, strings, lists and dicts (what ``state_dict``
        returns). The runner adds the random-number generators' states and the count of
        metric records logged so far. When a stop was requested, this raises
        :class:`RunInterrupted` after writing.
        """
        import torch

        self._checkpointing = True
        if self.is_main:
            folder = self.out_dir / "checkpoints"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"step-{step:08d}.pt"
            payload = {
                "format": CHECKPOINT_FORMAT,
                "step": step,
                "records": self._records,
                "state": dict(state),
                "rng": _rng_state(),
            }
            tmp = path.with_name(path.name + ".tmp")
            torch.save(payload, tmp)
            os.replace(tmp, path)
            for old in self._checkpoints()[:-KEEP_CHECKPOINTS]:
                old[1].unlink(missing_ok=True)
            self._hook("tessera_run_checkpoint", step=step, path=path)
        self.last_checkpoint = step
        signum = self._agreed_stop if self.world_size > 1 else self._stop.signum
        if signum is not None:
            raise RunInterrupted(signum, step)

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The state of the checkpoint this run resumes from, or ``None`` on a fresh run.

        It also restores the random-number generators as they were at that checkpoint.
        With several processes it is a collective call: rank 0 reads, the others receive.
        """
        payload = _broadcast(self._payload, self.world_size)
        if payload is None:
            return None
        _set_rng_state(payload["rng"])
        self.resume_step = int(payload["step"])
        return payload["state"]

    def _checkpoints(self) -> list[tuple[int, Path]]:
        folder = self.out_dir / "checkpoints"
        if not folder.is_dir():
            return []
        found = [
            (int(m.group(1)), p) for p in folder.iterdir() if (m := _CHECKPOINT.match(p.name))
        ]
        return sorted(found)

    def _read_last_checkpoint(self) -> dict[str, Any] | None:
        import torch

        found = self._checkpoints()
        if not found:
            return None
        path = found[-1][1]
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"checkpoint '{path}' was not written by the tessera runner")
        return payload

    # Plots

    def save_plot(self, name: str, figure: Any) -> Path:
        """Save a matplotlib figure as ``plots/NAME.png`` (rank 0); the report shows it."""
        if not _PLOT_NAME.match(name):
            raise ValueError(
                f"plot name {name!r} is not a file name; use letters, digits, '_', '-' and '.'"
            )
        path = self.out_dir / "plots" / f"{name}.png"
        if self.is_main:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{name}.png.tmp")
            figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
            os.replace(tmp, path)
        import sys

        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close(figure)
        return path

    # Child runs

    def run_child(self, spec: Any, name: str | None = None) -> dict[str, Any]:
        """Run a task spec (or a task built from one) in a subfolder; returns its summary.

        The child is seeded with this run's seed, so it computes what it computes alone.
        A child that completed before a resume is not run again.
        """
        from tessera.registry import build, spec_of, validate

        if not isinstance(spec, Mapping):
            spec = spec_of(spec)
        resolved = validate(dict(spec), registry=self.registry)
        base = name or resolved["name"].replace(":", "-")
        name, n = base, 1
        while name in self._children:
            n += 1
            name = f"{base}-{n}"
        self._children.add(name)
        out = self.out_dir / name

        done = None
        if self.is_main and self.resumed and (out / "summary.json").is_file():
            try:
                status = json.loads((out / "run.json").read_text(encoding="utf-8"))["status"]
                if status == "completed":
                    done = json.loads((out / "summary.json").read_text(encoding="utf-8"))
            except (OSError, ValueError, KeyError):
                done = None
        done = _broadcast(done, self.world_size)
        if done is not None:
            logger.info("%s: completed before, not run again", out)
            return done

        seed_everything(self.seed)
        task = build(resolved, registry=self.registry)
        child = Run(
            out,
            {"task": resolved, "seed": self.seed},
            rank=self.rank,
            world_size=self.world_size,
            resume=self.resumed and out.exists(),
            registry=self.registry,
            parent=self,
            stop=self._stop,
            name=name,
            position=len(self._children) - 1,
        )
        child.write_spec()
        return child.execute(task)


def _number(key: Any, value: Any, step: int) -> int | float:
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (int, float)):
        with contextlib.suppress(ValueError, RuntimeError):  # not a 1-element tensor
            value = item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    raise TypeError(
        f"log_metrics: metric {key!r} at step {step} is {value!r}, not a number; "
        "log floats or 0-d tensors"
    )
