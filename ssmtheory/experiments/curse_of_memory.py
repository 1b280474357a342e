"""The authors' Figure-1 model of StableSSM (Wang & Li, arXiv 2311.14495), exactly, as an affine LTI map.

Source [C]: github.com/radarFudan/Curse-of-memory at commit 57f8354 (``src/models/recurrent/ssm.py``,
``softplusssm.py``, ``src/models/lf_module.py``, ``src/perturb.py``, ``configs/experiment/LF/*.yaml``,
``scripts/figure_1_script/*.sh``).

**Model** (float64, linear activations)::

    z_k = U x_k + u                                    encoder Linear(1, m) with bias
    g_k = G2 (G1 z_k + g1) + g2                        g = two Linear(m, m)
    h_{k+1} = h_k + dt (g_k - P^T diag(phi(w)) P h_k)  h_0 = 0, dt = 1, P trainable, QR-orthogonal at init
    yhat_k = d . (F2 (F1 h_{k+1} + f1) + f2) + e       f = two Linear(m, m); decoder Linear(m, 1)

``panel="direct"`` ("ssm"): ``phi = ReLU`` while training, identity at evaluation (``+model.net.training=False``);
``panel="softplus"`` ("softplusssm"): ``phi = softplus``.  ``w ~ N(0, 1)``; the Linear layers use PyTorch's
default init ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weights and biases.

**Reduction** (our derivation, tested against the recurrence): with ``M = I - dt P^T diag(phi) P`` (symmetric),
``b = G2 G1 U``, ``b0 = G2 (G1 u + g1) + g2``, ``c = F1^T F2^T d``, ``c0 = d . (F2 f1 + f2) + e``::

    yhat_t = sum_{s<=t} K_s x_{t-s} + mu_t,   K_s = dt c^T M^s b,   mu_t = c0 + dt c^T sum_{s<=t} M^s b0

**Loss** [C: ``twe_MSE``]: ``(1/T) sum_t omega_t^2 (yhat_t - y_t)^2``, ``omega`` from
:func:`ssmtheory.theory.memory.time_weights`.  For white inputs ``x_k = dt N(0, 1)`` and ``y = rho * x``
(``rho_pol(t) = (1 + 0.1 t)^{-1.1}``, T = 100 [C]), its expectation is exact (tested by Monte Carlo)::

    E = (1/T) sum_t omega_t^2 (dt^2 sum_{s<=t} (K_s - rho_s)^2 + mu_t^2)

so we train on the infinite-data loss and evaluate on an infinite test set.  Powers ``M^s v`` for training come
from a doubling Krylov construction (``log2 T`` matmuls, differentiable); evaluation of perturbed models uses
``eigh`` (``M`` stays symmetric under every perturbation), which also gives long horizons cheaply.

**Training** [C: lf-ssm.yaml, base.yaml]: AdamW (lr 1e-2, weight decay 0), gradient clipping at global norm 0.5,
ReduceLROnPlateau (factor 0.1, patience 10 epochs, torch's relative threshold 1e-4).  One "epoch" is
``epoch_steps`` full-gradient steps (the authors' epoch is 250 minibatch steps of 512), one call of the package's
engine :func:`ssmtheory.train.fit_population`; the schedule and the stopping rule act between calls.  **Sequential protocol**
[C: figure_1_script]: sizes in order, each stopped at the end of the first epoch (at least 2) whose validation
loss is below the previous size's final loss (threshold 100 for the first size), at most ``max_epochs``.
**Equal budget** (our control): every size trains exactly ``budget_epochs`` epochs.

**Perturbation** [C: perturb.py]: ``w <- ReLU(w)`` (direct), then ``w <- w - beta`` (deterministic) and every
other tensor ``theta <- theta + beta z / ||z||_inf`` (``z`` Gaussian, one draw per tensor and repeat, the same
directions for every ``beta``: ``torch.manual_seed(repeat)``).  ``E_m(beta)`` = max over repeats, then running max
over ``beta``.  Ablation ``mode``\\ s: ``"authors"``; ``"recurrent"`` (only the ``w`` shift); ``"others"`` (only the
noise); ``"opnorm"`` (shift + noise rescaled to operator norm ``beta``: spectral norm for matrices, l2 for vectors).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ssmtheory.train import OptimizerSpec, fit_population
from ssmtheory.theory import memory as _memory
from ssmtheory._validate import as_array, check_choice, check_finite, check_int, check_positive

__all__ = [
    "PANELS",
    "MODES",
    "init_params",
    "lti",
    "outputs",
    "expected_loss",
    "simulate",
    "train_groups",
    "train_size",
    "train_protocols",
    "train_protocol",
    "perturb",
    "perturbation_curve",
    "diagnostics",
    "first_crossing",
    "figure1_study",
    "log_ratio_ci",
]

PANELS = ("direct", "softplus")
MODES = ("authors", "recurrent", "others", "opnorm")
_MATS = ("U", "G1", "G2", "F1", "F2", "P")


def _code(panel):
    """Panel name -> integer code (0 direct, 1 softplus); a traced code passes through (one compiled program)."""
    return PANELS.index(panel) if isinstance(panel, str) else panel


def _phi(panel, w, train):
    pc = _code(panel)
    return jnp.where(pc == 0, jax.nn.relu(w) if train else w, jax.nn.softplus(w))


def init_params(seed, m: int, m_max: int | None = None) -> dict:
    """PyTorch-default init of the Figure-1 model of hidden size ``m`` (float64 arrays; weights are ``(out, in)``).

    ``seed``: an int >= 0 or a tuple of them (``numpy.random.default_rng(seed)``; NumPy, so that building a model
    compiles nothing).  ``m_max > m`` embeds it exactly in size ``m_max`` (one compiled program for every size): zero
    rows/columns in ``U, u, G1, g1, G2, g2, F1, f1, F2, f2, d``, ``P = blockdiag(P_m, I)`` and padded ``phi = 1``
    (eigenvalue 0).  The padded coordinates never carry signal, get exactly zero gradient, and are masked out of
    perturbations.  The dict has an extra entry ``"mask"`` (``(m_max,)``, 1 on the real modes) that is never trained
    or perturbed.
    """
    seeds = (seed,) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else tuple(seed) \
        if isinstance(seed, (tuple, list)) else None
    if not seeds or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0 for x in seeds):
        raise ValueError(f"seed must be an int >= 0 or a tuple of them, got {seed!r}")
    m = check_int(m, "m")
    mm = m if m_max is None else check_int(m_max, "m_max")
    if mm < m:
        raise ValueError(f"m_max must be >= m, got m_max={mm}, m={m}")
    rng = np.random.default_rng([int(x) for x in seeds])

    def lin(n_in, n_out):
        a = 1.0 / np.sqrt(n_in)
        return rng.uniform(-a, a, (n_out, n_in)), rng.uniform(-a, a, n_out)

    U, u = lin(1, m)
    G1, g1 = lin(m, m)
    G2, g2 = lin(m, m)
    F1, f1 = lin(m, m)
    F2, f2 = lin(m, m)
    d, e = lin(m, 1)
    P, _ = np.linalg.qr(rng.normal(size=(m, m)))
    w = rng.normal(size=m)
    pad = mm - m
    z2 = lambda a: np.pad(a, ((0, pad), (0, pad)))
    z1 = lambda a: np.pad(a, (0, pad))
    P = z2(P) + np.diag(np.r_[np.zeros(m), np.ones(pad)])
    w = np.r_[w, np.zeros(pad)]  # irrelevant: lti() sets phi = 1 on padded modes
    out = dict(U=np.pad(U, ((0, pad), (0, 0))), u=z1(u), G1=z2(G1), g1=z1(g1), G2=z2(G2), g2=z1(g2), P=P, w=w,
               F1=z2(F1), f1=z1(f1), F2=z2(F2), f2=z1(f2), d=z1(d[0]), e=e[0], mask=z1(np.ones(m)))
    return {k: jnp.asarray(v, jnp.float64) for k, v in out.items()}


def _lti(p, panel, train, dt=1.0, phi=None):
    """``(M, b, b0, c, c0)`` of the reduction in the module docstring (``phi`` overrides ``phi(w)``).
    Padded modes (``p["mask"] == 0``) get ``phi = 1``."""
    ph = _phi(panel, p["w"], train) if phi is None else phi
    if "mask" in p:
        ph = jnp.where(p["mask"] > 0, ph, 1.0)
    m = p["w"].shape[-1]
    M = jnp.eye(m) - dt * (p["P"].T * ph) @ p["P"]
    b = p["G2"] @ (p["G1"] @ p["U"][:, 0])
    b0 = p["G2"] @ (p["G1"] @ p["u"] + p["g1"]) + p["g2"]
    c = p["F1"].T @ (p["F2"].T @ p["d"])
    c0 = p["d"] @ (p["F2"] @ p["f1"] + p["f2"]) + p["e"]
    return M, b, b0, c, c0


def _krylov(M, V0, T):
    """``[M^s V0]_{s<T}`` (``(T, m, k)``) by doubling: ``ceil(log2 T)`` squarings, differentiable."""
    blocks, Pw, n = V0[None], M, 1
    while n < T:
        blocks = jnp.concatenate([blocks, jnp.einsum("ij,sjk->sik", Pw, blocks)], 0)
        Pw, n = Pw @ Pw, 2 * n
    return blocks[:T]


def _outputs(p, panel, T, train=True, dt=1.0):
    """Kernel ``K (T,)`` and mean ``mu (T,)`` of the model (Krylov; for training and moderate ``T``)."""
    M, b, b0, c, c0 = _lti(p, panel, train, dt)
    V = _krylov(M, jnp.stack([b, b0], -1), T)
    cv = jnp.einsum("m,tmk->tk", c, V)
    return dt * cv[:, 0], c0 + dt * jnp.cumsum(cv[:, 1])


def _loss_from(K, mu, rho, dt):
    T = rho.shape[-1]
    w2 = jnp.asarray(_memory.time_weights(T)) ** 2
    Et = dt**2 * jnp.cumsum((K - rho) ** 2, -1) + mu**2
    return jnp.mean(w2 * Et, -1)


def _expected_loss(p, panel, rho, train=True, dt=1.0):
    """Exact expected authors' loss for inputs ``x_k = dt N(0,1)`` and target kernel ``rho (T,)``."""
    rho = jnp.asarray(rho)
    K, mu = _outputs(p, panel, rho.shape[-1], train, dt)
    return _loss_from(K, mu, rho, dt)


