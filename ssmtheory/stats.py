"""Statistics used by claims: slopes, rank correlations, and tests with the right unit of replication.

Descriptive helpers (:func:`log_slope`, :func:`spearman`, :func:`geometric_mean_ratio`) return
Python floats.  Inferential helpers return an :class:`Inference` (estimate, confidence interval,
p-value, n, the test's name) whose :meth:`Inference.record` goes into a claim's ``evidence``:

* paired designs (the same seeds for A and B): :func:`paired_bootstrap`, :func:`sign_test`
  (exact), :func:`paired_permutation` (exact sign-flip up to 2**16 patterns);
* independent samples: :func:`welch`, :func:`bootstrap_mean`;
* seeds nested in designs: :func:`cluster_bootstrap` (designs resampled, then seeds within);
* rank correlation at design level: :func:`permutation_spearman`, :func:`partial_spearman`,
  :func:`partial_spearman_test`;
* rates: :func:`bootstrap_log_slope` (resampling whole groups, e.g. seeds).

One-sided alternatives give a one-sided interval: ``alternative="greater"`` gives
``[lo, inf)`` with ``lo`` the (1 - level) quantile, so "``lo > 0``" means "significantly greater
at the stated level".  A claim's observed value is that CI end.  All resampling is seeded.
All functions take array-likes, work in float64 on the host, and raise ``ValueError`` naming the
argument for bad input.
"""

from __future__ import annotations

import numpy as np

from ssmtheory._validate import as_array, check_positive

__all__ = [
    "log_slope",
    "spearman",
    "geometric_mean_ratio",
    "Inference",
    "ALTERNATIVES",
    "paired_bootstrap",
    "bootstrap_mean",
    "sign_test",
    "paired_permutation",
    "welch",
    "t_mean",
    "paired_t",
    "cluster_bootstrap",
    "permutation_spearman",
    "partial_spearman",
    "partial_spearman_test",
    "bootstrap_log_slope",
]


def _pair(x, y, xname="x", yname="y"):
    x = np.asarray(as_array(x, xname, ndim=1, allow_complex=False), dtype=np.float64)
    y = np.asarray(as_array(y, yname, ndim=1, allow_complex=False), dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"{xname} and {yname} must have the same length, got {x.shape[0]} and {y.shape[0]}")
    if x.shape[0] < 2:
        raise ValueError(f"{xname} must have at least 2 points, got {x.shape[0]}")
    return x, y


def log_slope(x, y) -> float:
    """Least-squares slope of ``log y`` against ``log x`` (both must be positive).

    ``y = c * x**p`` gives exactly ``p`` (up to round-off).
    """
    x, y = _pair(x, y)
    check_positive(x, "x")
    check_positive(y, "y")
    lx, ly = np.log(x), np.log(y)
    if np.ptp(lx) == 0:
        raise ValueError("x must contain at least two distinct values")
    lx = lx - lx.mean()
    return float(np.dot(lx, ly - ly.mean()) / np.dot(lx, lx))


def spearman(x, y) -> float:
    """Spearman rank correlation ``rho`` of ``x`` and ``y`` (``scipy.stats.spearmanr``)."""
    from scipy.stats import spearmanr

    x, y = _pair(x, y)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        raise ValueError("x and y must not be constant (Spearman rho undefined)")
    return float(spearmanr(x, y).statistic)


def geometric_mean_ratio(a, b) -> float:
    """``exp(mean(log(a / b)))``: the typical multiplicative factor between positive ``a`` and ``b``."""
    a, b = _pair(a, b, "a", "b")
    check_positive(a, "a")
    check_positive(b, "b")
    return float(np.exp(np.mean(np.log(a) - np.log(b))))


# ----------------------------------------------------------------------------------------------
# Inference with the right unit of replication
# ----------------------------------------------------------------------------------------------
import math
from dataclasses import dataclass

ALTERNATIVES = ("greater", "less", "two-sided")


