"""Pseudospectral diagnostics against independent oracles (dense NumPy SVD, closed forms, mpmath)."""

import numpy as np
import pytest

from ssmtheory import init
from ssmtheory import pseudospectra as ps


def _points(rng, n, scale):
    return scale * (rng.uniform(-1, 1, n) + 1j * rng.uniform(-1, 1, n))


@pytest.mark.parametrize("method", ["svd", "lanczos_grid"])
def test_sigma_min_random_matrix_matches_numpy(method):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(24, 24))
    z = _points(rng, 32, 5.0).reshape(4, 8)
    ref = ps.sigma_min_reference(A, z)
    out = ps.sigma_min(A, z, method=method)
    assert out.shape == z.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, ref, rtol=1e-9)


@pytest.mark.parametrize("method", ["svd", "lanczos_grid"])
def test_sigma_min_triangular_hippo_above_floor(method):
    rng = np.random.default_rng(1)
    A, _ = init.hippo_legs(24)
    assert np.array_equal(ps.schur_triangular(A), A.T.astype(complex))  # no factorization for triangular A
    z = rng.uniform(-30, 30, 32) + 1j * rng.uniform(-30, 30, 32)
    ref = ps.sigma_min_reference(A, z)
    out = ps.sigma_min(A, z, method=method)
    # backward error O(eps ||A||) -> relative forward error ~ eps ||A|| / sigma; compare where sigma >= 1e-6 ||A||
    big = ref >= 1e-6 * np.linalg.norm(A, 2)
    assert big.sum() > 10
    np.testing.assert_allclose(out[big], ref[big], rtol=1e-8)
    small = ~big
    assert np.all(np.abs(out[small] - ref[small]) <= 1e-13 * np.linalg.norm(A, 2) * 10)


def test_sigma_min_complex_upper_triangular_and_general_complex():
    rng = np.random.default_rng(2)
    T = np.triu(rng.normal(size=(12, 12)) + 1j * rng.normal(size=(12, 12)))
    z = _points(rng, 10, 3.0)
    np.testing.assert_allclose(ps.sigma_min(T, z, method="svd"), ps.sigma_min_reference(T, z), rtol=1e-10)
    G = rng.normal(size=(12, 12)) + 1j * rng.normal(size=(12, 12))
    np.testing.assert_allclose(ps.sigma_min(G, z), ps.sigma_min_reference(G, z), rtol=1e-10)


def test_normal_fast_path_is_distance_to_spectrum():
    A_N, _, _ = init.hippo_legs_nplr(16)
    assert ps.is_normal(A_N) and not ps.is_normal(init.hippo_legs(16)[0])
    rng = np.random.default_rng(3)
    z = _points(rng, 50, 20.0)
    lam = np.linalg.eigvals(A_N)
    dist = np.abs(z[:, None] - lam[None, :]).min(1)
    np.testing.assert_allclose(ps.sigma_min(A_N, z), dist, rtol=1e-12)  # auto picks the normal path
    np.testing.assert_allclose(ps.sigma_min_reference(A_N, z), dist, rtol=1e-9)


def test_kappa_growth_exact_and_float64_saturation():
    l8, l16, l24 = (ps.hippo_eigvec_condition_exact(n) for n in (8, 16, 24))
    assert abs(l8 - 16.2) < 0.2 and abs(l16 - 36.3) < 0.2  # note section 1 values
    assert 2.3 < (l24 - l16) / 8 < 2.7
    # float64 condition number is accurate at small N and saturates at large N
    assert abs(np.log2(ps.eigvec_condition(init.hippo_legs(8)[0])) - l8) < 0.5
    assert ps.eigvec_condition(init.hippo_legs(40)[0]) < 2.0 ** (2.5 * 40 - 20)


def test_eigvec_condition_of_normal_is_one():
    A_N, _, _ = init.hippo_legs_nplr(10)
    assert ps.eigvec_condition(A_N) == pytest.approx(1.0, abs=1e-10)


def test_stability_radius_and_resolvent():
    A = np.diag([-1.0, -2.0, -0.3])  # normal: r = 0.3 at omega = 0
    r, w = ps.stability_radius(A)
    assert r == pytest.approx(0.3, rel=1e-8) and abs(w) < 1e-3
    A_H, _ = init.hippo_legs(8)
    r8, _ = ps.stability_radius(A_H)
    assert 0.55 < r8 < 0.65  # note: 0.60
    om = np.array([0.0, 1.0, 10.0])
    ref = np.array([np.linalg.norm(np.linalg.inv(1j * o * np.eye(8) - A_H), 2) for o in om])
    np.testing.assert_allclose(ps.resolvent_norm_imag(A_H, om), ref, rtol=1e-9)  # grid_tol 1e-9: ~5e-10 relative


def test_pseudospectrum_grid_and_floor():
    A, _ = init.hippo_legs(8)
    X, Y, S = ps.pseudospectrum(A, np.linspace(-9, 1, 5), np.linspace(-3, 3, 4))
    assert X.shape == Y.shape == S.shape == (4, 5)
    assert ps.roundoff_floor(A) == pytest.approx(1e-12 * np.linalg.norm(A, 2))


