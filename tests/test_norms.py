"""Tests for ssmtheory.norms against independent oracles (plain loops, brute force, scipy, python-control)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from ssmtheory.norms import (
    L1Norm,
    frequency_response,
    h2_norm,
    hinf_norm,
    impulse_response,
    l1_norm,
    layer_to_standard,
    spectral_radius,
)


# ------------------------------------------------------------------------------------------------
# helpers / oracles
# ------------------------------------------------------------------------------------------------
def rand_diag(rng, P, H_in, H_out, r_max=0.95, r_min=0.1):
    r = rng.uniform(r_min, r_max, P)
    lam = r * np.exp(1j * rng.uniform(-np.pi, np.pi, P))
    B = rng.standard_normal((P, H_in)) + 1j * rng.standard_normal((P, H_in))
    C = rng.standard_normal((H_out, P)) + 1j * rng.standard_normal((H_out, P))
    D = rng.standard_normal((H_out, H_in))
    return lam, B, C, D


def rand_dense(rng, P, H_in, H_out, rho=0.9):
    A = rng.standard_normal((P, P))
    A *= rho / np.max(np.abs(np.linalg.eigvals(A)))
    B = rng.standard_normal((P, H_in))
    C = rng.standard_normal((H_out, P))
    D = rng.standard_normal((H_out, H_in))
    return A, B, C, D


def loop_impulse(A, B, C, D, n):
    """Plain Python simulation of s_{k+1} = A s_k + B u_k, y_k = C s_k + D u_k, one input at a time."""
    A = np.diag(A) if np.ndim(A) == 1 else np.asarray(A)
    P, H_in = B.shape
    out = np.zeros((n, C.shape[0], H_in), dtype=complex)
    for i in range(H_in):
        s = np.zeros(P, dtype=complex)
        for k in range(n):
            u = np.zeros(H_in)
            if k == 0:
                u[i] = 1.0
            y = C @ s + D @ u
            s = A @ s + B @ u
            out[k, :, i] = y
    return out


def loop_layer(lam, B, C, D, n, conj_sym=False):
    """Plain Python simulation of the S4 layer x_k = lam x_{k-1} + B u_k, y_k = c Re(C x_k) + D u_k."""
    c = 2.0 if conj_sym else 1.0
    P, H_in = B.shape
    out = np.zeros((n, C.shape[0], H_in))
    for i in range(H_in):
        x = np.zeros(P, dtype=complex)
        for k in range(n):
            u = np.zeros(H_in)
            if k == 0:
                u[i] = 1.0
            x = lam * x + B @ u
            out[k, :, i] = c * np.real(C @ x) + D @ u
    return out


def sigma_grid(A, B, C, D, w):
    G = frequency_response(A, B, C, D, w)
    return np.linalg.svd(G, compute_uv=False)[:, 0]


# ------------------------------------------------------------------------------------------------
# spectral radius, impulse response, layer bridge
# ------------------------------------------------------------------------------------------------
def test_spectral_radius():
    rng = np.random.default_rng(0)
    lam = np.array([0.3, -0.7 + 0.1j, 0.5j])
    assert spectral_radius(lam) == pytest.approx(abs(-0.7 + 0.1j), rel=1e-15)
    V = rng.standard_normal((3, 3))
    A = V @ np.diag([0.2, -0.8, 0.5]) @ np.linalg.inv(V)
    assert spectral_radius(A) == pytest.approx(0.8, rel=1e-10)
    J = np.array([[0.9, 100.0], [0.0, 0.9]])  # non-normal: ||J|| >> rho
    assert spectral_radius(J) == pytest.approx(0.9, rel=1e-12)


def test_impulse_response_vs_loop():
    rng = np.random.default_rng(1)
    lam, B, C, D = rand_diag(rng, 5, 2, 3)
    h = impulse_response(lam, B, C, D, 40)
    assert h.shape == (40, 3, 2)
    np.testing.assert_allclose(h, loop_impulse(lam, B, C, D, 40), rtol=1e-12, atol=1e-13)
    A, B, C, D = rand_dense(rng, 4, 2, 3)
    h = impulse_response(A, B, C, D, 40)
    assert h.dtype == np.float64  # real in, real out
    np.testing.assert_allclose(h, loop_impulse(A, B, C, D, 40).real, rtol=1e-12, atol=1e-13)
    # real diagonal also stays real and D=None means zeros
    h = impulse_response(np.array([0.5, -0.2]), np.ones((2, 1)), np.ones((1, 2)), None, 3)
    assert h.dtype == np.float64
    np.testing.assert_allclose(h[:, 0, 0], [0.0, 2.0, 0.3])


def test_impulse_response_vs_scipy_dimpulse():
    rng = np.random.default_rng(2)
    A, B, C, D = rand_dense(rng, 5, 1, 1, rho=0.95)
    n = 60
    _, (y,) = scipy.signal.dimpulse((A, B, C, D, 1.0), n=n)
    np.testing.assert_allclose(impulse_response(A, B, C, D, n)[:, 0, 0], y[:, 0], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("case", ["complex", "complex_conj_sym", "real", "real_conj_sym"])
def test_layer_to_standard_matches_s4_loop(case):
    rng = np.random.default_rng(3)
    P, H_in, H_out = 4, 2, 3
    conj_sym = case.endswith("conj_sym")
    if case.startswith("complex"):
        lam = rng.uniform(0.3, 0.95, P) * np.exp(1j * rng.uniform(-np.pi, np.pi, P))
        B = rng.standard_normal((P, H_in)) + 1j * rng.standard_normal((P, H_in))
    else:
        lam = rng.uniform(-0.95, 0.95, P)
        B = rng.standard_normal((P, H_in))
    C = rng.standard_normal((H_out, P)) + 1j * rng.standard_normal((H_out, P))
    D = rng.standard_normal((H_out, H_in))
    A_s, B_s, C_s, D_s = layer_to_standard(lam, B, C, D, conj_sym=conj_sym)
    assert A_s.ndim == 1
    assert A_s.shape[0] == (2 * P if case.startswith("complex") else P)
    n = 50
    h = impulse_response(A_s, B_s, C_s, D_s, n)
    ref = loop_layer(lam, B, C, D, n, conj_sym=conj_sym)
    assert np.max(np.abs(np.imag(h))) <= 1e-13 * np.max(np.abs(ref))  # real up to round-off
    np.testing.assert_allclose(np.real(h), ref, rtol=1e-12, atol=1e-13)
    # and the norms of the bridged system agree with the brute-force impulse-response sum
    hl = impulse_response(A_s, B_s, C_s, D_s, 2000)
    assert h2_norm(A_s, B_s, C_s, D_s) == pytest.approx(np.sqrt(np.sum(np.abs(hl) ** 2)), rel=1e-10)


def test_layer_to_standard_complex_B_real_lambda():
    rng = np.random.default_rng(4)
    lam = rng.uniform(-0.9, 0.9, 3)
    B = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    C = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    sysm = layer_to_standard(lam, B, C, None)
    np.testing.assert_allclose(np.real(impulse_response(*sysm, 30)), loop_layer(lam, B, C, np.zeros((2, 2)), 30), rtol=1e-12, atol=1e-13)


# ------------------------------------------------------------------------------------------------
# H2
# ------------------------------------------------------------------------------------------------
def test_h2_closed_form_vs_lyapunov_vs_truncated_sum():
    rng = np.random.default_rng(5)
    worst = 0.0
    for _ in range(10):
        lam, B, C, D = rand_diag(rng, 8, 2, 3, r_max=0.97)
        a = h2_norm(lam, B, C, D, method="closed_form")
        b = h2_norm(lam, B, C, D, method="lyapunov")
        assert h2_norm(lam, B, C, D) == a  # auto -> closed form
        worst = max(worst, abs(a - b) / b)
        h = impulse_response(lam, B, C, D, 3000)  # 0.97^3000 ~ 1e-40
        assert a == pytest.approx(np.sqrt(np.sum(np.abs(h) ** 2)), rel=1e-11)
    assert worst <= 1e-10, worst
    # dense: Lyapunov vs truncated sum
    A, B, C, D = rand_dense(rng, 6, 2, 3, rho=0.9)
    h = impulse_response(A, B, C, D, 2000)
    assert h2_norm(A, B, C, D) == pytest.approx(np.sqrt(np.sum(h**2)), rel=1e-11)
    # scalar closed form: sqrt(d^2 + (cb)^2 / (1 - a^2))
    assert h2_norm(np.array([[0.5]]), [[2.0]], [[3.0]], [[1.0]]) == pytest.approx(math.sqrt(1 + 36 / 0.75), rel=1e-14)


def test_h2_vs_python_control():
    control = pytest.importorskip("control")
    rng = np.random.default_rng(6)
    A, B, C, D = rand_dense(rng, 6, 2, 3, rho=0.9)
    ref = control.norm(control.ss(A, B, C, D, dt=True), p=2)
    assert h2_norm(A, B, C, D) == pytest.approx(ref, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    P=st.integers(1, 8),
    H_in=st.integers(1, 3),
    H_out=st.integers(1, 3),
    r_max=st.floats(0.05, 0.99),
)
def test_h2_closed_form_equals_lyapunov_property(seed, P, H_in, H_out, r_max):
    rng = np.random.default_rng(seed)
    lam, B, C, D = rand_diag(rng, P, H_in, H_out, r_max=r_max, r_min=0.0)
    a = h2_norm(lam, B, C, D, method="closed_form")
    b = h2_norm(lam, B, C, D, method="lyapunov")
    assert a == pytest.approx(b, rel=1e-10)


# ------------------------------------------------------------------------------------------------
# l1
# ------------------------------------------------------------------------------------------------
def brute_l1(h, norm):
    if norm == "inf":
        v = np.abs(h).sum(axis=2).max(axis=1)
    elif norm == "fro":
        v = np.sqrt((np.abs(h) ** 2).sum(axis=(1, 2)))
    else:
        v = np.linalg.norm(h, ord=2, axis=(1, 2))
    return math.fsum(v)


def check_enclosure(res, brute, tight=1e-8):
    assert isinstance(res, L1Norm)
    assert res.value <= brute * (1 + 1e-12)
    assert brute <= res.upper * (1 + 1e-12)
    assert res.upper / res.value - 1 <= tight


@pytest.mark.parametrize("norm", ["inf", "fro", 2])
def test_l1_diagonal_enclosure(norm):
    rng = np.random.default_rng(7)
    lam, B, C, D = rand_diag(rng, 6, 2, 3, r_max=0.9)
    res = l1_norm(lam, B, C, D, norm=norm)
    brute = brute_l1(impulse_response(lam, B, C, D, 1500), norm)  # 0.9^1500 ~ 1e-69
    check_enclosure(res, brute)


@pytest.mark.parametrize("norm", ["inf", "fro", 2])
def test_l1_dense_enclosure(norm):
    rng = np.random.default_rng(8)
    A, B, C, D = rand_dense(rng, 6, 2, 3, rho=0.9)
    res = l1_norm(A, B, C, D, norm=norm)
    brute = brute_l1(impulse_response(A, B, C, D, 1500), norm)
    check_enclosure(res, brute)


def test_l1_dense_nonnormal():
    # Jordan-like block with large off-diagonal: ||A||_2 >> 1 although rho = 0.8
    A = np.array([[0.8, 5.0, 0.0], [0.0, 0.8, 5.0], [0.0, 0.0, 0.8]])
    B = np.array([[0.0], [0.0], [1.0]])
    C = np.array([[1.0, 0.0, 0.0]])
    res = l1_norm(A, B, C)
    brute = brute_l1(impulse_response(A, B, C, None, 1000), "inf")
    check_enclosure(res, brute)


def test_l1_scalar_closed_form():
    for lam, b, c, d in [(0.5, 2.0, -3.0, 0.7), (-0.9, 1.0, 1.0, 0.0), (0.6j, 1 + 1j, 2.0, -1.0)]:
        res = l1_norm(np.array([lam]), [[b]], [[c]], [[d]])
        exact = abs(c * b) / (1 - abs(lam)) + abs(d)
        assert res.value <= exact * (1 + 1e-14) and exact <= res.upper * (1 + 1e-14)
        assert res.value == pytest.approx(exact, rel=1e-10)
    # zero system: exact zero enclosure, no loop
    res = l1_norm(np.array([0.5]), [[1.0]], [[0.0]])
    assert (res.value, res.upper, res.n_terms) == (0.0, 0.0, 1)
    assert type(res.upper) is float and type(res.value) is float
    res = l1_norm(np.array([[0.5]]), [[1.0]], [[2.0]])
    assert type(res.upper) is float


def test_l1_radius_close_to_one_still_certifies():
    rng = np.random.default_rng(9)
    lam, B, C, D = rand_diag(rng, 4, 1, 2, r_max=0.9)
    lam[0] = 0.999 * np.exp(0.3j)
    res = l1_norm(lam, B, C, D)
    brute = brute_l1(impulse_response(lam, B, C, D, 50_000), "inf")  # 0.999^5e4 ~ 2e-22
    check_enclosure(res, brute)
    assert res.n_terms > 10_000
    # dense real rotation with radius 0.999
    th = 0.3
    A = 0.999 * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    B2, C2 = np.array([[1.0], [0.5]]), np.array([[1.0, -1.0]])
    res = l1_norm(A, B2, C2)
    brute = brute_l1(impulse_response(A, B2, C2, None, 50_000), "inf")
    check_enclosure(res, brute)


def test_l1_max_terms_warns_but_stays_valid():
    lam = np.array([0.999])
    with pytest.warns(RuntimeWarning, match="max_terms"):
        res = l1_norm(lam, [[1.0]], [[1.0]], max_terms=100)
    exact = 1 / (1 - 0.999)
    assert res.value <= exact <= res.upper * (1 + 1e-14)
    assert res.n_terms == 100


# ------------------------------------------------------------------------------------------------
# H-infinity
# ------------------------------------------------------------------------------------------------
def test_hinf_vs_dense_grid():
    rng = np.random.default_rng(10)
    w_real = np.linspace(0, np.pi, 200_000)
    w_cplx = np.linspace(-np.pi, np.pi, 200_000)
    worst = 0.0
    for sysm, w in [
        (rand_dense(rng, 6, 2, 3, rho=0.9), w_real),
        (rand_dense(rng, 4, 1, 1, rho=0.8), w_real),
        (rand_diag(rng, 8, 2, 3, r_max=0.95), w_cplx),
    ]:
        val = hinf_norm(*sysm)
        grid = float(sigma_grid(*sysm, w).max())
        assert val >= grid * (1 - 1e-12)
        assert val <= grid * (1 + 1e-6)
        worst = max(worst, abs(val - grid) / grid)
    assert worst <= 1e-6


def test_hinf_resonant_mode_found():
    theta = 1.0
    r = 0.9999
    # real 2x2 block with eigenvalues r e^{+- i theta}, plus a well-damped mode
    A = np.zeros((3, 3))
    A[:2, :2] = r * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    A[2, 2] = 0.5
    B = np.array([[1.0], [0.0], [1.0]])
    C = np.array([[0.0, 1.0, 1.0]])
    val = hinf_norm(A, B, C)
    # oracle: very fine grid around the resonance (width ~ 1 - r = 1e-4)
    w = np.linspace(theta - 2e-3, theta + 2e-3, 200_001)
    peak = float(sigma_grid(A, B, C, None, w).max())
    assert peak > 1e3
    assert val >= peak * (1 - 1e-12)
    assert val == pytest.approx(peak, rel=1e-6)
    # a plain uniform grid without the eigenvalue angles would badly underestimate it
    coarse = float(sigma_grid(A, B, C, None, np.linspace(0, np.pi, 2048)).max())
    assert coarse < 0.9 * val


def test_hinf_first_order_closed_form():
    for a, b, c, d in [(0.9, 1.0, 2.0, 0.5), (0.3, -1.5, -1.0, 0.0), (0.99, 0.1, 0.2, 1.0)]:
        # cb > 0, d >= 0, a > 0: |G(e^{iw})| = |cb/(e^{iw} - a) + d| peaks at w = 0
        val = hinf_norm(np.array([[a]]), [[b]], [[c]], [[d]])
        assert val == pytest.approx(abs(b * c) / (1 - a) + d, rel=1e-12)
    # negative real pole: peak at w = pi, |cb|/(1 + a) with a = -|a|
    val = hinf_norm(np.array([-0.8]), [[1.0]], [[1.0]])
    assert val == pytest.approx(1 / (1 - 0.8), rel=1e-12)


def test_hinf_vs_python_control():
    control = pytest.importorskip("control")
    rng = np.random.default_rng(11)
    A, B, C, D = rand_dense(rng, 5, 2, 2, rho=0.9)
    ref = control.norm(control.ss(A, B, C, D, dt=True), p="inf")
    # python-control (no slycot) bisects with a ~1e-6 tolerance
    assert hinf_norm(A, B, C, D) == pytest.approx(ref, rel=1e-5)


def test_frequency_response_diag_equals_dense():
    rng = np.random.default_rng(12)
    lam, B, C, D = rand_diag(rng, 5, 2, 3)
    w = np.linspace(-3, 3, 17)
    G1 = frequency_response(lam, B, C, D, w)
    G2 = frequency_response(np.diag(lam), B, C, D, w)
    np.testing.assert_allclose(G1, G2, rtol=1e-12, atol=1e-12)
    z = np.exp(1j * w[3])
    np.testing.assert_allclose(G1[3], C @ np.linalg.solve(z * np.eye(5) - np.diag(lam), B) + D, rtol=1e-12)
    with pytest.raises(ValueError, match=r"^w "):
        frequency_response(np.array([1.0]), [[1.0]], [[1.0]], None, [0.0])


# ------------------------------------------------------------------------------------------------
# bad inputs
# ------------------------------------------------------------------------------------------------
GOOD = (np.array([0.5, 0.2]), np.ones((2, 1)), np.ones((1, 2)), np.zeros((1, 1)))


@pytest.mark.parametrize("fn", [h2_norm, l1_norm, hinf_norm])
def test_bad_inputs(fn):
    A, B, C, D = GOOD
    with pytest.raises(ValueError, match=r"^B "):
        fn(A, np.ones((3, 1)), C, D)
    with pytest.raises(ValueError, match=r"^C "):
        fn(A, B, np.ones((1, 3)), D)
    with pytest.raises(ValueError, match=r"^D "):
        fn(A, B, C, np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"^A "):
        fn(np.ones((2, 3)), B, C, D)
    with pytest.raises(ValueError, match=r"^A .*NaN"):
        fn(np.array([0.5, np.nan]), B, C, D)
    with pytest.raises(ValueError, match=r"^B .*NaN"):
        fn(A, np.array([[1.0], [np.inf]]), C, D)
    with pytest.raises(ValueError, match=r"^B "):
        fn(A, np.ones(2), C, D)  # 1-D B not accepted
    # unstable / marginally stable
    with pytest.raises(ValueError, match=r"^A .*spectral radius"):
        fn(np.array([0.5, 1.0]), B, C, D)
    with pytest.raises(ValueError, match=r"^A .*spectral radius"):
        fn(np.array([[1.2, 0.0], [0.0, 0.1]]), B, C, D)


def test_bad_choices():
    A, B, C, D = GOOD
    with pytest.raises(ValueError, match="method"):
        h2_norm(A, B, C, D, method="bogus")
    with pytest.raises(ValueError, match="method"):
        h2_norm(np.diag(A), B, C, D, method="closed_form")
    with pytest.raises(ValueError, match="norm"):
        l1_norm(A, B, C, D, norm="one")
    with pytest.raises(ValueError, match="rtol"):
        l1_norm(A, B, C, D, rtol=0.0)
    with pytest.raises(ValueError, match="n_grid"):
        hinf_norm(A, B, C, D, n_grid=1)
    with pytest.raises(ValueError, match=r"^n "):
        impulse_response(A, B, C, D, 0)
    with pytest.raises(ValueError, match="Lambda_bar"):
        layer_to_standard(np.ones((2, 2)), B, C)
    with pytest.raises(ValueError, match="B_bar"):
        layer_to_standard(A, np.ones((3, 1)), C)
    with pytest.raises(ValueError, match=r"^C "):
        layer_to_standard(A, B, np.ones((1, 3)))


# --------------------------------------------------------------------------- dense H2 vs an mpmath oracle (issue 13)
def _nonnormal_system(n=6, rho=0.98, kappa=1e5, seed=0):
    """A = V diag(lam) V^-1 with cond(V) ~ kappa and spectral radius rho."""
    r = np.random.default_rng(seed)
    lam = rho * np.exp(1j * np.linspace(0.2, 2.8, n // 2))
    lam = np.concatenate([lam, lam.conj()])
    Q1, _ = np.linalg.qr(r.normal(size=(n, n)))
    Q2, _ = np.linalg.qr(r.normal(size=(n, n)))
    V = Q1 @ np.diag(np.logspace(0, -np.log10(kappa), n)) @ Q2
    A = (V @ np.diag(lam) @ np.linalg.inv(V)).real
    B = r.normal(size=(n, 1))
    C = r.normal(size=(1, n))
    return A, B, C


def _h2_mpmath(A, B, C, dps=40, tol=1e-14):
    import mpmath

    mpmath.mp.dps = dps
    Am, x, Cm = mpmath.matrix(A.tolist()), mpmath.matrix(B.tolist()), mpmath.matrix(C.tolist())
    total, k, small = mpmath.mpf(0), 0, 0
    while small < 50:
        h = (Cm * x)[0, 0]
        term = h * h
        total += term
        small = small + 1 if abs(term) < tol * total * 1e-6 else 0
        x = Am * x
        k += 1
    return float(mpmath.sqrt(total))


def test_h2_dense_nonnormal_matches_mpmath():
    from ssmtheory.norms import h2_norm

    A, B, C = _nonnormal_system()
    assert np.linalg.cond(np.linalg.eig(A)[1]) > 1e3
    ref = _h2_mpmath(A, B, C)
    got = h2_norm(A, B, C)
    # measured: 2.6e-7 relative (the problem is ill-conditioned: |A| ~ 5e4 entries); SciPy's default
    # Kronecker solve is 93 % off and its bilinear method 5.5 % off on the same system
    assert abs(got - ref) / ref < 1e-6, (got, ref)
    import scipy.linalg

    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        W = scipy.linalg.solve_discrete_lyapunov(A, B @ B.T)
    assert abs(np.sqrt(abs((C @ W @ C.T)[0, 0])) - ref) / ref > 1e-2  # why we do not use it


def test_solve_stein_residual_and_errors():
    from ssmtheory.norms import solve_stein

    A, B, _ = _nonnormal_system(n=8, seed=1)
    Q = B @ B.T
    X = solve_stein(A, Q)
    # backward error: residual relative to ||A||^2 ||X|| at the round-off level
    scale = np.linalg.norm(A, 2) ** 2 * np.linalg.norm(X, 2) + np.linalg.norm(Q, 2)
    assert np.linalg.norm(X - A @ X @ A.T - Q, 2) <= 1e3 * np.finfo(float).eps * scale
    with pytest.raises(ValueError, match="A"):
        solve_stein(1.01 * np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match="Q"):
        solve_stein(0.5 * np.eye(3), np.eye(2))


def test_l1_enclosure_has_no_ambiguous_float():
    from ssmtheory.norms import l1_norm

    res = l1_norm(np.array([0.9, 0.5]), np.ones((2, 1)), np.ones((1, 2)))
    with pytest.raises(TypeError, match="upper"):
        float(res)
    assert res.value <= res.upper
