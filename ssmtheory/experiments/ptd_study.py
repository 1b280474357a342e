"""Notebook 05's drivers (PTD, Yu et al. ICLR 2024; source notes ``docs/papers/ptd-2023.md``): one function per section
of the notebook, each returning the numbers its figure and claims use, plus the authors' released perturbations
(read, never downloaded) and the Ginibre Monte Carlo of Theorems 4-5.

The formulas (transfer functions, Theorem 3's statistic, the resolvent vectors) live in :mod:`ssmtheory.theory.ptd`;
the optimizer of ``E`` in :mod:`ssmtheory.experiments.ptd_search`; the frozen-spectrum model in
:mod:`ssmtheory.experiments.frozen_s4`; the change of basis in :func:`ssmtheory.ssm.diagonalize`.  Random draws come
from the ``seed`` arguments only; calls in the notebook's order reproduce its numbers.
"""

from __future__ import annotations

import math

import numpy as np

from ssmtheory import init as _init
from ssmtheory import pseudospectra as _ps
from ssmtheory import ssm as _ssm
from ssmtheory import stats as _stats
from ssmtheory._validate import as_array, check_int, check_scalar, check_square
from ssmtheory.theory import ptd as _ptd

__all__ = [
    "RELEASED_ENV", "RELEASED_MIRROR", "RELEASED_FILES", "released_source", "load_released", "perturbation_structure",
    "ginibre_kappa", "conditioning_study", "midpoint_sigma", "select_point", "s4d_convergence", "ptd_e1_control",
    "tradeoff_study", "thm3_study", "backward_stability", "ginibre_study", "resolvent_study", "robustness_study",
]


def _sizes(xs, name, minimum=1, need=()):
    """A non-empty list of ints >= ``minimum`` containing every size in ``need``."""
    if isinstance(xs, (int, np.integer)) or not hasattr(xs, "__len__") or len(xs) == 0:
        raise ValueError(f"{name} must be a non-empty list of sizes, got {xs!r}")
    out = [check_int(x, name, minimum=minimum) for x in xs]
    missing = [n for n in need if n not in out]
    if missing:
        raise ValueError(f"{name} must contain {missing}, got {out}")
    return out


def _positive_list(xs, name):
    a = np.atleast_1d(np.asarray(as_array(xs, name, ndim=(0, 1), allow_complex=False), float))
    if a.size == 0 or np.any(a <= 0):
        raise ValueError(f"{name} must be a non-empty list of positive numbers, got {xs!r}")
    return a


# ---------------------------------------------------------------------------------------------------
# the authors' released perturbations (read, never downloaded, never vendored: the repository has no license)
# ---------------------------------------------------------------------------------------------------
RELEASED_ENV = "SSMTHEORY_PTD_RELEASED"
RELEASED_MIRROR = "/work/.mirror/AnnanYu+Approximate_Diagonal/repo"
RELEASED_FILES = {"ptbHiPPO8": "S5-PTD/ptbHiPPO8.mat", "ptbHiPPO16": "S5-PTD/ptbHiPPO16.mat",
                  "ptbHiPPO16_v2": "S5-PTD/ptbHiPPO16_v2.mat", "ptbHiPPO32": "S4-PTD/ptbHiPPO32.mat",
                  "ptbHiPPO128_v2": "S5-PTD/ptbHiPPO128_v2.mat"}


def released_source():
    """Where the authors' ``.mat`` files are read from, or ``None``: ``$SSMTHEORY_PTD_RELEASED`` (a directory holding
    the files, flat or in the repository layout, or a git directory of AnnanYu/Approximate_Diagonal), else the local
    mirror :data:`RELEASED_MIRROR` if present.  Nothing is downloaded."""
    import os

    for cand in (os.environ.get(RELEASED_ENV), RELEASED_MIRROR):
        if cand and os.path.exists(cand):
            return cand
    return None


