"""The StableSSM learning-rate sweep (Table 2) in the authors' model, scaled down for CPU.

Source [C]: github.com/radarFudan/StableSSM, ``src/models/recurrent/stablessm.py`` (``STABLESSMKernel``,
``STABLESSM``, ``StableSSMModel``), ``configs/model/stablessm.yaml`` and ``history_experiments/expr_mnist*.sh``.
``ssmtheory.models`` cannot express this setting (its S4D block has another init for ``direct``, a fixed
"best" constant, and GELU *or* GLU), so the model is re-implemented here.

**Model** (``x (B, L, 1)`` -> logits ``(B, 10)``): encoder ``Linear(1, H)``; ``n_layers`` residual blocks, each::

    K_l = 2 Re sum_n C_n (exp(dt A_n) - 1) / A_n exp(l dt A_n),   A_n = f(w_n) + i A_imag_n   (n < N/2, per channel)
    z = GELU(K * v + D v);   z = GLU(Conv1d_1x1(H -> 2H)(z));   v = LayerNorm(v + z)      (post-norm, dropout 0)

mean over time, decoder ``Linear(H, 10)``.  Init [C]: ``log dt ~ U[log 1e-3, log 1e-1]``; ``C ~ CN(0, 1)``
(real and imaginary parts ``N(0, 1/2)``); ``A_imag = pi n`` (trainable); ``D ~ N(0, 1)``; ``Re A = -0.5`` via
``w = log 0.5`` (exp), ``log(expm1 0.5)`` (softplus), ``sqrt(1/0.5 - b)`` (best, ``f = -1/(w^2 + b)``) — except
**direct**, ``f(w) = w`` with ``w = +0.5``: the authors' direct model starts **unstable**.  "best" uses ``b = 0.1``
in the code and ``b = 0.5`` in the paper; both are run (configs ``"best0.1"``, ``"best0.5"``).
Linear layers: PyTorch's default ``U(+-1/sqrt(fan_in))``.

**Training** [C]: AdamW on **all** parameters with **one** learning rate (the ``_optim`` hints are ignored by the
authors' training module), weight decay 0.01, cosine decay to 0 over the run, cross-entropy.  A run *diverges* at
its first non-finite loss, gradient or parameter (the paper's "NaN").
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ssmtheory.train import OptimizerSpec, fit_population
from ssmtheory._validate import as_array, check_choice, check_int, check_positive

__all__ = ["CONFIGS", "real_part", "init_params", "kernel", "apply", "lr_sweep"]

#: parameterization configs: (name, f index, best's b)
CONFIGS = ("direct", "exp", "softplus", "best0.1", "best0.5")
_KIND = {"direct": 0, "exp": 1, "softplus": 2, "best0.1": 3, "best0.5": 3}
_B = {"best0.1": 0.1, "best0.5": 0.5}


def real_part(config: str, w):
    """``Re A = f(w)`` of a config in :data:`CONFIGS` (jnp)."""
    check_choice(config, "config", CONFIGS)
    w = as_array(w, "w", allow_complex=False)
    return _f(_KIND[config], _B.get(config, 0.1), jnp.asarray(w))


def _f(kind, b, w):
    """``f`` selected by a (possibly traced) integer ``kind``; NaN-safe double-``where`` for unselected branches."""
    fs = [lambda x: x, lambda x: -jnp.exp(x), lambda x: -jax.nn.softplus(x), lambda x: -1.0 / (x**2 + b)]
    out = jnp.zeros_like(w)
    for i, f in enumerate(fs):
        sel = kind == i
        out = jnp.where(sel, f(jnp.where(sel, w, -jnp.ones_like(w))), out)
    return out


def _w0(config):
    if config == "direct":
        return 0.5
    if config == "exp":
        return math.log(0.5)
    if config == "softplus":
        return math.log(math.expm1(0.5))
    return math.sqrt(1 / 0.5 - _B[config])


def init_params(key, config: str, H: int = 64, N: int = 64, n_layers: int = 4, d_in: int = 1, d_out: int = 10,
                dt_min: float = 1e-3, dt_max: float = 0.1) -> dict:
    """Authors' init (module docstring); float32; ``N`` is the authors' ``d_state`` (``N/2`` complex modes)."""
    check_choice(config, "config", CONFIGS)
    H, N, n_layers = check_int(H, "H"), check_int(N, "N"), check_int(n_layers, "n_layers")
    d_in, d_out = check_int(d_in, "d_in"), check_int(d_out, "d_out")
    check_positive(dt_min, "dt_min")
    check_positive(dt_max, "dt_max")
    if dt_min > dt_max:
        raise ValueError(f"dt_min must be <= dt_max, got {dt_min} > {dt_max}")
    if N % 2:
        raise ValueError(f"N must be even (N/2 conjugate pairs), got {N}")
    n = N // 2
    keys = jax.random.split(key, n_layers + 2)

    def lin(k, d_i, d_o):
        k1, k2 = jax.random.split(k)
        a = 1 / math.sqrt(d_i)
        return {"W": jax.random.uniform(k1, (d_o, d_i), jnp.float32, -a, a),
                "b": jax.random.uniform(k2, (d_o,), jnp.float32, -a, a)}

    layers = []
    for k in keys[:n_layers]:
        k1, k2, k3, k4 = jax.random.split(k, 4)
        layers.append(dict(
            log_dt=jax.random.uniform(k1, (H,), jnp.float32, math.log(dt_min), math.log(dt_max)),
            C=jax.random.normal(k2, (H, n, 2), jnp.float32) * math.sqrt(0.5),
            w=jnp.full((H, n), _w0(config), jnp.float32),
            A_imag=jnp.broadcast_to(jnp.pi * jnp.arange(n, dtype=jnp.float32), (H, n)),
            D=jax.random.normal(k3, (H,), jnp.float32),
            out=lin(k4, H, 2 * H),
            norm={"scale": jnp.ones(H, jnp.float32), "bias": jnp.zeros(H, jnp.float32)},
        ))
    return {"encoder": lin(keys[-2], d_in, H), "layers": layers, "decoder": lin(keys[-1], H, d_out)}


def _check_kind(kind, b):
    if isinstance(kind, bool) or not isinstance(kind, (int, np.integer)) or not 0 <= kind <= 3:
        raise ValueError(f"kind must be an int in 0..3 (direct, exp, softplus, best), got {kind!r}")
    check_positive(b, "b")


def kernel(lp: dict, L: int, kind: int, b: float):
    """``K (H, L)`` of one layer (authors' ``STABLESSMKernel.forward``); ``kind`` 0..3 selects ``f`` (direct, exp,
    softplus, best) and ``b`` is best's constant."""
    if not isinstance(lp, dict) or any(k not in lp for k in ("log_dt", "C", "w", "A_imag")):
        raise ValueError("lp must be one layer dict of init_params (log_dt, C, w, A_imag)")
    _check_kind(kind, b)
    return _kernel(lp, check_int(L, "L"), kind, b)


