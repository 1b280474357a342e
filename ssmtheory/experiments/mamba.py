"""The authors' small Mamba language model (S6-Real / S6-Complex), in our own JAX code, and its two selective tasks.

Source: ``edenlum/SSMComplexParamBenefits`` (HEAD a9bbdd2), files ``simple_mamba/mamba.py``, ``simple_mamba/mamba_lm.py``,
``datasets.py`` and ``configs/selectivity/{induction,delay}.yaml`` (Ran-Milo et al., NeurIPS 2024, Table 3).  Read
from the code, not the PDF; every choice below is theirs unless marked *ours*.

Model (``MambaLM``), on a token sequence ``(L,)``::

    x = E[tokens]                          E ~ N(0, 1) (vocab, d_model), FROZEN, tied to the output head
    x = x + Block(RMSNorm(x))              n_layers times (residual, pre-norm)
    logits = RMSNorm_f(x) @ E^T

Block (``MambaBlock``, ``ssm_type`` S6-Real / S6-Complex, sequential-scan path)::

    (u, z) = x W_in                        W_in (d_model, 2 d_inner), d_inner = expand * d_model, no bias
    u = SiLU(causal depthwise conv1d(u))   kernel d_conv = 4, with bias
    Delta_t = softplus(u_t W_dt_down W_dt_up + b_dt)     selective Delta: low rank dt_rank = ceil(d_model / 16)
            = exp(inv_dt)                                fixed Delta (per channel, trainable)
    B_t = u_t W_B  (N,), shared by the channels         selective B   (fixed: a trainable (d_inner, N) bias)
    C_t = u_t W_C  (N,), shared by the channels         selective C   (fixed: a trainable (d_inner, N) bias)
    Abar = exp(Delta A),  Bbar = Delta B,  h_t = Abar_t h_{t-1} + Bbar_t u_t     per channel, N states
    y_t = C_t . h_t + D u_t           (real)           y_t = 2 Re(C_t . h_t) + D u_t   (complex, C = C_re - i C_im)
    out = (y * SiLU(z)) W_out

* S6-Real: ``A_n = -(n+1)``, ``N = d_state`` (16), ``D = 1``.
* S6-Complex: ``A_n = -(n+1) + i pi n`` (``initA_real="S6"``, ``initA_imag="S4"``, both trainable),
  ``N = d_state // 2`` (parameter parity), ``B = B_re + i B_im``, ``C = C_re - i C_im``, ``D ~ N(0, 1)``.
* Initialization follows PyTorch's defaults that the code relies on: ``nn.Linear`` / ``nn.Conv1d`` weights and
  biases ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``; ``dt_proj`` weight ``U(+-dt_rank^-1/2)`` and bias
  ``softplus^-1(dt)``, ``dt`` log-uniform in ``[1e-3, 1e-1]`` clamped at ``1e-4``; fixed ``inv_dt ~ U[log 1e-3, log 1e-1]``.

Selectivity gates ``(g_B, g_C, g_Delta)`` are *traced* 0/1 floats: both parameter sets exist and the unused one
receives an exactly zero gradient (so Adam leaves it unchanged), which is the authors' model for each of the 8
combinations while one compiled function serves all of them.  The recurrence runs on
:func:`ssmtheory.ssm.linear_scan`; :func:`reference_forward` is an independent NumPy loop used by the tests.

Tasks (``datasets.py``): :func:`induction_head_task` (``InductionHead``, one trigger, autoregressive) and
:func:`copy_task` (``DynamicCategoricalDataset``, not autoregressive, no copy token).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ssmtheory import ssm, stats, train
from ssmtheory._validate import check_choice, check_int, check_scalar, check_size, is_concrete

__all__ = [
    "MambaConfig",
    "KINDS",
    "GATE_COMBOS",
    "init_params",
    "apply",
    "reference_forward",
    "induction_head_task",
    "copy_task",
    "train_selective",
    "loop_agreement",
    "table3_study",
    "table3_statistics",
    "format_table3",
]

KINDS = ("real", "complex")
#: the 8 selectivity combinations (B, C, Delta), in the authors' ablation order (itertools product of F, T)
GATE_COMBOS = tuple((b, c, d) for b in (0, 1) for c in (0, 1) for d in (0, 1))


@dataclass(frozen=True)
class MambaConfig:
    """Hyper-parameters of the authors' ``MambaLM`` (defaults: ``configs/selectivity/induction.yaml``).

    ``d_state`` is the real model's state count; the complex model uses ``d_state // 2`` (as ``MambaConfig`` does).
    ``dt_rank=None`` means ``ceil(d_model / 16)``.  ``scan`` is the :func:`ssmtheory.ssm.linear_scan` method.
    """

    vocab: int = 16
    d_model: int = 64
    n_layers: int = 2
    d_state: int = 16
    expand: int = 2
    d_conv: int = 4
    kind: str = "real"
    dt_rank: int | None = None
    dt_min: float = 1e-3
    dt_max: float = 1e-1
    scan: str = "scan"

    def __post_init__(self):
        for name in ("vocab", "d_model", "n_layers", "d_state", "expand", "d_conv"):
            check_int(getattr(self, name), name, 2 if name in ("vocab", "d_state") else 1)
        check_choice(self.kind, "kind", KINDS)
        if self.dt_rank is not None:
            check_int(self.dt_rank, "dt_rank")
        if not 0 < self.dt_min < self.dt_max:
            raise ValueError(f"dt_min, dt_max must satisfy 0 < dt_min < dt_max, got {self.dt_min}, {self.dt_max}")
        check_choice(self.scan, "scan", ("scan", "associative"))

    @property
    def d_inner(self) -> int:
        return self.expand * self.d_model

    @property
    def n_states(self) -> int:
        """States per channel: ``d_state`` (real) or ``d_state // 2`` (complex)."""
        return self.d_state if self.kind == "real" else self.d_state // 2

    @property
    def rank(self) -> int:
        return math.ceil(self.d_model / 16) if self.dt_rank is None else self.dt_rank