def load_released(name: str, source: str | None = None):
    """One released perturbation as a dict ``N, Lam, V, Vinv, E, A`` (``E = V diag(Lam) V^{-1} - A_H``, real part;
    ``imag_residual`` = the largest imaginary part dropped).  Raises ``FileNotFoundError`` when absent.

    ``ptbHiPPO{N}.mat`` (AnnanYu/Approximate_Diagonal, HEAD ec98d6a) holds ``Lam`` (eigenvalues of ``A_H + E``, as a
    diagonal matrix or a column), ``V`` and ``Vinv``.
    """
    import io
    import os
    import subprocess

    import scipy.io

    if name not in RELEASED_FILES:
        raise ValueError(f"name must be one of {sorted(RELEASED_FILES)}, got {name!r}")
    src = source or released_source()
    if src is None:
        raise FileNotFoundError(f"no released perturbations: set ${RELEASED_ENV} or provide {RELEASED_MIRROR}")
    rel = RELEASED_FILES[name]
    raw = None
    for p in (os.path.join(src, rel), os.path.join(src, os.path.basename(rel))):
        if os.path.isfile(p):
            with open(p, "rb") as f:
                raw = f.read()
            break
    if raw is None and (os.path.isfile(os.path.join(src, "HEAD")) or os.path.isdir(os.path.join(src, ".git"))):
        r = subprocess.run(["git", f"--git-dir={src if os.path.isfile(os.path.join(src, 'HEAD')) else os.path.join(src, '.git')}",
                            "show", f"HEAD:{rel}"], capture_output=True, check=False)
        if r.returncode == 0:
            raw = r.stdout
    if raw is None:
        raise FileNotFoundError(f"{rel} not found under {src}")
    d = scipy.io.loadmat(io.BytesIO(raw))
    lam = np.asarray(d["Lam"])
    lam = np.diag(lam) if lam.ndim == 2 and lam.shape[0] == lam.shape[1] and lam.shape[0] > 1 else lam.reshape(-1)
    V, Vinv = np.asarray(d["V"]), np.asarray(d["Vinv"])
    N = lam.size
    A, _ = _init.hippo_legs(N)
    M = (V * lam[None, :]) @ Vinv
    return dict(name=name, N=N, Lam=lam, V=V, Vinv=Vinv, A=A, E=M.real - A, imag_residual=float(np.abs(M.imag).max()))


def perturbation_structure(A, E) -> dict:
    """Summary of a perturbation ``E`` of ``A``: ``eps = ||E||_2``, ``eps_rel``, ``kappa`` (unit-column ``kappa_2``
    of the eigenvectors of ``A + E``), ``max_re``, and where ``E`` sits: Frobenius share of the first row, the last
    column, the strict upper and strict lower triangles and the diagonal (shares of ``||E||_F^2``)."""
    A = check_square(A, "A", allow_complex=False)
    E = check_square(E, "E")
    if E.shape != A.shape:
        raise ValueError(f"E must have the shape of A {A.shape}, got {E.shape}")
    A, E = np.asarray(A, float), np.asarray(E)
    f2 = float(np.linalg.norm(E) ** 2)
    lam = np.linalg.eigvals(A + E)
    eps = float(np.linalg.norm(E, 2))
    return dict(eps=eps, eps_rel=eps / float(np.linalg.norm(A, 2)), kappa=_ps.eigvec_condition(A + E), max_re=float(lam.real.max()),
                first_row=float(np.linalg.norm(E[0]) ** 2 / f2), last_col=float(np.linalg.norm(E[:, -1]) ** 2 / f2),
                upper=float(np.linalg.norm(np.triu(E, 1)) ** 2 / f2), lower=float(np.linalg.norm(np.tril(E, -1)) ** 2 / f2),
                diag=float(np.linalg.norm(np.diag(E)) ** 2 / f2))




