"""The Rácz et al. (arXiv 2405.20278) bounds evaluated on a deep SSM of :mod:`ssmtheory.models`, and notebook 01's
bound sweeps (length, stability margin, depth).

The formulas (block constants, the chain, the paper-form complexity, the confidence term, the union-bound grid
:class:`ssmtheory.theory.bounds.NormGrid`) live in :mod:`ssmtheory.theory.bounds`; the module docstring there states
the architecture covered and the two bounds (the paper form on finite-energy inputs and our per-step extension).
This module reads a model's parameters into those formulas:

* :func:`block_standard`: one layer of :func:`ssmtheory.models.layer_systems` as a standard-form diagonal system;
* :func:`check_architecture`: refuse a model outside the theorem (LayerNorm, GLU, vector output);
* :func:`bound_for_model` (per-step extension [R]) and :func:`paper_form_bound` (paper form [R]) -> :class:`BoundReport`;
* notebook 01's sweeps: :func:`length_sweep`, :func:`length_comparators`, :func:`margin_sweep`,
  :func:`unit_radius_horizon`, :func:`depth_sweep` (on the LRU models of :func:`lru_config`).

Source notes: ``docs/papers/racz-2024.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ssmtheory import models as _models
from ssmtheory import norms as _norms
from ssmtheory._validate import as_array as _as_array
from ssmtheory._validate import check_int as _check_int
from ssmtheory._validate import check_positive as _check_positive
from ssmtheory._validate import check_scalar as _check_scalar
from ssmtheory.theory import bounds as _bounds

__all__ = [
    "block_standard",
    "BoundReport",
    "check_architecture",
    "bound_for_model",
    "paper_form_bound",
    "lru_config",
    "with_radius",
    "length_sweep",
    "length_comparators",
    "margin_sweep",
    "unit_radius_horizon",
    "scaled_model",
    "depth_sweep",
]


# ----------------------------------------------------------------------------------------------
# model adapter
# ----------------------------------------------------------------------------------------------
def block_standard(system: dict):
    """One entry of :func:`ssmtheory.models.layer_systems` as a standard-form diagonal system ``(A, B, C, D)``.

    S4D (``kind="channels"``) is first written as one block-diagonal MIMO system (``H N`` modes,
    mode ``(h, n)`` reads input ``h`` and writes output ``h``); then
    :func:`ssmtheory.norms.layer_to_standard` (conjugate augmentation for ``Re(.)``, shift to ``h_0 = D``).
    """
    lam = np.asarray(system["Lambda_bar"])
    Bb, Cc, Dd = np.asarray(system["B_bar"]), np.asarray(system["C"]), np.asarray(system["D"])
    if system["kind"] == "channels":
        H, N = lam.shape
        idx = np.arange(H * N)
        ch = idx // N
        Bm = np.zeros((H * N, H), Bb.dtype)
        Bm[idx, ch] = Bb.reshape(-1)
        Cm = np.zeros((H, H * N), Cc.dtype)
        Cm[ch, idx] = Cc.reshape(-1)
        lam, Bb, Cc, Dd = lam.reshape(-1), Bm, Cm, np.diag(Dd)
    return _norms.layer_to_standard(lam.astype(np.complex128) if lam.dtype.kind == "c" else lam.astype(np.float64),
                                    Bb.astype(np.result_type(Bb.dtype, np.float64)), Cc.astype(np.result_type(Cc.dtype, np.float64)),
                                    np.asarray(Dd, np.float64), conj_sym=bool(system["conj_sym"]))


@dataclass
class BoundReport:
    """Everything :func:`bound_for_model` / :func:`paper_form_bound` used; ``bound = (numerator + confidence) / sqrt(N)``."""

    bound: float
    numerator: float
    confidence: float
    N: int
    delta: float
    delta_eff: float
    K: float
    encoder_norm: float
    readout_l1: float
    bias_abs: float
    block_E: list
    block_c: list
    lipschitz: float
    lipschitz_loss: float
    c_loss: float
    grid_size: int = 1
    levels: dict = field(default_factory=dict)
    route: str = "per-step extension (l1)"


def check_architecture(cfg) -> float:
    """Raise ``ValueError`` unless ``cfg`` is covered by the bound; return the nonlinearity's Lipschitz constant.

    Covered: ``norm=None``, coordinate-wise nonlinearity in :data:`ssmtheory.theory.bounds.LIPSCHITZ` (not ``"glu"``),
    ``readout in {"last", "mean"}``, ``d_output = 1`` (scalar predictor).
    """
    if cfg.norm is not None:
        raise ValueError("cfg.norm must be None: LayerNorm is not globally Lipschitz and is not covered by the bound")
    if cfg.nonlinearity not in _bounds.LIPSCHITZ:
        raise ValueError(f"cfg.nonlinearity must be one of {sorted(_bounds.LIPSCHITZ)} (coordinate-wise, phi(0)=0), "
                         f"got {cfg.nonlinearity!r}")
    if cfg.readout not in ("last", "mean"):
        raise ValueError(f"cfg.readout must be 'last' or 'mean' (a scalar predictor), got {cfg.readout!r}")
    if cfg.d_output != 1:
        raise ValueError(f"cfg.d_output must be 1 (scalar predictor), got {cfg.d_output}")
    return _bounds.LIPSCHITZ[cfg.nonlinearity]


def _encoder_readout(params):
    """``(W_enc, b_enc, a, ||w||_1, |b|)``: encoder weights (float64), ``a = max_j sum_i |W_ij| + |b_j|``, readout norms."""
    import jax

    p = jax.tree_util.tree_map(np.asarray, params)
    We, be = np.asarray(p["encoder"]["W"], np.float64), np.asarray(p["encoder"]["b"], np.float64)
    a = float((np.abs(We).sum(axis=0) + np.abs(be)).max())
    w = np.asarray(p["decoder"]["W"], np.float64)[:, 0]
    w_l1 = float(np.abs(w).sum())
    b_abs = float(abs(np.asarray(p["decoder"]["b"], np.float64)[0]))
    return We, be, a, w_l1, b_abs


def _grid_levels(A, B, C, D, grid):
    """A block's grid class: ``{beta, d, margin}`` rounded (norms up, margin down) and its ``gamma`` (None: outside every class)."""
    beta = float(_bounds.mode_coefficients(A, B, C).sum())
    d = float(np.abs(D).sum(axis=1).max())
    lv = dict(beta=grid.round_up(beta), d=grid.round_up(d), margin=grid.round_margin_down(1.0 - float(np.abs(A).max())))
    outside = lv["margin"] == 0.0 or not np.isfinite(lv["beta"] * lv["d"])
    return lv, (None if outside else 1.0 - lv["margin"])