@dataclass(frozen=True)
class Inference:
    """An estimate with its confidence interval and test.

    ``lo``/``hi`` are the interval ends at ``level`` (one-sided intervals have an infinite end),
    ``p`` the p-value of the null "no effect" against ``alternative`` (None when the method gives
    none), ``n`` the number of replication units, ``test`` a human-readable name.
    """

    estimate: float
    lo: float
    hi: float
    p: float | None
    n: int
    test: str
    level: float
    alternative: str

    def record(self) -> dict:
        """JSON-ready dict (non-finite numbers as the strings "inf", "-inf", "nan")."""

        def j(v):
            if v is None:
                return None
            v = float(v)
            if math.isfinite(v):
                return v
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")

        return {"estimate": j(self.estimate), "ci": [j(self.lo), j(self.hi)], "p": j(self.p), "n": int(self.n),
                "test": self.test, "level": float(self.level), "alternative": self.alternative}

    def end(self) -> float:
        """The CI end that matters for the alternative: ``lo`` for greater, ``hi`` for less, the end nearer 0 otherwise."""
        if self.alternative == "greater":
            return self.lo
        if self.alternative == "less":
            return self.hi
        return self.lo if abs(self.lo) < abs(self.hi) else self.hi


def _check_alt_level(alternative, level):
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {list(ALTERNATIVES)!r}, got {alternative!r}")
    if not isinstance(level, (int, float)) or not (0.5 <= float(level) < 1.0):
        raise ValueError(f"level must be in [0.5, 1), got {level!r}")


def _check_count(n, name, minimum=1, maximum=None):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    if maximum is not None and n > maximum:
        raise ValueError(f"{name} must be <= {maximum} (more resamples change no reported digit), got {n!r}")


#: the most resamples (bootstrap draws, random permutations) a test accepts: beyond it the Monte Carlo error of a
#: p-value or CI end is below 1e-3 and the request is a mistake (10**9 would need tens of GiB)
MAX_RESAMPLES = 10**6


def _check_resamples(n, name):
    _check_count(n, name, 100, MAX_RESAMPLES)


def _vec(x, name, min_len=2):
    x = np.asarray(as_array(x, name, ndim=1, allow_complex=False), dtype=np.float64)
    if x.shape[0] < min_len:
        raise ValueError(f"{name} must have at least {min_len} values, got {x.shape[0]}")
    return x


def _interval(boot, level, alternative):
    boot = np.asarray(boot, dtype=np.float64)
    a = 1.0 - float(level)
    if alternative == "greater":
        return float(np.quantile(boot, a)), math.inf
    if alternative == "less":
        return -math.inf, float(np.quantile(boot, 1.0 - a))
    return float(np.quantile(boot, a / 2)), float(np.quantile(boot, 1.0 - a / 2))


def _boot_p(boot, alternative, null=0.0):
    """Bootstrap p-value: share of resamples on the null's side (with the +1 correction)."""
    boot = np.asarray(boot, dtype=np.float64)
    B = boot.size
    le = (np.sum(boot <= null) + 1) / (B + 1)
    ge = (np.sum(boot >= null) + 1) / (B + 1)
    if alternative == "greater":
        return float(le)
    if alternative == "less":
        return float(ge)
    return float(min(1.0, 2 * min(le, ge)))


def bootstrap_mean(x, *, alternative="greater", level=0.95, n_boot=10_000, seed=0) -> Inference:
    """Percentile-bootstrap interval for the mean of ``x`` (i.i.d. replication units)."""
    x = _vec(x, "x")
    _check_alt_level(alternative, level)
    _check_resamples(n_boot, "n_boot")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_boot, x.size))
    boot = x[idx].mean(axis=1)
    lo, hi = _interval(boot, level, alternative)
    return Inference(float(x.mean()), lo, hi, _boot_p(boot, alternative), x.size,
                     f"bootstrap of the mean ({n_boot} resamples)", float(level), alternative)


def paired_bootstrap(a, b, *, alternative="greater", level=0.95, n_boot=10_000, seed=0) -> Inference:
    """Bootstrap interval for mean(a - b) over paired units (e.g. the same seeds for two models)."""
    a, b = _pair(a, b, "a", "b")
    inf = bootstrap_mean(a - b, alternative=alternative, level=level, n_boot=n_boot, seed=seed)
    return Inference(inf.estimate, inf.lo, inf.hi, inf.p, inf.n,
                     f"paired bootstrap of mean(a - b) ({n_boot} resamples)", inf.level, alternative)


