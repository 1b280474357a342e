"""Tests for ssmtheory.theory.expressivity and ssmtheory.experiments.complex_real (notebook 04): impulse responses,
targets, T1/T2/P1/P2, LP, Tables 1-2 training, the T2 Monte Carlo check, the real-world S4D comparison."""

import itertools
import math

import jax
import numpy as np
import pytest

from ssmtheory.experiments import complex_real as cr
from ssmtheory.theory import expressivity as ex

jax.config.update("jax_enable_x64", True)


def test_impulse_real_matches_recurrence():
    rng = np.random.default_rng(0)
    a, b, c = rng.uniform(-1, 1, 7), rng.normal(size=7), rng.normal(size=7)
    got = np.asarray(ex.impulse_real(a, b, c, 40))
    np.testing.assert_allclose(got, ex.recurrence_impulse(a, b, c, 40), rtol=1e-12, atol=1e-14)
    # closed form sum c b a^tau, independently
    np.testing.assert_allclose(got, (a[None] ** np.arange(40)[:, None]) @ (b * c), rtol=1e-12, atol=1e-14)


def test_impulse_complex_matches_recurrence_and_p1():
    rng = np.random.default_rng(1)
    n = 5
    a = rng.uniform(0.2, 1.0, n) * np.exp(1j * rng.uniform(-np.pi, np.pi, n))
    b = rng.normal(size=n) + 1j * rng.normal(size=n)
    c = rng.normal(size=n) + 1j * rng.normal(size=n)
    got = np.asarray(ex.impulse_complex(a, b, c, 50))
    np.testing.assert_allclose(got, ex.recurrence_impulse(a, b, c, 50, complex_output=True), rtol=1e-11, atol=1e-13)
    # P1: a real SSM is a complex SSM with c halved
    ar, br, cr = rng.uniform(-1, 1, n), rng.normal(size=n), rng.normal(size=n)
    np.testing.assert_allclose(np.asarray(ex.impulse_complex(ar, br, cr / 2, 30)),
                               np.asarray(ex.impulse_real(ar, br, cr, 30)), rtol=1e-12, atol=1e-14)


def test_targets():
    t = 32
    T = ex.targets(t, seed=3)
    for phi in T.values():
        assert phi.shape == (t,) and abs(np.linalg.norm(phi) - 1) < 1e-14
    assert np.argmax(T["delay"]) == 15 and np.count_nonzero(T["delay"]) == 1
    np.testing.assert_allclose(ex.target("oscillation", 8, normalize="none"), [1, 0, -1, 0, 1, 0, -1, 0])
    np.testing.assert_array_equal(T["random"], ex.target("random", t, seed=3))  # deterministic
    assert not np.array_equal(T["random"], ex.target("random", t, seed=4))
    with pytest.raises(ValueError, match="name"):
        ex.target("sine", 4)


def test_oscillation_one_complex_mode_exact():
    phi = np.asarray(ex.impulse_complex(np.array([1j]), np.array([1.0]), np.array([0.5]), 1000))
    assert np.abs(phi - ex.target("oscillation", 1000, normalize="none")).max() < 1e-12


@pytest.mark.parametrize("t", [1, 5, 64])
def test_dft_construction_exact_and_moderate(t):
    phi = np.random.default_rng(t).uniform(-1, 1, t)
    a, b, c = ex.dft_complex_ssm(phi)
    np.testing.assert_allclose(np.abs(a), 1, atol=1e-15)
    np.testing.assert_allclose(np.abs(b), 1, atol=1e-15)
    assert np.abs(c).max() <= np.abs(phi).sum() / (2 * t) + 1e-15 <= np.abs(phi).max() + 1e-15
    assert np.abs(np.asarray(ex.impulse_complex(a, b, c, t)) - phi).max() < 1e-13
    assert np.abs(ex.recurrence_impulse(a, b, c, t, complex_output=True) - phi).max() < 1e-13


def test_forward_differences_brute_force():
    g = np.random.default_rng(2).normal(size=9)
    D = ex.forward_differences(g)
    for k in range(9):
        for m0 in range(9 - k):
            ref = sum(math.comb(k, j) * (-1) ** (k - j) * g[m0 + j] for j in range(k + 1))
            assert abs(D[k, m0] - ref) < 1e-10