def _grid_case_points(rng, A):
    """Points near eigenvalues (1e-9 and 1e-3 away), exactly at eigenvalues, in the bulk and far away."""
    N = A.shape[0]
    lam = np.linalg.eigvals(A)
    k = min(8, N)
    near = lam[:k] + 1e-9 * (rng.normal(size=k) + 1j * rng.normal(size=k))
    mid = lam[:k] + 1e-3 * np.exp(2j * np.pi * rng.uniform(size=k))
    bulk = _points(rng, 40, 3 * np.sqrt(N))
    far = _points(rng, 6, 100 * np.sqrt(N))
    return np.concatenate([near, mid, bulk, far])


@pytest.mark.parametrize("N", [8, 33, 64])
@pytest.mark.parametrize("kind", ["upper", "lower", "dense", "complex_upper"])
def test_lanczos_grid_matches_per_point_svd(N, kind):
    rng = np.random.default_rng(100 + N)
    G = rng.normal(size=(N, N))
    A = {"upper": np.triu(G), "lower": np.tril(G), "dense": G,
         "complex_upper": np.triu(G + 1j * rng.normal(size=(N, N)))}[kind]
    z = _grid_case_points(rng, A)
    ref = ps.sigma_min_reference(A, z)
    out = ps.sigma_min(A, z, method="lanczos_grid")
    assert out.shape == z.shape and out.dtype == np.float64 and np.all(np.isfinite(out))
    nA = np.linalg.norm(A, 2)
    big = ref >= 1e-6 * nA
    assert big.sum() >= 40
    np.testing.assert_allclose(out[big], ref[big], rtol=1e-8)
    # below 1e-6 ||A|| only the round-off floor (Schur backward error for dense A) limits the agreement
    assert np.all(np.abs(out[~big] - ref[~big]) <= 1e-12 * nA)


def test_lanczos_grid_hippo_floor_and_auto():
    A, _ = init.hippo_legs(32)
    x = np.linspace(-38, 5, 30)
    y = np.linspace(-34, 34, 24)
    Z = x[None, :] + 1j * y[:, None]
    ref = ps.sigma_min_reference(A, Z)
    out = ps.sigma_min(A, Z)  # auto: grid-vectorized Lanczos for a grid
    np.testing.assert_array_equal(out, ps.sigma_min(A, Z, method="lanczos_grid"))
    nA = np.linalg.norm(A, 2)
    big = ref >= 1e-6 * nA
    assert big.sum() > 50 and (~big).sum() > 50  # both regimes present (sigma down to ~1e-25 ||A||)
    np.testing.assert_allclose(out[big], ref[big], rtol=1e-8)
    assert np.all(np.abs(out[~big] - ref[~big]) <= 1e-13 * nA * 10)
    # exactly at an eigenvalue: sigma = 0 (no NaN/inf); a handful of points -> SVD path, same answers
    at = ps.sigma_min(A, np.array([-1.0 + 0j, -7.0 + 0j, 2.0 + 1j]), method="lanczos_grid")
    assert at[0] == 0.0 and at[1] == 0.0 and at[2] == pytest.approx(ps.sigma_min_reference(A, np.array([2.0 + 1j]))[0], rel=1e-10)
    few = Z.ravel()[:5]  # triangular A: auto uses inverse Lanczos even for a handful of points
    np.testing.assert_array_equal(ps.sigma_min(A, few), ps.sigma_min(A, few, method="lanczos_grid"))
    G = np.random.default_rng(0).normal(size=(32, 32))  # dense A, few points: the SVD of the Schur factor
    np.testing.assert_array_equal(ps.sigma_min(G, few), ps.sigma_min(G, few, method="svd"))


def test_lanczos_grid_chunking_is_invisible():
    rng = np.random.default_rng(7)
    A = np.triu(rng.normal(size=(20, 20)))
    z = _points(rng, 300, 6.0)
    T = ps.schur_triangular(A)
    one = ps._sigma_lanczos_grid(T, z)
    chunked = ps._sigma_lanczos_grid(T, z, chunk=37)
    assert ps._sigma_lanczos_grid(T, z, chunk=300).shape == z.shape
    np.testing.assert_allclose(chunked, one, rtol=1e-10)


# ---------------------------------------------------------------------------------------------------
# issue 18 / issue 13: mpmath oracle below the float64 floor, stability radius, normality, guards
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("z", [-8.5 + 0j, -8.5 + 0.05j])
def test_sigma_min_triangular_hippo_below_floor_matches_mpmath(z):
    # N = 16, z half-way between eigenvalues: sigma_min ~ 1e-10, BELOW the float64 floor 1e-12 ||A|| = 1.6e-10.
    # The triangular path (no Schur factorization) keeps full relative accuracy there; a dense SVD does not.
    A, _ = init.hippo_legs(16)
    exact = ps.sigma_min_mpmath(A, z)
    assert exact < ps.roundoff_floor(A)
    ours = ps.sigma_min(A, np.array([z]), method="lanczos_grid")[0]
    assert ours == pytest.approx(exact, rel=1e-10)
    assert ps.sigma_min(A, np.array([z] * 80))[0] == pytest.approx(exact, rel=1e-10)  # auto (grid path) too