def sign_test(a, b, *, alternative="greater", level=0.95) -> Inference:
    """Exact sign test of median(a - b) = 0 (ties dropped), with the order-statistic interval for the median.

    The interval is distribution-free: ``[d_(k), d_(n-k+1)]`` with ``k`` the largest index whose
    binomial tail is at most the error rate; an infinite end when ``n`` is too small to bound it.
    """
    from scipy.stats import binom, binomtest

    a, b = _pair(a, b, "a", "b")
    _check_alt_level(alternative, level)
    d = np.sort(a - b)
    nz = d[d != 0]
    n = int(nz.size)
    p = 1.0 if n == 0 else float(binomtest(int(np.sum(nz > 0)), n, 0.5, alternative=alternative).pvalue)
    m = d.size
    alpha = 1.0 - float(level)
    tail = alpha if alternative != "two-sided" else alpha / 2
    # largest k >= 1 with P(Bin(m, 1/2) <= k - 1) <= tail
    k = 0
    for kk in range(1, m + 1):
        if binom.cdf(kk - 1, m, 0.5) <= tail:
            k = kk
    lo = float(d[k - 1]) if k >= 1 else -math.inf
    hi = float(d[m - k]) if k >= 1 else math.inf
    if alternative == "greater":
        hi = math.inf
    elif alternative == "less":
        lo = -math.inf
    return Inference(float(np.median(d)), lo, hi, p, m, "exact sign test (median of a - b)", float(level), alternative)


def paired_permutation(a, b, *, alternative="greater", level=0.95, n_perm=None, seed=0) -> Inference:
    """Sign-flip permutation test of mean(a - b) = 0; exact for n <= 16, else ``n_perm`` random flips.

    The interval is the paired bootstrap's (same ``level`` and ``alternative``).
    """
    a, b = _pair(a, b, "a", "b")
    _check_alt_level(alternative, level)
    d = a - b
    n = d.size
    obs = d.mean()
    if n <= 16 and n_perm is None:
        signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
        test = f"exact sign-flip permutation test ({2**n} patterns)"
        extra = 0
    else:
        n_perm = 20_000 if n_perm is None else n_perm
        _check_resamples(n_perm, "n_perm")
        signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n_perm, n))
        test = f"sign-flip permutation test ({n_perm} random flips)"
        extra = 1
    null = (signs * d).mean(axis=1)
    tol = 1e-12 * max(1.0, abs(obs))
    if alternative == "greater":
        p = (np.sum(null >= obs - tol) + extra) / (null.size + extra)
    elif alternative == "less":
        p = (np.sum(null <= obs + tol) + extra) / (null.size + extra)
    else:
        p = (np.sum(np.abs(null) >= abs(obs) - tol) + extra) / (null.size + extra)
    ci = paired_bootstrap(a, b, alternative=alternative, level=level, seed=seed)
    return Inference(float(obs), ci.lo, ci.hi, float(p), n, test, float(level), alternative)


def welch(a, b, *, alternative="greater", level=0.95) -> Inference:
    """Welch's t-test of mean(a) - mean(b) for independent samples, with its t interval (scipy)."""
    from scipy.stats import ttest_ind

    a, b = _vec(a, "a"), _vec(b, "b")
    _check_alt_level(alternative, level)
    res = ttest_ind(a, b, equal_var=False, alternative=alternative)
    ci = res.confidence_interval(confidence_level=float(level))
    return Inference(float(a.mean() - b.mean()), float(ci.low), float(ci.high), float(res.pvalue),
                     int(a.size + b.size), "Welch t-test", float(level), alternative)


def t_mean(x, *, alternative="greater", level=0.95) -> Inference:
    """Student-t interval and test for the mean of ``x`` (scipy ``ttest_1samp``).

    Prefer it to the percentile bootstrap for a handful of seeds: with n = 3 the bootstrap's lower bound is
    positive whenever all values share a sign (chance 1/8 under a symmetric null), while the t interval keeps
    its level under normal errors.
    """
    from scipy.stats import ttest_1samp

    x = _vec(x, "x")
    _check_alt_level(alternative, level)
    if np.ptp(x) == 0:
        m = float(x[0])
        p = 0.0 if (alternative == "greater" and m > 0) or (alternative == "less" and m < 0) or (
            alternative == "two-sided" and m != 0) else 1.0
        lo = m if alternative != "less" else -math.inf
        hi = m if alternative != "greater" else math.inf
        return Inference(m, lo, hi, p, x.size, "one-sample t-test (zero variance)", float(level), alternative)
    res = ttest_1samp(x, 0.0, alternative=alternative)
    ci = res.confidence_interval(confidence_level=float(level))
    return Inference(float(x.mean()), float(ci.low), float(ci.high), float(res.pvalue), int(x.size),
                     "one-sample t-test", float(level), alternative)


def paired_t(a, b, *, alternative="greater", level=0.95) -> Inference:
    """Paired t interval and test for mean(a - b) over paired units (the same seeds)."""
    a, b = _pair(a, b, "a", "b")
    inf = t_mean(a - b, alternative=alternative, level=level)
    return Inference(inf.estimate, inf.lo, inf.hi, inf.p, inf.n, "paired t-test of mean(a - b)", inf.level, alternative)