def ginibre_kappa(A, deltas, n_draws: int = 20, seed: int = 0):
    """``kappa_2(V)`` (unit columns) of ``A + E`` for complex Ginibre ``E`` scaled to ``||E||_2 = delta ||A||_2``:
    array ``(len(deltas), n_draws)``; draw ``j`` uses the same Ginibre matrix at every ``delta`` (seeded)."""
    check_square(A, "A")
    d = as_array(deltas, "deltas", ndim=(0, 1), allow_complex=False)
    if np.any(np.asarray(d) < 0):
        raise ValueError("deltas must be >= 0")
    check_int(n_draws, "n_draws", minimum=1)
    check_int(seed, "seed", minimum=0)
    A = np.asarray(A)
    N = A.shape[0]
    nA = float(np.linalg.norm(A, 2))
    rng = np.random.default_rng(seed)
    Gs = [(rng.normal(size=(N, N)) + 1j * rng.normal(size=(N, N))) / math.sqrt(2 * N) for _ in range(n_draws)]
    Gs = [G / np.linalg.norm(G, 2) for G in Gs]
    return np.array([[_ps.eigvec_condition(A + d * nA * G) for G in Gs] for d in np.asarray(deltas, float)])


# ---------------------------------------------------------------------------------------------------
# notebook 05, section by section
# ---------------------------------------------------------------------------------------------------
def _rotated(M, seed):
    """``Q M Q^T`` with ``Q`` a seeded random orthogonal matrix: same spectrum, no longer triangular."""
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=M.shape))
    return Q @ M @ Q.T


def conditioning_study(kappa_N, f64_N, seed: int = 0) -> dict:
    """Section 1: how ill-conditioned HiPPO-LegS's eigenvectors are, against its normal part ``A_N`` (the control).

    ``log2k``: exact ``log2 kappa_2(V_H)`` (mpmath) for ``kappa_N`` (must hold 16, 32, 48); ``k64`` / ``k64_N``: float64
    ``kappa`` of ``eig(A_H)`` for ``f64_N`` (must hold 16, 32) / of ``A_N`` for ``kappa_N``; ``err64``: max relative
    eigenvalue error of ``eig(Q A_H Q^T)`` (``err64_tri``: of the triangular ``A_H``), ``err_ctrl`` the same for
    ``Q A_N Q^T`` at ``N = 32``; ``slope``: least-squares slope of ``log2k`` over ``N >= 16`` (``slope_ctrl``: of
    ``log2 k64_N``); ``excess`` = ``min_{N in 16, 32, 48} log2 kappa - 2N`` (``excess_ctrl`` for ``A_N``).
    """
    kN = np.array(_sizes(kappa_N, "kappa_N", need=(16, 32, 48)))
    fN = np.array(_sizes(f64_N, "f64_N", need=(16, 32)))
    check_int(seed, "seed", minimum=0)
    log2k = np.array([_ps.hippo_eigvec_condition_exact(int(n)) for n in kN])
    k64 = np.array([_ps.eigvec_condition(_init.hippo_legs(int(n))[0]) for n in fN])
    k64_N = np.array([_ps.eigvec_condition(_init.hippo_legs_nplr(int(n))[0]) for n in kN])
    err64 = np.array([_ps.hippo_eig_error(_rotated(_init.hippo_legs(int(n))[0], seed), -np.arange(1, n + 1)) for n in fN])
    err64_tri = np.array([_ps.hippo_eig_error(_init.hippo_legs(int(n))[0], -np.arange(1, n + 1)) for n in fN])
    lamN32 = np.linalg.eigvals(_init.hippo_legs_nplr(32)[0])
    err_ctrl = float(max(np.min(np.abs(lam - lamN32)) / abs(lam)
                         for lam in np.linalg.eigvals(_rotated(_init.hippo_legs_nplr(32)[0], seed))))
    big = kN >= 16
    return dict(kN=kN, log2k=log2k, fN=fN, k64=k64, k64_N=k64_N, err64=err64, err64_tri=err64_tri, err_ctrl=err_ctrl,
                slope=float(np.polyfit(kN[big], log2k[big], 1)[0]),
                slope_ctrl=float(np.polyfit(kN[big], np.log2(k64_N[big]), 1)[0]),
                excess=float(min(log2k[kN == n][0] - 2 * n for n in (16, 32, 48))),
                excess_ctrl=float(min(np.log2(k64_N[kN == n][0]) - 2 * n for n in (16, 32, 48))),
                cond16=float(k64[fN == 16][0]), cond16_ctrl=float(k64_N[kN == 16][0]), err32=float(err64[fN == 32][0]))


