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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._validate import check_choice

__all__ = ["REPARAMS", "reparam", "inverse_reparam", "reparam_kwargs"]


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