def _grid_readout(a, w_l1, b_abs, grid, n_layers, levels):
    """Encoder / readout norms rounded up on ``grid`` (recorded in ``levels``) and the number of classes."""
    if grid is None:
        return a, w_l1, b_abs, 1
    a, w_l1, b_abs = grid.round_up(a), grid.round_up(w_l1), grid.round_up(b_abs)
    levels.update(encoder=a, readout_l1=w_l1, bias=b_abs)
    return a, w_l1, b_abs, grid.size(n_layers)


def _extension_block_E(A, B, C, D, grid, T, l1, levels):
    """One block's constant ``E`` in the per-step extension: true l1 / per-mode envelope, or the grid class envelope."""
    if grid is None:
        return _bounds.l1_upper(A, B, C, D, T=T) if l1 == "exact" else _bounds.l1_envelope(A, B, C, D, T=T)
    lv, gamma = _grid_levels(A, B, C, D, grid)
    levels["blocks"].append(lv)
    return math.inf if gamma is None else _bounds.class_envelope(gamma, lv["beta"], lv["d"], T=T)


def bound_for_model(params, cfg, N: int, delta: float = 0.05, K_u: float = 1.0, c_loss: float = 1.0,
                    grid: _bounds.NormGrid | None = None, T: int | None = None, l1: str = "exact") -> BoundReport:
    """Our per-step extension [R] of the bound for a deep SSM from :mod:`ssmtheory.models`
    (formula in :mod:`ssmtheory.theory.bounds`; source ``docs/papers/racz-2024.md``).

    Inputs bounded per step, ``||u_t||_2 <= K_u`` (not the paper's finite-energy assumption; for that
    use :func:`paper_form_bound`).  ``l1="exact"`` (default): each block's constant is its true l1
    norm, the upper end of :func:`ssmtheory.norms.l1_norm`'s enclosure (finite ``T``: the exact sum over
    the ``T`` lags, :func:`ssmtheory.theory.bounds.l1_upper`); ``l1="envelope"``: the looser per-mode envelope
    :func:`ssmtheory.theory.bounds.l1_envelope`.

    ``K_u``: an a-priori bound ``||u_t||_2 <= K_u`` on the input distribution's support (not an
    estimate from the sample).  Loss: clipped square with level ``c_loss`` (``L_loss = 2 sqrt(c_loss)``).

    * ``grid=None``: the class is the model's own norm ball: a valid bound for a model fixed
      before seeing the data (e.g. a teacher), a heuristic number for a trained one.
    * ``grid=NormGrid(...)``: each norm is rounded to ``grid``, the block constant is the class
      envelope :func:`ssmtheory.theory.bounds.class_envelope` ``d_l + beta_l / (1 - gamma_l)`` and ``delta`` becomes
      ``delta / grid.size(L)``: valid simultaneously for every model, hence for a data-chosen one.
      ``bound = inf`` if a norm falls outside the grid.
    """
    _check_int(N, "N", minimum=1)
    _bounds._num(K_u, "K_u", positive=True)
    _bounds._num(c_loss, "c_loss", positive=True)
    if T is not None:
        _check_int(T, "T", minimum=1)
    Lphi = check_architecture(cfg)
    if l1 not in ("exact", "envelope"):
        raise ValueError(f"l1 must be 'exact' or 'envelope', got {l1!r}")
    _, _, a, w_l1, b_abs = _encoder_readout(params)
    levels = {"blocks": []}
    E = [_extension_block_E(*block_standard(s), grid, T, l1, levels) for s in _models.layer_systems(params, cfg)]
    a, w_l1, b_abs, size = _grid_readout(a, w_l1, b_abs, grid, cfg.n_layers, levels)
    cs = [_bounds.block_constant(e, Lphi, 1.0, cfg.residual) for e in E]
    K = math.sqrt(K_u**2 + 1.0)
    Lloss = _bounds.clipped_square_lipschitz(c_loss)
    num = _bounds.complexity_numerator(K, w_l1, cs, Lloss, a, b_abs)
    conf = _bounds.confidence_term(c_loss, delta / size)
    return BoundReport(bound=(num + conf) / math.sqrt(N), numerator=num, confidence=conf, N=int(N), delta=delta,
                       delta_eff=delta / size, K=K, encoder_norm=a, readout_l1=w_l1, bias_abs=b_abs, block_E=E, block_c=cs,
                       lipschitz=Lphi, lipschitz_loss=Lloss, c_loss=c_loss, grid_size=size, levels=levels)


