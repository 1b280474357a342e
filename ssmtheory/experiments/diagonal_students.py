"""Diagonal linear SSM students of the curse-of-memory study (StableSSM, Wang & Li, arXiv 2311.14495): training on
the exact population loss and the perturbation-error curve ``E_m(beta)``.  Paper note: ``docs/papers/stablessm-2023.md``.

The student, its kernel and the loss are formulas in :mod:`ssmtheory.theory.memory`; this module trains and perturbs.

**Perturbation** [C: authors' ``src/perturb.py`` at commit 57f8354]: for each ``beta`` and repeat, the
recurrent weights get the deterministic shift toward instability, ``w~ = w + beta sign(f'(w))`` (the
authors' ``w - beta`` for their decay rate ``phi(w) = -f(w)`` with ``phi`` increasing; ``sign(f')`` extends
it to ``best``, whose ``f`` is not monotone); every other tensor (``b``, ``c``) gets Gaussian noise rescaled
to ``||.||_inf = beta``.  ``E_m(beta)`` is the worst case over repeats, then the running maximum over
``beta`` (monotone, as in the authors' plots).
"""

from __future__ import annotations

from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ssmtheory import param as _param
from ssmtheory.train import fit_population
from ssmtheory._validate import as_array, check_choice, check_int, check_positive
from ssmtheory.theory.memory import population_loss, student_eigenvalues, student_kernel, time_weights

__all__ = ["train_students", "perturbation_curve", "stability_threshold", "stability_margin"]


def _init_student(key, m_max, m, reparam, rate_range, dtype):
    kr, kc = jax.random.split(key)
    lo, hi = np.log(rate_range[0]), np.log(rate_range[1])
    rates = jnp.exp(jax.random.uniform(kr, (m_max,), dtype, lo, hi))
    w = _param.inverse_reparam(reparam, -rates) if reparam != "direct" else -rates
    mask = (jnp.arange(m_max) < m).astype(dtype)
    c = jax.random.normal(kc, (m_max,), dtype) / jnp.sqrt(m) * mask
    b = jnp.ones((m_max,), dtype) * mask
    return {"w": jnp.asarray(w, dtype), "b": b, "c": c}, mask


def _select_f(idx, w, train):
    """``f_{REPARAMS[idx]}(w)`` for a traced ``idx`` (``direct`` in training: ``min(w, 0)``), NaN-safe under
    ``vmap``/``grad``: each unselected branch is evaluated at the harmless point ``w = -1`` (double ``where``)."""
    out = jnp.zeros_like(w)
    for i, r in enumerate(_param.REPARAMS):
        sel = idx == i
        ws = jnp.where(sel, w, -jnp.ones_like(w))
        f = jnp.minimum(ws, 0.0) if (r == "direct" and train) else _param.reparam(r, ws)
        out = jnp.where(sel, f, out)
    return out


def _student_loss(p, aux):
    """Population loss of one student (the engine's ``loss_fn(params, aux)``); ``aux``: ``ridx`` (reparameterization
    index, traced: every reparameterization shares one compiled program), ``mask``, ``rho``, ``weights``, ``dt``.
    Padded modes have ``b = c = 0`` and the mask, so their gradient is exactly zero and Adam never moves them."""
    f = _select_f(aux["ridx"], p["w"], True)
    k = jnp.arange(aux["rho"].shape[-1], dtype=aux["rho"].dtype)
    K = jnp.einsum("i,ik->k", p["c"] * p["b"] * aux["mask"], jnp.exp(aux["dt"] * f[:, None] * k))
    return population_loss(aux["rho"] - K, aux["weights"], aux["dt"])


def _w_ratio_tracker() -> optax.GradientTransformation:
    """Identity on the gradient; its state sums ``|dL/dw_i| / max(|w_i|, 1e-12)`` over the applied steps."""
    def init(p):
        return jnp.zeros_like(p["w"])

    def update(g, s, p=None):
        return g, s + jnp.abs(g["w"]) / jnp.maximum(jnp.abs(p["w"]), 1e-12)

    return optax.GradientTransformation(init, update)


@lru_cache(maxsize=32)
def _optimizer(lr: float) -> optax.GradientTransformation:
    """Adam with the gradient-ratio tracker in front; cached, so the engine sees the same object (no re-trace)."""
    return optax.chain(_w_ratio_tracker(), optax.adam(lr))


@jax.jit
def _finish(p, aux):
    """Project ``direct`` students onto ``w <= 0`` and evaluate their final population loss (vmapped)."""
    def one(p, a):
        p = {**p, "w": jnp.where(a["ridx"] == 0, jnp.minimum(p["w"], 0.0), p["w"])}
        return p, _student_loss(p, a)

    return jax.vmap(one)(p, aux)


