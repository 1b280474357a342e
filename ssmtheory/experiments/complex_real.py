"""Notebook 04's gradient-descent and Monte Carlo experiments (Ran-Milo et al., NeurIPS 2024; docs/papers/complex-ssm-2024.md).

The formulas (impulse responses, targets, the T2 bound, the DFT construction, LP / minimax fits, the tables' metric)
live in :mod:`ssmtheory.theory.expressivity`; this module holds what *trains* or *samples*:

* :func:`init_ssm_params`, :func:`ssm_impulse_from_params`, :func:`train_ssm` -- the authors' Tables 1-2 set-up
  (``train_theory.py``: ``VanillaSSM`` parameterization, summed squared loss, Adam / AdamW / RAdam with a cosine
  decay) [verified against the authors' code];
* :func:`t2_margin_monte_carlo` -- a Monte Carlo check of T2 (our reconstruction) inside and outside its class;
* :func:`s4d_real_vs_complex` -- the authors' real-world comparison (S4D real vs S4D complex LegS) at CPU scale.

Training runs on the package's one engine, :func:`ssmtheory.train.fit_population` (issue 12): :func:`train_ssm`
trains every run of a table as one population with the three optimizers mixed in one compile (``opt_index``), and
:func:`s4d_real_vs_complex` trains all seeds of an arm as one population.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from ssmtheory import models, stats, train
from ssmtheory._validate import as_array, check_choice, check_int, check_size
from ssmtheory.theory import expressivity as ex
from ssmtheory.theory.expressivity import forward_difference_bound, linf_normalized, vandermonde

__all__ = [
    "OPTIMIZERS",
    "init_ssm_params",
    "ssm_impulse_from_params",
    "train_ssm",
    "t2_margin_monte_carlo",
    "s4d_real_vs_complex",
    "dimension_study",
    "parameter_size_study",
    "tables_1_2",
    "format_tables_1_2",
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


def _table_specs(steps: int) -> tuple:
    """The authors' ``torch.optim`` choices with PyTorch defaults, under ``CosineAnnealingLR(T_max=steps)``, in
    :data:`OPTIMIZERS` order: Adam, AdamW (weight decay 0.01 on every parameter, as ``torch.optim.AdamW`` applies it)
    and RAdam.  The learning rate is given per run (traced) by :func:`train_ssm`."""
    return tuple(train.OptimizerSpec(name=o, lr=1.0, schedule="cosine", decay_steps=steps,
                                     weight_decay=0.01 if o == "adamw" else 0.0, decay_ssm=True) for o in OPTIMIZERS)


def _impulse_loss(params, aux):
    """Summed squared error of the closed-form impulse response against the run's target ``aux["phi"]``, with the
    tables' metric (normalized l_inf error) as the per-step auxiliary output."""
    out = ssm_impulse_from_params(params, aux["sign"], aux["phi"].shape[-1])
    return jnp.sum((out - aux["phi"]) ** 2), linf_normalized(out, aux["phi"])


@partial(jax.jit, static_argnames=("n", "kind", "dtype"))
def _init_runs(keys, r_mins, n, kind, dtype):
    """:func:`init_ssm_params` for each run (vmapped); the sign of a complex run is a placeholder of ones."""
    def one(key, r_min):
        params, sign = init_ssm_params(key, n, kind, r_min=r_min, dtype=dtype)
        return params, (jnp.ones(n, dtype) if sign is None else sign)

    return jax.vmap(one)(keys, r_mins)


@jax.jit
def _final_metrics(params, aux):
    """Loss, tables' metric and coefficient size ``sum |b_i c_i|`` (complex: ``2 sum |b_i||c_i|``) per run."""
    loss, linf = jax.vmap(_impulse_loss)(params, aux)
    if "theta" in params:
        bc = 2.0 * jnp.sum(jnp.hypot(params["br"], params["bi"]) * jnp.hypot(params["cr"], params["ci"]), -1)
    else:
        bc = jnp.sum(jnp.abs(params["b"] * params["c"]), -1)
    return loss, linf, bc