def _energy_K(K, T, We, be):
    """``K' = sqrt(K^2 + T)`` with a nonzero encoder bias (a constant input of energy ``T`` per unit), else ``K``."""
    _as_array(We, "params['encoder']['W']")
    has_bias = bool(np.any(be != 0))
    if has_bias and T is None:
        raise ValueError("T is required: the encoder bias is a constant input of energy T per unit (outside finite energy)")
    return math.sqrt(K**2 + (_check_int(T, "T") if has_bias else 0))


def _paper_block_E(A, B, C, D, last, grid, levels):
    """One block's factor in the paper form: inner blocks true l1 (``E_l``), the last ``sqrt(q) ||Sigma||_{H2}``;
    with ``grid`` the class envelopes ``d + beta/(1-gamma)`` and ``sqrt(d^2 + beta^2/(1-gamma^2))``."""
    if grid is None:
        return _bounds.h2_row_upper(A, B, C, D) if last else _bounds.l1_upper(A, B, C, D)
    lv, gamma = _grid_levels(A, B, C, D, grid)
    levels["blocks"].append(lv)
    if gamma is None:
        return math.inf
    return _bounds.class_h2_envelope(gamma, lv["beta"], lv["d"]) if last else _bounds.class_envelope(gamma, lv["beta"], lv["d"])


