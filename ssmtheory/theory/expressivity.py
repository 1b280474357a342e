"""Real vs complex diagonal SSMs: expressivity, parameter size and learnability (Ran-Milo et al., arXiv 2410.14067).

Setting (the paper's; the conventions follow the authors' public code ``edenlum/SSMComplexParamBenefits``)::

    h_t = A h_{t-1} + B x_t,   h_0 = 0,   A = diag(a)
    real SSM      a, b, c in R^n      y_t = C h_t
    complex SSM   a, b, c in C^n      y_t = 2 Re(C h_t)           (the code's complex output convention)

Both are causal convolutions ``y_t = sum_s phi(t - s) x_s`` with impulse response ("the mapping up to time t")
``phi(tau)``, ``tau = 0..t-1``:

    real      phi(tau) = sum_i c_i b_i a_i^tau
    complex   phi(tau) = 2 Re sum_i c_i b_i a_i^tau

This is the layer convention of :mod:`ssmtheory.ssm` (the input enters the state in the same step), so
:func:`impulse_real` / :func:`impulse_complex` are :func:`ssmtheory.ssm.kernel` with ``conj_sym=False / True``.

Provenance of each function (stated again in its docstring):

* targets (delay spike at ``floor((t-1)/2)``, uniform random, ``Re(i^tau)``; unit l2 norm) -- **the authors'
  code** [verified against the code, not against the PDF];
* :func:`forward_difference_bound` (T2), the dimension gap (T1) and :func:`dft_complex_ssm` (P2) -- **our
  reconstructions** of the paper's theorems, proved in the paper note and restated in notebook 04; the constants are
  ours, not the paper's;
* :func:`min_l1_real_fit`, :func:`best_linf_real_fit` -- numerical experiments of ours (LP / minimax over a pole grid);
* :func:`linf_normalized` -- the tables' metric (normalized l_inf error, zero map = 1) [from the table captions].

Formulas only (issue 12): the Tables 1-2 trainers, the T2 Monte Carlo check and the real-world S4D comparison are in
:mod:`ssmtheory.experiments.complex_real`; the selective (Mamba) model and its tasks in
:mod:`ssmtheory.experiments.mamba`.  Paper note: docs/papers/complex-ssm-2024.md.

float64: the Vandermonde matrices ``a^tau`` span many orders of magnitude and the LP optima reach ``1e6``; call
``jax.config.update("jax_enable_x64", True)`` before using the JAX parts for those studies.  The LP / minimax code
is NumPy/SciPy float64 throughout.
"""

from __future__ import annotations

import itertools
import math

import jax.numpy as jnp
import numpy as np

from ssmtheory import ssm
from ssmtheory._validate import as_array, check_choice, check_int, is_concrete

__all__ = [
    "TARGETS",
    "impulse_real",
    "impulse_complex",
    "recurrence_impulse",
    "target",
    "targets",
    "forward_differences",
    "forward_difference_bound",
    "dft_complex_ssm",
    "pole_grid",
    "vandermonde",
    "min_l1_real_fit",
    "best_linf_real_fit",
    "linf_normalized",
]

TARGETS = ("delay", "random", "oscillation")


# ----------------------------------------------------------------------------------------------
# impulse responses
# ----------------------------------------------------------------------------------------------
def impulse_real(a, b, c, t: int):
    """Impulse response ``phi(tau) = sum_i c_i b_i a_i^tau``, ``tau = 0..t-1``, of a real diagonal SSM; shape ``(t,)``.

    ``a, b, c`` are real vectors ``(n,)`` (negative ``a_i`` allowed).  Computed by :func:`ssmtheory.ssm.kernel`.
    """
    for v, n in ((a, "a"), (b, "b"), (c, "c")):
        if np.iscomplexobj(v):
            raise ValueError(f"{n} must be real for impulse_real (use impulse_complex)")
    a, b, c = _check_abc(a, b, c)
    t = check_int(t, "t")
    a = jnp.asarray(a)
    return ssm.kernel(a, jnp.asarray(b)[:, None], jnp.asarray(c)[None, :], t)[:, 0, 0]


