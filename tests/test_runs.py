"""The runner: run folders, resume after a kill, signals, seeds, several processes, bad input.

Runs go through the ``tessera`` command in subprocesses. The built-in tasks (``regression``,
``suite``) and the built-in metrics logger are declared by the core's manifest; where this
checkout's manifest does not declare them yet, a temporary plugin declares them, so these
tests hold either way. A second temporary plugin adds a task that fails and a hook that
pauses a run at a chosen step, so that a test can kill or signal it at a known point.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tessera.errors import SpecError
from tessera.registry import Registry, use_registry

STEPS = 60
SPEC = {
    "task": {
        "name": "regression",
        "params": {
            "steps": STEPS,
            "samples": 128,
            "checkpoint_every": 10,
            "eval_every": 10,
        },
    },
    "seed": 3,
}

BUILTIN_TASKS = {
    "regression": ("tessera.runs:RegressionTask", "tessera.runs._configs:RegressionConfig"),
    "suite": ("tessera.runs:SuiteTask", "tessera.runs._configs:SuiteConfig"),
}

TEST_HOOKS = """
import os
import time
from pathlib import Path

from tessera.hooks import hookimpl


@hookimpl(trylast=True)
def tessera_run_metrics(run, step, metrics):
    pause = os.environ.get("TESSERA_TEST_PAUSE_AT")
    if pause is None or step != int(pause):
        return
    if os.environ.get("TESSERA_TEST_PAUSE_RUN", run.name) != run.name:
        return
    Path(os.environ["TESSERA_TEST_PAUSED"]).write_text(str(step))
    deadline = time.monotonic() + 60
    while not run.stop_requested and time.monotonic() < deadline:
        time.sleep(0.01)
"""

TEST_TASKS = """
from tessera.kinds import Task


class FailingTask(Task):
    def __init__(self, fail_at: int = 3):
        self.fail_at = fail_at

    def run(self, context):
        for step in range(10):
            if step == self.fail_at:
                raise ValueError(f"diverged at step {step}")
            context.log_metrics(step, {"loss": 1.0 / (step + 1)})
        return {}
"""


def _dist(site: Path, dist: str, package: str, manifest: str, files: dict[str, str]) -> None:
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        f"[tessera.plugins]\n{dist.removeprefix('tessera-')} = {package}\n"
    )
    pkg = site / package
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tessera-plugin.toml").write_text(textwrap.dedent(manifest))
    for name, text in files.items():
        (pkg / name).write_text(textwrap.dedent(text))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of temporary plugins for the subprocesses' PYTHONPATH."""
    site = tmp_path_factory.mktemp("site")
    builtins = Registry(autoload=False)
    declared = {c.name for c in builtins.components("task")}
    manifest = '[plugin]\ntessera-api = ">=1.0,<2"\nhooks = "tessera_runs_testing.hooks"\n'
    for name, (target, config) in BUILTIN_TASKS.items():
        if name not in declared:
            manifest += (
                f'\n[[components]]\nkind = "task"\nname = "{name}"\n'
                f'target = "{target}"\nconfig = "{config}"\n'
            )
    manifest += (
        '\n[[components]]\nkind = "task"\nname = "failing"\n'
        'target = "tessera_runs_testing.tasks:FailingTask"\n'
    )
    _dist(
        site,
        "tessera-runs-testing",
        "tessera_runs_testing",
        manifest,
        {"hooks.py": TEST_HOOKS, "tasks.py": TEST_TASKS},
    )
    if next(p for p in builtins.plugins() if p.name == "builtins").hooks is None:
        _dist(
            site,
            "tessera-runs-logger",
            "tessera_runs_logger",
            '[plugin]\ntessera-api = ">=1.0,<2"\nhooks = "tessera.runs._logger"\n',
            {},
        )
    return site