def train_ssm(phis, n: int, kind: str, steps: int, lrs, seeds, r_mins=0.0, record_every: int = 10,
              optimizer="adam") -> dict:
    """Fit real or complex diagonal SSMs of dimension ``n`` to target impulse responses by full-batch gradient descent.

    The authors' set-up (``train_theory.py``): :func:`init_ssm_params`, closed-form impulse response, loss
    ``sum_tau (phi(tau) - phi*(tau))^2`` (with a unit-l2 target the zero map scores 1: a *normalized* loss),
    ``optimizer`` in :data:`OPTIMIZERS` (``torch.optim`` defaults; one name, or one per run) with a cosine-decayed
    learning rate, running minima reported.  ``phis (R, t)``, ``lrs (R,)``, ``seeds (R,)`` (initialization) and
    ``r_mins`` (scalar or ``(R,)``) describe ``R`` independent runs, trained as one population by
    :func:`ssmtheory.train.fit_population` (the three optimizers in one compile; ``steps`` a multiple of
    ``record_every``).  Returns NumPy arrays ``best (R,)`` (minimum loss over the run, final parameters included),
    ``linf (R,)`` (the same minimum of :func:`ssmtheory.theory.expressivity.linf_normalized`, the Tables 1-2
    metric), ``bc (R,)`` (final ``sum_i |b_i c_i|``; complex: ``2 sum |b_i||c_i|``), ``history
    (R, steps // record_every)`` (running minimum of the loss every ``record_every`` steps), ``steps`` and
    ``diverged (R,)`` (the engine's guard froze the run at a non-finite step).
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
    r_mins = jnp.broadcast_to(jnp.asarray(r_mins, dt), (R,))
    seeds = np.broadcast_to(np.asarray(seeds, np.int64), (R,))
    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds))
    params, sign = _init_runs(keys, r_mins, n, kind, np.dtype(dt).name)
    aux = dict(phi=phis, sign=sign)
    res = train.fit_population(_impulse_loss, params, steps=steps, opt=_table_specs(steps),
                               opt_index=np.array([OPTIMIZERS.index(o) for o in opt_names]),
                               lr=np.broadcast_to(np.asarray(lrs, np.float64), (R,)), aux=aux, has_aux=True)
    final, final_inf, bc = (np.asarray(v) for v in _final_metrics(res.params, aux))
    losses, linfs = res.losses, np.asarray(res.metrics)
    best = np.minimum(np.nanmin(losses, 0), final)
    hist = np.fmin.accumulate(losses, 0)[record_every - 1::record_every].T
    return dict(best=best, history=hist, linf=np.minimum(np.nanmin(linfs, 0), final_inf), bc=bc,
                steps=np.arange(record_every, steps + 1, record_every), diverged=np.asarray(res.diverged))


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
@partial(jax.jit, static_argnames=("cfg",))
def _predict(params, x, cfg):
    """Predicted classes ``(S, n)`` of every member of a trained population on ``x``."""
    return jax.vmap(lambda p: jnp.argmax(models.apply(p, x, cfg), -1))(params)


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
    decay, cross-entropy, weight decay on every parameter (``decay_ssm=True``, the setting of the earlier runs; the
    s4 code exempts the SSM parameters and gives them lr 1e-3).  All seeds of an arm train as one population of
    :func:`ssmtheory.train.fit_population` (``sampling="epoch"``, member keys ``PRNGKey(seed)``; one compilation per
    arm).
    ``split`` is a :class:`ssmtheory.tasks.Split`.  Returns ``{"real": acc (S,), "complex": acc (S,), "shuffled":
    {...}, "seeds", "loss": {arm: (S, steps)}}``: the test accuracies per seed, and the same trained models scored
    against a permutation (seeded by ``shuffle_seed``) of the test labels (the control: no model can beat the other
    on labels it cannot predict).
    """
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
    spec = train.OptimizerSpec(name="adamw", lr=lr, schedule="cosine", decay_steps=steps, weight_decay=weight_decay,
                               decay_ssm=True)
    keys = jnp.stack([jax.random.PRNGKey(s) for s in seeds])
    for arm, cfg in arms.items():
        ps = [models.init_params(jax.random.PRNGKey(s), cfg) for s in seeds]  # NumPy inside: not traceable
        params = jax.tree_util.tree_map(lambda *v: jnp.stack(v), *ps)
        res = train.fit_population(train.make_loss(models.apply, cfg, "ce"), params, (x, y), steps, opt=spec,
                                   batch_size=batch_size, keys=keys)
        yhat = np.asarray(_predict(res.params, xt, cfg))
        out[arm] = np.mean(yhat == y_test[None], axis=1)
        out["shuffled"][arm] = np.mean(yhat == y_shuf[None], axis=1)
        out["loss"][arm] = res.losses.T
    return out


