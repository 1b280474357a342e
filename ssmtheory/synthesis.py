"""Five lenses on one model family (notebook 06): train deep SSMs under each design choice the papers study,
then evaluate every trained model through every paper's theoretical quantity.

Task: :func:`binary_digits` — scikit-learn's bundled 8x8 digits read pixel by pixel (length 64), label
``+1`` for digits >= 5 and ``-1`` otherwise, a scalar-output regression on ``±1`` (squared loss) so that the
Rácz bound (scalar predictor, bounded Lipschitz loss) applies; the 0-1 error of ``sign(f)`` is reported too.

Design choices (:data:`VARIANTS`), all 2-layer models with GELU, no LayerNorm, no residual (the architecture
the Rácz bound covers): complex vs real diagonal (S4D); direct vs exp vs best reparameterization (StableSSM);
S4D-Lin vs S4D-LegS (channels) and S5-LegS vs S5-PTD vs LRU ring (MIMO) initializations (PTD); with / without
the Liu–Li scaling rule and tau regularizer.

Lenses (:func:`lenses`): test error and generalization gap (clipped square loss, level 1, i.e. the loss the
Rácz bound is stated for); the Rácz length-independent bound (:func:`ssmtheory.bounds.bound_for_model`, model's own
norm ball — a heuristic number for a trained model, which is what is compared across models); the Liu–Li measure
tau summed over layers and channels with training-set statistics; the stability margin ``min(1 - |lambda_bar|)``;
the worst-frequency gain (max over layers and channels of the H-infinity norm — for a diagonal model the
eigenvector condition number is 1 and the epsilon-pseudospectral radius is ``rho + epsilon``, so the resolvent
lens reduces to this gain and the margin); and robustness: the accuracy drop under worst-frequency Fourier noise
``0.1 U cos(theta k)`` added to every layer's input (PTD's test, ``theta`` the largest mode angle of that layer / channel).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import jax
import jax.numpy as jnp
import numpy as np

from . import bounds as _bounds
from . import init as _init
from . import measure as _measure
from . import models as _models
from . import norms as _norms
from . import tasks as _tasks
from ._validate import check_int

BASE = _models.DeepSSMConfig(d_input=1, d_model=16, d_output=1, n_layers=2, d_state=16, block="s4d", init="lin",
                             reparam="exp", complex_states=True, nonlinearity="gelu", residual=False, norm=None,
                             readout="mean", method="fft")


@dataclass(frozen=True)
class Variant:
    """One design choice: config overrides, an optional PTD initialization, the scaling rule, the tau regularizer."""

    name: str
    family: str  # which comparison it belongs to
    overrides: dict = field(default_factory=dict)
    ptd_gamma: float | None = None  # S5 block initialized from PTD of HiPPO-LegS with this gamma
    scale_rule: bool = False
    tau_lambda: float = 0.0

    def config(self, base: _models.DeepSSMConfig = BASE) -> _models.DeepSSMConfig:
        return replace(base, **self.overrides)


VARIANTS = (
    Variant("S4D-Lin (baseline)", "baseline"),
    Variant("real diagonal", "complex vs real", dict(complex_states=False, init="real")),
    Variant("direct reparam", "reparameterization", dict(reparam="direct")),
    Variant("best reparam", "reparameterization", dict(reparam="best")),
    Variant("S4D-LegS", "initialization", dict(init="legs")),
    Variant("S5-LegS", "initialization", dict(block="s5", init="legs")),
    Variant("S5-PTD", "initialization", dict(block="s5", init="legs"), ptd_gamma=10.0),
    Variant("LRU ring", "initialization", dict(block="lru", init="ring", r_min=0.5, r_max=0.99, max_phase=np.pi)),
    Variant("+ scaling rule", "Liu–Li", scale_rule=True),
    Variant("+ tau regularizer", "Liu–Li", tau_lambda=1e-2),
    Variant("+ scaling + regularizer", "Liu–Li", scale_rule=True, tau_lambda=1e-2),
)


def binary_digits(seed: int = 0, n_train: int = 400):
    """``(x_train, y_train, x_test, y_test)`` with ``y = ±1`` (digit >= 5), float32, ``x (n, 64, 1)``."""
    s = _tasks.sequential_digits(seed=seed, n_train=n_train)
    to_pm = lambda y: np.where(y >= 5, 1.0, -1.0).astype(np.float32)[:, None]  # noqa: E731
    return s.x_train, to_pm(s.y_train), s.x_test, to_pm(s.y_test)


def _ptd_s5_params(params, cfg, result):
    """Overwrite every S5 layer's eigenvalues / B / C with the PTD decomposition ``A_H + E = V Lambda V^-1``."""
    lam, V = np.asarray(result.Lambda), np.asarray(result.V)
    Vinv = np.linalg.inv(V)
    out = jax.tree_util.tree_map(lambda a: a, params)
    out["layers"] = [dict(lp) for lp in params["layers"]]
    for lp in out["layers"]:
        p = dict(lp["ssm"])
        # the layer's own random B (P, H) and C (H, P), re-expressed in the PTD eigenbasis
        B = np.asarray(p["B_re"]) + 1j * np.asarray(p["B_im"])
        C = np.asarray(p["C_re"]) + 1j * np.asarray(p["C_im"])
        Bt, Ct = Vinv @ B, C @ V
        dt = p["w"].dtype
        p["w"] = jnp.asarray(_models.raw_weight_for_real_part(cfg, lam.real), dt)
        p["im"] = jnp.asarray(lam.imag, dt)
        p.update(B_re=jnp.asarray(Bt.real, dt), B_im=jnp.asarray(Bt.imag, dt),
                 C_re=jnp.asarray(Ct.real, dt), C_im=jnp.asarray(Ct.imag, dt))
        lp["ssm"] = p
    return out