def midpoint_sigma(N: int) -> dict:
    """``sigma_min(zI - A)`` at ``z = -(N/2 + 1/2)``, half-way between two eigenvalues of ``A_H``: ``s_h`` for ``A_H``
    (triangular path), ``s_mp`` its mpmath SVD oracle, ``s_n`` for ``A_N`` (SVD) and ``d_n = dist(z, Lambda(A_N))``."""
    N = check_int(N, "N", minimum=2)
    A_H, A_N = _init.hippo_legs(N)[0], _init.hippo_legs_nplr(N)[0]
    zc = np.array([-(N / 2 + 0.5) + 0j])
    return dict(z=float(zc[0].real), s_h=float(_ps.sigma_min(A_H, zc)[0]), s_mp=_ps.sigma_min_mpmath(A_H, zc[0]),
                s_n=float(_ps.sigma_min(A_N, zc, method="svd")[0]), d_n=float(np.min(np.abs(zc[0] - np.linalg.eigvals(A_N)))))


def select_point(sweep, eps_max: float = 0.05) -> int:
    """Index of the sweep point with the largest ``||E||/||A|| <= eps_max`` (else the smallest ``||E||/||A||``)."""
    if not sweep or not all(hasattr(r, "eps_rel") for r in sweep):
        raise ValueError("sweep must be a non-empty list of PTDResult")
    check_scalar(eps_max, "eps_max", positive=True)
    eps_rel = np.array([r.eps_rel for r in sweep])
    ok = eps_rel <= eps_max
    return int(np.flatnonzero(ok)[np.argmax(eps_rel[ok])]) if ok.any() else int(np.argmin(eps_rel))


def s4d_convergence(conv_N) -> dict:
    """Section 2 (Theorems 1-2): ``R`` rows ``(N, omega_max, sup_w |G_S4D - G_H|, its argmax, ||y_S4D - y_H||_L2 for
    u = e^-t, the same for the impulse)`` with ``C = e_1``, ``B_H``; ``dev_s4d``: Theorem 3's worst-unit-``C``
    deviation with unit ``B`` for each ``N``."""
    conv_N = _sizes(conv_N, "conv_N", minimum=2)
    rows = []
    for n in conv_N:
        lam_s, Bs, Cs = _ptd.s4d_legs_system(n)
        wmax = _ptd.omega_max(n)
        peaks = np.abs(np.linalg.eigvals(_init.hippo_legs_nplr(n)[0]).imag)
        sup, arg = _ptd.sup_abs_diff(lambda s, a=(lam_s, Bs, Cs): _ptd.transfer_diag(*a, s),
                                     lambda s, n=n: _ptd.transfer_hippo(n, s), peaks, 4 * wmax)
        Ah, Bh = _init.hippo_legs(n)
        C1 = np.eye(n)[0]
        rows.append((n, wmax, sup, arg, _ptd.l2_output_error((lam_s, Bs, Cs), (Ah, Bh, C1), "exp"),
                     _ptd.l2_output_error((lam_s, Bs, Cs), (Ah, Bh, C1), "impulse")))
    return dict(R=np.array(rows), dev_s4d=np.array([_ptd.thm3_deviation(int(n), n_C=1)["worst"] for n in conv_N]))


def _check_NE(N, E):
    N = check_int(N, "N", minimum=2)
    E = check_square(E, "E", allow_complex=False)
    if E.shape != (N, N):
        raise ValueError(f"E must be ({N}, {N}), got {E.shape}")
    return N, np.asarray(E, float)


