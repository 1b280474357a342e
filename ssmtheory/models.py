"""Deep SSMs (S4D / S5 / LRU stacks) as plain pytrees — no Flax.

::

    cfg = DeepSSMConfig(d_input=1, d_model=16, d_output=10, n_layers=2, d_state=16, block="s4d")
    params = init_params(jax.random.PRNGKey(0), cfg)   # nested dict of real arrays
    y = apply(params, u, cfg)                          # u (..., L, d_input) -> (..., d_output) or (..., L, d_output)

Architecture: ``Linear(d_input -> d_model)`` encoder; ``n_layers`` blocks, each

    z = SSM(v);  z = act(z);  v = v + z (if residual);  v = LayerNorm(v) (if norm == "layer", post-norm)

(``act = "glu"``: ``Linear(d_model -> 2 d_model)`` then ``a * sigmoid(b)``); readout ``"mean"`` over
time, ``"last"`` step or the full ``"sequence"``; then ``Linear(d_model -> d_output)``.

All parameters are real arrays of ``cfg.dtype`` (complex numbers stored as ``*_re`` / ``*_im``
pairs so that optax treats them as ordinary reals).  SSM blocks (``H = d_model``):

* ``"s4d"`` — H independent SISO systems (:func:`ssmtheory.ssm.apply_ssm_channels`), ``N = d_state``
  **stored** states per channel.  Complex states (``complex_states=True``): eigenvalues
  ``Re = param.reparam(cfg.reparam, w)``, ``Im = im``, one per conjugate pair, output ``2 Re(C x)``
  (``conj_sym=True``), so the real state dimension is ``2 N``; init from ``init.s4d_lin/inv/legs(N)``.
  Real states (``complex_states=False``): ``init.s4d_real(N)``, real ``B``, ``C``, ``conj_sym=False``.
  Parameters ``w, im (H, N)``, ``log_dt (H,)`` ~ U[log dt_min, log dt_max], ``B_re/B_im (H, N)``
  (ones / zeros), ``C_re/C_im (H, N)`` ~ N(0, 1/2) each (real states: ``C`` ~ N(0, 1)), ``D (H,)`` ~ N(0, 1).
  ZOH via :func:`ssmtheory.ssm.discretize` with one step per channel.
* ``"s5"`` — one MIMO system (:func:`ssmtheory.ssm.apply_ssm`) with ``P = d_state`` states, all
  ``P`` eigenvalues kept (``conj_sym=False``).  ``init="legs"`` (default): ``(Lambda, V, Vinv) =
  init.s5_blocks(P, s5_blocks)``, ``B_tilde = Vinv @ B`` (``B`` lecun-normal ``(P, H)``),
  ``C_tilde = C @ V`` (``C`` lecun-normal ``(H, P)``); ``init="lin"|"inv"``: S4D eigenvalues with ``V = I``;
  ``init="real"`` (``complex_states=False``): ``init.s4d_real(P)``, real ``B, C``.  Parameters
  ``w, im (P,)``, ``log_dt (P,)``, ``B_re/B_im (P, H)``, ``C_re/C_im (H, P)``, ``D (H,)`` (diagonal feedthrough).
* ``"lru"`` — MIMO, discrete directly (Orvieto et al. 2023): ``Lambda_bar = exp(-exp(nu_log) + i exp(theta_log))``,
  ``B_bar = diag(exp(gamma_log)) (B_re + i B_im)`` with trainable ``gamma_log`` initialised to
  ``log sqrt(1 - |Lambda_bar|^2)``; ``B_re, B_im ~ N(0, 1/(2 H))``, ``C_re, C_im ~ N(0, 1/P)``, ``D ~ N(0, 1)``;
  eigenvalues from ``init.lru_ring(key, P, r_min, r_max, max_phase)``; output ``Re(C x) + D u``.
  ``cfg.reparam`` and ``dt_min/dt_max`` are not used.

Reparameterization at init: ``w = param.inverse_reparam(cfg.reparam, Re(lambda))`` (``direct``: ``w = Re(lambda)``).
For ``"best"`` (range ``[-1/b, 0) = [-2, 0)``) real parts below ``-2`` (e.g. ``s4d_real``) are clipped to
``-2`` (``w = 0``).  With ``reparam="direct"`` eigenvalues can leave the stable half plane during training;
``method="auto"`` inside ``jit`` cannot see that, so :func:`apply` states it (``_stable_by_construction``) and
``auto`` then runs the scan.

:func:`layer_systems` returns the discrete diagonal systems exactly as :func:`apply` uses them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ssmtheory import param as _param
from ssmtheory import ssm as _ssm
from ssmtheory._validate import check_choice

__all__ = [
    "DeepSSMConfig",
    "BLOCKS",
    "INITS",
    "NONLINEARITIES",
    "READOUTS",
    "init_params",
    "apply",
    "layer_systems",
    "count_params",
]

BLOCKS = ("s4d", "s5", "lru")
INITS = ("lin", "inv", "legs", "real", "ring")
NONLINEARITIES = ("gelu", "glu", "relu", "tanh", "identity")
READOUTS = ("mean", "last", "sequence")
NORMS = ("layer", None)

# which inits each block accepts, for (complex_states=True, complex_states=False)
_BLOCK_INITS = {
    "s4d": (("lin", "inv", "legs"), ("real",)),
    "s5": (("legs", "lin", "inv"), ("real",)),
    "lru": (("ring",), ()),
}
_DEFAULT_INIT = {("s4d", True): "lin", ("s4d", False): "real", ("s5", True): "legs", ("s5", False): "real", ("lru", True): "ring"}


def _is_int(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


@dataclass(frozen=True)
class DeepSSMConfig:
    """Hyper-parameters of a deep SSM (frozen and hashable: pass it as a static argument to ``jit``).

    ``d_state``: s4d — stored states per channel (complex: one per conjugate pair, real dimension
    ``2 d_state``); s5 / lru — the ``P`` (complex) states of the MIMO system.
    ``init=None`` picks the block default (s4d: "lin", or "real" for real states; s5: "legs"; lru: "ring").
    ``s5_blocks``: number of HiPPO-LegS blocks for the s5 ``"legs"`` init (must divide ``d_state``).
    """

    d_input: int = 1
    d_model: int = 16
    d_output: int = 10
    n_layers: int = 2
    d_state: int = 16
    block: str = "s4d"
    init: str | None = None
    reparam: str = "exp"
    complex_states: bool = True
    nonlinearity: str = "gelu"
    residual: bool = True
    norm: str | None = "layer"
    readout: str = "mean"
    dt_min: float = 1e-3
    dt_max: float = 1e-1
    r_min: float = 0.0
    r_max: float = 1.0
    max_phase: float = 6.283
    method: str = "auto"
    dtype: Any = jnp.float32
    s5_blocks: int = 1

    def __post_init__(self):
        for name in ("d_input", "d_model", "d_output", "d_state", "s5_blocks"):
            v = getattr(self, name)
            if not _is_int(v) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if not _is_int(self.n_layers) or self.n_layers < 0:
            raise ValueError(f"n_layers must be a non-negative integer, got {self.n_layers!r}")
        check_choice(self.block, "block", BLOCKS)
        check_choice(self.reparam, "reparam", _param.REPARAMS)
        if not isinstance(self.complex_states, (bool, np.bool_)):
            raise ValueError(f"complex_states must be a bool, got {self.complex_states!r}")
        if not isinstance(self.residual, (bool, np.bool_)):
            raise ValueError(f"residual must be a bool, got {self.residual!r}")
        check_choice(self.nonlinearity, "nonlinearity", NONLINEARITIES)
        if self.norm not in NORMS:
            raise ValueError(f"norm must be 'layer' or None, got {self.norm!r}")
        check_choice(self.readout, "readout", READOUTS)
        check_choice(self.method, "method", _ssm.METHODS)
        if self.block == "lru" and not self.complex_states:
            raise ValueError("complex_states must be True for block='lru' (its eigenvalues are complex)")
        if self.init is None:
            object.__setattr__(self, "init", _DEFAULT_INIT[(self.block, bool(self.complex_states))])
        check_choice(self.init, "init", INITS)
        allowed = _BLOCK_INITS[self.block][0 if self.complex_states else 1]
        if self.init not in allowed:
            raise ValueError(
                f"init must be one of {list(allowed)} for block={self.block!r} with complex_states={self.complex_states}, "
                f"got {self.init!r}"
            )
        if self.block == "s5" and self.init == "legs" and self.d_state % self.s5_blocks:
            raise ValueError(f"d_state ({self.d_state}) must be divisible by s5_blocks ({self.s5_blocks})")
        for name in ("dt_min", "dt_max"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.floating, np.integer)) and np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be positive and finite, got {v!r}")
        if self.dt_min >= self.dt_max:
            raise ValueError(f"dt_min must be < dt_max, got dt_min={self.dt_min}, dt_max={self.dt_max}")
        if not (np.isfinite(self.r_min) and 0.0 <= self.r_min < 1.0):
            raise ValueError(f"r_min must lie in [0, 1), got {self.r_min!r}")
        if not (np.isfinite(self.r_max) and self.r_min < self.r_max <= 1.0):
            raise ValueError(f"r_max must lie in (r_min, 1], got {self.r_max!r}")
        if not (np.isfinite(self.max_phase) and self.max_phase > 0):
            raise ValueError(f"max_phase must be positive and finite, got {self.max_phase!r}")
        try:
            dt = np.dtype(self.dtype)
        except TypeError:
            raise ValueError(f"dtype must be a real floating dtype, got {self.dtype!r}") from None
        if dt.kind != "f":
            raise ValueError(f"dtype must be a real floating dtype, got {self.dtype!r}")

    @property
    def conj_sym(self) -> bool:
        """Whether the SSM output is ``2 Re(C x)`` (only s4d with complex states)."""
        return self.block == "s4d" and bool(self.complex_states)


# ---------------------------------------------------------------------------------------------
# initialisation
# ---------------------------------------------------------------------------------------------
def _init_module():
    from ssmtheory import init as _init  # written in parallel; imported lazily

    return _init


def _linear(key, d_in, d_out, dtype):
    W = jax.random.normal(key, (d_in, d_out), dtype) / math.sqrt(d_in)
    return {"W": W, "b": jnp.zeros((d_out,), dtype)}


def _w_from_re(cfg, re):
    """Raw weight ``w`` with ``reparam(w) = re`` (NumPy float64 in, NumPy out)."""
    re = np.asarray(re, np.float64)
    if cfg.reparam == "direct":
        return re
    if cfg.reparam == "best":
        lo = -1.0 / _param.reparam_kwargs("best")["b"]
        re = np.clip(re, lo, -1e-12)
    else:
        re = np.minimum(re, -1e-12)
    return np.asarray(_param.inverse_reparam(cfg.reparam, re), np.float64)


def _continuous_eigs(cfg, n):
    init = _init_module()
    fn = {"lin": init.s4d_lin, "inv": init.s4d_inv, "legs": init.s4d_legs, "real": init.s4d_real}[cfg.init]
    lam = np.asarray(fn(n))
    if lam.shape != (n,):
        raise RuntimeError(f"init.s4d_{cfg.init}({n}) returned shape {lam.shape}")
    return lam


def _log_dt(key, shape, cfg):
    lo, hi = math.log(cfg.dt_min), math.log(cfg.dt_max)
    return jax.random.uniform(key, shape, cfg.dtype, lo, hi)


def _init_s4d(key, cfg):
    H, N, dt = cfg.d_model, cfg.d_state, cfg.dtype
    k_dt, k_c, k_d = jax.random.split(key, 3)
    lam = _continuous_eigs(cfg, N)
    p = {
        "w": jnp.broadcast_to(jnp.asarray(_w_from_re(cfg, lam.real), dt), (H, N)),
        "log_dt": _log_dt(k_dt, (H,), cfg),
        "D": jax.random.normal(k_d, (H,), dt),
    }
    if cfg.complex_states:
        p["im"] = jnp.broadcast_to(jnp.asarray(lam.imag, dt), (H, N))
        p["B_re"] = jnp.ones((H, N), dt)
        p["B_im"] = jnp.zeros((H, N), dt)
        kr, ki = jax.random.split(k_c)
        p["C_re"] = jax.random.normal(kr, (H, N), dt) * math.sqrt(0.5)
        p["C_im"] = jax.random.normal(ki, (H, N), dt) * math.sqrt(0.5)
    else:
        p["B"] = jnp.ones((H, N), dt)
        p["C"] = jax.random.normal(k_c, (H, N), dt)
    return {k: jnp.array(v) for k, v in p.items()}


def _init_s5(key, cfg):
    H, P, dt = cfg.d_model, cfg.d_state, cfg.dtype
    k_dt, k_b, k_c, k_d = jax.random.split(key, 4)
    if cfg.init == "legs":
        lam, V, Vinv = (np.asarray(a) for a in _init_module().s5_blocks(P, cfg.s5_blocks))
    else:
        lam = _continuous_eigs(cfg, P)
        V = Vinv = np.eye(P)
    B = np.asarray(jax.random.normal(k_b, (P, H), jnp.float32), np.float64) / math.sqrt(H)  # lecun normal
    C = np.asarray(jax.random.normal(k_c, (H, P), jnp.float32), np.float64) / math.sqrt(P)
    Bt, Ct = Vinv @ B, C @ V
    p = {
        "w": jnp.asarray(_w_from_re(cfg, lam.real), dt),
        "log_dt": _log_dt(k_dt, (P,), cfg),
        "D": jax.random.normal(k_d, (H,), dt),
    }
    if cfg.complex_states:
        p.update(
            im=jnp.asarray(lam.imag, dt),
            B_re=jnp.asarray(Bt.real, dt),
            B_im=jnp.asarray(Bt.imag, dt),
            C_re=jnp.asarray(Ct.real, dt),
            C_im=jnp.asarray(Ct.imag, dt),
        )
    else:
        p.update(B=jnp.asarray(Bt.real, dt), C=jnp.asarray(Ct.real, dt))
    return p


def _init_lru(key, cfg):
    H, P, dt = cfg.d_model, cfg.d_state, cfg.dtype
    k_ring, k_b1, k_b2, k_c1, k_c2, k_d = jax.random.split(key, 6)
    lam = np.asarray(_init_module().lru_ring(k_ring, P, cfg.r_min, cfg.r_max, cfg.max_phase), np.complex128)
    r = np.abs(lam)
    nu = np.clip(-np.log(np.maximum(r, 1e-30)), 1e-7, 50.0)
    theta = np.maximum(np.mod(np.angle(lam), 2 * np.pi), 1e-7)
    gamma = np.sqrt(np.maximum(1.0 - np.exp(-2 * nu), 1e-12))
    sb, sc = 1.0 / math.sqrt(2 * H), 1.0 / math.sqrt(P)
    return {
        "nu_log": jnp.asarray(np.log(nu), dt),
        "theta_log": jnp.asarray(np.log(theta), dt),
        "gamma_log": jnp.asarray(np.log(gamma), dt),
        "B_re": jax.random.normal(k_b1, (P, H), dt) * sb,
        "B_im": jax.random.normal(k_b2, (P, H), dt) * sb,
        "C_re": jax.random.normal(k_c1, (H, P), dt) * sc,
        "C_im": jax.random.normal(k_c2, (H, P), dt) * sc,
        "D": jax.random.normal(k_d, (H,), dt),
    }


_INIT_BLOCK = {"s4d": _init_s4d, "s5": _init_s5, "lru": _init_lru}


def init_params(key, cfg: DeepSSMConfig) -> dict:
    """Initial parameters: ``{"encoder": {W, b}, "layers": [{"ssm": {...}, "glu"?: {W, b}, "norm"?: {scale, bias}}], "decoder": {W, b}}``."""
    if not isinstance(cfg, DeepSSMConfig):
        raise ValueError(f"cfg must be a DeepSSMConfig, got {type(cfg).__name__}")
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        key = jax.random.PRNGKey(int(key))  # an integer seed is accepted, like init.lru_ring
    k_enc, k_dec, k_layers = jax.random.split(key, 3)
    H = cfg.d_model
    layers = []
    for lk in jax.random.split(k_layers, max(cfg.n_layers, 1))[: cfg.n_layers]:
        k_ssm, k_glu = jax.random.split(lk)
        layer = {"ssm": _INIT_BLOCK[cfg.block](k_ssm, cfg)}
        if cfg.nonlinearity == "glu":
            layer["glu"] = _linear(k_glu, H, 2 * H, cfg.dtype)
        if cfg.norm == "layer":
            layer["norm"] = {"scale": jnp.ones((H,), cfg.dtype), "bias": jnp.zeros((H,), cfg.dtype)}
        layers.append(layer)
    return {
        "encoder": _linear(k_enc, cfg.d_input, H, cfg.dtype),
        "layers": layers,
        "decoder": _linear(k_dec, H, cfg.d_output, cfg.dtype),
    }


# ---------------------------------------------------------------------------------------------
# discrete systems and forward pass
# ---------------------------------------------------------------------------------------------
def _cplx(re, im):
    return jax.lax.complex(re, im)


def _stable_by_construction(cfg: DeepSSMConfig) -> bool:
    """Whether every parameter value gives ``|Lambda_bar| < 1``: LRU (``|lambda| = exp(-exp(nu))``) and every
    reparameterization except ``direct`` (``Re lambda = f(w) < 0``, then ZOH).  ``direct`` can leave the stable
    half plane in training, so ``method="auto"`` then runs the scan."""
    return cfg.block == "lru" or cfg.reparam != "direct"


def _system(p, cfg):
    """The discrete diagonal system of one layer (jnp): (Lambda_bar, B_bar, C, D, kind)."""
    if cfg.block == "lru":
        lam = jnp.exp(_cplx(-jnp.exp(p["nu_log"]), jnp.exp(p["theta_log"])))
        B_bar = _cplx(p["B_re"], p["B_im"]) * jnp.exp(p["gamma_log"])[:, None]
        return lam, B_bar, _cplx(p["C_re"], p["C_im"]), jnp.diag(p["D"]), "mimo"
    re = _param.reparam(cfg.reparam, p["w"])
    if cfg.complex_states:
        Lam, B, C = _cplx(re, p["im"]), _cplx(p["B_re"], p["B_im"]), _cplx(p["C_re"], p["C_im"])
    else:
        Lam, B, C = re, p["B"], p["C"]
    dt = jnp.exp(p["log_dt"])
    if cfg.block == "s4d":
        Lam_bar, B_bar = _ssm.discretize(Lam, B, dt[:, None], method="zoh")
        return Lam_bar, B_bar, C, p["D"], "channels"
    Lam_bar, B_bar = _ssm.discretize(Lam, B, dt, method="zoh")
    return Lam_bar, B_bar, C, jnp.diag(p["D"]), "mimo"


def _act(z, lp, cfg):
    nl = cfg.nonlinearity
    if nl == "gelu":
        return jax.nn.gelu(z, approximate=False)
    if nl == "relu":
        return jax.nn.relu(z)
    if nl == "tanh":
        return jnp.tanh(z)
    if nl == "identity":
        return z
    ab = z @ lp["glu"]["W"] + lp["glu"]["b"]
    a, b = jnp.split(ab, 2, axis=-1)
    return a * jax.nn.sigmoid(b)


def _layer_norm(v, p, eps=1e-5):
    mu = jnp.mean(v, axis=-1, keepdims=True)
    var = jnp.mean((v - mu) ** 2, axis=-1, keepdims=True)
    return (v - mu) * jax.lax.rsqrt(var + eps) * p["scale"] + p["bias"]


def apply(params: dict, u, cfg: DeepSSMConfig, ssm_input_hook=None, return_ssm_inputs: bool = False):
    """Forward pass: ``u (..., L, d_input)`` -> ``(..., d_output)`` (mean/last) or ``(..., L, d_output)`` (sequence).

    jittable with ``cfg`` static: ``jax.jit(apply, static_argnames="cfg")``; differentiable in ``params``.

    ``ssm_input_hook(layer_index, v) -> v`` (optional) transforms the input ``v (..., L, d_model)`` of each
    layer's SSM before it is applied (e.g. test-time noise injected at every layer, as in the PTD robustness
    test).  With ``return_ssm_inputs=True`` the result is ``(y, [v_0, v_1, ...])``: the input each SSM
    actually received (after the hook), e.g. for per-layer input statistics (Liu & Li's scaling rule).
    """
    if not isinstance(cfg, DeepSSMConfig):
        raise ValueError(f"cfg must be a DeepSSMConfig, got {type(cfg).__name__}")
    if not hasattr(u, "shape"):
        u = np.asarray(u)
    if np.iscomplexobj(u):
        raise ValueError(f"u must be real, got dtype {u.dtype}")
    if not (np.issubdtype(u.dtype, np.number) or np.issubdtype(u.dtype, np.bool_)):
        raise ValueError(f"u must be a real numeric array, got dtype {u.dtype}")
    if u.ndim < 2 or u.shape[-1] != cfg.d_input or u.shape[-2] < 1:
        raise ValueError(f"u must have shape (..., L, d_input) with d_input={cfg.d_input}, got {tuple(u.shape)}")
    if len(params.get("layers", ())) != cfg.n_layers:
        raise ValueError(f"params has {len(params.get('layers', ()))} layers but cfg.n_layers = {cfg.n_layers}")
    v = jnp.asarray(u, cfg.dtype) @ params["encoder"]["W"] + params["encoder"]["b"]
    ssm_inputs = []
    for i, lp in enumerate(params["layers"]):
        if ssm_input_hook is not None:
            v = ssm_input_hook(i, v)
        if return_ssm_inputs:
            ssm_inputs.append(v)
        Lam_bar, B_bar, C, D, kind = _system(lp["ssm"], cfg)
        if kind == "channels":
            z = _ssm.apply_ssm_channels(Lam_bar, B_bar, C, D, v, method=cfg.method, conj_sym=cfg.conj_sym,
                                        stable=_stable_by_construction(cfg))
        else:
            z = _ssm.apply_ssm(Lam_bar, B_bar, C, D, v, method=cfg.method, conj_sym=cfg.conj_sym,
                               stable=_stable_by_construction(cfg))
        z = _act(z, lp, cfg)
        v = v + z if cfg.residual else z
        if cfg.norm == "layer":
            v = _layer_norm(v, lp["norm"])
    if cfg.readout == "mean":
        v = jnp.mean(v, axis=-2)
    elif cfg.readout == "last":
        v = v[..., -1, :]
    y = v @ params["decoder"]["W"] + params["decoder"]["b"]
    return (y, ssm_inputs) if return_ssm_inputs else y


def layer_system(layer_params: dict, cfg: DeepSSMConfig):
    """One layer's discrete diagonal system as :func:`apply` uses it, as JAX arrays (differentiable):
    ``(Lambda_bar, B_bar, C, D, kind)`` with ``kind`` in ``{"channels", "mimo"}``.  ``layer_params`` is
    ``params["layers"][i]["ssm"]``.  :func:`layer_systems` is the NumPy view of the same thing."""
    return _system(layer_params, cfg)


def raw_weight_for_real_part(cfg: DeepSSMConfig, real_part):
    """The raw weight ``w`` with ``reparam(w) = real_part`` under ``cfg.reparam`` (clipped into its range),
    e.g. to initialize a layer from given continuous-time eigenvalues."""
    return _w_from_re(cfg, real_part)


def layer_systems(params: dict, cfg: DeepSSMConfig) -> list[dict]:
    """Per layer, the discrete diagonal system exactly as :func:`apply` uses it (NumPy arrays).

    Each entry: ``{"Lambda_bar", "B_bar", "C", "D", "conj_sym", "kind"}`` with
    ``kind="channels"`` (s4d: ``Lambda_bar, B_bar, C (H, N)``, ``D (H,)``, for
    :func:`ssmtheory.ssm.apply_ssm_channels`) or ``kind="mimo"`` (s5 / lru: ``Lambda_bar (P,)``,
    ``B_bar (P, H)``, ``C (H, P)``, ``D (H, H)`` diagonal, for :func:`ssmtheory.ssm.apply_ssm`).
    """
    out = []
    for lp in params["layers"]:
        Lam_bar, B_bar, C, D, kind = _system(lp["ssm"], cfg)
        out.append(
            {
                "Lambda_bar": np.asarray(Lam_bar),
                "B_bar": np.asarray(B_bar),
                "C": np.asarray(C),
                "D": np.asarray(D),
                "conj_sym": cfg.conj_sym,
                "kind": kind,
            }
        )
    return out


def count_params(params) -> int:
    """Total number of real scalars in a pytree of arrays (a complex entry counts twice)."""
    total = 0
    for x in jax.tree_util.tree_leaves(params):
        a = np.asarray(x) if not hasattr(x, "size") else x
        total += int(a.size) * (2 if np.iscomplexobj(a) else 1)
    return total
