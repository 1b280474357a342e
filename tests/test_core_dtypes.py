"""The core in both precisions, against float64 NumPy loops, with per-dtype tolerances (issue 12).

The unit suite runs with ``jax_enable_x64`` on (tests/conftest.py); this module also runs itself once more in a
fresh process with x64 **off** (:func:`test_this_module_with_x64_off`), so the float32 default path a user gets
without touching x64 is exercised by CI.  With x64 off the float64 cases are skipped (JAX cannot hold them).
"""

from __future__ import annotations

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ssmtheory import ssm
from ssmtheory import models, train
from _oracles import loop_channels, loop_mimo, random_channels, random_mimo

X64 = bool(jax.config.jax_enable_x64)
DTYPES = ["float32", "float64"] if X64 else ["float32"]
CDT = {"float32": np.complex64, "float64": np.complex128}
# relative error allowed against the float64 loop: ~ (steps) * eps of the dtype, with headroom
RTOL = {"float32": 2e-4, "float64": 1e-10}


def _rel(a, b):
    a, b = np.asarray(a, np.complex128), np.asarray(b, np.complex128)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


LAYOUTS = {  # layout -> (random system, loop oracle, apply function, seed, L)
    "mimo": (random_mimo, loop_mimo, ssm.apply_ssm, 1, 200),
    "channels": (random_channels, loop_channels, ssm.apply_ssm_channels, 3, 150),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["scan", "associative", "fft"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_apply_matches_loop(layout, dtype, method):
    make, loop, apply, seed, L = LAYOUTS[layout]
    lam, B, C, D = make(np.random.default_rng(seed))
    H_in = B.shape[1] if layout == "mimo" else lam.shape[0]
    u = np.random.default_rng(seed + 1).standard_normal((L, H_in))
    ref = loop(lam, B, C, D, u)
    y = apply(lam.astype(CDT[dtype]), B.astype(CDT[dtype]), C.astype(CDT[dtype]), D.astype(dtype), u.astype(dtype),
              method=method)
    assert y.dtype == jnp.dtype(dtype)
    assert _rel(y, ref) < RTOL[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["scan", "associative"])
@pytest.mark.parametrize("reverse", [False, True])
def test_linear_scan_value_and_gradient(dtype, method, reverse):
    rng = np.random.default_rng(5)
    a = (0.9 * np.exp(1j * rng.uniform(0, 3, (60, 4)))).astype(CDT[dtype])
    b = (rng.standard_normal((60, 4)) + 1j * rng.standard_normal((60, 4))).astype(CDT[dtype])
    idx = range(59, -1, -1) if reverse else range(60)
    h, ref = np.zeros(4, complex), np.zeros((60, 4), complex)
    for k in idx:
        h = a[k].astype(complex) * h + b[k]
        ref[k] = h
    y, last = ssm.linear_scan(jnp.asarray(a), jnp.asarray(b), reverse=reverse, method=method)
    assert y.dtype == jnp.dtype(CDT[dtype]) and _rel(y, ref) < RTOL[dtype]
    assert _rel(last, ref[0 if reverse else -1]) < RTOL[dtype]

    # gradient of sum |h|^2 w.r.t. b: the loop's adjoint, by central differences in float64 is too slow here,
    # so compare the two methods' gradients with each other and with the x64 scan
    def loss(bb, m):
        return jnp.sum(jnp.abs(ssm.linear_scan(jnp.asarray(a), bb, reverse=reverse, method=m)[0]) ** 2)

    g = jax.grad(loss)(jnp.asarray(b), method)
    g_scan = jax.grad(loss)(jnp.asarray(b), "scan")
    assert _rel(g, g_scan) < RTOL[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
def test_model_forward_and_training_step(dtype):
    cfg = models.DeepSSMConfig(d_input=1, d_model=8, d_output=2, n_layers=2, d_state=4, dtype=dtype)
    p = models.init_params(0, cfg)
    rng = np.random.default_rng(6)
    X = rng.standard_normal((16, 32, 1)).astype(dtype)
    Y = (X.mean(axis=(1, 2)) > 0).astype(np.int32)
    out = models.apply(p, X, cfg)
    assert out.dtype == jnp.dtype(dtype) and out.shape == (16, 2)
    # the jitted model (stability stated by the model) equals the eager one
    out_jit = jax.jit(lambda q, x: models.apply(q, x, cfg))(p, X)
    assert _rel(out_jit, out) < RTOL[dtype]
    res = train.fit(lambda q, xb, yb: train.cross_entropy(models.apply(q, xb, cfg), yb), p, (X, Y), steps=10,
                    batch_size=8, seed=0)
    assert not res.diverged and np.all(np.isfinite(res.step_loss))


def test_this_module_with_x64_off():
    """Run this module again in a fresh process with ``jax_enable_x64`` off (the float32 default path)."""
    if os.environ.get("SSMTHEORY_TEST_X64") == "0":
        pytest.skip("already the x64-off run")
    env = dict(os.environ, SSMTHEORY_TEST_X64="0", JAX_ENABLE_X64="0", JAX_PLATFORMS="cpu")
    env.pop("PYTEST_XDIST_WORKER", None)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", __file__],
                         capture_output=True, text=True, env=env, timeout=900,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert " passed" in out.stdout and "failed" not in out.stdout
