"""ssmtheory.experiments.rademacher: exact/Monte Carlo Rademacher complexities against brute force, the deep-class ascent
against a plain loop, the seed bootstrap, and the stability-versus-length study on a tiny grid."""

import itertools
import math

import jax
import numpy as np
import pytest

from ssmtheory.theory import bounds
from ssmtheory.experiments import rademacher as rad

jax.config.update("jax_enable_x64", True)


def test_energy_and_per_step_inputs():
    U = rad.energy_inputs(7, 50, K=2.0, seed=3)
    assert U.shape == (7, 50) and np.allclose((U**2).sum(1), 4.0, rtol=1e-12)
    V = rad.per_step_inputs(7, 50, K_u=0.5, seed=3)
    assert np.abs(V).max() <= 0.5
    with pytest.raises(ValueError, match="K"):
        rad.energy_inputs(3, 4, K=0.0)
    with pytest.raises(ValueError, match="T"):
        rad.per_step_inputs(3, 0)


def test_h2_ball_exact_against_enumeration_and_sampled_sup():
    rng = np.random.default_rng(0)
    N, T, H = 5, 4, 1.7
    U = rng.normal(size=(N, T))
    # brute force: every sign vector; the sup over the ball approached by many random directions
    dirs = rng.normal(size=(20000, T))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    tot_exact, tot_sampled = 0.0, 0.0
    for s in itertools.product([-1.0, 1.0], repeat=N):
        S = np.array(s) @ U[:, ::-1]
        tot_exact += H * np.linalg.norm(S)
        tot_sampled += H * (dirs @ S).max()
    ex = rad.h2_ball_rademacher_exact(U, H)
    assert ex == pytest.approx(tot_exact / 2**N / N, rel=1e-12)
    assert tot_sampled / 2**N / N <= ex * (1 + 1e-12) and tot_sampled / 2**N / N >= 0.98 * ex


def test_h2_ball_jensen_and_szarek_bounds_and_mc_agreement():
    for seed in range(3):
        U = rad.energy_inputs(10, 30, K=1.0, seed=seed)
        ex = rad.h2_ball_rademacher_exact(U)
        bound = bounds.paper_form_complexity(1.0, 10, [], 1.0, last_nonlinearity=False)
        assert ex <= bound * (1 + 1e-12) and bound / ex <= math.sqrt(2)
        mc, se = rad.h2_ball_rademacher_mc(U, n_sigma=3000, seed=seed)
        assert abs(mc - ex) <= 4 * se
    # aligned inputs: E|sum sigma_i| for N = 2 is 1, vs sqrt(2): the Szarek constant is attained
    U = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert rad.h2_ball_rademacher_exact(U) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="max_n"):
        rad.h2_ball_rademacher_exact(np.ones((25, 3)))
    with pytest.raises(ValueError, match="U"):
        rad.h2_ball_rademacher_exact(np.full((3, 3), np.nan))


def test_deep_forward_matches_a_plain_loop():
    import jax.numpy as jnp

    rng = np.random.default_rng(1)
    N, T, P, gamma, beta = 3, 9, 2, 0.8, 1.5
    U = rng.normal(size=(N, T))
    p = {k: jnp.asarray(rng.normal(size=P)) for k in ("nu1", "th1", "c1r", "c1i", "nu2", "th2", "c2r", "c2i")}

    def kern(nu, th, c):
        lam = gamma / (1 + np.exp(-np.asarray(nu))) * np.exp(1j * np.asarray(th))
        g = beta * c / max(1.0, np.abs(c).sum())
        return np.array([0.0] + [np.real((lam ** (k - 1)) @ g) for k in range(1, T)])

    h1 = kern(p["nu1"], p["th1"], np.asarray(p["c1r"]) + 1j * np.asarray(p["c1i"]))
    h2 = kern(p["nu2"], p["th2"], np.asarray(p["c2r"]) + 1j * np.asarray(p["c2i"]))
    # envelope of the class: |h_k| <= beta gamma^{k-1}
    assert np.all(np.abs(h1[1:]) <= beta * gamma ** np.arange(T - 1) + 1e-12)
    z1 = np.array([[sum(h1[k] * U[i, t - k] for k in range(t + 1)) for t in range(T)] for i in range(N)])
    z2T = np.array([sum(h2[k] * np.tanh(z1[i, T - 1 - k]) for k in range(T)) for i in range(N)])
    got = np.asarray(rad._deep_forward(p, jnp.asarray(U), gamma, beta, jnp.tanh))
    assert np.allclose(got, z2T, rtol=1e-10, atol=1e-12)


