"""Pseudospectral diagnostics against independent oracles (dense NumPy SVD, closed forms, mpmath)."""

import numpy as np
import pytest

from ssmtheory import init
from ssmtheory import pseudospectra as ps


def _points(rng, n, scale):
    return scale * (rng.uniform(-1, 1, n) + 1j * rng.uniform(-1, 1, n))


@pytest.mark.parametrize("method", ["svd", "lanczos"])
def test_sigma_min_random_matrix_matches_numpy(method):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(24, 24))
    z = _points(rng, 32, 5.0).reshape(4, 8)
    ref = ps.sigma_min_reference(A, z)
    out = ps.sigma_min(A, z, method=method)
    assert out.shape == z.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, ref, rtol=1e-9)


@pytest.mark.parametrize("method", ["svd", "lanczos"])
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
