"""PTD, transfer functions and L2 errors against independent oracles (dense solves, time-domain quadrature)."""

import numpy as np
import pytest
import scipy.linalg
from scipy.integrate import quad

from ssmtheory import init, ptd


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


def test_ptd_output_stable_and_reconstructs():
    N = 8
    A, B = init.hippo_legs(N)
    r = ptd.ptd_optimize(A, 10.0, steps=300, lr=2e-3)
    assert r.max_re < 0 and np.all(np.isfinite(r.E))
    lam, V, Bt, Ct = ptd.diagonalize(A + r.E, B)
    np.testing.assert_allclose(V @ np.diag(lam) @ np.linalg.inv(V), A + r.E, atol=1e-9 * np.linalg.norm(A))
    np.testing.assert_allclose(V @ Bt, B, atol=1e-10 * np.linalg.norm(B))
    assert r.kappa < 1e3  # vs exact 2^16 ~ 7e4 for E = 0
    assert r.eps_rel == pytest.approx(np.linalg.norm(r.E, 2) / np.linalg.norm(A, 2))
    # the diagonal system's transfer function equals the dense one of A + E
    s = np.array([0.5j, 3j, 20j])
    np.testing.assert_allclose(ptd.transfer_diag(lam, Bt, Ct, s), ptd.transfer_dense(A + r.E, B, np.eye(N)[0], s), rtol=1e-8)


def test_gaussian_perturbation_norm():
    A, _ = init.hippo_legs(10)
    E = ptd.gaussian_perturbation(A, 0.01, seed=3)
    assert np.linalg.norm(E, 2) == pytest.approx(0.01 * np.linalg.norm(A, 2))
