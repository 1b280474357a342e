"""Eigenvalue reparameterizations ``Re(lambda) = f(w)`` (StableSSM, Wang & Li 2023).

A trainable real weight ``w`` is mapped to the real part of a continuous-time eigenvalue.
All maps except ``direct`` send every real ``w`` to a strictly negative real part, so the
continuous-time system stays stable whatever the optimizer does:

==========  ===============================  ===============================  ==========================
name        ``f(w)``                          ``f'(w)``                        ``f^{-1}(v)``, ``v < 0``
==========  ===============================  ===============================  ==========================
direct      ``w`` (can be unstable)           ``1``                            ``v``
exp         ``-exp(w)``                       ``-exp(w)``                      ``log(-v)``
softplus    ``-log(1 + exp(w))``              ``-sigmoid(w)``                  ``log(expm1(-v))``
best        ``-1 / (a w^2 + b)``              ``2 a w / (a w^2 + b)^2``        ``+sqrt((-1/v - b) / a)``
==========  ===============================  ===============================  ==========================

``best`` takes keyword arguments ``a`` (default 1) and ``b`` (default 0.5); its range is
``[-1/b, 0)``, so its inverse needs ``-1/b <= v < 0`` and returns the non-negative root.
The maps are stored in the table :data:`_TABLE`; a new reparameterization (or a new derived
quantity per map) is added by extending that table.

**Discrete time** (:func:`discrete_reparam`, names :data:`DISCRETE_REPARAMS`): the weight is mapped to a
real discrete eigenvalue ``Lambda = f(w)``, stable iff ``|f(w)| < 1`` (StableSSM notebook
``stable_reparameterizations.ipynb``, checked against the authors' code):

==========  ===============================  ===============================
name        ``f(w)``                          ``f'(w)``
==========  ===============================  ===============================
vanilla     ``1 - w`` (can be unstable)       ``-1``
lru         ``exp(-exp(w))`` (LRU, Orvieto)   ``-exp(w) exp(-exp(w))``
sigmoid     ``1 / (1 + exp(-w))``             ``sigmoid(w) (1 - sigmoid(w))``
best        ``1 - 1 / (a w^2 + b)``           ``2 a w / (a w^2 + b)^2``
==========  ===============================  ===============================

**Gradient scale** (StableSSM Theorem 3.6 as summarised in the paper note, [N] unverified):
``|dLoss/dw| <= C |f'(w)| / f(w)^2`` in continuous time and ``C |f'(w)| / (1 - f(w))^2`` in discrete
time (:func:`gradient_scale`).  For ``best`` both equal ``2 a |w|`` exactly, so the
gradient-over-weight ratio is bounded by a constant — the property that defines "best".

**Stability function** (Definition 3.4, [N]): ``f`` is stable if
``sup_w |f(w)| sup_{|w~ - w| <= beta} int_0^inf |e^{f(w~) t} - e^{f(w) t}| dt <= g(beta)`` with ``g``
continuous, ``g(0) = 0``.  For ``f < 0`` the inner integral is ``|1/f(w~) - 1/f(w)|`` (the two
exponentials do not cross), so the bracket is ``|f(w)/f(w~) - 1|``; :func:`stability_function`
evaluates its supremum numerically (our derivation of the equivalent form; checked against the
integral in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ssmtheory._validate import check_choice

__all__ = [
    "REPARAMS",
    "DISCRETE_REPARAMS",
    "reparam",
    "inverse_reparam",
    "reparam_kwargs",
    "reparam_derivative",
    "discrete_reparam",
    "discrete_reparam_derivative",
    "gradient_scale",
    "stability_function",
]


@dataclass(frozen=True)
class _Reparam:
    forward: Callable  # (w, **kw) -> f(w), jnp
    inverse: Callable  # (v, **kw) -> w, jnp (v < 0)
    defaults: dict = field(default_factory=dict)
    description: str = ""


def _best_fwd(w, a=1.0, b=0.5):
    return -1.0 / (a * w**2 + b)


def _best_inv(v, a=1.0, b=0.5):
    return jnp.sqrt((-1.0 / v - b) / a)


_TABLE: dict[str, _Reparam] = {
    "direct": _Reparam(lambda w: w, lambda v: v, {}, "f(w) = w (unconstrained, can be unstable)"),
    "exp": _Reparam(lambda w: -jnp.exp(w), lambda v: jnp.log(-v), {}, "f(w) = -exp(w)"),
    "softplus": _Reparam(
        lambda w: -jax.nn.softplus(w), lambda v: jnp.log(jnp.expm1(-v)), {}, "f(w) = -log(1 + exp(w))"
    ),
    "best": _Reparam(_best_fwd, _best_inv, {"a": 1.0, "b": 0.5}, "f(w) = -1 / (a w^2 + b)"),
}

#: Names of the available reparameterizations.
REPARAMS: tuple[str, ...] = tuple(_TABLE)


def _lookup(name: str, kw: dict) -> tuple[_Reparam, dict]:
    check_choice(name, "name", REPARAMS)
    spec = _TABLE[name]
    unknown = set(kw) - set(spec.defaults)
    if unknown:
        raise ValueError(f"reparameterization {name!r} takes keyword arguments {sorted(spec.defaults)}, got {sorted(unknown)}")
    full = {**spec.defaults, **kw}
    if name == "best":
        if not (np.isfinite(full["a"]) and full["a"] > 0):
            raise ValueError(f"a must be positive and finite, got {full['a']!r}")
        if not (np.isfinite(full["b"]) and full["b"] > 0):
            raise ValueError(f"b must be positive and finite, got {full['b']!r}")
    return spec, full


def reparam_kwargs(name: str, **kw) -> dict:
    """The full keyword arguments (defaults filled in) used by reparameterization ``name``."""
    return _lookup(name, kw)[1]


def reparam(name: str, w, **kw):
    """``f(w)``: real part of the eigenvalue for raw weight ``w`` (jnp, jittable, differentiable)."""
    spec, full = _lookup(name, kw)
    return spec.forward(jnp.asarray(w), **full)


def inverse_reparam(name: str, value, **kw):
    """``w`` with ``f(w) = value`` for ``value < 0`` (``best``: the non-negative root).

    Raises ``ValueError`` naming ``value`` for concrete non-negative entries (``direct`` accepts
    any finite value), or for ``best`` values below ``-1/b`` (outside the range of ``f``).
    """
    spec, full = _lookup(name, kw)
    v = jnp.asarray(value)
    if not isinstance(v, jax.core.Tracer):
        a = np.asarray(v)
        if not np.all(np.isfinite(a)):
            raise ValueError("value contains NaN or inf")
        if name != "direct" and np.any(a >= 0):
            raise ValueError(f"value must be negative for reparameterization {name!r}; max = {a.max():.3g}")
        if name == "best" and np.any(a < -1.0 / full["b"]):
            raise ValueError(f"value must be >= -1/b = {-1.0 / full['b']:.3g} for 'best'; min = {a.min():.3g}")
    return spec.inverse(v, **full)


# ---------------------------------------------------------------------------------------------
# derivatives, discrete-time forms, gradient scale, stability function
# ---------------------------------------------------------------------------------------------
_DERIV = {
    "direct": lambda w: jnp.ones_like(w),
    "exp": lambda w: -jnp.exp(w),
    "softplus": lambda w: -jax.nn.sigmoid(w),
    "best": lambda w, a=1.0, b=0.5: 2.0 * a * w / (a * w**2 + b) ** 2,
}


def reparam_derivative(name: str, w, **kw):
    """``f'(w)`` in closed form (see the module table); jittable."""
    _, full = _lookup(name, kw)
    return _DERIV[name](jnp.asarray(w), **full)


