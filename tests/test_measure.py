"""Liu & Li's measure tau, psi, the scaling rule and the regularizer, against independent oracles (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ssmtheory import train
from ssmtheory.experiments import data_dependent
from ssmtheory.theory import measure
from ssmtheory import models, processes, ssm

L = 48
RNG = np.random.default_rng(0)


def _s4d_kernel(seed, L=L, N=6):
    r = np.random.default_rng(seed)
    lam = -r.uniform(0.2, 3, N) + 1j * r.uniform(0, 30, N)
    lb, bb = ssm.discretize(lam[None], np.ones((1, N), complex), r.uniform(0.01, 0.1))
    C = (r.normal(size=(1, N)) + 1j * r.normal(size=(1, N)))
    return np.asarray(ssm.kernel(lb, bb, C, L, conj_sym=True))[:, 0]


def _brute_tau(k, mu, sigma):
    L = len(k)
    a = sum(abs(k[j]) * sigma[L - 1 - j] for j in range(L))
    m = abs(sum(k[j] * mu[L - 1 - j] for j in range(L)))
    return (a + m) ** 2


def _brute_second_moment(k, mu, K):
    L = len(k)
    s = sum(k[i] * mu[L - 1 - i] for i in range(L)) ** 2
    s += sum(k[i] * k[j] * K[L - 1 - i, L - 1 - j] for i in range(L) for j in range(L))
    return s


PROCS = [processes.offset_noise(2.0, 3.0, 0.5), processes.brownian(), processes.ar1(0.9),
         processes.sinusoid_noise(), processes.modulated_noise(lambda s: 1 - s, lambda s: 0.1 + s)]


@pytest.mark.parametrize("p", PROCS, ids=lambda p: p.name)
def test_tau_and_second_moment_vs_brute_force(p):
    k = _s4d_kernel(1)
    mu, sd, K = p.mean(L), p.std(L), p.cov(L)
    t = float(measure.tau(k, mu, sd))
    assert t == pytest.approx(_brute_tau(k, mu, sd), rel=1e-12)
    m2 = float(measure.second_moment(k, mu, K))
    assert m2 == pytest.approx(_brute_second_moment(k, mu, K), rel=1e-10)
    assert m2 <= t * (1 + 1e-12)  # E[y_T^2] <= tau (Cauchy-Schwarz on K)
    # Monte Carlo oracle for E[y_T^2] and for the index direction of output_at_T
    x = p.sample(2, 20000, L)
    y = np.asarray(measure.output_at_T(k, x))
    y_loop = np.array([sum(k[j] * xi[L - 1 - j] for j in range(L)) for xi in x[:5]])
    np.testing.assert_allclose(y[:5], y_loop, rtol=1e-12)
    se = (y**2).std() / np.sqrt(len(y))
    assert abs((y**2).mean() - m2) <= 5 * se


def test_index_direction_matters():
    # a kernel concentrated at lag 0 must see the LAST input's statistics
    k = np.zeros(L); k[0] = 1.0
    sd = np.linspace(0.1, 2.0, L)
    assert float(measure.tau(k, np.zeros(L), sd)) == pytest.approx(4.0)


def test_tau_equals_bound_for_perfectly_correlated_input():
    # x_t = mu_t + sigma_t g (one Gaussian g for all t), kernel with k_j sigma_{L-1-j} >= 0: equality
    sd = RNG.uniform(0.5, 1.5, L)
    k = np.abs(RNG.normal(size=L))
    K = np.outer(sd, sd)
    assert float(measure.second_moment(k, np.zeros(L), K)) == pytest.approx(float(measure.tau(k, np.zeros(L), sd)), rel=1e-12)


def test_channels_and_mimo_shapes_vs_loops():
    H, Hi = 3, 2
    kc = RNG.normal(size=(L, H)); mu = RNG.normal(size=(L, H)); sd = RNG.uniform(0.1, 1, (L, H))
    tc = np.asarray(measure.tau(kc, mu, sd))
    np.testing.assert_allclose(tc, [_brute_tau(kc[:, h], mu[:, h], sd[:, h]) for h in range(H)], rtol=1e-12)
    km = RNG.normal(size=(L, H, Hi)); mu = RNG.normal(size=(L, Hi)); sd = RNG.uniform(0.1, 1, (L, Hi))
    tm = np.asarray(measure.tau(km, mu, sd))
    for o in range(H):
        a = sum(abs(km[j, o, i]) * sd[L - 1 - j, i] for j in range(L) for i in range(Hi))
        m = abs(sum(km[j, o, i] * mu[L - 1 - j, i] for j in range(L) for i in range(Hi)))
        assert tm[o] == pytest.approx((a + m) ** 2, rel=1e-12)
    with pytest.raises(ValueError, match="mu"):
        measure.tau(kc, mu, sd)


def test_input_stats_and_psi_bound():
    x = RNG.normal(size=(7, L, 3))
    mu, sd = measure.input_stats(x, channels=True)
    np.testing.assert_allclose(mu, x.mean(0)); np.testing.assert_allclose(sd, x.std(0))
    ks = np.stack([_s4d_kernel(s) for s in range(4)])
    m0, s0 = np.ones(L), np.full(L, 0.5)
    parts = [tuple(float(v) for v in measure.tau_parts(k, m0, s0)) for k in ks]
    assert measure.psi(ks, m0, s0) == pytest.approx(max(a for a, _ in parts) + max(m for _, m in parts))
    assert measure.psi(ks, m0, s0) ** 2 >= max(float(measure.tau(k, m0, s0)) for k in ks)
    b = measure.bound(1.0, np.array([10, 1000]), 100)
    assert b[1] < b[0] and b[0] == pytest.approx(4 * np.log(100 * 10 / 0.05) ** 1.5 / np.sqrt(10))


def _cfg(block="s4d", **kw):
    base = dict(d_input=2, d_model=4, d_output=3, n_layers=2, d_state=4, dt_min=0.01, dt_max=0.1,
                block=block, dtype=jnp.float64)
    base.update(kw)
    return models.DeepSSMConfig(**base)


@pytest.mark.parametrize("block", ["s4d", "lru"])  # channels and MIMO layouts (s5 shares the MIMO path)
def test_scale_rule_gives_tau_one_every_layer(block):
    cfg = _cfg(block)
    p = models.init_params(jax.random.PRNGKey(1), cfg)
    x = jnp.asarray(RNG.normal(size=(32, 20, 2)) + np.linspace(0, 3, 20)[:, None])
    p2, before = measure.scale_rule(p, cfg, x)
    taus = measure._taus_on_batch(p2, cfg, x)
    for t, t0 in zip(taus, before):
        np.testing.assert_allclose(np.asarray(t), 1.0, rtol=1e-9)
        assert np.ptp(np.log(t0)) > 0  # the rule did something non-trivial
    # layer_kernels agree with the numpy systems of models.layer_systems
    for k, s in zip(measure.layer_kernels(p, cfg, 20), models.layer_systems(p, cfg)):
        np.testing.assert_allclose(k, ssm.kernel(s["Lambda_bar"], s["B_bar"], s["C"], 20, conj_sym=s["conj_sym"]), rtol=1e-12)


def test_single_layer_input_scaling_invariance():
    k = _s4d_kernel(3)
    p = processes.offset_noise(1.0, 2.0, 0.7)
    x = p.sample(0, 256, L)
    mu, sd = measure.input_stats(x)
    t = float(measure.tau(k, mu, sd))
    y = np.asarray(measure.output_at_T(k / np.sqrt(t), x))
    for c in (1e-3, -7.0, 50.0):
        mu_c, sd_c = measure.input_stats(c * x)
        t_c = float(measure.tau(k, mu_c, sd_c))
        assert t_c == pytest.approx(c**2 * t, rel=1e-12)
        y_c = np.asarray(measure.output_at_T(k / np.sqrt(t_c), c * x))
        np.testing.assert_allclose(y_c, np.sign(c) * y, rtol=1e-10, atol=1e-13)


def test_regularizer_gradient_vs_finite_differences():
    cfg = _cfg("s4d")
    p = models.init_params(jax.random.PRNGKey(2), cfg)
    x = jnp.asarray(RNG.normal(size=(16, 20, 2)) + 0.5)
    g = jax.jit(jax.grad(lambda q: measure.tau_regularizer(q, cfg, x)))(p)
    # oracle: statistics frozen at p (what stop_gradient means), central differences along random directions
    stats = measure.layer_input_stats(p, cfg, x)
    f = jax.jit(lambda q: sum(jnp.sum(t) for t in measure.tau_layers(q, cfg, stats)))
    leaves, tree = jax.tree_util.tree_flatten(p)
    for s in range(3):
        r = np.random.default_rng(10 + s)
        d = jax.tree_util.tree_unflatten(tree, [r.normal(size=l.shape) for l in leaves])
        h = 1e-6
        plus = jax.tree_util.tree_map(lambda a, b: a + h * b, p, d)
        minus = jax.tree_util.tree_map(lambda a, b: a - h * b, p, d)
        fd = (float(f(plus)) - float(f(minus))) / (2 * h)
        an = sum(float(jnp.vdot(a, b)) for a, b in zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(d)))
        assert an == pytest.approx(fd, rel=1e-6)
    # stop_gradient: the encoder only moves the statistics, so its gradient is exactly zero
    assert float(jnp.abs(g["encoder"]["W"]).max()) == 0.0
    # the regularized loss equals base loss + lam * regularizer
    loss = jax.jit(data_dependent.make_regularized_loss(cfg, "ce"))
    yb = jnp.arange(16) % 3
    reg = jax.jit(lambda q: measure.tau_regularizer(q, cfg, x))(p)
    assert float(loss(p, x, yb, 0.3)) == pytest.approx(float(loss(p, x, yb, 0.0)) + 0.3 * float(reg), rel=1e-12)


def _fit_pop(loss, P, lam, data, steps, lr=1e-2, batch_size=None, seed=0, **kw):
    """The old measure.fit_population call, now on the engine (full batch or per-step minibatches)."""
    r = train.fit_population(loss, P, data, steps=steps, opt=train.OptimizerSpec("adam"), lr=lr, aux=lam,
                             batch_size=batch_size, sampling="step", seed=seed, **kw)
    return r.params, r.losses


def test_fit_population_matches_independent_runs():
    # vmapped training of two members equals two separate runs (lam differs)
    X = jnp.asarray(RNG.normal(size=(12, 5))); Y = X @ jnp.arange(5.0)
    loss = lambda p, xb, yb, lam: jnp.mean((xb @ p["w"] - yb) ** 2) + lam * jnp.sum(p["w"] ** 2)  # noqa: E731
    P = {"w": jnp.zeros((2, 5))}
    out, losses = _fit_pop(loss, P, jnp.array([0.0, 1.0]), (X, Y), steps=50, lr=0.05)
    for i, lam in enumerate((0.0, 1.0)):
        o1, _ = _fit_pop(loss, {"w": jnp.zeros((1, 5))}, jnp.array([lam]), (X, Y), steps=50, lr=0.05)
        np.testing.assert_allclose(out["w"][i], o1["w"][0], rtol=1e-12)
    assert losses.shape == (50, 2) and float(losses[-1, 0]) < float(losses[0, 0])
    o2, _ = _fit_pop(loss, P, jnp.array([0.0, 1.0]), (X, Y), steps=20, batch_size=4, seed=1)
    o3, _ = _fit_pop(loss, P, jnp.array([0.0, 1.0]), (X, Y), steps=20, batch_size=4, seed=1)
    np.testing.assert_array_equal(o2["w"], o3["w"])


def test_negative_sigma_raises():
    k = _s4d_kernel(3)
    sd = np.full(L, 0.5); sd[4] = -0.1
    for f in (measure.tau_parts, measure.tau):
        with pytest.raises(ValueError, match="sigma"):
            f(k, np.zeros(L), sd)
    with pytest.raises(ValueError, match="sigma"):
        measure.psi(np.stack([k, k]), np.zeros(L), sd)


def test_fit_population_rejects_mismatched_data_and_accepts_pytree_lam():
    X = jnp.asarray(RNG.normal(size=(12, 5))); Y = X @ jnp.arange(5.0)
    loss = lambda p, xb, yb, lam: jnp.mean((xb @ p["w"] - yb) ** 2) + lam * jnp.sum(p["w"] ** 2)  # noqa: E731
    P = {"w": jnp.zeros((2, 5))}
    with pytest.raises(ValueError, match="same number of examples"):
        _fit_pop(loss, P, jnp.array([0.0, 1.0]), (X, Y[:7]), steps=3)
    with pytest.raises(ValueError, match="same number of examples"):
        _fit_pop(loss, P, jnp.array([0.0, 1.0]), (jnp.stack([X, X]), jnp.stack([Y[:7], Y[:7]])), steps=3,
                 member_data=True)
    with pytest.raises(ValueError, match="leading member axis"):
        _fit_pop(loss, P, {"a": jnp.zeros(2), "b": jnp.zeros(3)}, (X, Y), steps=3)
    # a dict of per-member hyper-parameters gives the same result as the plain (M,) form
    loss_d = lambda p, xb, yb, aux: loss(p, xb, yb, aux["lam"])  # noqa: E731
    o1, _ = _fit_pop(loss, P, jnp.array([0.0, 1.0]), (X, Y), steps=30, lr=0.05)
    o2, _ = _fit_pop(loss_d, P, {"lam": jnp.array([0.0, 1.0])}, (X, Y), steps=30, lr=0.05)
    np.testing.assert_allclose(o1["w"], o2["w"], rtol=1e-12)


def test_fit_population_projection_hook():
    X = jnp.asarray(RNG.normal(size=(12, 5))); Y = X @ jnp.arange(5.0)
    loss = lambda p, xb, yb, lam: jnp.mean((xb @ p["w"] - yb) ** 2)  # noqa: E731
    proj = lambda p, xb, yb, lam: {"w": p["w"] / jnp.maximum(1.0, jnp.linalg.norm(p["w"]))}  # noqa: E731
    out, _ = _fit_pop(loss, {"w": jnp.zeros((1, 5))}, jnp.zeros(1), (X, Y), steps=201, lr=0.05,
                                    project=proj, project_every=10)
    free, _ = _fit_pop(loss, {"w": jnp.zeros((1, 5))}, jnp.zeros(1), (X, Y), steps=201, lr=0.05)
    assert float(jnp.linalg.norm(free["w"])) > 2.0
    assert float(jnp.linalg.norm(out["w"])) < 1.5  # projected onto the unit ball at step 200, one update after
    with pytest.raises(ValueError, match="together"):
        _fit_pop(loss, {"w": jnp.zeros((1, 5))}, jnp.zeros(1), (X, Y), steps=2, project=proj)