def train_students(reparam: str, rho, sizes, n_seeds: int = 1, steps: int = 1500, lr: float = 1e-2, *,
                   seed: int, dt: float = 1.0, rate_range=(0.1, 1.0), weighted: bool = True) -> dict:
    """Train diagonal students for every (target, size, seed) as one population of the engine
    (:func:`ssmtheory.train.fit_population`, Adam, full batch on the exact population loss).

    ``rho (G, T)``: target kernels.  Sizes are padded to ``max(sizes)`` with masked modes (``b = c = 0`` and zero
    gradient, so they never move and never contribute).  Init: decay rates ``r_i`` log-uniform on
    ``rate_range``, ``w_i = f^{-1}(-r_i)`` (the same eigenvalues for every reparameterization at a given seed),
    ``b = 1``, ``c ~ N(0, 1/m)``.  Returns a dict of NumPy arrays with leading axis ``B = G * len(sizes) * n_seeds``
    (order target, size, seed): ``w, b, c, mask (B, m_max)``, ``target, size, seed (B,)``, ``loss_history (B, steps)``,
    ``final_loss (B,)`` and ``grad_ratio (B, m_max)`` — the training-averaged ``|dL/dw_i| / |w_i|``.
    """
    check_choice(reparam, "reparam", _param.REPARAMS)
    rho = np.atleast_2d(np.asarray(as_array(rho, "rho", ndim=(1, 2), allow_complex=False), np.float64))
    if isinstance(sizes, (int, np.integer)) or len(sizes) == 0:
        raise ValueError("sizes must be a non-empty sequence of positive ints")
    sizes = [check_int(m, "sizes") for m in sizes]
    n_seeds, steps = check_int(n_seeds, "n_seeds"), check_int(steps, "steps")
    seed = check_int(seed, "seed", minimum=0)
    check_positive(lr, "lr")
    check_positive(dt, "dt")
    rr = as_array(rate_range, "rate_range", ndim=1, allow_complex=False)
    if rr.size != 2 or not 0 < rr[0] <= rr[1]:
        raise ValueError(f"rate_range must be (lo, hi) with 0 < lo <= hi, got {rate_range}")
    G, T = rho.shape
    m_max = max(sizes)
    dtype = jnp.result_type(float)
    rows = [(g, m, s) for g in range(G) for m in sizes for s in range(n_seeds)]
    ps, masks = [], []
    for g, m, s in rows:
        # the init depends on (seed, size, replicate) only, not on the target or the reparameterization
        key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed), m), s)
        p, mk = _init_student(key, m_max, m, reparam, rate_range, dtype)
        ps.append(p)
        masks.append(mk)
    params = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *ps)
    mask = jnp.stack(masks)
    rho_b = jnp.asarray(rho[[r[0] for r in rows]], dtype)
    B = len(rows)
    aux = {"ridx": jnp.full((B,), _param.REPARAMS.index(reparam)), "mask": mask, "rho": rho_b,
           "weights": jnp.broadcast_to(jnp.asarray(time_weights(T, weighted), dtype), (B, T)),
           "dt": jnp.full((B,), dt, dtype)}
    res = fit_population(_student_loss, params, steps=steps, opt=_optimizer(float(lr)), aux=aux)
    acc = res.opt_state[0] / steps  # the tracker's sum over the steps (training-averaged ratio)
    p, final = _finish(res.params, aux)
    hist = res.losses.T
    out = {k: np.asarray(v) for k, v in p.items()}
    out.update(mask=np.asarray(mask), target=np.array([r[0] for r in rows]), size=np.array([r[1] for r in rows]),
               seed=np.array([r[2] for r in rows]), loss_history=np.asarray(hist), final_loss=np.asarray(final),
               grad_ratio=np.asarray(acc), reparam=reparam, dt=float(dt), weighted=bool(weighted), T=T)
    return out


_KEYS = ("w", "b", "c", "mask", "target", "reparam", "dt", "weighted")


def _check_students(students):
    if not isinstance(students, dict) or any(k not in students for k in _KEYS):
        raise ValueError(f"students must be the dict returned by train_students (keys {_KEYS})")


def _inf_noise(key, shape, mask, beta):
    z = jax.random.normal(key, shape) * mask
    return beta * z / jnp.max(jnp.abs(z), axis=-1, keepdims=True)


