"""One trainable SISO S4D layer read out at the last step — the setting of Liu & Li's theorem — with the
``tau`` regularizer (their eq. (9)), an l2 weight-decay baseline, and Algorithm 1's rescaling (eq. (8)) done
once or every epoch (notebook 02, sections 4-5).

Model [conventions of :mod:`ssmtheory.ssm`]: stored eigenvalues ``Lambda_n = -exp(w_n) + i im_n`` (one per
conjugate pair, ``conj_sym``; ``models``' ``"exp"`` reparameterization, so always stable), ``B = 1``, step
``Delta = exp(log_dt)`` (ZOH), output vector ``C = C_re + i C_im``; the read-out is
``y_T = sum_j k_j x_{L-1-j}`` with ``k = ssm.kernel(...)``.  **Trained: A (``w``, ``im``), Delta and C.**

Loss of one member (``aux`` holds its hyper-parameters and the training statistics)::

    R_n(theta) + lam_tau * tau(theta; mu_hat, sigma_hat) + lam_wd * ||C||_2^2

``tau`` as :func:`ssmtheory.theory.measure.tau` with the training set's per-time statistics (fixed data, so they
need no ``stop_gradient``).  Weight decay acts on ``C`` only: ``tau`` scales as ``|C|^2`` too, so the two
penalties differ exactly by the data-dependent weighting (an l2 penalty on ``w``, ``im`` or ``log_dt`` would
pull the time scales towards arbitrary values instead of shrinking the read-out).

Large training sets are compressed without changing the gradient (:func:`compress`): with the thin QR
``X = Q R``, ``(1/n)||X w - y||^2 = (1/n)||R w - Q^T y||^2 + const``, so ``L`` pseudo-examples replace ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ssmtheory import init as _init
from ssmtheory.theory import measure as _measure
from ssmtheory import ssm as _ssm
from ssmtheory import train as _train
from ssmtheory._validate import as_array, check_finite, check_int, check_positive

__all__ = ["init_params", "kernel", "compress", "loss", "rescale", "scale_to_unit_tau", "exact_risk", "Task",
           "teacher_task", "draw", "Member", "train_groups", "train_population", "design_members", "tuned", "within_lambda",
           "algorithm1_comparison"]


_ADAM = _train.OptimizerSpec("adam")


def init_params(N: int, dt: float, seed: int = 0) -> dict:
    """S4D-Lin eigenvalues ``-1/2 + i pi n`` (``init.s4d_lin``), step ``dt``, ``C ~ CN(0, 1)`` (float64 NumPy)."""
    N = check_int(N, "N")
    check_positive(dt, "dt")
    lam = np.asarray(_init.s4d_lin(N))
    r = np.random.default_rng(check_int(seed, "seed", minimum=0))
    return {"w": np.log(-lam.real), "im": lam.imag.copy(), "log_dt": np.array(np.log(dt)),
            "C_re": r.normal(size=N) * np.sqrt(0.5), "C_im": r.normal(size=N) * np.sqrt(0.5)}


def kernel(p: dict, L: int):
    """``k (L,)`` of the layer with parameters ``p`` (jnp, differentiable in every parameter)."""
    lam = jax.lax.complex(-jnp.exp(p["w"]), p["im"])
    lb, bb = _ssm.discretize(lam[None], jnp.ones_like(lam)[None], jnp.exp(p["log_dt"]))
    C = jax.lax.complex(p["C_re"], p["C_im"])[None]
    return _ssm.kernel(lb, bb, C, L, conj_sym=True)[:, 0]


def compress(X, y):
    """``(X_eff, y_eff)`` with ``mean((X_eff w - y_eff)^2) = mean((X w - y)^2) - const`` for every ``w``:
    unchanged when ``n <= L``, otherwise ``L`` pseudo-examples ``sqrt(L / n) (R, Q^T y)`` from ``X = Q R``."""
    X = np.asarray(as_array(X, "X", ndim=2, allow_complex=False), np.float64)
    y = np.asarray(as_array(y, "y", ndim=1, allow_complex=False), np.float64)
    n, L = X.shape
    if y.shape[0] != n:
        raise ValueError(f"X and y must hold the same number of examples, got {n} and {y.shape[0]}")
    if n <= L:
        return X, y
    Q, R = np.linalg.qr(X)
    f = np.sqrt(L / n)
    return f * R, f * (Q.T @ y)


def loss(p, xb, yb, aux):
    """Member loss: ``mean((xb k_rev - yb)^2) + aux["lt"] tau + aux["lw"] ||C||^2`` with ``tau`` from
    ``aux["mu"], aux["sd"] (L,)`` (the training statistics)."""
    k = kernel(p, xb.shape[-1])
    mse = jnp.mean((xb @ k[::-1] - yb) ** 2)
    return (mse + aux["lt"] * _measure.tau(k, aux["mu"], aux["sd"])
            + aux["lw"] * (jnp.sum(p["C_re"] ** 2) + jnp.sum(p["C_im"] ** 2)))


def rescale(p, xb, yb, aux):
    """Algorithm 1's rescaling ``C <- C / sqrt(tau)`` with the training statistics in ``aux`` (jnp; usable as
    ``train.fit_population(..., project=rescale, project_every=E)``).  Members with ``aux["proj"] = 0``
    (if present) are left unchanged, so "rescale once" and "rescale every epoch" train in one population."""
    t = _measure.tau(kernel(p, xb.shape[-1]), aux["mu"], aux["sd"])
    f = 1.0 / jnp.sqrt(jnp.maximum(t, 1e-300))
    if "proj" in aux:
        f = 1.0 + aux["proj"] * (f - 1.0)
    return dict(p, C_re=p["C_re"] * f, C_im=p["C_im"] * f)


def scale_to_unit_tau(p: dict, X) -> dict:
    """Eq. (8) at initialization: ``C <- C / sqrt(tau(theta_0))`` with the statistics of the inputs ``X (n, L)``."""
    X = np.asarray(as_array(X, "X", ndim=2, allow_complex=False))
    mu, sd = _measure.input_stats(X)
    out = rescale({k: jnp.asarray(v) for k, v in p.items()}, jnp.asarray(X), None, {"mu": mu, "sd": sd})
    return {k: np.asarray(v) for k, v in out.items()}


def exact_risk(k, k_star, mean, cov, noise_std: float):
    """Population risk ``E[((k - k_star) . x_rev)^2] + noise_std^2`` of the read-out ``k`` for Gaussian inputs
    with ``mean (L,)``, ``cov (L, L)`` and a teacher ``k_star`` plus independent label noise (exact)."""
    k, k_star = (np.asarray(as_array(a, nm, ndim=1, allow_complex=False)) for a, nm in ((k, "k"), (k_star, "k_star")))
    mean = np.asarray(as_array(mean, "mean", ndim=1, allow_complex=False))
    cov = np.asarray(as_array(cov, "cov", ndim=2, allow_complex=False))
    for a, nm in ((k, "k"), (k_star, "k_star"), (mean, "mean"), (cov, "cov")):
        check_finite(a, nm)
    if k_star.shape != k.shape or mean.shape != k.shape or cov.shape != 2 * k.shape:
        raise ValueError(f"k_star, mean (L,) and cov (L, L) must match k (L={k.shape[0]},), got {k_star.shape}, "
                         f"{mean.shape}, {cov.shape}")
    if not (np.isfinite(noise_std) and noise_std >= 0):
        raise ValueError(f"noise_std must be finite and >= 0, got {noise_std!r}")
    return float(_measure.second_moment(np.asarray(k) - np.asarray(k_star), mean, cov)) + float(noise_std) ** 2


# --------------------------------------------------------------------------------------------- experiments
@dataclass(frozen=True)
class Task:
    """A teacher-student regression task read out at ``T``: inputs from ``process`` (length ``L``), labels
    ``y = k_star . x_rev + noise_std * eps``; ``k_star`` normalized to unit output second moment."""

    process: object
    L: int
    dt: float
    k_star: np.ndarray = field(repr=False)
    noise_std: float

    def risk(self, k) -> float:
        """Exact population risk of a read-out kernel ``k (L,)``."""
        return exact_risk(k, self.k_star, self.process.mean(self.L), self.process.cov(self.L), self.noise_std)


def teacher_task(process, L: int, dt: float, noise_std: float = 0.5, decay: float = 2.0, freq: float = 3.0) -> Task:
    """The teacher ``k*_j = dt exp(-decay t_j) cos(freq pi t_j)``, ``t_j = j dt`` (not in the student's span),
    scaled to ``E[(k* . x_rev)^2] = 1`` under ``process``."""
    L = check_int(L, "L")
    check_positive(dt, "dt")
    check_positive(noise_std, "noise_std")
    for v, nm in ((decay, "decay"), (freq, "freq")):
        if not (isinstance(v, (int, float)) and np.isfinite(v)):
            raise ValueError(f"{nm} must be a finite number, got {v!r}")
    t = np.arange(L) * dt
    k = dt * np.exp(-decay * t) * np.cos(freq * np.pi * t)
    k = k / np.sqrt(float(_measure.second_moment(k, process.mean(L), process.cov(L))))
    return Task(process, L, float(dt), k, float(noise_std))


def draw(task: Task, n: int, seed: int, n_val: int = 256) -> dict:
    """A training set ``(X (n, L), y)`` and a validation set ``(Xv, yv)`` from ``seed``."""
    r = np.random.default_rng(check_int(seed, "seed", minimum=0))
    n, n_val = check_int(n, "n"), check_int(n_val, "n_val")
    out = {}
    for a, b, m in (("X", "y", n), ("Xv", "yv", n_val)):
        X = task.process.sample(r, m, task.L)
        out[a], out[b] = X, X @ task.k_star[::-1] + task.noise_std * r.normal(size=m)
    return out


@dataclass(frozen=True)
class Member:
    """One model to train: data, initial parameters and hyper-parameters.

    ``stats="data"``: ``tau`` with the training set's ``mu_hat, sigma_hat``; ``"flat"``: ``tau`` with the
    data-dependent weights removed (``mu = 0``, ``sigma_t`` = the input's overall RMS at every ``t``), a
    kernel-norm penalty of the same scale.  ``proj=1``: rescale ``C`` every epoch (Algorithm 1, each way)."""

    data: dict = field(repr=False)
    p0: dict = field(repr=False)
    lt: float = 0.0
    lw: float = 0.0
    stats: str = "data"
    proj: float = 0.0
    tag: tuple = ()


def _member_arrays(task: Task, m: Member):
    if m.stats not in ("data", "flat"):
        raise ValueError(f"stats must be 'data' or 'flat', got {m.stats!r}")
    L = task.L
    mu, sd = (np.asarray(v) for v in _measure.input_stats(m.data["X"]))
    if m.stats == "flat":
        mu, sd = np.zeros(L), np.full(L, np.sqrt(np.mean(sd**2 + mu**2)))
    Xe, ye = compress(m.data["X"], m.data["y"])
    return Xe, ye, {"lt": m.lt, "lw": m.lw, "mu": mu, "sd": sd, "proj": m.proj}


def _stack(lst):
    return {k: jnp.asarray(np.stack([np.asarray(d[k], np.float64) for d in lst])) for k in lst[0]}


@partial(jax.jit, static_argnames="L")
def _kernels(p, L):
    return jax.vmap(lambda q: kernel(q, L))(p)


def _results(task: Task, members: list, kern):
    res = {"test": np.array([task.risk(k) for k in kern])}
    res["train"] = np.array([np.mean((m.data["X"] @ k[::-1] - m.data["y"]) ** 2) for k, m in zip(kern, members)])
    res["val"] = np.array([np.mean((m.data["Xv"] @ k[::-1] - m.data["yv"]) ** 2) for k, m in zip(kern, members)])
    res["tau"] = np.array([float(_measure.tau(k, *_measure.input_stats(m.data["X"]))) for k, m in zip(kern, members)])
    return res


def train_groups(groups: list, steps: int, lr: float = 1e-2, project_every: int | None = None) -> list:
    """Train every member of every ``(task, members)`` group at once (full-batch Adam, ONE population of
    :func:`ssmtheory.train.fit_population`, so one compiled program for all groups of one ``L``).

    With ``project_every``, Algorithm 1's rescaling runs every ``project_every`` steps for members with
    ``proj = 1`` (a member with ``proj = 0`` is left exactly unchanged: its factor is ``1 + 0 (f - 1) = 1``).
    Returns one ``(kernels (M_g, L), losses (steps, M_g), dict of (M_g,) arrays: test (exact), train, val,
    tau)`` per group (``tau`` on the training statistics)."""
    if not groups or any(len(g) != 2 or not g[1] for g in groups):
        raise ValueError("groups must be a non-empty list of (task, non-empty members list) pairs")
    Ls = {g[0].L for g in groups}
    if len(Ls) != 1:
        raise ValueError(f"every group's task must have one length L, got {sorted(Ls)}")
    L = Ls.pop()
    steps = check_int(steps, "steps")
    check_positive(lr, "lr")
    if project_every is not None:
        project_every = check_int(project_every, "project_every")
    Xs, Ys, aux = [], [], []
    for task, members in groups:
        for m in members:
            Xe, ye, a = _member_arrays(task, m)
            Xs.append(Xe)
            Ys.append(ye)
            aux.append(a)
    shapes = {x.shape for x in Xs}
    if len(shapes) != 1:
        raise ValueError(f"all members need training sets of one shape, got {sorted(shapes)}")
    P0 = _stack([m.p0 for _, members in groups for m in members])
    kw = {} if project_every is None else {"project": rescale, "project_every": project_every}
    res = _train.fit_population(loss, P0, (jnp.asarray(np.stack(Xs)), jnp.asarray(np.stack(Ys))), steps=steps,
                                opt=_ADAM, lr=lr, aux=_stack(aux), member_data=True, **kw)
    kern = np.asarray(_kernels(res.params, L))
    out, i = [], 0
    for task, members in groups:
        j = i + len(members)
        out.append((kern[i:j], res.losses[:, i:j], _results(task, members, kern[i:j])))
        i = j
    return out


def train_population(task: Task, members: list, steps: int, lr: float = 1e-2, project_every: int | None = None):
    """:func:`train_groups` for one task: ``(kernels (M, L), losses (steps, M), dict of (M,) arrays)``."""
    if not members:
        raise ValueError("members must not be empty")
    return train_groups([(task, members)], steps, lr=lr, project_every=project_every)[0]


# --------------------------------------------------------------------------------------------- notebook 02, §4-§5
_TAU_KINDS, _WD_KINDS, _OTHER_INIT = ("tau", "flat", "every"), ("wd", "wd2"), ("wd2", "none2")


def design_members(task: Task, s: int, designs: dict, seed: int = 0, N: int = 16, n: int = 32) -> list:
    """The members of seed ``s`` for the designs ``{kind: [lambda, ...]}`` on one training set of ``n`` examples
    (data seed ``10000 seed + s``), each starting from ``N`` S4D-Lin modes scaled to ``tau = 1`` (eq. (8)).

    Kinds: ``none`` (no penalty), ``tau`` (eq. (9)), ``flat`` (``tau`` without its data dependence), ``wd`` (l2 on
    ``C``), ``every`` (eq. (9) with Algorithm 1's rescaling every epoch), and ``wd2`` / ``none2`` (as ``wd`` / ``none``
    from another initialization, seed ``+ 5000``: the placebos).  Tags ``(kind, lambda, s)``.
    """
    s, seed = check_int(s, "s", minimum=0), check_int(seed, "seed", minimum=0)
    unknown = set(designs) - {"none", "none2", "tau", "flat", "wd", "wd2", "every"}
    if unknown:
        raise ValueError(f"designs: unknown kinds {sorted(unknown)}")
    d = draw(task, check_int(n, "n"), 10_000 * seed + s)
    p0 = scale_to_unit_tau(init_params(N, task.dt, seed=10_000 * seed + s), d["X"])
    p1 = scale_to_unit_tau(init_params(N, task.dt, seed=10_000 * seed + s + 5000), d["X"])
    return [Member(d, p1 if kind in _OTHER_INIT else p0, lt=lam if kind in _TAU_KINDS else 0.0,
                   lw=lam if kind in _WD_KINDS else 0.0, stats="flat" if kind == "flat" else "data",
                   proj=1.0 if kind == "every" else 0.0, tag=(kind, lam, s))
            for kind, lams in designs.items() for lam in lams]


def tuned(members: list, res: dict, kind: str, seeds) -> np.ndarray:
    """Per seed, the member of design ``kind`` with the lowest validation loss: ``(seeds, 5)`` rows
    ``(test, lambda, train, tau, gap)`` (``res`` from :func:`train_groups`)."""
    out = []
    for s in seeds:
        idx = [i for i, m in enumerate(members) if m.tag[0] == kind and m.tag[2] == s]
        if not idx:
            raise ValueError(f"kind: no member of design {kind!r} for seed {s}")
        b = idx[int(np.argmin(res["val"][idx]))]
        out.append((res["test"][b], members[b].tag[1], res["train"][b], res["tau"][b], res["test"][b] - res["train"][b]))
    return np.array(out)


def within_lambda(members: list, res: dict, lams, kind: str = "tau") -> dict:
    """Per ``lambda`` of design ``kind``: Spearman rho between the final ``tau`` and the gap across seeds (NaN when
    either is constant), mean train and mean test risk."""
    from ssmtheory import stats as _stats

    out = {}
    for lam in lams:
        idx = [i for i, m in enumerate(members) if m.tag[:2] == (kind, lam)]
        if not idx:
            raise ValueError(f"lams: no member of design {kind!r} with lambda {lam}")
        gap = res["test"][idx] - res["train"][idx]
        out[lam] = (_stats.spearman(res["tau"][idx], gap) if np.ptp(res["tau"][idx]) > 0 and np.ptp(gap) > 0 else float("nan"),
                    float(np.mean(res["train"][idx])), float(np.mean(res["test"][idx])))
    return out


def algorithm1_comparison(members: list, res: dict):
    """Figure 2's comparison on one group with designs ``none, none2, tau, every``: the member indices per design,
    the one-sided paired permutation test of ``tau`` against ``none`` (test risk, "less"), its placebo ``none2``
    against ``none``, and per design the mean ``(train, test, tau)``."""
    from ssmtheory import stats as _stats

    pick = {k: np.array([i for i, m in enumerate(members) if m.tag[0] == k]) for k in ("none", "none2", "tau", "every")}
    if any(v.size == 0 for v in pick.values()):
        raise ValueError("members must hold the designs none, none2, tau and every")
    inf = _stats.paired_permutation(res["test"][pick["tau"]], res["test"][pick["none"]], alternative="less")
    ctrl = _stats.paired_permutation(res["test"][pick["none2"]], res["test"][pick["none"]], alternative="less")
    means = {k: (res["train"][pick[k]].mean(), res["test"][pick[k]].mean(), res["tau"][pick[k]].mean()) for k in pick}
    return pick, inf, ctrl, means