_PKEYS = ("U", "u", "G1", "g1", "G2", "g2", "P", "w", "F1", "f1", "F2", "f2", "d", "e")


def _check_params(p):
    if not isinstance(p, dict) or any(k not in p for k in _PKEYS):
        raise ValueError(f"p must be a parameter dict of init_params (keys {_PKEYS})")


def lti(p: dict, panel: str, train: bool, dt: float = 1.0, phi=None):
    """``(M, b, b0, c, c0)`` of the reduction in the module docstring (``phi`` overrides ``phi(w)``).
    Padded modes (``p["mask"] == 0``) get ``phi = 1``."""
    _check_params(p)
    check_choice(panel, "panel", PANELS)
    check_positive(dt, "dt")
    if phi is not None:
        phi = as_array(phi, "phi", ndim=1, allow_complex=False)
    return _lti(p, panel, train, dt, phi)


def outputs(p: dict, panel: str, T: int, train: bool = True, dt: float = 1.0):
    """Kernel ``K (T,)`` and mean ``mu (T,)`` of the model (Krylov; for training and moderate ``T``)."""
    _check_params(p)
    check_choice(panel, "panel", PANELS)
    check_positive(dt, "dt")
    return _outputs(p, panel, check_int(T, "T"), train, dt)


def expected_loss(p: dict, panel: str, rho, train: bool = True, dt: float = 1.0):
    """Exact expected authors' loss for inputs ``x_k = dt N(0,1)`` and target kernel ``rho (T,)``."""
    _check_params(p)
    check_choice(panel, "panel", PANELS)
    check_positive(dt, "dt")
    rho = as_array(rho, "rho", ndim=1, allow_complex=False)
    if rho.shape[0] < 1:
        raise ValueError("rho must be non-empty")
    return _expected_loss(p, panel, rho, train, dt)