def init_population(variant: Variant, seeds, x_stats, ptd_result=None):
    """Initial parameters for each seed (stacked on a leading axis), with the variant's PTD / scaling rule applied."""
    cfg = variant.config()
    members = []
    for s in seeds:
        p = _models.init_params(jax.random.PRNGKey(int(s)), cfg)
        if variant.ptd_gamma is not None:
            p = _ptd_s5_params(p, cfg, ptd_result)
        if variant.scale_rule:
            p, _ = _measure.scale_rule(p, cfg, x_stats)
        members.append(p)
    return cfg, jax.tree_util.tree_map(lambda *a: jnp.stack(a), *members)


def train_variant(variant: Variant, data, seeds, steps: int, lr: float = 3e-3, batch_size: int = 64, ptd_result=None):
    """Train one population (one member per seed) with Adam; returns ``(cfg, [params per seed], losses)``."""
    x_tr, y_tr = data[0], data[1]
    cfg, pop = init_population(variant, seeds, x_tr[:256], ptd_result)
    loss_fn = _measure.make_regularized_loss(cfg, kind="mse", lam=0.0)
    lam = jnp.full((len(seeds),), variant.tau_lambda, jnp.float32)
    pop, losses = _measure.fit_population(loss_fn, pop, lam, (x_tr, y_tr), steps=check_int(steps, "steps"), lr=lr,
                                          batch_size=batch_size, seed=int(seeds[0]))
    members = [jax.tree_util.tree_map(lambda a, i=i: a[i], pop) for i in range(len(seeds))]
    return cfg, members, np.asarray(losses)


# ----------------------------------------------------------------------------------------------------- lenses
def clipped_square(pred, y, c: float = 1.0):
    return np.minimum((np.asarray(pred) - np.asarray(y)) ** 2, c)


def mode_angles(system: dict) -> np.ndarray:
    """Worst (largest) mode angle per input channel of a layer: ``(H,)``; a MIMO layer's modes are shared."""
    ang = np.abs(np.angle(system["Lambda_bar"]))
    if system["kind"] == "channels":
        return ang.max(axis=-1)
    H = system["B_bar"].shape[1]
    return np.full(H, ang.max())


def fourier_noise_hook(systems, key, batch: int, L: int, amplitude: float = 0.1):
    """``hook(i, v) = v + amplitude * U cos(theta_i k)``: PTD's test noise at every layer input.

    ``U ~ Unif[0, 1)`` per (example, channel), constant in time; ``theta_i`` the largest mode angle of layer ``i``'s
    channel (the discrete analogue of ``omega_max * Delta``).
    """
    thetas = [jnp.asarray(mode_angles(s), jnp.float32) for s in systems]
    keys = jax.random.split(key, len(systems))
    k = jnp.arange(L, dtype=jnp.float32)

    def hook(i, v):
        U = jax.random.uniform(keys[i], (batch, 1, thetas[i].shape[0]), jnp.float32)
        return v + amplitude * U * jnp.cos(thetas[i][None, :] * k[:, None])[None]

    return hook