def impulse_complex(a, b, c, t: int):
    """Impulse response ``phi(tau) = 2 Re sum_i c_i b_i a_i^tau``, ``tau = 0..t-1``, of a complex diagonal SSM.

    The factor 2 is the authors' code convention (one state of each conjugate pair stored), i.e.
    :func:`ssmtheory.ssm.kernel` with ``conj_sym=True``.  Shape ``(t,)``.
    """
    a, b, c = _check_abc(a, b, c)
    t = check_int(t, "t")
    a = jnp.asarray(a)
    cdt = jnp.result_type(a.dtype, jnp.complex64)
    a = a.astype(cdt)
    b = jnp.asarray(b).astype(cdt)
    c = jnp.asarray(c).astype(cdt)
    return ssm.kernel(a, b[:, None], c[None, :], t, conj_sym=True)[:, 0, 0]


def recurrence_impulse(a, b, c, t: int, complex_output: bool = False) -> np.ndarray:
    """Oracle: run ``h_k = a h_{k-1} + b x_k``, ``y_k = C h_k`` (or ``2 Re C h_k``) on a unit impulse, in NumPy."""
    a, b, c = (np.asarray(v) for v in _check_abc(a, b, c))
    t = check_int(t, "t")
    if not isinstance(complex_output, (bool, np.bool_)):
        raise ValueError(f"complex_output must be a bool, got {complex_output!r}")
    h = np.zeros(a.shape, np.result_type(a, b, c))
    out = np.empty(t)
    for k in range(t):
        h = a * h + (b if k == 0 else 0.0)
        y = np.sum(c * h)
        out[k] = 2.0 * y.real if complex_output else np.real(y)
    return out