def test_deep_class_ascent_below_chain_and_control_above():
    N, T = 8, 128
    U = rad.energy_inputs(N, T, seed=2)
    sig = np.random.default_rng(2).choice([-1.0, 1.0], size=(2, N))
    v = rad.deep_class_ascent(U, sig, (0.8, 1.0), 1.0, n_modes=2, n_starts=2, steps=40)
    chain = rad.deep_class_chain_bound(0.8, 1.0, 1.0, N)
    assert v.shape == (2, 2) and np.all(v[0] > 0) and np.all(v[0] <= chain)
    assert v[1].max() > v[0].max()  # the radius-1 class contains the stable one and reaches further
    assert rad.deep_class_chain_bound(1.0, 1.0, 1.0, N) == math.inf
    with pytest.raises(ValueError, match="sigmas"):
        rad.deep_class_ascent(U, np.ones((2, N + 1)), (0.8,), 1.0)
    with pytest.raises(ValueError, match="gammas"):
        rad.deep_class_ascent(U, sig, (1.5,), 1.0)
    with pytest.raises(ValueError, match="nonlinearity"):
        rad.deep_class_ascent(U, sig, (0.8,), 1.0, nonlinearity="relu6")


def test_seed_mean_log_slope_recovers_a_power_and_validates():
    rng = np.random.default_rng(3)
    Ts = np.array([64, 256, 1024, 4096])
    x, y, s = [], [], []
    for seed in range(6):
        for T in Ts:
            x.append(T)
            y.append(2.0 * T**0.5 * np.exp(0.05 * rng.normal()))
            s.append(seed)
    inf = rad.seed_mean_log_slope(x, y, s, seed=0)
    assert inf.estimate == pytest.approx(0.5, abs=0.03) and inf.lo <= inf.estimate <= inf.hi < inf.lo + 0.1 and inf.n == 6
    one = rad.seed_mean_log_slope(x, y, s, alternative="greater")
    assert one.hi == math.inf and one.lo > 0.4
    with pytest.raises(ValueError, match="seed"):
        rad.seed_mean_log_slope(x[:-1], y[:-1], s[:-1])
    neg = rad.seed_mean_log_slope(x, -np.asarray(y), s)
    assert math.isnan(neg.estimate) and neg.lo == -math.inf


def test_stability_length_study_tiny_grid():
    out = rad.stability_length_study([16, 32], [0.9, 1.0], [0, 1], N=8, steps=5, n_test=50)
    assert len(out) == 2 * 2 * 2
    for r in out:
        assert set(r) >= {"T", "r_max", "seed", "train", "test", "gap", "bound", "bound_inf", "radius"}
        assert 0 <= r["train"] <= 1 and 0 <= r["test"] <= 1 and r["gap"] == pytest.approx(r["test"] - r["train"])
        if r["r_max"] < 1:
            assert r["radius"] <= 0.9 and np.isfinite(r["bound_inf"]) and r["bound"] <= r["bound_inf"]
        else:
            assert r["radius"] == 1.0 and r["bound_inf"] == math.inf and np.isfinite(r["bound"])
    with pytest.raises(ValueError, match="r_maxes"):
        rad.stability_length_study([16], [1.2], [0])