def ptd_e1_control(N: int, E) -> dict:
    """PTD's diagonal realization of ``A_H + E`` against HiPPO: ``dev`` = Theorem 3's worst-unit-``C`` deviation (unit
    ``B``), and with ``C = e_1``, ``B_H``: ``sup`` of ``|G_PTD - G_H|`` and its argmax ``arg``; ``wmax = omega_max(N)``."""
    N, E = _check_NE(N, E)
    A, B = _init.hippo_legs(N)
    lam, _, Bt, Ct = _ssm.diagonalize(A + E, B, np.eye(N)[0])
    wmax = _ptd.omega_max(N)
    peaks = np.concatenate([np.abs(np.linalg.eigvals(_init.hippo_legs_nplr(N)[0]).imag), np.abs(lam.imag)])
    sup, arg = _ptd.sup_abs_diff(lambda s: _ptd.transfer_diag(lam, Bt, Ct, s), lambda s: _ptd.transfer_hippo(N, s),
                                 peaks, 4 * wmax)
    return dict(dev=_ptd.thm3_deviation(N, E, n_C=1, via="diag")["worst"], sup=sup, arg=arg, wmax=wmax)


def tradeoff_study(N: int, sweep, i_sel: int, seed: int = 0, n_gauss: int = 5,
                   gauss_eps=(1e-3, 3e-3, 1e-2, 2e-2)) -> dict:
    """Section 3's kappa-``||E||`` trade-off of a PTD sweep on ``A_H`` (size ``N``) and its Gaussian controls.

    ``gk (len(gauss_eps), n_gauss)``: ``kappa`` for real Gaussian ``E`` (seeds ``seed + j``); ``gk_null``: ``n_gauss``
    other draws at 1 % (seeds ``seed + 100 + j``); ``g_maxre``: max Re lambda for Gaussian ``E`` of the sweep's sizes;
    ``g_kap_sel``: the Gaussian ``kappa`` at the selected point's size; ``slope`` / ``slope_ctrl``: log-log slope of
    ``kappa`` vs ``||E||`` along the sweep for ``A_H`` / for ``A_N`` with the same ``E``; ``kap_at_001``: the sweep's
    ``kappa`` interpolated at 1 %; ``gk001`` / ``gk001_null``: geometric means of the Gaussian ``kappa`` at 1 %.
    """
    N = check_int(N, "N", minimum=2)
    if not sweep or not all(getattr(r, "E", np.zeros(0)).shape == (N, N) for r in sweep):
        raise ValueError(f"sweep must be a non-empty list of PTDResult of size N = {N}")
    i_sel = check_int(i_sel, "i_sel", minimum=0)
    if i_sel >= len(sweep):
        raise ValueError(f"i_sel must index the sweep (length {len(sweep)}), got {i_sel}")
    check_int(seed, "seed", minimum=0)
    n_gauss = check_int(n_gauss, "n_gauss")
    geps = _positive_list(gauss_eps, "gauss_eps")
    if not np.any(geps == 1e-2):
        raise ValueError("gauss_eps must contain 0.01")
    A_H, A_N = _init.hippo_legs(N)[0], _init.hippo_legs_nplr(N)[0]
    cond = _ps.eigvec_condition
    gk = np.array([[cond(A_H + _ptd.gaussian_perturbation(A_H, e, seed=seed + j)) for j in range(n_gauss)] for e in geps])
    gk_null = np.array([cond(A_H + _ptd.gaussian_perturbation(A_H, 1e-2, seed=seed + 100 + j)) for j in range(n_gauss)])
    eps_rel = np.array([r.eps_rel for r in sweep])
    kap = np.array([r.kappa for r in sweep])
    g_same = [_ptd.gaussian_perturbation(A_H, e, seed=seed) for e in eps_rel]
    order = np.argsort(eps_rel)
    return dict(eps_rel=eps_rel, kap=kap, gauss_eps=geps, gk=gk, gk_null=gk_null,
                g_maxre=max(float(np.linalg.eigvals(A_H + G).real.max()) for G in g_same),
                g_kap_sel=cond(A_H + g_same[i_sel]), slope=_stats.log_slope(eps_rel, kap),
                slope_ctrl=_stats.log_slope(eps_rel, [cond(A_N + r.E) for r in sweep]),
                kap_at_001=float(np.exp(np.interp(np.log(0.01), np.log(eps_rel[order]), np.log(kap[order])))),
                gk001=float(np.exp(np.mean(np.log(gk[geps == 1e-2][0])))), gk001_null=float(np.exp(np.mean(np.log(gk_null)))))


