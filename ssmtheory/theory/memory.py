"""The curse of memory and stable reparameterization (StableSSM, Wang & Li, arXiv 2311.14495).

Linear-functional targets, the memory function, a trained **diagonal** linear SSM student, the
perturbation-error curve ``E_m(beta)`` and an optimization-stability (learning-rate) sweep.

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

**Perturbation** [C: authors' ``src/perturb.py`` at commit 57f8354]: for each ``beta`` and repeat, the
recurrent weights get the deterministic shift toward instability, ``w~ = w + beta sign(f'(w))`` (the
authors' ``w - beta`` for their decay rate ``phi(w) = -f(w)`` with ``phi`` increasing; ``sign(f')`` extends
it to ``best``, whose ``f`` is not monotone); every other tensor (``b``, ``c``) gets Gaussian noise rescaled
to ``||.||_inf = beta``.  ``E_m(beta)`` is the worst case over repeats, then the running maximum over
``beta`` (monotone, as in the authors' plots).
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ssmtheory import param as _param
from ssmtheory._validate import check_choice, check_int

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
    "train_students",
    "perturbation_curve",
    "stability_threshold",
    "stability_margin",
    "lr_sweep",
]


def rho_exponential(t):
    """``rho(t) = exp(-t)`` (exponentially decaying memory)."""
    return np.exp(-np.asarray(t, np.float64))


def rho_polynomial(t, c: float = 0.1, p: float = 1.1):
    """``rho(t) = (1 + c t)^{-p}``, default ``(1 + 0.1 t)^{-1.1}`` [C: authors' Figure-1 scripts]."""
    return (1.0 + c * np.asarray(t, np.float64)) ** (-p)


TARGETS = {"exp": rho_exponential, "pol": rho_polynomial}


def target_kernel(name: str, T: int = 100, dt: float = 1.0) -> np.ndarray:
    """``rho(k dt)`` for ``k = 0..T-1`` (NumPy float64) of target ``name`` in :data:`TARGETS`."""
    check_choice(name, "name", tuple(TARGETS))
    T = check_int(T, "T")
    return TARGETS[name](np.arange(T) * dt)


def _causal_conv(x, k):
    """``y_t = sum_{s<=t} k_s x_{t-s}`` along the last axis (NumPy, exact)."""
    T = x.shape[-1]
    idx = np.arange(T)
    toep = np.where(idx[:, None] >= idx[None, :], k[np.clip(idx[:, None] - idx[None, :], 0, T - 1)], 0.0)
    return x @ toep.T


def linear_functional_data(kernel, n: int, seed: int = 0, dt: float = 1.0):
    """``(x, y)`` of shape ``(n, T)``: ``x_k = dt N(0,1)``, ``y_t = sum_{s<=t} kernel_s x_{t-s}`` (float64)."""
    kernel = np.asarray(kernel, np.float64)
    if kernel.ndim != 1 or not np.all(np.isfinite(kernel)):
        raise ValueError("kernel must be a finite 1-D array")
    n = check_int(n, "n")
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
    weights = jnp.asarray(weights)
    Om = jnp.cumsum((weights**2)[::-1])[::-1]
    return dt**2 * jnp.sum(err**2 * Om, axis=-1) / weights.shape[-1]


def memory_function(kernel_or_fn, T: int = 100) -> np.ndarray:
    """``M(t) = |y_{t+1} - y_t|``, ``t = 0..T-2``, for the Heaviside input ``x = 1`` (authors' ``memoryfunction.py``).

    ``kernel_or_fn``: a 1-D kernel (linear functional) or a callable ``x (n, T) -> y (n, T)``.
    """
    x = np.ones((1, T))
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
    k = jnp.arange(T, dtype=jnp.result_type(w))
    f = _f(reparam, w, train)
    return jnp.einsum("...i,...ik->...k", c * b, jnp.exp(dt * f[..., None] * k))


def student_eigenvalues(reparam: str, w, dt: float = 1.0):
    """Discrete eigenvalues ``lambda_i = exp(dt f(w_i))`` (NumPy)."""
    return np.exp(dt * np.asarray(_param.reparam(reparam, jnp.asarray(w))))


def _init_student(key, m_max, m, reparam, rate_range, dtype):
    kr, kc = jax.random.split(key)
    lo, hi = np.log(rate_range[0]), np.log(rate_range[1])
    rates = jnp.exp(jax.random.uniform(kr, (m_max,), dtype, lo, hi))
    w = _param.inverse_reparam(reparam, -rates) if reparam != "direct" else -rates
    mask = (jnp.arange(m_max) < m).astype(dtype)
    c = jax.random.normal(kc, (m_max,), dtype) / jnp.sqrt(m) * mask
    b = jnp.ones((m_max,), dtype) * mask
    return {"w": jnp.asarray(w, dtype), "b": b, "c": c}, mask


@partial(jax.jit, static_argnames=("reparam", "steps", "dt"))
def _train_batch(reparam, params, mask, rho, weights, lr, steps, dt):
    """Adam on the population loss, vmapped over the leading batch axis (masked padded modes get zero gradient)."""
    T = rho.shape[-1]

    def loss(p, rho_i):
        K = student_kernel(reparam, p["w"], p["b"], p["c"], T, dt, train=True)
        return population_loss(rho_i - K, weights, dt)

    opt = optax.adam(lr)

    def one(p, mk, rho_i):
        s = opt.init(p)

        def body(carry, _):
            p, s, acc = carry
            l, g = jax.value_and_grad(loss)(p, rho_i)
            g = jax.tree_util.tree_map(lambda a: a * mk, g)
            ratio = jnp.abs(g["w"]) / jnp.maximum(jnp.abs(p["w"]), 1e-12) * mk
            u, s = opt.update(g, s, p)
            p = optax.apply_updates(p, u)
            return (p, s, acc + ratio / steps), l

        (p, s, acc), hist = jax.lax.scan(body, (p, s, jnp.zeros_like(p["w"])), None, length=steps)
        if reparam == "direct":
            p = {**p, "w": jnp.minimum(p["w"], 0.0)}
        return p, hist, acc, loss(p, rho_i)

    return jax.vmap(one)(params, mask, rho)


def train_students(reparam: str, rho, sizes, n_seeds: int = 1, steps: int = 1500, lr: float = 1e-2,
                   seed: int = 0, dt: float = 1.0, rate_range=(0.1, 1.0), weighted: bool = True) -> dict:
    """Train diagonal students for every (target, size, seed) with one compiled, vmapped Adam loop.

    ``rho (G, T)``: target kernels.  Sizes are padded to ``max(sizes)`` with masked modes (``b = c = 0`` and zero
    gradient, so they never move and never contribute).  Init: decay rates ``r_i`` log-uniform on
    ``rate_range``, ``w_i = f^{-1}(-r_i)`` (the same eigenvalues for every reparameterization at a given seed),
    ``b = 1``, ``c ~ N(0, 1/m)``.  Returns a dict of NumPy arrays with leading axis ``B = G * len(sizes) * n_seeds``
    (order target, size, seed): ``w, b, c, mask (B, m_max)``, ``target, size, seed (B,)``, ``loss_history (B, steps)``,
    ``final_loss (B,)`` and ``grad_ratio (B, m_max)`` — the training-averaged ``|dL/dw_i| / |w_i|``.
    """
    check_choice(reparam, "reparam", _param.REPARAMS)
    rho = np.atleast_2d(np.asarray(rho, np.float64))
    sizes = [check_int(m, "sizes") for m in sizes]
    n_seeds, steps = check_int(n_seeds, "n_seeds"), check_int(steps, "steps")
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
    p, hist, acc, final = _train_batch(reparam, params, mask, rho_b, jnp.asarray(time_weights(T, weighted), dtype),
                                       lr, steps, float(dt))
    out = {k: np.asarray(v) for k, v in p.items()}
    out.update(mask=np.asarray(mask), target=np.array([r[0] for r in rows]), size=np.array([r[1] for r in rows]),
               seed=np.array([r[2] for r in rows]), loss_history=np.asarray(hist), final_loss=np.asarray(final),
               grad_ratio=np.asarray(acc), reparam=reparam, dt=float(dt), weighted=bool(weighted))
    return out


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


def perturbation_curve(students: dict, rho, betas, n_repeats: int = 10, seed: int = 0) -> np.ndarray:
    """``E_m(beta)`` for every trained student: worst case over ``n_repeats`` perturbations, running max over ``beta``.

    ``students``: the dict of :func:`train_students`; ``rho (G, T)`` the same targets; ``betas`` increasing.
    Returns ``(B, len(betas))`` NumPy float64 (``beta = 0`` gives the unperturbed population loss; noise with
    ``beta = 0`` is exactly zero).  Values may be ``inf`` where the perturbed kernel overflows.
    """
    betas = np.asarray(betas, np.float64)
    if betas.ndim != 1 or np.any(np.diff(betas) < 0) or np.any(betas < 0):
        raise ValueError("betas must be a 1-D non-decreasing array of non-negative values")
    n_repeats = check_int(n_repeats, "n_repeats")
    rho = np.atleast_2d(np.asarray(rho, np.float64))
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
    betas = np.asarray(betas, np.float64)
    E = np.atleast_2d(np.asarray(E, np.float64))
    hit = E >= level
    first = np.argmax(hit, axis=-1)
    return np.where(hit.any(axis=-1), betas[first], np.inf)


def stability_margin(students: dict) -> np.ndarray:
    """``min_i (1 - |lambda_i|)`` over the active modes of each student: distance of the spectrum to the unit circle."""
    lam = student_eigenvalues(students["reparam"], students["w"], students["dt"])
    d = np.where(students["mask"] > 0, 1.0 - np.abs(lam), np.inf)
    return d.min(axis=-1)


# --------------------------------------------------------------------------- optimization stability


def _select_reparam(reparams, idx, w):
    """``f_{reparams[idx]}(w)`` for a traced ``idx``, NaN-safe under ``vmap``/``grad``: each unselected branch is
    evaluated at the harmless point ``w = -1`` (the double-``where`` trick), so its zero cotangent never meets an
    infinite derivative."""
    out = jnp.zeros_like(w)
    for i, r in enumerate(reparams):
        sel = idx == i
        out = jnp.where(sel, _param.reparam(r, jnp.where(sel, w, -jnp.ones_like(w))), out)
    return out


def lr_sweep(cfg, x, y, reparams, lrs, steps: int = 100, batch_size: int = 64, seeds=(0,),
             weight_decay: float = 0.01, data_seed: int = 0) -> dict:
    """Learning-rate sweep (optimization stability) of a deep SSM (:mod:`ssmtheory.models`) for several
    reparameterizations, compiled **once**.

    Every ``(reparam, seed, lr)`` run starts from ``models.init_params(PRNGKey(seed), replace(cfg, reparam=r))``
    (so the raw weight ``w`` is that reparameterization's) and is evaluated as the ``reparam="direct"`` model whose
    ``w`` input is ``f_r(w_raw)`` — the same function and the same gradient (chain rule) as the model with
    ``reparam=r``, but one compiled step serves all ``r``; it is vmapped over all runs (``lr`` is a traced scalar).
    AdamW(``lr``, ``weight_decay``) on cross-entropy with the same minibatch sequence for every run.  A run
    **diverges** at its first step with a non-finite loss, gradient or updated parameter (as
    :func:`ssmtheory.train.fit`); its parameters are then frozen.  Returns NumPy arrays with axes
    ``(reparam, seed, lr)``: ``diverged`` (bool), ``diverged_step`` (``-1`` if never), ``final_loss`` (mean of the
    last 10 finite steps), ``loss (..., steps)`` (NaN from divergence on), and ``max_stable_lr (reparam,)``: the
    largest ``lr`` at which no seed diverged (``0`` if none).
    """
    import dataclasses

    from ssmtheory import models as _models

    reparams = tuple(reparams)
    for r in reparams:
        check_choice(r, "reparams", _param.REPARAMS)
    lrs = np.asarray(lrs, np.float64)
    if lrs.ndim != 1 or np.any(~np.isfinite(lrs)) or np.any(lrs <= 0):
        raise ValueError("lrs must be a 1-D array of positive learning rates")
    steps, batch_size = check_int(steps, "steps"), check_int(batch_size, "batch_size")
    x, y = jnp.asarray(x), jnp.asarray(y)
    n = x.shape[0]
    if batch_size > n:
        raise ValueError(f"batch_size must be <= number of examples ({n})")
    rng = np.random.default_rng(data_seed)
    idx = jnp.asarray(np.stack([rng.choice(n, batch_size, replace=False) for _ in range(steps)]))
    R, S, NL = len(reparams), len(seeds), lrs.size
    base = dataclasses.replace(cfg, reparam="direct")
    runs = [(i, s, lr) for i, r in enumerate(reparams) for s in seeds for lr in lrs]
    p0 = {(i, s): _models.init_params(jax.random.PRNGKey(int(s)), dataclasses.replace(cfg, reparam=r))
          for i, r in enumerate(reparams) for s in seeds}
    params = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[p0[(i, s)] for i, s, _ in runs])
    ridx = jnp.asarray([i for i, _, _ in runs])
    lr_b = jnp.asarray([lr for _, _, lr in runs], cfg.dtype)

    def loss_fn(p, ri, xb, yb):
        q = {**p, "layers": [{**lp, "ssm": {**lp["ssm"], "w": _select_reparam(reparams, ri, lp["ssm"]["w"])}}
                             for lp in p["layers"]]}
        logits = _models.apply(q, xb, base)
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, yb))

    def finite(tree):
        return jnp.all(jnp.stack([jnp.all(jnp.isfinite(a)) for a in jax.tree_util.tree_leaves(tree)]))

    def run(p, ri, lr):
        opt = optax.adamw(lr, weight_decay=weight_decay)
        s = opt.init(p)

        def body(carry, bidx):
            p, s, dead = carry
            l, g = jax.value_and_grad(loss_fn)(p, ri, x[bidx], y[bidx])
            u, s2 = opt.update(g, s, p)
            p2 = optax.apply_updates(p, u)
            ok = jnp.isfinite(l) & finite(g) & finite(p2) & ~dead
            keep = lambda a, b_: jnp.where(ok, a, b_)
            p = jax.tree_util.tree_map(keep, p2, p)
            s = jax.tree_util.tree_map(keep, s2, s)
            return (p, s, dead | ~ok), jnp.where(ok, l, jnp.nan)

        _, hist = jax.lax.scan(body, (p, s, jnp.asarray(False)), idx)
        return hist

    hist = np.asarray(jax.jit(jax.vmap(run))(params, ridx, lr_b), np.float64).reshape(R, S, NL, steps)
    bad = ~np.isfinite(hist)
    diverged = bad.any(-1)
    dstep = np.where(diverged, np.argmax(bad, -1), -1)
    final = np.full((R, S, NL), np.nan)
    for a in np.ndindex(R, S, NL):
        h = hist[a][np.isfinite(hist[a])]
        if h.size:
            final[a] = h[-10:].mean()
    ok_all = ~diverged.any(axis=1)  # (R, NL): no seed diverged
    max_lr = np.array([lrs[ok].max() if ok.any() else 0.0 for ok in ok_all])
    return {"diverged": diverged, "diverged_step": dstep, "loss": hist, "final_loss": final, "lrs": lrs,
            "reparams": reparams, "max_stable_lr": max_lr}