# ----------------------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------------------
def _check_cfg(cfg):
    if not isinstance(cfg, MambaConfig):
        raise ValueError(f"cfg must be a MambaConfig, got {type(cfg).__name__}")
    return cfg


def _check_params(params, cfg):
    if not isinstance(params, dict) or not {"embed", "norm_f", "layers"} <= set(params):
        raise ValueError("params must be the dict returned by init_params (embed, norm_f, layers)")
    if len(params["layers"]) != cfg.n_layers or tuple(params["embed"].shape) != (cfg.vocab, cfg.d_model):
        raise ValueError(f"params do not match cfg (n_layers={cfg.n_layers}, vocab={cfg.vocab}, d_model={cfg.d_model})")
    if ("A_im" in params["layers"][0]) != (cfg.kind == "complex"):
        raise ValueError(f"params were initialized for the other kind than cfg.kind={cfg.kind!r}")


def _check_tokens(tokens, vocab):
    if tokens is None or not hasattr(tokens, "shape") and not isinstance(tokens, (list, tuple)):
        raise ValueError(f"tokens must be a 1-D integer array, got {tokens!r}")
    t = tokens if hasattr(tokens, "dtype") else np.asarray(tokens)
    if t.ndim != 1 or t.shape[0] == 0 or np.dtype(t.dtype).kind not in "iu":
        raise ValueError(f"tokens must be a non-empty 1-D integer array, got shape {tuple(t.shape)}, dtype {t.dtype}")
    if is_concrete(t) and (int(np.min(t)) < 0 or int(np.max(t)) >= vocab):
        raise ValueError(f"tokens must lie in [0, vocab={vocab}), got range [{int(np.min(t))}, {int(np.max(t))}]")
    return t


def _check_gates(gates):
    if not isinstance(gates, (tuple, list)) or len(gates) != 3:
        raise ValueError(f"gates must be a 3-tuple (g_B, g_C, g_Delta), got {gates!r}")
    for g in gates:
        if is_concrete(g) and float(g) not in (0.0, 1.0):
            raise ValueError(f"gates must hold 0 or 1 (fixed or selective), got {gates!r}")
    return tuple(gates)


# ----------------------------------------------------------------------------------------------
# parameters
# ----------------------------------------------------------------------------------------------
def _unif(key, shape, bound):
    return jax.random.uniform(key, shape, jnp.float32, -bound, bound)


