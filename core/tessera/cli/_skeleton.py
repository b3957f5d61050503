"""``tessera new-plugin``: a plugin skeleton that installs and passes its tests as written."""

from __future__ import annotations

import re
from pathlib import Path

from tessera._version import API_VERSION, __version__
from tessera.errors import TesseraError

__all__ = ["write_skeleton"]

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "tessera-{name}"
version = "0.1.0"
description = "{title} components for Tessera"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["tessera>={core_min},<{core_next}", "torch>=2.1"]

[project.optional-dependencies]
test = ["pytest>=7.4"]

[project.entry-points."tessera.plugins"]
{name} = "{package}"

[tool.setuptools.packages.find]
where = ["src"]

[tool.setuptools.package-data]
{package} = ["tessera-plugin.toml"]
"""

MANIFEST = """\
# Declares this plugin's components to Tessera; read without importing the package.

[plugin]
tessera-api = ">={api},<{api_next}"
summary = "{title} components"

[[components]]
kind = "kernel"
name = "{name}.rbf"
target = "{package}.kernels:RBFKernel"
config = "{package}.configs:RBFKernelConfig"
summary = "Squared-exponential kernel with a learnable length scale"
examples = [{{}}, {{ lengthscale = 0.5, variance = 2.0 }}]
"""

CONFIGS = '''\
"""Config models: kept free of torch so that `tessera show` reads them cheaply."""

from pydantic import Field

from tessera.config import Config


class RBFKernelConfig(Config):
    """Parameters of :class:`{package}.kernels.RBFKernel`."""

    lengthscale: float = Field(1.0, gt=0, description="initial length scale")
    variance: float = Field(1.0, gt=0, description="initial output variance")
    input_dim: int = Field(2, ge=1, description="width of the inputs")
'''

KERNELS = '''\
"""The plugin's kernels."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from tessera.kinds import Kernel


class RBFKernel(Kernel):
    """k(x, x') = variance · exp(−‖x − x'‖² / (2 lengthscale²)).

    Example:
        >>> import torch
        >>> kernel = RBFKernel(lengthscale=1.0)
        >>> float(kernel(torch.zeros(1, 2), torch.zeros(1, 2))[0, 0])
        1.0
    """

    def __init__(self, lengthscale: float = 1.0, variance: float = 1.0, input_dim: int = 2):
        super().__init__()
        self.input_dim = input_dim
        self.log_lengthscale = nn.Parameter(torch.tensor(math.log(lengthscale)))
        self.log_variance = nn.Parameter(torch.tensor(math.log(variance)))

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        x1 = x1 / self.log_lengthscale.exp()
        x2 = x2 / self.log_lengthscale.exp()
        d2 = (x1.pow(2).sum(-1)[:, None] + x2.pow(2).sum(-1)[None] - 2 * x1 @ x2.T).clamp_min(0)
        return self.log_variance.exp() * torch.exp(-0.5 * d2)

    def diag(self, x: Tensor) -> Tensor:
        return self.log_variance.exp().expand(len(x)).to(x.dtype)

    def example_inputs(self, n: int = 8, generator: torch.Generator | None = None) -> Tensor:
        return torch.randn(n, self.input_dim, generator=generator, dtype=torch.float64)
'''

TESTS = """\
import torch

from tessera.testing import parametrize_with_checks

from {package}.kernels import RBFKernel


@parametrize_with_checks("{name}")
def test_conformance(case, check):
    check(case)


def test_rbf_decays_with_distance():
    kernel = RBFKernel(lengthscale=1.0, variance=2.0)
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    k = kernel(x[:1], x)[0]
    assert torch.allclose(k[0], torch.tensor(2.0))
    assert k[0] > k[1] > k[2] > 0
"""

README = """\
# tessera-{name}

{title} components for [Tessera](https://pypi.org/project/tessera/).

```bash
pip install -e .
tessera list kernel '{name}.*'
pytest tests
```

Components are declared in `src/{package}/tessera-plugin.toml`; their config models live in
`configs.py`, which imports no torch. `tests/test_conformance.py` runs Tessera's conformance
kit over every declared component.
"""


def write_skeleton(name: str, directory: str | None = None) -> Path:
    """Write the skeleton of plugin ``name`` and return its folder.

    :raises TesseraError: the name is invalid or the folder exists and is not empty.
    """
    if not _NAME.match(name):
        raise TesseraError(
            f"plugin name {name!r} is invalid; use lower-case letters and digits, words "
            "joined by '-', e.g. 'my-kernels'"
        )
    root = Path(directory) if directory else Path(f"tessera-{name}")
    if root.exists() and any(root.iterdir()):
        raise TesseraError(f"folder '{root}' exists and is not empty; choose another with --dir")
    package = "tessera_" + name.replace("-", "_")
    major, minor = (int(p) for p in API_VERSION.split(".")[:2])
    core = tuple(int(p) for p in __version__.split(".")[:2])
    values = {
        "name": name,
        "package": package,
        "title": name.replace("-", " ").capitalize(),
        "api": f"{major}.{minor}",
        "api_next": str(major + 1),
        "core_min": f"{core[0]}.{core[1]}",
        "core_next": f"{core[0]}.{core[1] + 1}" if core[0] == 0 else str(core[0] + 1),
    }
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"src/{package}/__init__.py": '"""{title} components for Tessera."""\n',
        f"src/{package}/tessera-plugin.toml": MANIFEST,
        f"src/{package}/configs.py": CONFIGS,
        f"src/{package}/kernels.py": KERNELS,
        "tests/test_conformance.py": TESTS,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values), encoding="utf-8")
    return root
