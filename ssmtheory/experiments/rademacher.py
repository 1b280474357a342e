"""Monte Carlo checks of the Rácz et al. (arXiv 2405.20278) Rademacher bounds, and a stability-versus-length study.

Three pieces, all for notebook 01 (the formulas live in :mod:`ssmtheory.theory.bounds`):

* **One block, sharp** [R].  For the linear class ``F_H = {u -> sum_{k<T} h_k u_{T-1-k} : ||h||_2 <= H}``
  (a SISO block read out at time ``T``; ``||h||_2`` is its H2 norm) the supremum is Cauchy-Schwarz with
  equality at ``h = H S / ||S||``, ``S = sum_i sigma_i u^i`` (time-reversed), so the empirical
  Rademacher complexity is exactly ``R_S = (H / N) E_sigma ||sum_i sigma_i u^i||_2``.
  :func:`h2_ball_rademacher_exact` evaluates the expectation by enumerating all ``2^N`` sign vectors;
  :func:`h2_ball_rademacher_mc` estimates it from random signs.  On finite-energy inputs with
  ``||u^i||_2 = K`` the paper-form bound ``H K / sqrt(N)`` is at most ``sqrt(2)`` times ``R_S``
  (Szarek's sharp Khintchine constant ``E||sum sigma_i x_i|| >= (sum ||x_i||^2 / 2)^{1/2}``).
* **Deep class, lower bound** [R].  :func:`deep_class_ascent` maximises ``|sum_i sigma_i f(u^i)|`` over a
  two-block class (block, ``tanh``, block, readout at ``T``) by Adam from several starts; every value it
  finds is attained by a member of the class, so its mean over sign draws is a Monte Carlo *lower*
  bound of ``N R_S``.
* **Stability versus length** [R].  :func:`stability_length_study` trains SISO diagonal-SSM students whose
  eigenvalue moduli are capped at ``r_max`` (or pinned to the unit circle: the marginal control) on a
  long-memory teacher, at several ``T`` and seeds, and returns clipped-loss gaps and data-chosen bounds.

Conventions: impulse response ``h_0 = d``, ``h_k = Re(sum_j g_j lambda_j^{k-1})`` (``k >= 1``), output
``z_t = sum_{k<t} h_k u_{t-k}`` (:mod:`ssmtheory.norms`'s control convention).  Inputs ``U`` are ``(N, T)``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ssmtheory.theory import bounds as _bounds
from ssmtheory import stats as _stats
from ssmtheory import train as _train
from ssmtheory._validate import as_array, check_choice, check_int, check_positive

_ADAM = _train.OptimizerSpec("adam")

__all__ = [
    "energy_inputs",
    "per_step_inputs",
    "h2_ball_rademacher_exact",
    "h2_ball_rademacher_mc",
    "deep_class_chain_bound",
    "deep_class_ascent",
    "seed_mean_log_slope",
    "stability_length_study",
    "mc_rademacher_envelope_class",
    "one_block_study",
    "deep_mc_study",
    "stability_slopes",
]


# ----------------------------------------------------------------------------------------------
# inputs
# ----------------------------------------------------------------------------------------------
def energy_inputs(N: int, T: int, K: float = 1.0, dc: float = 1.0, seed: int = 0) -> np.ndarray:
    """``(N, T)`` finite-energy inputs, each scaled to energy exactly ``sum_t u_t^2 = K^2``.

    ``u^i = K g^i / ||g^i||_2`` with ``g^i_t = dc * m_i + e_{i,t}``, ``m_i, e_{i,t} ~ N(0, 1)`` i.i.d.: a
    random offset (weight ``dc``) plus white noise, so a filter with a pole at 1 accumulates ``~ sqrt(T)``.
    """
    N, T = check_int(N, "N"), check_int(T, "T")
    check_positive(K, "K")
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    g = dc * rng.normal(size=(N, 1)) + rng.normal(size=(N, T))
    return K * g / np.linalg.norm(g, axis=1, keepdims=True)


def per_step_inputs(N: int, T: int, K_u: float = 1.0, seed: int = 0) -> np.ndarray:
    """``(N, T)`` inputs ``u_t ~ U[-K_u, K_u]`` i.i.d.: bounded per step, energy ``~ K_u^2 T / 3`` (not finite in ``T``)."""
    N, T = check_int(N, "N"), check_int(T, "T")
    check_positive(K_u, "K_u")
    return np.random.default_rng(check_int(seed, "seed", minimum=0)).uniform(-K_u, K_u, (N, T))


# ----------------------------------------------------------------------------------------------
# one block: the H2 ball
# ----------------------------------------------------------------------------------------------
def _inputs(U):
    U = np.asarray(as_array(U, "U", ndim=2, allow_complex=False), dtype=np.float64)
    if U.shape[0] < 1 or U.shape[1] < 1:
        raise ValueError(f"U must be a non-empty (N, T) array, got shape {U.shape}")
    return U


def h2_ball_rademacher_exact(U, H: float = 1.0, max_n: int = 20) -> float:
    """Exact empirical Rademacher complexity ``(H/N) E_sigma ||sum_i sigma_i u^i||_2`` of the H2 ball [R].

    The expectation is an exact average over all ``2^N`` sign vectors (``sigma`` and ``-sigma`` give the
    same norm, so ``2^{N-1}`` are evaluated); ``N <= max_n``.  ``U (N, T)``.
    """
    U = _inputs(U)
    check_positive(H, "H")
    N = U.shape[0]
    if N > max_n:
        raise ValueError(f"U has N={N} rows; exact enumeration needs N <= max_n={max_n}")
    total, n = 0.0, 2 ** (N - 1)
    chunk = max(1, 2**20 // max(U.shape[1], 1))
    for s in range(0, n, chunk):
        idx = np.arange(s, min(n, s + chunk))
        bits = (idx[:, None] >> np.arange(N - 1)[None, :]) & 1
        sig = np.concatenate([1.0 - 2.0 * bits, np.ones((idx.size, 1))], axis=1)  # last sign fixed to +1
        total += float(np.linalg.norm(sig @ U, axis=1).sum())
    return H * total / n / N


def h2_ball_rademacher_mc(U, H: float = 1.0, n_sigma: int = 1000, seed: int = 0):
    """Monte Carlo ``(H/N) E_sigma ||sum_i sigma_i u^i||_2`` from ``n_sigma`` sign draws; returns ``(mean, s.e.)``."""
    U = _inputs(U)
    check_positive(H, "H")
    n_sigma = check_int(n_sigma, "n_sigma", minimum=2)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    N = U.shape[0]
    vals = np.empty(n_sigma)
    for s in range(0, n_sigma, 256):
        e = min(n_sigma, s + 256)
        vals[s:e] = np.linalg.norm(rng.choice([-1.0, 1.0], size=(e - s, N)) @ U, axis=1)
    vals *= H / N
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(n_sigma))


# ----------------------------------------------------------------------------------------------
# deep class: Monte Carlo lower bound by gradient ascent
# ----------------------------------------------------------------------------------------------
def deep_class_chain_bound(gamma: float, beta: float, K: float, N: int, lipschitz: float = 1.0, w_max: float = 1.0) -> float:
    """Paper-form chain bound on ``R_S`` for the class of :func:`deep_class_ascent` [R].

    Block 1 is inner (uniform envelope ``eta_k = beta gamma^{k-1}``, l1 ``E_1 = beta / (1 - gamma)``), block 2
    is read out at ``T`` without a nonlinearity after it (``H_2 = beta / sqrt(1 - gamma^2)``):
    ``R_S <= w_max * H_2 * 2 L_phi E_1 * K / sqrt(N)`` (:func:`ssmtheory.theory.bounds.paper_form_complexity`).
    ``inf`` for ``gamma >= 1``.
    """
    for v, nm in ((beta, "beta"), (K, "K"), (lipschitz, "lipschitz"), (w_max, "w_max")):
        check_positive(v, nm)
    check_int(N, "N")
    E1 = _bounds.class_envelope(gamma, beta, 0.0)
    H2 = _bounds.class_h2_envelope(gamma, beta, 0.0)
    return _bounds.paper_form_complexity(K, N, [E1], H2, lipschitz=lipschitz, w_l1=w_max, last_nonlinearity=False)


def _deep_forward(params, U, gamma, beta, phi):
    """``z2_T`` for every input row: block 1 (all times, FFT), ``phi``, block 2 read out at ``T``."""
    import jax.numpy as jnp

    T = U.shape[1]
    k = jnp.arange(T - 1, dtype=U.dtype)  # k - 1 for lags k = 1 .. T-1
    cdt = jnp.complex64 if U.dtype == jnp.float32 else jnp.complex128

    def kernel(nu, th, c):
        logr = jnp.log(gamma) + jnp.log(jnp.clip(1.0 / (1.0 + jnp.exp(-nu)), 1e-30, 1.0))
        g = beta * c / jnp.maximum(1.0, jnp.sum(jnp.abs(c)))
        pw = jnp.exp((k[:, None] * (logr + 1j * th)[None, :]).astype(cdt))
        return jnp.concatenate([jnp.zeros((1,), U.dtype), jnp.real(pw @ g.astype(cdt)).astype(U.dtype)])  # h_0 = 0

    h1 = kernel(params["nu1"], params["th1"], params["c1r"] + 1j * params["c1i"])
    h2 = kernel(params["nu2"], params["th2"], params["c2r"] + 1j * params["c2i"])
    n = 2 * T
    z1 = jnp.fft.irfft(jnp.fft.rfft(U, n) * jnp.fft.rfft(h1, n)[None, :], n)[:, :T]  # z_t = sum_k h_k u_{t-k}
    v = phi(z1)
    return v[:, ::-1] @ h2  # z2 at the last time: sum_k h2_k v_{T-1-k}


def _phi(nonlinearity):
    import jax
    import jax.numpy as jnp

    return jnp.tanh if nonlinearity == "tanh" else (lambda x: jax.nn.gelu(x, approximate=False))


@lru_cache(maxsize=None)
def _ascent_loss(beta: float, nonlinearity: str):
    """``-(|sigma_s . f(U)| / N)`` for one start (``aux``: its class ``gamma`` and sign-vector index ``s``); the data
    are ``(U (N, T), sigmas^T (N, S))``.  Cached, so the engine compiles once per ``(beta, nonlinearity)``."""
    import jax.numpy as jnp

    phi = _phi(nonlinearity)

    def loss(p, U, sigT, aux):
        return -jnp.abs(sigT[:, aux["s"]] @ _deep_forward(p, U, aux["gamma"], beta, phi)) / U.shape[0]

    return loss


def _ascent_final(loss, params, U, sigT, aux):
    """The loss of every start at ``params`` (one jitted, vmapped call; compiled once per loss)."""
    return np.asarray(_vmapped_loss(loss, params, U, sigT, aux))


def _vmapped_loss(loss, params, U, sigT, aux):
    import jax

    global _VMAPPED
    if _VMAPPED is None:
        _VMAPPED = jax.jit(lambda f, p, a, b, x: jax.vmap(f, in_axes=(0, None, None, 0))(p, a, b, x), static_argnums=0)
    return _VMAPPED(loss, params, U, sigT, aux)


_VMAPPED = None


def deep_class_ascent(U, sigmas, gammas, beta: float, n_modes: int = 4, n_starts: int = 4, steps: int = 100,
                      lr: float = 0.05, nonlinearity: str = "tanh", seed: int = 0) -> np.ndarray:
    """Best ``|sum_i sigma_i f(u^i)| / N`` found by gradient ascent over the two-block class, per sign draw [R].

    Class ``D(gamma, beta)``: ``f(u) = w z2_T``, ``|w| <= 1``, ``z2 = Sigma_2(phi(Sigma_1(u)))`` with SISO diagonal
    blocks of ``n_modes`` complex modes each, ``h_0 = 0``, ``h_k = Re(sum_j g_j lambda_j^{k-1})``,
    ``|lambda_j| = gamma * sigmoid(nu_j) <= gamma`` and ``sum_j |g_j| <= beta`` (``g = beta c / max(1, ||c||_1)``),
    so every parameter value is a member (the sup over ``w`` is ``|.|``).  Adam (``lr``, ``steps``) from
    ``n_starts`` random starts per sign vector (half of them with slow modes, ``1 - sigmoid(nu) ~ 1/T``, and
    phases below ``1/T``; the rest uniform), all classes ``gammas`` and sign vectors vmapped in one compiled program; the best value seen
    along each path is kept.  ``U (N, T)``, ``sigmas (S, N)`` of ``+-1``.  Returns ``(len(gammas), S)``:
    lower bounds of ``sup_f sum_i sigma_i f(u^i) / N``.  ``gamma = 1`` allows the unit circle (outside the
    theorem: the control).
    """
    import jax.numpy as jnp

    U0 = np.asarray(U)
    U = _inputs(U)
    if U0.dtype == np.float32:
        U = U.astype(np.float32)
    sig = np.asarray(as_array(sigmas, "sigmas", ndim=2, allow_complex=False), dtype=np.float64)
    if sig.shape[1] != U.shape[0] or not np.all(np.abs(sig) == 1):
        raise ValueError(f"sigmas must be (S, N={U.shape[0]}) with entries +-1, got shape {sig.shape}")
    gam = np.atleast_1d(np.asarray(gammas, dtype=np.float64))
    if gam.ndim != 1 or np.any(~(gam > 0)) or np.any(gam > 1):
        raise ValueError(f"gammas must lie in (0, 1], got {gammas!r}")
    check_positive(beta, "beta")
    P, R, steps = check_int(n_modes, "n_modes"), check_int(n_starts, "n_starts"), check_int(steps, "steps")
    check_choice(nonlinearity, "nonlinearity", ("tanh", "gelu"))
    check_positive(lr, "lr")
    S, N = sig.shape
    G = gam.size
    M = G * S * R
    dt = jnp.float32 if U.dtype == np.float32 else jnp.float64
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    slow = (np.arange(M) % R) < (R + 1) // 2  # half of the starts: slow, low-frequency modes

    def draw(lo, hi, lo_s, hi_s):
        return jnp.asarray(np.where(slow[:, None], rng.uniform(lo_s, hi_s, (M, P)), rng.uniform(lo, hi, (M, P))), dt)

    T = U.shape[1]
    lt = math.log(T)  # slow starts: memory ~ e T (|lambda|^T >= e^{-1/e}), period >= 2 pi T
    params = dict(nu1=draw(0.0, 5.0, lt + 1, lt + 4), th1=draw(0.0, math.pi, 0.0, 1.0 / T), c1r=draw(-1, 1, 0, 1),
                  c1i=draw(-1, 1, -0.1, 0.1), nu2=draw(0.0, 5.0, lt + 1, lt + 4), th2=draw(0.0, math.pi, 0.0, 1.0 / T),
                  c2r=draw(-1, 1, 0, 1), c2i=draw(-1, 1, -0.1, 0.1))
    aux = {"gamma": jnp.asarray(np.repeat(gam, S * R), dt), "s": jnp.asarray(np.tile(np.repeat(np.arange(S), R), G))}
    loss = _ascent_loss(float(beta), nonlinearity)
    data = (jnp.asarray(U, dt), jnp.asarray(sig.T, dt))
    # guard=False, as the loop this replaces: the guard's select changes XLA's fusion, and the ulp-level differences
    # grow along ill-conditioned paths (the marginal student of stability_length_study moved 20% with it)
    res = _train.fit_population(loss, params, data, steps=steps, opt=_ADAM, lr=lr, aux=aux, guard=False)
    last = -_ascent_final(loss, res.params, *data, aux)
    best = np.fmax(np.fmax(0.0, np.nanmax(-res.losses, axis=0, initial=-np.inf)), np.asarray(last, np.float64))
    return best.reshape(G, S, R).max(axis=2)


# ----------------------------------------------------------------------------------------------
# statistics over seeds
# ----------------------------------------------------------------------------------------------
def seed_mean_log_slope(x, y, seeds, *, alternative="two-sided", level=0.95, n_boot=2000, seed=0) -> _stats.Inference:
    """Log-log slope in ``x`` of the seed-mean of ``y``, with a bootstrap over seeds (the replication unit).

    For each distinct ``x`` the values of the drawn seeds are averaged (seeds drawn with replacement,
    whole), then :func:`ssmtheory.stats.log_slope` is fitted; resamples with a non-positive mean are
    dropped (their share is in ``test``).  Every seed must have a value at every ``x``.
    """
    x = np.asarray(as_array(x, "x", ndim=1, allow_complex=False), np.float64)
    y = np.asarray(as_array(y, "y", ndim=1, allow_complex=False), np.float64)
    sd = np.asarray(seeds)
    if not (x.shape == y.shape == sd.shape):
        raise ValueError(f"x, y and seeds must have the same length, got {x.shape}, {y.shape}, {sd.shape}")
    xs, ss = np.unique(x), np.unique(sd)
    if xs.size < 2 or ss.size < 2:
        raise ValueError("need at least 2 distinct x values and 2 seeds")
    Y = np.full((ss.size, xs.size), np.nan)
    for i, s in enumerate(ss):
        for j, v in enumerate(xs):
            m = (sd == s) & (x == v)
            if m.sum() != 1:
                raise ValueError(f"seed {s!r} needs exactly one value at x={v}, got {int(m.sum())}")
            Y[i, j] = y[m][0]
    mean = Y.mean(axis=0)
    est = _stats.log_slope(xs, mean) if np.all(mean > 0) else math.nan
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    n_boot = check_int(n_boot, "n_boot")
    boot, dropped = [], 0
    for _ in range(int(n_boot)):
        m = Y[rng.integers(0, ss.size, ss.size)].mean(axis=0)
        if np.all(m > 0):
            boot.append(_stats.log_slope(xs, m))
        else:
            dropped += 1
    if len(boot) < n_boot // 2:
        lo, hi = -math.inf, math.inf
    else:
        a = 1.0 - level
        q = {"greater": (a, None), "less": (None, 1 - a), "two-sided": (a / 2, 1 - a / 2)}[alternative]
        lo = float(np.quantile(boot, q[0])) if q[0] is not None else -math.inf
        hi = float(np.quantile(boot, q[1])) if q[1] is not None else math.inf
    return _stats.Inference(float(est), lo, hi, None, int(ss.size),
                            f"log-log slope of the seed mean, bootstrap over {ss.size} seeds ({n_boot}; {dropped} dropped)",
                            float(level), alternative)


# ----------------------------------------------------------------------------------------------
# stability versus length: SISO students on a long-memory teacher
# ----------------------------------------------------------------------------------------------
def _kernel_np(lam, g, d, T):
    k = np.arange(T - 1)
    return np.concatenate([[d], np.real((lam[None, :] ** k[:, None]) @ g)])


def _student_kernel(p, r, m, T):
    """``[d, Re(sum_j g_j lambda_j^k)]_{k < T-1}`` with ``|lambda_j| = r sigmoid(nu_j)`` (or 1 when ``m``)."""
    import jax.numpy as jnp

    k = jnp.arange(T - 1, dtype=jnp.float64)
    mod = jnp.where(m, 1.0, r / (1.0 + jnp.exp(-p["nu"])))
    pw = jnp.exp(k[:, None] * (jnp.log(mod) + 1j * p["th"])[None, :])
    return jnp.concatenate([p["d"][None], jnp.real(pw @ (p["gr"] + 1j * p["gi"]))])


def _student_predict(p, r, m, U):
    return U[:, ::-1] @ _student_kernel(p, r, m, U.shape[1]) + p["b"]


def _student_loss(p, U, y, aux):
    """Full-batch squared error of one student (``aux``: its ``r_max`` and marginal flag)."""
    import jax.numpy as jnp

    return jnp.mean((_student_predict(p, aux["r"], aux["m"], U) - y) ** 2)


def _student_clipped_loss(p, aux, U, y, c_loss):
    """``mean(min((y_hat - y)^2, c_loss))`` per student ``(R,)`` (jitted once per shape)."""
    global _CLOSS
    if _CLOSS is None:
        import jax
        import jax.numpy as jnp

        def closs(p, aux, U, y, c):
            pred = jax.vmap(_student_predict, in_axes=(0, 0, 0, None))(p, aux["r"], aux["m"], U)
            return jnp.mean(jnp.minimum((pred - y[None]) ** 2, c), axis=1)

        _CLOSS = jax.jit(closs)
    return _CLOSS(p, aux, U, y, c_loss)


_CLOSS = None


def _student_bounds(pn, j, r, T, N, grid, c_loss, delta) -> dict:
    """The data-chosen per-step bound of student ``j`` (norms rounded up on ``grid``; see
    :func:`stability_length_study`): ``bound`` (finite horizon ``T``), ``bound_inf``, ``beta, d, b, radius``."""
    mod_j = 1.0 if r >= 1 else r / (1 + np.exp(-pn["nu"][j]))
    radius = float(np.max(mod_j))
    beta = float(np.abs(pn["gr"][j] + 1j * pn["gi"][j]).sum())
    d, b = float(abs(pn["d"][j])), float(abs(pn["b"][j]))
    lv_beta, lv_d, lv_b = grid.round_up(beta), grid.round_up(d), grid.round_up(b)
    margin = grid.round_margin_down(1.0 - radius)
    gam = 1.0 - margin
    E_T = _bounds.class_envelope(gam, lv_beta, lv_d, T=T) if np.isfinite(lv_beta * lv_d) else math.inf
    E_inf = _bounds.class_envelope(gam, lv_beta, lv_d) if (margin > 0 and np.isfinite(lv_beta * lv_d)) else math.inf
    size = grid.size(1)
    Ll = _bounds.clipped_square_lipschitz(c_loss)

    def bnd(E):
        if not math.isfinite(E) or not math.isfinite(lv_b):
            return math.inf
        return _bounds.generalization_bound(_bounds.complexity_numerator(1.0, 1.0, [E], Ll, 1.0, lv_b), N, c_loss, delta / size)

    return dict(bound=bnd(E_T), bound_inf=bnd(E_inf), beta=beta, d=d, b=b, radius=radius)


def stability_length_study(Ts, r_maxes, seeds, N: int = 32, n_modes: int = 4, steps: int = 300, lr: float = 0.02,
                           noise: float = 0.5, n_test: int = 2000, c_loss: float = 1.0, delta: float = 0.05,
                           teacher_radius: float = 0.999, teacher_seed: int = 1234, grid=None) -> list[dict]:
    """Train one SISO student per ``(T, r_max, seed)`` on a long-memory teacher; return gaps and bounds [R].

    *Teacher*: ``y = h* . u_rev / s_T + noise * N(0, 1)``, ``h*`` of 3 modes of modulus ``teacher_radius``
    (angles ``0, 0.02, 0.1`` rad, fixed random gains, seed ``teacher_seed``), ``s_T`` scaling the clean output
    to unit variance at each ``T``.  *Inputs*: ``u_t ~ U[-1, 1]`` (per-step bounded, ``K_u = 1``), ``N`` to
    train and ``n_test`` fresh ones per seed.  *Student* ``r_max``: ``n_modes`` complex modes,
    ``lambda_j = r_max sigmoid(nu_j) e^{i theta_j}``, or ``|lambda_j| = 1`` when ``r_max == 1`` (the marginal
    control); ``y_hat = sum_{k<T} h_k u_{T-1-k} + b``; gains initialised with the finite-horizon
    normalisation ``(sum_{k<T} |lambda|^{2k})^{-1/2}``.  Full-batch Adam on the squared error.
    *Reported*: clipped losses ``min((y_hat - y)^2, c_loss)``, ``gap = test - train``, and the data-chosen
    per-step bound (grid union bound, :class:`ssmtheory.theory.bounds.NormGrid`): class ``S(gamma, beta, d)`` with
    the student's norms rounded, ``E = d + beta (1 - gamma^{T-1})/(1 - gamma)`` (finite horizon; at
    ``gamma = 1`` it is ``d + beta (T - 1)``, the infinite-horizon bound being ``inf``) and
    ``bound = (2 L_loss (E + |b|) + 4 c sqrt(2 ln(4 / delta')))/sqrt(N)``.
    Returns one dict per student: ``T, r_max, seed, train, test, gap, bound, bound_inf, beta, d, b, radius``.
    """
    import jax
    import jax.numpy as jnp

    Ts, r_maxes, seeds = [check_int(t, "Ts", 2) for t in Ts], [float(r) for r in r_maxes], [int(s) for s in seeds]
    if any(not (0 < r <= 1) for r in r_maxes):
        raise ValueError(f"r_maxes must lie in (0, 1], got {r_maxes}")
    N, P = check_int(N, "N", 2), check_int(n_modes, "n_modes")
    grid = _bounds.NormGrid() if grid is None else grid
    lam_t, g_t = _teacher(teacher_radius, teacher_seed)
    aux = {"r": jnp.asarray(r_maxes), "m": jnp.asarray([r >= 1.0 for r in r_maxes])}
    check_positive(lr, "lr")
    steps = check_int(steps, "steps")
    n_test = check_int(n_test, "n_test")
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    out = []
    for T in Ts:
        ht = _kernel_np(lam_t, g_t, 0.0, T)
        ht = ht / math.sqrt((ht**2).sum() / 3.0)  # unit clean-output variance for U[-1, 1] inputs
        for s in seeds:
            rng = np.random.default_rng([s, T])
            U, Ut = rng.uniform(-1, 1, (N, T)), rng.uniform(-1, 1, (n_test, T))
            y = U[:, ::-1] @ ht + noise * rng.normal(size=N)
            yt = Ut[:, ::-1] @ ht + noise * rng.normal(size=n_test)
            p0 = _student_init(rng, r_maxes, P, T)
            p = _train.fit_population(_student_loss, p0, (jnp.asarray(U), jnp.asarray(y)), steps=steps, opt=_ADAM, lr=lr,
                                      aux=aux, guard=False).params  # see deep_class_ascent
            tr = np.asarray(_student_clipped_loss(p, aux, jnp.asarray(U), jnp.asarray(y), c_loss))
            te = _test_clipped_loss(p, aux, Ut, yt, c_loss)
            pn = jax.tree_util.tree_map(np.asarray, p)
            for j, r in enumerate(r_maxes):
                out.append(dict(T=T, r_max=r, seed=s, train=float(tr[j]), test=float(te[j]), gap=float(te[j] - tr[j]),
                                **_student_bounds(pn, j, r, T, N, grid, c_loss, delta)))
    return out


def _teacher(radius, seed):
    """The teacher's 3 modes ``radius e^{i (0, 0.02, 0.1)}`` and their complex gains drawn from ``seed``."""
    trng = np.random.default_rng(seed)
    lam_t = radius * np.exp(1j * np.array([0.0, 0.02, 0.1]))
    return lam_t, trng.normal(size=3) + 1j * trng.normal(size=3)


def _student_init(rng, r_maxes, P, T):
    """Initial parameters of the ``len(r_maxes)`` students (one per cap) from ``rng``: moduli ``r_max sigmoid(nu)``
    (1 for the marginal student), random phases, gains with the finite-horizon normalisation, ``d = b = 0``."""
    import jax.numpy as jnp

    R = len(r_maxes)
    sg = rng.uniform(0.5, 0.999, (R, P))
    nu = np.log(sg / (1 - sg))
    mod = np.where(np.asarray(r_maxes)[:, None] >= 1, 1.0, np.asarray(r_maxes)[:, None] * sg)
    with np.errstate(divide="ignore", invalid="ignore"):
        energy = np.where(mod < 1, (1 - mod ** (2 * T)) / (1 - mod**2), float(T))
    scale = 1.0 / np.sqrt(P * energy)
    return dict(nu=jnp.asarray(nu), th=jnp.asarray(rng.uniform(0, math.pi, (R, P))),
                gr=jnp.asarray(rng.normal(size=(R, P)) * scale), gi=jnp.asarray(rng.normal(size=(R, P)) * scale),
                d=jnp.zeros(R), b=jnp.zeros(R))


def _test_clipped_loss(p, aux, Ut, yt, c_loss):
    """Clipped test loss per student over ``Ut (n_test, T)`` in chunks of 1000 rows (one compiled shape)."""
    import jax.numpy as jnp

    n_test = Ut.shape[0]
    return np.concatenate([np.asarray(_student_clipped_loss(p, aux, jnp.asarray(Ut[i:i + 1000]),
                                                            jnp.asarray(yt[i:i + 1000]), c_loss))[:, None]
                           * min(1000, n_test - i) for i in range(0, n_test, 1000)], axis=1).sum(1) / n_test


# ----------------------------------------------------------------------------------------------
# Monte Carlo Rademacher complexity of the one-block envelope class
# ----------------------------------------------------------------------------------------------
def mc_rademacher_envelope_class(U, eta, w_bound: float = 1.0, n_sigma: int = 2000, seed: int = 0, readout: str = "last"):
    """Monte Carlo empirical Rademacher complexity of the single-block linear class (closed-form sup) [R].

    Class: ``f(u) = w z_T`` (``readout="last"``) with ``z_t = sum_{k<t} h_k u_{t-k}`` (SISO, control
    convention ``h_0`` = feedthrough), ``|h_k| <= eta_k`` and ``|w| <= w_bound``; it contains every
    SISO SSM with that envelope (its bound: :func:`ssmtheory.theory.bounds.envelope_class_complexity_bound`).  For fixed ``sigma`` the sup is attained at
    ``h_k = eta_k sign(S_k)``, ``S_k = sum_i sigma_i u^i_{T-1-k}``, so
    ``R_S = (w_bound / N) E_sigma sum_k eta_k |S_k|`` exactly; the expectation is estimated with
    ``n_sigma`` Rademacher draws.  ``U (N, T)``.  Returns ``(mean, standard error)``.
    """
    as_array(U, "U", ndim=2, allow_complex=False)
    _bounds._nums(eta, "eta")
    _bounds._num(w_bound, "w_bound", positive=True)
    check_int(n_sigma, "n_sigma", minimum=2)
    check_int(seed, "seed", minimum=0)
    check_choice(readout, "readout", ("last",))
    U = np.asarray(U, dtype=float)
    N, T = U.shape
    eta = np.asarray(eta, float)[:T]
    rng = np.random.default_rng(seed)
    Ur = U[:, ::-1][:, : eta.size]  # column k = u_{T-1-k}
    vals = np.empty(n_sigma)
    for s in range(0, n_sigma, 256):
        e = min(n_sigma, s + 256)
        sig = rng.choice([-1.0, 1.0], size=(e - s, N))
        vals[s:e] = np.abs(sig @ Ur) @ eta
    vals *= w_bound / N
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(n_sigma))



# ----------------------------------------------------------------------------------------------
# notebook 01's studies
# ----------------------------------------------------------------------------------------------
def _int_list(xs, name, minimum=1):
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__len__") or len(xs) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of integers, got {xs!r}")
    return [check_int(x, name, minimum) for x in xs]


def one_block_study(Ts, N: int, K: float = 1.0, K_u: float = 1.0, n_sigma: int = 1000, seed: int = 0) -> dict:
    """One SISO block, H2 ball ``H = 1``, at every ``T``: the exact empirical Rademacher complexity on finite-energy
    inputs (:func:`energy_inputs`, energy ``K^2``, seed ``seed + T``), its Monte Carlo estimate (``n_sigma`` sign draws,
    seed ``seed + 1``) and the exact value on per-step inputs ``U[-K_u, K_u]`` (the control).

    Returns ``T, exact, mc, se, per_step`` as arrays over ``Ts``.
    """
    Ts, N = _int_list(Ts, "Ts"), check_int(N, "N")
    check_positive(K, "K")
    check_positive(K_u, "K_u")
    seed = check_int(seed, "seed", minimum=0)
    rows = []
    for T in Ts:
        U = energy_inputs(N, T, K=K, seed=seed + T)
        Up = per_step_inputs(N, T, K_u=K_u, seed=seed + T)
        mc, se = h2_ball_rademacher_mc(U, n_sigma=n_sigma, seed=seed + 1)
        rows.append((T, h2_ball_rademacher_exact(U), mc, se, h2_ball_rademacher_exact(Up)))
    return {k: np.array(v) for k, v in zip(("T", "exact", "mc", "se", "per_step"), zip(*rows))}


def deep_mc_study(Ns, Ts, gamma: float, beta: float, K: float = 1.0, n_sigma: int = 2, n_starts: int = 2, steps: int = 60,
                  seed: int = 0) -> list[dict]:
    """Monte Carlo lower bound of the deep class (:func:`deep_class_ascent`) at every ``(N, T)``, for the class with
    radius ``gamma`` and (control) radius 1, next to the chain bound :func:`deep_class_chain_bound`.

    Inputs :func:`energy_inputs` (energy ``K^2``, seed ``seed + 7 T + N``, float32), ``n_sigma`` sign vectors from
    ``default_rng([seed, N, T])``.  Returns one dict per ``(N, T)``: ``N, T, chain, stable, radius1`` (mean over signs).
    """
    Ns, Ts = _int_list(Ns, "Ns"), _int_list(Ts, "Ts")
    n_sigma = check_int(n_sigma, "n_sigma")
    seed = check_int(seed, "seed", minimum=0)
    rows = []
    for N in Ns:
        chain = deep_class_chain_bound(gamma, beta, K, N)
        for T in Ts:
            U = energy_inputs(N, T, K=K, seed=seed + 7 * T + N).astype(np.float32)
            sig = np.random.default_rng([seed, N, T]).choice([-1.0, 1.0], size=(n_sigma, N))
            v = deep_class_ascent(U, sig, (gamma, 1.0), beta, n_starts=n_starts, steps=steps, seed=seed + T)
            rows.append(dict(N=N, T=T, chain=chain, stable=float(v[0].mean()), radius1=float(v[1].mean())))
    return rows


def stability_slopes(study: list[dict], r_maxes, N: int, seed: int = 0) -> tuple[dict, dict, dict]:
    """Columns and slopes of :func:`stability_length_study`'s output.

    Returns ``(col, slope, band)``: ``col`` the study as arrays per key; ``slope[r]`` the :func:`seed_mean_log_slope`
    inferences ``gap`` (two-sided, of ``gap sqrt(N)``), ``rise`` (one-sided "greater", same statistic) and ``bound``;
    ``band[r] = max(|lo|, |hi|)`` of the two-sided gap slope's CI.
    """
    if not isinstance(study, (list, tuple)) or not study:
        raise ValueError("study must be the non-empty list returned by stability_length_study")
    N = check_int(N, "N")
    seed = check_int(seed, "seed", minimum=0)
    col = {k: np.array([r_[k] for r_ in study]) for k in ("T", "r_max", "seed", "train", "test", "gap", "bound", "bound_inf")}
    slope = {}
    for r in r_maxes:
        m = col["r_max"] == r
        if not m.any():
            raise ValueError(f"r_maxes: {r} is not in the study")
        g = col["gap"][m] * math.sqrt(N)
        slope[r] = dict(gap=seed_mean_log_slope(col["T"][m], g, col["seed"][m], seed=seed),
                        rise=seed_mean_log_slope(col["T"][m], g, col["seed"][m], alternative="greater", seed=seed),
                        bound=seed_mean_log_slope(col["T"][m], col["bound"][m], col["seed"][m], seed=seed))
    band = {r: max(abs(slope[r]["gap"].lo), abs(slope[r]["gap"].hi)) for r in r_maxes}
    return col, slope, band