def thm3_study(N: int, E, ts, n_C: int = 200, seed: int = 0, n_curve: int = 4000) -> dict:
    """Theorem 3 in its own normalization (unit ``B``) for our ``E`` at size ``N``.

    ``s4``, ``pd``, ``e0``: :func:`ssmtheory.theory.ptd.thm3_deviation` of S4D (``B/2``), of PTD's diagonal realization and
    of the direct diagonalization (``E = 0``, the control); ``ratio_w`` / ``ratio_g``: S4D over PTD (worst-case / median
    Gaussian ``C``) and ``ratio_w_ctrl`` / ``ratio_g_ctrl`` S4D over the direct diagonalization.  Absolute-``eps``
    scaling for ``E_t = tE`` and the worst-aligned rank-one ``E`` of the same norm: ``eps_t, dev_t, epsw_t, devw_t``;
    ``ratio_abs`` = max deviation / ``((2 ln N + 4) ||E_t||)``, ``ratio_rel`` the same with ``||E_t|| / ||A_H||``;
    ``slope_t0``: log-log slope over the four smallest ``t`` (``slope_half``: with S4D's ``B/2``, the wrong variant).
    ``curve``: ``(w, ||x_S4D - x_H||, ||x_PTD - x_H||)`` on ``n_curve`` log-spaced frequencies (for the figure).
    """
    N, E = _check_NE(N, E)
    t = _positive_list(ts, "ts")  # in the given order: the slope uses the first four (the smallest when ascending)
    if t.size < 4:
        raise ValueError(f"ts must hold at least 4 scalings, got {t.size}")
    check_int(n_C, "n_C")
    check_int(seed, "seed", minimum=0)
    n_curve = check_int(n_curve, "n_curve", minimum=2)
    s4 = _ptd.thm3_deviation(N, n_C=n_C, seed=seed)
    pd = _ptd.thm3_deviation(N, E, n_C=n_C, seed=seed, via="diag")
    e0 = _ptd.thm3_deviation(N, np.zeros((N, N)), n_C=n_C, seed=seed, via="diag")
    A, B = _init.hippo_legs(N)
    nA = np.linalg.norm(A, 2)
    bound_c = 2 * np.log(N) + 4
    Ew = _ptd.worst_aligned_perturbation(N, float(np.linalg.norm(E, 2)))
    eps_t, dev_t = _ptd.thm3_scaling(N, E, t)
    epsw_t, devw_t = _ptd.thm3_scaling(N, Ew, t)
    _, dev_half = _ptd.thm3_scaling(N, E, t[:4], b_scale_ptd=0.5)
    lam, V, Bt, _ = _ssm.diagonalize(A + E, B / np.linalg.norm(B))
    w = np.geomspace(0.1, 4 * _ptd.omega_max(N), n_curve)
    xh = _ptd.hippo_resolvent_B(N, 1j * w)
    curve = (w, np.linalg.norm(_ptd.normal_resolvent_B(N, 1j * w) - xh, axis=0),
             np.linalg.norm(V @ (Bt[:, None] / (1j * w[None, :] - lam[:, None])) - xh, axis=0))
    return dict(s4=s4, pd=pd, e0=e0, ratio_w=s4["worst"] / pd["worst"], ratio_g=s4["gauss_median"] / pd["gauss_median"],
                ratio_w_ctrl=s4["worst"] / e0["worst"], ratio_g_ctrl=s4["gauss_median"] / e0["gauss_median"],
                bound_c=bound_c, nA=nA, eps_t=eps_t, dev_t=dev_t, epsw_t=epsw_t, devw_t=devw_t,
                ratio_ours=float(np.max(dev_t / (bound_c * eps_t))), ratio_aligned=float(np.max(devw_t / (bound_c * epsw_t))),
                ratio_abs=float(max(np.max(dev_t / (bound_c * eps_t)), np.max(devw_t / (bound_c * epsw_t)))),
                ratio_rel=float(max(np.max(dev_t / (bound_c * eps_t / nA)), np.max(devw_t / (bound_c * epsw_t / nA)))),
                slope_t0=_stats.log_slope(t[:4], dev_t[:4]), slope_half=_stats.log_slope(t[:4], dev_half), curve=curve)