def cluster_bootstrap(x, y=None, *, clusters, statistic, alternative="two-sided", level=0.95, n_boot=2000,
                      seed=0, null=0.0) -> Inference:
    """Two-stage bootstrap for members nested in clusters (e.g. seeds in designs).

    Each resample draws clusters with replacement, then members with replacement within each
    drawn cluster, and evaluates ``statistic(x_b)`` or ``statistic(x_b, y_b)``.  ``n`` is the number
    of clusters (the unit of replication); ``p`` is the bootstrap share on ``null``'s side.
    """
    x = _vec(x, "x")
    if y is not None:
        x, y = _pair(x, y, "x", "y")
    cl = np.asarray(clusters)
    if cl.ndim != 1 or cl.shape[0] != x.shape[0]:
        raise ValueError(f"clusters must be 1-D with one label per value ({x.shape[0]}), got shape {cl.shape}")
    if not callable(statistic):
        raise ValueError("statistic must be callable")
    _check_alt_level(alternative, level)
    _check_resamples(n_boot, "n_boot")
    labels = np.unique(cl)
    if labels.size < 2:
        raise ValueError(f"clusters must hold at least 2 distinct labels, got {labels.size}")
    members = [np.flatnonzero(cl == g) for g in labels]
    rng = np.random.default_rng(seed)
    stat = (lambda i: statistic(x[i])) if y is None else (lambda i: statistic(x[i], y[i]))
    boot = np.empty(n_boot)
    for k in range(n_boot):
        pick = rng.integers(0, labels.size, size=labels.size)
        idx = np.concatenate([members[g][rng.integers(0, members[g].size, size=members[g].size)] for g in pick])
        try:
            boot[k] = stat(idx)
        except ValueError:  # e.g. a constant resample for a rank correlation
            boot[k] = np.nan
    boot = boot[np.isfinite(boot)]
    if boot.size < n_boot // 2:
        raise ValueError("statistic is undefined on more than half of the resamples (too few clusters?)")
    lo, hi = _interval(boot, level, alternative)
    est = float(statistic(x) if y is None else statistic(x, y))
    return Inference(est, lo, hi, _boot_p(boot, alternative, null), int(labels.size),
                     f"cluster bootstrap ({labels.size} clusters, {n_boot} resamples)", float(level), alternative)


def _ranks(v):
    from scipy.stats import rankdata

    return rankdata(v)


def permutation_spearman(x, y, *, alternative="two-sided", level=0.95, n_perm=10_000, n_boot=2000, seed=0) -> Inference:
    """Spearman rho of (x, y) with a permutation p-value (y permuted) and a bootstrap interval.

    Use one value per design (e.g. the median over seeds) so that the design is the unit.
    """
    x, y = _pair(x, y)
    _check_alt_level(alternative, level)
    _check_resamples(n_perm, "n_perm")
    _check_resamples(n_boot, "n_boot")
    rho = spearman(x, y)
    rng = np.random.default_rng(seed)
    rx, ry = _ranks(x), _ranks(y)
    rx = (rx - rx.mean()) / np.linalg.norm(rx - rx.mean())
    ry = (ry - ry.mean()) / np.linalg.norm(ry - ry.mean())
    perms = np.argsort(rng.random((n_perm, ry.size)), axis=1)
    null = ry[perms] @ rx
    tol = 1e-12
    if alternative == "greater":
        p = (np.sum(null >= rho - tol) + 1) / (n_perm + 1)
    elif alternative == "less":
        p = (np.sum(null <= rho + tol) + 1) / (n_perm + 1)
    else:
        p = (np.sum(np.abs(null) >= abs(rho) - tol) + 1) / (n_perm + 1)
    boot = []
    for _ in range(n_boot):
        i = rng.integers(0, x.size, size=x.size)
        if np.ptp(x[i]) > 0 and np.ptp(y[i]) > 0:
            boot.append(spearman(x[i], y[i]))
    lo, hi = _interval(boot, level, alternative)
    return Inference(rho, lo, hi, float(p), int(x.size),
                     f"Spearman rho, permutation test ({n_perm}) + pairs bootstrap ({n_boot})", float(level), alternative)