def _init_layer(key, cfg: MambaConfig) -> dict:
    D, E, N, R = cfg.d_model, cfg.d_inner, cfg.n_states, cfg.rank
    ks = iter(jax.random.split(key, 20))
    lo, hi = math.log(cfg.dt_min), math.log(cfg.dt_max)
    dt = jnp.maximum(jnp.exp(jax.random.uniform(next(ks), (E,), jnp.float32, lo, hi)), 1e-4)
    p = dict(
        norm=jnp.ones(D),
        w_in=_unif(next(ks), (D, 2 * E), D**-0.5),
        conv_w=_unif(next(ks), (cfg.d_conv, E), cfg.d_conv**-0.5),  # conv_w[k] multiplies u_{t - (d_conv-1) + k}
        conv_b=_unif(next(ks), (E,), cfg.d_conv**-0.5),
        w_dt_down=_unif(next(ks), (E, R), E**-0.5),
        w_dt_up=_unif(next(ks), (R, E), R**-0.5),
        b_dt=dt + jnp.log(-jnp.expm1(-dt)),  # inverse softplus
        inv_dt=jax.random.uniform(next(ks), (E,), jnp.float32, lo, hi),
        w_B=_unif(next(ks), (E, N), E**-0.5),
        B_fix=_unif(next(ks), (E, N), E**-0.5),
        w_C=_unif(next(ks), (E, N), E**-0.5),
        C_fix=_unif(next(ks), (E, N), E**-0.5),
        log_A=jnp.log(jnp.broadcast_to(jnp.arange(1, N + 1, dtype=jnp.float32), (E, N))),
        w_out=_unif(next(ks), (E, D), E**-0.5),
    )
    if cfg.kind == "real":
        p["D"] = jnp.ones(E)
    else:
        p["D"] = jax.random.normal(next(ks), (E,))
        p["A_im"] = jnp.broadcast_to(jnp.pi * jnp.arange(N, dtype=jnp.float32), (E, N))
        p["w_B_im"] = _unif(next(ks), (E, N), E**-0.5)
        p["B_fix_im"] = _unif(next(ks), (E, N), E**-0.5)
        p["w_C_im"] = _unif(next(ks), (E, N), E**-0.5)
        p["C_fix_im"] = _unif(next(ks), (E, N), E**-0.5)
    return {k: jnp.array(v, jnp.float32) for k, v in p.items()}


def init_params(key, cfg: MambaConfig) -> dict:
    """Parameters of :func:`apply` (float32 pytree): ``embed`` (frozen: :func:`apply` stops its gradient),
    ``norm_f`` and one dict per layer."""
    _check_cfg(cfg)
    ks = jax.random.split(key, cfg.n_layers + 1)
    return dict(embed=jax.random.normal(ks[0], (cfg.vocab, cfg.d_model), jnp.float32),
                norm_f=jnp.ones(cfg.d_model, jnp.float32),
                layers=[_init_layer(k, cfg) for k in ks[1:]])


# ----------------------------------------------------------------------------------------------
# forward
# ----------------------------------------------------------------------------------------------
def _rms_norm(x, w, eps=1e-5):
    return x * jax.lax.rsqrt(jnp.mean(x**2, -1, keepdims=True) + eps) * w


def _causal_conv(u, w, b):
    """Depthwise causal conv: ``out_t = b + sum_k w[k] u_{t-(K-1)+k}`` (PyTorch Conv1d, padding K-1, first L)."""
    K, L = w.shape[0], u.shape[0]
    up = jnp.concatenate([jnp.zeros((K - 1, u.shape[1]), u.dtype), u], 0)
    return b + sum(w[k] * up[k:k + L] for k in range(K))


def _block(p, x, gates, cfg: MambaConfig):
    gB, gC, gD = gates
    cplx = cfg.kind == "complex"
    E = cfg.d_inner
    uz = x @ p["w_in"]
    u, z = uz[:, :E], uz[:, E:]
    u = jax.nn.silu(_causal_conv(u, p["conv_w"], p["conv_b"]))
    dt = gD * jax.nn.softplus(u @ p["w_dt_down"] @ p["w_dt_up"] + p["b_dt"]) + (1.0 - gD) * jnp.exp(p["inv_dt"])
    A = -jnp.exp(p["log_A"])
    if cplx:
        A = jax.lax.complex(A, p["A_im"])

    def mix(g, w, fix):  # (L, E, N): shared selective projection or the per-channel fixed bias
        return g * (u @ w)[:, None, :] + (1.0 - g) * fix[None]

    Bt, Ct = mix(gB, p["w_B"], p["B_fix"]), mix(gC, p["w_C"], p["C_fix"])
    if cplx:
        Bt = jax.lax.complex(Bt, mix(gB, p["w_B_im"], p["B_fix_im"]))
        Ct = jax.lax.complex(Ct, -mix(gC, p["w_C_im"], p["C_fix_im"]))
    Abar = jnp.exp(dt[:, :, None] * A[None])  # (L, E, N)
    Bu = dt[:, :, None] * Bt * u[:, :, None]
    h, _ = ssm.linear_scan(Abar, Bu, method=cfg.scan)
    y = jnp.sum(h * Ct, -1)
    y = (2.0 * y.real if cplx else y) + p["D"] * u
    return (y * jax.nn.silu(z)) @ p["w_out"]