def worst_gain(systems, n_freq: int = 4096) -> float:
    """max over layers, channels and frequencies of the layer's gain ``|G(e^{i w})|`` (largest singular value for MIMO).

    ``G`` is the DFT of the impulse response (kernel + ``D``) truncated at ``n_freq`` lags, evaluated on ``n_freq``
    frequencies: the H-infinity norm up to the truncation (tail ``<= max|lambda|^n_freq``, negligible here) and the
    grid (checked against :func:`ssmtheory.norms.hinf_norm` in the tests).
    """
    from . import ssm as _ssm

    g = 0.0
    for s in systems:
        h = np.asarray(_ssm.impulse_response(s["Lambda_bar"], s["B_bar"], s["C"], s["D"], n_freq, conj_sym=s["conj_sym"]))
        Gf = np.fft.fft(h, axis=0)
        if s["kind"] == "channels":
            g = max(g, float(np.abs(Gf).max()))
        else:
            g = max(g, float(np.linalg.svd(Gf, compute_uv=False).max()))
    return g


def lenses(params, cfg, data, noise_seed: int = 0, amplitude: float = 0.1) -> dict:
    """Every paper's quantity for one trained model (see the module docstring)."""
    x_tr, y_tr, x_te, y_te = data
    systems = _models.layer_systems(params, cfg)
    radius = max(float(np.abs(s["Lambda_bar"]).max()) for s in systems)
    if radius > 1.0:  # training left the stable region (e.g. the direct reparameterization): FFT powers would overflow
        cfg = replace(cfg, method="scan")
    f = jax.jit(lambda p, x: _models.apply(p, x, cfg))
    p_tr, p_te = np.asarray(f(params, x_tr)), np.asarray(f(params, x_te))
    hook = fourier_noise_hook(systems, jax.random.PRNGKey(noise_seed), x_te.shape[0], x_te.shape[1], amplitude)
    p_noisy = np.asarray(_models.apply(params, x_te, cfg, ssm_input_hook=hook))
    acc = lambda p, y: float(np.mean(np.sign(p) == y))  # noqa: E731
    stats = _measure.layer_input_stats(params, cfg, x_tr)
    tau = float(sum(np.sum(np.asarray(t)) for t in _measure.tau_layers(params, cfg, stats)))
    try:  # the bound needs every block stable (its l1 envelope is infinite otherwise)
        racz = float(_bounds.bound_for_model(params, cfg, N=x_tr.shape[0], delta=0.05, K_u=1.0, c_loss=1.0).bound)
    except ValueError:
        racz = float("inf")
    return {
        "train error": 1 - acc(p_tr, y_tr),
        "test error": 1 - acc(p_te, y_te),
        "gap": float(clipped_square(p_te, y_te).mean() - clipped_square(p_tr, y_tr).mean()),
        "Rácz bound": racz,
        "Liu–Li tau": tau,
        "stability margin": 1.0 - radius,
        "worst-frequency gain": worst_gain(systems) if radius < 1.0 else float("inf"),
        "robustness drop": acc(p_te, y_te) - acc(p_noisy, y_te),
    }


def spearman_ci(x, y, n_boot: int = 2000, seed: int = 0, level: float = 0.95):
    """Spearman rank correlation with a percentile bootstrap confidence interval (resampling models)."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    rho = float(spearmanr(x, y).statistic)
    rng = np.random.default_rng(seed)
    reps = []
    for _ in range(n_boot):
        i = rng.integers(0, len(x), len(x))
        if np.ptp(x[i]) > 0 and np.ptp(y[i]) > 0:
            reps.append(spearmanr(x[i], y[i]).statistic)
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return rho, float(lo), float(hi)


def hippo_ptd(P: int, gamma: float, steps: int = 1500, seed: int = 0):
    """PTD of the P x P HiPPO-LegS matrix (needs ``jax_enable_x64``)."""
    from . import ptd as _ptd

    A, _ = _init.hippo_legs(P)
    return _ptd.ptd_optimize(A, gamma=gamma, steps=steps, seed=seed)