def _dbest(w, a=1.0, b=0.5):
    return 1.0 - 1.0 / (a * w**2 + b)


_DISCRETE: dict[str, tuple[Callable, Callable, dict]] = {
    "vanilla": (lambda w: 1.0 - w, lambda w: -jnp.ones_like(w), {}),
    "lru": (lambda w: jnp.exp(-jnp.exp(w)), lambda w: -jnp.exp(w) * jnp.exp(-jnp.exp(w)), {}),
    "sigmoid": (jax.nn.sigmoid, lambda w: jax.nn.sigmoid(w) * (1.0 - jax.nn.sigmoid(w)), {}),
    "best": (_dbest, lambda w, a=1.0, b=0.5: 2.0 * a * w / (a * w**2 + b) ** 2, {"a": 1.0, "b": 0.5}),
}

#: Names of the discrete-time reparameterizations ``Lambda = f(w)``.
DISCRETE_REPARAMS: tuple[str, ...] = tuple(_DISCRETE)


def _dlookup(name: str, kw: dict):
    check_choice(name, "name", DISCRETE_REPARAMS)
    fwd, der, defaults = _DISCRETE[name]
    unknown = set(kw) - set(defaults)
    if unknown:
        raise ValueError(f"discrete reparameterization {name!r} takes keyword arguments {sorted(defaults)}, got {sorted(unknown)}")
    full = {**defaults, **kw}
    if name == "best":
        for k in ("a", "b"):
            if not (np.isfinite(full[k]) and full[k] > 0):
                raise ValueError(f"{k} must be positive and finite, got {full[k]!r}")
    return fwd, der, full


