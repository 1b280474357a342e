"""Input processes: closed-form mean / std / covariance against Monte Carlo and each other."""

import numpy as np
import pytest

from ssmtheory import processes

L = 40
ALL = list(processes.standard_patterns().values()) + list(processes.same_marginals_pair(0.9)) + [
    processes.ar1(0.8, 0.5, stationary=True), processes.offset_noise(1.0, 2.0, 0.3)]


@pytest.mark.parametrize("p", ALL, ids=lambda p: p.name)
def test_cov_diag_is_var_and_psd(p):
    K = p.cov(L)
    assert K.shape == (L, L)
    np.testing.assert_allclose(np.sqrt(np.diag(K)), p.std(L), rtol=1e-12)
    np.testing.assert_allclose(K, K.T, atol=0)
    assert np.linalg.eigvalsh(K).min() > -1e-12 * np.abs(K).max()


@pytest.mark.parametrize("p", ALL, ids=lambda p: p.name)
def test_monte_carlo_matches_closed_form(p):
    n = 20000
    x = p.sample(0, n, L)
    assert x.shape == (n, L) and x.dtype == np.float64
    sd = p.std(L)
    # sample mean: standard error sd / sqrt(n); 5 standard errors
    assert np.all(np.abs(x.mean(0) - p.mean(L)) <= 5 * sd / np.sqrt(n) + 1e-15)
    # sample covariance: Var of x_s x_t products <= 2 sd_s^2 sd_t^2 (Gaussian), 6 standard errors
    C = np.cov(x, rowvar=False, bias=True)
    tol = 6 * np.sqrt(2) * np.outer(sd, sd) / np.sqrt(n) + 1e-15
    assert np.all(np.abs(C - p.cov(L)) <= tol)


def test_same_marginals_pair():
    w, a = processes.same_marginals_pair(0.95)
    np.testing.assert_array_equal(w.mean(L), a.mean(L))
    np.testing.assert_allclose(w.std(L), a.std(L), rtol=1e-15)
    assert a.cov(L)[0, 1] == pytest.approx(0.95)
    assert w.cov(L)[0, 1] == 0


def test_determinism_and_bad_inputs():
    p = processes.brownian()
    np.testing.assert_array_equal(p.sample(3, 5, L), p.sample(3, 5, L))
    with pytest.raises(ValueError, match="phi"):
        processes.ar1(1.0)
    with pytest.raises(ValueError, match="n"):
        p.sample(0, 0, L)
