"""``tessera run``: the command-line face of :func:`tessera.runs.run`."""

from __future__ import annotations

import argparse
import signal
import sys

from tessera.runs._runner import run

__all__ = ["run_cli"]


def _signal_name(signum: int | None) -> str:
    try:
        return signal.Signals(signum).name if signum else "a signal"
    except ValueError:
        return f"signal {signum}"


def run_cli(args: argparse.Namespace) -> int:
    """Run ``tessera run`` with parsed arguments; returns the exit status.

    0: completed; 1: the task failed (the traceback is in the folder's ``error.txt``);
    128 + N: stopped by signal N after a final checkpoint. Bad input raises a
    :class:`~tessera.errors.TesseraError`, which the command reports on one line with
    status 2.
    """
    result = run(
        args.spec, overrides=args.overrides, out=args.out, resume=args.resume, nproc=args.nproc
    )
    if result.rank != 0:
        return result.exit_code
    folder, report = result.out_dir, result.report
    if result.status == "completed":
        print(f"run folder: {folder}")
        print(f"report:     {report}")
    elif result.status == "interrupted":
        saved = (
            f"the checkpoint at step {result.last_checkpoint} is saved"
            if result.last_checkpoint is not None
            else "no checkpoint was saved"
        )
        print(
            f"tessera run: stopped by {_signal_name(result.signal)}; {saved} in {folder}; "
            f"continue with: tessera run --resume --out {folder}",
            file=sys.stderr,
        )
    else:
        print(
            f"tessera run: error: the run failed: {result.error}; traceback in "
            f"{folder / 'error.txt'}, report in {report}",
            file=sys.stderr,
        )
    return result.exit_code
