"""Gaussian input processes on ``t = 0..L-1`` with known per-time mean, variance and covariance.

Every process here is Gaussian with a closed-form mean ``mu_t``, standard deviation ``sigma_t`` and
covariance ``K(s, t)``, so second moments of linear read-outs are known exactly (for checking Liu & Li's
measure, :mod:`ssmtheory.theory.measure`) and Monte Carlo samples can be checked against them.
Estimated statistics come from samples: :func:`ssmtheory.theory.measure.input_stats`.

* :func:`white_noise`   ``x_t = m + sigma eps_t``                        (``tiny_noise``: sigma = 0.01)
* :func:`offset_noise`  ``x_t = offset + slope t / L + sigma eps_t``      (offset / linear drift)
* :func:`sinusoid_noise` ``x_t = A sin(2 pi cycles t / L + phase) + noise eps_t`` (fixed phase: the mean varies)
* :func:`modulated_noise` independent in time with arbitrary mean and std profiles
* :func:`brownian`      ``x_t = (sigma / sqrt(L)) sum_{s<=t} eps_s``, ``K(s,t) = sigma^2 (min(s,t)+1) / L``
* :func:`ar1`           ``x_t = phi x_{t-1} + sigma eps_t``, ``x_{-1} = 0`` (or a stationary start)
* :func:`same_marginals_pair` white N(0,1) and a stationary AR(1) with N(0,1) marginals: the same
  per-time mean and variance, different correlations (Liu & Li's measure cannot tell them apart)
* :func:`standard_patterns` the six temporal patterns of the scaling-rule experiment
* :func:`equal_rms_patterns` patterns rescaled to the same total RMS (spread from temporal structure only)

Continuous-time processes on a horizon ``[0, T]``, sampled at ``s_i = (i + 1) T / L`` (``i = 0..L-1``, so the
last sample is at ``s = T``, Liu & Li's read-out time; ``Delta = T / L``), for the theorem's setting:

* :func:`gaussian_process` any mean function and covariance kernel (sampled by Cholesky)
* :func:`brownian_on`   Brownian motion ``sigma W(s)``, ``K(s, t) = sigma^2 min(s, t)``
* :func:`reversed_brownian` ``sigma W(T - s)``: the same total energy as Brownian motion, reversed in time
* :func:`ou`            Ornstein-Uhlenbeck ``dx = -theta x ds + sigma dW`` (stationary or from ``x(0) = 0``)
* :func:`white_on`      i.i.d. ``N(mean, sigma^2)`` samples at any resolution — **outside** the Hölder assumption
* :func:`heavy_tailed`  a multivariate-t version of any process: the same mean and covariance, not Gaussian

``Process.holder`` records whether the continuous-time mean and covariance are Hölder continuous
(Liu & Li's assumption as restated by Honarpisheh et al., arXiv 2502.01473, Remark 4.1): ``True`` for the
Gaussian processes above with continuous ``mu`` and ``K``, ``False`` for white noise (its covariance
``1{s = t}`` is not continuous, so its samples at finer resolution are not the same continuous-time object),
``None`` for the index-grid processes whose continuous-time reading is not fixed.

``eps_t`` are i.i.d. N(0, 1).  Samples are NumPy float64 arrays ``(n, L)``; ``seed`` is an int or a
``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from ssmtheory._validate import check_callable, check_int, check_scalar

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
    "equal_rms_patterns",
    "gaussian_process",
    "brownian_on",
    "reversed_brownian",
    "ou",
    "white_on",
    "rescaled",
    "heavy_tailed",
]


MAX_BYTES = 4 << 30  # largest float64 array a Process method builds (mean/std (L,), cov (L, L), sample (n, L))


def _size(L, name="L", rows=1, what="array"):
    L = check_int(L, name)
    if 8 * rows * L > MAX_BYTES:
        raise ValueError(f"{name} = {L} needs a {8 * rows * L / 2**30:.3g} GiB {what}: over the {MAX_BYTES >> 30} GiB limit")
    return L


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
    holder: bool | None = None

    def mean(self, L: int) -> np.ndarray:
        L = _size(L)
        return np.asarray(self.mean_fn(L), np.float64) * np.ones(L)

    def std(self, L: int) -> np.ndarray:
        L = _size(L)
        return np.sqrt(np.asarray(self.var_fn(L), np.float64) * np.ones(L))

    def cov(self, L: int) -> np.ndarray:
        L = check_int(L, "L")
        _size(L, rows=L, what="covariance")
        return np.asarray(self.cov_fn(L), np.float64)

    def sample(self, seed, n: int, L: int) -> np.ndarray:
        n, L = check_int(n, "n"), _size(L)
        _size(n, "n", rows=L, what="sample")
        return np.asarray(self.sample_fn(_rng(seed), n, L), np.float64)

    def second_moment(self, L: int) -> np.ndarray:
        """``E[x x^T] = K + mu mu^T``, ``(L, L)``."""
        mu = self.mean(L)
        return self.cov(L) + np.outer(mu, mu)

    def rms(self, L: int) -> float:
        """Total RMS ``sqrt(mean_t E[x_t^2])``."""
        m, s = self.mean(L), self.std(L)
        return float(np.sqrt(np.mean(m**2 + s**2)))


def modulated_noise(mean_fn: Callable[[np.ndarray], np.ndarray], std_fn: Callable[[np.ndarray], np.ndarray],
                    name: str = "modulated noise", description: str = "") -> Process:
    """Independent in time: ``x_t = mean_fn(s_t) + std_fn(s_t) eps_t`` with ``s_t = t / L`` in ``[0, 1)``."""
    check_callable(mean_fn, "mean_fn")
    check_callable(std_fn, "std_fn")

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
    sigma, mean = check_scalar(sigma, "sigma", nonnegative=True), check_scalar(mean, "mean")
    nm = name or (f"white N({mean:g}, {sigma:g}²)")
    return modulated_noise(lambda s: mean + 0 * s, lambda s: sigma + 0 * s, nm, f"i.i.d. N({mean:g}, {sigma:g}^2)")


def tiny_noise(sigma: float = 0.01) -> Process:
    """Tiny-variance white noise ``sigma eps_t`` (default ``sigma = 0.01``)."""
    sigma = check_scalar(sigma, "sigma", positive=True)
    return white_noise(sigma, 0.0, name=f"tiny white ({sigma:g}·N(0,1))")


def offset_noise(offset: float = 5.0, slope: float = 0.0, sigma: float = 1.0) -> Process:
    """``x_t = offset + slope t / L + sigma eps_t``: a constant offset and an optional linear drift."""
    offset, slope = check_scalar(offset, "offset"), check_scalar(slope, "slope")
    sigma = check_scalar(sigma, "sigma", nonnegative=True)
    nm = f"offset {offset:g}" + (f" + drift {slope:g}t/L" if slope else "") + f" + {sigma:g}·noise"
    return modulated_noise(lambda s: offset + slope * s, lambda s: sigma + 0 * s, nm)


def sinusoid_noise(amplitude: float = 3.0, cycles: float = 4.0, noise: float = 0.1, phase: float = 0.0) -> Process:
    """``x_t = amplitude sin(2 pi cycles t / L + phase) + noise eps_t`` (deterministic phase, so ``mu_t`` oscillates)."""
    amplitude, cycles, phase = check_scalar(amplitude, "amplitude"), check_scalar(cycles, "cycles"), check_scalar(phase, "phase")
    noise = check_scalar(noise, "noise", nonnegative=True)
    nm = f"{amplitude:g}·sin({cycles:g} cycles) + {noise:g}·noise"
    return modulated_noise(lambda s: amplitude * np.sin(2 * np.pi * cycles * s + phase), lambda s: noise + 0 * s, nm)


def brownian(sigma: float = 1.0) -> Process:
    """Brownian motion sampled on ``L`` steps of the unit interval: ``x_t = (sigma/sqrt(L)) sum_{s<=t} eps_s``.

    ``mu_t = 0``, ``K(s, t) = sigma^2 (min(s, t) + 1) / L`` (so ``Var x_{L-1} = sigma^2``).
    """
    sigma = check_scalar(sigma, "sigma", nonnegative=True)

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
    phi = check_scalar(phi, "phi")
    if not abs(phi) < 1:
        raise ValueError(f"phi must satisfy |phi| < 1, got {phi!r}")
    sigma = check_scalar(sigma, "sigma", nonnegative=True)
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
    phi = check_scalar(phi, "phi")
    if not abs(phi) < 1:
        raise ValueError(f"phi must satisfy |phi| < 1, got {phi!r}")
    return (white_noise(1.0, name="white N(0,1)"),
            ar1(phi, np.sqrt(1 - phi**2), stationary=True, name=f"AR(1) φ={phi:g}, N(0,1) marginals"))


def standard_patterns() -> dict[str, Process]:
    """The six temporal patterns of the scaling-rule experiment (Liu & Li's claim that the rule makes the
    output scale robust to the temporal pattern of the input): white N(0,1); offset 5 + noise; Brownian motion;
    AR(1) with phi = 0.99 from rest; 3 sin(4 cycles) + 0.1 noise; 0.01 x white."""
    ps = [white_noise(1.0), offset_noise(5.0, 0.0, 1.0), brownian(1.0), ar1(0.99, 1.0),
          sinusoid_noise(3.0, 4.0, 0.1), tiny_noise(0.01)]
    return {p.name: p for p in ps}


def rescaled(p: Process, factor: float, name: str | None = None) -> Process:
    """``factor * x``: mean and std times ``|factor|``-scaled, covariance times ``factor^2``."""
    _check_process(p)
    f = check_scalar(factor, "factor")
    if f == 0:
        raise ValueError(f"factor must be finite and non-zero, got {factor!r}")
    return Process(name or f"{f:g}·({p.name})", p.description, lambda L: f * p.mean(L), lambda L: f**2 * p.std(L) ** 2,
                   lambda L: f**2 * p.cov(L), lambda rng, n, L: f * p.sample_fn(rng, n, L), p.holder)


def equal_rms_patterns(L: int, patterns: dict[str, Process] | None = None) -> dict[str, Process]:
    """Each pattern (default :func:`standard_patterns` plus a time-reversed Brownian motion and a noise burst
    in the first half) rescaled to total RMS ``sqrt(mean_t E[x_t^2]) = 1`` at length ``L``: any remaining
    spread of a read-out's scale comes from temporal structure (where the mean and variance sit in time), not
    from the overall size of the input."""
    L = _size(L)
    if patterns is None:
        patterns = dict(standard_patterns())
        for q in (reversed_brownian(1.0, 1.0),
                  modulated_noise(lambda s: 0 * s, lambda s: (s < 0.5) * 1.0, "noise burst in the first half")):
            patterns[q.name] = q
    out = {}
    for nm, p in patterns.items():
        if nm.startswith("tiny white"):
            continue  # a rescaled copy of white noise: the same pattern
        out[nm] = rescaled(p, 1.0 / p.rms(L), name=nm)
    return out


# --------------------------------------------------------------------------------------------- continuous time
def _check_process(p, name="p"):
    if not isinstance(p, Process):
        raise ValueError(f"{name} must be a Process, got {type(p).__name__}")
    return p


def _grid(L: int, T: float) -> np.ndarray:
    return (np.arange(L) + 1.0) * (T / L)


def _check_T(T):
    if not (isinstance(T, (int, float, np.floating, np.integer)) and np.isfinite(T) and T > 0):
        raise ValueError(f"T must be a positive finite number, got {T!r}")
    return float(T)


def gaussian_process(name: str, mean_fn: Callable[[np.ndarray], np.ndarray],
                     cov_fn: Callable[[np.ndarray, np.ndarray], np.ndarray], T: float = 1.0,
                     holder: bool | None = True, description: str = "") -> Process:
    """A Gaussian process on ``[0, T]`` with mean ``mean_fn(s)`` and covariance ``cov_fn(s[:, None], s[None, :])``,
    sampled at ``s_i = (i + 1) T / L``.  Samples by a Cholesky factor of ``K`` (a relative jitter of
    ``1e-12 max K`` keeps a semi-definite ``K`` factorable; it changes the covariance by less than round-off
    in the tests).  ``holder`` says whether ``mean_fn``, ``cov_fn`` are Hölder continuous (the user's claim)."""
    T = _check_T(T)
    check_callable(mean_fn, "mean_fn")
    check_callable(cov_fn, "cov_fn")
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, got {type(name).__name__}")

    def mean(L):
        return np.asarray(mean_fn(_grid(L, T)), np.float64) * np.ones(L)

    def cov(L):
        s = _grid(L, T)
        K = np.asarray(cov_fn(s[:, None], s[None, :]), np.float64)
        return 0.5 * (K + K.T)

    @lru_cache(maxsize=4)
    def chol(L):
        K = cov(L)
        return np.linalg.cholesky(K + 1e-12 * np.abs(K).max() * np.eye(L))

    def sample(rng, n, L):
        return mean(L) + rng.standard_normal((n, L)) @ chol(L).T

    return Process(name, description or name, mean, lambda L: np.diag(cov(L)).copy(), cov, sample, holder)


def brownian_on(sigma: float = 1.0, T: float = 1.0, drift: Callable | None = None, name: str | None = None) -> Process:
    """``mu(s) + sigma W(s)`` on ``[0, T]``: ``K(s, t) = sigma^2 min(s, t)`` (Lipschitz, so Hölder);
    ``drift`` an optional mean function of ``s``."""
    sigma = check_scalar(sigma, "sigma", nonnegative=True)
    if drift is not None:
        check_callable(drift, "drift")
    nm = name or f"Brownian σ={sigma:g}"
    return gaussian_process(nm, drift if drift is not None else (lambda s: 0 * s),
                            lambda s, t: sigma**2 * np.minimum(s, t), T)


def reversed_brownian(sigma: float = 1.0, T: float = 1.0, name: str | None = None) -> Process:
    """``sigma W(T - s)`` (plus ``sigma^2 Delta`` so the last sample has the variance of one step):
    ``K(s, t) = sigma^2 (min(T - s, T - t) + T / L)`` — the variance sits early in the window."""
    T = _check_T(T)
    sigma = check_scalar(sigma, "sigma", nonnegative=True)
    nm = name or f"reversed Brownian σ={sigma:g}"

    def cov(L):
        s = _grid(L, T)
        return sigma**2 * (np.minimum(T - s[:, None], T - s[None, :]) + T / L)

    @lru_cache(maxsize=4)
    def chol(L):
        K = cov(L)
        return np.linalg.cholesky(K + 1e-12 * np.abs(K).max() * np.eye(L))

    def sample(rng, n, L):
        return rng.standard_normal((n, L)) @ chol(L).T

    return Process(nm, nm, lambda L: np.zeros(L), lambda L: np.diag(cov(L)).copy(), cov, sample, True)


def ou(theta: float, sigma: float = 1.0, T: float = 1.0, stationary: bool = True, mean: Callable | None = None,
       name: str | None = None) -> Process:
    """Ornstein-Uhlenbeck ``dx = -theta x ds + sigma dW`` on ``[0, T]`` (plus an optional mean function).

    ``stationary=True``: ``K(s, t) = sigma^2 / (2 theta) exp(-theta |s - t|)``; from ``x(0) = 0``:
    ``K(s, t) = sigma^2 / (2 theta) (exp(-theta |s - t|) - exp(-theta (s + t)))``.  Both are Lipschitz.
    """
    theta = check_scalar(theta, "theta", positive=True)
    sigma = check_scalar(sigma, "sigma", nonnegative=True)
    if mean is not None:
        check_callable(mean, "mean")
    v = sigma**2 / (2 * theta)
    if stationary:
        def cov(s, t):
            return v * np.exp(-theta * np.abs(s - t))
    else:
        def cov(s, t):
            return v * (np.exp(-theta * np.abs(s - t)) - np.exp(-theta * (s + t)))
    nm = name or (f"OU θ={theta:g}" + ("" if stationary else " from 0") + (" + mean" if mean is not None else ""))
    return gaussian_process(nm, mean if mean is not None else (lambda s: 0 * s), cov, T)


def white_on(sigma: float = 1.0, mean: float = 0.0, T: float = 1.0, name: str | None = None) -> Process:
    """White noise ``mean + sigma eps_i`` at every resolution: ``K(s, t) = sigma^2 1{s = t}`` is **not**
    continuous, so this is outside the Hölder assumption (``holder=False``): refining the grid does not
    approach a continuous-time process with finite ``K(s, s)`` and continuous paths."""
    _check_T(T)
    p = white_noise(sigma, mean, name=name or f"white σ={sigma:g}")
    return Process(p.name, p.description, p.mean_fn, p.var_fn, p.cov_fn, p.sample_fn, False)


def heavy_tailed(p: Process, nu: float = 2.5, name: str | None = None) -> Process:
    """``mu + sqrt(W) (x - mu)`` with ``x ~ p`` and one ``W = V / E[V]`` per path, ``V ~ InvGamma(nu/2, nu/2)``
    (a multivariate Student-t path for ``nu > 2``): **the same mean and covariance** as ``p`` (``E W = 1``), but
    heavy-tailed, so outside a Gaussian-input theorem.  For ``nu <= 4`` the fourth moment is infinite and an empirical
    second moment converges more slowly than ``n^{-1/2}`` (like ``n^{-(1 - 2/nu)}``)."""
    _check_process(p)
    nu = check_scalar(nu, "nu")
    if not nu > 2:
        raise ValueError(f"nu must exceed 2 (finite variance), got {nu!r}")
    ev = nu / (nu - 2)

    def sample(rng, n, L):
        x = p.sample_fn(rng, n, L)
        mu = p.mean(L)
        w = (nu / 2) / rng.gamma(nu / 2, 1.0, size=(n, 1)) / ev  # InvGamma(nu/2, nu/2) / E
        return mu + np.sqrt(w) * (x - mu)

    nm = name or f"t_{nu:g} version of {p.name}"
    return Process(nm, nm, p.mean_fn, p.var_fn, p.cov_fn, sample, p.holder)
