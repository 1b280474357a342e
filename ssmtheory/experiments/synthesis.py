"""Five lenses on one model family (notebook 06): train many designs of one deep SSM, evaluate every trained
model through every paper's quantity, and test at the **design level** which quantity predicts what.

Task (:func:`binary_digits`): scikit-learn's bundled 8x8 digits read pixel by pixel, each pixel held for
``repeat`` steps (``repeat=4``: sequences of 256 steps), label ``+1`` for digits >= 5 and ``-1`` otherwise,
a scalar output trained with squared loss (the Rácz bound covers a scalar predictor with a bounded Lipschitz
loss; the gap is measured with the clipped square loss ``min((f - y)^2, 1)``).

Model family: 2 S4D layers (channels layout, complex diagonal, ``exp`` reparameterization), GELU, no LayerNorm,
no residual, mean pooling, and **no feedthrough** ``D`` (held at 0: the PTD robustness test's architecture, and
the one where a layer's gain at a frequency is all of its response there).  Every design is the same
architecture and differs only in its initial values or its loss, so one compiled, vmapped population trains all
designs x seeds at once (:func:`train_population`).  The real-diagonal design keeps the imaginary parts of its
eigenvalues at 0 during training (a stop-gradient mask), i.e. a real-eigenvalue S4D of the same state size.

Designs (:data:`DESIGNS`, pre-registered, 18 that spread the lenses + a placebo replicate of the baseline):
step-size ranges, eigenvalue real parts (radius caps), S4D-Lin / Inv / LegS / real initializations (``B = 1``,
except S4D-LegS: ``B = V^* B_H``, the HiPPO ``B`` in the eigenbasis, whose last entry makes the spike at
``omega_max``; PTD's robustness code uses the full HiPPO ``B``), the Liu–Li scaling rule and tau regularizer at two
strengths.

Lenses (:func:`evaluate`): test error; generalization gap (clipped square loss); train loss (the underfitting
confound); the Rácz bound in its paper form (:func:`ssmtheory.experiments.deep_bounds.paper_form_bound`: finite-energy inputs,
inner blocks by l1, last block by H2; the model's own norm ball, a heuristic number for a trained model; computed
by :func:`racz_paper_bound`, the same formula with a vectorized l1 upper end, equal to it in the tests); the
Liu–Li measure tau summed over layers and channels (training-set statistics); the stability margin
``1 - max|lambda_bar|``; the worst-frequency gain ``max_layers max_h ||G_h||_inf`` (:func:`worst_gain`); the gain
at the spike frequency; and two robustness drops (accuracy clean minus noisy):

* **spike noise** (PTD's worst case): ``xi_{b,k,h} = a U_{b,h} cos(omega_max Delta_h k)`` at every layer input, with
  ``omega_max`` the largest mode frequency of S4D-LegS at this state size (one frequency for every design) and
  ``Delta_h`` the channel's own (trained) step;
* **argmax noise**: the same with ``theta_h`` each channel's own argmax-gain frequency.

``U ~ Unif[0, 1)`` per (example, channel), constant in time, the same draws for every model.

Design-level inference (:func:`lens_table`): Spearman rho of the design medians, a two-stage cluster bootstrap
(designs, then seeds within each; :func:`ssmtheory.stats.cluster_bootstrap`), a design-level permutation test
(:func:`ssmtheory.stats.permutation_spearman`), the partial rho controlling for train loss
(:func:`ssmtheory.stats.partial_spearman_test`), the same without any design that has a non-finite value, and the
pooled within-design (across-seed) correlation reported separately.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np

from ssmtheory.experiments import data_dependent as _data_dependent
from ssmtheory.experiments import deep_bounds as _deep_bounds
from ssmtheory.theory import bounds as _bounds
from ssmtheory import init as _init
from ssmtheory.theory import measure as _measure
from ssmtheory import models as _models
from ssmtheory import norms as _norms
from ssmtheory import stats as _stats
from ssmtheory import tasks as _tasks
from ssmtheory import train as _train
from ssmtheory._validate import as_array, check_int, check_positive, check_scalar

__all__ = [
    "Design",
    "DESIGNS",
    "base_config",
    "binary_digits",
    "spike_frequency",
    "init_member",
    "train_population",
    "channel_response",
    "channel_gains",
    "worst_gain",
    "channels_l1_upper",
    "racz_paper_bound",
    "evaluate",
    "design_medians",
    "design_spearman",
    "lens_table",
    "wording",
    "clipped_square",
]


def base_config(d_model: int = 8, d_state: int = 8) -> _models.DeepSSMConfig:
    """The one architecture every design shares (see the module docstring)."""
    return _models.DeepSSMConfig(d_input=1, d_model=check_int(d_model, "d_model"), d_output=1, n_layers=2,
                                 d_state=check_int(d_state, "d_state"), block="s4d", init="lin", reparam="exp",
                                 complex_states=True, nonlinearity="gelu", residual=False, norm=None, readout="mean",
                                 method="fft")


@dataclass(frozen=True)
class Design:
    """One design: initial eigenvalues (``init``, optional real part), step range, scaling rule, tau regularizer."""

    name: str
    family: str
    init: str = "lin"  # "lin" | "inv" | "legs" | "real"
    dt: tuple = (1e-3, 1e-1)
    real_part: float | None = None  # override Re(lambda) of every mode (the radius cap of the discrete modes)
    scale_rule: bool = False
    tau_lambda: float = 0.0
    placebo: bool = False  # a replicate of another design (excluded from the lens correlations)

    def __post_init__(self):
        if self.init not in ("lin", "inv", "legs", "real"):
            raise ValueError(f"init must be lin, inv, legs or real, got {self.init!r}")
        lo, hi = self.dt
        if not (0 < lo < hi):
            raise ValueError(f"dt must be (lo, hi) with 0 < lo < hi, got {self.dt!r}")
        if self.real_part is not None and not self.real_part < 0:
            raise ValueError(f"real_part must be negative, got {self.real_part!r}")
        if self.tau_lambda < 0:
            raise ValueError(f"tau_lambda must be >= 0, got {self.tau_lambda!r}")


CONTROL_DESIGN = "S4D-Lin, steps 1e-4..1e-3"
SPIKE_DESIGN = "S4D-LegS"
BASELINE = "S4D-Lin (baseline)"
PLACEBO = "S4D-Lin (replicate)"
REAL = "S4D-Real"
TAU_REG = "+ tau regularizer 1e-1"

DESIGNS = (
    Design(BASELINE, "baseline"),
    Design(PLACEBO, "placebo", placebo=True),
    Design("S4D-Inv", "initialization", init="inv"),
    Design(SPIKE_DESIGN, "initialization", init="legs"),
    Design(REAL, "complex vs real", init="real"),
    Design("S4D-Lin, steps 1e-4..1e-2", "step size", dt=(1e-4, 1e-2)),
    Design("S4D-Lin, steps 1e-2..1", "step size", dt=(1e-2, 1.0)),
    Design(CONTROL_DESIGN, "step size", dt=(1e-4, 1e-3)),
    Design("S4D-LegS, steps 1e-4..1e-2", "step size", init="legs", dt=(1e-4, 1e-2)),
    Design("S4D-LegS, steps 1e-2..1", "step size", init="legs", dt=(1e-2, 1.0)),
    Design("S4D-Lin, Re = -0.05", "radius", real_part=-0.05),
    Design("S4D-Lin, Re = -2", "radius", real_part=-2.0),
    Design("S4D-LegS, Re = -0.05", "radius", init="legs", real_part=-0.05),
    Design("+ scaling rule", "Liu–Li", scale_rule=True),
    Design("+ tau regularizer 1e-2", "Liu–Li", tau_lambda=1e-2),
    Design(TAU_REG, "Liu–Li", tau_lambda=1e-1),
    Design("+ scaling + regularizer", "Liu–Li", scale_rule=True, tau_lambda=1e-2),
    Design("S4D-LegS + scaling rule", "Liu–Li", init="legs", scale_rule=True),
    Design("S4D-Inv, steps 1e-4..1e-2", "step size", init="inv", dt=(1e-4, 1e-2)),
)


def binary_digits(seed: int = 0, n_train: int = 400, repeat: int = 4, n_test: int | None = None):
    """``(x_train, y_train, x_test, y_test)``, ``y = ±1`` (digit >= 5), float32, ``x (n, 64 repeat, 1)``.

    ``n_test``: keep only the first ``n_test`` test examples (the split is already a seeded permutation).
    """
    s = _tasks.sequential_digits(seed=seed, n_train=n_train, repeat=repeat)
    to_pm = lambda y: np.where(y >= 5, 1.0, -1.0).astype(np.float32)[:, None]  # noqa: E731
    x_te, y_te = s.x_test, to_pm(s.y_test)
    if n_test is not None:
        n_test = check_int(n_test, "n_test")
        if n_test > x_te.shape[0]:
            raise ValueError(f"n_test must be <= {x_te.shape[0]} (the test split), got {n_test}")
        x_te, y_te = x_te[:n_test], y_te[:n_test]
    return s.x_train, to_pm(s.y_train), x_te, y_te


def clipped_square(pred, y, c: float = 1.0):
    as_array(pred, "pred", allow_complex=False)
    as_array(y, "y", allow_complex=False)
    check_scalar(c, "c", positive=True)
    return np.minimum((np.asarray(pred, np.float64) - np.asarray(y, np.float64)) ** 2, c)


def spike_frequency(d_state: int) -> float:
    """``omega_max``: the largest mode frequency of S4D-LegS with ``d_state`` stored modes (the spike of PTD's test;
    325.4 for the 32 x 32 HiPPO normal part, i.e. ``d_state = 16``)."""
    return float(np.max(np.imag(_init.s4d_legs(check_int(d_state, "d_state")))))


# ------------------------------------------------------------------------------------------------ training
def _eigs(design: Design, N: int) -> np.ndarray:
    if design.init == "real":
        lam = _init.s4d_real(N).astype(np.complex128)
    else:
        lam = np.asarray({"lin": _init.s4d_lin, "inv": _init.s4d_inv, "legs": _init.s4d_legs}[design.init](N))
    if design.real_part is not None:
        lam = design.real_part + 1j * lam.imag
    return lam


def init_member(design: Design, cfg: _models.DeepSSMConfig, seed: int, x_stats=None) -> dict:
    """Initial parameters of one (design, seed): ``models.init_params(PRNGKey(seed))`` with the design's eigenvalues,
    steps ``log_dt = log lo + u (log hi - log lo)`` (``u ~ U[0, 1)`` per channel from ``seed``, the same draws for
    every design), ``D = 0``, an ``im_mask`` leaf (0 for the real design) and, if asked, Liu–Li's scaling rule
    applied on ``x_stats``."""
    check_int(seed, "seed", minimum=0)
    p = _models.init_params(jax.random.PRNGKey(int(seed)), cfg)
    H, N, dt = cfg.d_model, cfg.d_state, cfg.dtype
    lam = _eigs(design, N)
    u = np.random.default_rng([int(seed), 1906]).random((cfg.n_layers, H))
    lo, hi = (math.log(v) for v in design.dt)
    layers = []
    for i, lp in enumerate(p["layers"]):
        s = dict(lp["ssm"])
        s["w"] = jnp.broadcast_to(jnp.asarray(_models.raw_weight_for_real_part(cfg, lam.real), dt), (H, N))
        s["im"] = jnp.broadcast_to(jnp.asarray(lam.imag, dt), (H, N))
        if design.init == "legs":  # the HiPPO B in the eigenbasis, V^* B_H (PTD's robustness test: the full HiPPO B)
            Bt = np.asarray(_init.s4d_legs(N, return_B=True)[1])
            s["B_re"] = jnp.broadcast_to(jnp.asarray(Bt.real, dt), (H, N))
            s["B_im"] = jnp.broadcast_to(jnp.asarray(Bt.imag, dt), (H, N))
        s["log_dt"] = jnp.asarray(lo + u[i] * (hi - lo), dt)
        s["D"] = jnp.zeros((H,), dt)
        s["im_mask"] = jnp.full((H, N), 0.0 if design.init == "real" else 1.0, dt)
        layers.append({**lp, "ssm": s})
    p = {**p, "layers": layers}
    if design.scale_rule:
        if x_stats is None:
            raise ValueError("x_stats is required for a design with the scaling rule")
        p, _ = _measure.scale_rule(p, cfg, x_stats)
    return p


def effective(params):
    """The parameters as the model sees them: ``im * stop_gradient(im_mask)``, ``D = 0`` (no gradient reaches them)."""
    layers = []
    for lp in params["layers"]:
        s = dict(lp["ssm"])
        s["im"] = s["im"] * jax.lax.stop_gradient(s["im_mask"])
        s["D"] = jax.lax.stop_gradient(jnp.zeros_like(s["D"]))
        layers.append({**lp, "ssm": s})
    return {**params, "layers": layers}


@lru_cache(maxsize=None)
def _loss_fn(cfg):
    base = _data_dependent.make_regularized_loss(cfg, kind="mse", lam=0.0)

    def loss_fn(params, xb, yb, lam):
        return base(effective(params), xb, yb, lam)

    return loss_fn


def stack(members):
    return jax.tree_util.tree_map(lambda *a: jnp.stack(a), *members)


def unstack(pop, i: int):
    return jax.tree_util.tree_map(lambda a: a[i], pop)


def train_population(designs, seeds, cfg, data, steps: int, lr: float = 3e-3, batch_size: int = 32,
                     stats_batch: int = 256, seed: int = 0):
    """Train every (design, seed) at once: one ``vmap``-ed Adam loop (:func:`ssmtheory.train.fit_population`, each
    member drawing ``batch_size`` examples without replacement per step from its key, ``split(PRNGKey(seed), M)``).

    Members are ordered design-major (``designs[0]`` with every seed, then ``designs[1]`` ...).  Returns
    ``(population, member_design_index (M,), member_seed (M,), losses (steps, M))``.
    """
    check_int(steps, "steps")
    check_positive(lr, "lr")
    check_int(batch_size, "batch_size")
    check_int(stats_batch, "stats_batch")
    check_int(seed, "seed", minimum=0)
    if len(designs) == 0 or len(seeds) == 0:
        raise ValueError("designs and seeds must be non-empty")
    steps = check_int(steps, "steps")
    x_tr, y_tr = data[0], data[1]
    members, d_idx, s_idx = [], [], []
    for j, d in enumerate(designs):
        for s in seeds:
            members.append(init_member(d, cfg, int(s), x_tr[:stats_batch]))
            d_idx.append(j)
            s_idx.append(int(s))
    pop = stack(members)
    lam = jnp.asarray([designs[j].tau_lambda for j in d_idx], jnp.float32)
    check_positive(lr, "lr")
    res = _train.fit_population(_loss_fn(cfg), pop, (x_tr, y_tr), steps=steps, opt=_train.OptimizerSpec("adam"), lr=lr,
                                aux=lam, batch_size=batch_size, sampling="step", seed=seed)
    pop, losses = res.params, res.losses
    return pop, np.asarray(d_idx), np.asarray(s_idx), np.asarray(losses)


# ------------------------------------------------------------------------------------------------ gains
def _check_channels_system(system):
    if system.get("kind") != "channels":
        raise ValueError(f"system must be a channels-layout layer (S4D), got kind={system.get('kind')!r}")
    lam = np.asarray(system["Lambda_bar"])
    if not np.all(np.isfinite(lam)):
        raise ValueError("system['Lambda_bar'] must be finite")
    r = float(np.abs(lam).max())
    if r >= 1.0:
        raise ValueError(f"system['Lambda_bar'] must be stable (max |lambda| < 1) for a gain, got {r:.6g}: "
                         "the H-infinity norm is infinite or undefined")
    return lam


def channel_response(system, theta) -> np.ndarray:
    """Exact frequency response ``G_h(e^{i theta})`` of every channel of an S4D layer, ``(H, len(theta))``.

    With the package convention (input enters the state in the same step) ``h_0 = c Re(C B) + D``,
    ``h_k = c Re(C lambda^k B)``, so ``G_h(theta) = sum_n [c/2 C B / (1 - lambda e^{-i theta}) + conj part] + D``
    (``c = 2`` for ``conj_sym``).  A closed form: no truncation of the impulse response.  Refuses an unstable layer.
    """
    as_array(theta, "theta", ndim=(0, 1), allow_complex=False)
    lam = _check_channels_system(system)
    th = np.atleast_1d(np.asarray(theta, np.float64))
    return _response_rows(system, np.broadcast_to(th, (lam.shape[0], th.size)))


def channel_gains(system, n_grid: int = 2048, refine: int = 4):
    """``(gain (H,), argmax_theta (H,))``: each channel's H-infinity norm ``max_theta |G_h|`` and where it is.

    A uniform grid on ``[0, pi]`` (the response of a real system is conjugate-symmetric) plus every mode angle and
    ``angle +- d (1 - |lambda|)``, ``d in {1/4, 1/2, 1, 2, 4}`` (a lightly damped peak is ``~1 - |lambda|`` wide),
    then ``refine`` rounds of a 33-point local grid around each channel's best point (each round shrinks the
    bracket 16-fold).  Exact response (:func:`channel_response`), so no truncation; checked against
    :func:`ssmtheory.norms.hinf_norm` in the tests.  Refuses an unstable layer.
    """
    check_int(n_grid, "n_grid", minimum=2)
    check_int(refine, "refine", minimum=0)
    lam = _check_channels_system(system)
    n_grid = check_int(n_grid, "n_grid", minimum=8)
    H = lam.shape[0]
    ang = np.abs(np.angle(lam))
    damp = 1.0 - np.abs(lam)
    offs = np.array([0.0, 0.25, 0.5, 1.0, 2.0, 4.0, -0.25, -0.5, -1.0, -2.0, -4.0])
    extra = (ang[..., None] + damp[..., None] * offs).reshape(H, -1)
    base = np.linspace(0.0, np.pi, n_grid)
    theta = np.clip(np.concatenate([np.broadcast_to(base, (H, n_grid)), extra], axis=1), 0.0, np.pi)
    theta = np.sort(theta, axis=1)
    g = np.abs(_response_rows(system, theta))
    k = g.argmax(axis=1)
    best_t = theta[np.arange(H), k]
    lo = theta[np.arange(H), np.maximum(k - 1, 0)]
    hi = theta[np.arange(H), np.minimum(k + 1, theta.shape[1] - 1)]
    best_g = g[np.arange(H), k]
    for _ in range(check_int(refine, "refine", minimum=0)):
        t = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, 33)[None, :]
        gg = np.abs(_response_rows(system, t))
        j = gg.argmax(axis=1)
        better = gg[np.arange(H), j] > best_g
        best_g = np.where(better, gg[np.arange(H), j], best_g)
        best_t = np.where(better, t[np.arange(H), j], best_t)
        width = (hi - lo) / 32.0
        lo, hi = np.clip(best_t - width, 0.0, np.pi), np.clip(best_t + width, 0.0, np.pi)
    return best_g, best_t


def _response_rows(system, theta2d):
    """``G_h(theta2d[h, j])`` for a per-channel frequency grid ``theta2d (H, J)``."""
    lam = np.asarray(system["Lambda_bar"])
    B, C, D = (np.asarray(system[k]) for k in ("B_bar", "C", "D"))
    zinv = np.exp(-1j * theta2d)[:, None, :]
    cb = (C * B)[..., None]
    lam3 = lam[..., None]
    half = 1.0 if system["conj_sym"] else 0.5  # y = c Re(C x) = (c / 2) (C x + conj(C x)), c = 2 or 1
    g = half * (cb / (1 - lam3 * zinv) + np.conj(cb) / (1 - np.conj(lam3) * zinv)).sum(axis=1)
    return g + np.asarray(D, np.float64).reshape(-1, 1)


def worst_gain(systems, n_grid: int = 2048) -> float:
    """``max`` over layers and channels of the H-infinity norm ``max_theta |G_h(e^{i theta})|`` (largest singular
    value for a MIMO layer, via :func:`ssmtheory.norms.hinf_norm`).

    Exact frequency responses (no truncated impulse response: a slowly decaying layer is handled exactly).
    Raises ``ValueError`` for an unstable layer (``max |lambda_bar| >= 1``), whose gain is infinite or undefined.
    """
    check_int(n_grid, "n_grid", minimum=2)
    if not systems:
        raise ValueError("systems must hold at least one layer")
    g = 0.0
    for s in systems:
        if s.get("kind") == "channels":
            g = max(g, float(channel_gains(s, n_grid=n_grid)[0].max()))
        else:
            lam = np.asarray(s["Lambda_bar"])
            if float(np.abs(lam).max()) >= 1.0:
                raise ValueError("system['Lambda_bar'] must be stable (max |lambda| < 1) for a gain")
            g = max(g, float(_norms.hinf_norm(*_norms.layer_to_standard(lam, s["B_bar"], s["C"], s["D"],
                                                                        conj_sym=bool(s["conj_sym"])), n_grid=n_grid)))
    return g


# ------------------------------------------------------------------------------------------------ Rácz lens
def channels_l1_upper(system, max_lags: int = 131072) -> float:
    """Certified upper end of a channels-layout block's l1 norm ``sum_k ||h_k||_inf = sum_k max_h |h^h_k|``.

    The first ``K`` lags exactly (closed form ``h_0 = c Re(C B) + D``, ``h_k = c Re(C lambda^k B)``), ``K`` the
    number of lags after which every mode has decayed by ``1e-8`` (at most ``max_lags``); then the tail through the
    per-channel envelope ``|h^h_k| <= g_h(k) = sum_n c |C B| |lambda|^k`` (decreasing in ``k``), summed as an upper
    Riemann sum on geometrically spaced lags (ratio 1.01) until it is below ``1e-12`` of the total.  ``inf`` for an
    unstable block.  Vectorized: milliseconds to a fraction of a second, where :func:`ssmtheory.norms.l1_norm` on
    the block's dense standard form takes seconds; the two agree in the tests.
    """
    check_int(max_lags, "max_lags")
    lam = np.asarray(system["Lambda_bar"])
    if float(np.abs(lam).max()) >= 1.0:
        return math.inf
    B, C, D = (np.asarray(system[k]) for k in ("B_bar", "C", "D"))
    c = 2.0 if system["conj_sym"] else 1.0
    r = np.abs(lam)
    rmax = max(float(r.max()), 1e-300)
    K = int(min(max_lags, max(16, math.ceil(math.log(1e-8) / math.log(rmax)))))
    cb = C * B
    loglam = np.log(lam.astype(np.complex128))
    total = 0.0
    chunk = 8192
    for k0 in range(0, K, chunk):
        k = np.arange(k0, min(K, k0 + chunk))
        h = c * np.real((cb[..., None] * np.exp(loglam[..., None] * k[None, None, :])).sum(axis=1))  # (H, chunk)
        if k0 == 0:
            h[:, 0] += np.asarray(D, np.float64)
        total += float(np.abs(h).max(axis=0).sum())
    # tail: sum_{k >= K} max_h g_h(k) <= sum_j (k_{j+1} - k_j) max_h g_h(k_j)   (g_h decreasing)
    w = c * np.abs(cb)
    logr = np.log(np.maximum(r, 1e-300))
    tail, k0 = 0.0, float(K)
    while True:
        ks = np.unique(np.floor(k0 * 1.01 ** np.arange(513)))
        g = (w[..., None] * np.exp(logr[..., None] * ks[None, None, :])).sum(axis=1).max(axis=0)
        tail += float((np.diff(ks) * g[:-1]).sum())
        k0 = float(ks[-1])
        if g[-1] * k0 * 1e3 < 1e-12 * max(total + tail, 1e-300) or k0 > 1e15:
            # what is left: sum_{k >= k0} max_h g_h(k) <= sum_h sum_n w r^k0 / (1 - r)
            return total + tail + float((w * np.exp(logr * k0) / (1.0 - r)).sum())


def racz_paper_bound(params, cfg, N: int, K: float, T: int, delta: float = 0.05, c_loss: float = 1.0) -> float:
    """:func:`ssmtheory.experiments.deep_bounds.paper_form_bound` (grid-free, the model's own norm ball) for an S4D model, with the
    inner blocks' exact l1 upper end replaced by :func:`channels_l1_upper` (another certified upper end of the same
    l1 norm; equal to it when the tail is negligible, see the tests) and the last block's ``sqrt(q) ||Sigma||_H2``
    from :func:`ssmtheory.theory.bounds.h2_row_upper`.  Returns the bound (``inf`` for an unstable block)."""
    check_int(N, "N")
    check_scalar(K, "K", positive=True)
    check_int(T, "T")
    check_scalar(c_loss, "c_loss", positive=True)
    Lphi = _deep_bounds.check_architecture(cfg)
    p = jax.tree_util.tree_map(np.asarray, params)
    We, be = np.asarray(p["encoder"]["W"], np.float64), np.asarray(p["encoder"]["b"], np.float64)
    a = float((np.abs(We).sum(axis=0) + np.abs(be)).max())
    K_eff = math.sqrt(K**2 + (T if np.any(be != 0) else 0))
    w_l1 = float(np.abs(np.asarray(p["decoder"]["W"], np.float64)[:, 0]).sum())
    b_abs = float(abs(np.asarray(p["decoder"]["b"], np.float64)[0]))
    systems = _models.layer_systems(params, cfg)
    Es = [channels_l1_upper(s) for s in systems[:-1]]
    Es.append(_bounds.h2_row_upper(*_deep_bounds.block_standard(systems[-1])))
    R = _bounds.paper_form_complexity(K_eff, 1, Es[:-1], Es[-1], Lphi, w_l1, a, b_abs, cfg.residual,
                                      last_nonlinearity=True)
    num = 2.0 * _bounds.clipped_square_lipschitz(c_loss) * R
    return (num + _bounds.confidence_term(c_loss, delta)) / math.sqrt(N)


# ------------------------------------------------------------------------------------------------ evaluation
@partial(jax.jit, static_argnames=("cfg",))
def _predict_all(pop, cfg, x_tr, x_te, thetas, U, amplitude):
    """Per member: predictions on train, test, and test under each noise ``thetas[:, r]`` (members mapped in sequence)."""
    k = jnp.arange(x_te.shape[1], dtype=jnp.float32)

    def one(args):
        p, th = args  # th (R, n_layers, H)
        pe = effective(p)
        f = lambda x, hook=None: _models.apply(pe, x, cfg, ssm_input_hook=hook)[..., 0]  # noqa: E731
        outs = [f(x_tr), f(x_te)]
        for r in range(th.shape[0]):
            def hook(i, v, r=r):
                return v + amplitude * U[i][:, None, :] * jnp.cos(th[r, i][None, :] * k[:, None])[None]
            outs.append(f(x_te, hook))
        return outs

    return jax.lax.map(one, (pop, thetas))


@partial(jax.jit, static_argnames=("cfg",))
def _taus(pop, cfg, x):
    def one(p):
        pe = effective(p)
        return sum(jnp.sum(t) for t in _measure.tau_layers(pe, cfg, _measure.layer_input_stats(pe, cfg, x)))

    return jax.lax.map(one, pop)


def evaluate(pop, cfg, data, d_state: int, amplitude: float, noise_seed: int = 0, energy_bound: float | None = None,
             delta: float = 0.05) -> dict:
    """Every lens and outcome for every member of a trained population (arrays of length ``M``).

    Keys: ``train loss`` (MSE), ``train error``, ``test error``, ``gap`` (clipped square, test - train), ``Rácz bound``
    (paper form, ``K = energy_bound``, default ``sqrt(L)`` for inputs in ``[-1, 1]``), ``Liu–Li tau``,
    ``stability margin``, ``worst-frequency gain``, ``spike gain`` (max over layers and channels of ``|G_h|`` at
    ``omega_max Delta_h``), ``spike drop`` and ``argmax drop`` (accuracy clean - noisy), and the frequencies used.
    """
    check_int(d_state, "d_state")
    check_int(noise_seed, "noise_seed", minimum=0)
    check_scalar(delta, "delta", positive=True, maximum=1.0)
    if energy_bound is not None:
        check_scalar(energy_bound, "energy_bound", positive=True)
    check_positive(amplitude, "amplitude")
    x_tr, y_tr, x_te, y_te = data
    L = x_tr.shape[1]
    M = jax.tree_util.tree_leaves(pop)[0].shape[0]
    omega = spike_frequency(d_state)
    out = {k: np.zeros(M) for k in ("Rácz bound", "stability margin", "worst-frequency gain", "spike gain")}
    thetas = np.zeros((M, 2, cfg.n_layers, cfg.d_model), np.float32)
    for m in range(M):
        pe = effective(unstack(pop, m))
        systems = _models.layer_systems(pe, cfg)
        radius = max(float(np.abs(s["Lambda_bar"]).max()) for s in systems)
        out["stability margin"][m] = 1.0 - radius
        dts = [np.exp(np.asarray(lp["ssm"]["log_dt"], np.float64)) for lp in pe["layers"]]
        thetas[m, 0] = np.stack([np.mod(omega * d, 2 * np.pi) for d in dts])
        if radius < 1.0:
            gains = [channel_gains(s) for s in systems]
            out["worst-frequency gain"][m] = max(float(g.max()) for g, _ in gains)
            thetas[m, 1] = np.stack([t for _, t in gains])
            spike = [np.abs(_response_rows(s, np.mod(omega * d, 2 * np.pi)[:, None]))[:, 0] for s, d in zip(systems, dts)]
            out["spike gain"][m] = max(float(g.max()) for g in spike)
            K = math.sqrt(L) if energy_bound is None else float(energy_bound)
            out["Rácz bound"][m] = racz_paper_bound(pe, cfg, N=x_tr.shape[0], K=K, T=L, delta=delta)
        else:  # no finite gain or bound; the argmax noise falls back to the spike frequency
            out["worst-frequency gain"][m] = out["spike gain"][m] = out["Rácz bound"][m] = math.inf
            thetas[m, 1] = thetas[m, 0]
    U = jax.random.uniform(jax.random.PRNGKey(int(noise_seed)), (cfg.n_layers, x_te.shape[0], cfg.d_model), jnp.float32)
    preds = _predict_all(pop, cfg, jnp.asarray(x_tr), jnp.asarray(x_te), jnp.asarray(thetas), U, jnp.float32(amplitude))
    p_tr, p_te, p_spike, p_arg = (np.asarray(a, np.float64) for a in preds)
    ytr, yte = y_tr[:, 0].astype(np.float64), y_te[:, 0].astype(np.float64)
    acc = lambda p, y: (np.sign(p) == y[None, :]).mean(axis=1)  # noqa: E731
    out["train loss"] = ((p_tr - ytr[None]) ** 2).mean(axis=1)
    out["train error"] = 1 - acc(p_tr, ytr)
    out["test error"] = 1 - acc(p_te, yte)
    out["gap"] = clipped_square(p_te, yte[None]).mean(axis=1) - clipped_square(p_tr, ytr[None]).mean(axis=1)
    out["spike drop"] = acc(p_te, yte) - acc(p_spike, yte)
    out["argmax drop"] = acc(p_te, yte) - acc(p_arg, yte)
    out["Liu–Li tau"] = np.asarray(_taus(pop, cfg, jnp.asarray(x_tr)), np.float64)
    out["thetas"] = thetas
    out["correct"] = dict(clean=np.sign(p_te) == yte[None], spike=np.sign(p_spike) == yte[None],
                          argmax=np.sign(p_arg) == yte[None])
    return out


# ------------------------------------------------------------------------------------------------ statistics
def design_medians(values, design_index, n_designs: int) -> np.ndarray:
    """Median over seeds of each design (``inf`` values count as +inf in the median)."""
    check_int(n_designs, "n_designs")
    _v = np.asarray(values) if values is not None else None
    if _v is None or _v.ndim != 1 or _v.dtype.kind not in "biuf":
        raise ValueError(f"values must be a 1-D real array, got {values!r}")
    if np.shape(design_index) != _v.shape:
        raise ValueError(f"design_index must have the shape of values {_v.shape}, got {np.shape(design_index)}")
    v = np.asarray(values, np.float64)
    d = np.asarray(design_index)
    return np.array([np.median(v[d == j]) for j in range(n_designs)])


def _fast_spearman(a, b):
    """Spearman rho (average ranks, Pearson of ranks) without scipy's per-call overhead; raises on a constant input."""
    from scipy.stats import rankdata

    ra, rb = rankdata(a), rankdata(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = math.sqrt(float(ra @ ra) * float(rb @ rb))
    if den == 0:
        raise ValueError("constant input: Spearman rho undefined")
    return float(ra @ rb) / den


def _block_spearman(lens, target, S):
    """Statistic for :func:`ssmtheory.stats.cluster_bootstrap` over member indices ordered in blocks of ``S``
    (one block per drawn design): Spearman rho of the per-draw medians."""

    def stat(idx):
        i = np.asarray(idx).astype(int).reshape(-1, S)
        return _fast_spearman(np.median(lens[i], axis=1), np.median(target[i], axis=1))

    return stat


def design_spearman(lens, target, design_index, *, level: float = 0.95, n_boot: int = 2000, n_perm: int = 10_000,
                    seed: int = 0, control=None, designs_perm=None) -> dict:
    """Design-level rank correlation of a lens with an outcome.

    ``lens``, ``target``, ``design_index`` and ``control``: one value per member, members ordered design-major with
    the same number ``S`` of seeds per design.  Returns a dict with ``rho`` (Spearman of the design medians), the
    two-stage cluster-bootstrap interval ``ci`` (designs, then seeds within), ``p`` of the design-level
    permutation test, ``partial`` (``rho``, ``ci``, ``p`` controlling for ``control`` at the design level),
    ``within`` (pooled Spearman of the within-design deviations from the design medians), ``n_designs``.

    ``designs_perm``: a permutation of the designs applied to the lens blocks first (the shuffled-design control).
    """
    for _x, _nm in ((lens, "lens"), (target, "target")) + (((control, "control"),) if control is not None else ()):
        _a = np.asarray(_x) if _x is not None else None
        if _a is None or _a.ndim != 1 or _a.dtype.kind not in "biuf":
            raise ValueError(f"{_nm} must be a 1-D real array (non-finite values allowed: a diverged member)")
        if _a.shape != np.shape(design_index):
            raise ValueError(f"{_nm} must have the shape of design_index {np.shape(design_index)}, got {_a.shape}")
    check_scalar(level, "level", positive=True, maximum=1.0 - 1e-12)
    check_int(n_boot, "n_boot")
    check_int(n_perm, "n_perm")
    check_int(seed, "seed", minimum=0)
    lens, target = np.asarray(lens, np.float64), np.asarray(target, np.float64)
    d = np.asarray(design_index)
    labels = np.unique(d)
    D = labels.size
    S = int(np.sum(d == labels[0]))
    if any(int(np.sum(d == j)) != S for j in labels) or not np.all(d == np.repeat(labels, S)):
        raise ValueError("design_index must be design-major with the same number of seeds per design")
    if designs_perm is not None:
        perm = np.asarray(designs_perm)
        lens = lens.reshape(D, S)[perm].reshape(-1)
    ml, mt = lens.reshape(D, S), target.reshape(D, S)
    # ranks carry everything a rank correlation uses, and handle infinite values (ties at the top)
    from scipy.stats import rankdata

    raw_l, raw_t = np.median(ml, axis=1), np.median(mt, axis=1)
    med_l, med_t = rankdata(raw_l), rankdata(raw_t)
    perm_inf = _stats.permutation_spearman(med_l, med_t, alternative="two-sided", level=level, n_perm=n_perm,
                                           n_boot=200, seed=seed)
    idx = np.arange(D * S, dtype=np.float64)
    cb = _stats.cluster_bootstrap(idx, clusters=d, statistic=_block_spearman(lens, target, S), alternative="two-sided",
                                  level=level, n_boot=n_boot, seed=seed)
    out = dict(rho=perm_inf.estimate, ci=(cb.lo, cb.hi), p=perm_inf.p, n_designs=D, n_seeds=S,
               test=f"{cb.test}; design-level permutation ({n_perm})")
    if control is not None:
        mc = np.median(np.asarray(control, np.float64).reshape(D, S), axis=1)
        try:
            pt = _stats.partial_spearman_test(med_l, med_t, mc, alternative="two-sided", level=level, n_perm=n_perm,
                                              n_boot=n_boot, seed=seed)
            out["partial"] = dict(rho=pt.estimate, ci=(pt.lo, pt.hi), p=pt.p)
        except ValueError:
            out["partial"] = dict(rho=math.nan, ci=(math.nan, math.nan), p=math.nan)
    if S >= 2:
        with np.errstate(invalid="ignore"):
            dl, dt = (ml - raw_l[:, None]).reshape(-1), (mt - raw_t[:, None]).reshape(-1)
        ok = np.isfinite(dl) & np.isfinite(dt)
        out["within"] = (_stats.spearman(dl[ok], dt[ok]) if ok.sum() > 2 and np.ptp(dl[ok]) > 0 and np.ptp(dt[ok]) > 0
                         else math.nan)
    return out


def wording(entry: dict, expected_sign: int = 1) -> str:
    """The fixed rule: "predicts" when the design-level CI excludes 0 (with the sign the theory expects),
    "predicts, with the opposite sign" when it excludes 0 the other way, "no evidence" otherwise; the effect
    size and interval always follow."""
    lo, hi = entry["ci"]
    size = f"rho = {entry['rho']:+.2f}, 95% CI [{lo:+.2f}, {hi:+.2f}], permutation p = {entry['p']:.3g}"
    if lo > 0 or hi < 0:
        sign = 1 if lo > 0 else -1
        verb = "predicts" if sign == expected_sign else "predicts, with the opposite sign to the theory,"
    else:
        verb = "shows no evidence of predicting"
    return f"{verb} ({size})"


def lens_table(results: dict, design_index, lenses, targets, *, control_key: str = "train loss", n_boot: int = 2000,
               n_perm: int = 10_000, seed: int = 0) -> dict:
    """:func:`design_spearman` for every (lens, target), plus the sensitivity analysis without non-finite values
    (designs with any non-finite lens value dropped: ``finite`` entry, ``n_dropped``)."""
    for _k in [*lenses, *targets, control_key]:
        if _k not in results:
            raise ValueError(f"results has no key {_k!r} (lenses, targets, control_key)")
    check_int(n_boot, "n_boot")
    check_int(n_perm, "n_perm")
    check_int(seed, "seed", minimum=0)
    d = np.asarray(design_index)
    table = {}
    for lens in lenses:
        x = np.asarray(results[lens], np.float64)
        bad = np.unique(d[~np.isfinite(x)])
        keep = ~np.isin(d, bad)
        for t in targets:
            e = design_spearman(x, results[t], d, control=results[control_key], n_boot=n_boot, n_perm=n_perm, seed=seed)
            if bad.size:
                dk = np.searchsorted(np.unique(d[keep]), d[keep])
                f = design_spearman(x[keep], np.asarray(results[t])[keep], dk, n_boot=n_boot, n_perm=n_perm, seed=seed)
                e["finite"] = dict(rho=f["rho"], ci=f["ci"], p=f["p"], n_designs=f["n_designs"])
            else:
                e["finite"] = dict(rho=e["rho"], ci=e["ci"], p=e["p"], n_designs=e["n_designs"])
            e["n_dropped"] = int(bad.size)
            table[(lens, t)] = e
    return table
