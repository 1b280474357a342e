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
Each map is one :class:`Reparam` record (map, derivative, inverse, NumPy form, defaults); a new
reparameterization is one new record, :func:`get` returns it.

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

from ssmtheory._validate import as_array, check_choice, check_int

__all__ = [
    "Reparam",
    "get",
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
class Reparam:
    """One reparameterization, whole: the map, its derivative, its inverse, a NumPy float64 form, defaults.

    ``forward(w, **kw)``, ``derivative(w, **kw)`` and ``inverse(v, **kw)`` are jnp (jittable, differentiable);
    ``numpy_forward`` is the same map in NumPy float64 (used where results must not depend on the JAX x64 flag);
    ``defaults`` are its keyword arguments (each must be positive and finite); ``time`` is ``"continuous"``
    (``f(w) = Re(lambda)``) or ``"discrete"`` (``f(w) = Lambda``).  ``inverse`` may be ``None`` (discrete maps).
    """

    name: str
    forward: Callable
    derivative: Callable
    numpy_forward: Callable
    inverse: Callable | None = None
    defaults: dict = field(default_factory=dict)
    description: str = ""
    time: str = "continuous"


def _best_fwd(w, a=1.0, b=0.5):
    return -1.0 / (a * w**2 + b)


def _best_der(w, a=1.0, b=0.5):
    return 2.0 * a * w / (a * w**2 + b) ** 2


def _best_inv(v, a=1.0, b=0.5):
    return jnp.sqrt((-1.0 / v - b) / a)


def _best_np(w, a=1.0, b=0.5):
    return -1.0 / (a * np.asarray(w, np.float64) ** 2 + b)


def _dbest(w, a=1.0, b=0.5):
    return 1.0 - 1.0 / (a * w**2 + b)


_BEST_KW = {"a": 1.0, "b": 0.5}

_TABLE: dict[str, Reparam] = {r.name: r for r in (
    Reparam("direct", lambda w: w, lambda w: jnp.ones_like(w), lambda w: np.asarray(w, np.float64), lambda v: v,
            description="f(w) = w (unconstrained, can be unstable)"),
    Reparam("exp", lambda w: -jnp.exp(w), lambda w: -jnp.exp(w), lambda w: -np.exp(w), lambda v: jnp.log(-v),
            description="f(w) = -exp(w)"),
    Reparam("softplus", lambda w: -jax.nn.softplus(w), lambda w: -jax.nn.sigmoid(w), lambda w: -np.logaddexp(0.0, w),
            lambda v: jnp.log(jnp.expm1(-v)), description="f(w) = -log(1 + exp(w))"),
    Reparam("best", _best_fwd, _best_der, _best_np, _best_inv, dict(_BEST_KW), "f(w) = -1 / (a w^2 + b)"),
)}

_DISCRETE: dict[str, Reparam] = {r.name: r for r in (
    Reparam("vanilla", lambda w: 1.0 - w, lambda w: -jnp.ones_like(w), lambda w: 1.0 - np.asarray(w, np.float64),
            description="Lambda = 1 - w (can be unstable)", time="discrete"),
    Reparam("lru", lambda w: jnp.exp(-jnp.exp(w)), lambda w: -jnp.exp(w) * jnp.exp(-jnp.exp(w)),
            lambda w: np.exp(-np.exp(w)), description="Lambda = exp(-exp(w)) (LRU)", time="discrete"),
    Reparam("sigmoid", jax.nn.sigmoid, lambda w: jax.nn.sigmoid(w) * (1.0 - jax.nn.sigmoid(w)),
            lambda w: 1.0 / (1.0 + np.exp(-np.asarray(w, np.float64))), description="Lambda = sigmoid(w)",
            time="discrete"),
    Reparam("best", _dbest, _best_der, lambda w, a=1.0, b=0.5: 1.0 + _best_np(w, a, b), None, dict(_BEST_KW),
            "Lambda = 1 - 1 / (a w^2 + b)", time="discrete"),
)}

#: Names of the available (continuous-time) reparameterizations.
REPARAMS: tuple[str, ...] = tuple(_TABLE)
#: Names of the discrete-time reparameterizations ``Lambda = f(w)``.
DISCRETE_REPARAMS: tuple[str, ...] = tuple(_DISCRETE)


def _resolve_record(table: dict, names: tuple, name: str, kw: dict) -> tuple[Reparam, dict]:
    check_choice(name, "name", names)
    spec = table[name]
    unknown = set(kw) - set(spec.defaults)
    if unknown:
        which = "discrete reparameterization" if spec.time == "discrete" else "reparameterization"
        raise ValueError(f"{which} {name!r} takes keyword arguments {sorted(spec.defaults)}, got {sorted(unknown)}")
    full = {**spec.defaults, **kw}
    for k, v in full.items():
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"{k} must be positive and finite, got {v!r}")
    return spec, full