def _kernel(lp, L, kind, b):
    dt = jnp.exp(lp["log_dt"])[:, None]
    A = _f(kind, b, lp["w"]) + 1j * lp["A_imag"]
    C = (lp["C"][..., 0] + 1j * lp["C"][..., 1]) * (jnp.exp(dt * A) - 1.0) / A
    return 2 * jnp.einsum("hn,hnl->hl", C, jnp.exp(dt[..., None] * A[..., None] * jnp.arange(L))).real


def apply(params: dict, x, kind: int, b: float):
    """Logits ``(B, d_out)`` for ``x (B, L, d_in)``; ``kind``/``b`` select ``f`` (see :func:`kernel`)."""
    if not isinstance(params, dict) or any(k not in params for k in ("encoder", "layers", "decoder")):
        raise ValueError("params must be the dict of init_params")
    x = as_array(x, "x", ndim=3, allow_complex=False)
    if x.shape[-1] != params["encoder"]["W"].shape[1]:
        raise ValueError(f"x must end in d_in = {params['encoder']['W'].shape[1]}, got shape {tuple(x.shape)}")
    _check_kind(kind, b)
    return _apply(params, x, kind, b)


def _apply(params, x, kind, b):
    L = x.shape[-2]
    v = x @ params["encoder"]["W"].T + params["encoder"]["b"]
    for lp in params["layers"]:
        k = _kernel(lp, L, kind, b)
        y = jnp.fft.irfft(jnp.fft.rfft(v, n=2 * L, axis=-2) * jnp.fft.rfft(k.T, n=2 * L, axis=0), n=2 * L, axis=-2)[..., :L, :]
        z = jax.nn.gelu(y + v * lp["D"], approximate=False)
        z = z @ lp["out"]["W"].T + lp["out"]["b"]
        H = v.shape[-1]
        z = z[..., :H] * jax.nn.sigmoid(z[..., H:])
        v = v + z
        mu = v.mean(-1, keepdims=True)
        var = ((v - mu) ** 2).mean(-1, keepdims=True)
        v = (v - mu) / jnp.sqrt(var + 1e-5) * lp["norm"]["scale"] + lp["norm"]["bias"]
    return v.mean(-2) @ params["decoder"]["W"].T + params["decoder"]["b"]


def _ce(p, xb, yb, aux):
    """The engine's ``loss_fn``: mean cross-entropy of one member; ``aux`` holds its ``kind`` and ``b`` (traced)."""
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(_apply(p, xb, aux["kind"], aux["b"]), yb))


@jax.jit
def _test_loss(params, aux, xt, yt):
    """Mean test cross-entropy of every member over the chunks ``xt (C, chunk, L, d)``, ``yt (C, chunk)``."""
    def one(p, a):
        return jnp.mean(jax.lax.map(lambda ab: _ce(p, ab[0], ab[1], a), (xt, yt)))

    return jax.vmap(one)(params, aux)


