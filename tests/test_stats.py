"""Closed-form checks of ssmtheory.stats."""

from __future__ import annotations

import numpy as np
import pytest

from ssmtheory import stats


def test_log_slope_power_law():
    x = np.array([1.0, 2.0, 4.0, 10.0, 100.0])
    assert stats.log_slope(x, 3.0 * x**-0.5) == pytest.approx(-0.5, abs=1e-13)
    assert stats.log_slope(x, 7.0 * x**2) == pytest.approx(2.0, abs=1e-13)
    assert stats.log_slope([1, 2, 3], [5, 5, 5]) == pytest.approx(0.0, abs=1e-15)


def test_log_slope_bad_inputs():
    with pytest.raises(ValueError, match="y"):
        stats.log_slope([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(ValueError, match="x"):
        stats.log_slope([0.0, 2.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="same length"):
        stats.log_slope([1.0, 2.0, 3.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="distinct"):
        stats.log_slope([2.0, 2.0], [1.0, 3.0])
    with pytest.raises(ValueError, match="y"):
        stats.log_slope([1.0, 2.0], [1.0, np.nan])


def test_spearman():
    x = np.arange(1.0, 11.0)
    assert stats.spearman(x, np.exp(x)) == pytest.approx(1.0)
    assert stats.spearman(x, -x**3) == pytest.approx(-1.0)
    assert isinstance(stats.spearman(x, x), float)
    with pytest.raises(ValueError, match="constant"):
        stats.spearman(x, np.ones_like(x))


def test_geometric_mean_ratio():
    a = np.array([1.0, 4.0, 9.0])
    assert stats.geometric_mean_ratio(2 * a, a) == pytest.approx(2.0)
    assert stats.geometric_mean_ratio([2.0, 8.0], [1.0, 1.0]) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="b"):
        stats.geometric_mean_ratio([1.0, 2.0], [1.0, 0.0])


# --------------------------------------------------------------------------- inference helpers vs oracles
import math as _math

from scipy import stats as _sps


def _ab(n=9, shift=0.7, seed=3):
    r = np.random.default_rng(seed)
    a = r.normal(shift, 1.0, n)
    return a, r.normal(0.0, 1.0, n)


@pytest.mark.parametrize("alt", ["greater", "less", "two-sided"])
def test_sign_test_matches_binomtest(alt):
    a, b = _ab()
    inf = stats.sign_test(a, b, alternative=alt)
    d = a - b
    k = int(np.sum(d > 0))
    assert inf.p == pytest.approx(_sps.binomtest(k, d.size, 0.5, alternative=alt).pvalue)
    assert inf.n == d.size and inf.estimate == pytest.approx(np.median(d))


def test_sign_test_interval_is_order_statistic():
    d = np.arange(1.0, 11.0)  # n = 10, P(Bin(10,.5) <= 1) = 11/1024 <= 0.05 < P(<= 2)
    inf = stats.sign_test(d, np.zeros(10), alternative="greater", level=0.95)
    assert inf.lo == 2.0 and inf.hi == _math.inf


@pytest.mark.parametrize("alt", ["greater", "less", "two-sided"])
def test_paired_permutation_exact_matches_scipy(alt):
    a, b = _ab(n=8)
    inf = stats.paired_permutation(a, b, alternative=alt)
    ref = _sps.permutation_test((a - b,), lambda d: np.mean(d), permutation_type="samples",
                                alternative=alt, n_resamples=np.inf)
    assert inf.p == pytest.approx(ref.pvalue, rel=1e-12)


def test_welch_matches_scipy():
    a, b = _ab(n=7)
    inf = stats.welch(a, b, alternative="greater")
    ref = _sps.ttest_ind(a, b, equal_var=False, alternative="greater")
    assert inf.p == pytest.approx(ref.pvalue) and inf.hi == _math.inf
    assert inf.lo == pytest.approx(ref.confidence_interval(0.95).low)


def test_paired_bootstrap_one_sided_and_deterministic():
    a, b = _ab(n=12, shift=2.0)
    i1 = stats.paired_bootstrap(a, b, alternative="greater", seed=1)
    i2 = stats.paired_bootstrap(a, b, alternative="greater", seed=1)
    assert i1 == i2 and i1.hi == _math.inf and 0 < i1.lo < i1.estimate
    assert i1.end() == i1.lo
    # a tie (identical models) never passes "A beats B": lower end <= 0
    tie = stats.paired_bootstrap(a, a, alternative="greater")
    assert tie.lo <= 0 and tie.p == 1.0
    rec = i1.record()
    assert rec["ci"][1] == "inf" and rec["n"] == 12


def test_bootstrap_coverage_near_nominal():
    """Monte Carlo: the one-sided 90% bootstrap bound covers the true mean about 90% of the time."""
    r = np.random.default_rng(0)
    cover = 0
    for k in range(300):
        x = r.normal(1.0, 1.0, 30)
        cover += stats.bootstrap_mean(x, alternative="greater", level=0.9, n_boot=400, seed=k).lo <= 1.0
    assert 0.83 <= cover / 300 <= 0.96


def test_partial_spearman_matches_formula():
    r = np.random.default_rng(1)
    z = r.normal(size=40)
    x = z + r.normal(size=40)
    y = z + 0.5 * x + r.normal(size=40)
    s = stats.spearman
    rxy, rxz, ryz = s(x, y), s(x, z), s(y, z)
    ref = (rxy - rxz * ryz) / np.sqrt((1 - rxz**2) * (1 - ryz**2))
    assert stats.partial_spearman(x, y, z) == pytest.approx(ref, rel=1e-12)
    inf = stats.partial_spearman_test(x, y, z, n_perm=2000, n_boot=300)
    assert inf.estimate == pytest.approx(ref) and inf.lo < inf.estimate < inf.hi


def test_permutation_spearman_matches_scipy():
    r = np.random.default_rng(2)
    x = r.normal(size=12)
    y = x + r.normal(size=12)
    inf = stats.permutation_spearman(x, y, alternative="greater", n_perm=20000, n_boot=200)
    ref = _sps.permutation_test((x, y), lambda u, v: _sps.spearmanr(u, v).statistic, permutation_type="pairings",
                                alternative="greater", n_resamples=20000, random_state=0)
    assert inf.estimate == pytest.approx(_sps.spearmanr(x, y).statistic)
    assert abs(inf.p - ref.pvalue) < 0.01


def test_cluster_bootstrap_uses_clusters_as_unit():
    r = np.random.default_rng(3)
    design = np.repeat(np.arange(6), 5)
    effect = r.normal(size=6)[design]  # strong design effect, 5 near-copies per design
    x = effect + 0.01 * r.normal(size=30)
    naive = stats.bootstrap_mean(x, alternative="two-sided", n_boot=2000)
    cl = stats.cluster_bootstrap(x, clusters=design, statistic=np.mean, n_boot=2000)
    assert cl.n == 6
    # treating 30 near-copies as independent understates the uncertainty: the cluster CI is wider
    assert (cl.hi - cl.lo) > 1.8 * (naive.hi - naive.lo)
    with pytest.raises(ValueError, match="clusters"):
        stats.cluster_bootstrap(x, clusters=design[:5], statistic=np.mean)


def test_bootstrap_log_slope_resamples_groups():
    T = np.tile([64.0, 256, 1024, 4096], 5)
    seed = np.repeat(np.arange(5), 4)
    y = T**0.5 * np.exp(np.random.default_rng(4).normal(0, 0.05, T.size))
    inf = stats.bootstrap_log_slope(T, y, groups=seed)
    assert inf.estimate == pytest.approx(stats.log_slope(T, y)) and inf.n == 5
    assert inf.lo < inf.estimate < inf.hi and abs(inf.estimate - 0.5) < 0.05 and inf.hi - inf.lo < 0.1


@pytest.mark.parametrize("fn", [stats.paired_bootstrap, stats.sign_test, stats.paired_permutation, stats.welch])
def test_inference_bad_input(fn):
    with pytest.raises(ValueError, match="alternative"):
        fn([1.0, 2, 3], [0.0, 1, 2], alternative="bigger")
    with pytest.raises(ValueError, match="level"):
        fn([1.0, 2, 3], [0.0, 1, 2], level=1.5)
    with pytest.raises(ValueError):
        fn([1.0, np.nan, 3], [0.0, 1, 2])


def test_t_mean_and_paired_t_match_scipy():
    a, b = _ab(n=5)
    inf = stats.paired_t(a, b, alternative="greater")
    ref = _sps.ttest_rel(a, b, alternative="greater")
    assert inf.p == pytest.approx(ref.pvalue) and inf.hi == _math.inf
    assert inf.lo == pytest.approx(ref.confidence_interval(0.95).low)
    # n = 3, all positive but noisy: the percentile bootstrap's bound is > 0, the t bound need not be
    x = np.array([0.01, 0.2, 0.05])
    assert stats.bootstrap_mean(x).lo > 0
    assert stats.t_mean(x).lo < 0
    assert stats.t_mean(np.array([1.0, 1.0, 1.0])).lo == 1.0
