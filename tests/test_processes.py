"""Input processes: closed-form mean / std / covariance against Monte Carlo and each other."""

import numpy as np
import pytest

from ssmtheory import processes

L = 40
CONT = [processes.brownian_on(1.5, 2.0), processes.reversed_brownian(1.0, 3.0), processes.ou(2.0, 1.0, 4.0),
        processes.ou(0.5, 2.0, 4.0, stationary=False, mean=lambda s: np.sin(s)), processes.white_on(2.0, 1.0, 4.0),
        processes.rescaled(processes.ou(1.0, 1.0, 1.0), -2.0)]
ALL = list(processes.standard_patterns().values()) + list(processes.same_marginals_pair(0.9)) + [
    processes.ar1(0.8, 0.5, stationary=True), processes.offset_noise(1.0, 2.0, 0.3)] + CONT


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


def test_continuous_time_closed_forms_and_holder_flags():
    T, L = 4.0, 8
    s = (np.arange(L) + 1) * T / L
    np.testing.assert_allclose(processes.brownian_on(2.0, T).cov(L), 4 * np.minimum(s[:, None], s[None, :]))
    ou = processes.ou(3.0, 1.0, T)
    np.testing.assert_allclose(ou.cov(L), np.exp(-3 * np.abs(s[:, None] - s[None, :])) / 6)
    ou0 = processes.ou(3.0, 1.0, T, stationary=False)
    assert ou0.std(L)[0] < ou0.std(L)[-1]
    rb = processes.reversed_brownian(1.0, T)
    np.testing.assert_allclose(rb.std(L)[::-1] ** 2, processes.brownian_on(1.0, T).std(L) ** 2)  # reversed profile
    assert all(p.holder for p in (ou, ou0, rb)) and processes.white_on().holder is False
    assert processes.white_noise().holder is None
    with pytest.raises(ValueError, match="theta"):
        processes.ou(0.0)
    with pytest.raises(ValueError, match="T"):
        processes.white_on(T=-1.0)
    with pytest.raises(ValueError, match="factor"):
        processes.rescaled(ou, 0.0)


def test_equal_rms_patterns():
    pats = processes.equal_rms_patterns(60)
    assert len(pats) == 7 and not any(k.startswith("tiny") for k in pats)
    for p in pats.values():
        assert p.rms(60) == pytest.approx(1.0, rel=1e-12)
        np.testing.assert_allclose(p.second_moment(60), p.cov(60) + np.outer(p.mean(60), p.mean(60)))


def test_heavy_tailed_keeps_mean_and_covariance():
    base = processes.ou(2.0, 1.0, 4.0, mean=lambda s: 1 + 0 * s)
    q = processes.heavy_tailed(base, 5.0)  # nu = 5: finite fourth moment, so a Monte Carlo check is meaningful
    np.testing.assert_array_equal(q.cov(L), base.cov(L))
    x = q.sample(0, 40000, L)
    np.testing.assert_allclose(x.mean(0), base.mean(L), atol=0.03)
    np.testing.assert_allclose(np.cov(x, rowvar=False, bias=True), base.cov(L), atol=0.03)
    # heavier tails than the Gaussian: excess kurtosis of one coordinate (t_5 mixture: 6 / (nu - 4) = 6)
    z = (x[:, -1] - 1) / np.sqrt(base.cov(L)[-1, -1])
    assert np.mean(z**4) > 5.0
    with pytest.raises(ValueError, match="nu"):
        processes.heavy_tailed(base, 2.0)
