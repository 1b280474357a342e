"""The float32 default path (issue 12): the unit suite turns x64 on, so these checks run in a fresh process
with ``jax_enable_x64`` off, as a user who never touches it would run the package."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import jax, numpy as np, jax.numpy as jnp
    assert not jax.config.jax_enable_x64
    from ssmtheory import ssm, models, train, init
    r = np.random.default_rng(0)
    P, H, L = 8, 3, 300
    lam = 0.97 * np.exp(1j * r.uniform(0, 3, P))
    B = (r.normal(size=(P, H)) + 1j * r.normal(size=(P, H))) / 3
    C = (r.normal(size=(H, P)) + 1j * r.normal(size=(H, P))) / 3
    D = r.normal(size=(H, H))
    u = r.normal(size=(L, H))
    x = np.zeros(P, complex); ref = np.zeros((L, H))
    for k in range(L):
        x = lam * x + B @ u[k]; ref[k] = (C @ x).real + D @ u[k]
    for m in ("scan", "associative", "fft"):
        y = ssm.apply_ssm(lam.astype(np.complex64), B.astype(np.complex64), C.astype(np.complex64),
                          D.astype(np.float32), u.astype(np.float32), method=m)
        assert y.dtype == jnp.float32, (m, y.dtype)
        err = float(np.abs(np.asarray(y) - ref).max() / np.abs(ref).max())
        assert err < 10 * L * 1.2e-7, (m, err)   # the round-off threshold of notebook 00
    h, last = ssm.linear_scan(jnp.asarray(lam, jnp.complex64), jnp.ones((L, P), jnp.complex64))
    assert h.dtype == jnp.complex64
    cfg = models.DeepSSMConfig(d_input=1, d_model=8, d_output=2, n_layers=2, d_state=4)
    p = models.init_params(0, cfg)
    X = r.normal(size=(16, 32, 1)).astype(np.float32); Y = (X.mean(axis=(1, 2)) > 0).astype(np.int32)
    out = models.apply(p, X, cfg)
    assert out.dtype == jnp.float32 and out.shape == (16, 2)
    res = train.fit(lambda q, xb, yb: train.cross_entropy(models.apply(q, xb, cfg), yb), p, (X, Y), steps=20,
                    batch_size=8, seed=0)
    assert not res.diverged and res.steps == 20 and np.all(np.isfinite(res.step_loss))
    print("float32-ok")
    """
)


def test_core_float32_path_in_a_fresh_process():
    env = dict(os.environ, JAX_ENABLE_X64="0", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "float32-ok" in out.stdout