def lr_sweep(x, y, x_test, y_test, configs, lrs, seeds, steps: int = 200, batch_size: int = 64, H: int = 64,
             N: int = 64, n_layers: int = 4, weight_decay: float = 0.01, *, data_seed: int, test_chunk: int = 50) -> dict:
    """Every (config, seed, lr) run as one population of the engine (:func:`ssmtheory.train.fit_population`).

    Every run sees the same minibatches: step ``t`` takes ``numpy.random.default_rng(data_seed)``'s ``t``-th draw
    of ``batch_size`` examples without replacement.  AdamW (weight decay on every parameter, cosine decay to 0
    over ``steps``), one learning rate per run; the engine's guard freezes a run at its first non-finite loss,
    gradient or parameter.  Returns NumPy arrays indexed ``[config, seed, lr]``: ``diverged`` (bool),
    ``diverged_step`` (the first failing step, ``steps`` if only the test loss is non-finite, -1 if none), ``test_loss`` (on the first ``test_chunk * floor(n_test / test_chunk)`` test
    examples) and ``train_loss`` (mean of the last 10 steps) — NaN where diverged (a non-finite test loss also
    counts as diverged) — and ``lrs``, ``configs``.
    """
    configs = tuple([configs] if isinstance(configs, str) else configs)
    if not configs:
        raise ValueError("configs must be a non-empty sequence")
    for c in configs:
        check_choice(c, "configs", CONFIGS)
    seeds = tuple(check_int(s_, "seeds", minimum=0) for s_ in seeds)
    if not seeds:
        raise ValueError("seeds must be a non-empty sequence")
    data_seed = check_int(data_seed, "data_seed", minimum=0)
    test_chunk = check_int(test_chunk, "test_chunk")
    if not np.isfinite(weight_decay) or weight_decay < 0:
        raise ValueError(f"weight_decay must be finite and >= 0, got {weight_decay}")
    x = as_array(x, "x", ndim=3, allow_complex=False)
    x_test = as_array(x_test, "x_test", ndim=3, allow_complex=False)
    y, y_test = np.asarray(y), np.asarray(y_test)
    if y.shape != x.shape[:1] or y_test.shape != x_test.shape[:1] or y.dtype.kind not in "iu" or y_test.dtype.kind not in "iu":
        raise ValueError("y and y_test must be integer labels, one per example of x and x_test")
    lrs = np.asarray(as_array(lrs, "lrs", ndim=1, allow_complex=False), np.float64)
    if lrs.ndim != 1 or np.any(~np.isfinite(lrs)) or np.any(lrs <= 0):
        raise ValueError("lrs must be a 1-D array of positive learning rates")
    steps, batch_size = check_int(steps, "steps"), check_int(batch_size, "batch_size")
    x, y = jnp.asarray(x, jnp.float32), jnp.asarray(y)
    n = x.shape[0]
    if batch_size > n:
        raise ValueError(f"batch_size must be <= the number of examples ({n})")
    rng = np.random.default_rng(data_seed)
    idx = np.stack([rng.choice(n, batch_size, replace=False) for _ in range(steps)])  # (steps, B), shared
    runs = [(c, s, lr) for c in configs for s in seeds for lr in lrs]
    p0 = {(c, s): init_params(jax.random.PRNGKey(int(s)), c, H, N, n_layers, d_in=x.shape[-1])
          for c in configs for s in seeds}
    params = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[p0[(c, s)] for c, s, _ in runs])
    kinds = jnp.asarray([_KIND[c] for c, _, _ in runs])
    bs = jnp.asarray([_B.get(c, 0.1) for c, _, _ in runs], jnp.float32)
    nt = (len(y_test) // test_chunk) * test_chunk
    if nt == 0:
        raise ValueError(f"test_chunk must be <= the number of test examples ({len(y_test)})")
    xt = jnp.asarray(x_test[:nt], jnp.float32).reshape((-1, test_chunk) + tuple(x_test.shape[1:]))
    yt = jnp.asarray(y_test[:nt]).reshape(-1, test_chunk)
    spec = OptimizerSpec(name="adamw", schedule="cosine", decay_steps=steps, weight_decay=weight_decay,
                         decay_ssm=True)  # [C] one optimizer for every parameter
    aux = {"kind": kinds, "b": bs}
    res = fit_population(_ce, params, (x, y), steps=steps, opt=spec, lr=np.array([lr for _, _, lr in runs]), aux=aux,
                         batches=idx)
    tl = np.asarray(_test_loss(res.params, aux, xt, yt), np.float64)
    shape = (len(configs), len(seeds), lrs.size)
    hist = res.losses.T.astype(np.float64).reshape(shape + (steps,))
    diverged = res.diverged.reshape(shape) | ~np.isfinite(tl.reshape(shape))
    tl = tl.reshape(shape)
    train_loss = np.where(diverged, np.nan, np.mean(hist[..., -10:], -1))
    step = np.where(res.diverged, res.steps, steps).reshape(shape)  # the failing step; `steps`: at the test set
    return {"diverged": diverged, "diverged_step": np.where(diverged, step, -1),
            "test_loss": np.where(diverged, np.nan, tl), "train_loss": train_loss,
            "lrs": lrs, "configs": configs, "seeds": tuple(seeds)}
