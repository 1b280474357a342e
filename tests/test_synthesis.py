"""Synthesis helpers against independent references (training itself is exercised by notebook 06)."""

import jax
import numpy as np
import pytest

from ssmtheory import models, norms, synthesis
from _oracles import random_channels, random_mimo


def _systems_channels(rng):
    lam, B, C, D = random_channels(rng, H=3, N=4, radius=0.95)
    return [{"Lambda_bar": lam, "B_bar": B, "C": C, "D": D, "conj_sym": True, "kind": "channels"}]


def test_worst_gain_matches_hinf_channels():
    s = _systems_channels(np.random.default_rng(0))[0]
    ref = max(norms.hinf_norm(*norms.layer_to_standard(s["Lambda_bar"][h], s["B_bar"][h][:, None], s["C"][h][None, :],
                                                       np.array([[s["D"][h]]]), conj_sym=True)) for h in range(3))
    got = synthesis.worst_gain([s], n_freq=8192)
    assert got <= ref * (1 + 1e-9)          # a grid never exceeds the supremum
    assert got >= ref * (1 - 1e-3)          # and a fine grid gets close


def test_worst_gain_matches_hinf_mimo():
    lam, B, C, D = random_mimo(np.random.default_rng(1), P=5, H_in=2, H_out=2, radius=0.9)
    s = {"Lambda_bar": lam, "B_bar": B, "C": C, "D": D, "conj_sym": False, "kind": "mimo"}
    ref = norms.hinf_norm(*norms.layer_to_standard(lam, B, C, D))
    got = synthesis.worst_gain([s], n_freq=8192)
    assert ref * (1 - 1e-3) <= got <= ref * (1 + 1e-9)


def test_mode_angles_and_noise_hook():
    s = _systems_channels(np.random.default_rng(2))[0]
    th = synthesis.mode_angles(s)
    np.testing.assert_allclose(th, np.abs(np.angle(s["Lambda_bar"])).max(-1))
    hook = synthesis.fourier_noise_hook([s], jax.random.PRNGKey(0), batch=2, L=50, amplitude=0.1)
    noise = np.asarray(hook(0, np.zeros((2, 50, 3), np.float32)))
    for b in range(2):
        for h in range(3):
            x = noise[b, :, h]
            U = x[0] / 0.1  # cos(0) = 1
            assert 0 <= U < 1
            np.testing.assert_allclose(x, 0.1 * U * np.cos(th[h] * np.arange(50)), atol=1e-6)


def test_spearman_ci():
    x = np.arange(20.0)
    rho, lo, hi = synthesis.spearman_ci(x, x**3)
    assert rho == pytest.approx(1.0) and lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    rho, lo, hi = synthesis.spearman_ci(x, np.random.default_rng(0).normal(size=20))
    assert lo < rho < hi


def test_binary_digits_labels():
    x_tr, y_tr, x_te, y_te = synthesis.binary_digits(seed=0, n_train=300)
    assert x_tr.shape == (300, 64, 1) and set(np.unique(y_tr)) == {-1.0, 1.0}
    assert 0.3 < (y_tr > 0).mean() < 0.7


def test_ptd_params_put_ptd_eigenvalues_into_s5_layers():
    v = [v for v in synthesis.VARIANTS if v.name == "S5-PTD"][0]
    cfg = v.config()
    rng = np.random.default_rng(0)
    P = cfg.d_state
    lam = -rng.uniform(0.6, 3.0, P) + 1j * rng.normal(0, 5, P)
    V = rng.normal(size=(P, P)) + 1j * rng.normal(size=(P, P))
    fake = type("R", (), {"Lambda": lam, "V": V})()
    p0 = models.init_params(jax.random.PRNGKey(0), cfg)
    p = synthesis._ptd_s5_params(p0, cfg, fake)
    s = models.layer_systems(p, cfg)[0]
    dt = np.exp(np.asarray(p["layers"][0]["ssm"]["log_dt"], np.float64))
    np.testing.assert_allclose(s["Lambda_bar"], np.exp(lam * dt), rtol=1e-4)
    B0 = np.asarray(p0["layers"][0]["ssm"]["B_re"]) + 1j * np.asarray(p0["layers"][0]["ssm"]["B_im"])
    Bt = np.asarray(p["layers"][0]["ssm"]["B_re"]) + 1j * np.asarray(p["layers"][0]["ssm"]["B_im"])
    np.testing.assert_allclose(V @ Bt, B0, atol=1e-4)