@pytest.fixture(scope="module")
def env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TORCHELASTIC", "TESSERA"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.fixture
def registry(site: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """A registry of this process that sees the temporary plugins, for runs in-process."""
    monkeypatch.syspath_prepend(str(site))
    return Registry()


def _command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("tessera")
    if script.exists():
        return [str(script), *args]
    return [
        sys.executable,
        "-c",
        "import sys; from tessera.cli import main; sys.exit(main())",
        *args,
    ]


def tessera(
    env: dict[str, str], *args: str, cwd: Path | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(*args), env={**env, **extra}, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def write_spec(path: Path, spec: dict[str, Any] = SPEC) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(spec))
    return path


def records(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def checkpoint_steps(folder: Path) -> list[int]:
    return sorted(int(p.stem.split("-")[1]) for p in (folder / "checkpoints").glob("*.pt"))


@pytest.fixture(scope="module")
def reference(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run of SPEC."""
    tmp = tmp_path_factory.mktemp("reference")
    out = tmp / "run"
    done = tessera(env, "run", str(write_spec(tmp / "spec.yaml")), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"run folder: {out}" in done.stdout
    assert f"report:     {out / 'report.md'}" in done.stdout
    return out


def start(
    env: dict[str, str], tmp: Path, pause_at: int, spec: dict[str, Any] = SPEC, **extra: str
) -> tuple[subprocess.Popen, Path]:
    """Start a run of ``spec`` that pauses after logging step ``pause_at``; wait for it."""
    out, paused = tmp / "run", tmp / "paused"
    pause = {"TESSERA_TEST_PAUSE_AT": str(pause_at), "TESSERA_TEST_PAUSED": str(paused)}
    process = subprocess.Popen(
        _command("run", str(write_spec(tmp / "spec.yaml", spec)), "--out", str(out)),
        env={**env, **pause, **extra},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not paused.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run did not reach step {pause_at}: {process.communicate()}")
        time.sleep(0.02)
    return process, out


# A complete run


def test_run_folder(reference: Path) -> None:
    """A run writes the resolved spec, metrics, summary, plots, checkpoints and a report."""
    import yaml

    spec = yaml.safe_load((reference / "spec.yaml").read_text())
    assert spec["seed"] == 3
    assert spec["task"]["kind"] == "task"
    assert spec["task"]["params"]["steps"] == STEPS
    assert spec["task"]["params"]["hidden_features"] == 32  # a default, filled in

    rows = records(reference)
    assert [r["step"] for r in rows] == list(range(STEPS))
    assert all("loss" in r for r in rows)
    assert [r["step"] for r in rows if "test_mse" in r] == list(range(9, STEPS, 10))
    csv = (reference / "metrics.csv").read_text().splitlines()
    assert csv[0] == "step,loss,test_mse"
    assert len(csv) == STEPS + 1

    summary = json.loads((reference / "summary.json").read_text())
    assert set(summary) == {"train_loss", "test_mse", "steps"}
    assert summary["test_mse"] == rows[-1]["test_mse"]
    assert summary["test_mse"] < rows[9]["test_mse"]  # it learns

    assert checkpoint_steps(reference) == [49, 59]  # the last two are kept
    assert json.loads((reference / "run.json").read_text())["status"] == "completed"
    report = (reference / "report.md").read_text()
    for plot in ("loss", "fit"):
        assert (reference / "plots" / f"{plot}.png").stat().st_size > 1000
        assert f"![{plot}](plots/{plot}.png)" in report
    assert "| test_mse |" in report


def test_same_seed_same_metrics(env: dict[str, str], reference: Path, tmp_path: Path) -> None:
    """The same spec and seed give the same metrics, bit for bit, in another process."""
    again = tessera(
        env, "run", str(write_spec(tmp_path / "spec.yaml")), "--out", str(tmp_path / "again")
    )
    assert again.returncode == 0, again.stderr
    assert records(tmp_path / "again") == records(reference)
    assert (tmp_path / "again" / "summary.json").read_text() == (
        reference / "summary.json"
    ).read_text()


def test_seed_is_used(registry: Registry, tmp_path: Path) -> None:
    """Another seed gives other data and weights, hence other metrics."""
    import tessera.runs

    spec = {"task": {"name": "regression", "params": {"steps": 2}}, "seed": 0}
    with use_registry(registry):
        results = [
            tessera.runs.run(spec, overrides=[f"seed={seed}"], out=tmp_path / f"{i}")
            for i, seed in enumerate((0, 0, 1))
        ]
    assert all(r.status == "completed" for r in results)
    first = [records(r.out_dir)[0]["loss"] for r in results]
    assert first[0] == first[1] != first[2]


# Interruptions


def test_resume_after_kill(env: dict[str, str], reference: Path, tmp_path: Path) -> None:
    """A run killed after logging past its checkpoint resumes with no record lost or doubled."""
    process, out = start(env, tmp_path, pause_at=25)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert checkpoint_steps(out) == [9, 19]
    assert len(records(out)) == 26  # steps 20 to 25 were logged after the checkpoint

    resumed = tessera(env, "run", "--resume", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert records(out) == records(reference)
    assert json.loads((out / "summary.json").read_text()) == json.loads(
        (reference / "summary.json").read_text()
    )
    assert (out / "metrics.csv").read_text() == (reference / "metrics.csv").read_text()


def test_sigterm_writes_final_checkpoint(
    env: dict[str, str], reference: Path, tmp_path: Path
) -> None:
    """SIGTERM makes the task checkpoint at its next step and exit; --resume finishes it."""
    process, out = start(env, tmp_path, pause_at=33)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert 33 in checkpoint_steps(out)
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert "tessera run --resume --out" in stderr
    assert "Traceback" not in stderr
    assert len(records(out)) == 34

    resumed = tessera(env, "run", "--resume", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert records(out) == records(reference)


def test_failing_run_keeps_its_output(env: dict[str, str], tmp_path: Path) -> None:
    """A task that raises: exit 1, metrics kept, traceback in error.txt, one line on stderr."""
    out = tmp_path / "run"
    spec = write_spec(tmp_path / "spec.yaml", {"task": {"name": "failing"}})
    done = tessera(env, "run", str(spec), "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"tessera run: error: the run failed: ValueError: diverged at step 3; traceback in "
        f"{out / 'error.txt'}, report in {out / 'report.md'}"
    ]
    assert [r["step"] for r in records(out)] == [0, 1, 2]
    assert "Traceback" in (out / "error.txt").read_text()
    assert json.loads((out / "run.json").read_text())["status"] == "failed"
    assert (out / "report.md").exists()


# Several processes


def test_two_processes_match_one(env: dict[str, str], reference: Path, tmp_path: Path) -> None:
    """--nproc 2 splits each global batch over two processes and computes the same fit."""
    out = tmp_path / "ddp"
    done = tessera(
        env, "run", str(write_spec(tmp_path / "spec.yaml")), "--nproc", "2", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "run.json").read_text())["world_size"] == 2
    got, want = records(out), records(reference)
    assert [r["step"] for r in got] == [r["step"] for r in want]
    for a, b in zip(got, want):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4, abs=1e-6)
    summary = json.loads((out / "summary.json").read_text())
    expected = json.loads((reference / "summary.json").read_text())
    assert summary == pytest.approx(expected, rel=1e-4)
    assert (out / "plots" / "loss.png").exists()


# Hooks, in this process


class Recorder:
    """A logger plugin that records every run event."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    from tessera.hooks import hookimpl

    @hookimpl
    def tessera_run_start(self, run: Any) -> None:
        self.events.append(("start", run.out_dir, run.seed, run.rank, run.resumed))

    @hookimpl
    def tessera_run_metrics(self, run: Any, step: int, metrics: dict[str, float]) -> None:
        self.events.append(("metrics", step, sorted(metrics)))

    @hookimpl
    def tessera_run_checkpoint(self, run: Any, step: int, path: Any) -> None:
        self.events.append(("checkpoint", step, Path(path).exists()))

    @hookimpl
    def tessera_run_end(self, run: Any, status: str, summary: dict[str, Any]) -> None:
        self.events.append(("end", status, sorted(summary)))


def test_logger_plugin_sees_every_event(registry: Registry, tmp_path: Path) -> None:
    """A plugin registered on the registry's plugin manager sees start, metrics, checkpoints
    and end, beside the built-in metrics logger."""
    import tessera.runs

    recorder = Recorder()
    registry.plugin_manager.register(recorder)
    out = tmp_path / "run"
    spec = {"task": {"name": "regression", "params": {"steps": 20, "checkpoint_every": 10}}}
    with use_registry(registry):
        result = tessera.runs.run(spec, out=out)
    assert result.status == "completed", result.error

    events = recorder.events
    assert events[0] == ("start", out, 0, 0, False)
    assert [e[1] for e in events if e[0] == "metrics"] == list(range(20))
    assert [e[1:] for e in events if e[0] == "checkpoint"] == [(9, True), (19, True)]
    assert events[-1] == ("end", "completed", ["steps", "test_mse", "train_loss"])
    assert len(records(out)) == 20


# Suites and the quickstart


def test_quickstart(env: dict[str, str], tmp_path: Path) -> None:
    """With no spec, `tessera run` runs the quickstart suite, leaving out the tasks whose
    plugins are not loaded, and says where its report is."""
    out = tmp_path / "quick"
    done = tessera(
        env,
        "run",
        "--out",
        str(out),
        "--set",
        "task.params.tasks.0.params.steps=40",
        TESSERA_PLUGINS="builtins",
    )
    assert done.returncode == 0, done.stderr
    assert f"report:     {out / 'report.md'}" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"regression"}
    assert summary["regression"]["steps"] == 40
    report = (out / "report.md").read_text()
    assert "![loss](regression/plots/loss.png)" in report
    assert "## regression" in report
    assert len(records(out / "regression")) == 40


def test_quickstart_composes_plugins() -> None:
    """With every first-party plugin installed, the quickstart validates in full and builds
    components of five plugins, an E-NF flow with EGNN dynamics among them."""
    from tessera.registry import validate
    from tessera.runs._spec import QUICKSTART, quickstart_spec, read_run_spec

    registry = Registry()
    spec = quickstart_spec(registry)
    shipped = read_run_spec(QUICKSTART)["task"]["params"]["tasks"]
    if len(spec["task"]["params"]["tasks"]) < len(shipped):
        pytest.skip("not every first-party plugin is installed")

    plugins = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            node = dict(enumerate(node))
        if not isinstance(node, dict):
            return
        if {"kind", "name", "params"} <= set(node):
            plugins.add(registry.get(node["kind"], node["name"]).plugin)
        for value in node.values():
            walk(value)

    resolved = validate({"kind": "task", **spec["task"]}, registry=registry)
    walk(resolved)
    assert {"egnn", "emlp", "enf", "dpdp", "bofm"} <= plugins
    enf = next(t for t in resolved["params"]["tasks"] if t["name"] == "enf.dw4")
    assert enf["params"]["flow"]["params"]["dynamics"]["name"] == "egnn"


def test_suite_resumes_its_unfinished_child(env: dict[str, str], tmp_path: Path) -> None:
    """A suite killed in its second child resumes it and does not run the first again; two
    children with the same spec and seed log the same metrics."""
    child = {"name": "regression", "params": {"steps": 30, "checkpoint_every": 10}}
    spec = {"task": {"name": "suite", "params": {"tasks": [child, child]}}, "seed": 5}
    process, out = start(env, tmp_path, 15, spec, TESSERA_TEST_PAUSE_RUN="regression-2")
    process.send_signal(signal.SIGKILL)
    process.communicate()
    first = (out / "regression" / "run.json").read_text()
    assert json.loads(first)["status"] == "completed"
    assert json.loads((out / "regression-2" / "run.json").read_text())["status"] == "running"

    resumed = tessera(env, "run", "--resume", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "regression" / "run.json").read_text() == first  # not run again
    assert records(out / "regression-2") == records(out / "regression")
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary) == ["regression", "regression-2"]
    assert summary["regression"] == summary["regression-2"]


# Bad input


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    (tmp_path / "unknown.yaml").write_text("task: {name: regresion}\n")
    (tmp_path / "broken.yaml").write_text("task: {name: regression\n")
    (tmp_path / "list.yaml").write_text("- regression\n")
    (tmp_path / "extra.yaml").write_text("task: {name: regression}\nepochs: 3\n")
    write_spec(tmp_path / "good.yaml")
    (tmp_path / "file").write_text("")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["unknown.yaml"], "unknown task 'regresion'; did you mean 'regression'"),
        (["missing.yaml"], "spec file 'missing.yaml' does not exist"),
        (["broken.yaml"], "is not valid YAML at line 2"),
        (["list.yaml"], "must hold a mapping"),
        (["extra.yaml"], "unknown keys ['epochs']"),
        (
            ["good.yaml", "--set", "task.params.epochs=3"],
            "task.params has no key 'epochs' (keys: batch_size, checkpoint_every,",
        ),
        (
            ["good.yaml", "--set", "task.parms.steps=3"],
            "task has no key 'parms' (keys: kind, name, params)",
        ),
        (["good.yaml", "--set", "task.params.steps=many"], "field 'steps': got 'many'"),
        (["good.yaml", "--set", "seed=-1"], "seed must be an integer"),
        (["good.yaml", "--set", "steps"], "expected KEY.PATH=VALUE"),
        (["good.yaml", "--out", "file/run"], "'file' is a file"),
        (["good.yaml", "--out", "full"], "already exists and is not empty"),
        (["good.yaml", "--out", "/proc/tessera/run"], "cannot create run folder '/proc/"),
        (["good.yaml", "--nproc", "0"], "--nproc must be a positive number"),
        (["good.yaml", "--resume"], "--resume needs --out"),
        (["good.yaml", "--resume", "--out", "full"], "it is not a run folder"),
    ],
)
def test_bad_input(env: dict[str, str], bad: Path, args: list[str], message: str) -> None:
    """Bad input: exit 2, one line naming the problem, no traceback, no folder created."""
    before = sorted(p.relative_to(bad) for p in bad.rglob("*"))
    done = tessera(env, "run", *args, cwd=bad)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tessera run: error: ")
    assert message in lines[0]
    assert sorted(p.relative_to(bad) for p in bad.rglob("*")) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_out(env: dict[str, str], bad: Path) -> None:
    """An output folder under a read-only folder is refused before anything is written."""
    locked = bad / "locked"
    locked.mkdir(mode=0o500)
    done = tessera(env, "run", "good.yaml", "--out", "locked/run", cwd=bad)
    assert done.returncode == 2
    assert "'locked' is not writable" in done.stderr
    assert not (locked / "run").exists()