def paper_form_bound(params, cfg, N: int, delta: float = 0.05, K: float = 1.0, c_loss: float = 1.0,
                     grid: _bounds.NormGrid | None = None, T: int | None = None) -> BoundReport:
    """The paper-form (finite-energy, l1/H2) PAC bound for a deep SSM of :mod:`ssmtheory.models` [R]
    (source ``docs/papers/racz-2024.md``).

    With probability ``>= 1 - delta`` (SSBD Thm 26.5, clipped square loss in ``[0, c_loss]``)::

        E ell - mean_i ell_i <= ( 2 L_loss (K' a ||w||_1 prod_{l<L} c_l c_L + |b|) + 4 c_loss sqrt(2 ln(4/delta')) ) / sqrt(N)

    * ``K``: a-priori energy bound ``sum_t ||u_t||_2^2 <= K^2`` on the input distribution's support.
      The encoder bias is a constant input of energy ``T`` per unit, so with a nonzero encoder bias
      ``K' = sqrt(K^2 + T)`` and ``T`` is required (the bias is outside the finite-energy assumption and
      brings ``sqrt(T)`` back); without one ``K' = K``.
    * ``c_l = 2 L_phi E_l``, ``E_l`` = upper end of :func:`ssmtheory.norms.l1_norm` (inner blocks);
      ``c_L = 2 L_phi H_L``, ``H_L = sqrt(q) ||Sigma_L||_{H2}`` (:func:`ssmtheory.theory.bounds.h2_row_upper`);
      residual: ``1 + c``.  See :func:`ssmtheory.theory.bounds.paper_form_complexity`.
    * ``grid=None``: the class is the model's own impulse-response envelope (valid for a model fixed
      before the data, heuristic for a trained one).  ``grid=NormGrid(...)``: norms rounded to the grid,
      blocks replaced by the class ``S(gamma, beta, d)`` (no ``sqrt(q)``: the class envelope already bounds
      the inf norm) and ``delta' = delta / grid.size(L)`` (union bound): valid for data-chosen models.
      This is the same grid as :func:`bound_for_model`'s.
    * An unstable block gives ``bound = inf``.
    """
    _bounds._num(c_loss, "c_loss", positive=True)
    if T is not None:
        _check_int(T, "T", minimum=1)
    Lphi = check_architecture(cfg)
    _check_int(N, "N", minimum=1)
    if not (isinstance(K, (int, float)) and math.isfinite(K) and K > 0):
        raise ValueError(f"K must be a positive finite energy bound, got {K!r}")
    We, be, a, w_l1, b_abs = _encoder_readout(params)
    K_eff = _energy_K(K, T, We, be)
    systems = _models.layer_systems(params, cfg)
    levels = {"blocks": []}
    Es = [_paper_block_E(*block_standard(s), i == len(systems) - 1, grid, levels) for i, s in enumerate(systems)]
    a, w_l1, b_abs, size = _grid_readout(a, w_l1, b_abs, grid, cfg.n_layers, levels)
    R = _bounds.paper_form_complexity(K_eff, 1, Es[:-1], Es[-1], Lphi, w_l1, a, b_abs, cfg.residual, last_nonlinearity=True)
    cs = [_bounds.block_constant(e, Lphi, 1.0, cfg.residual) for e in Es[:-1]]
    cs.append((1.0 if cfg.residual else 0.0) + 2.0 * Lphi * Es[-1])
    Lloss = _bounds.clipped_square_lipschitz(c_loss)
    num = 2.0 * Lloss * R
    conf = _bounds.confidence_term(c_loss, delta / size)
    return BoundReport(bound=(num + conf) / math.sqrt(N), numerator=num, confidence=conf, N=int(N), delta=delta,
                       delta_eff=delta / size, K=K_eff, encoder_norm=a, readout_l1=w_l1, bias_abs=b_abs, block_E=Es,
                       block_c=cs, lipschitz=Lphi, lipschitz_loss=Lloss, c_loss=c_loss, grid_size=size, levels=levels,
                       route="paper form (finite energy; inner l1, last H2)")


# ----------------------------------------------------------------------------------------------
# notebook 01: the bound of a fixed LRU model against T, the margin and the depth
# ----------------------------------------------------------------------------------------------
def _bound_args(N, delta, K_u, c_loss):
    """Validate the common bound arguments (``N`` int >= 1, ``delta`` in (0, 1), ``K_u``, ``c_loss`` > 0)."""
    _check_int(N, "N", minimum=1)
    _check_scalar(delta, "delta", positive=True, maximum=1.0)
    if delta >= 1:
        raise ValueError(f"delta must lie in (0, 1), got {delta!r}")
    _check_positive(K_u, "K_u")
    _check_positive(c_loss, "c_loss")


def _lengths(Ts, name="Ts"):
    """A non-empty list of positive integer lengths."""
    if isinstance(Ts, (str, bytes)) or not hasattr(Ts, "__len__") or len(Ts) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of positive integers, got {Ts!r}")
    return [_check_int(t, name, minimum=1) for t in Ts]


