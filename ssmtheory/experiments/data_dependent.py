"""Notebook 02's drivers (Liu & Li 2024, arXiv 2405.02670; source notes ``docs/papers/liu-li-2024.md``): the uniform-gap
study over processes (section 1), the ``E[y_T^2] <= tau`` check (section 2), the scaling rule's output RMS
(section 3), the ``tau``-regularized loss of a deep model and the 2-layer S4D comparison (section 6).

The formulas (``tau``, ``psi``, the bound, the scaling rule, the regularizer) live in :mod:`ssmtheory.theory.measure`;
the exact uniform gap and ``psi`` of a class in :mod:`ssmtheory.theory.uniform_gap` (its per-process study
:func:`study_process` and the section-1 statistics :func:`slope_band_excess`, :func:`rank_tracking`,
:func:`refinement_excess` are here); the one-layer SISO trainer of
sections 4-5 in :mod:`ssmtheory.experiments.siso`.  Every function that draws random numbers takes the generator
``rng`` (or a ``seed``) explicitly; calls in the notebook's order reproduce its numbers.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ssmtheory import init as _init
from ssmtheory import models as _models
from ssmtheory import processes as _processes
from ssmtheory import ssm as _ssm
from ssmtheory import stats as _stats
from ssmtheory import train as _train
from ssmtheory._validate import as_array, check_choice, check_int, check_positive
from ssmtheory._validate import check_scalar as _check_scalar
from ssmtheory._validate import check_size as _check_size
from ssmtheory.theory import measure as _measure
from ssmtheory.theory import uniform_gap as _ug

__all__ = [
    "make_regularized_loss",
    "study_process",
    "slope_band_excess",
    "rank_tracking",
    "refinement_excess",
    "uniform_gap_study",
    "uniform_gap_statistics",
    "siso_kernel",
    "random_s4d_kernel",
    "second_moment_check",
    "same_marginals_check",
    "scaling_rule_rms",
    "log_spread_ratio",
    "scale_invariance_error",
    "deep_scale_deviation",
    "DEEP_VARIANTS",
    "deep_variant_members",
    "deep_variant_accuracy",
    "paired_table",
]


# --------------------------------------------------------------------------------------------- tau-regularized loss
def make_regularized_loss(cfg: _models.DeepSSMConfig, kind: str = "ce", lam: float = 0.0) -> Callable:
    """``loss_fn(params, xb, yb, lam=lam) = base(apply(params, xb), yb) + lam * tau_regularizer`` (one forward pass;
    :func:`ssmtheory.theory.measure.tau_regularizer`, Liu & Li's eq. (9) summed over layers and channels [R]).

    ``kind`` in {"mse", "ce"}.  Usable as ``train.fit``'s ``loss_fn`` (three arguments) and by
    :func:`ssmtheory.train.fit_population` (``aux`` = a per-member ``lam``).  Cached: the same arguments give
    the same function object, so the engine does not re-trace.
    """
    check_choice(kind, "kind", ("mse", "ce"))
    if not isinstance(cfg, _models.DeepSSMConfig):
        raise ValueError(f"cfg must be a models.DeepSSMConfig, got {type(cfg).__name__}")
    if not (isinstance(lam, (int, float)) and math.isfinite(lam)):
        raise ValueError(f"lam must be a finite number, got {lam!r}")
    return _regularized_loss_cached(cfg, kind, float(lam))


def _regularized_loss(cfg, kind, lam):
    base = _train.get_loss(kind)

    def loss_fn(params, xb, yb, lam=lam):
        pred, ins = _models.apply(params, xb, cfg, return_ssm_inputs=True)
        return base(pred, yb) + lam * _measure.tau_regularizer(params, cfg, ssm_inputs=ins)

    return loss_fn


_regularized_loss_cached = lru_cache(maxsize=64)(_regularized_loss)


# --------------------------------------------------------------------------------------------- section 1
def _seq(xs, name):
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__len__") or len(xs) == 0:
        raise ValueError(f"{name} must be a non-empty sequence, got {xs!r}")
    return list(xs)


def _check_boot(level, n_boot, seed):
    level = _check_scalar(level, "level")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    n_boot = check_int(n_boot, "n_boot")
    if n_boot > MAX_BOOT:
        raise ValueError(f"n_boot must be <= {MAX_BOOT} (resampling loop in Python), got {n_boot}")
    return level, n_boot, check_int(seed, "seed", minimum=0)


MAX_BOOT = 10**6


def study_process(process, N: int, T: float, r: float, ns, reps: int, L: int, L_fine: int, n_fine: int,
                  alphas=(0.5, 1.0, 2.0), label_std: float = 1.0, seed: int = 0) -> dict:
    """Everything section 1 of notebook 02 needs for one process, at resolution ``L`` and ``L_fine`` (same ``T``):

    ``gaps (reps, len(ns))`` uniform gaps and ``erm`` the unbounded least-squares control at ``L``;
    ``psi``, ``psi_flip`` (time index reversed, pitfall 3), ``phi`` (norm proxy) at ``L``;
    ``gap_at (reps,)`` at ``n_fine`` and ``L``, ``gap_fine (reps,)`` at ``n_fine`` and ``L_fine``, ``psi_fine``."""
    L_fine, n_fine = check_int(L_fine, "L_fine"), check_int(n_fine, "n_fine")
    _check_size(8 * n_fine * max(L_fine, check_int(L, "L")), "n_fine", "(n_fine, L_fine) sample")
    _check_size(8 * check_int(reps, "reps") * max(1, len(ns)), "reps", "(reps, len(ns)) result")
    _check_size(16 * check_int(N, "N") * L_fine * len(alphas), "L_fine", "N x L_fine read-out bases")
    G, Gf = _ug.s4d_class(N, T, L, alphas), _ug.s4d_class(N, T, L_fine, alphas)
    gaps, erm = _ug.uniform_gaps(process, G, r, ns, reps, L, label_std, seed, erm=True)
    mu, sd = process.mean(L), process.std(L)
    a, m = _ug.psi_ball(G, mu, sd, r)
    af, mf = _ug.psi_ball(G, mu[::-1], sd[::-1], r)
    b, mb = _ug.psi_ball(Gf, process.mean(L_fine), process.std(L_fine), r)
    coarse = _ug.uniform_gaps(process, G, r, [n_fine], reps, L, label_std, seed + 1)[:, 0]
    fine = _ug.uniform_gaps(process, Gf, r, [n_fine], reps, L_fine, label_std, seed + 2)[:, 0]
    return {"gaps": gaps, "erm": erm, "psi": a + m, "psi_flip": af + mf, "psi_fine": b + mb,
            "phi": _ug.norm_proxy(G, float(np.sum(mu**2 + sd**2)), r), "gap_at": coarse, "gap_fine": fine,
            "holder": process.holder}


def _boot_reps(reps: int, n_boot: int, seed: int):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, reps, size=reps) for _ in range(n_boot)]


def slope_band_excess(ns, gaps: list, band, level: float = 0.95, n_boot: int = 2000, seed: int = 0):
    """For each process (``gaps[i] (reps, len(ns))``) the log-log slope of the mean gap against ``n`` with a
    two-sided ``level`` bootstrap interval over training sets (the replication unit), and the excess of that
    interval outside ``band = (lo, hi)``: ``max(lo - ci_lo, ci_hi - hi)`` (``<= 0``: the whole interval lies in
    the band).  Returns ``(slopes, ci (P, 2), excess (P,))``."""
    from ssmtheory.stats import log_slope

    level, n_boot, seed = _check_boot(level, n_boot, seed)
    x = np.asarray(as_array(ns, "ns", ndim=1, allow_complex=False), np.float64)
    if x.size < 2 or np.any(x <= 0):
        raise ValueError(f"ns must hold at least two positive sample sizes, got {x}")
    try:
        lo_b, hi_b = (_check_scalar(b, "band") for b in band)
    except TypeError:
        raise ValueError(f"band must be a pair (lo, hi), got {band!r}") from None
    if not lo_b <= hi_b:
        raise ValueError(f"band must be (lo, hi) with lo <= hi, got {band!r}")
    slopes, cis, exc = [], [], []
    for g in gaps:
        g = np.asarray(as_array(g, "gaps", ndim=2, allow_complex=False))
        if g.shape[1] != x.size or np.any(g <= 0):
            raise ValueError(f"gaps must be positive arrays (reps, len(ns) = {x.size}), got shape {g.shape}")
        s = log_slope(x, g.mean(0))
        boot = [log_slope(x, g[i].mean(0)) for i in _boot_reps(g.shape[0], n_boot, seed)]
        a, b = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
        slopes.append(s)
        cis.append((a, b))
        exc.append(max(lo_b - a, b - hi_b))
    return np.array(slopes), np.array(cis), np.array(exc)


def rank_tracking(gap_samples: list, measures, level: float = 0.95, n_boot: int = 2000, seed: int = 0):
    """Spearman rho between the mean gaps of the processes (``gap_samples[i] (reps,)``) and ``measures (P,)``, with a
    one-sided lower ``level`` bound from resampling the training sets of every process (the processes are a fixed
    design).  Returns ``(rho, lower)``."""
    from ssmtheory.stats import spearman

    level, n_boot, seed = _check_boot(level, n_boot, seed)
    G = [np.asarray(as_array(g, "gap_samples", ndim=1, allow_complex=False), np.float64) for g in gap_samples]
    if len(G) < 2 or len({g.size for g in G}) != 1:
        raise ValueError("gap_samples must hold at least two processes with the same number of training sets")
    G = np.stack(G)
    m = np.asarray(as_array(measures, "measures", ndim=1, allow_complex=False), np.float64)
    if m.size != G.shape[0]:
        raise ValueError(f"measures must hold one value per process ({G.shape[0]}), got {m.size}")
    rho = spearman(G.mean(1), m)
    boot = [spearman(G[:, i].mean(1), m) for i in _boot_reps(G.shape[1], n_boot, seed)]
    return rho, float(np.quantile(boot, 1 - level))


def refinement_excess(coarse, fine, psi_coarse: float, psi_fine: float, level: float = 0.95, n_boot: int = 2000,
                      seed: int = 0):
    """``|log r|`` with ``r = (gap_fine / gap_coarse) / ((psi_fine + 1)^2 / (psi_coarse + 1)^2)``: how much the gap
    and the bound's factor ``(psi + 1)^2`` drift apart when the grid is refined at a fixed horizon (0 when they
    move together).  Returns ``(|log r|, upper one-sided level bound)`` by resampling training sets."""
    level, n_boot, seed = _check_boot(level, n_boot, seed)
    c = np.asarray(as_array(coarse, "coarse", ndim=1, allow_complex=False), np.float64)
    f = np.asarray(as_array(fine, "fine", ndim=1, allow_complex=False), np.float64)
    for a, nm in ((c, "coarse"), (f, "fine")):
        if a.size == 0 or np.any(a <= 0):
            raise ValueError(f"{nm} must be non-empty positive gaps")
    psi_coarse = _check_scalar(psi_coarse, "psi_coarse", nonnegative=True)
    psi_fine = _check_scalar(psi_fine, "psi_fine", nonnegative=True)
    fac = 2 * np.log((psi_fine + 1) / (psi_coarse + 1))
    val = abs(np.log(f.mean() / c.mean()) - fac)
    rng = np.random.default_rng(seed)
    boot = [abs(np.log(f[rng.integers(0, f.size, f.size)].mean() / c[rng.integers(0, c.size, c.size)].mean()) - fac)
            for _ in range(n_boot)]
    return float(val), float(np.quantile(boot, level))


def uniform_gap_study(holder, N: int, T: float, r: float, ns, reps: int, L: int, L_fine: int, n_fine: int, seed: int = 0):
    """Section 1's data: :func:`study_process` for every Hölder process in ``holder``
    (seed ``seed + 7 i``), the white-noise control ``dW/ds`` at ``L`` and ``L_fine`` (gaps at ``n_fine``, seeds
    ``seed + 101/102``, and ``psi``), and the heavy-tailed (``t_2.5``) version of every process (seed ``seed + 200 + i``).

    Returns ``(study {name: dict}, white dict, heavy [gaps (reps, len(ns))])``.
    """
    holder = _seq(holder, "holder")
    seed = check_int(seed, "seed", minimum=0)
    check_positive(T, "T")
    study = {p.name: study_process(p, N, T, r, ns, reps, L, L_fine, n_fine, seed=seed + 7 * i) for i, p in enumerate(holder)}
    white_c, white_f = (_processes.white_on(np.sqrt(Lx / T), 0.0, T, name=f"white dW/ds (L={Lx})") for Lx in (L, L_fine))
    G_c, G_f = _ug.s4d_class(N, T, L), _ug.s4d_class(N, T, L_fine)
    white = {"gap_at": _ug.uniform_gaps(white_c, G_c, r, [n_fine], reps, L, seed=seed + 101)[:, 0],
             "gap_fine": _ug.uniform_gaps(white_f, G_f, r, [n_fine], reps, L_fine, seed=seed + 102)[:, 0],
             "psi": sum(_ug.psi_ball(G_c, white_c.mean(L), white_c.std(L), r)),
             "psi_fine": sum(_ug.psi_ball(G_f, white_f.mean(L_fine), white_f.std(L_fine), r))}
    heavy = [_ug.uniform_gaps(_processes.heavy_tailed(p, 2.5), G_c, r, ns, reps, L, seed=seed + 200 + i)
             for i, p in enumerate(holder)]
    return study, white, heavy


def uniform_gap_statistics(study: dict, white: dict, heavy: list, ns, band, seed: int = 0) -> dict:
    """The statistics of section 1's claims from :func:`uniform_gap_study`'s output.

    ``slopes, slope_ci`` (gap's log-log slope in ``n`` with its 95% CI, per process), ``e_slopes`` (the unbounded
    least-squares control), ``h_slopes, h_ci`` (heavy-tailed control), ``in_issue_band`` (CI inside [-0.6, -0.4]),
    ``psi_v, phi_v``, ``gap_last``/``erm_last`` (gaps at the largest ``n``), Spearman ``rho_psi`` (with lower bound
    ``rho_psi_lo``), ``rho_erm`` (``rho_erm_lo``), ``rho_phi``, ``rho_erm_phi``, ``refine`` (per process) and
    ``refine_w`` (white) from :func:`refinement_excess`.
    """
    if not isinstance(study, dict) or not study:
        raise ValueError("study must be the non-empty dict returned by uniform_gap_study")
    if len(heavy) != len(study):
        raise ValueError(f"heavy must hold one gap table per process ({len(study)}), got {len(heavy)}")
    names = list(study)
    o = dict(names=names)
    o["slopes"], o["slope_ci"], _ = slope_band_excess(ns, [study[k]["gaps"] for k in names], band, seed=seed)
    o["e_slopes"], _, _ = slope_band_excess(ns, [study[k]["erm"] for k in names], band, seed=seed)
    o["h_slopes"], o["h_ci"], _ = slope_band_excess(ns, heavy, band, seed=seed)
    o["in_issue_band"] = {k: bool(-0.6 <= o["slope_ci"][i, 0] and o["slope_ci"][i, 1] <= -0.4) for i, k in enumerate(names)}
    o["psi_v"], o["phi_v"] = np.array([study[k]["psi"] for k in names]), np.array([study[k]["phi"] for k in names])
    o["gap_last"], o["erm_last"] = [study[k]["gaps"][:, -1] for k in names], [study[k]["erm"][:, -1] for k in names]
    psi2, phi2 = (o["psi_v"] + 1) ** 2, (o["phi_v"] + 1) ** 2
    o["rho_psi"], o["rho_psi_lo"] = rank_tracking(o["gap_last"], psi2, seed=seed)
    o["rho_erm"], o["rho_erm_lo"] = rank_tracking(o["erm_last"], psi2, seed=seed)
    o["rho_phi"], _ = rank_tracking(o["gap_last"], phi2, seed=seed)
    o["rho_erm_phi"], _ = rank_tracking(o["erm_last"], phi2, seed=seed)
    o["refine"] = {k: refinement_excess(study[k]["gap_at"], study[k]["gap_fine"], study[k]["psi"], study[k]["psi_fine"],
                                            seed=seed) for k in names}
    o["refine_w"] = refinement_excess(white["gap_at"], white["gap_fine"], white["psi"], white["psi_fine"], seed=seed)
    return o


# --------------------------------------------------------------------------------------------- sections 2-3
def _rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def siso_kernel(lam, C, dt: float, L: int) -> np.ndarray:
    """The kernel ``(L,)`` of the SISO layer ``(lam, B = 1, C)`` (``C (1, N)``) discretized by ZOH at step ``dt``
    (conjugate-symmetric: the real part of the conjugate pairs)."""
    lam = np.asarray(as_array(lam, "lam", ndim=1))
    check_positive(dt, "dt")
    lb, bb = _ssm.discretize(lam[None], np.ones((1, lam.size), complex), dt)
    return np.asarray(_ssm.kernel(lb, bb, C, check_int(L, "L"), conj_sym=True))[:, 0]


def random_s4d_kernel(rng, L: int, N: int = 8) -> np.ndarray:
    """The kernel ``(L,)`` of a random SISO S4D layer: ``N`` eigenvalues ``-U[0.1, 3] + i U[0, 60]``, ``B = 1``, step
    log-uniform in ``[1e-3, 1e-1]``, ``C ~ CN(0, 2)`` (all from ``rng``)."""
    rng, L, N = _rng(rng), check_int(L, "L"), check_int(N, "N")
    lam = -rng.uniform(0.1, 3.0, N) + 1j * rng.uniform(0, 60.0, N)
    lb, bb = _ssm.discretize(lam[None], np.ones((1, N), complex), np.exp(rng.uniform(np.log(1e-3), np.log(1e-1))))
    return np.asarray(_ssm.kernel(lb, bb, rng.normal(size=(1, N)) + 1j * rng.normal(size=(1, N)), L, conj_sym=True))[:, 0]


def second_moment_check(procs, kernels, n_mc: int, L: int, rng):
    """For every (process, kernel): ``tau`` (:func:`ssmtheory.theory.measure.tau`), the exact ``E[y_T^2]``
    (:func:`ssmtheory.theory.measure.second_moment`) and its Monte Carlo estimate from ``n_mc`` samples drawn from
    ``rng`` with the standard error.  Returns ``(tau, exact, mc, se)``, each ``(len(procs) * len(kernels),)``."""
    procs, rng, n_mc, L = _seq(procs, "procs"), _rng(rng), check_int(n_mc, "n_mc", 2), check_int(L, "L")
    kernels = np.asarray(as_array(kernels, "kernels", ndim=2, allow_complex=False))
    if kernels.shape[1] != L:
        raise ValueError(f"kernels must be (M, L={L}), got {kernels.shape}")
    tau_, ex, mc, se = [], [], [], []
    for p in procs:
        Y2 = np.asarray(p.sample(rng, n_mc, L) @ kernels[:, ::-1].T) ** 2
        tau_ += [float(_measure.tau(k, p.mean(L), p.std(L))) for k in kernels]
        ex += [float(_measure.second_moment(k, p.mean(L), p.cov(L))) for k in kernels]
        mc += list(Y2.mean(0))
        se += list(Y2.std(0) / np.sqrt(n_mc))
    return tuple(map(np.array, (tau_, ex, mc, se)))


def same_marginals_check(pair, dts, L: int, rng, N: int = 32) -> np.ndarray:
    """``tau`` and the exact ``E[y_T^2]`` of an S4D-Lin kernel (``N`` modes, step ``dt``, ``C ~ CN(0, 2)`` from ``rng``)
    for each of two processes with the same marginals.  Returns ``(len(dts), 2, 2)``: (dt, process, (tau, E y^2))."""
    rng, L, N = _rng(rng), check_int(L, "L"), check_int(N, "N")
    if len(pair) != 2:
        raise ValueError(f"pair must hold two processes, got {len(pair)}")
    out = []
    for dt in _seq(dts, "dts"):
        lb, bb = _ssm.discretize(_init.s4d_lin(N)[None], np.ones((1, N), complex), dt)
        k = np.asarray(_ssm.kernel(lb, bb, rng.normal(size=(1, N)) + 1j * rng.normal(size=(1, N)), L, conj_sym=True))[:, 0]
        out.append([(float(_measure.tau(k, q.mean(L), q.std(L))), float(_measure.second_moment(k, q.mean(L), q.cov(L))))
                    for q in pair])
    return np.array(out)


def scaling_rule_rms(patterns, lam, C, dts, L: int, rng, n_stat: int = 256):
    """Exact output RMS at ``T`` of the kernel ``(lam, B = 1, C)`` at each step ``dt`` on each process: raw, after
    eq. (8) with ``tau`` estimated from ``n_stat`` samples drawn from ``rng``, and after the data-independent norm
    rescaling ``C / (||k||_2 sqrt(L))``.  Returns ``(rms_raw, rms_tau, rms_norm)``, each ``(len(dts), len(patterns))``."""
    patterns, dts, rng, L = _seq(list(patterns), "patterns"), _seq(dts, "dts"), _rng(rng), check_int(L, "L")
    n_stat = check_int(n_stat, "n_stat", 2)
    rms_raw, rms_tau, rms_norm = (np.zeros((len(dts), len(patterns))) for _ in range(3))
    for a, dt in enumerate(dts):
        k = siso_kernel(lam, C, dt, L)
        for b, p in enumerate(patterns):
            m2 = float(_measure.second_moment(k, p.mean(L), p.cov(L)))
            t_hat = float(_measure.tau(k, *_measure.input_stats(p.sample(rng, n_stat, L))))
            rms_raw[a, b], rms_tau[a, b] = np.sqrt(m2), np.sqrt(m2 / t_hat)
            rms_norm[a, b] = np.sqrt(m2) / (np.linalg.norm(k) * np.sqrt(L))
    return rms_raw, rms_tau, rms_norm


def log_spread_ratio(after, before) -> float:
    """``max over rows of log(max/min of after) / log(max/min of before)`` (rows: step sizes; columns: processes)."""
    after = np.asarray(as_array(after, "after", ndim=2, allow_complex=False))
    before = np.asarray(as_array(before, "before", ndim=2, allow_complex=False))
    if after.shape != before.shape or np.any(after <= 0) or np.any(before <= 0):
        raise ValueError(f"after and before must be positive arrays of the same shape, got {after.shape}, {before.shape}")
    return float(np.max(np.log(after.max(1) / after.min(1)) / np.log(before.max(1) / before.min(1))))


def scale_invariance_error(k, x, scales=(1e-3, -3.0, 1e3)) -> float:
    """After eq. (8) with the statistics of the inputs, the outputs of ``c x`` equal ``sign(c)`` times those of ``x``:
    max relative deviation over ``scales``."""
    k = np.asarray(as_array(k, "k", ndim=1, allow_complex=False))
    x = np.asarray(as_array(x, "x", ndim=2, allow_complex=False))

    def resc(z):
        return np.asarray(_measure.output_at_T(k / np.sqrt(float(_measure.tau(k, *_measure.input_stats(z)))), z))

    base = resc(x)
    return max(np.abs(resc(c * x) - np.sign(c) * base).max() / np.abs(base).max() for c in scales)


def deep_scale_deviation(params, cfg: _models.DeepSSMConfig, x) -> float:
    """``max |tau - 1|`` over layers and channels after :func:`ssmtheory.theory.measure.scale_rule` on the batch ``x``."""
    ps, _ = _measure.scale_rule(params, cfg, x)
    return max(float(jnp.abs(t - 1).max()) for t in _measure.tau_layers(ps, cfg, _measure.layer_input_stats(ps, cfg, x)))


# --------------------------------------------------------------------------------------------- section 6
DEEP_VARIANTS = ("baseline", "scaling", "regularizer", "both", "placebo")


def deep_variant_members(cfg: _models.DeepSSMConfig, x_stat, n_seeds: int, seed: int = 0, lam: float = 1e-3):
    """Per seed ``s`` the five members of :data:`DEEP_VARIANTS`: baseline (init ``PRNGKey(1000 seed + s)``), scaling
    rule on ``x_stat``, regularizer ``lam``, both, and the placebo (a baseline from ``PRNGKey(1000 seed + s + 500)``).
    Returns ``(stacked params, per-member lambda (float32))``."""
    n_seeds, seed = check_int(n_seeds, "n_seeds"), check_int(seed, "seed", minimum=0)
    members, lam_m = [], []
    for s in range(n_seeds):
        p0 = _models.init_params(jax.random.PRNGKey(1000 * seed + s), cfg)
        ps, _ = _measure.scale_rule(p0, cfg, x_stat)
        pp = _models.init_params(jax.random.PRNGKey(1000 * seed + s + 500), cfg)
        members += [p0, ps, p0, ps, pp]
        lam_m += [0.0, 0.0, lam, lam, 0.0]
    return jax.tree_util.tree_map(lambda *a: jnp.stack(a), *members), jnp.asarray(lam_m, jnp.float32)


def deep_variant_accuracy(cfg: _models.DeepSSMConfig, members, lam, data, steps: int, seed: int = 0, lr: float = 1e-2,
                          batch_size: int = 32) -> dict:
    """Train every member at once (:func:`ssmtheory.train.fit_population`, Adam, cross-entropy plus ``lam`` times the
    ``tau`` regularizer, minibatches drawn per step from ``seed``) on ``data`` (``x_train, y_train, x_test, y_test``).
    Returns ``{"test": (seeds, 5), "train": (seeds, 5)}`` accuracies."""
    steps, seed = check_int(steps, "steps"), check_int(seed, "seed", minimum=0)
    trained = _train.fit_population(make_regularized_loss(cfg, "ce"), members,
                                    (jnp.asarray(data.x_train), jnp.asarray(data.y_train)), steps=steps,
                                    opt=_train.OptimizerSpec("adam", lr=lr), aux=lam, batch_size=batch_size,
                                    sampling="step", seed=seed).params
    fwd = jax.jit(jax.vmap(lambda p, x: _models.apply(p, x, cfg), in_axes=(0, None)))
    pred = np.argmax(fwd(trained, jnp.asarray(np.concatenate([data.x_test, data.x_train]))), -1)  # one forward, one compile
    n_te, k = len(data.y_test), len(DEEP_VARIANTS)
    return {sp: np.asarray((pr == y).mean(-1)).reshape(-1, k)
            for sp, pr, y in (("test", pred[:, :n_te], data.y_test), ("train", pred[:, n_te:], data.y_train))}


def paired_table(acc: dict, table: dict) -> dict:
    """For each ``claim: ((split, a, b), (split, a', b'))`` the one-sided ("greater") exact paired permutation tests of
    variant ``a`` against ``b`` (and the control pair) over seeds: ``{claim: (Inference, Inference)}``."""
    V = {v: j for j, v in enumerate(DEEP_VARIANTS)}

    def paired(split, a, b):
        if split not in acc or a not in V or b not in V:
            raise ValueError(f"table: unknown split or variant in {(split, a, b)!r}")
        return _stats.paired_permutation(acc[split][:, V[a]], acc[split][:, V[b]], alternative="greater")

    return {k: (paired(*a), paired(*b)) for k, (a, b) in table.items()}