def apply(params, tokens, cfg: MambaConfig, gates=(1.0, 1.0, 1.0)):
    """Logits ``(L, vocab)`` of the model on one token sequence ``tokens (L,)`` (``vmap`` for a batch).

    ``gates = (g_B, g_C, g_Delta)``: 1 selective, 0 fixed (may be traced).  The embedding is frozen (its gradient is
    stopped) and tied to the output head, as in ``MambaLM``.
    """
    _check_cfg(cfg)
    _check_params(params, cfg)
    tokens = _check_tokens(tokens, cfg.vocab)
    gates = _check_gates(gates)
    E = jax.lax.stop_gradient(params["embed"])
    x = E[tokens]
    for p in params["layers"]:
        x = x + _block(p, _rms_norm(x, p["norm"]), gates, cfg)
    return _rms_norm(x, params["norm_f"]) @ E.T


def reference_forward(params, tokens, cfg: MambaConfig, gates=(1, 1, 1)) -> np.ndarray:
    """Oracle for :func:`apply`: the authors' ``selective_scan_seq`` written as plain NumPy loops (float64/complex128),
    with an explicit ``if`` per gate instead of the traced blend.  Logits ``(L, vocab)``."""
    _check_cfg(cfg)
    _check_params(params, cfg)
    tokens = np.asarray(_check_tokens(tokens, cfg.vocab))
    gates = _check_gates(gates)
    P = jax.tree_util.tree_map(lambda v: np.asarray(v, np.float64), params)
    L = tokens.shape[0]
    cplx = cfg.kind == "complex"
    x = P["embed"][tokens]

    def rms(v, w):
        return v / np.sqrt(np.mean(v**2, -1, keepdims=True) + 1e-5) * w

    def silu(v):
        return v / (1.0 + np.exp(-v))

    for p in P["layers"]:
        xn = rms(x, p["norm"])
        E, K = p["D"].shape[0], p["conv_w"].shape[0]
        u_raw, z = (xn @ p["w_in"])[:, :E], (xn @ p["w_in"])[:, E:]
        u = np.zeros_like(u_raw)
        for t in range(L):
            acc = p["conv_b"].copy()
            for k in range(K):
                s = t - (K - 1) + k
                if s >= 0:
                    acc = acc + p["conv_w"][k] * u_raw[s]
            u[t] = silu(acc)
        A = -np.exp(p["log_A"]) + (1j * p["A_im"] if cplx else 0.0)
        h = np.zeros(A.shape, complex if cplx else float)
        y = np.zeros((L, E))
        for t in range(L):
            if gates[2]:
                dt = np.log1p(np.exp(u[t] @ p["w_dt_down"] @ p["w_dt_up"] + p["b_dt"]))
            else:
                dt = np.exp(p["inv_dt"])
            B = (u[t] @ p["w_B"])[None, :] if gates[0] else p["B_fix"]
            C = (u[t] @ p["w_C"])[None, :] if gates[1] else p["C_fix"]
            if cplx:
                B = B + 1j * ((u[t] @ p["w_B_im"])[None, :] if gates[0] else p["B_fix_im"])
                C = C - 1j * ((u[t] @ p["w_C_im"])[None, :] if gates[1] else p["C_fix_im"])
            h = np.exp(dt[:, None] * A) * h + dt[:, None] * B * u[t][:, None]
            yt = np.sum(h * C, -1)
            y[t] = (2.0 * yt.real if cplx else yt) + p["D"] * u[t]
        x = x + (y * silu(z)) @ p["w_out"]
    return rms(x, P["norm_f"]) @ P["embed"].T


# ----------------------------------------------------------------------------------------------
# tasks (datasets.py)
# ----------------------------------------------------------------------------------------------
def induction_head_task(key, batch: int, context: int, recall: int, vocab: int):
    """The authors' ``InductionHead`` (one trigger, autoregressive), as ``(x, y)`` int32 arrays ``(batch, context+recall)``.

    Tokens ``U{1..vocab-1}`` over ``context`` positions, then the copy token 0 appended; one trigger position
    ``p ~ U{0..context-recall-1}`` is set to 0; the sequence continues with the ``recall`` tokens that followed the
    trigger; ``x = seq[:-1]``, ``y = seq[1:]``.  Loss and accuracy are taken on the last ``recall`` positions.
    """
    batch, context, recall, vocab = (check_int(v, n) for v, n in
                                     ((batch, "batch"), (context, "context"), (recall, "recall"), (vocab, "vocab")))
    if recall >= context:
        raise ValueError(f"recall must be < context, got recall={recall}, context={context}")
    if vocab < 3:
        raise ValueError(f"vocab must be >= 3 (copy token 0 and at least two data tokens), got {vocab}")
    k1, k2 = jax.random.split(key)
    data = jax.random.randint(k1, (batch, context), 1, vocab)
    p = jax.random.randint(k2, (batch,), 0, context - recall)
    idx = jnp.arange(context)[None, :]
    data = jnp.where(idx == p[:, None], 0, data)
    to_copy = jnp.take_along_axis(data, p[:, None] + 1 + jnp.arange(recall)[None, :], axis=1)
    seq = jnp.concatenate([data, jnp.zeros((batch, 1), data.dtype), to_copy], axis=1)
    return seq[:, :-1].astype(jnp.int32), seq[:, 1:].astype(jnp.int32)


