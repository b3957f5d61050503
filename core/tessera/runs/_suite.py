"""``suite``: several tasks one after another, each in its own subfolder of the run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.kinds import RunContext, Task

__all__ = ["SuiteTask"]


class SuiteTask(Task):
    """Run task specs in order, each as a child run in a subfolder named after its task.

    Each child is seeded with the suite's seed, checkpoints in its own folder and writes its
    own report; the suite's summary maps each subfolder to the child's summary, and the
    suite's report shows every child's table and plots. On a resume, children that completed
    are not run again.

    :param tasks: task specs (``{name, params}``), or tasks built from them.

    Example:
        >>> suite = SuiteTask(tasks=[{"name": "regression", "params": {"steps": 5}}])
        >>> len(suite.tasks)
        1
    """

    def __init__(self, tasks: list[Any]) -> None:
        if not tasks:
            raise ValueError("suite: 'tasks' is empty; give at least one task spec")
        self.tasks = list(tasks)

    def run(self, context: RunContext) -> dict[str, Any]:
        """Run each task in a subfolder; returns ``{subfolder: summary}``."""
        summary: dict[str, Any] = {}
        names: dict[str, int] = {}
        for task in self.tasks:
            spec = task if isinstance(task, Mapping) else None
            name = _folder(spec, task, names)
            summary[name] = context.run_child(task, name)
        return summary


def _folder(spec: Mapping[str, Any] | None, task: Any, names: dict[str, int]) -> str:
    if spec is not None:
        base = str(spec["name"])
    else:
        from tessera.registry import spec_of

        base = spec_of(task)["name"]
    base = base.replace(":", "-")
    names[base] = names.get(base, 0) + 1
    return base if names[base] == 1 else f"{base}-{names[base]}"
