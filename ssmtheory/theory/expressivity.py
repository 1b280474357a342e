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

* targets (delay spike at ``floor((t-1)/2)``, uniform random, ``Re(i^tau)``; unit l2 norm) and the training set-up
  (parameterization, initialization, Adam with cosine decay, summed squared loss) -- **the authors' code** [verified
  against the code, not against the PDF];
* :func:`forward_difference_bound` (T2), the dimension gap (T1) and :func:`dft_complex_ssm` (P2) -- **our
  reconstructions** of the paper's theorems, proved in the paper note and restated in notebook 04; the constants are
  ours, not the paper's;
* :func:`min_l1_real_fit`, :func:`best_linf_real_fit` -- numerical experiments of ours (LP / minimax over a pole grid);
* :func:`train_ssm` / :func:`linf_normalized` -- the Tables 1-2 set-up (Adam, AdamW or RAdam, cosine decay) and
  the tables' metric (normalized l_inf error, zero map = 1) [the metric from the table captions];
* the selective (Mamba) model and its tasks are in :mod:`ssmtheory.experiments.mamba` (the authors' ``simple_mamba`` block);
  :func:`copy_task` is re-exported from there.

float64: the Vandermonde matrices ``a^tau`` span many orders of magnitude and the LP optima reach ``1e6``; call
``jax.config.update("jax_enable_x64", True)`` before using the JAX parts for those studies.  The LP / minimax code
is NumPy/SciPy float64 throughout.
"""

from __future__ import annotations

import itertools
import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ssmtheory import ssm
from ssmtheory._validate import check_choice, check_int

TARGETS = ("delay", "random", "oscillation")


# ----------------------------------------------------------------------------------------------
# impulse responses
# ----------------------------------------------------------------------------------------------
def impulse_real(a, b, c, t: int):
    """Impulse response ``phi(tau) = sum_i c_i b_i a_i^tau``, ``tau = 0..t-1``, of a real diagonal SSM; shape ``(t,)``.

    ``a, b, c`` are real vectors ``(n,)`` (negative ``a_i`` allowed).  Computed by :func:`ssmtheory.ssm.kernel`.
    """
    a = jnp.asarray(a)
    if jnp.iscomplexobj(a) or jnp.iscomplexobj(jnp.asarray(b)) or jnp.iscomplexobj(jnp.asarray(c)):
        raise ValueError("a, b and c must be real for impulse_real (use impulse_complex)")
    return ssm.kernel(a, jnp.asarray(b)[:, None], jnp.asarray(c)[None, :], t)[:, 0, 0]


def impulse_complex(a, b, c, t: int):
    """Impulse response ``phi(tau) = 2 Re sum_i c_i b_i a_i^tau``, ``tau = 0..t-1``, of a complex diagonal SSM.

    The factor 2 is the authors' code convention (one state of each conjugate pair stored), i.e.
    :func:`ssmtheory.ssm.kernel` with ``conj_sym=True``.  Shape ``(t,)``.
    """
    a = jnp.asarray(a)
    cdt = jnp.result_type(a.dtype, jnp.complex64)
    a = a.astype(cdt)
    b = jnp.asarray(b).astype(cdt)
    c = jnp.asarray(c).astype(cdt)
    return ssm.kernel(a, b[:, None], c[None, :], t, conj_sym=True)[:, 0, 0]


def recurrence_impulse(a, b, c, t: int, complex_output: bool = False) -> np.ndarray:
    """Oracle: run ``h_k = a h_{k-1} + b x_k``, ``y_k = C h_k`` (or ``2 Re C h_k``) on a unit impulse, in NumPy."""
    a, b, c = (np.asarray(v) for v in (a, b, c))
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
    g = np.asarray(g, float)
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
    phi = np.asarray(phi, float)
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


def t2_margin_monte_carlo(n_draws: int, seed: int = 0, poles: str = "real") -> np.ndarray:
    """Monte Carlo check of T2: ``1 - forward_difference_bound(phi*, eps) / sum_i |b_i c_i|`` for random SSMs.

    Each draw: ``t ~ U{4..20}``, ``n ~ U{1..8}`` modes with coefficients ``w = b c`` of random sign and log-uniform
    size in ``[0.1, 1e4]``; ``phi = sum_i w_i a_i^tau`` (real) or ``2 Re sum_i w_i a_i^tau`` (complex, with
    ``sum |b c|`` counted as ``2 sum |w_i|``); a perturbed target ``phi* = phi + delta`` with
    ``eps = ||delta||_inf`` up to 10% of ``max|phi|``.  ``poles="real"``: ``a_i ~ U[-1, 1]`` (T2's class: the margin
    must be ``>= 0``, up to round-off); ``poles="complex"``: ``a_i = r e^{i theta}``, ``r ~ U[0.9, 1]``,
    ``theta ~ U[0, 2 pi)`` (outside the class: ``|a_i^2 - 1|`` reaches 2, so the bound can exceed ``sum |b c|``).
    Returns the ``n_draws`` margins.
    """
    check_choice(poles, "poles", ("real", "complex"))
    n_draws = check_int(n_draws, "n_draws")
    rng = np.random.default_rng(seed)
    out = np.empty(n_draws)
    for d in range(n_draws):
        t, n = int(rng.integers(4, 21)), int(rng.integers(1, 9))
        w = rng.choice([-1.0, 1.0], n) * 10 ** rng.uniform(-1, 4, n)
        if poles == "real":
            a = rng.uniform(-1, 1, n)
            phi, size = vandermonde(a, t) @ w, np.abs(w).sum()
        else:
            a = rng.uniform(0.9, 1.0, n) * np.exp(1j * rng.uniform(0, 2 * np.pi, n))
            phi = 2.0 * np.real((a[None, :] ** np.arange(t)[:, None]) @ w)
            size = 2.0 * np.abs(w).sum()
        delta = rng.uniform(-1, 1, t) * 10 ** rng.uniform(-6, -1) * np.abs(phi).max()
        out[d] = 1.0 - forward_difference_bound(phi + delta, np.abs(delta).max()) / size
    return out


def dft_complex_ssm(phi):
    """P2 (our reconstruction): an exact complex SSM of dimension ``t`` with moderate parameters.

    ``a_k = exp(2 pi i k / t)``, ``b_k = 1``, ``c_k = DFT(phi)_k / (2t) = (1/2t) sum_tau phi(tau) e^(-2 pi i k tau/t)``,
    so that ``2 Re sum_k c_k b_k a_k^tau = Re IDFT(DFT(phi))(tau) = phi(tau)`` for ``tau < t``;
    ``|a_k| = |b_k| = 1`` and ``|c_k| <= ||phi||_1 / (2t) <= max|phi| / 2``.  Returns ``(a, b, c)`` complex128.
    """
    phi = np.asarray(phi, float)
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
    return np.linspace(-radius, radius, check_int(num, "num", 2))


def vandermonde(poles, t: int) -> np.ndarray:
    """``V[tau, j] = poles[j] ** tau`` for ``tau = 0..t-1`` (float64; ``0**0 = 1``)."""
    poles = np.asarray(poles, float)
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

    phi = np.asarray(phi, float)
    if poles is None:
        poles = pole_grid()
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
    phi = np.asarray(phi, float)
    t = phi.shape[0]
    n = check_int(n, "n", 1)
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
# gradient descent (the authors' parameterization, closed-form impulse response)
# ----------------------------------------------------------------------------------------------
def init_ssm_params(key, n: int, kind: str, r_min: float = 0.0, r_max: float = 0.9999, scale: float = 1e-3,
                    dtype=jnp.float32):
    """The authors' initialization (``VanillaSSM``), as a dict of real arrays.

    ``|a|^2 ~ U[r_min^2, r_max^2]`` stored as ``nu = log(-log|a|)`` (so ``|a| = exp(-exp(nu))``); real: a fixed sign
    ``s = +-1`` with probability 1/2 each (not trained); complex: angle ``theta ~ U[0, 2 pi)``.  ``b, c ~ N(0, scale^2)``
    (complex: modulus ``|N(0, scale^2)|`` times a uniform phase).  Returns ``(params, sign)`` (``sign`` is None for
    complex); all arrays of ``dtype``.
    """
    check_choice(kind, "kind", ("real", "complex"))
    ks = jax.random.split(key, 6)
    u = jax.random.uniform(ks[0], (n,), dtype, minval=r_min**2, maxval=r_max**2)
    nu = jnp.log(-0.5 * jnp.log(u))
    if kind == "real":
        sign = jnp.where(jax.random.bernoulli(ks[1], 0.5, (n,)), 1.0, -1.0)
        sign = sign.astype(dtype)
        return dict(nu=nu, b=scale * jax.random.normal(ks[2], (n,), dtype),
                    c=scale * jax.random.normal(ks[3], (n,), dtype)), sign
    theta = jax.random.uniform(ks[1], (n,), dtype, maxval=2 * jnp.pi)

    def cplx(k):
        k1, k2 = jax.random.split(k)
        mag = jnp.abs(scale * jax.random.normal(k1, (n,), dtype))
        ph = jax.random.uniform(k2, (n,), dtype, maxval=2 * jnp.pi)
        return mag * jnp.cos(ph), mag * jnp.sin(ph)

    br, bi = cplx(ks[2])
    cr, ci = cplx(ks[3])
    return dict(nu=nu, theta=theta, br=br, bi=bi, cr=cr, ci=ci), None


def ssm_impulse_from_params(params, sign, t: int):
    """Closed-form impulse response ``phi(tau)``, ``tau < t``, of :func:`init_ssm_params`'s parameterization.

    real: ``sum_i c_i b_i s_i^tau exp(-tau e^nu_i)``; complex: ``2 Re sum_i c_i b_i exp(tau(-e^nu_i + i theta_i))``.
    """
    tau = jnp.arange(t, dtype=params["nu"].dtype)[:, None]
    mag = jnp.exp(-tau * jnp.exp(params["nu"])[None, :])  # (t, n)
    if "theta" not in params:
        par = jnp.where(jnp.mod(jnp.arange(t), 2)[:, None] == 1, sign[None, :], 1.0)
        return (par * mag) @ (params["b"] * params["c"])
    zr = params["cr"] * params["br"] - params["ci"] * params["bi"]
    zi = params["cr"] * params["bi"] + params["ci"] * params["br"]
    ang = tau * params["theta"][None, :]
    return 2.0 * ((mag * jnp.cos(ang)) @ zr - (mag * jnp.sin(ang)) @ zi)


OPTIMIZERS = ("adam", "adamw", "radam")


def _optimizer(name, lr, steps):
    """The authors' ``torch.optim`` choices with PyTorch defaults, under ``CosineAnnealingLR(T_max=steps)``:
    Adam, AdamW (weight decay 0.01) and RAdam."""
    sched = optax.cosine_decay_schedule(1.0, steps)

    def lr_t(i):
        return lr * sched(i)

    if name == "adam":
        return optax.adam(lr_t)
    if name == "adamw":
        return optax.adamw(lr_t, weight_decay=0.01)
    return optax.radam(lr_t)


def linf_normalized(phi, phi_star):
    """The papers' Tables 1-2 metric: the smallest ``eps`` with which ``phi`` eps-approximates ``phi_star`` on
    ``tau < t``, normalized so that the zero mapping scores 1: ``max_tau |phi - phi*| / max_tau |phi*|``."""
    return jnp.max(jnp.abs(phi - phi_star), -1) / jnp.max(jnp.abs(phi_star), -1)


@partial(jax.jit, static_argnames=("n", "kind", "steps", "record_every", "optimizer"))
def _train_batch(keys, phis, lrs, r_mins, n, kind, steps, record_every, optimizer):
    t = phis.shape[-1]

    def one(key, phi, lr, r_min):
        params, sign = init_ssm_params(key, n, kind, r_min=r_min, dtype=phi.dtype)
        sign = jnp.ones(n, phi.dtype) if sign is None else sign
        opt = _optimizer(optimizer, lr, steps)
        state = opt.init(params)

        def loss_fn(p):
            out = ssm_impulse_from_params(p, sign, t)
            return jnp.sum((out - phi) ** 2), linf_normalized(out, phi)

        def step(carry, _):
            p, s, best, best_inf = carry
            (loss, linf), g = jax.value_and_grad(loss_fn, has_aux=True)(p)
            upd, s = opt.update(g, s, p)
            p = optax.apply_updates(p, upd)
            best, best_inf = jnp.minimum(best, loss), jnp.minimum(best_inf, linf)
            return (p, s, best, best_inf), best

        inf = jnp.asarray(jnp.inf, phi.dtype)
        (p, s, best, best_inf), hist = jax.lax.scan(step, (params, state, inf, inf), None, length=steps)
        final, final_inf = loss_fn(p)
        best, best_inf = jnp.minimum(best, final), jnp.minimum(best_inf, final_inf)
        hist = hist.reshape(-1, record_every)[:, -1]
        bc = jnp.sum(jnp.abs(p["b"] * p["c"])) if kind == "real" else 2.0 * jnp.sum(
            jnp.hypot(p["br"], p["bi"]) * jnp.hypot(p["cr"], p["ci"]))
        return best, hist, best_inf, bc

    return jax.vmap(one)(keys, phis, lrs, r_mins)


def train_ssm(phis, n: int, kind: str, steps: int, lrs, seeds, r_mins=0.0, record_every: int = 10,
              optimizer: str = "adam") -> dict:
    """Fit real or complex diagonal SSMs of dimension ``n`` to target impulse responses by full-batch gradient descent.

    The authors' set-up (``train_theory.py``): :func:`init_ssm_params`, closed-form impulse response, loss
    ``sum_tau (phi(tau) - phi*(tau))^2`` (with a unit-l2 target the zero map scores 1: a *normalized* loss),
    ``optimizer`` in :data:`OPTIMIZERS` (``torch.optim`` defaults) with a cosine-decayed learning rate, running minima
    reported.  ``phis (R, t)``, ``lrs (R,)``, ``seeds (R,)`` and ``r_mins`` (scalar or ``(R,)``) describe ``R``
    independent runs, vmapped into one jitted ``lax.scan`` over ``steps`` (a multiple of ``record_every``).  Returns
    NumPy arrays ``best (R,)`` (minimum loss over the run), ``linf (R,)`` (minimum over the run of
    :func:`linf_normalized`, the Tables 1-2 metric), ``bc (R,)`` (final ``sum_i |b_i c_i|``; complex: ``2 sum |b_i||c_i|``)
    and ``history (R, steps // record_every)`` (running minimum of the loss every ``record_every`` steps).
    """
    check_choice(kind, "kind", ("real", "complex"))
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    steps = check_int(steps, "steps", 1)
    if steps % record_every:
        raise ValueError(f"steps must be a multiple of record_every={record_every}, got {steps}")
    phis = jnp.atleast_2d(jnp.asarray(phis))
    R = phis.shape[0]
    dt = phis.dtype
    lrs = jnp.broadcast_to(jnp.asarray(lrs, dt), (R,))
    r_mins = jnp.broadcast_to(jnp.asarray(r_mins, dt), (R,))
    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(np.broadcast_to(np.asarray(seeds), (R,))))
    best, hist, best_inf, bc = _train_batch(keys, phis, lrs, r_mins, n, kind, steps, record_every, optimizer)
    return dict(best=np.asarray(best), history=np.asarray(hist), linf=np.asarray(best_inf), bc=np.asarray(bc),
                steps=np.arange(record_every, steps + 1, record_every))


# ----------------------------------------------------------------------------------------------
# selective tasks live with the authors' Mamba block
# ----------------------------------------------------------------------------------------------
from ssmtheory.experiments.mamba import copy_task  # noqa: E402,F401  (re-export: the delay/copy task of the selectivity study)


# ----------------------------------------------------------------------------------------------
# the real-world experiment (E2): S4D real vs S4D complex (LegS), scaled to a bundled data set
# ----------------------------------------------------------------------------------------------
def s4d_real_vs_complex(split, seeds, *, d_model: int = 16, n_layers: int = 2, n_complex: int = 8, steps: int = 300,
                        batch_size: int = 50, lr: float = 1e-2, weight_decay: float = 0.05) -> dict:
    """The authors' real-world comparison (``configs/real_world/s4d-{real,complex}-cifar.yaml``) at CPU scale.

    Two S4D stacks (:mod:`ssmtheory.models`, trained by :func:`ssmtheory.train.fit`) that differ only in the
    initialization and realness of the state matrix, as in the authors' configs:

    * ``"real"``: ``init="real"`` (``A = diag(-1, -2, ...)``), ``complex_states=False``, ``2 * n_complex`` real states
      (the s4 code doubles ``d_state`` for ``is_real``, so the real state dimension is the same);
    * ``"complex"``: ``init="legs"`` (S4D-LegS), ``n_complex`` complex states (conjugate pairs).

    Both use the same seed for every other initial parameter and for the batch order; AdamW (lr ``lr``, weight
    decay ``weight_decay``, the configs' 0.01 / 0.05) with a cosine decay.  ``split`` is a
    :class:`ssmtheory.tasks.Split`.  Returns ``{"real": acc (S,), "complex": acc (S,), "shuffled": {...}}``: the
    test accuracies per seed, and the same trained models scored against a fixed random permutation of the test
    labels (the control: no model can beat the other on labels it cannot predict).
    """
    from ssmtheory import models, train

    seeds = [check_int(int(s), "seeds", 0) for s in np.asarray(seeds).reshape(-1)]
    if not seeds:
        raise ValueError("seeds must be a non-empty list")
    n_complex, steps = check_int(n_complex, "n_complex"), check_int(steps, "steps")
    arms = {
        "real": models.DeepSSMConfig(d_input=split.x_train.shape[-1], d_model=d_model, d_output=split.n_classes,
                                     n_layers=n_layers, d_state=2 * n_complex, block="s4d", init="real",
                                     complex_states=False),
        "complex": models.DeepSSMConfig(d_input=split.x_train.shape[-1], d_model=d_model, d_output=split.n_classes,
                                        n_layers=n_layers, d_state=n_complex, block="s4d", init="legs",
                                        complex_states=True),
    }
    y_shuf = np.random.default_rng(12345).permutation(split.y_test)
    out = {"real": [], "complex": [], "shuffled": {"real": [], "complex": []}}
    for arm, cfg in arms.items():
        loss_fn = train.make_loss(models.apply, cfg, "ce")
        pred = jax.jit(lambda p, x, cfg=cfg: jnp.argmax(models.apply(p, x, cfg), -1))
        for s in seeds:
            opt = optax.adamw(optax.cosine_decay_schedule(lr, steps), weight_decay=weight_decay)
            res = train.fit(loss_fn, models.init_params(jax.random.PRNGKey(s), cfg), (split.x_train, split.y_train),
                            optimizer=opt, steps=steps, batch_size=batch_size, seed=s)
            yhat = np.asarray(pred(res.params, split.x_test))
            out[arm].append(float(np.mean(yhat == split.y_test)))
            out["shuffled"][arm].append(float(np.mean(yhat == y_shuf)))
    return {"real": np.array(out["real"]), "complex": np.array(out["complex"]),
            "shuffled": {k: np.array(v) for k, v in out["shuffled"].items()}, "seeds": np.array(seeds)}