def simulate(p: dict, panel: str, x, train: bool = True, dt: float = 1.0) -> np.ndarray:
    """Oracle: run the authors' forward pass literally (layer by layer, Euler loop) on ``x (n, T)``; NumPy."""
    _check_params(p)
    check_choice(panel, "panel", PANELS)
    check_positive(dt, "dt")
    x = np.asarray(as_array(x, "x", ndim=2, allow_complex=False), np.float64)
    p = {k: np.asarray(v, np.float64) for k, v in p.items()}
    ph = np.maximum(p["w"], 0) if (panel == "direct" and train) else (p["w"] if panel == "direct" else np.logaddexp(0, p["w"]))
    if "mask" in p:
        ph = np.where(p["mask"] > 0, ph, 1.0)
    z = x[..., None] * p["U"][:, 0] + p["u"]
    g = (z @ p["G1"].T + p["g1"]) @ p["G2"].T + p["g2"]
    h = np.zeros((x.shape[0], p["w"].size))
    hs = []
    for i in range(x.shape[1]):
        h = h + dt * (g[:, i] - ((h @ p["P"].T) * ph) @ p["P"])
        hs.append(h)
    H = np.stack(hs, 1)
    o = (H @ p["F1"].T + p["f1"]) @ p["F2"].T + p["f2"]
    return o @ p["d"] + p["e"]


