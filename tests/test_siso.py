"""One trainable SISO S4D layer (A, Delta, C), its regularizers and Algorithm 1, against independent oracles."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ssmtheory.theory import measure
from ssmtheory import processes, ssm
from ssmtheory.experiments import siso

jax.config.update("jax_enable_x64", True)
RNG = np.random.default_rng(0)
L, N = 24, 3


def _p(seed=0):
    return {k: jnp.asarray(v) for k, v in siso.init_params(N, 0.1, seed=seed).items()}


def test_kernel_matches_ssm_and_is_differentiable():
    p = _p()
    lam = -np.exp(np.asarray(p["w"])) + 1j * np.asarray(p["im"])
    lb, bb = ssm.discretize(lam[None], np.ones((1, N), complex), float(np.exp(p["log_dt"])))
    C = (np.asarray(p["C_re"]) + 1j * np.asarray(p["C_im"]))[None]
    np.testing.assert_allclose(siso.kernel(p, L), np.asarray(ssm.kernel(lb, bb, C, L, conj_sym=True))[:, 0], rtol=1e-12)
    g = jax.grad(lambda q: jnp.sum(siso.kernel(q, L) ** 2))(p)
    assert all(np.all(np.isfinite(np.asarray(v))) and np.any(np.asarray(v) != 0) for v in g.values())
    # finite difference in log_dt (Delta is trained)
    e = 1e-6
    f = lambda q: float(jnp.sum(siso.kernel(q, L) ** 2))  # noqa: E731
    fd = (f(dict(p, log_dt=p["log_dt"] + e)) - f(dict(p, log_dt=p["log_dt"] - e))) / (2 * e)
    assert float(g["log_dt"]) == pytest.approx(fd, rel=1e-6)


def test_compress_preserves_the_loss_up_to_a_constant():
    X = RNG.normal(size=(200, L)); y = RNG.normal(size=200)
    Xe, ye = siso.compress(X, y)
    assert Xe.shape == (L, L)
    diffs = [np.mean((X @ w - y) ** 2) - np.mean((Xe @ w - ye) ** 2) for w in RNG.normal(size=(5, L))]
    np.testing.assert_allclose(diffs, diffs[0], rtol=1e-9)
    Xs, ys = siso.compress(X[:10], y[:10])
    np.testing.assert_array_equal(Xs, X[:10])
    with pytest.raises(ValueError, match="examples"):
        siso.compress(X, y[:5])


def test_scale_to_unit_tau_and_rescale():
    X = processes.offset_noise(1.0, 2.0, 0.5).sample(0, 64, L)
    p = siso.scale_to_unit_tau(siso.init_params(N, 0.1, seed=1), X)
    k = np.asarray(siso.kernel({a: jnp.asarray(v) for a, v in p.items()}, L))
    assert float(measure.tau(k, *measure.input_stats(X))) == pytest.approx(1.0, rel=1e-10)
    mu, sd = measure.input_stats(X)
    q = siso.rescale(_p(2), jnp.asarray(X), None, {"mu": mu, "sd": sd, "proj": 0.0})
    np.testing.assert_array_equal(q["C_re"], _p(2)["C_re"])  # proj = 0 leaves the member alone


def test_exact_risk_vs_monte_carlo():
    proc = processes.brownian(1.0)
    task = siso.teacher_task(proc, L, 0.1, noise_std=0.3)
    k = np.asarray(siso.kernel(_p(), L))
    d = siso.draw(task, 40000, 3, n_val=2)
    mc = np.mean((d["X"] @ k[::-1] - d["y"]) ** 2)
    assert task.risk(k) == pytest.approx(mc, rel=0.03)
    assert float(measure.second_moment(task.k_star, proc.mean(L), proc.cov(L))) == pytest.approx(1.0)


def test_train_population_designs():
    task = siso.teacher_task(processes.white_noise(1.0), L, 0.1)
    d = siso.draw(task, 16, 0, n_val=32)
    p0 = siso.scale_to_unit_tau(siso.init_params(N, 0.1, seed=0), d["X"])
    mem = [siso.Member(d, p0), siso.Member(d, p0, lt=0.1), siso.Member(d, p0, lw=1.0), siso.Member(d, p0, lt=0.1, stats="flat"),
           siso.Member(d, p0, lt=0.1, proj=1.0)]
    kern, losses, res = siso.train_population(task, mem, steps=60, lr=1e-2, project_every=1)
    assert kern.shape == (5, L) and losses.shape == (60, 5)
    assert losses[-1, 0] < losses[0, 0]
    assert res["tau"][1] < res["tau"][0]          # the tau penalty lowers tau
    assert res["tau"][4] == pytest.approx(1.0, abs=0.3)  # rescaled every step
    # the regularized member equals a separate run (vmapped population = independent runs)
    _, _, r1 = siso.train_population(task, [mem[1]], steps=60, lr=1e-2)
    assert r1["test"][0] == pytest.approx(res["test"][1], rel=1e-9)
    with pytest.raises(ValueError, match="stats"):
        siso.train_population(task, [siso.Member(d, p0, stats="bad")], steps=2)
    with pytest.raises(ValueError, match="one shape"):
        siso.train_population(task, [mem[0], siso.Member(siso.draw(task, 8, 1), p0)], steps=2)