def copy_task(key, batch: int, length: int, lag: int, vocab: int):
    """The authors' delay task (``DynamicCategoricalDataset``, not autoregressive, no copy token): tokens
    ``U{1..vocab-1}``; the label at position ``t >= lag`` is the token at ``t - lag`` (0 before).  Returns
    ``(x, y)`` int32 ``(batch, length)``; loss and accuracy are taken on positions ``>= lag``."""
    batch, length, lag, vocab = (check_int(v, n) for v, n in
                                 ((batch, "batch"), (length, "length"), (lag, "lag"), (vocab, "vocab")))
    if lag >= length:
        raise ValueError(f"lag must be < length (the authors assert lag < seq_len), got lag={lag}, length={length}")
    if vocab < 2:
        raise ValueError(f"vocab must be >= 2, got {vocab}")
    check_size(8 * batch * length, "length" if length >= batch else "batch", "token arrays")
    x = jax.random.randint(key, (batch, length), 1, vocab)
    y = jnp.concatenate([jnp.zeros((batch, lag), x.dtype), x[:, : length - lag]], axis=1)
    return x.astype(jnp.int32), y.astype(jnp.int32)


# ----------------------------------------------------------------------------------------------
# training (Adam, fresh batch every step, as the authors' on-the-fly datasets), on the engine
# ----------------------------------------------------------------------------------------------
def _task_batch(key, is_copy, lag, batch, length, recall, vocab):
    """One batch of either task, selected by the traced flag ``is_copy`` (so one compiled function serves both):
    the induction head with ``context = length - recall``, or the copy task with a traced ``lag``."""
    ki, kc = jax.random.split(key)
    xi, yi = induction_head_task(ki, batch, length - recall, recall, vocab)
    mi = (jnp.arange(length) >= length - recall).astype(jnp.float32)
    xc = jax.random.randint(kc, (batch, length), 1, vocab).astype(jnp.int32)
    t = jnp.arange(length)
    yc = jnp.where(t >= lag, jnp.take(xc, jnp.clip(t - lag, 0, length - 1), axis=1), 0).astype(jnp.int32)
    mc = (t >= lag).astype(jnp.float32)
    return (jnp.where(is_copy, xc, xi), jnp.where(is_copy, yc, yi), jnp.where(is_copy, mc, mi))


def _score_mask(is_copy, lag, length, recall):
    """Scored positions ``(length,)``: the last ``recall`` (induction head) or those ``>= lag`` (copy task)."""
    t = jnp.arange(length)
    return jnp.where(is_copy, t >= lag, t >= length - recall).astype(jnp.float32)


@functools.lru_cache(maxsize=64)
def _selective_loss(cfg: MambaConfig, length: int, recall: int):
    """``loss_fn(params, x, y, aux) -> (mean nll, accuracy)`` over the scored positions, for the engine; ``aux``
    holds the run's gates, task flag and lag (cached: the same function object per ``(cfg, length, recall)``)."""

    def loss_fn(p, x, y, aux):
        gate = (aux["gate"][0], aux["gate"][1], aux["gate"][2])
        mask = _score_mask(aux["is_copy"], aux["lag"], length, recall)
        logits = jax.vmap(lambda s: apply(p, s, cfg, gate))(x)
        nll = optax.softmax_cross_entropy_with_integer_labels(logits, y)
        den = mask.sum() * x.shape[0]
        hit = (jnp.argmax(logits, -1) == y).astype(jnp.float32)
        return jnp.sum(nll * mask) / den, jnp.sum(hit * mask) / den

    return loss_fn


@partial(jax.jit, static_argnames=("cfg",))
def _init_runs(keys, cfg):
    return jax.vmap(lambda k: init_params(k, cfg))(keys)


@partial(jax.jit, static_argnames=("steps", "batch", "length", "recall", "vocab"))
def _streams(keys, is_copy, lags, steps, batch, length, recall, vocab):
    """Every run's training stream: batch ``i`` from ``fold_in(key, i)``, as ``(R, steps * batch, length)`` rows."""
    def one(key, cp, lag):
        x, y, _ = jax.vmap(lambda i: _task_batch(jax.random.fold_in(key, i), cp, lag, batch, length, recall,
                                                 vocab))(jnp.arange(steps))
        return x.reshape(steps * batch, length), y.reshape(steps * batch, length)

    return jax.vmap(one)(keys, is_copy, lags)