@partial(jax.jit, static_argnames=("reparam", "n_repeats", "dt"))
def _perturbed_losses(reparam, w, b, c, mask, rho, weights, betas, key, n_repeats, dt):
    T = rho.shape[-1]
    direction = jnp.sign(_param.reparam_derivative(reparam, w)) * mask  # toward larger Re(lambda)

    def one_model(w, b, c, mk, rho_i, direction, key):
        def one(beta, key):
            kb, kc = jax.random.split(key)
            wt = w + beta * direction
            bt = b + _inf_noise(kb, b.shape, mk, beta)
            ct = c + _inf_noise(kc, c.shape, mk, beta)
            K = student_kernel(reparam, wt, bt * mk, ct * mk, T, dt)
            return population_loss(rho_i - K, weights, dt)

        keys = jax.random.split(key, betas.size * n_repeats).reshape(betas.size, n_repeats, -1)
        return jax.vmap(lambda bt, ks: jax.vmap(lambda k: one(bt, k))(ks))(betas, keys)

    keys = jax.random.split(key, w.shape[0])
    return jax.vmap(one_model)(w, b, c, mask, rho, direction, keys)


def perturbation_curve(students: dict, rho, betas, n_repeats: int = 10, *, seed: int) -> np.ndarray:
    """``E_m(beta)`` for every trained student: worst case over ``n_repeats`` perturbations, running max over ``beta``.

    ``students``: the dict of :func:`train_students`; ``rho (G, T)`` the same targets; ``betas`` increasing.
    Returns ``(B, len(betas))`` NumPy float64 (``beta = 0`` gives the unperturbed population loss; noise with
    ``beta = 0`` is exactly zero).  Values may be ``inf`` where the perturbed kernel overflows.
    """
    betas = np.asarray(as_array(betas, "betas", ndim=1, allow_complex=False), np.float64)
    if np.any(np.diff(betas) < 0) or np.any(betas < 0):
        raise ValueError("betas must be a 1-D non-decreasing array of non-negative values")
    n_repeats = check_int(n_repeats, "n_repeats")
    seed = check_int(seed, "seed", minimum=0)
    _check_students(students)
    rho = np.atleast_2d(np.asarray(as_array(rho, "rho", ndim=(1, 2), allow_complex=False), np.float64))
    if rho.shape[-1] != students.get("T", rho.shape[-1]):
        raise ValueError(f"rho must have the students' horizon T = {students['T']}, got {rho.shape[-1]}")
    if rho.shape[0] <= int(np.max(students["target"])):
        raise ValueError(f"rho must hold every target the students were trained on ({int(np.max(students['target'])) + 1})")
    dtype = jnp.result_type(float)
    st = students
    T = rho.shape[-1]
    L = _perturbed_losses(st["reparam"], jnp.asarray(st["w"], dtype), jnp.asarray(st["b"], dtype),
                          jnp.asarray(st["c"], dtype), jnp.asarray(st["mask"], dtype),
                          jnp.asarray(rho[st["target"]], dtype), jnp.asarray(time_weights(T, st["weighted"]), dtype),
                          jnp.asarray(betas, dtype), jax.random.PRNGKey(seed), n_repeats, st["dt"])
    L = np.asarray(L, np.float64)
    L = np.where(np.isnan(L), np.inf, L)  # inf - inf in an overflowed kernel counts as blow-up
    return np.maximum.accumulate(L.max(axis=-1), axis=-1)


def stability_threshold(betas, E, level: float) -> np.ndarray:
    """``beta*``: the first ``beta`` with ``E(beta) >= level`` (absolute level); ``inf`` where never reached."""
    betas = np.asarray(as_array(betas, "betas", ndim=1, allow_complex=False), np.float64)
    if E is None or np.asarray(E).dtype.kind not in "biuf":
        raise ValueError("E must be a real numeric array")
    E = np.asarray(E, np.float64)
    if E.ndim not in (1, 2) or E.shape[-1] != betas.size or np.any(np.isnan(E)):
        raise ValueError(f"E must be (..., {betas.size}) without NaN, got shape {E.shape}")
    E = np.atleast_2d(E)
    check_positive(level, "level")
    hit = E >= level
    first = np.argmax(hit, axis=-1)
    return np.where(hit.any(axis=-1), betas[first], np.inf)


def stability_margin(students: dict) -> np.ndarray:
    """``min_i (1 - |lambda_i|)`` over the active modes of each student: distance of the spectrum to the unit circle."""
    _check_students(students)
    lam = student_eigenvalues(students["reparam"], students["w"], students["dt"])
    d = np.where(students["mask"] > 0, 1.0 - np.abs(lam), np.inf)
    return d.min(axis=-1)