# Pieces


def test_override_paths() -> None:
    """--set paths address the resolved spec, list indices included; values are YAML."""
    from tessera.runs import apply_override

    resolved = {
        "task": {
            "kind": "task",
            "name": "suite",
            "params": {
                "tasks": [{"kind": "task", "name": "regression", "params": {"steps": 400}}]
            },
        },
        "seed": 0,
    }
    raw = {"task": {"name": "suite", "params": {"tasks": [{"name": "regression"}]}}}
    new = apply_override(raw, resolved, "task.params.tasks.0.params.steps=5")
    assert new["task"]["params"]["tasks"][0] == {"name": "regression", "params": {"steps": 5}}
    assert raw["task"]["params"]["tasks"][0] == {"name": "regression"}  # not modified
    assert apply_override(raw, resolved, "seed=7")["seed"] == 7
    with pytest.raises(SpecError, match=r"is a list of 1; use an index from 0 to 0"):
        apply_override(raw, resolved, "task.params.tasks.1.name=x")
    with pytest.raises(SpecError, match=r"is the value 400, which has no key 'x'"):
        apply_override(raw, resolved, "task.params.tasks.0.params.steps.x=1")


def test_truncate_records(tmp_path: Path) -> None:
    """Cutting metrics back to a checkpoint drops later records and a half-written line."""
    from tessera.runs._logger import truncate_records

    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 0}\n{"step": 1}\n{"step": 2}\n{"st')
    assert truncate_records(path, 2) == 2
    assert path.read_text() == '{"step": 0}\n{"step": 1}\n'