# ------------------------------------------------------------------------------------------- training


def _train_loss(p, aux):
    """The engine's ``loss_fn(params, aux)``: the exact expected loss (training ``phi``) of one member;
    ``aux["panel"]`` is the traced panel code, so both panels share one compiled program."""
    return _expected_loss(p, aux["panel"], aux["rho"], True)


_val_loss = jax.jit(jax.vmap(_train_loss))


def _plateau(state, val, active, patience, factor, threshold=1e-4):
    """One epoch of torch's ``ReduceLROnPlateau(mode="min", threshold_mode="rel")`` for the ``active`` members
    (NumPy, in place): ``best``, ``bad`` epochs and the per-member ``lr``."""
    improved = val < state["best"] * (1 - threshold)
    state["best"] = np.where(active & improved, val, state["best"])
    bad = np.where(active, np.where(improved, 0, state["bad"] + 1), state["bad"])
    cut = active & (bad > patience)
    state["lr"] = np.where(cut, state["lr"] * factor, state["lr"])
    state["bad"] = np.where(cut, 0, bad)


def _train_members(pcode, params, rho, threshold, max_epochs, lr, epoch_steps, min_epochs, clip=0.5, patience=10,
                   factor=0.1):
    """The authors' schedule on the engine: each epoch is one :func:`ssmtheory.train.fit_population` call of
    ``epoch_steps`` full-gradient steps (AdamW with weight decay 0 = Adam, global-norm clip ``clip``; the optimizer
    state carries over), then the validation loss, ReduceLROnPlateau and the stopping rule in NumPy.  Every call
    has the same shapes and spec, so the engine compiles once.

    Member ``i`` stops (is frozen) at the end of the first epoch ``>= min_epochs`` with loss ``< threshold[i]``, or
    after ``max_epochs[i]`` (``threshold=-inf``: train exactly ``max_epochs``); a member whose step turns non-finite
    is frozen at its last finite parameters (the engine's guard).  Returns ``(params, final_loss, epochs_used)``.
    """
    M = len(pcode)
    aux = {"panel": jnp.asarray(pcode), "rho": jnp.broadcast_to(jnp.asarray(rho, jnp.float64), (M, len(rho)))}
    spec = OptimizerSpec(name="adam", lr=lr, clip=clip)
    plateau = {"best": np.full(M, np.inf), "bad": np.zeros(M, int), "lr": np.full(M, float(lr))}
    epochs, done = np.zeros(M, int), np.zeros(M, bool)
    last = np.asarray(_val_loss(params, aux))
    opt_state = None
    while not done.all():
        res = fit_population(_train_loss, params, steps=epoch_steps, opt=spec, lr=plateau["lr"], aux=aux,
                             opt_state=opt_state, frozen=done)
        params, opt_state = res.params, res.opt_state
        val = np.asarray(_val_loss(params, aux))
        active = ~done
        _plateau(plateau, val, active, patience, factor)
        epochs = np.where(active, epochs + 1, epochs)
        last = np.where(active, val, last)
        stop = ((epochs >= min_epochs) & (val < threshold)) | (epochs >= max_epochs) | res.diverged
        done = done | (active & stop)
    return params, last, epochs


def _init_stack(m, seeds, seed_offset, m_max):
    ps = [init_params((int(s) + seed_offset, m), m, max(m, m_max)) for s in seeds]
    return {k: jnp.stack([p[k] for p in ps]) for k in ps[0]}


