"""The uniform generalization gap ``sup_{theta in Theta} |R(theta) - R_n(theta)|`` of a class of linear SSMs,
computed **exactly** for a class fixed before the data, and Liu & Li's ``psi(Theta)`` for the same class
(Liu & Li 2024, arXiv 2405.02670; notebook 02, section 1).

Setting (the theorem's, as restated by Honarpisheh et al., arXiv 2502.01473, Remark 4.1 [S]): a continuous-time
SISO SSM ``rho_theta(s) = C e^{A s} B`` read out at the horizon ``T = L Delta``, squared loss, Gaussian-process
inputs with Hölder mean and covariance.  Discretized with zero-order hold at step ``Delta`` (``ssm.discretize``),
the read-out is linear in the input, ``y_theta(T) = w_theta . x`` with ``w_theta[t] = k_{L-1-t}``.

The class ``Theta`` [R, our choice, fixed before any data]:
``Theta = { (A, B, C) : A in {A_1, .., A_G}, B = 1, ||C||_2 <= r }`` — a finite grid of stable diagonal
``A`` (a discretized parameter box) times a ball of output vectors.  For each ``A_g`` the read-out is linear
in ``c = (Re C, Im C)``: ``w = G_g c`` (:func:`readout_basis`).

With ``z = (x, y)``, ``v = (G_g c, -1)`` and the second-moment matrices ``M = E[z z^T]``,
``M_n = (1/n) sum_i z_i z_i^T``::

    R(theta) - R_n(theta) = v^T (M - M_n) v
                          = c^T H c + 2 g^T c + h,   H = G^T D_xx G,  g = -G^T D_xy,  h = D_yy,  D = M - M_n

so ``sup_{||c|| <= r} |R - R_n|`` is the larger of two **trust-region subproblems** (max of ``+-`` a quadratic
over a ball), solved exactly by an eigendecomposition and a monotone secular equation
(:func:`trust_region_max`, hard case included).  The sup over the grid is the max over ``g``.

``psi(Theta) = sup_Theta sum_j |k_j| sigma_{L-1-j} + sup_Theta |sum_j k_j mu_{L-1-j}|`` ([S] first term,
[R] second; ``measure.tau_parts``): the mean term is exactly ``r ||G^T mu||_2``; the first term is
``r max_{||c|| = 1} ||diag(sigma) G c||_1``, a convex maximization that we compute by alternating ascent with
restarts (:func:`psi_ball`) — a lower estimate, exact to the ascent's convergence (a test checks it against
exhaustive search in low dimension).

The norm-based proxy [R] ignores ``mu`` and ``K`` except for the input's total energy (Cauchy-Schwarz,
``|y| <= ||k||_2 ||x||_2``): ``phi(Theta) = sup_Theta ||k||_2 sqrt(sum_t E x_t^2) = r max_g ||G_g||_2 sqrt(E||x||^2)``.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from ssmtheory import ssm as _ssm
from ssmtheory._validate import as_array, check_int, check_positive, check_scalar, check_size, check_stable_continuous

__all__ = [
    "readout_basis",
    "trust_region_max",
    "sup_abs_quadratic",
    "gap_from_data",
    "uniform_gaps",
    "psi_ball",
    "norm_proxy",
    "s4d_class",
]


def readout_basis(Lambda, dt: float, L: int) -> np.ndarray:
    """``G (L, 2N)`` with ``w = G c`` the time-ordered read-out weights (``y_T = w . x``) of the SISO S4D system
    with stored eigenvalues ``Lambda (N,)`` (one per conjugate pair, ``conj_sym``), ``B = 1``, ZOH step ``dt`` and
    ``C = c[:N] + i c[N:]``: ``k_j = 2 Re(C Lambda_bar^j B_bar)``, ``w[t] = k_{L-1-t}`` (float64, NumPy)."""
    Lambda = np.asarray(as_array(Lambda, "Lambda", ndim=1), np.complex128)
    check_stable_continuous(Lambda, "Lambda")
    check_positive(dt, "dt")
    L = check_int(L, "L")
    check_size(16 * L * max(1, np.size(Lambda)), "L", "(L, 2N) read-out basis")
    lb, bb = _ssm.discretize(Lambda, np.ones_like(Lambda), float(dt))
    lb, bb = np.asarray(lb, np.complex128), np.asarray(bb, np.complex128)
    V = lb[None, :] ** np.arange(L)[:, None] * bb[None, :]  # (L, N): lag j
    F = np.concatenate([2 * V.real, -2 * V.imag], axis=1)  # k = F c
    return F[::-1].copy()


def _trs_eig(ev, U, g, h, r):
    """Trust-region maximum in the eigenbasis of ``H`` (``ev`` ascending, ``U`` eigenvectors)."""
    gam = np.einsum("...ij,...i->...j", U, g)
    top = ev[..., -1]
    scale = np.maximum(np.abs(ev).max(-1), 1e-300)
    gn = np.linalg.norm(g, axis=-1)

    def norm2(nu):
        return np.sum(gam**2 / (nu[..., None] - ev) ** 2, axis=-1)

    # interior solution: H negative definite and the unconstrained maximizer inside the ball
    nu_lo = np.maximum(top, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        interior = (top < 0) & (norm2(np.zeros_like(top)) <= r * r)
    # boundary: bisection on nu in (nu_lo, nu_lo + ||g|| / r] (norm2 is decreasing in nu)
    lo = nu_lo + 1e-14 * scale
    hi = nu_lo + gn / r + 1e-14 * scale
    hard = (~interior) & (norm2(lo) < r * r)
    for _ in range(120):
        mid = 0.5 * (lo + hi)
        big = norm2(mid) > r * r
        lo = np.where(big, mid, lo)
        hi = np.where(big, hi, mid)
    nu = np.where(interior, 0.0, 0.5 * (lo + hi))
    den = nu[..., None] - ev
    coef = np.where(np.abs(den) > 0, gam / np.where(den == 0, 1.0, den), 0.0)
    if np.any(hard):
        # hard case: nu = top; the components along the top eigenvalue take the remaining norm
        den_h = top[..., None] - ev
        is_top = np.abs(den_h) <= 1e-12 * scale[..., None]
        c_h = np.where(is_top, 0.0, gam / np.where(is_top, 1.0, den_h))
        rem = np.sqrt(np.maximum(r * r - np.sum(c_h**2, -1), 0.0))
        first_top = is_top & (np.cumsum(is_top, -1) == 1)
        c_h = c_h + first_top * rem[..., None]
        coef = np.where(hard[..., None], c_h, coef)
    val = np.sum(ev * coef**2 + 2 * gam * coef, axis=-1) + h
    return val, np.einsum("...ij,...j->...i", U, coef)


def _check_trs(H, g, h, r):
    H = np.asarray(as_array(H, "H", allow_complex=False), np.float64)
    g = np.asarray(as_array(g, "g", allow_complex=False), np.float64)
    h = np.asarray(as_array(h, "h", allow_complex=False), np.float64)
    if H.ndim < 2 or H.shape[-1] != H.shape[-2] or g.shape != H.shape[:-1] or h.shape != H.shape[:-2]:
        raise ValueError(f"need H (..., d, d), g (..., d), h (...); got {H.shape}, {g.shape}, {h.shape}")
    for a, nm in ((H, "H"), (g, "g"), (h, "h")):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{nm} contains NaN or inf")
    check_positive(r, "r")
    return 0.5 * (H + np.swapaxes(H, -1, -2)), g, h, float(r)


def trust_region_max(H, g, h, r):
    """``max_{||c||_2 <= r} c^T H c + 2 g^T c + h`` exactly, batched: ``H (..., d, d)`` symmetric, ``g (..., d)``,
    ``h (...)``, ``r`` a positive scalar.  Returns ``(value (...), c (..., d))``.

    KKT: ``c = (nu I - H)^{-1} g`` with ``nu >= max(lambda_max(H), 0)``; ``nu = 0`` (interior) when ``H`` is
    negative definite and ``||H^{-1} g|| <= r``, otherwise ``||c(nu)|| = r`` (secular equation, solved by
    bisection in the eigenbasis); in the hard case (``g`` orthogonal to the top eigenvector) the remaining
    norm goes along that eigenvector.
    """
    H, g, h, r = _check_trs(H, g, h, r)
    with threadpool_limits(1):
        ev, U = np.linalg.eigh(H)
    return _trs_eig(ev, U, g, h, r)


def sup_abs_quadratic(H, g, h, r):
    """``max_{||c|| <= r} |c^T H c + 2 g^T c + h|`` (two trust-region subproblems sharing one
    eigendecomposition), batched as :func:`trust_region_max`."""
    H, g, h, r = _check_trs(H, g, h, r)
    with threadpool_limits(1):
        ev, U = np.linalg.eigh(H)
    up, _ = _trs_eig(ev, U, g, h, r)
    dn, _ = _trs_eig(-ev[..., ::-1], U[..., ::-1], -g, -h, r)
    return np.maximum(up, dn)


def _quadratics(X, y, bases, pops, label_std, ns):
    """``(H, g, h)`` of ``R - R_n = c^T H c + 2 g^T c + h`` for every basis and prefix size: ``(G, len(ns), d, d)``..."""
    Hs, gs, hs = [], [], []
    for G, P in zip(bases, pops):
        Z = X @ np.asarray(G)  # (n, d)
        Hs.append([P - Z[:n].T @ Z[:n] / n for n in ns])
        gs.append([Z[:n].T @ y[:n] / n for n in ns])  # g = -G^T D_xy = G^T mean(x y), since E[x y] = 0
        hs.append([label_std**2 - np.mean(y[:n] ** 2) for n in ns])  # D_yy
    return np.array(Hs), np.array(gs), np.array(hs)


def gap_from_data(X, y, bases, pops, r: float, label_std: float, ns=None):
    """``sup_{theta in Theta} |R(theta) - R_n(theta)|`` on one data set ``X (n, L)``, ``y (n,)`` (labels independent of
    ``x`` with ``E y = 0``, ``E y^2 = label_std^2``), for the first ``m`` examples for each ``m`` in ``ns`` (default: all).
    ``pops[g] = G_g^T E[x x^T] G_g``.  Exact (trust-region subproblems).  Returns ``(len(ns),)``."""
    X = np.asarray(as_array(X, "X", ndim=2, allow_complex=False), np.float64)
    y = np.asarray(as_array(y, "y", ndim=1, allow_complex=False), np.float64)
    if y.size != X.shape[0]:
        raise ValueError(f"y must hold one label per row of X ({X.shape[0]}), got {y.size}")
    check_positive(r, "r")
    label_std = check_scalar(label_std, "label_std", positive=True)
    ns = [X.shape[0]] if ns is None else [check_int(n, "ns") for n in ns]
    if not ns or max(ns) > X.shape[0]:
        raise ValueError(f"ns must be non-empty sizes <= len(X) = {X.shape[0]}, got {ns}")
    bases, pops = _check_bases(bases, X.shape[1]), list(pops)
    if len(pops) != len(bases):
        raise ValueError(f"pops must hold one (d, d) matrix per basis ({len(bases)}), got {len(pops)}")
    H, g, h = _quadratics(X, y, bases, pops, label_std, ns)
    return sup_abs_quadratic(H, g, h, r).max(axis=0)


def _check_bases(bases, L):
    """A non-empty list of finite real ``(L, d)`` read-out bases."""
    Gs = [np.asarray(as_array(G, "bases", ndim=2, allow_complex=False), np.float64) for G in bases]
    if not Gs:
        raise ValueError("bases must hold at least one (L, d) basis")
    for G in Gs:
        if G.shape[0] != L:
            raise ValueError(f"bases: every basis must be (L={L}, d), got {G.shape}")
    return Gs


def uniform_gaps(process, bases, r: float, ns, reps: int, L: int, label_std: float = 1.0, seed=0,
                 erm: bool = False):
    """Exact uniform gaps ``sup_{theta in Theta} |R(theta) - R_n(theta)|`` for ``reps`` independent training
    sets, at each sample size in ``ns`` (nested: the first ``n`` examples of one draw of ``max(ns)``).

    ``bases``: list of ``G_g (L, d)`` (:func:`readout_basis`), one per ``A`` in the grid; ``Theta`` is their
    union with ``||c|| <= r``.  Labels ``y = label_std * s`` with Rademacher ``s`` independent of ``x``
    (bounded labels; population risk ``R(theta) = E[(w . x)^2] + label_std^2`` exactly, from the process's
    closed-form ``E[x x^T]``).  Returns ``(reps, len(ns))`` float64.

    ``erm=True`` also returns the gap ``R - R_n`` of the least-squares fit over the **unbounded** span of the
    first basis (minimum-norm solution): a model chosen by the data outside any fixed ball, the out-of-class
    control for the rate.  Returns ``(uniform, erm_gaps)`` then.
    """
    ns = [check_int(int(n), "ns") for n in ns]
    reps = check_int(reps, "reps")
    L = check_int(L, "L")
    check_positive(r, "r")
    check_positive(label_std, "label_std")
    rng = np.random.default_rng(seed) if isinstance(seed, np.random.Generator) else np.random.default_rng(
        check_int(seed, "seed", minimum=0))
    check_size(8 * reps * len(ns), "reps", "(reps, len(ns)) result")
    check_size(8 * max(ns) * L, "ns", "(max(ns), L) sample")
    Gs = _check_bases(bases, L)
    M = process.second_moment(L)
    pop = [G.T @ M @ G for G in Gs]
    nmax = max(ns)
    out_erm = np.zeros((reps, len(ns)))
    quads = []
    with threadpool_limits(1):
        for i in range(reps):
            X = process.sample(rng, nmax, L)
            y = label_std * rng.choice([-1.0, 1.0], size=nmax)
            quads.append(_quadratics(X, y, Gs, pop, label_std, ns))
            if erm:
                Z = X @ Gs[0]
                for j, n in enumerate(ns):
                    c = np.linalg.lstsq(Z[:n], y[:n], rcond=None)[0]
                    out_erm[i, j] = c @ pop[0] @ c + label_std**2 - np.mean((Z[:n] @ c - y[:n]) ** 2)
    H, g, h = (np.stack([q[k] for q in quads]) for k in range(3))  # (reps, G, len(ns), ...)
    out = sup_abs_quadratic(H, g, h, r).max(axis=1)
    return (out, out_erm) if erm else out


def _l1_ball_max(A, restarts: int, rng, iters: int = 200):
    """``max_{||c|| = 1} ||A c||_1`` by alternating ascent (``s = sign(A c)``, ``c = A^T s / ||A^T s||``)."""
    d = A.shape[1]
    starts = [np.linalg.svd(A, full_matrices=False)[2][0]] + [rng.standard_normal(d) for _ in range(restarts)]
    best = 0.0
    for c in starts:
        c = c / np.linalg.norm(c)
        prev = -1.0
        for _ in range(iters):
            s = np.sign(A @ c)
            s[s == 0] = 1.0
            v = A.T @ s
            c = v / np.linalg.norm(v)
            val = float(np.abs(A @ c).sum())
            if val <= prev * (1 + 1e-13):
                break
            prev = val
        best = max(best, float(np.abs(A @ c).sum()))
    return best


def psi_ball(bases, mu, sigma, r: float, restarts: int = 8, seed: int = 0):
    """``(a_sup, m_sup)`` with ``psi(Theta) = a_sup + m_sup`` over ``Theta = union_g {G_g c : ||c|| <= r}``:
    ``a_sup = r max_g max_{||c||=1} sum_t |(G_g c)_t| sigma_t`` (alternating ascent, ``restarts`` random starts
    plus the top singular vector: a lower estimate) and ``m_sup = r max_g ||G_g^T mu||_2`` (exact).
    ``mu, sigma (L,)`` are the per-time input mean and standard deviation in time order."""
    check_positive(r, "r")
    mu = np.asarray(as_array(mu, "mu", ndim=1, allow_complex=False), np.float64)
    sigma = np.asarray(as_array(sigma, "sigma", ndim=1, allow_complex=False), np.float64)
    if np.any(sigma < 0):
        raise ValueError("sigma must be non-negative")
    restarts = check_int(restarts, "restarts", minimum=0)
    if sigma.size != mu.size:
        raise ValueError(f"sigma must have the length of mu ({mu.size}), got {sigma.size}")
    rows = {np.shape(G)[0] for G in bases}
    if rows != {mu.size}:
        raise ValueError(f"mu and sigma must have one entry per basis row (L = {sorted(rows)}), got {mu.size}")
    bases = _check_bases(bases, mu.size)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    a = max(_l1_ball_max(sigma[:, None] * np.asarray(G), restarts, rng) for G in bases)
    m = max(float(np.linalg.norm(np.asarray(G).T @ mu)) for G in bases)
    return r * a, r * m


def norm_proxy(bases, energy: float, r: float) -> float:
    """``r max_g ||G_g||_2 sqrt(energy)`` with ``energy = sum_t E[x_t^2]``: the Cauchy-Schwarz (norm-based)
    scale of the read-out, blind to where in time the input's mean and variance sit."""
    check_positive(r, "r")
    check_positive(energy, "energy")
    return float(r * max(np.linalg.norm(np.asarray(G), 2) for G in bases) * np.sqrt(energy))


def s4d_class(N: int, T: float, L: int, alphas=(0.5, 1.0, 2.0)) -> list:
    """The bases of ``Theta``: S4D-Lin eigenvalues ``-alpha/2 + i pi n`` (``n < N``) for each ``alpha`` in the grid
    (a discretized box of decay rates), ``B = 1``, ZOH at ``Delta = T / L`` — the same continuous-time class at
    every resolution ``L``."""
    from ssmtheory import init as _init

    N, L = check_int(N, "N"), check_int(L, "L")
    check_size(16 * N * L * max(1, len(alphas)), "N", "N x L read-out bases") if N > L else check_size(
        16 * N * L * max(1, len(alphas)), "L", "N x L read-out bases")
    lin = np.asarray(_init.s4d_lin(N))
    check_positive(T, "T")
    return [readout_basis(a * lin.real + 1j * lin.imag, T / check_int(L, "L"), L) for a in alphas]