# ----------------------------------------------------------------------------------------------
# targets
# ----------------------------------------------------------------------------------------------
def target(name: str, t: int, seed: int = 0, normalize: str = "l2") -> np.ndarray:
    """One of the paper's target impulse responses on ``tau = 0..t-1`` (float64 NumPy), as in the authors' code.

    * ``"delay"``: ``1[tau = floor((t-1)/2)]`` (a copy/delay of ``floor((t-1)/2)`` steps);
    * ``"random"``: ``U[-1, 1)`` i.i.d., drawn from ``np.random.default_rng(seed)`` (the code uses ``rand*2-1``);
    * ``"oscillation"``: ``Re(i^tau) = cos(pi tau / 2) = 1, 0, -1, 0, ...``.

    ``normalize="l2"`` (default, the code's choice: the zero map then has squared loss 1) divides by the l2 norm;
    ``"max"`` divides by ``max|phi|``; ``"none"`` returns the raw target.
    """
    check_choice(name, "name", TARGETS)
    check_choice(normalize, "normalize", ("l2", "max", "none"))
    t = check_int(t, "t", 1)
    seed = check_int(seed, "seed", 0)
    tau = np.arange(t)
    if name == "delay":
        phi = (tau == (t - 1) // 2).astype(float)
    elif name == "random":
        phi = np.random.default_rng(seed).uniform(-1.0, 1.0, t)
    else:
        phi = np.array([1.0, 0.0, -1.0, 0.0])[tau % 4]
    if normalize == "l2":
        phi = phi / np.linalg.norm(phi)
    elif normalize == "max":
        phi = phi / np.abs(phi).max()
    return phi


def targets(t: int, seed: int = 0, normalize: str = "l2") -> dict[str, np.ndarray]:
    """``{name: target(name, t, seed, normalize)}`` for the three targets, in :data:`TARGETS` order."""
    return {name: target(name, t, seed, normalize) for name in TARGETS}


# ----------------------------------------------------------------------------------------------
# theory: T2 lower bound, P2 DFT construction
# ----------------------------------------------------------------------------------------------
def forward_differences(g) -> np.ndarray:
    """Table ``D[k, m0] = Delta^k g(m0) = sum_j C(k,j) (-1)^(k-j) g(m0+j)`` (NaN where ``m0 + k >= len(g)``)."""
    g = np.asarray(_check_vec(g, "g", allow_complex=False), float)
    M = g.shape[0]
    D = np.full((M, M), np.nan)
    row = g.copy()
    for k in range(M):
        D[k, : M - k] = row
        row = np.diff(row)
    return D


def forward_difference_bound(phi, eps: float) -> float:
    """T2 (our reconstruction): lower bound on ``sum_i |b_i c_i|`` for any stable real SSM (``|a_i| <= 1``) with
    ``|phi_R(tau) - phi(tau)| <= eps`` for ``tau = 0..t-1``:

        sum_i |b_i c_i|  >=  max over o in {0,1}, m0, k with 2(m0+k)+o <= t-1 of  |Delta^k g_o(m0)| - 2^k eps,

    where ``g_o(m) = phi(2m + o)``.  Proof: ``Delta^k`` of ``m -> (a_i^2)^m a_i^o`` at ``m0`` is
    ``a_i^(2 m0 + o) (a_i^2 - 1)^k``, of modulus ``<= 1`` because ``0 <= a_i^2 <= 1``; and ``Delta^k`` amplifies an
    error bounded by ``eps`` by at most ``sum_j C(k,j) = 2^k``.  Returns ``max(bound, 0)``.
    """
    phi = np.asarray(_check_vec(phi, "phi", allow_complex=False), float)
    eps = _check_eps(eps)
    best = 0.0
    for o in (0, 1):
        g = phi[o::2]
        if g.size == 0:
            continue
        D = forward_differences(g)
        k = np.arange(D.shape[0])[:, None]
        val = np.abs(D) - (2.0 ** k) * eps
        best = max(best, float(np.nanmax(val)))
    return max(best, 0.0)


def dft_complex_ssm(phi):
    """P2 (our reconstruction): an exact complex SSM of dimension ``t`` with moderate parameters.

    ``a_k = exp(2 pi i k / t)``, ``b_k = 1``, ``c_k = DFT(phi)_k / (2t) = (1/2t) sum_tau phi(tau) e^(-2 pi i k tau/t)``,
    so that ``2 Re sum_k c_k b_k a_k^tau = Re IDFT(DFT(phi))(tau) = phi(tau)`` for ``tau < t``;
    ``|a_k| = |b_k| = 1`` and ``|c_k| <= ||phi||_1 / (2t) <= max|phi| / 2``.  Returns ``(a, b, c)`` complex128.
    """
    phi = np.asarray(_check_vec(phi, "phi", allow_complex=False), float)
    t = phi.shape[0]
    a = np.exp(2j * np.pi * np.arange(t) / t)
    b = np.ones(t, complex)
    c = np.fft.fft(phi) / (2 * t)
    return a, b, c


# ----------------------------------------------------------------------------------------------
# LP: minimum total coefficient size of a real fit
# ----------------------------------------------------------------------------------------------
def pole_grid(num: int = 801, radius: float = 1.0) -> np.ndarray:
    """``num`` equispaced real poles in ``[-radius, radius]`` (odd ``num`` includes 0)."""
    if isinstance(radius, bool) or not isinstance(radius, (int, float, np.integer, np.floating)) or not (
            np.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be positive and finite, got {radius!r}")
    return np.linspace(-radius, radius, check_int(num, "num", 2))


def vandermonde(poles, t: int) -> np.ndarray:
    """``V[tau, j] = poles[j] ** tau`` for ``tau = 0..t-1`` (float64; ``0**0 = 1``)."""
    poles = np.asarray(_check_vec(poles, "poles", allow_complex=False), float)
    t = check_int(t, "t")
    return poles[None, :] ** np.arange(t)[:, None]


def min_l1_real_fit(phi, eps: float, poles=None) -> dict:
    """Minimum ``||w||_1`` subject to ``||V w - phi||_inf <= eps`` with ``V = vandermonde(poles, t)``.

    ``w_j = b_j c_j`` is the coefficient of the real mode with pole ``a_j``, so the optimum is the smallest total
    coefficient size ``sum |b_i c_i|`` of a real SSM with poles on the grid that eps-approximates ``phi``
    (``max(|b|, |c|) >= sqrt(max |w_j|)`` follows).  Solved as an LP in ``w = p - q``, ``p, q >= 0`` with
    ``scipy.optimize.linprog(method="highs")``, float64.  Returns a dict with ``objective``, ``w``, ``residual``
    (``||V w - phi||_inf``), ``status``, ``success``, ``message`` and ``eps_solved`` (HiGHS runs with feasibility
    tolerances 1e-10; if the returned ``w`` still violates ``eps`` in float64 -- the tolerances are relative to
    ``|w|``, up to ~1e6 -- it is re-solved with ``eps`` reduced by twice the violation, at most 3 times).  Reliable for ``t <= 20`` (HiGHS reports
    numerical trouble beyond, where the optimum exceeds ~1e7).
    """
    from scipy.optimize import linprog

    phi = np.asarray(_check_vec(phi, "phi", allow_complex=False), float)
    eps = _check_eps(eps)
    if poles is None:
        poles = pole_grid()
    _check_vec(poles, "poles", allow_complex=False)
    V = vandermonde(poles, phi.shape[0])
    m = V.shape[1]
    A_ub = np.block([[V, -V], [-V, V]])
    opts = dict(primal_feasibility_tolerance=1e-10, dual_feasibility_tolerance=1e-10)
    eps_eff, attempts = float(eps), 0
    while True:
        b_ub = np.concatenate([phi + eps_eff, eps_eff - phi])
        res = linprog(np.ones(2 * m), A_ub=A_ub, b_ub=b_ub, bounds=(0, None), method="highs", options=opts)
        w = res.x[:m] - res.x[m:] if res.x is not None else np.full(m, np.nan)
        residual = float(np.abs(V @ w - phi).max())
        attempts += 1
        # HiGHS' tolerances are relative to |w| ~ 1e6: if the solution violates eps, re-solve with a slightly
        # smaller eps so the returned w is eps-feasible in exact float64 arithmetic (its objective is then an
        # upper bound on the grid optimum, larger by a relative ~1e-6)
        if not res.success or residual <= eps + 1e-10 or attempts >= 4:
            break
        eps_eff -= 2.0 * (residual - eps_eff) + 1e-10
    return dict(
        objective=float(np.abs(w).sum()),
        w=w,
        residual=residual,
        status=int(res.status),
        success=bool(res.success),
        message=str(res.message),
        eps_solved=eps_eff,
    )


# ----------------------------------------------------------------------------------------------
# dimension gap: best l_inf error of an n-mode real fit
# ----------------------------------------------------------------------------------------------
def _check_vec(x, name, allow_complex=True):
    x = as_array(x, name, 1, allow_complex=allow_complex)
    if x.shape[0] == 0:
        raise ValueError(f"{name} must be non-empty")
    return x


def _check_abc(a, b, c):
    a, b, c = (_check_vec(v, n) for v, n in ((a, "a"), (b, "b"), (c, "c")))
    for v, n in ((b, "b"), (c, "c")):
        if v.shape != a.shape:
            raise ValueError(f"{n} must have the shape of a {tuple(a.shape)}, got {tuple(v.shape)}")
    return a, b, c


def _check_eps(eps):
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
        raise ValueError(f"eps must be a number >= 0, got {eps!r}")
    eps = float(eps)
    if not (np.isfinite(eps) and eps >= 0):
        raise ValueError(f"eps must be finite and >= 0, got {eps}")
    return eps


def _minimax_lp(V, phi):
    """``min_w ||V w - phi||_inf`` by LP (HiGHS), float64; returns ``(error, w)``."""
    from scipy.optimize import linprog

    t, n = V.shape
    c = np.zeros(n + 1)
    c[-1] = 1.0
    one = np.ones((t, 1))
    A_ub = np.block([[V, -one], [-V, -one]])
    b_ub = np.concatenate([phi, -phi])
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * n + [(0, None)], method="highs")
    return float(res.x[-1]), res.x[:-1]


def best_linf_real_fit(phi, n: int, poles, iters: int = 200, refine: int = 8, max_subsets: int = 200_000) -> dict:
    """Best ``l_inf`` error of a real SSM with ``n`` modes whose poles lie on the grid ``poles``.

    For every ``n``-subset of ``poles``: a least-squares fit, then Lawson's iteratively reweighted least squares
    (``iters`` steps, batched over subsets; converges to the minimax fit); the ``refine`` best subsets are then solved
    exactly as minimax LPs.  Returns ``error`` (the smallest l_inf error found: an upper bound on the minimum over
    the grid, equal to it up to Lawson's convergence), ``poles`` and ``w`` of the best fit, and ``n_subsets``.
    Exhaustive: raises ``ValueError`` (giving the count) when ``C(len(poles), n)`` exceeds ``max_subsets``.
    """
    phi = np.asarray(_check_vec(phi, "phi", allow_complex=False), float)
    poles = np.asarray(_check_vec(poles, "poles", allow_complex=False), float)
    t = phi.shape[0]
    n = check_int(n, "n", 1)
    iters, refine = check_int(iters, "iters", 0), check_int(refine, "refine")
    max_subsets = check_int(max_subsets, "max_subsets")
    if n > len(poles):
        raise ValueError(f"n must be <= the number of poles {len(poles)}, got {n}")
    n_sub = math.comb(len(poles), n)
    if n_sub > max_subsets:
        raise ValueError(f"n={n} with {len(poles)} poles gives C({len(poles)}, {n}) = {n_sub:.3g} subsets, more than "
                         f"max_subsets={max_subsets}; use fewer poles or a smaller n")
    V = vandermonde(poles, t)
    subsets = np.array(list(itertools.combinations(range(len(poles)), n)))
    Vs = V[:, subsets].transpose(1, 0, 2)  # (S, t, n)
    S = Vs.shape[0]
    wts = np.full((S, t), 1.0 / t)
    best_err = np.full(S, np.inf)
    ridge = 1e-13
    for _ in range(iters + 1):
        Vw = Vs * wts[:, :, None]
        G = np.einsum("stn,stm->snm", Vw, Vs) + ridge * np.eye(n)
        rhs = np.einsum("stn,t->sn", Vw, phi)
        coef = np.linalg.solve(G, rhs[..., None])[..., 0]
        r = np.abs(np.einsum("stn,sn->st", Vs, coef) - phi)
        best_err = np.minimum(best_err, r.max(1))
        wts = wts * r
        wts = wts / np.maximum(wts.sum(1, keepdims=True), 1e-300)
        wts = np.where(np.isfinite(wts).all(1, keepdims=True) & (wts.sum(1, keepdims=True) > 0), wts, 1.0 / t)
    order = np.argsort(best_err)[:refine]
    out = dict(error=np.inf, poles=None, w=None, n_subsets=S)
    for s in order:
        err, w = _minimax_lp(Vs[s], phi)
        if err < out["error"]:
            out.update(error=err, poles=np.asarray(poles)[subsets[s]], w=w)
    return out


# ----------------------------------------------------------------------------------------------
# the Tables 1-2 metric
# ----------------------------------------------------------------------------------------------
def linf_normalized(phi, phi_star):
    """The papers' Tables 1-2 metric: the smallest ``eps`` with which ``phi`` eps-approximates ``phi_star`` on
    ``tau < t``, normalized so that the zero mapping scores 1: ``max_tau |phi - phi*| / max_tau |phi*|``.
    Works on the last axis (batched, traceable); concrete inputs are validated."""
    phi = as_array(phi, "phi", allow_complex=False)
    phi_star = as_array(phi_star, "phi_star", allow_complex=False)
    if phi.ndim == 0 or phi.shape[-1] != phi_star.shape[-1] or phi.shape[-1] == 0:
        raise ValueError(f"phi and phi_star must share a non-empty last axis, got {tuple(phi.shape)} and "
                         f"{tuple(phi_star.shape)}")
    if is_concrete(phi_star) and np.any(np.max(np.abs(np.asarray(phi_star)), -1) == 0):
        raise ValueError("phi_star must not be identically zero (the metric divides by max|phi_star|)")
    return jnp.max(jnp.abs(phi - phi_star), -1) / jnp.max(jnp.abs(phi_star), -1)