def test_sigma_min_rejects_nan_points():
    A, _ = init.hippo_legs(8)
    for z in (np.array([np.nan + 0j]), np.array([1.0, complex(np.inf, 0)])):
        with pytest.raises(ValueError, match="z must be finite"):
            ps.sigma_min(A, z)
    with pytest.raises(ValueError, match="A must be finite"):
        ps.sigma_min(np.array([[np.nan, 0], [0, 1.0]]), np.array([0j]))


def test_hippo_exact_condition_size_guard():
    with pytest.raises(ValueError, match="too large"):
        ps.hippo_eigvec_condition_exact(2000)
    with pytest.raises(ValueError, match="positive integer"):
        ps.hippo_eigvec_condition_exact(0)


def test_is_normal_tolerance_is_the_floor():
    A_N, _, _ = init.hippo_legs_nplr(16)
    floor = ps.roundoff_floor(A_N)
    assert ps.departure_from_normality(A_N) < 1e-2 * floor and ps.is_normal(A_N)
    # a departure just above the floor switches the fast path off; just below keeps it (and it is then exact to the floor)
    Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(16, 16)))
    U = np.zeros((16, 16))
    U[0, 5] = 1.0
    for fac, expect in ((0.5, True), (3.0, False)):
        A = A_N + fac * floor * (Q @ U @ Q.T)
        assert ps.is_normal(A) is expect
    A = A_N + 0.5 * floor * (Q @ U @ Q.T)
    z = np.array([0.3 + 2.0j, -0.5 + 7.1j])
    assert np.max(np.abs(ps.sigma_min(A, z) - ps.sigma_min_reference(A, z))) <= floor
    assert not ps.is_normal(init.hippo_legs(16)[0])


def test_stability_radius_bb_matches_grid_and_brute_force():
    rng = np.random.default_rng(4)
    M = rng.normal(size=(12, 12)) / np.sqrt(12) - 1.3 * np.eye(12)
    r, w = ps.stability_radius(M)
    rg, _ = ps.stability_radius(M, method="grid")
    ws = np.linspace(-6, 6, 6001)
    brute = min(np.linalg.svd(1j * x * np.eye(12) - M, compute_uv=False)[-1] for x in ws)
    assert r == pytest.approx(rg, rel=1e-8)
    assert r <= brute + 1e-12 and r == pytest.approx(brute, rel=1e-4)
    assert np.linalg.svd(1j * w * np.eye(12) - M, compute_uv=False)[-1] == pytest.approx(r, rel=1e-12)
    for N in (8, 16):
        A, _ = init.hippo_legs(N)
        assert ps.stability_radius(A)[0] == pytest.approx(ps.stability_radius(A, method="grid")[0], rel=1e-8)


def test_stability_radius_unstable_is_zero_not_mirror():
    A, _ = init.hippo_legs(8)
    r, _ = ps.stability_radius(A)
    assert r > 0.5
    assert ps.stability_radius(-A) == (0.0, 0.0)  # eigenvalues 1..8: already unstable
    marginal = A - np.max(np.linalg.eigvals(A).real) * np.eye(8)  # rightmost eigenvalue on the axis
    assert ps.stability_radius(marginal)[0] == 0.0
    with pytest.raises(ValueError, match="method"):
        ps.stability_radius(A, method="nope")


def test_lanczos_grid_dense_nonnormal_n64_accuracy():
    # the dense case of the benchmark: A_H + a small complex Ginibre perturbation (non-normal, dense Schur factor)
    N = 64
    A, _ = init.hippo_legs(N)
    rng = np.random.default_rng(5)
    G = rng.normal(size=(N, N)) + 1j * rng.normal(size=(N, N))
    Ad = A + 1e-2 * np.linalg.norm(A, 2) * G / np.linalg.norm(G, 2)
    z = rng.uniform(-N - 5, 5, 150) + 1j * rng.uniform(-N - 2, N + 2, 150)
    ref = ps.sigma_min_reference(Ad, z)
    out = ps.sigma_min(Ad, z)
    big = ref >= 1e-6 * np.linalg.norm(Ad, 2)
    assert big.sum() > 100
    np.testing.assert_allclose(out[big], ref[big], rtol=1e-8)


def test_removed_jax_lanczos_method_is_refused_with_a_pointer():
    """The jitted JAX method="lanczos" (never chosen by auto) was removed (issue 12): asking for it names the replacement."""
    A, _ = init.hippo_legs(4)
    with pytest.raises(ValueError, match="lanczos_grid"):
        ps.sigma_min(A, np.array([1j]), method="lanczos")
