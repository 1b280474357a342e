"""Gaussian input processes on ``t = 0..L-1`` with known per-time mean, variance and covariance.

Every process here is Gaussian with a closed-form mean ``mu_t``, standard deviation ``sigma_t`` and
covariance ``K(s, t)``, so second moments of linear read-outs are known exactly (for checking Liu & Li's
measure, :mod:`ssmtheory.measure`) and Monte Carlo samples can be checked against them.
Estimated statistics come from samples: :func:`ssmtheory.measure.input_stats`.

* :func:`white_noise`   ``x_t = m + sigma eps_t``                        (``tiny_noise``: sigma = 0.01)
* :func:`offset_noise`  ``x_t = offset + slope t / L + sigma eps_t``      (offset / linear drift)
* :func:`sinusoid_noise` ``x_t = A sin(2 pi cycles t / L + phase) + noise eps_t`` (fixed phase: the mean varies)
* :func:`modulated_noise` independent in time with arbitrary mean and std profiles
* :func:`brownian`      ``x_t = (sigma / sqrt(L)) sum_{s<=t} eps_s``, ``K(s,t) = sigma^2 (min(s,t)+1) / L``
* :func:`ar1`           ``x_t = phi x_{t-1} + sigma eps_t``, ``x_{-1} = 0`` (or a stationary start)
* :func:`same_marginals_pair` white N(0,1) and a stationary AR(1) with N(0,1) marginals: the same
  per-time mean and variance, different correlations (Liu & Li's measure cannot tell them apart)
* :func:`standard_patterns` the six temporal patterns of the scaling-rule experiment

``eps_t`` are i.i.d. N(0, 1).  Samples are NumPy float64 arrays ``(n, L)``; ``seed`` is an int or a
``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._validate import check_int

__all__ = [
    "Process",
    "white_noise",
    "tiny_noise",
    "offset_noise",
    "sinusoid_noise",
    "modulated_noise",
    "brownian",
    "ar1",
    "same_marginals_pair",
    "standard_patterns",
]


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int(seed, "seed", minimum=0))


@dataclass(frozen=True)
class Process:
    """A Gaussian process on ``t = 0..L-1`` (``L`` chosen at call time).

    ``mean(L)``, ``std(L)`` -> ``(L,)``; ``cov(L)`` -> ``(L, L)``; ``sample(seed, n, L)`` -> ``(n, L)`` float64.
    """

    name: str
    description: str
    mean_fn: Callable[[int], np.ndarray]
    var_fn: Callable[[int], np.ndarray]
    cov_fn: Callable[[int], np.ndarray]
    sample_fn: Callable[[np.random.Generator, int, int], np.ndarray]

    def mean(self, L: int) -> np.ndarray:
        L = check_int(L, "L")
        return np.asarray(self.mean_fn(L), np.float64) * np.ones(L)

    def std(self, L: int) -> np.ndarray:
        L = check_int(L, "L")
        return np.sqrt(np.asarray(self.var_fn(L), np.float64) * np.ones(L))

    def cov(self, L: int) -> np.ndarray:
        L = check_int(L, "L")
        return np.asarray(self.cov_fn(L), np.float64)

    def sample(self, seed, n: int, L: int) -> np.ndarray:
        n, L = check_int(n, "n"), check_int(L, "L")
        return np.asarray(self.sample_fn(_rng(seed), n, L), np.float64)


def modulated_noise(mean_fn: Callable[[np.ndarray], np.ndarray], std_fn: Callable[[np.ndarray], np.ndarray],
                    name: str = "modulated noise", description: str = "") -> Process:
    """Independent in time: ``x_t = mean_fn(s_t) + std_fn(s_t) eps_t`` with ``s_t = t / L`` in ``[0, 1)``."""

    def grid(L):
        return np.arange(L) / L

    def var(L):
        return np.asarray(std_fn(grid(L)), np.float64) ** 2 * np.ones(L)

    def mean(L):
        return np.asarray(mean_fn(grid(L)), np.float64) * np.ones(L)

    def sample(rng, n, L):
        return mean(L) + np.sqrt(var(L)) * rng.standard_normal((n, L))

    return Process(name, description or name, mean, var, lambda L: np.diag(var(L)), sample)


def white_noise(sigma: float = 1.0, mean: float = 0.0, name: str | None = None) -> Process:
    """``x_t = mean + sigma eps_t``: ``mu_t = mean``, ``K = sigma^2 I``."""
    nm = name or (f"white N({mean:g}, {sigma:g}²)")
    return modulated_noise(lambda s: mean + 0 * s, lambda s: sigma + 0 * s, nm, f"i.i.d. N({mean:g}, {sigma:g}^2)")


def tiny_noise(sigma: float = 0.01) -> Process:
    """Tiny-variance white noise ``sigma eps_t`` (default ``sigma = 0.01``)."""
    return white_noise(sigma, 0.0, name=f"tiny white ({sigma:g}·N(0,1))")


def offset_noise(offset: float = 5.0, slope: float = 0.0, sigma: float = 1.0) -> Process:
    """``x_t = offset + slope t / L + sigma eps_t``: a constant offset and an optional linear drift."""
    nm = f"offset {offset:g}" + (f" + drift {slope:g}t/L" if slope else "") + f" + {sigma:g}·noise"
    return modulated_noise(lambda s: offset + slope * s, lambda s: sigma + 0 * s, nm)


def sinusoid_noise(amplitude: float = 3.0, cycles: float = 4.0, noise: float = 0.1, phase: float = 0.0) -> Process:
    """``x_t = amplitude sin(2 pi cycles t / L + phase) + noise eps_t`` (deterministic phase, so ``mu_t`` oscillates)."""
    nm = f"{amplitude:g}·sin({cycles:g} cycles) + {noise:g}·noise"
    return modulated_noise(lambda s: amplitude * np.sin(2 * np.pi * cycles * s + phase), lambda s: noise + 0 * s, nm)


def brownian(sigma: float = 1.0) -> Process:
    """Brownian motion sampled on ``L`` steps of the unit interval: ``x_t = (sigma/sqrt(L)) sum_{s<=t} eps_s``.

    ``mu_t = 0``, ``K(s, t) = sigma^2 (min(s, t) + 1) / L`` (so ``Var x_{L-1} = sigma^2``).
    """

    def cov(L):
        i = np.arange(L)
        return sigma**2 * (np.minimum(i[:, None], i[None, :]) + 1) / L

    def sample(rng, n, L):
        return np.cumsum(rng.standard_normal((n, L)), axis=1) * sigma / np.sqrt(L)

    return Process(f"Brownian motion (σ={sigma:g})", "Brownian motion on [0,1]", lambda L: np.zeros(L),
                   lambda L: sigma**2 * (np.arange(L) + 1) / L, cov, sample)


def ar1(phi: float = 0.99, sigma: float = 1.0, stationary: bool = False, name: str | None = None) -> Process:
    """AR(1) ``x_t = phi x_{t-1} + sigma eps_t``, ``|phi| < 1``.

    ``stationary=False``: ``x_{-1} = 0``, so ``Var x_t = sigma^2 (1 - phi^(2(t+1))) / (1 - phi^2)`` grows
    towards its limit; ``stationary=True``: ``x_0 ~ N(0, sigma^2 / (1 - phi^2))`` and the variance is constant.
    ``K(s, t) = phi^|s-t| Var x_min(s,t)``; ``mu_t = 0``.
    """
    if not (np.isfinite(phi) and abs(phi) < 1):
        raise ValueError(f"phi must satisfy |phi| < 1, got {phi!r}")
    v_inf = sigma**2 / (1 - phi**2)

    def var(L):
        t = np.arange(L)
        return v_inf * np.ones(L) if stationary else v_inf * (1 - phi ** (2 * (t + 1)))

    def cov(L):
        i = np.arange(L)
        lag = np.abs(i[:, None] - i[None, :])
        return phi**lag * var(L)[np.minimum(i[:, None], i[None, :])]

    def sample(rng, n, L):
        from scipy.signal import lfilter

        e = sigma * rng.standard_normal((n, L))
        if stationary:
            e[:, 0] *= np.sqrt(v_inf) / sigma
        return lfilter([1.0], [1.0, -phi], e, axis=1)

    nm = name or f"AR(1) φ={phi:g}" + (" stationary" if stationary else " from 0")
    return Process(nm, nm, lambda L: np.zeros(L), var, cov, sample)


def same_marginals_pair(phi: float = 0.99) -> tuple[Process, Process]:
    """White N(0, 1) noise and a stationary AR(1) with ``sigma^2 = 1 - phi^2``: both have ``mu_t = 0``,
    ``sigma_t = 1`` at every ``t`` (identical marginals), but ``Corr(x_s, x_t) = phi^|s-t|`` for the second."""
    return (white_noise(1.0, name="white N(0,1)"),
            ar1(phi, np.sqrt(1 - phi**2), stationary=True, name=f"AR(1) φ={phi:g}, N(0,1) marginals"))


def standard_patterns() -> dict[str, Process]:
    """The six temporal patterns of the scaling-rule experiment (Liu & Li's claim that the rule makes the
    output scale robust to the temporal pattern of the input): white N(0,1); offset 5 + noise; Brownian motion;
    AR(1) with phi = 0.99 from rest; 3 sin(4 cycles) + 0.1 noise; 0.01 x white."""
    ps = [white_noise(1.0), offset_noise(5.0, 0.0, 1.0), brownian(1.0), ar1(0.99, 1.0),
          sinusoid_noise(3.0, 4.0, 0.1), tiny_noise(0.01)]
    return {p.name: p for p in ps}