def test_t2_closed_forms():
    # oscillation: Delta^k (-1)^m = (-2)^k, so the bound is 2^k (1 - eps) with k = floor((t-1)/2)
    for t in (5, 9, 12):
        k = (t - 1) // 2
        assert ex.forward_difference_bound(ex.target("oscillation", t, normalize="none"), 0.1) == pytest.approx(
            2**k * 0.9, rel=1e-12)
    assert ex.forward_difference_bound(np.zeros(6), 0.1) == 0.0


def test_t2_bound_holds_on_random_real_ssms():
    rng = np.random.default_rng(5)
    nontrivial = 0
    for _ in range(400):
        t, n = int(rng.integers(3, 17)), int(rng.integers(1, 7))
        a = rng.uniform(-1, 1, n)
        a[rng.random(n) < 0.15] = rng.choice([-1.0, 1.0, 0.0])
        b, c = rng.normal(size=n), rng.normal(size=n) * 10 ** rng.uniform(-1, 3)
        phi_r = ex.vandermonde(a, t) @ (b * c)  # impulse_real itself is tested above; no recompiles per shape
        # target: perturbed (eps small, bound non-trivial) or unrelated (eps = the actual error)
        if rng.random() < 0.7:
            target = phi_r + rng.uniform(-1, 1, t) * 10 ** rng.uniform(-8, -1) * np.abs(phi_r).max()
        else:
            target = rng.uniform(-1, 1, t)
        eps = np.abs(phi_r - target).max()
        lb = ex.forward_difference_bound(target, eps)
        nontrivial += lb > 0.5 * np.abs(b * c).sum()
        assert np.abs(b * c).sum() >= lb - 1e-9 * max(1.0, lb)
    assert nontrivial > 50  # the inequality is tested where it bites


@pytest.mark.parametrize("name", ex.TARGETS)
def test_lp_feasible_and_above_t2(name):
    for t in (6, 12):
        phi = ex.target(name, t, normalize="max")
        r = ex.min_l1_real_fit(phi, 0.1, ex.pole_grid(201))
        assert r["success"]
        V = ex.vandermonde(ex.pole_grid(201), t)
        assert np.abs(V @ r["w"] - phi).max() <= 0.1 + 1e-9
        assert r["objective"] >= ex.forward_difference_bound(phi, 0.1)


def test_lp_matches_a_known_optimum():
    # constant target 1 with eps: the single pole a=1 and w = 1 - eps is optimal (T2 with k=0 gives 1 - eps)
    r = ex.min_l1_real_fit(np.ones(5), 0.1, ex.pole_grid(21))
    assert r["objective"] == pytest.approx(0.9, abs=1e-8)


def _brute_min_linf(phi, n, grid):
    """Minimax error over all n-subsets of grid, each by the exact LP (independent of the Lawson screening)."""
    V = ex.vandermonde(grid, phi.shape[0])
    return min(ex._minimax_lp(V[:, list(S)], phi)[0] for S in itertools.combinations(range(len(grid)), n))