def _radii(radii, name="radii", closed=False):
    """A non-empty list of radii in (0, 1) (``(0, 1]`` with ``closed``)."""
    if isinstance(radii, (str, bytes)) or not hasattr(radii, "__len__") or len(radii) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of radii, got {radii!r}")
    out = [_check_scalar(r, name, positive=True, maximum=1.0) for r in radii]
    if not closed and max(out) >= 1:
        raise ValueError(f"{name} must lie in (0, 1), got {radii!r}")
    return out


def lru_config(n_layers: int = 2, d_model: int = 4, d_state: int = 16, r_max: float = 0.95, residual: bool = False):
    """Notebook 01's model: ``n_layers`` LRU blocks, ``tanh``, no LayerNorm, scalar input and output, read out at
    the last step, eigenvalue moduli in ``[0.5, r_max]``, float64 (x64 must be on)."""
    import jax.numpy as jnp

    _check_int(n_layers, "n_layers")
    _check_int(d_model, "d_model")
    _check_int(d_state, "d_state")
    _check_scalar(r_max, "r_max", positive=True, maximum=1.0)
    return _models.DeepSSMConfig(d_input=1, d_model=d_model, d_output=1, n_layers=n_layers, d_state=d_state, block="lru",
                                 nonlinearity="tanh", norm=None, residual=bool(residual), readout="last", r_min=0.5,
                                 r_max=r_max, dtype=jnp.float64)


def with_radius(params, r: float):
    """The same LRU model with every block's eigenvalues rescaled so that the largest modulus is ``r`` (phases, B, C, D
    kept); ``r = 1`` puts the slowest mode on the unit circle (``nu_log = -inf``)."""
    import jax
    import jax.numpy as jnp

    _check_scalar(r, "r", positive=True, maximum=1.0)
    out = jax.tree_util.tree_map(lambda a: a, params)
    for lp in out["layers"]:
        if "nu_log" not in lp["ssm"]:
            raise ValueError("params must be an LRU model (layers[*]['ssm']['nu_log'])")
        mod = np.exp(-np.exp(np.asarray(lp["ssm"]["nu_log"])))
        new = r * mod / mod.max()
        with np.errstate(divide="ignore"):
            lp["ssm"]["nu_log"] = jnp.asarray(np.log(-np.log(new)))  # |lambda| = 1 gives nu_log = -inf, exp(-exp(-inf)) = 1
    return out


def length_sweep(Ts, radii, seed: int = 0, N: int = 1000, delta: float = 0.05, K_u: float = 1.0, K_E: float = 1.0,
                 c_loss: float = 1.0) -> dict:
    """Per radius ``r`` (an LRU model of :func:`lru_config` with ``r_max = r``, initialized from ``seed``): the per-step
    extension at every ``T`` (finite-horizon true l1) and the paper-form bound (energy ``K_E``).

    Returns ``{"reps": {r: [BoundReport per T]}, "curves": {r: bounds (len(Ts),)}, "paper": {r: BoundReport}}``.
    """
    import jax

    Ts, radii = _lengths(Ts), _radii(radii)
    _bound_args(N, delta, K_u, c_loss)
    _check_int(seed, "seed", minimum=0)
    _check_positive(K_E, "K_E")
    curves, reps, paper = {}, {}, {}
    for r in radii:
        cfg = lru_config(r_max=r)
        params = _models.init_params(jax.random.PRNGKey(seed), cfg)
        reps[r] = [bound_for_model(params, cfg, N=N, delta=delta, K_u=K_u, c_loss=c_loss, T=T) for T in Ts]
        curves[r] = np.array([rp.bound for rp in reps[r]])
        paper[r] = paper_form_bound(params, cfg, N=N, delta=delta, K=K_E, c_loss=c_loss, T=max(Ts))
    return dict(reps=reps, curves=curves, paper=paper)


def _nonnormal_blocks(blocks, seed: int, target: float):
    """Each block in a non-normal state basis ``V = I + s U`` (``U`` strictly upper triangular Gaussian) with ``s`` chosen
    so that ``||V A V^{-1}||_inf = target`` (same impulse response)."""
    from scipy.optimize import brentq

    rng = np.random.default_rng(seed)
    out = []
    for A, B, C, D in blocks:
        U = np.triu(rng.normal(size=(A.size, A.size)), 1)
        s = brentq(lambda s: np.abs(_bounds.nonnormal_realization(A, B, C, D, np.eye(A.size) + s * U)[0]).sum(1).max() - target,
                   0.0, 10.0)
        out.append(_bounds.nonnormal_realization(A, B, C, D, np.eye(A.size) + s * U))
    return out


