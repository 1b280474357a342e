"""The exact uniform gap over a fixed class of linear SSMs: trust-region solver, gap and psi against brute force."""

import numpy as np
import pytest
from scipy.optimize import minimize

from ssmtheory import init, processes, ssm
from ssmtheory.experiments import data_dependent as dd
from ssmtheory.theory import measure
from ssmtheory.theory import uniform_gap as ug

RNG = np.random.default_rng(0)


def _brute_trs(H, g, h, r, starts=60, seed=0):
    """max over the ball by random sampling plus SLSQP polishing from many starts (independent oracle)."""
    d = len(g)
    f = lambda c: c @ H @ c + 2 * g @ c + h  # noqa: E731
    rs = np.random.default_rng(seed)
    pts = rs.normal(size=(20000, d))
    pts = pts / np.linalg.norm(pts, axis=1, keepdims=True) * r * rs.uniform(0, 1, (20000, 1)) ** (1 / d)
    best = max(f(p) for p in pts[:2000])
    cons = {"type": "ineq", "fun": lambda c: r * r - c @ c, "jac": lambda c: -2 * c}
    for p in pts[:starts]:
        res = minimize(lambda c: -f(c), p, jac=lambda c: -(2 * H @ c + 2 * g), constraints=[cons], method="SLSQP",
                       options={"ftol": 1e-14, "maxiter": 500})
        if res.x @ res.x <= r * r * (1 + 1e-9):
            best = max(best, f(res.x))
    return best


@pytest.mark.parametrize("case", ["indefinite", "negative_interior", "negative_boundary", "hard"])
def test_trust_region_max_vs_brute_force(case):
    d, r = 4, 0.7
    A = RNG.normal(size=(d, d))
    H = (A + A.T) / 2
    g = RNG.normal(size=d)
    if case == "negative_interior":
        H = -A @ A.T - np.eye(d)
        g = 0.01 * g
    elif case == "negative_boundary":
        H = -A @ A.T * 0.01 - 0.01 * np.eye(d)
    elif case == "hard":
        ev, U = np.linalg.eigh(H)
        g = g - (g @ U[:, -1]) * U[:, -1] * 1.0  # orthogonal to the top eigenvector
        g *= 1e-3
    val, c = ug.trust_region_max(H, g, np.array(0.3), r)
    assert np.linalg.norm(c) <= r * (1 + 1e-9)
    assert float(val) == pytest.approx(float(c @ H @ c + 2 * g @ c + 0.3), rel=1e-9, abs=1e-12)
    assert float(val) == pytest.approx(_brute_trs(H, g, 0.3, r), rel=1e-6, abs=1e-9)


def test_sup_abs_quadratic_batched():
    d, r = 3, 1.3
    A = RNG.normal(size=(5, d, d))
    H = A + np.swapaxes(A, 1, 2)
    g = RNG.normal(size=(5, d))
    h = RNG.normal(size=5)
    v = ug.sup_abs_quadratic(H, g, h, r)
    for i in range(5):
        up = _brute_trs(H[i], g[i], h[i], r)
        dn = _brute_trs(-H[i], -g[i], -h[i], r)
        assert v[i] == pytest.approx(max(up, dn), rel=1e-6)
    with pytest.raises(ValueError, match="r"):
        ug.sup_abs_quadratic(H, g, h, -1.0)
    with pytest.raises(ValueError, match="need H"):
        ug.trust_region_max(H, g[:, :2], h, r)


def test_readout_basis_matches_ssm_kernel():
    N, L, dt = 5, 40, 0.05
    lam = np.asarray(init.s4d_lin(N))
    G = ug.readout_basis(lam, dt, L)
    c = RNG.normal(size=2 * N)
    lb, bb = ssm.discretize(lam[None], np.ones((1, N), complex), dt)
    k = np.asarray(ssm.kernel(lb, bb, (c[:N] + 1j * c[N:])[None], L, conj_sym=True))[:, 0]
    np.testing.assert_allclose(G @ c, k[::-1], rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="Lambda"):
        ug.readout_basis(-lam, dt, L)  # unstable