def _lookup(name: str, kw: dict) -> tuple[Reparam, dict]:
    return _resolve_record(_TABLE, REPARAMS, name, kw)


def get(name: str, discrete: bool = False) -> Reparam:
    """The :class:`Reparam` record of ``name`` (continuous-time, or discrete-time with ``discrete=True``)."""
    return (_resolve_record(_DISCRETE, DISCRETE_REPARAMS, name, {}) if discrete else _lookup(name, {}))[0]


def reparam_kwargs(name: str, **kw) -> dict:
    """The full keyword arguments (defaults filled in) used by reparameterization ``name``."""
    return _lookup(name, kw)[1]


def reparam(name: str, w, **kw):
    """``f(w)``: real part of the eigenvalue for raw weight ``w`` (jnp, jittable, differentiable)."""
    as_array(w, "w", allow_complex=False)
    spec, full = _lookup(name, kw)
    return spec.forward(jnp.asarray(w), **full)


def inverse_reparam(name: str, value, **kw):
    """``w`` with ``f(w) = value`` for ``value < 0`` (``best``: the non-negative root).

    Raises ``ValueError`` naming ``value`` for concrete non-negative entries (``direct`` accepts
    any finite value), or for ``best`` values below ``-1/b`` (outside the range of ``f``).
    """
    as_array(value, "value", allow_complex=False)
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
def reparam_derivative(name: str, w, **kw):
    """``f'(w)`` in closed form (see the module table); jittable."""
    as_array(w, "w", allow_complex=False)
    spec, full = _lookup(name, kw)
    return spec.derivative(jnp.asarray(w), **full)


def _dlookup(name: str, kw: dict):
    spec, full = _resolve_record(_DISCRETE, DISCRETE_REPARAMS, name, kw)
    return spec.forward, spec.derivative, full


def discrete_reparam(name: str, w, **kw):
    """Discrete eigenvalue ``Lambda = f(w)`` (module table; ``best``: ``1 - 1/(a w^2 + b)``, range ``[1 - 1/b, 1)``)."""
    as_array(w, "w", allow_complex=False)
    fwd, _, full = _dlookup(name, kw)
    return fwd(jnp.asarray(w), **full)


def discrete_reparam_derivative(name: str, w, **kw):
    """``f'(w)`` of the discrete reparameterization ``name`` in closed form."""
    as_array(w, "w", allow_complex=False)
    _, der, full = _dlookup(name, kw)
    return der(jnp.asarray(w), **full)


def gradient_scale(name: str, w, discrete: bool = False, **kw):
    """Theorem 3.6's gradient scale: ``|f'(w)| / f(w)^2`` (continuous) or ``|f'(w)| / (1 - f(w))^2`` (discrete).

    ``best`` gives ``2 a |w|`` exactly in both cases.  ``direct`` gives ``1/w^2``, ``exp`` ``e^{-w}``.
    """
    as_array(w, "w", allow_complex=False)
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
    as_array(beta, "beta", allow_complex=False)
    check_int(n_w, "n_w", minimum=2)
    check_int(n_offsets, "n_offsets", minimum=2)
    beta = np.asarray(beta, np.float64)
    if np.any(~np.isfinite(beta)) or np.any(beta < 0):
        raise ValueError("beta must be finite and non-negative")
    lo, hi = (float(v) for v in w_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"w_range must be a finite increasing pair, got {w_range!r}")
    spec, full = _lookup(name, kw)

    def f(x):  # NumPy float64 closed form (independent of the jax x64 flag)
        return spec.numpy_forward(x, **full)
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
