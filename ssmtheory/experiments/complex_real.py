"""Notebook 04's gradient-descent and Monte Carlo experiments (Ran-Milo et al., NeurIPS 2024; docs/papers/complex-ssm-2024.md).

The formulas (impulse responses, targets, the T2 bound, the DFT construction, LP / minimax fits, the tables' metric)
live in :mod:`ssmtheory.theory.expressivity`; this module holds what *trains* or *samples*:

* :func:`init_ssm_params`, :func:`ssm_impulse_from_params`, :func:`train_ssm` -- the authors' Tables 1-2 set-up
  (``train_theory.py``: ``VanillaSSM`` parameterization, summed squared loss, Adam / AdamW / RAdam with a cosine
  decay) [verified against the authors' code];
* :func:`t2_margin_monte_carlo` -- a Monte Carlo check of T2 (our reconstruction) inside and outside its class;
* :func:`s4d_real_vs_complex` -- the authors' real-world comparison (S4D real vs S4D complex LegS) at CPU scale.

Speed (issue 21): every trainer is one module-level ``jax.jit`` with hashable static arguments (ints, strings,
frozen configs), vmapped over runs; :func:`train_ssm` serves the three optimizers with one compiled function (the
optimizer is a traced index), and :func:`s4d_real_vs_complex` trains all seeds of an arm in one vmapped scan.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ssmtheory._validate import as_array, check_choice, check_int, check_size
from ssmtheory.theory.expressivity import forward_difference_bound, linf_normalized, vandermonde

__all__ = [
    "OPTIMIZERS",
    "init_ssm_params",
    "ssm_impulse_from_params",
    "train_ssm",
    "t2_margin_monte_carlo",
    "s4d_real_vs_complex",
]

OPTIMIZERS = ("adam", "adamw", "radam")


def _check_unit_interval(x, name, lo=0.0, hi=1.0):
    x = float(x)
    if not (np.isfinite(x) and lo <= x <= hi):
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got {x}")
    return x


def _check_pos(x, name):
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive number, got {x!r}")
    x = float(x)
    if not (np.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be positive and finite, got {x}")
    return x


# ----------------------------------------------------------------------------------------------
# Tables 1-2: the authors' parameterization, closed-form impulse response
# ----------------------------------------------------------------------------------------------
def init_ssm_params(key, n: int, kind: str, r_min: float = 0.0, r_max: float = 0.9999, scale: float = 1e-3,
                    dtype=jnp.float32):
    """The authors' initialization (``VanillaSSM``), as a dict of real arrays.

    ``|a|^2 ~ U[r_min^2, r_max^2]`` stored as ``nu = log(-log|a|)`` (so ``|a| = exp(-exp(nu))``); real: a fixed sign
    ``s = +-1`` with probability 1/2 each (not trained); complex: angle ``theta ~ U[0, 2 pi)``.  ``b, c ~ N(0, scale^2)``
    (complex: modulus ``|N(0, scale^2)|`` times a uniform phase).  Returns ``(params, sign)`` (``sign`` is None for
    complex); all arrays of ``dtype``.  Traceable in ``key`` and ``r_min`` (validated only when concrete).
    """
    check_choice(kind, "kind", ("real", "complex"))
    n = check_int(n, "n")
    check_size(48 * n, "n", "state parameters")
    if not isinstance(r_min, jax.core.Tracer):
        r_min = _check_unit_interval(r_min, "r_min")
    r_max = _check_unit_interval(r_max, "r_max")
    scale = _check_pos(scale, "scale")
    ks = jax.random.split(key, 6)
    u = jax.random.uniform(ks[0], (n,), dtype, minval=r_min**2, maxval=r_max**2)
    nu = jnp.log(-0.5 * jnp.log(u))
    if kind == "real":
        sign = jnp.where(jax.random.bernoulli(ks[1], 0.5, (n,)), 1.0, -1.0)
        sign = sign.astype(dtype)
        return dict(nu=nu, b=scale * jax.random.normal(ks[2], (n,), dtype),
                    c=scale * jax.random.normal(ks[3], (n,), dtype)), sign
    theta = jax.random.uniform(ks[1], (n,), dtype, maxval=2 * jnp.pi)

    def cplx(k):
        k1, k2 = jax.random.split(k)
        mag = jnp.abs(scale * jax.random.normal(k1, (n,), dtype))
        ph = jax.random.uniform(k2, (n,), dtype, maxval=2 * jnp.pi)
        return mag * jnp.cos(ph), mag * jnp.sin(ph)

    br, bi = cplx(ks[2])
    cr, ci = cplx(ks[3])
    return dict(nu=nu, theta=theta, br=br, bi=bi, cr=cr, ci=ci), None


def ssm_impulse_from_params(params, sign, t: int):
    """Closed-form impulse response ``phi(tau)``, ``tau < t``, of :func:`init_ssm_params`'s parameterization.

    real: ``sum_i c_i b_i s_i^tau exp(-tau e^nu_i)``; complex: ``2 Re sum_i c_i b_i exp(tau(-e^nu_i + i theta_i))``.
    """
    if not isinstance(params, dict) or "nu" not in params:
        raise ValueError("params must be a dict from init_ssm_params (with 'nu')")
    t = check_int(t, "t")
    if "theta" not in params and sign is None:
        raise ValueError("sign must be given for a real SSM (the sign returned by init_ssm_params)")
    tau = jnp.arange(t, dtype=params["nu"].dtype)[:, None]
    mag = jnp.exp(-tau * jnp.exp(params["nu"])[None, :])  # (t, n)
    if "theta" not in params:
        par = jnp.where(jnp.mod(jnp.arange(t), 2)[:, None] == 1, sign[None, :], 1.0)
        return (par * mag) @ (params["b"] * params["c"])
    zr = params["cr"] * params["br"] - params["ci"] * params["bi"]
    zi = params["cr"] * params["bi"] + params["ci"] * params["br"]
    ang = tau * params["theta"][None, :]
    return 2.0 * ((mag * jnp.cos(ang)) @ zr - (mag * jnp.sin(ang)) @ zi)


def _optimizers(lr, steps):
    """The authors' ``torch.optim`` choices with PyTorch defaults, under ``CosineAnnealingLR(T_max=steps)``, in
    :data:`OPTIMIZERS` order: Adam, AdamW (weight decay 0.01) and RAdam."""
    sched = optax.cosine_decay_schedule(1.0, steps)

    def lr_t(i):
        return lr * sched(i)

    return (optax.adam(lr_t), optax.adamw(lr_t, weight_decay=0.01), optax.radam(lr_t))


@partial(jax.jit, static_argnames=("n", "kind", "steps", "record_every"))
def _train_batch(keys, phis, lrs, r_mins, opt_idx, n, kind, steps, record_every):
    t = phis.shape[-1]

    def one(key, phi, lr, r_min, oi):
        params, sign = init_ssm_params(key, n, kind, r_min=r_min, dtype=phi.dtype)
        sign = jnp.ones(n, phi.dtype) if sign is None else sign
        opts = _optimizers(lr, steps)
        states = tuple(o.init(params) for o in opts)

        def loss_fn(p):
            out = ssm_impulse_from_params(p, sign, t)
            return jnp.sum((out - phi) ** 2), linf_normalized(out, phi)

        def step(carry, _):
            p, s, best, best_inf = carry
            (loss, linf), g = jax.value_and_grad(loss_fn, has_aux=True)(p)
            outs = [o.update(g, si, p) for o, si in zip(opts, s)]  # all three (elementwise, cheap); oi picks one
            upd = jax.tree_util.tree_map(lambda *u: jnp.stack(u)[oi], *[o[0] for o in outs])
            p = optax.apply_updates(p, upd)
            best, best_inf = jnp.minimum(best, loss), jnp.minimum(best_inf, linf)
            return (p, tuple(o[1] for o in outs), best, best_inf), best

        inf = jnp.asarray(jnp.inf, phi.dtype)
        (p, _, best, best_inf), hist = jax.lax.scan(step, (params, states, inf, inf), None, length=steps)
        final, final_inf = loss_fn(p)
        best, best_inf = jnp.minimum(best, final), jnp.minimum(best_inf, final_inf)
        hist = hist.reshape(-1, record_every)[:, -1]
        bc = jnp.sum(jnp.abs(p["b"] * p["c"])) if kind == "real" else 2.0 * jnp.sum(
            jnp.hypot(p["br"], p["bi"]) * jnp.hypot(p["cr"], p["ci"]))
        return best, hist, best_inf, bc

    return jax.vmap(one)(keys, phis, lrs, r_mins, opt_idx)


def train_ssm(phis, n: int, kind: str, steps: int, lrs, seeds, r_mins=0.0, record_every: int = 10,
              optimizer="adam") -> dict:
    """Fit real or complex diagonal SSMs of dimension ``n`` to target impulse responses by full-batch gradient descent.

    The authors' set-up (``train_theory.py``): :func:`init_ssm_params`, closed-form impulse response, loss
    ``sum_tau (phi(tau) - phi*(tau))^2`` (with a unit-l2 target the zero map scores 1: a *normalized* loss),
    ``optimizer`` in :data:`OPTIMIZERS` (``torch.optim`` defaults; one name, or one per run) with a cosine-decayed
    learning rate, running minima reported.  ``phis (R, t)``, ``lrs (R,)``, ``seeds (R,)`` and ``r_mins`` (scalar or
    ``(R,)``) describe ``R`` independent runs, vmapped into one jitted ``lax.scan`` over ``steps`` (a multiple of
    ``record_every``); one compilation per ``(n, kind, t, R, steps)`` serves all three optimizers.  Returns NumPy
    arrays ``best (R,)`` (minimum loss over the run), ``linf (R,)`` (minimum over the run of
    :func:`ssmtheory.theory.expressivity.linf_normalized`, the Tables 1-2 metric), ``bc (R,)`` (final
    ``sum_i |b_i c_i|``; complex: ``2 sum |b_i||c_i|``) and ``history (R, steps // record_every)`` (running minimum
    of the loss every ``record_every`` steps).
    """
    check_choice(kind, "kind", ("real", "complex"))
    n = check_int(n, "n")
    steps = check_int(steps, "steps", 1)
    record_every = check_int(record_every, "record_every")
    if steps % record_every:
        raise ValueError(f"steps must be a multiple of record_every={record_every}, got {steps}")
    phis = as_array(phis, "phis", (1, 2), allow_complex=False)
    phis = jnp.atleast_2d(jnp.asarray(phis))
    R = phis.shape[0]
    dt = phis.dtype if jnp.issubdtype(phis.dtype, jnp.floating) else jnp.float32
    phis = phis.astype(dt)
    lrs = as_array(lrs, "lrs", (0, 1), allow_complex=False)
    if np.any(np.asarray(lrs) <= 0):
        raise ValueError(f"lrs must be positive, got {np.asarray(lrs).tolist()}")
    r_mins = as_array(r_mins, "r_mins", (0, 1), allow_complex=False)
    if np.any(np.asarray(r_mins) < 0) or np.any(np.asarray(r_mins) >= 1):
        raise ValueError(f"r_mins must lie in [0, 1), got {np.asarray(r_mins).tolist()}")
    seeds = as_array(seeds, "seeds", (0, 1), allow_complex=False)
    if np.any(np.asarray(seeds) < 0) or np.any(np.asarray(seeds) != np.round(np.asarray(seeds))):
        raise ValueError(f"seeds must be non-negative integers, got {np.asarray(seeds).tolist()}")
    opt_names = [optimizer] * R if isinstance(optimizer, str) else list(optimizer)
    if len(opt_names) != R:
        raise ValueError(f"optimizer must be one name or one per run (R={R}), got {len(opt_names)}")
    for o in opt_names:
        check_choice(o, "optimizer", OPTIMIZERS)
    for v, name in ((lrs, "lrs"), (r_mins, "r_mins"), (seeds, "seeds")):
        if np.ndim(v) == 1 and np.shape(v)[0] != R:
            raise ValueError(f"{name} must be a scalar or have length R={R} (the rows of phis), got {np.shape(v)[0]}")
    lrs = jnp.broadcast_to(jnp.asarray(lrs, dt), (R,))
    r_mins = jnp.broadcast_to(jnp.asarray(r_mins, dt), (R,))
    seeds = np.broadcast_to(np.asarray(seeds, np.int64), (R,))
    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds))
    opt_idx = jnp.asarray([OPTIMIZERS.index(o) for o in opt_names], jnp.int32)
    best, hist, best_inf, bc = _train_batch(keys, phis, lrs, r_mins, opt_idx, n, kind, steps, record_every)
    return dict(best=np.asarray(best), history=np.asarray(hist), linf=np.asarray(best_inf), bc=np.asarray(bc),
                steps=np.arange(record_every, steps + 1, record_every))


# ----------------------------------------------------------------------------------------------
# Monte Carlo check of T2
# ----------------------------------------------------------------------------------------------
def t2_margin_monte_carlo(n_draws: int, seed: int = 0, poles: str = "real") -> np.ndarray:
    """Monte Carlo check of T2: ``1 - forward_difference_bound(phi*, eps) / sum_i |b_i c_i|`` for random SSMs.

    Each draw: ``t ~ U{4..20}``, ``n ~ U{1..8}`` modes with coefficients ``w = b c`` of random sign and log-uniform
    size in ``[0.1, 1e4]``; ``phi = sum_i w_i a_i^tau`` (real) or ``2 Re sum_i w_i a_i^tau`` (complex, with
    ``sum |b c|`` counted as ``2 sum |w_i|``); a perturbed target ``phi* = phi + delta`` with
    ``eps = ||delta||_inf`` up to 10% of ``max|phi|``.  ``poles="real"``: ``a_i ~ U[-1, 1]`` (T2's class: the margin
    must be ``>= 0``, up to round-off); ``poles="complex"``: ``a_i = r e^{i theta}``, ``r ~ U[0.9, 1]``,
    ``theta ~ U[0, 2 pi)`` (outside the class: ``|a_i^2 - 1|`` reaches 2, so the bound can exceed ``sum |b c|``).
    Returns the ``n_draws`` margins.
    """
    check_choice(poles, "poles", ("real", "complex"))
    n_draws = check_int(n_draws, "n_draws")
    seed = check_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    out = np.empty(n_draws)
    for d in range(n_draws):
        t, n = int(rng.integers(4, 21)), int(rng.integers(1, 9))
        w = rng.choice([-1.0, 1.0], n) * 10 ** rng.uniform(-1, 4, n)
        if poles == "real":
            a = rng.uniform(-1, 1, n)
            phi, size = vandermonde(a, t) @ w, np.abs(w).sum()
        else:
            a = rng.uniform(0.9, 1.0, n) * np.exp(1j * rng.uniform(0, 2 * np.pi, n))
            phi = 2.0 * np.real((a[None, :] ** np.arange(t)[:, None]) @ w)
            size = 2.0 * np.abs(w).sum()
        delta = rng.uniform(-1, 1, t) * 10 ** rng.uniform(-6, -1) * np.abs(phi).max()
        out[d] = 1.0 - forward_difference_bound(phi + delta, np.abs(delta).max()) / size
    return out


# ----------------------------------------------------------------------------------------------
# the real-world experiment: S4D real vs S4D complex (LegS), scaled to a bundled data set
# ----------------------------------------------------------------------------------------------
@partial(jax.jit, static_argnames=("cfg", "steps", "batch_size", "lr", "weight_decay"))
def _fit_s4d(params, seeds, x, y, x_test, cfg, steps, batch_size, lr, weight_decay):
    from ssmtheory import models, train

    n = x.shape[0]
    nb = n // batch_size
    opt = optax.adamw(optax.cosine_decay_schedule(lr, steps), weight_decay=weight_decay)

    def one(p, seed):
        key = jax.random.PRNGKey(seed)

        def step(carry, i):
            p, s = carry
            perm = jax.random.permutation(jax.random.fold_in(key, i // nb), n)
            idx = jax.lax.dynamic_slice(perm, ((i % nb) * batch_size,), (batch_size,))
            loss, g = jax.value_and_grad(lambda q: train.cross_entropy(models.apply(q, x[idx], cfg), y[idx]))(p)
            upd, s = opt.update(g, s, p)
            return (optax.apply_updates(p, upd), s), loss

        (p, _), losses = jax.lax.scan(step, (p, opt.init(p)), jnp.arange(steps))
        return jnp.argmax(models.apply(p, x_test, cfg), -1), losses

    return jax.vmap(one)(params, seeds)


def s4d_real_vs_complex(split, seeds, *, d_model: int = 16, n_layers: int = 2, n_complex: int = 8, steps: int = 300,
                        batch_size: int = 50, lr: float = 1e-2, weight_decay: float = 0.05,
                        shuffle_seed: int = 12345) -> dict:
    """The authors' real-world comparison (``configs/real_world/s4d-{real,complex}-cifar.yaml``) at CPU scale.

    Two S4D stacks (:mod:`ssmtheory.models`) that differ only in the initialization and realness of the state
    matrix, as in the authors' configs:

    * ``"real"``: ``init="real"`` (``A = diag(-1, -2, ...)``), ``complex_states=False``, ``2 * n_complex`` real states
      (the s4 code doubles ``d_state`` for ``is_real``, so the real state dimension is the same);
    * ``"complex"``: ``init="legs"`` (S4D-LegS), ``n_complex`` complex states (conjugate pairs).

    Both use the same seed for every other initial parameter and for the batch order (a fresh permutation of the
    training set per epoch); AdamW (lr ``lr``, weight decay ``weight_decay``, the configs' 0.01 / 0.05) with a cosine
    decay, cross-entropy.  All seeds of an arm train in one vmapped, jitted scan (one compilation per arm).
    ``split`` is a :class:`ssmtheory.tasks.Split`.  Returns ``{"real": acc (S,), "complex": acc (S,), "shuffled":
    {...}, "seeds", "loss": {arm: (S, steps)}}``: the test accuracies per seed, and the same trained models scored
    against a permutation (seeded by ``shuffle_seed``) of the test labels (the control: no model can beat the other
    on labels it cannot predict).
    """
    from ssmtheory import models

    for attr in ("x_train", "y_train", "x_test", "y_test", "n_classes"):
        if not hasattr(split, attr):
            raise ValueError(f"split must be a tasks.Split (missing {attr})")
    seeds = as_array(seeds, "seeds", (0, 1), allow_complex=False)
    seeds = [int(s) for s in np.asarray(seeds).reshape(-1)]
    if not seeds or min(seeds) < 0:
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, got {seeds}")
    d_model, n_layers = check_int(d_model, "d_model"), check_int(n_layers, "n_layers")
    n_complex, steps = check_int(n_complex, "n_complex"), check_int(steps, "steps")
    batch_size = check_int(batch_size, "batch_size")
    if batch_size > split.x_train.shape[0]:
        raise ValueError(f"batch_size must be <= the training set size {split.x_train.shape[0]}, got {batch_size}")
    lr, weight_decay = _check_pos(lr, "lr"), float(weight_decay)
    if not (np.isfinite(weight_decay) and weight_decay >= 0):
        raise ValueError(f"weight_decay must be finite and >= 0, got {weight_decay}")
    shuffle_seed = check_int(shuffle_seed, "shuffle_seed", 0)
    common = dict(d_input=split.x_train.shape[-1], d_model=d_model, d_output=split.n_classes, n_layers=n_layers,
                  block="s4d")
    arms = {"real": models.DeepSSMConfig(**common, d_state=2 * n_complex, init="real", complex_states=False),
            "complex": models.DeepSSMConfig(**common, d_state=n_complex, init="legs", complex_states=True)}
    y_test = np.asarray(split.y_test)
    y_shuf = np.random.default_rng(shuffle_seed).permutation(y_test)
    out = {"real": None, "complex": None, "shuffled": {}, "seeds": np.array(seeds), "loss": {}}
    x, y, xt = (jnp.asarray(v) for v in (split.x_train, split.y_train, split.x_test))
    for arm, cfg in arms.items():
        ps = [models.init_params(jax.random.PRNGKey(s), cfg) for s in seeds]  # NumPy inside: not traceable
        params = jax.tree_util.tree_map(lambda *v: jnp.stack(v), *ps)
        yhat, losses = _fit_s4d(params, jnp.asarray(seeds, jnp.uint32), x, y, xt, cfg, steps, batch_size, lr,
                                weight_decay)
        yhat = np.asarray(yhat)
        out[arm] = np.mean(yhat == y_test[None], axis=1)
        out["shuffled"][arm] = np.mean(yhat == y_shuf[None], axis=1)
        out["loss"][arm] = np.asarray(losses)
    return out