@pytest.mark.parametrize("t", [3, 4, 5, 6])
def test_descartes_dimension_claim_brute_force(t):
    """T1 on small t: with n < ceil(t/2) real modes the l_inf error to Re(i^tau) is >= 1; at n = ceil(t/2) < 1."""
    phi = ex.target("oscillation", t, normalize="none")
    grid = ex.pole_grid(13)
    half = -(-t // 2)
    for n in range(1, half):
        assert _brute_min_linf(phi, n, grid) >= 1 - 1e-9
        assert ex.best_linf_real_fit(phi, n, grid)["error"] >= 1 - 1e-9
    assert _brute_min_linf(phi, half, grid) < 1
    assert ex.best_linf_real_fit(phi, half, grid)["error"] == pytest.approx(_brute_min_linf(phi, half, grid), abs=1e-7)


def test_random_real_ssms_respect_t1():
    rng = np.random.default_rng(7)
    phi = ex.target("oscillation", 9, normalize="none")
    for _ in range(2000):
        n = int(rng.integers(1, 5))  # < ceil(9/2) = 5
        a, w = rng.uniform(-1, 1, n), rng.normal(size=n) * 3
        assert np.abs(ex.vandermonde(a, 9) @ w - phi).max() >= 1 - 1e-12


def test_training_closed_form_and_learning():
    key = jax.random.PRNGKey(0)
    for kind in ("real", "complex"):
        p, sign = cr.init_ssm_params(key, 6, kind, dtype=np.float64)
        phi = np.asarray(cr.ssm_impulse_from_params(p, sign, 20))
        a = np.exp(-np.exp(np.asarray(p["nu"])))
        if kind == "real":
            ref = ex.recurrence_impulse(np.asarray(sign) * a, np.asarray(p["b"]), np.asarray(p["c"]), 20)
        else:
            a = a * np.exp(1j * np.asarray(p["theta"]))
            ref = ex.recurrence_impulse(a, np.asarray(p["br"]) + 1j * np.asarray(p["bi"]),
                                        np.asarray(p["cr"]) + 1j * np.asarray(p["ci"]), 20, complex_output=True)
        np.testing.assert_allclose(phi, ref, rtol=1e-10, atol=1e-16)
    phis = np.stack([ex.target("oscillation", 8), ex.target("oscillation", 8)]).astype(np.float32)
    r = cr.train_ssm(phis, 8, "complex", 200, 1e-2, [0, 1], 0.9, record_every=10)
    assert r["history"].shape == (2, 20) and np.all(np.diff(r["history"], axis=1) <= 0)
    assert r["best"].max() < 0.1  # learns from 1 (zero map) quickly
    r2 = cr.train_ssm(phis, 8, "complex", 200, 1e-2, [0, 1], 0.9, record_every=10)
    np.testing.assert_array_equal(r["best"], r2["best"])  # deterministic


def test_best_linf_refuses_astronomical_subset_counts():
    grid = ex.pole_grid(801)
    with pytest.raises(ValueError, match=r"C\(801, 6\)"):
        ex.best_linf_real_fit(np.ones(12), 6, grid)


def test_linf_normalized_metric():
    phi_star = np.array([0.0, 0.5, -1.0, 0.25])
    assert float(ex.linf_normalized(np.zeros(4), phi_star)) == 1.0  # the zero map scores 1
    assert float(ex.linf_normalized(phi_star, phi_star)) == 0.0
    assert float(ex.linf_normalized(phi_star + np.array([0, 0.1, 0, -0.3]), phi_star)) == pytest.approx(0.3)


@pytest.mark.parametrize("optimizer", cr.OPTIMIZERS)
def test_train_ssm_optimizers_and_linf(optimizer):
    phis = np.stack([ex.target("oscillation", 8)] * 2).astype(np.float32)
    r = cr.train_ssm(phis, 8, "complex", 100, 1e-2, [0, 1], 0.9, record_every=10, optimizer=optimizer)
    assert r["linf"].shape == r["bc"].shape == (2,) and np.all(r["linf"] <= 1.0 + 1e-3)  # init b, c ~ 1e-3
    # the normalized l_inf error is at least the normalized l2 error / sqrt(t) * ||phi*||_2 / max|phi*|
    assert np.all(r["linf"] >= np.sqrt(r["best"]) / np.sqrt(8) / np.abs(phis[0]).max() - 1e-6)
    with pytest.raises(ValueError, match="optimizer"):
        cr.train_ssm(phis, 8, "complex", 10, 1e-2, [0, 1], optimizer="sgd")


def test_train_ssm_mixed_optimizers_match_single_runs():
    """One compiled function serves the three optimizers: a mixed batch equals each optimizer run alone."""
    phis = np.stack([ex.target("random", 8, seed=1)] * 3).astype(np.float32)
    mixed = cr.train_ssm(phis, 6, "real", 40, 1e-2, [0, 1, 2], record_every=10, optimizer=list(cr.OPTIMIZERS))
    for i, opt in enumerate(cr.OPTIMIZERS):
        alone = cr.train_ssm(phis[i:i + 1], 6, "real", 40, 1e-2, [i], record_every=10, optimizer=opt)
        np.testing.assert_allclose(mixed["linf"][i], alone["linf"][0], rtol=1e-5)
        np.testing.assert_allclose(mixed["history"][i], alone["history"][0], rtol=1e-5)
    assert len(set(np.round(mixed["best"], 8))) == 3  # the optimizers really differ
    with pytest.raises(ValueError, match="optimizer"):
        cr.train_ssm(phis, 6, "real", 10, 1e-2, [0, 1, 2], optimizer=["adam"])


def test_t2_monte_carlo_inside_and_outside_the_class():
    real = cr.t2_margin_monte_carlo(60, seed=0, poles="real")
    cplx = cr.t2_margin_monte_carlo(60, seed=0, poles="complex")
    assert real.min() >= -1e-12  # T2 holds in its class
    assert cplx.min() < 0  # and fails outside it
    np.testing.assert_array_equal(real, cr.t2_margin_monte_carlo(60, seed=0, poles="real"))


def test_s4d_real_vs_complex_vmapped_seeds_equal_single_runs():
    from ssmtheory import tasks

    split = tasks.sequential_digits(seed=0, n_train=200)
    kw = dict(d_model=4, n_layers=1, n_complex=2, steps=6, batch_size=20)
    both = cr.s4d_real_vs_complex(split, [0, 1], **kw)
    one = cr.s4d_real_vs_complex(split, [1], **kw)
    for arm in ("real", "complex"):
        assert both[arm].shape == (2,) and np.all((both[arm] >= 0) & (both[arm] <= 1))
        np.testing.assert_allclose(both[arm][1], one[arm][0], atol=1.5 / len(split.y_test))
        np.testing.assert_allclose(both["loss"][arm][1], one["loss"][arm][0], rtol=1e-4)
    with pytest.raises(ValueError, match="batch_size"):
        cr.s4d_real_vs_complex(split, [0], batch_size=10_000)


def _reference_train_ssm(phi, n, kind, steps, lr, seed, r_min, optimizer):
    """Test-only oracle: the authors' Tables 1-2 loop written directly in optax (no engine): Adam / AdamW (weight
    decay 0.01 on every parameter) / RAdam with lr * cosine_decay(steps), running minima of loss and l_inf."""
    import jax.numpy as jnp
    import optax

    sched = optax.cosine_decay_schedule(1.0, steps)
    rate = lambda i: lr * sched(i)  # noqa: E731
    tx = {"adam": optax.adam(rate), "adamw": optax.adamw(rate, weight_decay=0.01), "radam": optax.radam(rate)}[optimizer]
    p, sign = cr.init_ssm_params(jax.random.PRNGKey(seed), n, kind, r_min=r_min, dtype=jnp.float32)
    sign = jnp.ones(n, jnp.float32) if sign is None else sign
    phi = jnp.asarray(phi, jnp.float32)

    def loss_fn(q):
        out = cr.ssm_impulse_from_params(q, sign, phi.shape[0])
        return jnp.sum((out - phi) ** 2), ex.linf_normalized(out, phi)

    @jax.jit
    def step(p, s):
        (loss, linf), g = jax.value_and_grad(loss_fn, has_aux=True)(p)
        upd, s = tx.update(g, s, p)
        return optax.apply_updates(p, upd), s, loss, linf

    s, losses, linfs = tx.init(p), [], []
    for _ in range(steps):
        p, s, loss, linf = step(p, s)
        losses.append(float(loss))
        linfs.append(float(linf))
    loss, linf = loss_fn(p)
    return min(min(losses), float(loss)), min(min(linfs), float(linf)), np.minimum.accumulate(losses)


@pytest.mark.parametrize("kind", ["real", "complex"])
def test_train_ssm_equals_a_direct_optax_loop(kind):
    """The engine port of the Tables 1-2 trainer: each run of a mixed population (three optimizers, per-run lr,
    seed and target) equals the authors' loop written directly in optax, up to float32 round-off."""
    phis = np.stack([ex.target(nm, 8, seed=0) for nm in ex.TARGETS]).astype(np.float32)
    lrs, seeds, r_min = [1e-2, 3e-3, 1e-2], [0, 1, 2], 0.5
    r = cr.train_ssm(phis, 5, kind, 30, lrs, seeds, r_min, record_every=10, optimizer=list(cr.OPTIMIZERS))
    assert r["diverged"].sum() == 0 and r["steps"].tolist() == [10, 20, 30]
    for i, opt in enumerate(cr.OPTIMIZERS):
        best, linf, hist = _reference_train_ssm(phis[i], 5, kind, 30, lrs[i], seeds[i], r_min, opt)
        np.testing.assert_allclose(r["best"][i], best, rtol=1e-4)
        np.testing.assert_allclose(r["linf"][i], linf, rtol=1e-4)
        np.testing.assert_allclose(r["history"][i], hist[9::10], rtol=1e-4)


def test_dimension_study_matches_direct_fits_and_t1():
    d = cr.dimension_study([3, 4, 5], 9, t_long=50)
    assert set(d["err"]) == {(3, 1), (3, 2), (4, 1), (4, 2), (5, 1), (5, 2), (5, 3)}
    grid = ex.pole_grid(9)
    for (t, n), e in d["err"].items():
        assert e == ex.best_linf_real_fit(ex.target("oscillation", t, normalize="none"), n, grid)["error"]
    assert d["below"] >= 1 - 1e-9  # T1: fewer than ceil(t/2) real modes do no better than the zero map
    assert d["at"] < 1  # the control: enough modes do
    assert d["err_c1"].shape == (50,) and d["err_c1"].max() < 1e-12
    with pytest.raises(ValueError, match="ts"):
        cr.dimension_study([], 9)


def test_parameter_size_study_summaries():
    s = cr.parameter_size_study([4, 6, 8], 201, 0.1, seed=0)
    assert set(s["slope_real"]) == set(ex.TARGETS) == set(s["slope_dft"])
    assert s["lp_excess"] <= 1e-9 and s["lp_success"] == 1.0 and s["lp_over_bound"] >= 1.0
    assert s["dft_err"] <= 1e-12 and s["p2_max"] <= 0.5  # P2's bound
    for name in ex.TARGETS:  # the slope is the least-squares slope of log LP optimum against t
        y = np.log([s["lp"][(name, t)]["objective"] for t in (4, 6, 8)])
        assert s["slope_real"][name] == pytest.approx(np.polyfit([4, 6, 8], y, 1)[0], rel=1e-9)
    with pytest.raises(ValueError, match="eps"):
        cr.parameter_size_study([4, 6], 201, 1.5)


def test_tables_1_2_assembles_train_ssm_runs():
    tab = cr.tables_1_2(4, [1e-2], 20, [4], 20, [0, 1], t=4, target_seed=0)
    phis = np.stack([ex.target(nm, 4, seed=0) for nm in ex.TARGETS for _ in cr.OPTIMIZERS for _ in (0, 1)])
    r1 = cr.train_ssm(phis.astype(np.float32), 4, "real", 20, 1e-2, [s for _ in ex.TARGETS for _ in cr.OPTIMIZERS
                                                                   for s in (0, 1)], 0.0,
                      optimizer=[o for _ in ex.TARGETS for o in cr.OPTIMIZERS for _ in (0, 1)])
    for i, nm in enumerate(ex.TARGETS):
        for j, opt in enumerate(cr.OPTIMIZERS):
            k = 6 * i + 2 * j
            assert tab["table1"][(nm, opt)] == pytest.approx(r1["linf"][k:k + 2].min(), rel=1e-6)
    assert tab["real_max"] == pytest.approx(r1["linf"].max(), rel=1e-6)
    assert all(lo <= hi for lo, hi in tab["table2"].values()) and np.isfinite(tab["complex_min_t"])
    assert tab["curves1"][("delay", "adam")].shape == (2,) and tab["steps2"].tolist() == [10, 20]
    text = cr.format_tables_1_2(tab)
    assert "Table 1" in text and "t=4" in text
    with pytest.raises(ValueError, match="t1_lrs"):
        cr.tables_1_2(4, [-1e-2], 20, [4], 20, [0], t=4)
    with pytest.raises(ValueError, match="t1_steps"):
        cr.tables_1_2(4, [1e-2], 25, [4], 20, [0], t=4)
