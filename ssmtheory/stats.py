"""Small statistics used by claims: log-log slopes, rank correlation, geometric-mean ratios.

All functions take array-likes (NumPy or concrete JAX), work in float64 on the host and return
Python floats.  Bad inputs raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_array, check_positive

__all__ = ["log_slope", "spearman", "geometric_mean_ratio"]


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
