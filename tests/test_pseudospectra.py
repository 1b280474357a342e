"""Pseudospectral diagnostics against independent oracles (dense NumPy SVD, closed forms, mpmath)."""

import numpy as np
import pytest

from ssmtheory import init
from ssmtheory import pseudospectra as ps


def _points(rng, n, scale):
    return scale * (rng.uniform(-1, 1, n) + 1j * rng.uniform(-1, 1, n))


@pytest.mark.parametrize("method", ["svd", "lanczos", "lanczos_grid"])
def test_sigma_min_random_matrix_matches_numpy(method):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(24, 24))
    z = _points(rng, 32, 5.0).reshape(4, 8)
    ref = ps.sigma_min_reference(A, z)
    out = ps.sigma_min(A, z, method=method)
    assert out.shape == z.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, ref, rtol=1e-9)


@pytest.mark.parametrize("method", ["svd", "lanczos", "lanczos_grid"])
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
    np.testing.assert_allclose(ps.resolvent_norm_imag(A_H, om), ref, rtol=1e-10)


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
    few = Z.ravel()[:5]
    np.testing.assert_array_equal(ps.sigma_min(A, few), ps.sigma_min(A, few, method="svd"))


def test_lanczos_grid_chunking_is_invisible():
    rng = np.random.default_rng(7)
    A = np.triu(rng.normal(size=(20, 20)))
    z = _points(rng, 300, 6.0)
    T = ps.schur_triangular(A)
    one = ps._sigma_lanczos_grid(T, z)
    chunked = ps._sigma_lanczos_grid(T, z, chunk=37)
    np.testing.assert_allclose(chunked, one, rtol=1e-10)