def length_comparators(params, cfg, reps, Ts, seed: int = 0, N: int = 1000, delta: float = 0.05, K_u: float = 1.0,
                       c_loss: float = 1.0, power_norm: float = 1.05) -> dict:
    """The three length-dependent comparators of notebook 01 for the model ``(params, cfg)`` and its per-step reports
    ``reps`` (one per ``T``, from :func:`length_sweep`), and the per-block l1 norms.

    (i) the ``||C|| ||A||^{k-1} ||B||`` chain in a non-normal basis with ``||A||_inf = power_norm`` (basis drawn from
    ``seed``); (ii) the union bound over time, numerator times ``sqrt(2 ln 2T)``; (iii) the paper form outside its
    assumption, ``K = K_u sqrt(T)``.  Returns ``comp_i, comp_ii, comp_iii`` (len(Ts),), ``same_h`` (max impulse-response
    difference of the non-normal realization over 64 lags), ``l1_T`` (blocks, len(Ts)), ``l1_inf``, ``env_inf`` (blocks,).
    """
    Ts = _lengths(Ts)
    _bound_args(N, delta, K_u, c_loss)
    _check_int(seed, "seed", minimum=0)
    _check_scalar(power_norm, "power_norm", positive=True)
    if len(reps) != len(Ts):
        raise ValueError(f"reps must hold one BoundReport per T ({len(Ts)}), got {len(reps)}")
    blocks = [block_standard(s) for s in _models.layer_systems(params, cfg)]
    nonnormal = _nonnormal_blocks(blocks, seed, power_norm)
    rep0 = reps[0]
    same_h = float(np.abs(_norms.impulse_response(*blocks[0], 64) - _norms.impulse_response(*nonnormal[0], 64)).max())
    comp_i = np.array([_bounds.generalization_bound(_bounds.complexity_numerator(
        rep0.K, rep0.readout_l1, [_bounds.block_constant(_bounds.power_norm_envelope(*nn, T=T), rep0.lipschitz) for nn in nonnormal],
        rep0.lipschitz_loss, rep0.encoder_norm, rep0.bias_abs), N, c_loss, delta) for T in Ts])
    comp_ii = np.array([(rp.numerator * _bounds.union_over_time_factor(T) + rp.confidence) / math.sqrt(N) for rp, T in zip(reps, Ts)])
    comp_iii = np.array([paper_form_bound(params, cfg, N=N, delta=delta, K=K_u * math.sqrt(T), c_loss=c_loss, T=T).bound for T in Ts])
    l1_T = np.array([[_bounds.l1_upper(*blk, T=T) for T in Ts] for blk in blocks])
    return dict(comp_i=comp_i, comp_ii=comp_ii, comp_iii=comp_iii, same_h=same_h, l1_T=l1_T,
                l1_inf=np.array([_bounds.l1_upper(*blk) for blk in blocks]), env_inf=np.array([_bounds.l1_envelope(*blk) for blk in blocks]))


def margin_sweep(params, cfg, radii, T_max: int, N: int = 1000, delta: float = 0.05, K_u: float = 1.0, K_E: float = 1.0,
                 c_loss: float = 1.0) -> dict:
    """The model ``params`` rescaled to each radius (:func:`with_radius`): paper-form bound ``B`` (energy ``K_E``, encoder
    bias horizon ``T_max``), per-step extension ``Bx`` (infinite horizon), inner-block l1 norms ``E`` (radii, blocks) and
    the last block's H2 factor ``H2``; ``margin = 1 - r``; ``cap`` per block ``||D||_inf + beta`` at radius 1 (the bound
    ``(1-r) E_l <= cap_l``) and ``pf1`` the paper-form report at radius 1."""
    radii = _radii(radii)
    _check_int(T_max, "T_max")
    _bound_args(N, delta, K_u, c_loss)
    rows = []
    for r in radii:
        p_r = with_radius(params, r)
        rep = bound_for_model(p_r, cfg, N=N, delta=delta, K_u=K_u, c_loss=c_loss)
        pf = paper_form_bound(p_r, cfg, N=N, delta=delta, K=K_E, c_loss=c_loss, T=T_max)
        rows.append(dict(B=pf.bound, Bx=rep.bound, E=rep.block_E, H2=pf.block_E[-1]))
    p1 = with_radius(params, 1.0)
    blocks1 = [block_standard(s) for s in _models.layer_systems(p1, cfg)]
    cap = [float(np.abs(D).sum(1).max() + _bounds.mode_coefficients(A, B, C).sum()) for A, B, C, D in blocks1]
    return dict(margin=1 - np.array(radii), B=np.array([w["B"] for w in rows]), Bx=np.array([w["Bx"] for w in rows]),
                E=np.array([w["E"] for w in rows]), H2=np.array([w["H2"] for w in rows]), cap=np.array(cap),
                pf1=paper_form_bound(p1, cfg, N=N, delta=delta, K=K_E, c_loss=c_loss, T=T_max))


