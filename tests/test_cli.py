"""Every ``tessera`` command, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tessera.cli import main

ROOT = Path(__file__).resolve().parents[1]


def tessera(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "tessera.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=600,
    )


def test_plugins_lists_builtins(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "builtins" in out and "tessera" in out and "loaded" in out


def test_list_and_plugins_import_no_torch_and_no_plugin_module():
    code = (
        "import sys\n"
        "from tessera.cli import main\n"
        "main(['list']); main(['plugins'])\n"
        "bad = sorted(m for m in sys.modules if m == 'torch' or m.startswith('tessera_'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_list_filters_by_kind_and_pattern(capsys):
    assert main(["list", "group", "s*"]) == 0
    out = capsys.readouterr().out
    names = {line.split()[1] for line in out.splitlines()[2:]}
    assert names == {"s", "so"}
    assert main(["list", "group", "zzz*"]) == 0
    assert "no group components matching 'zzz*'" in capsys.readouterr().out


def test_unknown_kind_is_one_line_with_exit_2():
    result = tessera("list", "groop")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unknown kind 'groop'; did you mean 'group'" in result.stderr


def test_show_prints_schema_without_torch():
    code = (
        "import sys\n"
        "from tessera.cli import main\n"
        "assert main(['show', 'group', 'so']) == 0\n"
        "assert 'torch' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "group so" in result.stdout and "n" in result.stdout and "int" in result.stdout


def test_show_unknown_name_suggests():
    result = tessera("show", "group", "sso")
    assert result.returncode == 2
    assert "did you mean 'so'" in result.stderr and "installed:" in result.stderr


def test_check_builtins_passes():
    result = tessera("check", "builtins")
    assert result.returncode == 0, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.endswith(" passed, 0 failed") and int(last.split()[0]) > 10


def test_new_plugin_installs_and_passes_its_tests(tmp_path):
    """The skeleton, installed as a real distribution, passes its own tests and `check`."""
    skeleton = tmp_path / "tessera-demo-kernels"
    result = tessera("new-plugin", "demo-kernels", "--dir", str(skeleton))
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(skeleton),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    env = {"PYTHONPATH": os.pathsep.join([str(site), *sys.path[1:]])}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(skeleton / "tests")],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=tmp_path,
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert " passed" in tests.stdout
    listed = tessera("list", "kernel", "demo-kernels.*", env=env)
    assert "demo-kernels.rbf" in listed.stdout
    checked = tessera("check", "demo-kernels", env=env)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.strip().endswith(" passed, 0 failed")


def test_new_plugin_rejects_bad_names(tmp_path):
    result = tessera("new-plugin", "Bad_Name", "--dir", str(tmp_path / "x"))
    assert result.returncode == 2 and "plugin name 'Bad_Name' is invalid" in result.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("args", [["check", "nope"]])
def test_check_unknown_plugin(args):
    result = tessera(*args)
    assert result.returncode == 2 and "no plugin 'nope' is installed" in result.stderr