def discrete_reparam(name: str, w, **kw):
    """Discrete eigenvalue ``Lambda = f(w)`` (module table; ``best``: ``1 - 1/(a w^2 + b)``, range ``[1 - 1/b, 1)``)."""
    fwd, _, full = _dlookup(name, kw)
    return fwd(jnp.asarray(w), **full)


def discrete_reparam_derivative(name: str, w, **kw):
    """``f'(w)`` of the discrete reparameterization ``name`` in closed form."""
    _, der, full = _dlookup(name, kw)
    return der(jnp.asarray(w), **full)


def gradient_scale(name: str, w, discrete: bool = False, **kw):
    """Theorem 3.6's gradient scale: ``|f'(w)| / f(w)^2`` (continuous) or ``|f'(w)| / (1 - f(w))^2`` (discrete).

    ``best`` gives ``2 a |w|`` exactly in both cases.  ``direct`` gives ``1/w^2``, ``exp`` ``e^{-w}``.
    """
    if discrete:
        f = discrete_reparam(name, w, **kw)
        return jnp.abs(discrete_reparam_derivative(name, w, **kw)) / (1.0 - f) ** 2
    f = reparam(name, w, **kw)
    return jnp.abs(reparam_derivative(name, w, **kw)) / f**2


def stability_function(name: str, beta, w_range=(-30.0, 30.0), n_w: int = 6001, n_offsets: int = 201,
                       perturb_range=None, **kw) -> np.ndarray:
    """Numerical ``g_f(beta) = sup_w sup_{|w~ - w| <= beta} |f(w) / f(w~) - 1|`` (Definition 3.4, equivalent form).

    ``w`` runs over ``n_w`` points of ``w_range`` restricted to ``f(w) < 0`` (for ``direct`` pass an
    upper end ``-eps < 0``); ``w~ = w + delta`` over ``n_offsets`` offsets ``delta`` in ``[-beta, beta]``,
    the two endpoints included.  **Grid edges:** ``w~`` is evaluated analytically, so it may leave
    ``w_range`` (the supremum of ``softplus`` is approached as ``w -> -inf``, i.e. at the lower edge, and
    needs ``w - beta`` beyond it).  ``perturb_range=(lo, hi)`` instead restricts ``w~`` to an interval
    (used for ``direct``: with ``w~`` kept in ``[w_lo, -eps]`` the value is ``beta/eps``, unbounded as
    ``eps -> 0^-``).  A ``w~`` with ``f(w~) >= 0`` makes the integral of Definition 3.4 diverge and gives
    ``inf``.  Returns NumPy float64 of the shape of ``beta``.  Continuous-time maps only.
    """
    _lookup(name, kw)
    beta = np.asarray(beta, np.float64)
    if np.any(~np.isfinite(beta)) or np.any(beta < 0):
        raise ValueError("beta must be finite and non-negative")
    lo, hi = (float(v) for v in w_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"w_range must be a finite increasing pair, got {w_range!r}")
    full = reparam_kwargs(name, **kw)
    f = {  # NumPy float64 closed forms (independent of the jax x64 flag)
        "direct": lambda x: np.asarray(x, np.float64),
        "exp": lambda x: -np.exp(x),
        "softplus": lambda x: -np.logaddexp(0.0, x),
        "best": lambda x: -1.0 / (full["a"] * x**2 + full["b"]),
    }[name]
    w = np.linspace(lo, hi, n_w)
    fw = f(w)
    w, fw = w[fw < 0], fw[fw < 0]
    if w.size == 0:
        raise ValueError(f"w_range contains no w with f(w) < 0 for {name!r}")
    t = np.linspace(-1.0, 1.0, n_offsets)
    out = np.empty(beta.size)
    for j, bj in enumerate(beta.ravel()):
        wt = w[:, None] + bj * t[None, :]
        if perturb_range is not None:
            wt = np.clip(wt, perturb_range[0], perturb_range[1])
        ft = f(wt)
        with np.errstate(divide="ignore", invalid="ignore"):
            val = np.where(ft < 0, np.abs(fw[:, None] / ft - 1.0), np.inf)
        out[j] = val.max()
    return out.reshape(beta.shape)
