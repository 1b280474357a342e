"""Liu & Li's data-dependent generalization measure ``tau``, the bound ``psi``, the initialization
scaling rule and the ``tau`` regularizer (Liu & Li 2024, arXiv 2405.02670; notebook 02).

Source status (see ``docs/papers/liu-li-2024.md``): the theorem and ``psi``'s first term are from a
**secondary** source quoting the paper's LaTeX; the second term of ``psi``, the per-``theta`` measure ``tau``
and every discrete / multi-channel / multi-layer form below are **our reconstruction** [R], checked
numerically (``tests/test_measure.py``, notebook 02).

Discrete single-input single-output layer read out at the last step ``T = L - 1`` (kernel ``k``,
``ssmtheory.ssm.kernel``; the skip ``D`` is not part of ``tau``)::

    y_T = sum_{j=0}^{L-1} k_j x_{L-1-j}                        (index direction: k_j multiplies x_{L-1-j})
    a(theta) = sum_j |k_j| sigma_{L-1-j},   m(theta) = |sum_j k_j mu_{L-1-j}|
    tau(theta) = (a + m)^2                                       [R] (per-theta form of psi^2)
    psi(Theta) = sup_Theta a + sup_Theta m                       [S] first term, [R] second term
    bound     = (psi + 1)^2 * c * log^{3/2}(T n / delta) / sqrt(n) [S], the O-constant c unknown (we use 1)

``mu_t``, ``sigma_t`` are the per-time mean and standard deviation of the input.  For any input with that
mean and any covariance ``K`` with ``K(t, t) = sigma_t^2`` (Gaussian or not),
``E[y_T^2] = (sum_j k_j mu_{L-1-j})^2 + sum_{i,j} k_i k_j K(L-1-i, L-1-j) <= tau`` because
``|K(s, t)| <= sigma_s sigma_t`` (Cauchy-Schwarz) [R; derived in notebook 02].

Multi-channel: S4D (channels layout) — channel ``h`` has its own kernel ``k[:, h]`` and its own input
statistics, ``tau_h`` as above.  MIMO (S5 / LRU) — output ``o``:
``a_o = sum_{j,i} |K[j,o,i]| sigma_{L-1-j,i}``, ``m_o = |sum_{j,i} K[j,o,i] mu_{L-1-j,i}|`` (the same
Cauchy-Schwarz argument across input channels) [R].

Optimization designs (Liu & Li's eq. (8), (9) in the ICLR version [S]):

* scaling rule: ``C <- C / sqrt(tau(theta_0))`` so that ``tau = 1`` at initialization; for deep models [R]
  layer by layer, each layer with the statistics of its own input computed after the earlier layers were
  rescaled (:func:`scale_rule`);
* regularizer: ``R_n(theta) + lambda tau(theta)``; for deep models [R] summed over layers and channels with
  the statistics of the current batch held fixed (``jax.lax.stop_gradient``; :func:`tau_regularizer`; the loss
  built on it is :func:`ssmtheory.experiments.data_dependent.make_regularized_loss`).

Everything on arrays is ``jax.numpy`` (jittable, differentiable in the kernel / parameters) and follows
the input dtype.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ssmtheory import models as _models
from ssmtheory import ssm as _ssm
from ssmtheory._validate import check_int, check_positive, is_concrete

__all__ = [
    "input_stats",
    "output_at_T",
    "tau_parts",
    "tau",
    "second_moment",
    "psi",
    "bound",
    "layer_kernels",
    "layer_input_stats",
    "tau_layers",
    "tau_regularizer",
    "scale_rule",
]


# --------------------------------------------------------------------------------------------- validation
def _real(x, name: str):
    """``x`` as a real jnp array; concrete values must be finite (traced values pass: these run inside jit)."""
    if x is None:
        raise ValueError(f"{name} must be a real array, got None")
    if jnp.iscomplexobj(x):
        raise ValueError(f"{name} must be real, got dtype {jnp.asarray(x).dtype}")
    if is_concrete(x) and not bool(np.all(np.isfinite(np.asarray(x)))):
        raise ValueError(f"{name} contains NaN or inf")
    return jnp.asarray(x)


def _batch(x):
    x = _real(x, "x")
    if x.ndim != 3:
        raise ValueError(f"x must be a batch (B, L, d_input), got shape {tuple(x.shape)}")
    return x


# --------------------------------------------------------------------------------------------- statistics
def input_stats(x, channels: bool = False):
    """Per-time mean and standard deviation (``ddof=0``) over every batch axis: ``(mu, sigma)``.

    ``channels=False``: ``x (..., L)`` -> ``(L,)`` each; ``channels=True``: ``x (..., L, H)`` -> ``(L, H)``.
    ``mu_t = mean_i x_{i,t}``, ``sigma_t^2 = mean_i (x_{i,t} - mu_t)^2`` (the note's estimator).
    """
    x = _real(x, "x")
    need = 2 if channels else 1
    if x.ndim < need + 1:
        raise ValueError(f"x must have a batch axis and shape (..., L{', H' if channels else ''}), got {tuple(x.shape)}")
    axes = tuple(range(x.ndim - need))
    mu = jnp.mean(x, axis=axes)
    sigma = jnp.sqrt(jnp.mean((x - mu) ** 2, axis=axes))
    return mu, sigma


def output_at_T(k, x):
    """``y_T = sum_j k_j x_{..., L-1-j}`` for a SISO kernel ``k (L,)`` and inputs ``x (..., L)`` (no ``D``)."""
    k, x = _real(k, "k"), _real(x, "x")
    if k.ndim != 1 or x.shape[-1] != k.shape[0]:
        raise ValueError(f"k must be (L,) and x (..., L) with the same L, got {tuple(k.shape)} and {tuple(x.shape)}")
    return jnp.asarray(x) @ k[::-1]


# --------------------------------------------------------------------------------------------- tau
def _check_sigma(sigma):
    """``sigma`` is a standard deviation: concrete values must be finite and >= 0."""
    if is_concrete(sigma):
        a = np.asarray(sigma)
        if not np.all(np.isfinite(a)):
            raise ValueError("sigma contains NaN or inf")
        if np.any(a < 0):
            raise ValueError(f"sigma must be non-negative (a standard deviation), min = {a.min():.3g}")


def _check_stats(k, mu, sigma):
    _check_sigma(sigma)
    if k.ndim not in (1, 2, 3):
        raise ValueError(f"k must be (L,), (L, H) or (L, H_out, H_in), got shape {tuple(k.shape)}")
    want = k.shape[:1] if k.ndim == 1 else (k.shape[0], k.shape[-1])
    for arr, nm in ((mu, "mu"), (sigma, "sigma")):
        if tuple(arr.shape) != tuple(want):
            raise ValueError(f"{nm} must have shape {tuple(want)} to match k {tuple(k.shape)}, got {tuple(arr.shape)}")


def tau_parts(k, mu, sigma):
    """``(a, m)`` with ``tau = (a + m)^2``: ``a = sum_j |k_j| sigma_{L-1-j}``, ``m = |sum_j k_j mu_{L-1-j}|`` [R].

    ``k (L,)`` with ``mu, sigma (L,)`` -> scalars; channels ``k (L, H)`` with ``mu, sigma (L, H)`` -> ``(H,)``;
    MIMO ``k (L, H_out, H_in)`` with ``mu, sigma (L, H_in)`` -> ``(H_out,)`` (sums over lags and input channels).
    """
    k, mu, sigma = _real(k, "k"), _real(mu, "mu"), _real(sigma, "sigma")
    _check_stats(k, mu, sigma)
    mu_r, sig_r = mu[::-1], sigma[::-1]  # mu_r[j] = mu_{L-1-j}
    if k.ndim == 3:
        a = jnp.einsum("joi,ji->o", jnp.abs(k), sig_r)
        m = jnp.abs(jnp.einsum("joi,ji->o", k, mu_r))
    else:
        a = jnp.sum(jnp.abs(k) * sig_r, axis=0)
        m = jnp.abs(jnp.sum(k * mu_r, axis=0))
    return a, m


def tau(k, mu, sigma):
    """Liu & Li's generalization measure ``tau = (a + m)^2`` (see :func:`tau_parts` for shapes) [R]."""
    a, m = tau_parts(k, mu, sigma)
    return (a + m) ** 2


def second_moment(k, mu, cov):
    """Exact ``E[y_T^2] = (sum_j k_j mu_{L-1-j})^2 + sum_{i,j} k_i k_j K(L-1-i, L-1-j)`` for ``k (L,)``,
    ``mu (L,)``, ``cov (L, L)`` — valid for any distribution with that mean and covariance."""
    k, mu, cov = _real(k, "k"), _real(mu, "mu"), _real(cov, "cov")
    L = k.shape[0] if k.ndim else 0
    if k.ndim != 1 or mu.shape != (L,) or cov.shape != (L, L):
        raise ValueError(f"need k (L,), mu (L,), cov (L, L); got {k.shape}, {mu.shape}, {cov.shape}")
    kr = k[::-1]
    return (kr @ mu) ** 2 + kr @ cov @ kr


def psi(kernels, mu, sigma) -> float:
    """``psi(Theta) = sup_theta a(theta) + sup_theta m(theta)`` over a finite set ``Theta`` of SISO kernels
    ``kernels (M, L)`` ([S] first term, [R] second term).  Note ``psi^2 >= max_theta tau(theta)``."""
    kernels, mu, sigma = _real(kernels, "kernels"), _real(mu, "mu"), _real(sigma, "sigma")
    if kernels.ndim != 2:
        raise ValueError(f"kernels must be (M, L), got {tuple(kernels.shape)}")
    _check_sigma(sigma)
    a, m = jax.vmap(lambda k: tau_parts(k, mu, sigma))(kernels)
    return float(jnp.max(a) + jnp.max(m))


def bound(psi_value, n, T, delta: float = 0.05, const: float = 1.0):
    """``(psi + 1)^2 * const * log^{3/2}(T n / delta) / sqrt(n)`` — the shape of the ICML theorem [S].

    The theorem hides ``const`` in an ``O(.)``: it is **unknown**; ``const = 1`` shows the shape only, so the
    value is not a certified bound.  ``T`` is the horizon (we pass the sequence length); requires ``T n / delta > 1``.
    """
    n = np.asarray(n, np.float64)
    check_positive(n, "n")
    check_positive(T, "T")
    check_positive(const, "const")
    pv = np.asarray(psi_value, np.float64)
    if not np.all(np.isfinite(pv)) or np.any(pv < 0):
        raise ValueError(f"psi_value must be finite and >= 0, got {psi_value!r}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must lie in (0, 1), got {delta!r}")
    arg = T * n / delta
    if np.any(arg <= 1):
        raise ValueError("T * n / delta must exceed 1")
    return (np.asarray(psi_value) + 1.0) ** 2 * const * np.log(arg) ** 1.5 / np.sqrt(n)


# --------------------------------------------------------------------------------------------- deep models
def layer_kernels(params, cfg: _models.DeepSSMConfig, L: int) -> list:
    """Per layer, the SSM kernel exactly as :func:`ssmtheory.models.apply` uses it (jnp, differentiable):
    s4d ``(L, H)``; s5 / lru ``(L, H, H)``.  ``D`` is left out (Liu & Li's theory has no skip term)."""
    L = check_int(L, "L")
    out = []
    for lp in params["layers"]:
        Lam_bar, B_bar, C, _, _ = _models.layer_system(lp["ssm"], cfg)
        out.append(_ssm.kernel(Lam_bar, B_bar, C, L, conj_sym=cfg.conj_sym))
    return out


def _stats_of(ssm_inputs):
    return [input_stats(v, channels=True) for v in ssm_inputs]


def layer_input_stats(params, cfg: _models.DeepSSMConfig, x) -> list:
    """Per layer, ``(mu, sigma)`` of the input its SSM receives, ``(L, H)`` each, over the batch ``x (B, L, d_input)``."""
    x = _batch(x)
    _, ins = _models.apply(params, x, cfg, return_ssm_inputs=True)
    return _stats_of(ins)


def tau_layers(params, cfg: _models.DeepSSMConfig, stats) -> list:
    """Per layer, ``tau`` per (output) channel, ``(H,)``, from given per-layer input statistics ``stats``."""
    if len(stats) != len(params["layers"]):
        raise ValueError(f"stats must have one (mu, sigma) per layer ({len(params['layers'])}), got {len(stats)}")
    L = int(stats[0][0].shape[0]) if stats else 1
    return [tau(k, mu, s) for k, (mu, s) in zip(layer_kernels(params, cfg, L), stats)]


def tau_regularizer(params, cfg: _models.DeepSSMConfig, x=None, ssm_inputs=None):
    """``sum over layers and channels of tau`` with batch statistics under ``jax.lax.stop_gradient`` [R].

    Pass the batch ``x (B, L, d_input)`` or the layer inputs from ``models.apply(..., return_ssm_inputs=True)``
    (to reuse one forward pass).  Differentiable in ``params`` through the kernels only.
    """
    if ssm_inputs is None:
        if x is None:
            raise ValueError("pass x or ssm_inputs")
        _, ssm_inputs = _models.apply(params, _batch(x), cfg, return_ssm_inputs=True)
    stats = jax.lax.stop_gradient(_stats_of(ssm_inputs))
    return sum(jnp.sum(t) for t in tau_layers(params, cfg, stats))


@partial(jax.jit, static_argnames="cfg")
def _taus_on_batch(params, cfg, x):
    return tau_layers(params, cfg, layer_input_stats(params, cfg, x))


def _rescale_C(ssm_params, factor):
    """Multiply the output matrix ``C`` (rows = output channels) by ``factor (H_out,)``."""
    out = dict(ssm_params)
    for key in ("C", "C_re", "C_im"):
        if key in out:
            out[key] = out[key] * factor[:, None].astype(out[key].dtype)
    return out


def scale_rule(params, cfg: _models.DeepSSMConfig, x, eps: float = 1e-30):
    """Liu & Li's initialization scaling rule for a deep model: ``C <- C / sqrt(tau)`` per channel [S/R].

    Layer by layer: the statistics of layer ``l``'s input are computed on the batch ``x`` **after** layers
    ``< l`` were rescaled, then layer ``l``'s ``C`` rows are divided by ``sqrt(tau_h)``.  Rescaling layer ``l``
    changes only the inputs of later layers, so afterwards every layer has ``tau = 1`` on ``x`` (channels with
    ``tau <= eps`` are left unchanged).  Returns ``(new_params, taus_before)`` (per layer ``(H,)``, NumPy).
    """
    params = jax.tree_util.tree_map(lambda a: a, params)
    params["layers"] = [dict(lp) for lp in params["layers"]]
    x = _batch(x)
    check_positive(eps, "eps")
    before = []
    for i in range(len(params["layers"])):
        t = _taus_on_batch(params, cfg, x)[i]
        before.append(np.asarray(t))
        factor = jnp.where(t > eps, 1.0 / jnp.sqrt(jnp.maximum(t, eps)), 1.0)
        params["layers"][i]["ssm"] = _rescale_C(params["layers"][i]["ssm"], factor)
    return params, before
