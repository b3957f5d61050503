"""Mixed-variable Bayesian optimisation with frequency-modulated kernels, for Tessera.

Components (declared in ``tessera-plugin.toml``): kernels ``fm``, ``diffusion-additive``
and ``diffusion-product``; problems ``func2c``, ``func3c``, ``ackley5c`` and
``svr-diabetes``; task ``bofm.compare``. Use them by name::

    import tessera

    task = tessera.create(
        "task", "bo", problem={"name": "func2c"},
        surrogate={"name": "gp", "params": {"kernel": {"name": "fm"}}},
    )

References:
    | Mixed Variable Bayesian Optimization with Frequency Modulated Kernels
      (Oh, Gavves and Welling, 2021)
    | https://arxiv.org/abs/2102.12792
"""

from __future__ import annotations

__all__: list[str] = []
