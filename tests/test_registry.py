"""The registry end to end, with real (temporary) installed distributions."""

from __future__ import annotations

import sys

import pytest

import tessera
from tessera.errors import (
    ComponentClashError,
    ConfigError,
    PluginImportError,
    SpecError,
    UnknownComponentError,
    UnknownKindError,
)
from tessera.registry import Registry

MANIFEST = """
[plugin]
tessera-api = ">=1.0,<2"
summary = "Scaled kernels"
paper = "A paper"
arxiv = "2101.00001"

[[components]]
kind = "kernel"
name = "scaled"
target = "{package}.impl:Scaled"
config = "{package}.configs:ScaledConfig"
summary = "A scaled RBF kernel"
examples = [{{ scale = 2.0 }}]
"""

CONFIGS = """
from tessera.config import Config, component
from pydantic import Field

class ScaledConfig(Config):
    scale: float = Field(1.0, gt=0)
    lengthscale: float = 1.0

class SumConfig(Config):
    parts: list[component("kernel")] = []
"""

IMPL = """
import torch
from tessera.kinds import Kernel

class Scaled(Kernel):
    def __init__(self, scale=1.0, lengthscale=1.0):
        super().__init__()
        self.scale = scale
        self.log_lengthscale = torch.nn.Parameter(torch.tensor(float(lengthscale)).log())

    def forward(self, x1, x2):
        d2 = torch.cdist(x1, x2).pow(2)
        return self.scale * torch.exp(-0.5 * d2 / self.log_lengthscale.exp() ** 2)

    def example_inputs(self, n=8, generator=None):
        return torch.randn(n, 2, generator=generator, dtype=torch.float64)

class Sum(Kernel):
    def __init__(self, parts=()):
        super().__init__()
        self.parts = torch.nn.ModuleList(parts)

    def forward(self, x1, x2):
        return sum(p(x1, x2) for p in self.parts)

    def example_inputs(self, n=8, generator=None):
        return torch.randn(n, 2, generator=generator, dtype=torch.float64)
"""


def install(make_dist, dist="tessera-scaled", package="tessera_scaled", extra="", **kw):
    return make_dist(
        dist,
        package,
        MANIFEST.format(package=package) + extra,
        files={"configs.py": CONFIGS, "impl.py": IMPL},
        **kw,
    )


def test_discovery_is_lazy(make_dist):
    """Discovery reads manifests; the component module is imported only on first use."""
    install(make_dist)
    registry = Registry()
    info = registry.get("kernel", "scaled")
    assert info.distribution == "tessera-scaled"
    assert info.summary == "A scaled RBF kernel"
    assert "tessera_scaled.impl" not in sys.modules
    assert "tessera_scaled" not in sys.modules
    kernel = tessera.create("kernel", "scaled", registry=registry, scale=3.0)
    assert "tessera_scaled.impl" in sys.modules
    assert kernel.scale == 3.0


def test_create_validates_with_field_path(make_dist):
    install(make_dist)
    registry = Registry()
    with pytest.raises(ConfigError, match=r"kernel 'scaled'.*field 'scale'.*-1.0.*greater"):
        tessera.create("kernel", "scaled", registry=registry, scale=-1.0)
    with pytest.raises(ConfigError, match=r"unknown field 'scael' \(fields: scale, lengthscale"):
        tessera.create("kernel", "scaled", registry=registry, scael=1.0)


def test_unknown_names_suggest(make_dist):
    install(make_dist)
    registry = Registry()
    with pytest.raises(UnknownComponentError, match=r"did you mean 'scaled'.*installed: .*scaled"):
        registry.get("kernel", "scaledd")
    with pytest.raises(UnknownKindError, match=r"did you mean 'kernel'"):
        registry.get("kernal", "scaled")


def test_clash_names_both_distributions(make_dist):
    install(make_dist)
    install(make_dist, dist="other-kernels", package="other_kernels", entry="other")
    registry = Registry()
    with pytest.raises(ComponentClashError, match=r"tessera-scaled.*other-kernels"):
        registry.get("kernel", "scaled")
    assert registry.get("kernel", "other:scaled").distribution == "other-kernels"
    assert registry.get("kernel", "scaled:scaled").distribution == "tessera-scaled"


def test_broken_import_is_reported_and_others_work(make_dist):
    install(make_dist)
    make_dist(
        "tessera-broken",
        "tessera_broken",
        MANIFEST.format(package="tessera_broken").replace('name = "scaled"', 'name = "bad"'),
        files={"configs.py": CONFIGS, "impl.py": "raise RuntimeError('boom')\n"},
    )
    registry = Registry()
    with pytest.raises(PluginImportError, match=r"kernel 'bad' of plugin 'broken'.*boom"):
        tessera.create("kernel", "bad", registry=registry)
    status = {p.name: p for p in registry.plugins()}
    assert status["broken"].status == "failed" and "boom" in status["broken"].reason
    assert tessera.create("kernel", "scaled", registry=registry).scale == 1.0