@partial(jax.jit, static_argnames=("cfg", "length", "recall", "n_test"))
def _test_metrics(params, keys, aux, cfg, length, recall, n_test):
    """Held-out loss and accuracy of each run on ``n_test`` fresh sequences of its task."""
    loss_fn = _selective_loss(cfg, length, recall)

    def one(p, key, a):
        x, y, _ = _task_batch(key, a["is_copy"], a["lag"], n_test, length, recall, cfg.vocab)
        return loss_fn(p, x, y, a)

    return jax.vmap(one)(params, keys, aux)


def train_selective(cfg: MambaConfig, seeds, gates, steps: int, *, tasks=None, lags=None, length: int = 80,
                    recall: int = 16, batch: int = 8, lr: float = 1e-3, n_test: int = 256,
                    record_every: int = 10) -> dict:
    """Train ``R`` independent models with Adam (lr ``1e-3``, batch 8: the authors' settings), one fresh batch per
    step, as one population of :func:`ssmtheory.train.fit_population` (one compilation per ``cfg``).  Run ``r``'s
    stream of batches is drawn in advance (batch ``i`` from ``fold_in(k_data, i)``, ``k_data`` the second of
    ``split(PRNGKey(seeds[r]), 3)``; the first initializes, the third draws the test set).

    Run ``r`` has ``seeds[r]`` (init and data), ``gates[r]`` = selective (B, C, Delta) as 0/1, ``tasks[r]`` in
    ``{"induction", "copy"}`` (default: all induction) and, for copy runs, ``lags[r]``.  Every run sees sequences of
    ``length`` tokens: the induction head has ``context = length - recall`` and scores the last ``recall``
    positions (:func:`induction_head_task`); the copy task scores positions ``>= lag`` (:func:`copy_task`).
    Returns NumPy arrays ``loss``, ``acc`` ``(R, steps // record_every)`` (training means per block of
    ``record_every`` steps) and held-out ``test_loss``, ``test_acc`` ``(R,)`` on ``n_test`` fresh sequences
    (token accuracy on the scored positions; chance ``1/(vocab-1)``), and ``diverged (R,)`` (the engine's guard).
    """
    _check_cfg(cfg)
    steps = check_int(steps, "steps")
    record_every = check_int(record_every, "record_every")
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)) or not (
            np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be positive and finite, got {lr!r}")
    if steps % record_every:
        raise ValueError(f"steps must be a multiple of record_every={record_every}, got {steps}")
    seeds = np.asarray(seeds, np.int64).reshape(-1)
    R = seeds.shape[0]
    if R < 1 or seeds.min() < 0:
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, got {seeds.tolist()}")
    gates = np.asarray(gates, np.float32)
    if gates.shape != (R, 3) or not np.isin(gates, (0.0, 1.0)).all():
        raise ValueError(f"gates must be an (R, 3) array of 0/1 matching seeds (R={R}), got {gates.tolist()}")
    tasks = ["induction"] * R if tasks is None else list(tasks)
    if len(tasks) != R or any(t not in ("induction", "copy") for t in tasks):
        raise ValueError(f"tasks must list 'induction' or 'copy' for each of the {R} runs, got {tasks!r}")
    length, recall = check_int(length, "length", 2), check_int(recall, "recall")
    if "induction" in tasks and 2 * recall >= length:
        raise ValueError(f"recall must be < context = length - recall, got recall={recall}, length={length}")
    lags = np.zeros(R, np.int64) if lags is None else np.asarray(lags, np.int64).reshape(-1)
    if lags.shape != (R,) or any(t == "copy" and not 1 <= lag < length for t, lag in zip(tasks, lags)):
        raise ValueError(f"lags must give each copy run a lag in [1, length={length}), got {lags.tolist()}")
    is_copy = np.array([t == "copy" for t in tasks])
    batch, n_test = check_int(batch, "batch"), check_int(n_test, "n_test")
    kp, kd, ke = (jnp.stack(k) for k in zip(*[jax.random.split(jax.random.PRNGKey(int(s)), 3) for s in seeds]))
    aux = dict(gate=jnp.asarray(gates), is_copy=jnp.asarray(is_copy), lag=jnp.asarray(lags.astype(np.int32)))
    x, y = _streams(kd, aux["is_copy"], aux["lag"], steps, batch, length, recall, cfg.vocab)
    res = train.fit_population(_selective_loss(cfg, length, recall), _init_runs(kp, cfg), (x, y), steps,
                               opt=train.OptimizerSpec(name="adam", lr=float(lr)), aux=aux, member_data=True,
                               batches=np.arange(steps * batch).reshape(steps, batch), keys=kd, has_aux=True)
    test_loss, test_acc = _test_metrics(res.params, ke, aux, cfg, length, recall, n_test)
    blocks = (steps // record_every, record_every, R)
    return dict(loss=res.losses.reshape(blocks).mean(1).T, acc=np.asarray(res.metrics).reshape(blocks).mean(1).T,
                test_loss=np.asarray(test_loss), test_acc=np.asarray(test_acc), diverged=np.asarray(res.diverged))


# ----------------------------------------------------------------------------------------------
# notebook 04's Table 3 study: the runs, the cells and the statistics its claims read
# ----------------------------------------------------------------------------------------------
_apply_jit = jax.jit(apply, static_argnames="cfg")  # one compilation per config (gates traced)
_init_jit = jax.jit(init_params, static_argnames="cfg")


def loop_agreement(seed: int = 0, gate_combos=((1, 1, 1), (0, 0, 0), (1, 0, 1))) -> float:
    """Max ``|logit difference|`` between :func:`apply` (float32, traced gates) and :func:`reference_forward` (NumPy
    float64 loop) for a small real and complex model (vocab 7, width 8, 2 layers, 4 states) on 12 random tokens."""
    seed = check_int(seed, "seed", 0)
    combos = [_check_gates(tuple(g)) for g in gate_combos]
    tok = np.random.default_rng(seed).integers(0, 7, 12)
    err = 0.0
    for kind in KINDS:
        cfg = MambaConfig(vocab=7, d_model=8, n_layers=2, d_state=4, kind=kind)
        p = _init_jit(jax.random.PRNGKey(seed), cfg=cfg)
        for g in combos:
            out = np.asarray(_apply_jit(p, tok, cfg, tuple(jnp.float32(v) for v in g)))
            err = max(err, float(np.abs(out - reference_forward(p, tok, cfg, g)).max()))
    return err


def _check_seeds(seeds, name):
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise ValueError(f"{name} must be a non-empty list of non-negative integers, got {seeds!r}")
    out = [check_int(s, name, 0) for s in seeds]
    if not out:
        raise ValueError(f"{name} must be a non-empty list of non-negative integers")
    return out


def table3_study(combos, seeds, copy_seeds, *, steps: int, d_model: int, context: int, recall: int, batch: int,
                 lr: float, copy_lag: int, copy_ctrl_lag: int, n_test: int = 256) -> dict:
    """Table 3 at CPU scale and the copy task: every induction-head run (gate combination x seed) and every copy run
    (all selective, lags ``copy_lag`` and ``copy_ctrl_lag`` x ``copy_seeds``) of each kind, trained by one
    :func:`train_selective` call per kind (vocab 16, 2 layers, ``d_state`` 16; sequences of ``context + recall``
    tokens).  Returns ``cell {(kind, combo): held-out accuracy per seed}``, ``copy {(kind, lag): accuracy per copy
    seed}``, ``copy_curves {(kind, lag, seed): training accuracy per block of steps / 10}``, ``curve_steps``,
    ``combos`` (tuples) and ``diverged`` (runs the engine's guard froze)."""
    try:
        combos = [tuple(_check_gates(tuple(c))) for c in combos]
    except (TypeError, ValueError):
        raise ValueError(f"combos must list (B, C, Delta) gate triples of 0/1, got {combos!r}") from None
    if not combos:
        raise ValueError("combos must list at least one (B, C, Delta) gate triple")
    combos = [tuple(int(v) for v in c) for c in combos]
    seeds, copy_seeds = _check_seeds(seeds, "seeds"), _check_seeds(copy_seeds, "copy_seeds")
    steps, d_model = check_int(steps, "steps"), check_int(d_model, "d_model")
    context, recall = check_int(context, "context", 2), check_int(recall, "recall")
    batch, n_test = check_int(batch, "batch"), check_int(n_test, "n_test")
    copy_lag, copy_ctrl_lag = check_int(copy_lag, "copy_lag"), check_int(copy_ctrl_lag, "copy_ctrl_lag")
    check_scalar(lr, "lr", positive=True)
    if recall >= context:
        raise ValueError(f"recall must be < context, got recall={recall}, context={context}")
    if max(copy_lag, copy_ctrl_lag) >= context + recall:
        raise ValueError(f"copy_lag and copy_ctrl_lag must be < context + recall = {context + recall}")
    if steps % 10:
        raise ValueError(f"steps must be a multiple of 10 (curves in 10 blocks), got {steps}")
    runs = [("induction", c, s, 0) for c in combos for s in seeds]
    runs += [("copy", (1, 1, 1), s, lag) for lag in (copy_lag, copy_ctrl_lag) for s in copy_seeds]
    out = dict(cell={}, copy={}, copy_curves={}, combos=combos, diverged=0,
               curve_steps=np.arange(1, 11) * steps // 10)
    for kind in KINDS:
        cfg = MambaConfig(vocab=16, d_model=d_model, n_layers=2, d_state=16, kind=kind)
        r = train_selective(cfg, [x[2] for x in runs], [x[1] for x in runs], steps, tasks=[x[0] for x in runs],
                            lags=[x[3] for x in runs], length=context + recall, recall=recall, batch=batch, lr=lr,
                            n_test=n_test, record_every=steps // 10)
        acc = {x: float(r["test_acc"][i]) for i, x in enumerate(runs)}
        out["diverged"] += int(r["diverged"].sum())
        for c in combos:
            out["cell"][(kind, c)] = np.array([acc[("induction", c, s, 0)] for s in seeds])
        for lag in (copy_lag, copy_ctrl_lag):
            out["copy"][(kind, lag)] = np.array([acc[("copy", (1, 1, 1), s, lag)] for s in copy_seeds])
        for i, x in enumerate(runs):
            if x[0] == "copy":
                out["copy_curves"][(kind, x[3], x[2])] = r["acc"][i]
    return out


def table3_statistics(study: dict, copy_lag: int, copy_ctrl_lag: int, learned: float = 0.3, level: float = 0.95) -> dict:
    """The Table 3 and copy statistics of :func:`table3_study` (Student-t bounds over seeds, :mod:`ssmtheory.stats`).

    Per seed, ``gap = complex - real`` held-out accuracy averaged over a group of gate combinations: ``bc`` (B and C
    both selective) or ``other``.  Returns ``superior`` / ``superior_ctrl`` (one-sided "greater" t inference of the
    gap over ``other`` / ``bc``), ``noninf`` / ``noninf_ctrl`` (the upper "less" bound of the gap over ``bc`` /
    ``other``, ``+inf`` when neither kind's mean accuracy in the group reaches ``learned``) with their inferences
    ``noninf_inf`` / ``noninf_ctrl_inf``, ``best_cell`` (per-seed accuracies of the cell with the highest mean) and
    ``copy`` / ``copy_ctrl`` (paired t of complex - real at ``copy_lag`` / ``copy_ctrl_lag``).  Both groups must
    hold at least one combination.
    """
    if not isinstance(study, dict) or not {"cell", "copy", "combos"} <= set(study):
        raise ValueError("study must be the dict returned by table3_study")
    for lag, name in ((copy_lag, "copy_lag"), (copy_ctrl_lag, "copy_ctrl_lag")):
        if ("real", check_int(lag, name)) not in study["copy"]:
            raise ValueError(f"{name}={lag} is not a lag of the study's copy runs")
    check_scalar(learned, "learned", minimum=0.0, maximum=1.0)
    check_scalar(level, "level", minimum=0.5, maximum=1.0)
    cell, combos = study["cell"], study["combos"]

    if len({c[0] == 1 and c[1] == 1 for c in combos}) != 2:
        raise ValueError(f"study combos must include gate triples with and without B, C both selective, got {combos}")

    def gap(bc_selective):
        grp = [c for c in combos if (c[0] == 1 and c[1] == 1) == bc_selective]
        return np.mean([cell[("complex", c)] - cell[("real", c)] for c in grp], axis=0), grp

    def noninferiority(bc_selective):
        g, grp = gap(bc_selective)
        inf = stats.t_mean(g, alternative="less", level=level)
        ok = max(np.mean([cell[(k, c)].mean() for c in grp]) for k in KINDS) >= learned
        return (inf.hi if ok else np.inf), inf

    out = dict(superior=stats.t_mean(gap(False)[0], alternative="greater", level=level),
               superior_ctrl=stats.t_mean(gap(True)[0], alternative="greater", level=level),
               best_cell=max(cell.values(), key=np.mean))
    out["noninf"], out["noninf_inf"] = noninferiority(True)
    out["noninf_ctrl"], out["noninf_ctrl_inf"] = noninferiority(False)
    cp = study["copy"]
    out["copy"] = stats.paired_t(cp[("complex", copy_lag)], cp[("real", copy_lag)], level=level)
    out["copy_ctrl"] = stats.paired_t(cp[("complex", copy_ctrl_lag)], cp[("real", copy_ctrl_lag)], level=level)
    return out


def format_table3(study: dict) -> str:
    """Table 3 of :func:`table3_study` as text: held-out accuracy, highest / lowest over seeds, per combination."""
    if not isinstance(study, dict) or "cell" not in study:
        raise ValueError("study must be the dict returned by table3_study")
    lines = [f"  {'B C Delta':10s}{'real':>16s}{'complex':>16s}"]
    lines += [f"  {str(c):10s}" + "".join(f"{study['cell'][(k, c)].max():8.3f}/{study['cell'][(k, c)].min():.3f}"
                                           for k in KINDS) for c in study["combos"]]
    return "\n".join(lines)