# ----------------------------------------------------------------------------------------------
# notebook 04's studies: the tables and summaries its claims read (the notebook keeps the figures and checks)
# ----------------------------------------------------------------------------------------------
def _check_int_list(v, name, minimum=1):
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise ValueError(f"{name} must be a non-empty list of integers, got {v!r}")
    out = [check_int(x, name, minimum) for x in v]
    if not out:
        raise ValueError(f"{name} must be a non-empty list of integers, got {v!r}")
    return out


def dimension_study(ts, grid_size: int, t_long: int = 1000) -> dict:
    """T1 on the oscillation ``Re(i^tau)``: the exact minimax error of every ``n``-mode real fit, ``n <= ceil(t/2)``.

    Returns ``err {(t, n): error}`` (:func:`ssmtheory.theory.expressivity.best_linf_real_fit` over every
    ``n``-subset of ``pole_grid(grid_size)``, raw target), ``below`` (min over ``n < ceil(t/2)``: T1 says no better
    than the zero map, 1), ``at`` (max over ``n = ceil(t/2)``, the control), ``grid`` and ``err_c1 (t_long,)``: the
    error of the one-mode complex SSM ``a = i, b = 1, c = 1/2`` (our construction; float64 needs x64 on).
    """
    ts = _check_int_list(ts, "ts", 1)
    grid_size, t_long = check_int(grid_size, "grid_size", 2), check_int(t_long, "t_long")
    phi_c1 = np.asarray(ex.impulse_complex(np.array([1j]), np.array([1.0]), np.array([0.5]), t_long))
    grid = ex.pole_grid(grid_size)
    err = {(t, n): ex.best_linf_real_fit(ex.target("oscillation", t, normalize="none"), n, grid)["error"]
           for t in ts for n in range(1, -(-t // 2) + 1)}
    below = [e for (t, n), e in err.items() if n < -(-t // 2)]
    return dict(err=err, grid=grid, below=min(below) if below else np.inf,
                at=max(e for (t, n), e in err.items() if n == -(-t // 2)),
                err_c1=np.abs(phi_c1 - ex.target("oscillation", t_long, normalize="none")))


def parameter_size_study(ts, grid_size: int, eps: float, seed: int = 0) -> dict:
    """T2 / P2 on the three targets (max-normalized): LP minimum ``sum |b_i c_i|`` of real ``eps``-fits on
    ``pole_grid(grid_size)``, the T2 bound and the DFT complex SSM of P2, for each ``t`` in ``ts``.

    Returns ``lp``, ``bound``, ``dft`` (dicts keyed by ``(target, t)``; ``dft`` entries hold ``err`` (max error of the
    NumPy recurrence), ``l1`` and ``bcmax``), ``slope_real`` / ``slope_dft`` (per target: least-squares slope of
    ``log sum|b c|`` against ``t``, :func:`ssmtheory.stats.log_slope` on ``exp(t)``) and the summaries the claims read:
    ``p2_max`` (max ``|b_k c_k|`` of the DFT SSMs), ``lp_wmax`` (max ``|w_j|`` of the LP optima), ``lp_excess`` (max
    residual minus ``eps``), ``lp_success``, ``lp_over_bound`` (min LP / T2 over positive bounds), ``dft_err``.
    """
    ts = _check_int_list(ts, "ts", 2)
    grid_size, seed = check_int(grid_size, "grid_size", 2), check_int(seed, "seed", 0)
    eps = float(eps)
    if not (np.isfinite(eps) and 0 <= eps < 1):
        raise ValueError(f"eps must lie in [0, 1) (targets have max |phi| = 1), got {eps}")
    poles = ex.pole_grid(grid_size)
    lp, bound, dft = {}, {}, {}
    for name in ex.TARGETS:
        for t in ts:
            phi = ex.target(name, t, seed=seed, normalize="max")
            lp[(name, t)] = ex.min_l1_real_fit(phi, eps, poles)
            bound[(name, t)] = ex.forward_difference_bound(phi, eps)
            a, b, c = ex.dft_complex_ssm(phi)
            dft[(name, t)] = dict(err=float(np.abs(ex.recurrence_impulse(a, b, c, t, complex_output=True) - phi).max()),
                                  l1=float(np.abs(b * c).sum()), bcmax=float(np.abs(b * c).max()))
    slope = {kind: {n: stats.log_slope(np.exp(ts), [val(n, t) for t in ts]) for n in ex.TARGETS}
             for kind, val in (("real", lambda n, t: lp[(n, t)]["objective"]), ("dft", lambda n, t: dft[(n, t)]["l1"]))}
    return dict(lp=lp, bound=bound, dft=dft, slope_real=slope["real"], slope_dft=slope["dft"],
                p2_max=max(d["bcmax"] for d in dft.values()), lp_wmax=max(float(np.abs(v["w"]).max()) for v in lp.values()),
                lp_excess=max(v["residual"] - eps for v in lp.values()),
                lp_success=float(all(v["success"] for v in lp.values())),
                lp_over_bound=min(lp[k]["objective"] / bound[k] for k in lp if bound[k] > 0),
                dft_err=max(d["err"] for d in dft.values()))


def tables_1_2(t1_n: int, t1_lrs, t1_steps: int, t2_t, t2_steps: int, seeds, t: int = 32, target_seed: int = 0,
               record_every: int = 10) -> dict:
    """Tables 1-2 in the tables' metric (:func:`train_ssm` on the three targets of length ``t``, float32).

    Table 1: real SSMs of dimension ``t1_n``, every optimizer of :data:`OPTIMIZERS`, learning rate and seed,
    ``r_min = 0``, ``t1_steps`` steps (one population).  Table 2: complex SSMs with ``n = t'`` for each ``t'`` in
    ``t2_t`` (targets of length ``t'``), Adam at lr 1e-3, ``r_min = 0.99``, ``t2_steps`` steps.  Targets are
    :func:`ssmtheory.theory.expressivity.target` with seed ``target_seed``.  Returns ``table1 {(target, opt):
    min linf over seeds and lrs}``, ``table2 {(target, t'): (min, max) linf over seeds}``, ``real_max`` (max linf of
    every Table 1 run), ``complex_min_t`` (min linf of the Table 2 runs at ``t' = t``; NaN if ``t`` not in
    ``t2_t``), the loss curves ``curves1 {(target, opt): history of the best run}``, ``curves2 {(target, t'): history
    of the worst seed}``, their step axes ``steps1``, ``steps2`` and ``diverged`` (runs the engine's guard froze).
    """
    seeds = _check_int_list(seeds, "seeds", 0)
    t2_t = _check_int_list(t2_t, "t2_t", 2)
    t, target_seed = check_int(t, "t", 2), check_int(target_seed, "target_seed", 0)
    t1_n, record_every = check_int(t1_n, "t1_n"), check_int(record_every, "record_every")
    for v, name in ((t1_steps, "t1_steps"), (t2_steps, "t2_steps")):
        if check_int(v, name) % record_every:
            raise ValueError(f"{name} must be a multiple of record_every={record_every}, got {v}")
    lrs = as_array(t1_lrs, "t1_lrs", (0, 1), allow_complex=False)
    if lrs.size == 0 or np.any(np.asarray(lrs) <= 0):
        raise ValueError(f"t1_lrs must be positive learning rates, got {np.asarray(lrs).tolist()}")
    lrs = [float(v) for v in np.atleast_1d(np.asarray(lrs))]
    runs1 = [(nm, s, lr, opt) for nm in ex.TARGETS for opt in OPTIMIZERS for s in seeds for lr in lrs]
    r1 = train_ssm(np.stack([ex.target(r[0], t, seed=target_seed) for r in runs1]).astype(np.float32), t1_n, "real",
                   t1_steps, [r[2] for r in runs1], [r[1] for r in runs1], 0.0, record_every=record_every,
                   optimizer=[r[3] for r in runs1])
    out = dict(table1={}, table2={}, curves1={}, curves2={}, real_max=float(r1["linf"].max()), steps1=r1["steps"],
               complex_min_t=np.nan, diverged=int(r1["diverged"].sum()))
    for nm in ex.TARGETS:
        for opt in OPTIMIZERS:
            idx = [i for i, r in enumerate(runs1) if r[0] == nm and r[3] == opt]
            out["table1"][(nm, opt)] = float(r1["linf"][idx].min())
            out["curves1"][(nm, opt)] = r1["history"][idx[int(np.argmin(r1["best"][idx]))]]
    for tt in t2_t:
        sel = [(nm, s) for nm in ex.TARGETS for s in seeds]
        r2 = train_ssm(np.stack([ex.target(nm, tt, seed=target_seed) for nm, _ in sel]).astype(np.float32), tt,
                       "complex", t2_steps, 1e-3, [s for _, s in sel], 0.99, record_every=record_every)
        out["steps2"], out["diverged"] = r2["steps"], out["diverged"] + int(r2["diverged"].sum())
        for nm in ex.TARGETS:
            idx = [i for i, x in enumerate(sel) if x[0] == nm]
            out["table2"][(nm, tt)] = (float(r2["linf"][idx].min()), float(r2["linf"][idx].max()))
            out["curves2"][(nm, tt)] = r2["history"][idx[int(np.argmax(r2["best"][idx]))]]
        if tt == t:
            out["complex_min_t"] = float(r2["linf"].min())
    return out


def format_tables_1_2(tab: dict) -> str:
    """The two tables of :func:`tables_1_2` as text (Table 1: min linf per target and optimizer; Table 2: min / max
    over seeds per target and horizon)."""
    if not isinstance(tab, dict) or not {"table1", "table2"} <= set(tab):
        raise ValueError("tab must be the dict returned by tables_1_2")
    t2 = sorted({tt for _, tt in tab["table2"]})
    lines = ["Table 1 (real; normalized l_inf, min over seeds and learning rates):",
             "  " + " " * 12 + "".join(f"{o:>10s}" for o in OPTIMIZERS)]
    lines += [f"  {nm:12s}" + "".join(f"{tab['table1'][(nm, o)]:10.3f}" for o in OPTIMIZERS) for nm in ex.TARGETS]
    lines.append("Table 2 (complex, n=t, Adam; normalized l_inf, min / max over seeds):")
    lines += [f"  {nm:12s}" + "".join(f"  t={tt}: {tab['table2'][(nm, tt)][0]:.1e}/{tab['table2'][(nm, tt)][1]:.1e}"
                                      for tt in t2) for nm in ex.TARGETS]
    return "\n".join(lines)
