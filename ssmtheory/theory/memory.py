"""The curse of memory and stable reparameterization (StableSSM, Wang & Li, arXiv 2311.14495).

Formulas only (paper note: ``docs/papers/stablessm-2023.md``): linear-functional targets, the memory function,
the authors' time-weighted loss and its exact population form, and the kernel of a **diagonal** linear SSM
student.  Training the students and perturbing them lives in :mod:`ssmtheory.experiments.diagonal_students`.

**Targets** [C: authors' ``Curse-of-memory`` data generator]: ``H_t(x) = sum_{s=0}^{t} rho(s dt) x_{t-s}``
with inputs ``x_k = dt * N(0, 1)`` i.i.d., ``T = 100`` steps, ``dt = 1``; ``rho_exp(t) = e^{-t}`` and
``rho_pol(t) = (1 + 0.1 t)^{-1.1}``.  Memory function (ICLR'24 definition, [R]): the output's increments
under a Heaviside input, ``M(t) = |y_{t+1} - y_t|`` for ``x = 1`` — for a linear target ``M(t) = |rho((t+1) dt)|``.

**Student** (our CPU scale-down of Figure 1; the authors' model is not diagonal, see the paper note's
pitfall 1): ``h_k = lambda ⊙ h_{k-1} + b x_k``, ``y_k = c . h_k`` with real
``lambda_i = exp(dt f(w_i))`` (ZOH of ``Re = f(w)``, :func:`ssmtheory.param.reparam`), so the model is the
causal convolution with the kernel ``K_k = sum_i c_i b_i lambda_i^k`` — one small matmul, no scan.
``b`` is the discrete input weight (trained directly).  ``direct`` is trained with ``f(w) = min(w, 0)``
and projected ``w <- min(w, 0)`` afterwards (the authors' ReLU-in-training, pitfall 2).

**Loss** [C: authors' ``src/utils/temporally_weighted_error.py``, ``twe_MSE``]: the weight multiplies
both the output and the target *inside* ``MSELoss``, so it enters **squared**:
``(1/T) sum_t omega_t^2 (y_t - yhat_t)^2`` with ``omega_t = T (t+1)^2 / sum_s (s+1)^2`` (i.e.
``((t+1)/(T+1))^2`` normalised to mean 1).  Because the model is linear and the inputs white, its
expectation over the input distribution is exact and cheap (our derivation, checked in the tests against
a Monte Carlo re-implementation of ``twe_MSE``)::

    E_x[loss] = dt^2 / T * sum_s (rho_s - K_s)^2 * Omega_s,      Omega_s = sum_{t >= s} omega_t^2

(``y_t - yhat_t = sum_{s<=t} e_s x_{t-s}`` with ``e = rho - K`` and ``E[x_i x_j] = dt^2 delta_ij``).
Students are trained on this population loss (the infinite-data limit of the authors' 128k samples),
and ``E_m(beta)`` is evaluated with it (the test error with an infinite test set).

The perturbation protocol for the students is documented in :mod:`ssmtheory.experiments.diagonal_students`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ssmtheory import param as _param
from ssmtheory._validate import as_array, check_choice, check_finite, check_int, check_positive

__all__ = [
    "TARGETS",
    "rho_exponential",
    "rho_polynomial",
    "target_kernel",
    "linear_functional_data",
    "time_weights",
    "population_loss",
    "memory_function",
    "student_kernel",
    "student_eigenvalues",
]


def rho_exponential(t):
    """``rho(t) = exp(-t)`` (exponentially decaying memory); ``t`` a finite real array of any shape."""
    return np.exp(-np.asarray(as_array(t, "t", allow_complex=False), np.float64))


def rho_polynomial(t, c: float = 0.1, p: float = 1.1):
    """``rho(t) = (1 + c t)^{-p}``, default ``(1 + 0.1 t)^{-1.1}`` [C: authors' Figure-1 scripts]; ``t >= 0``."""
    t = np.asarray(as_array(t, "t", allow_complex=False), np.float64)
    if np.any(t < 0):
        raise ValueError("t must be >= 0")
    check_positive(c, "c")
    check_positive(p, "p")
    return (1.0 + c * t) ** (-p)


TARGETS = {"exp": rho_exponential, "pol": rho_polynomial}


def target_kernel(name: str, T: int = 100, dt: float = 1.0) -> np.ndarray:
    """``rho(k dt)`` for ``k = 0..T-1`` (NumPy float64) of target ``name`` in :data:`TARGETS`."""
    check_choice(name, "name", tuple(TARGETS))
    T = check_int(T, "T")
    check_positive(dt, "dt")
    return TARGETS[name](np.arange(T) * dt)


def _causal_conv(x, k):
    """``y_t = sum_{s<=t} k_s x_{t-s}`` along the last axis (NumPy, exact)."""
    T = x.shape[-1]
    idx = np.arange(T)
    toep = np.where(idx[:, None] >= idx[None, :], k[np.clip(idx[:, None] - idx[None, :], 0, T - 1)], 0.0)
    return x @ toep.T


def linear_functional_data(kernel, n: int, *, seed: int, dt: float = 1.0):
    """``(x, y)`` of shape ``(n, T)``: ``x_k = dt N(0,1)``, ``y_t = sum_{s<=t} kernel_s x_{t-s}`` (float64)."""
    kernel = np.asarray(as_array(kernel, "kernel", ndim=1, allow_complex=False), np.float64)
    n = check_int(n, "n")
    seed = check_int(seed, "seed", minimum=0)
    check_positive(dt, "dt")
    x = dt * np.random.default_rng(seed).normal(size=(n, kernel.size))
    return x, _causal_conv(x, kernel)


def time_weights(T: int, weighted: bool = True) -> np.ndarray:
    """``omega_t ∝ ((t+1)/(T+1))^2`` normalised to mean 1 (all ones if ``weighted=False``)."""
    T = check_int(T, "T")
    w = ((np.arange(T) + 1.0) / (T + 1.0)) ** 2 if weighted else np.ones(T)
    return w / w.mean()


def population_loss(err, weights, dt: float = 1.0):
    """Expected authors' loss for kernel error ``err = rho - K`` (``(..., T)``): ``dt^2/T sum_s err_s^2 Omega_s``.

    ``weights`` are the time weights ``omega_t`` of :func:`time_weights`; the authors' ``twe_MSE`` multiplies
    output and target by ``omega_t`` inside ``MSELoss``, so the loss is ``(1/T) sum_t omega_t^2 (yhat_t - y_t)^2``
    and ``Omega_s = sum_{t >= s} omega_t^2`` (squared weights).
    """
    err = as_array(err, "err", allow_complex=False)
    weights = jnp.asarray(as_array(weights, "weights", ndim=1, allow_complex=False))
    if err.ndim < 1 or err.shape[-1] != weights.shape[-1]:
        raise ValueError(f"err must end in the length of weights ({weights.shape[-1]}), got shape {tuple(err.shape)}")
    check_positive(dt, "dt")
    Om = jnp.cumsum((weights**2)[::-1])[::-1]
    return dt**2 * jnp.sum(err**2 * Om, axis=-1) / weights.shape[-1]


def memory_function(kernel_or_fn, T: int = 100) -> np.ndarray:
    """``M(t) = |y_{t+1} - y_t|``, ``t = 0..T-2``, for the Heaviside input ``x = 1`` (authors' ``memoryfunction.py``).

    ``kernel_or_fn``: a 1-D kernel (linear functional) or a callable ``x (n, T) -> y (n, T)``.
    """
    T = check_int(T, "T", minimum=2)
    x = np.ones((1, T))
    if not callable(kernel_or_fn):
        kernel_or_fn = as_array(kernel_or_fn, "kernel_or_fn", ndim=1, allow_complex=False)
    if callable(kernel_or_fn):
        y = np.asarray(kernel_or_fn(x), np.float64)
    else:
        k = np.asarray(kernel_or_fn, np.float64)[:T]
        y = _causal_conv(x, np.pad(k, (0, T - k.size)))
    return np.abs(np.diff(y[0]))


# --------------------------------------------------------------------------- the student


def _f(reparam, w, train=False):
    if reparam == "direct" and train:
        return jnp.minimum(w, 0.0)
    return _param.reparam(reparam, w)


def student_kernel(reparam: str, w, b, c, T: int, dt: float = 1.0, train: bool = False):
    """``K_k = sum_i c_i b_i exp(k dt f(w_i))``, ``k = 0..T-1``; leading axes of ``w, b, c`` are batch axes."""
    check_choice(reparam, "reparam", _param.REPARAMS)
    w = as_array(w, "w", allow_complex=False)
    b, c = as_array(b, "b", allow_complex=False), as_array(c, "c", allow_complex=False)
    if w.ndim < 1 or b.shape[-1:] != w.shape[-1:] or c.shape[-1:] != w.shape[-1:]:
        raise ValueError(f"w, b and c must share the last (mode) axis, got {w.shape}, {b.shape}, {c.shape}")
    T = check_int(T, "T")
    check_positive(dt, "dt")
    k = jnp.arange(T, dtype=jnp.result_type(w))
    f = _f(reparam, w, train)
    return jnp.einsum("...i,...ik->...k", c * b, jnp.exp(dt * f[..., None] * k))


def student_eigenvalues(reparam: str, w, dt: float = 1.0):
    """Discrete eigenvalues ``lambda_i = exp(dt f(w_i))`` (NumPy)."""
    check_choice(reparam, "reparam", _param.REPARAMS)
    w = as_array(w, "w", allow_complex=False)
    check_positive(dt, "dt")
    return np.exp(dt * np.asarray(_param.reparam(reparam, jnp.asarray(w))))
