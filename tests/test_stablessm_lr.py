"""The authors' StableSSM LR-sweep model (ssmtheory.experiments.stablessm_lr) against plain NumPy oracles."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from ssmtheory.experiments import stablessm_lr as sl


def test_init_real_parts_match_the_authors_code():
    for c in sl.CONFIGS:
        p = sl.init_params(jax.random.PRNGKey(0), c, H=4, N=6, n_layers=2)
        re = np.asarray(sl.real_part(c, p["layers"][0]["w"]))
        np.testing.assert_allclose(re, 0.5 if c == "direct" else -0.5, rtol=1e-6)  # direct starts unstable [C]
        lp = p["layers"][1]
        np.testing.assert_allclose(np.asarray(lp["A_imag"][0]), np.pi * np.arange(3), rtol=1e-6)
        dt = np.exp(np.asarray(lp["log_dt"]))
        assert np.all((dt >= 1e-3) & (dt <= 0.1))
    with pytest.raises(ValueError, match="config"):
        sl.init_params(jax.random.PRNGKey(0), "lru")
    with pytest.raises(ValueError, match="N"):
        sl.init_params(jax.random.PRNGKey(0), "exp", N=5)


def test_kernel_is_the_zoh_recurrence():
    p = sl.init_params(jax.random.PRNGKey(1), "best0.5", H=3, N=4, n_layers=1)
    lp = {k: np.asarray(v, np.float64) for k, v in p["layers"][0].items() if k not in ("out", "norm")}
    K = np.asarray(sl.kernel(p["layers"][0], 12, 3, 0.5))
    A = -1 / (lp["w"] ** 2 + 0.5) + 1j * lp["A_imag"]
    dt = np.exp(lp["log_dt"])[:, None]
    C = lp["C"][..., 0] + 1j * lp["C"][..., 1]
    x, ref = np.zeros_like(A), []
    for k in range(12):  # impulse response of x_k = e^{dt A} x_{k-1} + (e^{dt A} - 1)/A u_k, y = 2 Re(C x)
        x = np.exp(dt * A) * x + (np.exp(dt * A) - 1) / A * (k == 0)
        ref.append(2 * np.real((C * x).sum(-1)))
    np.testing.assert_allclose(K, np.stack(ref, -1), rtol=2e-4, atol=2e-5)


def test_apply_matches_a_numpy_forward_pass():
    p = sl.init_params(jax.random.PRNGKey(2), "softplus", H=4, N=4, n_layers=2, d_in=1, d_out=3)
    x = np.random.default_rng(0).normal(size=(2, 10, 1)).astype(np.float32)
    out = np.asarray(sl.apply(p, jnp.asarray(x), 2, 0.1))
    P = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), p)
    v = x.astype(np.float64) @ P["encoder"]["W"].T + P["encoder"]["b"]
    from scipy.special import erf

    for lay, lp in zip(p["layers"], P["layers"]):
        K = np.asarray(sl.kernel(lay, 10, 2, 0.1), np.float64)  # (H, L)
        y = np.array([[np.convolve(v[b, :, h], K[h])[:10] for h in range(4)] for b in range(2)]).transpose(0, 2, 1)
        z = y + v * lp["D"]
        z = 0.5 * z * (1 + erf(z / np.sqrt(2)))
        z = z @ lp["out"]["W"].T + lp["out"]["b"]
        z = z[..., :4] / (1 + np.exp(-z[..., 4:]))
        v = v + z
        v = (v - v.mean(-1, keepdims=True)) / np.sqrt(v.var(-1, keepdims=True) + 1e-5) * lp["norm"]["scale"] + lp["norm"]["bias"]
    ref = v.mean(1) @ P["decoder"]["W"].T + P["decoder"]["b"]
    np.testing.assert_allclose(out, ref, rtol=2e-4, atol=2e-4)


def test_reparam_selection_is_nan_safe():
    w = jnp.asarray([80.0, -3.0, 2.0])
    for c in sl.CONFIGS:
        g = jax.grad(lambda t: sl._f(sl._KIND[c], sl._B.get(c, 0.1), t).sum())(w)
        assert np.all(np.isfinite(np.asarray(g)))
    np.testing.assert_allclose(np.asarray(sl.real_part("best0.1", w)), -1 / (np.asarray(w) ** 2 + 0.1), rtol=1e-6)


def test_tiny_sweep_shapes_and_divergence_bookkeeping():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 8, 1)).astype(np.float32), rng.integers(0, 3, 20)
    r = sl.lr_sweep(x, y, x[:10], y[:10], ("direct", "exp"), [1e-3, 1e4], seeds=(0, 1), steps=4, batch_size=4,
                    H=4, N=4, n_layers=1, test_chunk=5, data_seed=0)
    assert r["diverged"].shape == (2, 2, 2) and r["test_loss"].shape == (2, 2, 2)
    assert np.all(np.isfinite(r["test_loss"][:, :, 0])) and not r["diverged"][:, :, 0].any()
    assert np.all(np.isnan(r["test_loss"][r["diverged"]]))
    with pytest.raises(ValueError, match="lrs"):
        sl.lr_sweep(x, y, x, y, ("exp",), [-1.0], seeds=(0,), data_seed=0)


def _reference_sweep(x, y, xt, yt, configs, lrs, seeds, steps, batch_size, H, N, n_layers, data_seed, wd=0.01):
    """The pre-engine trainer written out run by run: the same numpy batch table for every run, optax.adamw with
    a cosine schedule on every parameter, stop at the first non-finite loss, gradient or parameter."""
    rng = np.random.default_rng(data_seed)
    idx = np.stack([rng.choice(len(y), batch_size, replace=False) for _ in range(steps)])
    out = {}
    for c in configs:
        kind, b = sl._KIND[c], sl._B.get(c, 0.1)
        ce = jax.jit(lambda p, xb, yb: jnp.mean(optax.softmax_cross_entropy_with_integer_labels(
            sl._apply(p, xb, kind, b), yb)))
        vg = jax.jit(jax.value_and_grad(ce))
        for s in seeds:
            for lr in lrs:
                p = sl.init_params(jax.random.PRNGKey(s), c, H, N, n_layers, d_in=x.shape[-1])
                opt = optax.adamw(optax.cosine_decay_schedule(jnp.float32(lr), steps), weight_decay=wd)
                st, hist, dead = opt.init(p), [], -1
                for t in range(steps):
                    l, g = vg(p, x[idx[t]], y[idx[t]])
                    u, st2 = opt.update(g, st, p)
                    p2 = optax.apply_updates(p, u)
                    fin = all(np.all(np.isfinite(np.asarray(a))) for a in jax.tree_util.tree_leaves((l, g, p2)))
                    if not fin:
                        dead = t
                        break
                    p, st = p2, st2
                    hist.append(float(l))
                out[(c, s, lr)] = (dead, None if dead >= 0 else float(ce(p, xt, yt)),
                                   None if dead >= 0 else float(np.mean(hist[-10:])))
    return out


def test_engine_sweep_reproduces_the_written_out_runs():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(24, 8, 1)).astype(np.float32), rng.integers(0, 3, 24)
    kw = dict(configs=("direct", "best0.5"), lrs=[1e-2, 1e4], seeds=(0, 1), steps=12, batch_size=4, H=4, N=4,
              n_layers=1, data_seed=3)
    r = sl.lr_sweep(x, y, x[:10], y[:10], test_chunk=10, **kw)
    ref = _reference_sweep(x, y, x[:10], y[:10], **kw)
    n_div = 0
    for i, c in enumerate(kw["configs"]):
        for j, s in enumerate(kw["seeds"]):
            for k, lr in enumerate(kw["lrs"]):
                dead, tl, trl = ref[(c, s, lr)]
                assert r["diverged"][i, j, k] == (dead >= 0)
                if dead >= 0:
                    n_div += 1
                    assert r["diverged_step"][i, j, k] == dead
                else:
                    np.testing.assert_allclose(r["test_loss"][i, j, k], tl, rtol=1e-5)
                    np.testing.assert_allclose(r["train_loss"][i, j, k], trl, rtol=1e-5)
    assert 0 < n_div < 8  # both branches of the guard are exercised

