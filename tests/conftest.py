"""Unit-test configuration: float64 available in JAX (tests pass float32 arrays explicitly where they test it)."""

import os

os.environ.setdefault("MPLBACKEND", "agg")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

# SSMTHEORY_TEST_X64=0 keeps x64 off (tests/test_core_dtypes.py re-runs itself that way, as a user who never
# touches x64 would run the package)
jax.config.update("jax_enable_x64", os.environ.get("SSMTHEORY_TEST_X64", "1") != "0")
