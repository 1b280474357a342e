"""PTD, transfer functions and L2 errors against independent oracles (dense solves, time-domain quadrature)."""

import numpy as np
import pytest
import scipy.linalg
from scipy.integrate import quad

from ssmtheory import init
from ssmtheory.experiments import ptd_search
from ssmtheory.theory import ptd


def test_sherman_morrison_identity_random_s_and_C():
    N = 12
    rng = np.random.default_rng(0)
    A_H, B = init.hippo_legs(N)
    A_N, _, _ = init.hippo_legs_nplr(N)
    s = rng.normal(size=8) * 5 + 1j * rng.normal(size=8) * 30
    C = rng.normal(size=N)
    GN = ptd.transfer_dense(A_N, B, C, s)
    GH = ptd.transfer_dense(A_H, B, C, s)
    q = ptd.q_nplr(N, s)
    np.testing.assert_allclose(GN, (1 + q) * GH, rtol=1e-8)
    np.testing.assert_allclose(ptd.transfer_hippo(N, s, C), GH, rtol=1e-8)
    np.testing.assert_allclose(ptd.transfer_hippo(N, s, C, normal_part=True), GN, rtol=1e-8)


def test_s4d_system_is_normal_part_with_half_B():
    N = 10
    lam, Bt, Ct = ptd.s4d_legs_system(N)
    A_N, _, B = init.hippo_legs_nplr(N)
    s = np.array([0.3 + 2j, 1j * 7.0])
    np.testing.assert_allclose(ptd.transfer_diag(lam, Bt, Ct, s), ptd.transfer_dense(A_N, B / 2, np.eye(N)[0], s), rtol=1e-10)
    assert ptd.omega_max(32) == pytest.approx(325.43, abs=0.01)


def test_l2_output_error_against_time_domain_quadrature():
    # kernels k_i(t) = C_i exp(A_i t) B_i; responses to e^{-t} in closed form per mode:
    # int_0^t e^{a s} e^{-(t-s)} ds = (e^{a t} - e^{-t}) / (a + 1); then quad of the squared difference.
    A1, B1, C1 = np.array([[-1.5, 0.5], [0.0, -2.0]]), np.array([1.0, 1.0]), np.array([1.0, -0.3])
    A2, B2, C2 = np.array([-0.7, -3.0]), np.array([0.5, 1.0]), np.array([1.0, 2.0])
    lam1, V1 = np.linalg.eig(A1)
    w1 = (C1 @ V1) * np.linalg.solve(V1, B1)
    lam = np.concatenate([lam1, A2])
    w = np.concatenate([w1, -C2 * B2])

    def k(t):
        return float(np.real(np.sum(w * np.exp(lam * t))))

    def y(t):
        return float(np.real(np.sum(w * (np.exp(lam * t) - np.exp(-t)) / (lam + 1))))

    imp = np.sqrt(quad(lambda t: k(t) ** 2, 0, 80, limit=200)[0])
    ex = np.sqrt(quad(lambda t: y(t) ** 2, 0, 80, limit=200)[0])
    assert ptd.l2_output_error((A1, B1, C1), (A2, B2, C2), "impulse") == pytest.approx(imp, rel=1e-7)
    assert ptd.l2_output_error((A1, B1, C1), (A2, B2, C2), "exp") == pytest.approx(ex, rel=1e-7)


def test_gaussian_perturbation_norm():
    A, _ = init.hippo_legs(10)
    E = ptd.gaussian_perturbation(A, 0.01, seed=3)
    assert np.linalg.norm(E, 2) == pytest.approx(0.01 * np.linalg.norm(A, 2))


# ---------------------------------------------------------------------------------------------------
# issue 18 / 13: Theorem 3 normalization, absolute eps, realizations, guards
# ---------------------------------------------------------------------------------------------------
def test_l2_output_error_refuses_unstable_systems():
    A, B = init.hippo_legs(6)
    C = np.eye(6)[0]
    with pytest.raises(ValueError, match="sys2 must be stable"):
        ptd.l2_output_error((A, B, C), (-A, B, C), "exp")
    with pytest.raises(ValueError, match="sys1 must be stable"):
        ptd.l2_output_error((np.array([0.1, -1.0]), np.ones(2), np.ones(2)), (A, B, C), "impulse")
    with pytest.raises(ValueError, match="sys1 must be stable"):  # marginal: eigenvalue on the axis
        ptd.l2_output_error((np.array([1j, -1.0]), np.ones(2), np.ones(2)), (A, B, C), "impulse")