def _residual_ranks(v, z):
    r = _ranks(v)
    Z = np.column_stack([np.ones(r.size)] + [_ranks(zc) for zc in z.T])
    coef, *_ = np.linalg.lstsq(Z, r, rcond=None)
    return r - Z @ coef


def _as_controls(z, n):
    z = np.asarray(as_array(z, "z", ndim=(1, 2), allow_complex=False), dtype=np.float64)
    if z.ndim == 1:
        z = z[:, None]
    if z.ndim != 2 or z.shape[0] != n:
        raise ValueError(f"z must have shape ({n},) or ({n}, k), got {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError("z must be finite")
    return z


def partial_spearman(x, y, z) -> float:
    """Partial rank correlation of x and y controlling for z (one or more columns).

    Ranks of x and y are regressed on the ranks of z; the result is the Pearson correlation of
    the residuals.  For one control it equals (r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2))
    with Spearman coefficients.
    """
    x, y = _pair(x, y)
    z = _as_controls(z, x.size)
    ex, ey = _residual_ranks(x, z), _residual_ranks(y, z)
    den = np.linalg.norm(ex) * np.linalg.norm(ey)
    if den == 0:
        raise ValueError("x or y is fully explained by z (partial correlation undefined)")
    return float(ex @ ey / den)


def partial_spearman_test(x, y, z, *, alternative="two-sided", level=0.95, n_perm=10_000, n_boot=2000, seed=0) -> Inference:
    """:func:`partial_spearman` with a permutation p-value (residuals of x permuted) and a pairs-bootstrap interval."""
    x, y = _pair(x, y)
    z = _as_controls(z, x.size)
    _check_resamples(n_perm, "n_perm")
    _check_resamples(n_boot, "n_boot")
    _check_alt_level(alternative, level)
    rho = partial_spearman(x, y, z)
    ex, ey = _residual_ranks(x, z), _residual_ranks(y, z)
    ex, ey = ex / np.linalg.norm(ex), ey / np.linalg.norm(ey)
    rng = np.random.default_rng(seed)
    perms = np.argsort(rng.random((n_perm, ex.size)), axis=1)
    null = ex[perms] @ ey
    if alternative == "greater":
        p = (np.sum(null >= rho - 1e-12) + 1) / (n_perm + 1)
    elif alternative == "less":
        p = (np.sum(null <= rho + 1e-12) + 1) / (n_perm + 1)
    else:
        p = (np.sum(np.abs(null) >= abs(rho) - 1e-12) + 1) / (n_perm + 1)
    boot = []
    for _ in range(n_boot):
        i = rng.integers(0, x.size, size=x.size)
        try:
            boot.append(partial_spearman(x[i], y[i], z[i]))
        except ValueError:
            continue
    lo, hi = _interval(boot, level, alternative)
    return Inference(rho, lo, hi, float(p), int(x.size),
                     f"partial Spearman rho controlling for {z.shape[1]} variable(s), permutation ({n_perm}) + bootstrap ({n_boot})",
                     float(level), alternative)


def bootstrap_log_slope(x, y, *, groups=None, alternative="two-sided", level=0.95, n_boot=2000, seed=0) -> Inference:
    """Log-log slope of y on x with a bootstrap interval that resamples whole groups (e.g. seeds).

    ``groups`` labels each point's replication unit; without it points are resampled.  The
    estimate is :func:`log_slope` on all points; ``p`` tests slope = 0.
    """
    x, y = _pair(x, y)
    check_positive(x, "x")
    check_positive(y, "y")
    _check_alt_level(alternative, level)
    _check_resamples(n_boot, "n_boot")
    est = log_slope(x, y)
    g = np.arange(x.size) if groups is None else np.asarray(groups)
    if g.ndim != 1 or g.shape[0] != x.shape[0]:
        raise ValueError(f"groups must be 1-D with one label per point ({x.shape[0]}), got shape {g.shape}")
    labels = np.unique(g)
    if labels.size < 2:
        raise ValueError("groups must hold at least 2 distinct labels")
    members = [np.flatnonzero(g == k) for k in labels]
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(n_boot):
        idx = np.concatenate([members[k] for k in rng.integers(0, labels.size, size=labels.size)])
        if np.ptp(np.log(x[idx])) > 0:
            boot.append(log_slope(x[idx], y[idx]))
    lo, hi = _interval(boot, level, alternative)
    unit = "points" if groups is None else f"{labels.size} groups"
    return Inference(est, lo, hi, _boot_p(boot, alternative), int(labels.size),
                     f"log-log slope, bootstrap over {unit} ({n_boot})", float(level), alternative)
