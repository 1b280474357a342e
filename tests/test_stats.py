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