def unit_radius_horizon(params, cfg, Ts, N: int = 1000, delta: float = 0.05, K_u: float = 1.0, c_loss: float = 1.0) -> dict:
    """Finite horizon at the unit circle: block 1's truncated l1 norm ``E`` and the per-step extension ``B`` at every
    ``T`` with the model rescaled to radius 1, and the same extension ``B_99`` at radius 0.99."""
    Ts = _lengths(Ts)
    _bound_args(N, delta, K_u, c_loss)
    p1, p99 = with_radius(params, 1.0), with_radius(params, 0.99)
    block1 = block_standard(_models.layer_systems(p1, cfg)[0])
    return dict(E=np.array([_bounds.l1_upper(*block1, T=T) for T in Ts]),
                B=np.array([bound_for_model(p1, cfg, N=N, delta=delta, K_u=K_u, c_loss=c_loss, T=T).bound for T in Ts]),
                B_99=np.array([bound_for_model(p99, cfg, N=N, delta=delta, K_u=K_u, c_loss=c_loss, T=T).bound for T in Ts]))


def scaled_model(n_layers: int, c_target: float, residual: bool = False, seed: int = 100):
    """An LRU model (:func:`lru_config`, ``d_state = 8``) from ``seed`` with each block's ``C`` and ``D`` scaled so that its
    constant ``2 E_l`` equals ``c_target`` (``E_l`` the infinite-horizon true l1 norm).  Returns ``(params, cfg)``."""
    import jax

    _check_positive(c_target, "c_target")
    _check_int(seed, "seed", minimum=0)
    cfg = lru_config(n_layers=n_layers, d_state=8, residual=residual)
    p = _models.init_params(jax.random.PRNGKey(seed), cfg)
    for lp, s in zip(p["layers"], _models.layer_systems(p, cfg)):
        f = c_target / (2 * _bounds.l1_upper(*block_standard(s)))
        for k in ("C_re", "C_im", "D"):
            lp["ssm"][k] = lp["ssm"][k] * f
    return p, cfg


def depth_sweep(depths, settings, seed: int = 100, N: int = 1000, delta: float = 0.05, K_u: float = 1.0,
                c_loss: float = 1.0):
    """For each ``(name, c_target, residual)`` in ``settings`` and each depth: the product of block constants recovered
    from the per-step extension's numerator (:func:`scaled_model`).  Returns ``({name: (len(depths),)}, err)`` with
    ``err`` the max relative error of the numerator against ``2 L_loss (K a ||w||_1 prod_l c_l + |b|)`` in units of
    ``10 L eps``."""
    depths = _lengths(depths, "depths")
    _bound_args(N, delta, K_u, c_loss)
    dep, err = {}, 0.0
    for name, c_t, res in settings:
        vals = []
        for L in depths:
            p, cfg = scaled_model(L, c_t, res, seed=seed)
            rep = bound_for_model(p, cfg, N=N, delta=delta, K_u=K_u, c_loss=c_loss)
            cs = [_bounds.block_constant(e, 1.0, 1.0, res) for e in rep.block_E]
            expect = 2 * rep.lipschitz_loss * (rep.K * rep.encoder_norm * rep.readout_l1 * np.prod(cs) + rep.bias_abs)
            err = max(err, abs(rep.numerator / expect - 1) / (10 * L * np.finfo(float).eps))
            vals.append((rep.numerator / (2 * rep.lipschitz_loss) - rep.bias_abs) / (rep.K * rep.encoder_norm * rep.readout_l1))
        dep[name] = np.array(vals)
    return dep, err