def backward_stability(N: int, E, sizes=(8, 12, 16, 20, 24, 28, 32)) -> dict:
    """Transfer-function error of PTD's diagonal realization stored in float32 (``ptd32``) against the direct float64
    diagonalization of ``A_H`` at ``N`` (``direct``, the control) and at each of ``sizes`` (``direct_N``)."""
    N, E = _check_NE(N, E)
    sizes = _sizes(sizes, "sizes", minimum=2)
    return dict(ptd32=_ptd.realization_error(N, E, dtype=np.float32), direct=_ptd.realization_error(N), sizes=sizes,
                direct_N=[_ptd.realization_error(n) for n in sizes])


def ginibre_study(gin_N, deltas, n_draws: int, seed: int = 0, exact_log2k=None) -> dict:
    """Theorems 4-5 with complex Ginibre ``E`` of size ``delta ||A||`` (``c_n = 4 n^1.5`` recalled, not verified).

    ``KG[N]`` / ``KGn[N]``: ``kappa`` of ``A_H + E`` / ``A_N + E`` (:func:`ginibre_kappa`); ``thm4`` = max 90th
    percentile of ``kappa delta / c_n`` (``thm4_ctrl`` without ``delta``); ``slope_d`` / ``slope_d_ctrl``: mean log-log
    slope of the median ``kappa`` in ``delta`` for ``A_H`` / ``A_N``; ``slope_n``: log-log slope in ``N`` of the median
    at the ``delta`` closest to ``1e-3`` (index ``i3``); ``slope_n_ctrl``: the same for the exact ``kappa(V_H)``
    (``exact_log2k``: ``{N: log2 kappa}`` already computed, else mpmath).
    """
    gN = np.array(_sizes(gin_N, "gin_N", minimum=2))
    dl = _positive_list(deltas, "deltas")
    if gN.size < 2 or dl.size < 2:
        raise ValueError(f"gin_N and deltas need at least 2 entries each (log-log slopes), got {gN.size} and {dl.size}")
    n_draws = check_int(n_draws, "n_draws")
    check_int(seed, "seed", minimum=0)
    known = {} if exact_log2k is None else dict(exact_log2k)
    KG = {int(n): ginibre_kappa(_init.hippo_legs(int(n))[0], dl, n_draws=n_draws, seed=seed) for n in gN}
    KGn = {int(n): ginibre_kappa(_init.hippo_legs_nplr(int(n))[0], dl, n_draws=n_draws, seed=seed) for n in gN}
    cn = {n: 4.0 * n**1.5 for n in KG}
    q90 = {n: np.quantile(K, 0.9, axis=1) for n, K in KG.items()}
    med = {n: np.median(K, axis=1) for n, K in KG.items()}
    i3 = int(np.argmin(np.abs(np.log(dl / 1e-3))))
    exact_k = 2.0 ** np.array([known[int(n)] if int(n) in known else _ps.hippo_eigvec_condition_exact(int(n)) for n in gN])
    return dict(gN=gN, deltas=dl, KG=KG, KGn=KGn, med=med, q90=q90, i3=i3, exact_k=exact_k,
                thm4=max(float(np.max(q90[n] * dl / cn[n])) for n in KG), thm4_ctrl=max(float(np.max(q90[n] / cn[n])) for n in KG),
                slope_d=float(np.mean([_stats.log_slope(dl, med[n]) for n in KG])),
                slope_d_ctrl=float(np.mean([_stats.log_slope(dl, np.median(K, axis=1)) for K in KGn.values()])),
                slope_n=_stats.log_slope(gN, [med[int(n)][i3] for n in gN]), slope_n_ctrl=_stats.log_slope(gN, exact_k))