def test_incompatible_api_is_skipped(make_dist):
    install(make_dist)
    make_dist(
        "tessera-future",
        "tessera_future",
        MANIFEST.format(package="tessera_future")
        .replace(">=1.0,<2", ">=2.0")
        .replace('name = "scaled"', 'name = "future"'),
    )
    registry = Registry()
    status = {p.name: p for p in registry.plugins()}
    assert status["future"].status == "incompatible"
    assert ">=2.0" in status["future"].reason
    with pytest.raises(UnknownComponentError):
        registry.get("kernel", "future")
    assert registry.get("kernel", "scaled")


def test_missing_or_invalid_manifest_is_reported(make_dist):
    make_dist("tessera-nomani", "tessera_nomani", None)
    make_dist("tessera-badmani", "tessera_badmani", "[plugin]\nsummary = 1\n")
    registry = Registry()
    status = {p.name: p for p in registry.plugins()}
    assert status["nomani"].status == "failed" and "tessera-plugin.toml" in status["nomani"].reason
    assert status["badmani"].status == "failed" and "tessera-api" in status["badmani"].reason


def test_tessera_plugins_env_limits_loading(make_dist, monkeypatch):
    install(make_dist)
    install(make_dist, dist="other-kernels", package="other_kernels", entry="other")
    monkeypatch.setenv("TESSERA_PLUGINS", "other")
    registry = Registry()
    status = {p.name: p.status for p in registry.plugins()}
    assert status["builtins"] == "loaded" and status["other"] == "loaded"
    assert {s for name, s in status.items() if name not in ("builtins", "other")} == {"disabled"}
    assert registry.get("kernel", "scaled").distribution == "other-kernels"


def test_nested_build_spec_of_and_yaml(make_dist, tmp_path):
    install(
        make_dist,
        extra="""
[[components]]
kind = "kernel"
name = "sum"
target = "tessera_scaled.impl:Sum"
config = "tessera_scaled.configs:SumConfig"
""",
    )
    registry = Registry()
    spec = {
        "kind": "kernel",
        "name": "sum",
        "params": {"parts": ["scaled", {"name": "scaled", "params": {"scale": 2.0}}]},
    }
    kernel = tessera.build(spec, registry=registry)
    assert [p.scale for p in kernel.parts] == [1.0, 2.0]
    resolved = tessera.spec_of(kernel)
    assert resolved["params"]["parts"][1] == {
        "kind": "kernel",
        "name": "scaled",
        "params": {"scale": 2.0, "lengthscale": 1.0},
    }
    path = tmp_path / "kernel.yaml"
    path.write_text("kind: kernel\nname: sum\nparams:\n  parts:\n    - name: scaled\n")
    assert len(tessera.build(path, registry=registry).parts) == 1
    bad = {
        "kind": "kernel",
        "name": "sum",
        "params": {"parts": [{"name": "scaled", "params": {"scale": "x"}}]},
    }
    with pytest.raises(ConfigError, match=r"parts\[0\]: invalid config for kernel 'scaled'"):
        tessera.build(bad, registry=registry)


def test_save_load_round_trip(make_dist, tmp_path):
    import torch

    install(make_dist)
    registry = Registry()
    kernel = tessera.create("kernel", "scaled", registry=registry, lengthscale=0.5)
    with torch.no_grad():
        kernel.log_lengthscale.add_(1.0)
    tessera.save(kernel, tmp_path / "k.pt")
    again = tessera.load(tmp_path / "k.pt", registry=registry)
    assert torch.equal(again.log_lengthscale, kernel.log_lengthscale)


def test_bad_specs_are_clear(tmp_path):
    registry = Registry(autoload=False)
    with pytest.raises(SpecError, match="unknown keys"):
        tessera.build({"kind": "group", "name": "so", "n": 3}, registry=registry)
    with pytest.raises(SpecError, match="does not exist"):
        tessera.build(tmp_path / "missing.yaml", registry=registry)
    (tmp_path / "bad.yaml").write_text("kind: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML at line"):
        tessera.build(tmp_path / "bad.yaml", registry=registry)
    with pytest.raises(SpecError, match=r"not built by tessera\.create"):
        tessera.spec_of(object())


def test_spec_cannot_import_arbitrary_code():
    """A spec can only name registered components; a module path is just an unknown name."""
    registry = Registry(autoload=False)
    with pytest.raises(UnknownComponentError):
        tessera.build({"kind": "model", "name": "os:system"}, registry=registry)


def test_register_by_hand_derives_config(tessera_registry, tessera_register):
    class Thing:
        def __init__(self, width: int = 3, name: str = "a"):
            self.width, self.name = width, name

    tessera_register("model", "thing", Thing)
    assert tessera.create("model", "thing", width=5).width == 5
    with pytest.raises(ConfigError, match="field 'width'"):
        tessera.create("model", "thing", width="wide")