def test_gap_from_data_vs_brute_force():
    # one data set, a 2-element class grid: the exact sup must dominate sampled |R - R_n| and match a polished maximum
    T, L, N, r, s = 2.0, 16, 2, 0.8, 0.7
    bases = ug.s4d_class(N, T, L, alphas=(0.5, 2.0))
    p = processes.ou(1.0, 1.0, T, mean=lambda t: 0.5 + 0 * t)
    M = p.second_moment(L)
    pops = [G.T @ M @ G for G in bases]
    X = p.sample(1, 30, L)
    y = s * np.where(RNG.random(30) < 0.5, -1.0, 1.0)
    val = ug.gap_from_data(X, y, bases, pops, r, s)[0]
    best = 0.0
    for G, P in zip(bases, pops):
        def gap(c):
            w = G @ c
            R = w @ M @ w + s**2  # labels independent, mean 0
            Rn = np.mean((X @ w - y) ** 2)
            return abs(R - Rn)
        cs = RNG.normal(size=(4000, 2 * N))
        cs = cs / np.linalg.norm(cs, axis=1, keepdims=True) * r * RNG.uniform(0, 1, (4000, 1)) ** (1 / (2 * N))
        best = max(best, max(gap(c) for c in cs))
        H = P - (X @ G).T @ (X @ G) / 30
        gv = (X @ G).T @ y / 30
        hv = s**2 - np.mean(y**2)
        best = max(best, _brute_trs(H, gv, hv, r, starts=30), _brute_trs(-H, -gv, -hv, r, starts=30))
    assert val >= best * (1 - 1e-6)
    assert val == pytest.approx(best, rel=1e-5)


def test_uniform_gaps_shapes_nesting_and_erm():
    T, L = 2.0, 16
    bases = ug.s4d_class(2, T, L)
    p = processes.brownian_on(1.0, T)
    g, e = ug.uniform_gaps(p, bases, 0.5, [8, 32, 128], reps=3, L=L, seed=4, erm=True)
    assert g.shape == e.shape == (3, 3) and np.all(g > 0)
    g2 = ug.uniform_gaps(p, bases, 0.5, [8, 32, 128], reps=3, L=L, seed=4)
    np.testing.assert_array_equal(g, g2)  # deterministic
    assert g.mean(0)[-1] < g.mean(0)[0]
    with pytest.raises(ValueError, match="basis"):
        ug.uniform_gaps(p, [np.ones((L + 1, 2))], 0.5, [8], 1, L)


def test_psi_ball_vs_exhaustive_signs():
    # a(Theta) = r max_{|c|=1} ||diag(sigma) G c||_1 = r max_{s in {+-1}^L} ||G^T diag(sigma) s||_2 (exhaustive for small L)
    L, N, r = 9, 2, 0.6
    bases = ug.s4d_class(N, 1.5, L, alphas=(1.0,))
    sd = RNG.uniform(0.2, 1.5, L)
    mu = RNG.normal(size=L)
    a, m = ug.psi_ball(bases, mu, sd, r, restarts=20)
    G = bases[0]
    signs = 1 - 2 * ((np.arange(2**L)[:, None] >> np.arange(L)) & 1)
    a_ex = r * np.max(np.linalg.norm(signs @ (sd[:, None] * G), axis=1))
    assert a == pytest.approx(a_ex, rel=1e-9)
    assert m == pytest.approx(r * np.linalg.norm(G.T @ mu), rel=1e-12)
    # psi >= sqrt(tau) of any member of the class (measure.tau_parts on the same kernel)
    c = RNG.normal(size=2 * N)
    c *= r / np.linalg.norm(c)
    k = (G @ c)[::-1]
    aa, mm = (float(v) for v in measure.tau_parts(k, mu, sd))
    assert aa <= a * (1 + 1e-12) and mm <= m * (1 + 1e-12)
    with pytest.raises(ValueError, match="sigma"):
        ug.psi_ball(bases, mu, -sd, r)


def test_norm_proxy_closed_form_and_statistics():
    bases = ug.s4d_class(2, 1.0, 12)
    assert ug.norm_proxy(bases, 4.0, 0.5) == pytest.approx(0.5 * max(np.linalg.norm(G, 2) for G in bases) * 2.0)
    with pytest.raises(ValueError, match="energy"):
        ug.norm_proxy(bases, 0.0, 0.5)
    ns = [10, 20, 40, 80]
    gaps = [np.outer(np.ones(6) + 0.01 * RNG.normal(size=6), np.asarray(ns, float) ** -0.5)]
    sl, ci, exc = dd.slope_band_excess(ns, gaps, (-0.6, -0.4), n_boot=200)
    assert sl[0] == pytest.approx(-0.5, abs=1e-9) and exc[0] < 0
    rho, lo = dd.rank_tracking([np.full(4, v) + 0.001 * RNG.normal(size=4) for v in (1, 2, 3)], [1.0, 2.0, 3.0], n_boot=100)
    assert rho == pytest.approx(1.0) and lo == pytest.approx(1.0)
    v, hi = dd.refinement_excess(np.full(5, 2.0), np.full(5, 2.0), 1.0, 1.0, n_boot=100)
    assert v == pytest.approx(0.0) and hi == pytest.approx(0.0)