def train_groups(groups, m: int, rho, seeds, *, lr: float = 1e-2, epoch_steps: int = 50, min_epochs: int = 2,
                 seed_offset: int = 0, m_max: int = 64):
    """Train one size for several ``(panel, thresholds (n_seeds,), max_epochs)`` groups and seeds in one vmapped call.

    Every size is embedded in ``m_max`` (see :func:`init_params`); the init depends on ``(seed + seed_offset, m)``
    only (the same init for every group).  Returns per group ``(params stacked over seeds, final_loss, epochs)``.
    """
    m, m_max = check_int(m, "m"), check_int(m_max, "m_max")
    epoch_steps, min_epochs = check_int(epoch_steps, "epoch_steps"), check_int(min_epochs, "min_epochs")
    seed_offset = check_int(seed_offset, "seed_offset", minimum=0)
    check_positive(lr, "lr")
    seeds = [check_int(s, "seeds", minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must be a non-empty sequence")
    rho = as_array(rho, "rho", ndim=1, allow_complex=False)
    check_finite(rho, "rho")
    p0 = _init_stack(m, seeds, seed_offset, m_max)
    n, G = len(seeds), len(groups)
    codes, thr, mx = [], [], []
    for panel, th, me in groups:
        check_choice(panel, "groups panel", PANELS)
        codes += [PANELS.index(panel)] * n
        thr.append(np.full(n, -np.inf) if th is None else np.asarray(th, np.float64).reshape(n))
        mx += [check_int(me, "max_epochs")] * n
    params = jax.tree_util.tree_map(lambda a: jnp.concatenate([a] * G), p0)
    p, fl, ep = _train_members(np.asarray(codes), params, np.asarray(rho, np.float64), np.concatenate(thr),
                               np.asarray(mx), lr, epoch_steps, min_epochs)
    fl, ep = np.asarray(fl), np.asarray(ep)
    return [(jax.tree_util.tree_map(lambda a: a[g * n:(g + 1) * n], p), fl[g * n:(g + 1) * n], ep[g * n:(g + 1) * n])
            for g in range(G)]


def train_size(panel: str, m: int, rho, seeds, thresholds=None, lr: float = 1e-2, epoch_steps: int = 50,
               max_epochs: int = 40, min_epochs: int = 2, seed_offset: int = 0, m_max: int = 64):
    """Train one size for several seeds at once (embedded in ``m_max``, see :func:`init_params`).
    ``thresholds (len(seeds),)``: stopping levels (``None``: exactly ``max_epochs``).  The init depends on
    ``(seed + seed_offset, m)`` only.  Returns ``(params stacked over seeds, final_loss, epochs)``."""
    check_choice(panel, "panel", PANELS)
    return train_groups([(panel, thresholds, max_epochs)], m, rho, seeds, lr=lr, epoch_steps=epoch_steps,
                        min_epochs=min_epochs, seed_offset=seed_offset, m_max=m_max)[0]


def train_protocols(runs, sizes, rho, seeds, **kw) -> dict:
    """Train every size for every seed for each ``(panel, protocol, max_epochs)`` in ``runs``, all in one vmapped
    call per size.  ``protocol`` in ``("sequential", "equal")`` (module docstring).

    Returns ``{(panel, protocol): {"params": [stacked per size], "loss": (S, n_seeds), "epochs": (S, n_seeds),
    "reached": (S, n_seeds)}}``; ``reached``: the size beat its stopping threshold (always True for ``"equal"``).
    """
    for panel, prot, _ in runs:
        check_choice(panel, "runs panel", PANELS)
        check_choice(prot, "runs protocol", ("sequential", "equal"))
    if not sizes:
        raise ValueError("sizes must be a non-empty sequence")
    thr = {(pa, pr): np.full(len(seeds), 100.0) for pa, pr, _ in runs}  # [C] metric_value=("100") for the first size
    out = {(pa, pr): {"params": [], "loss": [], "epochs": [], "reached": []} for pa, pr, _ in runs}
    for m in sizes:
        groups = [(pa, thr[(pa, pr)] if pr == "sequential" else None, me) for pa, pr, me in runs]
        res = train_groups(groups, m, rho, seeds, **kw)
        for (pa, pr, _), (p, fl, ep) in zip(runs, res):
            o = out[(pa, pr)]
            o["params"].append(p)
            o["loss"].append(fl)
            o["epochs"].append(ep)
            o["reached"].append(fl < thr[(pa, pr)] if pr == "sequential" else np.ones(len(seeds), bool))
            thr[(pa, pr)] = fl
    for o in out.values():
        for k in ("loss", "epochs", "reached"):
            o[k] = np.asarray(o[k])
    return out


def train_protocol(panel: str, sizes, rho, seeds, protocol: str = "sequential", max_epochs: int = 40, **kw) -> dict:
    """Train every size for every seed of one panel under ``protocol`` (see :func:`train_protocols`)."""
    return train_protocols([(panel, protocol, max_epochs)], sizes, rho, seeds, **kw)[(panel, protocol)]


# ------------------------------------------------------------------------------------------- perturbation


def _noise_dirs(key, p, opnorm):
    """Noise directions per tensor with ``||.||_inf = 1`` (or, where the traced flag ``opnorm`` is set, operator
    norm 1: spectral norm for matrices, l2 for vectors), supported on the real modes."""
    mk = p["mask"]
    out = {}
    names = [k for k in sorted(p) if k not in ("w", "mask")]
    for k, name in zip(jax.random.split(key, len(names)), names):
        v = p[name]
        z = jax.random.normal(k, v.shape, v.dtype)
        if v.ndim == 2:
            z = z * mk[:, None] * (mk[None, :] if v.shape[1] == mk.size else 1.0)
        elif v.ndim == 1:
            z = z * mk
        if v.ndim == 0:
            n_op = jnp.abs(z)
        elif v.ndim == 2:
            n_op = jnp.linalg.norm(z, 2)
        else:
            n_op = jnp.linalg.norm(z)
        out[name] = z / jnp.where(opnorm, n_op, jnp.max(jnp.abs(z)))
    return out


def _perturb(p, pc, beta, dirs, shift, noise):
    q = {k: (v + noise * beta * dirs[k] if k in dirs else v) for k, v in p.items()}
    sb = shift * beta * p["mask"]
    phi = jnp.where(pc == 0, jax.nn.relu(p["w"]) - sb, jax.nn.softplus(p["w"] - sb))
    return q, phi


def perturb(p: dict, panel: str, beta, key, mode: str = "authors"):
    """One perturbed copy of ``p`` (single model, with ``"mask"``) and its evaluation-time ``phi`` (module docstring)."""
    _check_params(p)
    if "mask" not in p:
        raise ValueError("p must carry its 'mask' (init_params)")
    check_choice(panel, "panel", PANELS)
    beta = float(beta)
    if not np.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be finite and >= 0, got {beta}")
    check_choice(mode, "mode", MODES)
    shift, noise, opnorm = float(mode != "others"), float(mode != "recurrent"), mode == "opnorm"
    return _perturb(p, PANELS.index(panel), beta, _noise_dirs(key, p, opnorm), shift, noise)


def _eig_loss(q, phi, pc, rho, dt):
    """Exact expected loss at horizon ``T = rho.size`` via ``eigh`` of the symmetric ``M``; also ``max |lambda|``."""
    M, b, b0, c, c0 = _lti(q, pc, False, dt, phi=phi)
    lam, V = jnp.linalg.eigh(0.5 * (M + M.T))
    cv = c @ V
    al, ga = cv * (V.T @ b), cv * (V.T @ b0)
    T = rho.shape[-1]
    s = jnp.arange(T, dtype=lam.dtype)
    pw = jnp.abs(lam)[:, None] ** s * jnp.where((lam[:, None] < 0) & (s % 2 == 1), -1.0, 1.0)
    K = dt * (al @ pw)
    mu = c0 + dt * (ga @ jnp.cumsum(pw, -1))
    L = _loss_from(K, mu, rho, dt)
    return jnp.where(jnp.isnan(L), jnp.inf, L), jnp.max(jnp.abs(lam))


@partial(jax.jit, static_argnames=("n_repeats", "dt"))
def _curve(pc, p, rho, betas, flags, n_repeats, seed, dt=1.0):
    """``flags = (shift, noise, opnorm)`` traced: one compiled program per horizon for every panel and mode."""
    keys = jax.random.split(jax.random.PRNGKey(seed), n_repeats)  # the same directions for every beta [C]
    dirs = jax.vmap(lambda k: _noise_dirs(k, p, flags[2] > 0))(keys)

    def rep(beta, d):
        q, phi = _perturb(p, pc, beta, d, flags[0], flags[1])
        return _eig_loss(q, phi, pc, rho, dt)

    # one batched eigh over every (beta, repeat): much faster on CPU than a loop over beta
    L, r = jax.vmap(lambda b: jax.vmap(lambda d: rep(b, d))(dirs))(betas)
    return jnp.max(L, -1), jnp.max(r, -1)


def perturbation_curve(params, panel: str, rho, betas, n_repeats: int = 30, mode: str = "authors", *, seed: int):
    """``E(beta)`` (max over repeats, running max over ``beta``) and the worst spectral radius ``max|lambda(M~)|``.

    ``params``: one model or a stack (leading axis), with ``"mask"`` (:func:`init_params`); ``rho (T,)`` sets the
    horizon (``T = 100`` is the authors'; longer ``rho`` gives the long-horizon loss with the weights of that
    horizon).  ``seed`` fixes the noise directions (``torch.manual_seed(repeat)`` in the authors' code).  Returns
    NumPy arrays ``(..., len(betas))`` ``E`` and ``radius``.
    """
    check_choice(panel, "panel", PANELS)
    check_choice(mode, "mode", MODES)
    betas = as_array(betas, "betas", ndim=1, allow_complex=False)
    check_finite(betas, "betas")
    if np.any(np.diff(betas) < 0) or np.any(betas < 0):
        raise ValueError("betas must be a 1-D non-decreasing array of non-negative values")
    n_repeats = check_int(n_repeats, "n_repeats")
    seed = check_int(seed, "seed", minimum=0)
    rho = as_array(rho, "rho", ndim=1, allow_complex=False)
    check_finite(rho, "rho")
    rho, bj = jnp.asarray(rho, jnp.float64), jnp.asarray(betas, jnp.float64)
    flags = jnp.asarray([float(mode != "others"), float(mode != "recurrent"), float(mode == "opnorm")])
    f = lambda p: _curve(PANELS.index(panel), p, rho, bj, flags, n_repeats, seed)
    if params["w"].ndim == 2:  # a Python loop over models reuses one compiled _curve
        res = [f({k: v[i] for k, v in params.items()}) for i in range(params["w"].shape[0])]
        E, R = np.stack([np.asarray(a) for a, _ in res]), np.stack([np.asarray(b) for _, b in res])
    else:
        E, R = f(params)
    E = np.maximum.accumulate(np.asarray(E, np.float64), axis=-1)
    return E, np.asarray(R, np.float64)


def _real_or_inf(x, name):
    """A real array that may hold +-inf (blow-up, censoring) but no NaN."""
    if x is None:
        raise ValueError(f"{name} must be an array, got None")
    v = np.asarray(x)
    if v.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a real numeric array, got dtype {v.dtype}")
    v = v.astype(np.float64)
    if np.any(np.isnan(v)):
        raise ValueError(f"{name} contains NaN")
    return v


def first_crossing(betas, values, level: float, strict: bool = False) -> np.ndarray:
    """First ``beta`` with ``values >= level`` (``> level`` if ``strict``) along the last axis; ``inf`` if never (censored)."""
    betas = np.asarray(as_array(betas, "betas", ndim=1, allow_complex=False), np.float64)
    v = _real_or_inf(values, "values")
    if v.ndim < 1 or v.shape[-1] != betas.size or np.any(np.isnan(v)):
        raise ValueError(f"values must be (..., {betas.size}) without NaN, got shape {v.shape}")
    check_finite(level, "level")
    hit = (v > level) if strict else (v >= level)
    return np.where(hit.any(-1), betas[np.argmax(hit, -1)], np.inf)


def diagnostics(params, panel: str, curve=None, dt: float = 1.0) -> dict:
    """Per model (stacked params): ``margin`` = ``min_i phi_i`` over the non-integrator modes (the authors'
    ``stability_margin``), ``spectral_margin = 1 - max|lambda(M)|``, ``integrators`` = number of modes with
    ``phi_i = 0`` (direct: ``w_i <= 0``), ``theta_inf`` = ``max |theta|`` over every tensor, and ``E0`` (the loss at
    ``beta = 0``) taken from ``curve = (E, radius)`` of :func:`perturbation_curve` with ``betas[0] == 0`` (NaN if
    ``curve`` is None)."""
    check_choice(panel, "panel", PANELS)
    check_positive(dt, "dt")
    w = np.asarray(params["w"], np.float64)
    mk = np.asarray(params["mask"]) > 0
    phi = np.maximum(w, 0) if panel == "direct" else np.logaddexp(0, w)
    ph_eval = np.where(mk, phi, 1.0)  # perturb.py evaluates ReLU(w) for direct
    P = np.asarray(params["P"], np.float64)
    M = np.eye(w.shape[-1]) - dt * np.einsum("...ji,...j,...jk->...ik", P, ph_eval, P)
    radius = np.abs(np.linalg.eigvalsh(0.5 * (M + np.swapaxes(M, -1, -2)))).max(-1)
    ints = ((phi <= 0) & mk).sum(-1)
    margin = np.where((phi > 0) & mk, phi, np.inf).min(-1)
    th = []
    for k, v in params.items():
        if k == "mask":
            continue
        v = np.abs(np.asarray(v, np.float64))
        if k == "w":
            v = np.where(mk, phi if panel == "direct" else v, 0.0)
        elif k == "P":
            v = v * mk[..., :, None] * mk[..., None, :]
        th.append(v.reshape(v.shape[0], -1).max(-1))
    E0 = np.full(w.shape[0], np.nan) if curve is None else np.asarray(curve[0])[..., 0]
    return {"E0": E0, "margin": margin, "spectral_margin": 1.0 - radius, "integrators": ints,
            "theta_inf": np.max(np.stack(th), 0)}


def figure1_study(rho, sizes, seeds, betas, n_repeats: int, long_rho=None, level: float = 1e3,
                  protocols=("sequential", "equal"), modes=MODES, budget_epochs: int = 20, *, perturb_seed: int,
                  long_repeats: int | None = None, max_epochs: int = 40, **train_kw) -> dict:
    """Train both panels under both protocols (one vmapped call per size), then perturb (every ablation ``mode`` on
    the sequential models, the authors' mode on the equal-budget models) and evaluate the long horizon ``long_rho``
    (authors' mode, with ``long_repeats`` repeats, default ``n_repeats``).  ``betas[0]`` must be 0.

    Returns ``res[panel][protocol]`` dicts with ``train`` (:func:`train_protocols`), ``E[mode] (S, n_seeds, n_beta)``,
    ``bstar[mode] (S, n_seeds)`` (first ``beta`` with ``E >= level``; ``inf`` = censored), ``diag`` (per size, the
    :func:`diagnostics` dict), and for the sequential protocol ``E_long``, ``bstar_long`` (level ``level`` at the long
    horizon) and ``bstar_inf`` (first ``beta`` whose worst spectral radius exceeds ``1 + 1e-9``).
    """
    betas = as_array(betas, "betas", ndim=1, allow_complex=False)
    if betas.size == 0 or betas[0] != 0:
        raise ValueError("betas must start at 0 (the unperturbed loss E0)")
    check_positive(level, "level")
    n_repeats, budget_epochs = check_int(n_repeats, "n_repeats"), check_int(budget_epochs, "budget_epochs")
    max_epochs, perturb_seed = check_int(max_epochs, "max_epochs"), check_int(perturb_seed, "perturb_seed", minimum=0)
    if long_repeats is not None:
        long_repeats = check_int(long_repeats, "long_repeats")
    rho = as_array(rho, "rho", ndim=1, allow_complex=False)
    if long_rho is not None:
        long_rho = as_array(long_rho, "long_rho", ndim=1, allow_complex=False)
    if isinstance(protocols, str) or not protocols:
        raise ValueError("protocols must be a non-empty tuple of 'sequential'/'equal'")
    for prot in protocols:
        check_choice(prot, "protocols", ("sequential", "equal"))
    for mode in modes:
        check_choice(mode, "modes", MODES)
    runs = [(pa, pr, max_epochs if pr == "sequential" else budget_epochs) for pa in PANELS for pr in protocols]
    trained = train_protocols(runs, sizes, rho, seeds, **train_kw)
    res = {}
    for panel in PANELS:
        res[panel] = {}
        for prot in protocols:
            tr = trained[(panel, prot)]
            r = {"train": tr, "E": {}, "bstar": {}}
            curves = {}
            for mode in (modes if prot == "sequential" else ("authors",)):
                curves[mode] = [perturbation_curve(p, panel, rho, betas, n_repeats, mode, seed=perturb_seed)
                                for p in tr["params"]]
                E = np.stack([c[0] for c in curves[mode]])
                r["E"][mode], r["bstar"][mode] = E, first_crossing(betas, E, level)
            r["diag"] = [diagnostics(p, panel, c) for p, c in zip(tr["params"], curves["authors"])]
            if prot == "sequential" and long_rho is not None:
                out = [perturbation_curve(p, panel, long_rho, betas, long_repeats or n_repeats, "authors",
                                          seed=perturb_seed) for p in tr["params"]]
                r["E_long"] = np.stack([o[0] for o in out])
                r["bstar_long"] = first_crossing(betas, r["E_long"], level)
                r["bstar_inf"] = first_crossing(betas, np.stack([o[1] for o in out]), 1 + 1e-9, strict=True)
            res[panel][prot] = r
    return res


def log_ratio_ci(num, den, alternative: str, level: float = 0.95, *, seed: int):
    """Bootstrap CI (over paired seeds) of the geometric-mean ratio ``num/den``: ``(Inference on log ratio, ratio end)``.

    The end that matters: the upper end for ``alternative="less"`` (claims "ratio <= x"), the lower end for
    ``"greater"``.  A censored (infinite) or zero value gives a non-finite log ratio and a non-finite end (the
    claim cannot pass on it).
    """
    from ssmtheory import stats as _stats

    check_choice(alternative, "alternative", ("less", "greater"))
    seed = check_int(seed, "seed", minimum=0)
    num, den = _real_or_inf(num, "num"), _real_or_inf(den, "den")
    if num.ndim != 1 or num.shape != den.shape or num.size < 2:
        raise ValueError(f"num and den must be 1-D of equal length >= 2, got {num.shape} and {den.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = np.log(num / den)
    if not np.all(np.isfinite(lr)):
        return None, float("nan")
    inf = _stats.bootstrap_mean(lr, alternative=alternative, level=level, seed=seed)
    return inf, float(np.exp(inf.end()))