def resolvent_study(res_N, grid_max_N: int = 32, n_grid: int = 120) -> dict:
    """Section 5: stability radius ``(r, omega*)`` of ``A_H`` (``res``) and of ``A_H + 0.5 I`` (``res_ctrl``) for each ``N``;
    ``excess`` / ``excess_ctrl`` = max over ``N`` of ``1/r^2 - (2 ln N + 4)``; ``grid_chk``: max relative difference of
    Boyd-Balakrishnan's ``r`` against the grid method for ``N <= grid_max_N``."""
    rN = np.array(_sizes(res_N, "res_N", minimum=2))
    grid_max_N = check_int(grid_max_N, "grid_max_N")
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    res = np.array([_ps.stability_radius(_init.hippo_legs(int(n))[0]) for n in rN])
    res_ctrl = np.array([_ps.stability_radius(_init.hippo_legs(int(n))[0] + 0.5 * np.eye(int(n)))[0] for n in rN])
    chk = [abs(_ps.stability_radius(_init.hippo_legs(n)[0], method="grid", n_grid=n_grid)[0] / res[i, 0] - 1)
           for i, n in enumerate(rN.tolist()) if n <= grid_max_N]
    return dict(rN=rN, res=res, res_ctrl=res_ctrl, grid_chk=float(max(chk)) if chk else float("nan"),
                excess=float(np.max(1 / res[:, 0] ** 2 - (2 * np.log(rN) + 4))),
                excess_ctrl=float(np.max(1 / res_ctrl**2 - (2 * np.log(rN) + 4))))


def robustness_study(N: int, E, data, seeds, H: int = 32, n_layers: int = 2, epochs: int = 5, ctrl_omega: float = 1.0,
                     seed: int = 0, n_boot: int = 10000, gain_H: int = 256) -> dict:
    """Section 6: the authors' frozen-spectrum robustness test (:mod:`ssmtheory.experiments.frozen_s4`) for S4D-LegS
    against S4-PTD (``A_H + E``), paired over ``seeds``.

    ``gain[name] = [g(omega_max), g(ctrl_omega)]``: noise gain at initialization (``gain_H`` channels) and
    ``gain_ratio`` / ``gain_ratio_ctrl`` S4D over PTD; ``rob``: :func:`frozen_s4.train_and_eval`'s accuracies; ``drop``:
    clean minus noisy accuracy ``(seeds, 2)``; ``inf`` / ``inf_ctrl``: one-sided paired bootstrap of S4D's drop minus
    PTD's at ``omega_max`` / at ``ctrl_omega`` (``ssmtheory.stats.paired_bootstrap``, ``n_boot`` resamples, ``seed``).
    """
    from ssmtheory.experiments import frozen_s4 as _fs

    N, E = _check_NE(N, E)
    seeds = _sizes(seeds, "seeds", minimum=0)
    if len(seeds) < 2:
        raise ValueError(f"seeds must hold at least 2 seeds (a paired bootstrap over seeds), got {seeds}")
    ctrl_omega = check_scalar(ctrl_omega, "ctrl_omega", positive=True)
    check_int(seed, "seed", minimum=0)
    gain_H = check_int(gain_H, "gain_H")
    L = data.seq_len
    w = _ptd.omega_max(N)
    spectra = {"S4D-LegS": _fs.spectrum_s4d(N), "S4-PTD": _fs.spectrum_ptd(_init.hippo_legs(N)[0] + E)}
    gain = {k: [_fs.noise_gain(*sp, om, L, H=gain_H, seed=seed) for om in (w, ctrl_omega)] for k, sp in spectra.items()}
    rob = _fs.train_and_eval(spectra, seeds, data, H=H, n_layers=n_layers, epochs=epochs, omegas=[w, ctrl_omega],
                             noise_seed=seed, data_seed=seed)
    drop = {k: rob[k]["clean"][:, None] - rob[k]["noisy"] for k in spectra}
    boot = lambda j: _stats.paired_bootstrap(drop["S4D-LegS"][:, j], drop["S4-PTD"][:, j], alternative="greater",
                                             n_boot=n_boot, seed=seed)
    return dict(L=L, omega_max=w, gain=gain, gain_ratio=gain["S4D-LegS"][0] / gain["S4-PTD"][0],
                gain_ratio_ctrl=gain["S4D-LegS"][1] / gain["S4-PTD"][1], rob=rob, drop=drop, inf=boot(0), inf_ctrl=boot(1))
