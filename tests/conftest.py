"""Unit-test configuration: float64 available in JAX (tests pass float32 arrays explicitly where they test it)."""

import os

os.environ.setdefault("MPLBACKEND", "agg")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
