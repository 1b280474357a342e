"""The authors' S4 model of StableSSM's Figure 1 (Wang & Li, arXiv 2311.14495), trained by Monte Carlo.

Source [C]: github.com/radarFudan/Curse-of-memory at commit 57f8354: ``src/models/recurrent/s4.py`` (a copy of the
state-spaces standalone S4), ``configs/model/s4.yaml``, ``configs/experiment/LF/lf-s4.yaml`` and ``base.yaml``,
``scripts/figure_1_script/lf_linear_s4_pol.sh``, ``src/perturb.py``, ``src/models/lf_module.py``,
``src/utils/temporally_weighted_error.py``.  Paper note: ``docs/papers/stablessm-2023.md``.

**Model** (float64; ``H = m`` channels, ``N`` = ``d_state`` = 64 [C: SSMKernel default], ``N2 = N/2`` conjugate
pairs, ``n_ssm = H`` independent copies)::

    z_k = U x_k + u                                        encoder Linear(1, H)
    y_k = sum_{l<=k} K_l z_{k-l} + D z_k                   FFTConv, kernel SSMKernelDPLR (per channel)
    g_k = GELU(y_k)                                        FFTConv's DEFAULT activation="gelu" [s4.py 1834, 1937]
    o_k = W g_k + b                                        S4Block output_linear, activation "linear" (identity)
    yhat_k = d . o_k + e                                   decoder Linear(H, 1)

``S4Block(activation="linear")`` only sets the output layer; the inner ``FFTConv`` keeps its default GELU, so the
model is **not** LTI and is trained by Monte Carlo (no closed-form loss).

**Kernel** (per channel; [C] ``SSMKernelDPLR.forward``, ``_setup_C``, ``nplr``).  Continuous
``A = diag(Lam) - p p^*`` on the conjugate-augmented basis (``Lam``, ``p``, ``B``, ``C`` and their conjugates,
size ``N``), ``Lam = -exp(A_real) - i A_imag`` (``real_transform="exp"``, ``imag_transform="none"``),
``dt = exp(inv_dt)``.  Bilinear discretization ``Ab = (I - dt A/2)^{-1}(I + dt A/2)``,
``Bb = (I - dt A/2)^{-1} dt B``.  The stored ``C`` is the truncated-generating-function ``C~``; the kernel is::

    K_l = Re C~^T (I - Ab^L)^{-1} Ab^l Bb,      l = 0..L-1   (L = T = 100; C^T without conjugation, as in [C])

computed as the authors do: Cauchy sums over the ``N`` poles, the rank-1 Woodbury correction, the bilinear factor
and an inverse real FFT at the ``L/2+1`` roots of unity ``omega_j``.  We write the resolvent with
``rho_xy(omega) = sum_n x_n y_n dt / (2(1-omega) - dt lam_n (1+omega))`` (the authors'
``r_xy = (1+omega) rho_xy``; identical, and finite at ``omega = -1``)::

    K^(omega) = 2 rho_BC - 2 (1+omega) rho_BQ rho_PC / (1 + (1+omega) rho_PQ),   Q = conj(p)

Initialization [C: ``configs/model/s4.yaml`` ``deterministic: True``, ``init="legs"``]: ``(Lam, p, B, V)`` from
``nplr("legs", N)`` (diagonalized HiPPO-LegS, ``Re Lam = -1/2``, ``Im B`` clipped to [-2, 2]);
``C = V^* e_1``; ``inv_dt = exp(linspace(log 1e-3, log 1e-1, H))`` with the ``exp`` transform, so
``dt = exp(inv_dt)`` lies in ``[e^0.001, e^0.1]`` (the deterministic branch of ``init_dt`` stores ``dt``, not
``log dt``: an upstream quirk, kept); ``C~ = (I - Ab^L)^T C`` at the first forward (``_setup_C``, ``L = 100``).
``D ~ N(0, 1)``; the Linear layers use PyTorch's default ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.  Eigenvector
phases come from NumPy's ``eigh`` (LAPACK zheevd; torch's may differ per eigenvector by a phase, which changes the
initial ``C`` only).

**Loss** [C: ``twe_MSE``]: ``(1/T) sum_t omega_t^2 (yhat_t - y_t)^2`` (mean over the batch too), ``omega`` from
:func:`ssmtheory.theory.memory.time_weights`; data ``x_k ~ N(0,1)``, ``y = rho * x``, ``T = 100``.

**Training** [C: base.yaml, lf-s4.yaml] through :func:`ssmtheory.train.fit_population`: AdamW (lr 1e-2, wd 0),
global-norm clip 0.5, ReduceLROnPlateau (factor 0.1, patience 10 epochs, relative threshold 1e-4) on a fixed
validation batch.  One "epoch" is one pass over a fixed training set of ``epoch_steps * batch_size`` sequences
(the authors': 250 steps of 512).  Sizes are trained in order; **sequential** members stop at the end of the first
epoch (at least 2) whose validation loss is below the same seed's previous size's final loss (100 for the first
size) or at ``max_epochs``; **equal**-budget members train exactly ``budget_epochs`` epochs (our control).  Every
size is embedded exactly in ``m_max`` channels (zero rows/columns; padded channels carry no signal and get zero
gradient), so one compiled program serves every size.

**Perturbation** [C: perturb.py]: no S4 parameter name contains ``"W"`` and ``perturb_weight_initialization`` is a
no-op for S4, so **every** tensor ``theta`` (``A_real, A_imag, inv_dt, B, P, C`` stored as real pairs, ``D``, the
Linear layers) gets ``theta + beta z / ||z||_inf`` with ``z`` Gaussian (one draw per tensor and repeat, the same
directions for every ``beta``) and there is no deterministic shift; ``E_m(beta)`` is the max over repeats, then the
running max over ``beta``.  ``E`` is the loss on one fixed Monte Carlo evaluation batch (the same inputs for every
``beta`` and repeat; the authors' test set has 12,800 sequences).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ssmtheory import train as _train
from ssmtheory.theory import memory as _memory
from ssmtheory._validate import as_array, check_finite, check_int, check_positive

__all__ = [
    "PKEYS",
    "hippo_legs",
    "init_params",
    "kernel",
    "forward",
    "loss",
    "simulate",
    "train_sizes",
    "perturbation_curve",
    "s4_study",
]

PKEYS = ("U", "u", "A_real", "A_imag", "inv_dt", "B", "P", "C", "D", "W", "b", "d", "e")
_COMPLEX = ("B", "P", "C")


def hippo_legs(N: int = 64):
    """``(Lam, p, B, V)`` of the authors' ``nplr("legs", N, B_clip=2.0)`` (NumPy, complex128, ``N/2`` each;
    ``V`` is ``(N, N/2)``): ``A_legs + p p^T`` is ``-1/2 I`` plus a skew-symmetric matrix, diagonalized with
    ``eigh``; the half with negative imaginary part is kept; ``B = V^* b_legs`` with ``Im B`` clipped to [-2, 2]."""
    N = check_int(N, "N", minimum=2)
    if N % 2:
        raise ValueError(f"N must be even, got {N}")
    q = np.arange(N, dtype=np.float64)
    col, row = np.meshgrid(q, q)
    r = 2 * q + 1
    Mm = -(np.where(row >= col, r, 0) - np.diag(q))
    Tm = np.sqrt(np.diag(2 * q + 1))
    A = Tm @ Mm @ np.linalg.inv(Tm)
    b = np.diag(Tm).copy()
    p = np.sqrt(0.5 + q)
    AP = A + np.outer(p, p)
    w_re = np.mean(np.diag(AP))
    w_im, V = np.linalg.eigh(AP * -1j)
    W = w_re + 1j * w_im
    idx = np.argsort(W.imag, kind="stable")
    W, V = W[idx][: N // 2], V[:, idx][:, : N // 2]
    Vh = V.conj().T
    B = Vh @ b.astype(complex)
    B = B.real + 1j * np.clip(B.imag, -2.0, 2.0)
    return W, Vh @ p.astype(complex), B, V


def _dense(Lam, p, dt):
    """Continuous ``A`` (conjugate-augmented, ``(..., N, N)``) and the bilinear ``Ab``; NumPy."""
    lam = np.concatenate([Lam, Lam.conj()], -1)
    pf = np.concatenate([p, p.conj()], -1)
    A = lam[..., :, None] * np.eye(lam.shape[-1]) - pf[..., :, None] * pf.conj()[..., None, :]
    I = np.eye(lam.shape[-1])
    dtc = np.asarray(dt)[..., None, None]
    Ab = np.linalg.solve(I - dtc / 2 * A, I + dtc / 2 * A)
    return A, Ab


def _c2r(z):
    return np.stack([z.real, z.imag], -1)


def _r2c(a):
    return a[..., 0] + 1j * a[..., 1]


def init_params(seed, m: int, m_max: int | None = None, N: int = 64, T: int = 100) -> dict:
    """The authors' initialization of the S4 Figure-1 model with ``m`` channels, embedded in ``m_max``.

    ``seed``: an int >= 0 or a tuple of them (``numpy.random.default_rng``); ``N``: ``d_state`` (even);
    ``T``: the kernel length at which ``C~`` is set up.  Returns float64 jax arrays keyed by :data:`PKEYS` plus
    ``"mask"`` (``(m_max,)``, 1 on the real channels; never trained or perturbed).  Complex ``B, P, C`` are
    stored as real pairs ``(..., N/2, 2)`` as in [C] (``_c2r``).
    """
    seeds = (seed,) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else tuple(seed) \
        if isinstance(seed, (tuple, list)) else None
    if not seeds or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0 for x in seeds):
        raise ValueError(f"seed must be an int >= 0 or a tuple of them, got {seed!r}")
    m, N, T = check_int(m, "m"), check_int(N, "N", minimum=2), check_int(T, "T")
    mm = m if m_max is None else check_int(m_max, "m_max")
    if mm < m:
        raise ValueError(f"m_max must be >= m, got m_max={mm}, m={m}")
    if N % 2:
        raise ValueError(f"N must be even, got {N}")
    rng = np.random.default_rng([int(x) for x in seeds])
    Lam, p, B, V = hippo_legs(N)
    inv_dt = np.exp(np.linspace(np.log(1e-3), np.log(1e-1), m))  # [C] deterministic init_dt (stores dt itself)
    dt = np.exp(inv_dt)
    _, Ab = _dense(np.broadcast_to(Lam, (m, N // 2)), np.broadcast_to(p, (m, N // 2)), dt)
    C0 = np.broadcast_to(V.conj()[0], (m, N // 2))  # V^* e_1
    Cf = np.concatenate([C0, C0.conj()], -1)
    AbL = np.linalg.matrix_power(Ab, T)
    Ct = (Cf - np.einsum("hnm,hn->hm", AbL, Cf))[:, : N // 2]  # _setup_C: C~ = (I - Ab^L)^T C
    a = 1.0
    U, u = rng.uniform(-a, a, m), rng.uniform(-a, a, m)
    D = rng.normal(size=m)
    a = 1.0 / np.sqrt(m)
    W, b = rng.uniform(-a, a, (m, m)), rng.uniform(-a, a, m)
    d, e = rng.uniform(-a, a, m), rng.uniform(-a, a)
    pad = mm - m
    z1 = lambda x: np.pad(x, (0, pad))
    zr = lambda x, fill=0.0: np.concatenate([x, np.full((pad,) + x.shape[1:], fill)], 0)
    out = dict(U=z1(U), u=z1(u), A_real=zr(np.full((m, N // 2), np.log(0.5)), np.log(0.5)),
               A_imag=zr(np.broadcast_to(np.maximum(-Lam.imag, 1e-4), (m, N // 2)), 1.0),
               inv_dt=z1(inv_dt), B=zr(_c2r(np.broadcast_to(B, (m, N // 2)))),
               P=zr(_c2r(np.broadcast_to(p, (m, N // 2)))), C=zr(_c2r(Ct)), D=z1(D),
               W=np.pad(W, ((0, pad), (0, pad))), b=z1(b), d=z1(d), e=np.asarray(e), mask=z1(np.ones(m)))
    return {k: jnp.asarray(v, jnp.float64) for k, v in out.items()}


def _kernel(p, L):
    """``(H, L)`` S4 kernels (module docstring), the authors' generating-function algorithm."""
    dt = jnp.exp(p["inv_dt"])[:, None]  # (H, 1)
    Lam = -jnp.exp(p["A_real"]) - 1j * p["A_imag"]
    Bc, Pc, Cc = _r2c(p["B"]), _r2c(p["P"]), _r2c(p["C"])
    aug = lambda z: jnp.concatenate([z, jnp.conj(z)], -1)
    lam, Bf, Pf, Cf = aug(Lam), aug(Bc), aug(Pc), aug(Cc)
    Qf = jnp.conj(Pf)
    j = jnp.arange(L // 2 + 1)
    om = jnp.exp(-2j * jnp.pi * j / L)  # (J,)
    den = 2 * (1 - om)[None, :, None] - (dt * lam)[:, None, :] * (1 + om)[None, :, None]  # (H, J, N)
    inv = 1.0 / den
    rho = lambda x, y: jnp.einsum("hn,hjn->hj", x * y * dt, inv)  # (H, J)
    o1 = (1 + om)[None, :]
    kf = 2 * rho(Bf, Cf) - 2 * o1 * rho(Bf, Qf) * rho(Pf, Cf) / (1 + o1 * rho(Pf, Qf))
    return jnp.fft.irfft(kf, n=L)[:, :L]


def _forward(p, x):
    """``yhat (n, T)`` for inputs ``x (n, T)``; the causal convolution as a Toeplitz product (equal to the
    authors' zero-padded FFT convolution; faster on CPU at ``T = 100``)."""
    n, T = x.shape
    z = x[:, None, :] * p["U"][None, :, None] + p["u"][None, :, None]  # (n, H, T)
    k = _kernel(p, T)  # (H, T)
    idx = jnp.arange(T)
    lag = idx[:, None] - idx[None, :]
    toep = jnp.where(lag >= 0, k[:, jnp.clip(lag, 0, T - 1)], 0.0)  # (H, T, T)
    y = jnp.einsum("hts,nhs->nht", toep, z) + p["D"][None, :, None] * z
    g = jax.nn.gelu(y, approximate=False)
    o = jnp.einsum("ij,njt->nit", p["W"], g) + p["b"][None, :, None]
    return jnp.einsum("i,nit->nt", p["d"], o) + p["e"]


def _loss(p, x, y):
    T = x.shape[-1]
    w2 = jnp.asarray(_memory.time_weights(T)) ** 2
    return jnp.mean(w2 * (_forward(p, x) - y) ** 2)


def _check_params(p, name="p"):
    if not isinstance(p, dict) or any(k not in p for k in PKEYS):
        raise ValueError(f"{name} must be a parameter dict of init_params (keys {PKEYS})")


_kernel_j = jax.jit(_kernel, static_argnums=1)
_forward_j = jax.jit(_forward)
_loss_j = jax.jit(_loss)


def _check_x(x, name="x"):
    x = as_array(x, name, ndim=2, allow_complex=False)
    check_finite(x, name)
    return jnp.asarray(x, jnp.float64)


def kernel(p: dict, L: int):
    """``(H, L)`` convolution kernels of one model (authors' algorithm; module docstring)."""
    _check_params(p)
    return _kernel_j(p, check_int(L, "L"))


def forward(p: dict, x):
    """Model output ``yhat (n, T)`` of one model for inputs ``x (n, T)``."""
    _check_params(p)
    return _forward_j(p, _check_x(x))


def loss(p: dict, x, y):
    """The authors' ``twe_MSE`` of one model on ``(x, y)`` (``(n, T)`` each)."""
    _check_params(p)
    x, y = _check_x(x), _check_x(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"y must have the shape of x {x.shape}, got {y.shape}")
    return _loss_j(p, x, y)


def simulate(p: dict, x) -> np.ndarray:
    """Oracle (NumPy, independent of the FFT/Cauchy path): dense conjugate-augmented bilinear recurrence
    ``h_k = Ab h_{k-1} + Bb z_k``, ``y_k = Re C^T h_k + D z_k`` with ``C = (I - Ab^L)^{-T} C~``, step by step,
    then GELU (erf), the output Linear and the decoder."""
    from scipy.special import erf

    _check_params(p)
    x = np.asarray(_check_x(x), np.float64)
    q = {k: np.asarray(v, np.float64) for k, v in p.items()}
    n, T = x.shape
    dt = np.exp(q["inv_dt"])
    Lam = -np.exp(q["A_real"]) - 1j * q["A_imag"]
    A, Ab = _dense(Lam, _r2c(q["P"]), dt)
    I = np.eye(A.shape[-1])
    Bf = np.concatenate([_r2c(q["B"]), _r2c(q["B"]).conj()], -1)
    Bb = np.linalg.solve(I - dt[:, None, None] / 2 * A, (dt[:, None] * Bf)[..., None])[..., 0]  # (H, N)
    Ct = np.concatenate([_r2c(q["C"]), _r2c(q["C"]).conj()], -1)
    AbL = np.stack([np.linalg.matrix_power(a, T) for a in Ab])
    Cf = np.linalg.solve(np.swapaxes(I - AbL, -1, -2), Ct[..., None])[..., 0]
    z = x[..., None] * q["U"] + q["u"]  # (n, T, H)
    h = np.zeros((n,) + Bb.shape, complex)
    ys = []
    for k in range(T):
        h = np.einsum("hij,bhj->bhi", Ab, h) + Bb * z[:, k, :, None]
        ys.append(np.einsum("hi,bhi->bh", Cf, h).real)
    y = np.stack(ys, 1) + q["D"] * z
    g = 0.5 * y * (1 + erf(y / np.sqrt(2)))
    return (g @ q["W"].T + q["b"]) @ q["d"] + q["e"]


# ------------------------------------------------------------------------------------------- training

_vloss = jax.jit(jax.vmap(_loss, in_axes=(0, None, None)))


def _stack(ps):
    return {k: jnp.stack([p[k] for p in ps]) for k in ps[0]}


def _member(params, i):
    return {k: v[i] for k, v in params.items()}


def _train_group(params, thr, cap, data, val, keys, spec, epoch_steps, batch_size, min_epochs, patience, factor):
    """Epoch loop over :func:`ssmtheory.train.fit_population` for one group of members: ReduceLROnPlateau on the
    validation loss, stop at the first epoch ``>= min_epochs`` with validation loss ``< thr`` or at ``cap``
    epochs (or a non-finite loss); stopped members are ``frozen``.  Returns ``(params, final val, epochs)``."""
    M = thr.size
    lr_m, best, bad = np.full(M, spec.lr), np.full(M, np.inf), np.zeros(M, int)
    done, ep, last = np.zeros(M, bool), np.zeros(M, int), np.full(M, np.nan)
    state, e = None, 0
    while not done.all():
        res = _train.fit_population(_loss, params, data=data, steps=epoch_steps, opt=spec, lr=lr_m,
                                    batch_size=batch_size, keys=keys, opt_state=state, frozen=done,
                                    start_step=e * epoch_steps)
        params, state, e = res.params, res.opt_state, e + 1
        val_l = np.asarray(_vloss(params, *val))
        act = ~done
        improved = val_l < best * (1 - 1e-4)  # torch ReduceLROnPlateau, mode min, threshold 1e-4 (rel)
        best = np.where(act & improved, val_l, best)
        bad = np.where(act, np.where(improved, 0, bad + 1), bad)
        cut = act & (bad > patience)
        lr_m, bad = np.where(cut, lr_m * factor, lr_m), np.where(cut, 0, bad)
        ep = np.where(act, ep + 1, ep)
        last = np.where(act, val_l, last)
        done = done | (act & (((ep >= min_epochs) & (val_l < thr)) | (ep >= cap) | ~np.isfinite(val_l)))
    return params, last, ep


def train_sizes(sizes, seeds, data, val, *, epoch_steps: int, batch_size: int, max_epochs: int = 40,
                budget_epochs: int = 10, min_epochs: int = 2, lr: float = 1e-2, clip: float = 0.5,
                patience: int = 10, factor: float = 0.1, m_max: int | None = None, N: int = 64,
                seed_offset: int = 0) -> dict:
    """Train every size for every seed under both protocols (module docstring), sizes in order.  Per size, the
    sequential group and the equal-budget group (``len(seeds)`` members each, the same inits) each run an epoch
    loop of :func:`ssmtheory.train.fit_population` calls (plateau scheduler and stopping rule between calls,
    stopped members ``frozen``); both groups share one compiled program.  ``m_max``: embed every size in
    ``m_max`` channels (one compile for all sizes); ``None``: each size at its own width (one compile per size).

    ``data = (X, Y)``: the fixed training set (``(n, T)`` each, ``n >= batch_size``); ``val = (Xv, Yv)``: the
    validation batch.  Returns ``{"sequential": {...}, "equal": {...}}`` with ``params`` (list per size of
    stacks over seeds), ``loss`` (final validation loss, ``(S, n_seeds)``), ``epochs`` and ``reached`` (the
    sequential member beat its threshold).
    """
    if not sizes:
        raise ValueError("sizes must be a non-empty sequence")
    sizes = [check_int(s, "sizes") for s in sizes]
    seeds = [check_int(s, "seeds", minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must be a non-empty sequence")
    epoch_steps, batch_size = check_int(epoch_steps, "epoch_steps"), check_int(batch_size, "batch_size")
    max_epochs, budget_epochs = check_int(max_epochs, "max_epochs"), check_int(budget_epochs, "budget_epochs")
    min_epochs, patience = check_int(min_epochs, "min_epochs"), check_int(patience, "patience", minimum=0)
    seed_offset = check_int(seed_offset, "seed_offset", minimum=0)
    for v, nm in ((lr, "lr"), (clip, "clip"), (factor, "factor")):
        check_positive(v, nm)
    if m_max is not None:
        m_max = check_int(m_max, "m_max")
        if m_max < max(sizes):
            raise ValueError(f"m_max must be >= max(sizes), got {m_max}")
    X, Y = (_check_x(a, nm) for a, nm in zip(data, ("data X", "data Y")))
    Xv, Yv = (_check_x(a, nm) for a, nm in zip(val, ("val X", "val Y")))
    if X.shape != Y.shape or Xv.shape != Yv.shape or X.shape[0] < batch_size or X.shape[1] != Xv.shape[1]:
        raise ValueError("data and val must be pairs of equal (n, T) arrays (same T) with n >= batch_size for data")
    spec = _train.OptimizerSpec(name="adamw", lr=lr, weight_decay=0.0, clip=clip)
    ns = len(seeds)
    out = {pr: {"params": [], "loss": [], "epochs": [], "reached": []} for pr in ("sequential", "equal")}
    thr = np.full(ns, 100.0)  # [C] metric_value=("100") for the first size
    kw = dict(data=(X, Y), val=(Xv, Yv), spec=spec, epoch_steps=epoch_steps, batch_size=batch_size,
              min_epochs=min_epochs, patience=patience, factor=factor)
    for m in sizes:
        p0 = _stack([init_params((int(s) + seed_offset, m), m, m_max, N=N, T=X.shape[1]) for s in seeds])
        keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray([int(s) + seed_offset for s in seeds]))
        groups = (("sequential", thr, max_epochs), ("equal", np.full(ns, -np.inf), budget_epochs))
        for pr, th, cap in groups:
            p, last, ep = _train_group(p0, th, np.full(ns, cap), keys=keys, **kw)
            o = out[pr]
            o["params"].append(p)
            o["loss"].append(last)
            o["epochs"].append(ep)
            o["reached"].append(last < th)
            if pr == "sequential":
                seq_last = last
        thr = seq_last
    for o in out.values():
        for k in ("loss", "epochs", "reached"):
            o[k] = np.asarray(o[k])
    return out


# ------------------------------------------------------------------------------------------- perturbation


def _noise_dirs(p, n_repeats, seed):
    """``n_repeats`` draws of per-tensor ``z / ||z||_inf`` (Gaussian ``z``, NumPy ``default_rng([seed, r])`` for
    repeat ``r``: drawn on the host so that no random-bit generator enters the compiled curve), supported on the
    real channels (``p["mask"]``); a dict of ``(n_repeats, ...)`` arrays."""
    mk = np.asarray(p["mask"])
    out = {k: [] for k in PKEYS}
    for r in range(n_repeats):
        rng = np.random.default_rng([seed, r])
        for name in PKEYS:
            v = np.asarray(p[name])
            z = rng.normal(size=v.shape)
            if name == "W":
                z = z * mk[:, None] * mk[None, :]
            elif v.ndim >= 1:
                z = z * mk.reshape((-1,) + (1,) * (v.ndim - 1))
            out[name].append(z / np.abs(z).max())
    return {k: jnp.asarray(np.stack(v)) for k, v in out.items()}


@jax.jit
def _curve(p, betas, X, Y, dirs):
    T = X.shape[-1]
    w2 = jnp.asarray(_memory.time_weights(T)) ** 2

    def one(beta, d):
        q = {k: (v + beta * d[k] if k in d else v) for k, v in p.items()}
        per = jnp.mean(w2 * (_forward(q, X) - Y) ** 2, -1)  # per-sequence loss
        L = jnp.mean(per)
        se = jnp.std(per) / jnp.sqrt(per.shape[0])
        L = jnp.where(jnp.isfinite(L), L, jnp.inf)
        return L, se

    def at(beta):
        L, se = jax.vmap(lambda d: one(beta, d))(dirs)  # the same directions for every beta [C]
        i = jnp.argmax(L)
        return L[i], se[i] / L[i]

    return jax.lax.map(at, betas)


def _check_betas(betas):
    betas = as_array(betas, "betas", ndim=1, allow_complex=False)
    check_finite(betas, "betas")
    if np.any(np.diff(betas) < 0) or np.any(betas < 0):
        raise ValueError("betas must be a 1-D non-decreasing array of non-negative values")
    return np.asarray(betas, np.float64)


def perturbation_curve(params, betas, X, Y, n_repeats: int = 30, *, seed: int):
    """``E(beta)`` (max over ``n_repeats`` noise draws, running max over ``beta``) of the authors' S4 protocol on
    the fixed evaluation batch ``(X, Y)``, and the Monte Carlo relative standard error of the maximizing repeat's
    loss at each ``beta`` (std of the per-sequence losses / sqrt(n) / mean).  ``params``: one model or a stack
    (leading axis).  Returns NumPy ``(..., n_beta)`` arrays ``E``, ``rel_se``."""
    betas = _check_betas(betas)
    n_repeats = check_int(n_repeats, "n_repeats")
    seed = check_int(seed, "seed", minimum=0)
    X, Y = _check_x(X, "X"), _check_x(Y, "Y")
    if X.shape != Y.shape:
        raise ValueError(f"Y must have the shape of X {X.shape}, got {Y.shape}")
    _check_params(params, "params")
    bj = jnp.asarray(betas, jnp.float64)
    f = lambda p: _curve(p, bj, X, Y, _noise_dirs(p, n_repeats, seed))
    if params["e"].ndim == 1:
        res = [f(_member(params, i)) for i in range(params["e"].shape[0])]
        E, R = np.stack([np.asarray(a) for a, _ in res]), np.stack([np.asarray(b) for _, b in res])
    else:
        E, R = (np.asarray(a) for a in f(params))
    return np.maximum.accumulate(np.asarray(E, np.float64), axis=-1), np.asarray(R, np.float64)


def s4_study(rho, sizes, seeds, betas, n_repeats: int, *, n_train: int | None = None, batch_size: int,
             epoch_steps: int, n_val: int, n_eval: int, data_seed: int, perturb_seed: int, level: float = 1e3,
             **train_kw) -> dict:
    """Train (:func:`train_sizes`) and perturb (:func:`perturbation_curve`) the S4 panel under both protocols.

    Data: ``x ~ N(0,1)``, ``y = rho * x`` (:func:`ssmtheory.theory.memory.linear_functional_data`); the training
    set has ``epoch_steps * batch_size`` sequences (seed ``data_seed``), the validation batch ``n_val``
    (``data_seed + 1``), the evaluation batch ``n_eval`` (``data_seed + 2``), shared by every model, ``beta`` and
    repeat.  Returns ``res[protocol]`` with ``train``, ``E (S, n_seeds, n_beta)``, ``rel_se`` (same shape),
    ``bstar (S, n_seeds)`` (first ``beta`` with ``E >= level``, ``inf`` = censored) and ``rel_se_at_bstar``.
    """
    from ssmtheory.experiments.curse_of_memory import first_crossing

    rho = as_array(rho, "rho", ndim=1, allow_complex=False)
    check_finite(rho, "rho")
    betas = _check_betas(betas)
    perturb_seed = check_int(perturb_seed, "perturb_seed", minimum=0)
    n_val, n_eval = check_int(n_val, "n_val"), check_int(n_eval, "n_eval")
    data_seed = check_int(data_seed, "data_seed", minimum=0)
    n_repeats = check_int(n_repeats, "n_repeats")
    check_positive(level, "level")
    n = check_int(epoch_steps, "epoch_steps") * check_int(batch_size, "batch_size") if n_train is None \
        else check_int(n_train, "n_train")
    data = _memory.linear_functional_data(rho, n, seed=data_seed)
    val = _memory.linear_functional_data(rho, n_val, seed=data_seed + 1)
    Xe, Ye = _memory.linear_functional_data(rho, n_eval, seed=data_seed + 2)
    tr = train_sizes(sizes, seeds, data, val, epoch_steps=epoch_steps, batch_size=batch_size, **train_kw)
    out = {}
    for prot, t in tr.items():
        cur = [perturbation_curve(p, betas, Xe, Ye, n_repeats, seed=perturb_seed) for p in t["params"]]
        E, R = np.stack([c[0] for c in cur]), np.stack([c[1] for c in cur])
        bs = first_crossing(betas, E, level)
        hit = np.isfinite(bs)
        idx = np.argmax(E >= level, -1)
        rse = np.where(hit, np.take_along_axis(R, idx[..., None], -1)[..., 0], np.nan)
        out[prot] = {"train": t, "E": E, "rel_se": R, "bstar": bs, "rel_se_at_bstar": rse}
    return out