def test_resolvent_vectors_against_dense_solves():
    N = 10
    A_H, B = init.hippo_legs(N)
    A_N, _, _ = init.hippo_legs_nplr(N)
    b = B / np.linalg.norm(B)
    s = np.array([0.0, 0.7j, 13j, 0.2 + 40j])
    XH = ptd.hippo_resolvent_B(N, s)
    XN = ptd.normal_resolvent_B(N, s, 0.5)
    for j, sj in enumerate(s):
        np.testing.assert_allclose(XH[:, j], np.linalg.solve(sj * np.eye(N) - A_H, b), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(XN[:, j], np.linalg.solve(sj * np.eye(N) - A_N, b / 2), rtol=1e-10, atol=1e-14)
    E = 1e-3 * np.random.default_rng(0).normal(size=(N, N))
    D = ptd.perturbed_resolvent_diff(N, E, s)
    for j, sj in enumerate(s):
        direct = np.linalg.solve(sj * np.eye(N) - A_H - E, b) - np.linalg.solve(sj * np.eye(N) - A_H, b)
        np.testing.assert_allclose(D[:, j], direct, rtol=1e-7, atol=1e-15)


def test_thm3_deviation_definitions():
    N = 8
    E = 0.05 * np.random.default_rng(1).normal(size=(N, N))
    d = ptd.thm3_deviation(N, E, n_C=50, seed=0)
    # the worst unit C dominates every fixed unit C, including e_1 and the Gaussian ones
    assert d["worst"] >= d["e1"] - 1e-15 and d["worst"] >= d["gauss_sup"].max() - 1e-15
    assert d["eps"] == pytest.approx(np.linalg.norm(E, 2)) and d["bound"] == pytest.approx((2 * np.log(N) + 4) * d["eps"])
    # brute force at the reported frequency: the norm of the dense-solve difference
    A, B = init.hippo_legs(N)
    b = B / np.linalg.norm(B)
    w = d["w_worst"]
    v = np.linalg.solve(1j * w * np.eye(N) - A - E, b) - np.linalg.solve(1j * w * np.eye(N) - A, b)
    assert np.linalg.norm(v) == pytest.approx(d["worst"], rel=1e-8)
    # and no frequency of a brute-force grid exceeds it
    for ww in np.linspace(0, 3 * ptd.omega_max(N), 300):
        v = np.linalg.solve(1j * ww * np.eye(N) - A - E, b) - np.linalg.solve(1j * ww * np.eye(N) - A, b)
        assert np.linalg.norm(v) <= d["worst"] * (1 + 1e-9)
    # the diagonal realization gives the same numbers for a well-conditioned A + E
    dd = ptd.thm3_deviation(N, E, n_C=50, seed=0, via="diag")
    assert dd["worst"] == pytest.approx(d["worst"], rel=1e-8)
    # S4D: (A_N, B/2) against HiPPO
    s = ptd.thm3_deviation(N, n_C=10)
    A_N, _, _ = init.hippo_legs_nplr(N)
    v = np.linalg.solve(1j * s["w_worst"] * np.eye(N) - A_N, b / 2) - np.linalg.solve(1j * s["w_worst"] * np.eye(N) - A, b)
    assert np.linalg.norm(v) == pytest.approx(s["worst"], rel=1e-8)


def test_thm3_first_order_scaling_and_b_half_variant():
    N = 8
    E = np.random.default_rng(2).normal(size=(N, N))
    ts = np.array([1e-6, 1e-5, 1e-4])
    eps, dev = ptd.thm3_scaling(N, E, ts)
    np.testing.assert_allclose(eps, ts * np.linalg.norm(E, 2))
    np.testing.assert_allclose(np.diff(np.log(dev)) / np.diff(np.log(ts)), 1.0, atol=1e-3)
    _, dev_half = ptd.thm3_scaling(N, E, ts, b_scale_ptd=0.5)
    # B/2 against B: the deviation tends to ||x_H|| / 2 at its peak, not to 0
    half_xH = 0.5 * np.linalg.norm(ptd.hippo_resolvent_B(N, np.array([0j])))
    assert np.all(dev_half >= 0.99 * half_xH) and np.ptp(dev_half) < 1e-3 * half_xH


def test_worst_aligned_perturbation_first_order_gain():
    N = 8
    A, B = init.hippo_legs(N)
    b = B / np.linalg.norm(B)
    eps = 1e-6
    E = ptd.worst_aligned_perturbation(N, eps)
    assert np.linalg.norm(E, 2) == pytest.approx(eps)
    x0 = np.linalg.solve(-A, b)
    first = np.linalg.norm(np.linalg.solve(-A, E @ x0))
    assert first == pytest.approx(eps * np.linalg.norm(x0) * np.linalg.norm(np.linalg.inv(A), 2), rel=1e-10)


def test_realization_error_ptd_vs_direct():
    N = 12
    A, _ = init.hippo_legs(N)
    r = ptd_search.ptd_optimize(A, 10.0, steps=200, lr=2e-3)
    assert ptd.realization_error(N, r.E, dtype=np.float64) < 1e-12
    assert ptd.realization_error(N, r.E, dtype=np.float32) < 1e-5
    assert ptd.realization_error(N) < 1e-6  # N = 12: direct diagonalization still fine
    assert ptd.realization_error(28) > 1e-2  # N = 28: it is not
