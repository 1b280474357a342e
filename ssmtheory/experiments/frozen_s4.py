"""The PTD paper's frozen-spectrum robustness test (``S4-PTD/robustness.py``, AnnanYu/Approximate_Diagonal), at CPU scale.

The authors' model, read from their code (HEAD ec98d6a) and kept here:

* a linear encoder ``d_input -> H``; ``n_layers`` layers; mean pooling over time; a linear decoder;
* each layer is **one diagonal system per channel** ``h``: all ``N`` eigenvalues ``lambda`` of the chosen
  ``N x N`` matrix (conjugate pairs both kept), ``B_tilde = V^{-1} B_H`` with the **full** HiPPO ``B_H``
  (``B_n = sqrt(2n+1)``), ``C_tilde = C V`` with ``C ~ N(0, 1)^{H x N}`` real, a per-channel step ``Delta_h``
  log-uniform in ``[1e-3, 1e-1]``; ZOH kernel ``K_h[k] = 2 Re sum_n C_hn B_n (e^{Delta_h lambda_n} - 1)/lambda_n
  e^{Delta_h lambda_n k}``, applied by FFT convolution; **no D**;
* ``lambda``, ``B_tilde`` and ``Delta`` are **frozen** (buffers); ``C`` and everything else train (AdamW, weight decay
  0.05; ``C`` at lr 0.004, the rest at lr 0.01; cosine schedule over the epochs);
* after the convolution: GELU, a pointwise ``H -> 2H`` linear map + GLU, **no residual**, post-LayerNorm;
* test-time noise added to **every** SSM input: ``xi_{b,h,k} = noise U_{b,h} cos(omega Delta_h k)`` with
  ``U ~ Unif[0, 1)`` per example and channel (constant in time), ``omega = omega_max = max Im Lambda(A_N)`` (325.4 at
  ``N = 32``) and each channel's **own** ``Delta_h``, so the noise sits on S4D's largest spike.

S4D-LegS uses ``(Lambda(A_N), V unitary)``; S4-PTD uses the eigendecomposition of ``A_H + E``.  Differences from the
authors' run (CPU scale): sequential 8x8 digits (optionally each pixel repeated) instead of sCIFAR; ``H``, layers,
epochs and dataset size are parameters; no dropout (deterministic training); the clean/noisy accuracy is measured once
at the end of training instead of per epoch.  Every ``(init, seed)`` model shares its random draws (``C``, ``Delta``,
the network weights, the batches, the noise ``U``) with its twin of the other initialization: the comparison is paired.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ssmtheory import init as _init
from ssmtheory import ssm as _ssm
from ssmtheory import train as _train
from ssmtheory._validate import as_array, check_int, check_scalar, check_size, check_square, check_stable_continuous

__all__ = ["spectrum_s4d", "spectrum_ptd", "init_params", "kernel", "apply", "noise_gain", "train_and_eval"]


def spectrum_s4d(N: int):
    """``(lambda, V, B_tilde)`` of the HiPPO-LegS normal part ``A_N``: the S4D-LegS spectrum, all ``N`` modes, unitary
    ``V`` (so ``B_tilde = V^{-1} B_H = V^* B_H``, the full HiPPO ``B``)."""
    N = check_int(N, "N")
    check_size(16 * N * N, "N", "(N, N) eigenvector matrix")
    lam, V = _init.hippo_legs_normal_eig(N)
    return lam, V, V.conj().T @ _init.hippo_legs(N)[1].astype(np.complex128)


def spectrum_ptd(A_pert):
    """``(lambda, V, B_tilde = V^{-1} B_H)`` of a perturbed HiPPO matrix ``A_H + E`` (:func:`ssmtheory.ssm.diagonalize`;
    meant for small ``kappa(V)``)."""
    A_pert = check_square(A_pert, "A_pert", allow_complex=False).astype(float)
    lam, V, Bt, _ = _ssm.diagonalize(A_pert, _init.hippo_legs(A_pert.shape[0])[1])
    if lam.real.max() >= 0:
        raise ValueError(f"A_pert must be stable (max Re lambda = {lam.real.max():.3g})")
    return lam, V, Bt


def _frozen_B(lam, V, Bt):
    """Validated ``(lam, V, B_tilde)`` in complex128 (a stable spectrum, invertible ``V``, ``B_tilde`` of length ``N``)."""
    lam = np.asarray(as_array(lam, "lam", ndim=1), np.complex128)
    V = np.asarray(as_array(V, "V", ndim=2), np.complex128)
    Bt = np.asarray(as_array(Bt, "Bt", ndim=1), np.complex128)
    if V.shape != (lam.size, lam.size):
        raise ValueError(f"lam must be (N,) and V (N, N), got {lam.shape} and {V.shape}")
    if Bt.shape != lam.shape:
        raise ValueError(f"Bt must be (N,) = {lam.shape}, got {Bt.shape}")
    check_stable_continuous(lam, "lam")
    if np.linalg.cond(V) > 1e14:
        raise ValueError(f"V must be invertible (eigenvectors), got condition number {np.linalg.cond(V):.3g}")
    return lam, V, Bt


def init_params(seed: int, lam, V, Bt, H: int = 32, n_layers: int = 2, d_input: int = 1, d_output: int = 10,
                dt_min: float = 1e-3, dt_max: float = 1e-1):
    """``(trainable, frozen)`` parameter dicts (NumPy float32 / complex64) for one model.

    ``(lam, V, Bt)`` is a frozen spectrum (:func:`spectrum_s4d`, :func:`spectrum_ptd`).  All random draws depend on
    ``seed`` only (not on the spectrum), so two spectra get the same ``C`` (before the change of basis ``C V``),
    ``Delta``, encoder, decoder and mixing weights.
    """
    lam, V, Bt = _frozen_B(lam, V, Bt)
    H, n_layers = check_int(H, "H"), check_int(n_layers, "n_layers")
    d_input, d_output = check_int(d_input, "d_input"), check_int(d_output, "d_output")
    dt_min, dt_max = _check_dt(dt_min, dt_max)
    N = lam.size
    check_size(8 * n_layers * H * max(N, 2 * H), "H", "per-layer weights")
    check_size(8 * H * max(d_input, d_output), "d_input", "encoder/decoder weights")
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    train, frozen = {"layers": []}, {"lam": lam.astype(np.complex64), "Bt": Bt.astype(np.complex64), "log_dt": []}
    train["enc_W"] = (rng.uniform(-1, 1, (d_input, H)) / math.sqrt(d_input)).astype(np.float32)
    train["enc_b"] = np.zeros(H, np.float32)
    for _ in range(n_layers):
        C = rng.normal(size=(H, N)) @ V
        log_dt = rng.uniform(math.log(dt_min), math.log(dt_max), H)
        frozen["log_dt"].append(log_dt.astype(np.float32))
        train["layers"].append(dict(
            C_re=C.real.astype(np.float32), C_im=C.imag.astype(np.float32),
            W=(rng.uniform(-1, 1, (H, 2 * H)) / math.sqrt(H)).astype(np.float32), b=np.zeros(2 * H, np.float32),
            ln_g=np.ones(H, np.float32), ln_b=np.zeros(H, np.float32)))
    train["dec_W"] = (rng.uniform(-1, 1, (H, d_output)) / math.sqrt(H)).astype(np.float32)
    train["dec_b"] = np.zeros(d_output, np.float32)
    frozen["log_dt"] = np.stack(frozen["log_dt"])
    return train, frozen


def _check_dt(dt_min, dt_max):
    dt_min = check_scalar(dt_min, "dt_min", positive=True)
    dt_max = check_scalar(dt_max, "dt_max", positive=True)
    if dt_max < dt_min:
        raise ValueError(f"dt_max must be >= dt_min, got dt_min={dt_min}, dt_max={dt_max}")
    return dt_min, dt_max


def kernel(C, lam, Bt, log_dt, L: int):
    """ZOH kernel ``(H, L)``: ``2 Re sum_n C_hn Bt_n (e^{dt_h lam_n} - 1)/lam_n e^{dt_h lam_n k}`` (the authors' form).

    Validated when called with concrete arrays (shapes ``C (H, N)``, ``lam (N,)``, ``Bt (N,)``, ``log_dt (H,)``,
    finiteness, ``L >= 1``); inside ``jit`` only the shapes are checked."""
    import jax.numpy as jnp

    C, lam, Bt = as_array(C, "C", ndim=2), as_array(lam, "lam", ndim=1), as_array(Bt, "Bt", ndim=1)
    log_dt = as_array(log_dt, "log_dt", ndim=1, allow_complex=False)
    L = check_int(L, "L")
    if C.shape != (log_dt.shape[0], lam.shape[0]) or Bt.shape != lam.shape:
        raise ValueError(f"need C (H, N), lam (N,), Bt (N,), log_dt (H,); got C {C.shape}, lam {lam.shape}, "
                         f"Bt {Bt.shape}, log_dt {log_dt.shape}")
    check_size(16 * C.shape[0] * C.shape[1] * L, "L", "(H, N, L) kernel terms")

    dt = jnp.exp(log_dt)[:, None]
    dtA = lam[None, :] * dt
    W = C * Bt[None, :] * (jnp.exp(dtA) - 1.0) / lam[None, :]
    return 2.0 * jnp.real(jnp.einsum("hn,hnl->hl", W, jnp.exp(dtA[..., None] * jnp.arange(L))))


def _conv(u, K):
    """Causal convolution of ``u (B, L, H)`` with ``K (H, L)`` by FFT (zero padding to ``2L``)."""
    import jax.numpy as jnp

    L = u.shape[1]
    uf = jnp.fft.rfft(u, n=2 * L, axis=1)
    kf = jnp.fft.rfft(K.T, n=2 * L, axis=0)
    return jnp.fft.irfft(uf * kf[None], n=2 * L, axis=1)[:, :L]


def apply(train, frozen, x, noise=None):
    """Logits ``(B, d_output)`` for inputs ``x (B, L, d_input)``.

    ``noise``: ``None`` or a function ``(layer, log_dt (H,), L) -> (B or 1, L, H)`` added to the layer's SSM input.
    """
    import jax
    import jax.numpy as jnp

    x = as_array(x, "x", ndim=3, allow_complex=False)
    if x.shape[-1] != train["enc_W"].shape[0]:
        raise ValueError(f"x must be (B, L, d_input = {train['enc_W'].shape[0]}), got {x.shape}")
    h = x @ train["enc_W"] + train["enc_b"]
    L = x.shape[1]
    for i, lp in enumerate(train["layers"]):
        C = lp["C_re"] + 1j * lp["C_im"]
        K = kernel(C, frozen["lam"], frozen["Bt"], frozen["log_dt"][i], L)
        u = h if noise is None else h + noise(i, frozen["log_dt"][i], L)
        y = jax.nn.gelu(_conv(u, K))
        z = y @ lp["W"] + lp["b"]
        H = z.shape[-1] // 2
        y = z[..., :H] * jax.nn.sigmoid(z[..., H:])
        mu = y.mean(-1, keepdims=True)
        var = ((y - mu) ** 2).mean(-1, keepdims=True)
        h = (y - mu) / jnp.sqrt(var + 1e-5) * lp["ln_g"] + lp["ln_b"]
    return h.mean(1) @ train["dec_W"] + train["dec_b"]


def noise_gain(lam, V, Bt, omega: float, L: int, H: int = 256, seed: int = 0, dt_min: float = 1e-3, dt_max: float = 1e-1):
    """Mean over ``H`` channels of the RMS over ``k < L`` of the SSM output driven by ``cos(omega Delta_h k)`` alone,
    at initialization (``C ~ N(0,1) V``, ``Delta_h`` log-uniform; the draws depend on ``seed`` only) for the frozen
    spectrum ``(lam, V, Bt)``.  float64, host."""
    lam, V, Bt = _frozen_B(lam, V, Bt)
    omega = check_scalar(omega, "omega")
    L, H = check_int(L, "L"), check_int(H, "H")
    check_size(16 * H * lam.size * L, "L" if L >= H else "H", "(H, N, L) kernel terms")
    dt_min, dt_max = _check_dt(dt_min, dt_max)
    N = lam.size
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    C = rng.normal(size=(H, N)) @ V
    dt = np.exp(rng.uniform(math.log(dt_min), math.log(dt_max), H))[:, None]
    dtA = lam[None, :] * dt
    W = C * Bt[None, :] * (np.exp(dtA) - 1.0) / lam[None, :]
    k = np.arange(L)
    K = 2.0 * np.real(np.einsum("hn,hnl->hl", W, np.exp(dtA[..., None] * k)))
    u = np.cos(omega * dt * k[None, :])
    y = np.array([np.convolve(u[h], K[h])[:L] for h in range(H)])
    return float(np.mean(np.sqrt(np.mean(y**2, axis=1))))


def _labels(params):
    """``"C"`` for the output matrices ``C_re``/``C_im`` (their own learning rate), ``"rest"`` for everything else."""
    import jax

    return jax.tree_util.tree_map_with_path(
        lambda p, _: "C" if any(getattr(k, "key", None) in ("C_re", "C_im") for k in p) else "rest", params)


@functools.lru_cache(maxsize=8)
def _optimizer(steps: int, lr: float, lr_C: float, weight_decay: float):
    """The authors' optimizer: AdamW with a cosine schedule over ``steps``, ``C`` at ``lr_C`` and the rest at ``lr``
    (``optax.multi_transform``).  Cached, so the engine gets the same transformation object and compiles once."""
    import optax

    sched = lambda base: optax.cosine_decay_schedule(base, max(steps, 1))
    return optax.multi_transform({"C": optax.adamw(sched(lr_C), weight_decay=weight_decay),
                                  "rest": optax.adamw(sched(lr), weight_decay=weight_decay)}, _labels)


def _ce_loss(train, xb, yb, frozen):
    """Mean softmax cross-entropy of one model on a batch (the engine's ``loss_fn(params, xb, yb, aux)``)."""
    import optax

    return optax.softmax_cross_entropy_with_integer_labels(apply(train, frozen, xb), yb).mean()


def _evaluate(train, frozen, X, Y, U, omegas, noise_amp):
    """Accuracies ``(n_models, 1 + len(omegas))``: clean, then noisy at each frequency (one jitted vmapped call each)."""
    import jax
    import jax.numpy as jnp

    def acc(tr, fr, om):
        def nz(i, log_dt, L):
            return noise_amp * U * jnp.cos(om * jnp.exp(log_dt)[None, None, :] * jnp.arange(L)[None, :, None])
        logits = apply(tr, fr, X, noise=None if om is None else nz)
        return jnp.mean(jnp.argmax(logits, -1) == Y)

    out = [jax.jit(jax.vmap(lambda tr, fr: acc(tr, fr, None)))(train, frozen)]
    for om in omegas:
        out.append(jax.jit(jax.vmap(lambda tr, fr, o=float(om): acc(tr, fr, o)))(train, frozen))
    return np.stack([np.asarray(o) for o in out], axis=1)


def train_and_eval(spectra: dict, seeds, data, H: int = 32, n_layers: int = 2, epochs: int = 5, batch: int = 64,
                   lr: float = 0.01, lr_C: float = 0.004, weight_decay: float = 0.05, noise_amp: float = 0.1,
                   omegas=(), noise_seed: int = 0, data_seed: int = 0):
    """Train one model per ``(spectrum, seed)`` (one population of :func:`ssmtheory.train.fit_population`: AdamW,
    cosine schedule, ``C`` at ``lr_C``) and evaluate clean and noisy.

    ``spectra``: ``{name: (lambda, V, B_tilde)}`` (:func:`spectrum_s4d`, :func:`spectrum_ptd`); ``data``: a
    ``tasks.Split``; ``omegas``: noise frequencies (rad per unit time; the discrete frequency of channel ``h`` is
    ``omega Delta_h``).  Returns ``{name: {"clean": (n_seeds,), "noisy": (n_seeds, len(omegas))}}`` plus ``"_meta"``
    (steps, test size, diverged models).  Batches: per epoch a permutation from ``numpy.random.default_rng(data_seed)``
    cut into ``n // batch`` batches, one table for every model (the engine's ``batches=``); the noise amplitudes ``U``
    come from ``noise_seed`` (the same for every model).
    """
    import jax
    import jax.numpy as jnp

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must be non-empty")
    H, n_layers, epochs, batch = (check_int(v, k) for v, k in ((H, "H"), (n_layers, "n_layers"), (epochs, "epochs"), (batch, "batch")))
    noise_amp = check_scalar(noise_amp, "noise_amp", positive=True)
    lr, lr_C = check_scalar(lr, "lr", positive=True), check_scalar(lr_C, "lr_C", positive=True)
    weight_decay = check_scalar(weight_decay, "weight_decay", nonnegative=True)
    omegas = [check_scalar(o, "omegas") for o in omegas]
    if not isinstance(spectra, dict) or not spectra:
        raise ValueError("spectra must be a non-empty dict {name: (lambda, V, B_tilde)}")
    if batch > data.x_train.shape[0]:
        raise ValueError(f"batch = {batch} exceeds n_train = {data.x_train.shape[0]} (no full batch to draw)")
    names = list(spectra)
    trs, frs = [], []
    for nm in names:
        for s in seeds:
            tr, fr = init_params(s, *spectra[nm], H=H, n_layers=n_layers, d_input=data.x_train.shape[-1],
                                 d_output=data.n_classes)
            trs.append(tr)
            frs.append(fr)
    stack = lambda ts: jax.tree_util.tree_map(lambda *x: jnp.stack([jnp.asarray(v) for v in x]), *ts)
    train, frozen = stack(trs), stack(frs)
    n = data.x_train.shape[0]
    nb = n // batch
    rng = np.random.default_rng(check_int(data_seed, "data_seed", minimum=0))  # one batch table for every model (paired)
    idx = np.concatenate([rng.permutation(n)[: nb * batch].reshape(nb, batch) for _ in range(epochs)])
    steps = int(idx.shape[0])
    res = _train.fit_population(_ce_loss, train, (jnp.asarray(data.x_train), jnp.asarray(data.y_train)), steps=steps,
                                opt=_optimizer(steps, float(lr), float(lr_C), float(weight_decay)), aux=frozen,
                                batches=idx)
    train = res.params
    Xte, Yte = jnp.asarray(data.x_test), jnp.asarray(data.y_test)
    U = jnp.asarray(np.random.default_rng(noise_seed).uniform(size=(Xte.shape[0], 1, H)), jnp.float32)
    A = _evaluate(train, frozen, Xte, Yte, U, list(omegas), noise_amp)
    out, k = {}, 0
    for nm in names:
        out[nm] = {"clean": A[k : k + len(seeds), 0], "noisy": A[k : k + len(seeds), 1:]}
        k += len(seeds)
    out["_meta"] = {"steps": steps, "n_test": int(Xte.shape[0]), "diverged": int(np.sum(res.diverged))}
    return out
