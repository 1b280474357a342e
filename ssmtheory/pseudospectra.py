"""Pseudospectral diagnostics: ``sigma_min(zI - A)`` on grids, kappa(V), stability radius, resolvent norms.

Definitions (Trefethen & Embree 2005, standard):

* ``sigma_min(z) = sigma_min(zI - A) = 1 / ||(zI - A)^{-1}||_2``;
* the epsilon-pseudospectrum ``Lambda_eps(A) = {z : sigma_min(zI - A) <= eps} = U_{||E|| <= eps} Lambda(A + E)``;
* for normal ``A``: ``sigma_min(zI - A) = dist(z, Lambda(A))`` (the normal fast path);
* eigenvector condition number ``kappa(V) = ||V||_2 ||V^{-1}||_2`` with unit-norm columns;
* stability radius (complex, unstructured) ``r(A) = min_omega sigma_min(i omega I - A)`` for stable ``A``;
  the resolvent norm on the imaginary axis is ``1 / sigma_min(i omega I - A)``.

Algorithm of :func:`sigma_min` (Trefethen 1999, "Computation of pseudospectra", Acta Numerica; pseudopy's
``lanczosinv``): one complex Schur factorization ``A = U T U^*`` on the host (skipped when ``A`` is already
triangular: a lower-triangular ``A`` is replaced by ``A^T``, which has the same singular values of
``zI - A``), then per point either

* ``method="svd"``: singular values of the stacked triangular ``zI - T`` (batched LAPACK), or
* ``method="lanczos_grid"``: inverse Lanczos on ``M = (zI - T)^{-1} (zI - T)^{-*}`` vectorized across ALL points in NumPy: each triangular
  substitution is a loop over the N rows whose steps are single operations on a (rows, points) array (row blocks
  coupled by one GEMM with the shared off-diagonal part of ``T``); plain three-term Lanczos (only the largest
  Ritz value is needed, which loss of orthogonality does not spoil), a Kato-Temple stopping test
  ``min(r, r^2/gap) <= tol theta`` on the top Ritz pair, converged points leave the working set.

``sigma_min = lambda_max(M)^{-1/2}``.  Speed (benchmarks/bench_pseudospectra.py, 100 x 100 grid, one BLAS thread,
CPU time against one NumPy SVD per point measured in the same run): see the benchmark's output and the PTD notebook's
closing note; ``method="auto"`` uses ``lanczos_grid`` for triangular ``A`` and for 64 or more points, the SVD of the
Schur factor for a handful of points of a dense ``A``.  (An earlier jitted per-chunk JAX Lanczos,
``method="lanczos"``, was never selected by ``auto`` and was ~13 ms/point on CPU; it was removed in issue 12.)
Accuracy: for a dense ``A`` the result is meaningful only above the round-off floor ``roundoff_floor(A) = 1e-12
||A||_2`` (backward error of the Schur form is ``O(eps ||A||)``); for a triangular ``A`` (no Schur step) the
substitutions keep full relative accuracy well below it (HiPPO-LegS, checked against :func:`sigma_min_mpmath`).
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from ssmtheory._validate import as_array, check_int, check_scalar, check_square

__all__ = [
    "sigma_min",
    "sigma_min_reference",
    "sigma_min_mpmath",
    "schur_triangular",
    "is_normal",
    "departure_from_normality",
    "roundoff_floor",
    "pseudospectrum",
    "eigvec_condition",
    "hippo_eigvec_condition_exact",
    "hippo_eig_error",
    "resolvent_norm_imag",
    "stability_radius",
]

FLOOR_FACTOR = 1e-12


def roundoff_floor(A) -> float:
    """The float64 round-off floor ``1e-12 ||A||_2`` below which ``sigma_min`` is noise."""
    return FLOOR_FACTOR * float(np.linalg.norm(check_square(A, "A"), 2))


def departure_from_normality(A) -> float:
    """Henrici's departure from normality ``||N||_F`` of the complex Schur form ``A = U (D + N) U^*`` (``N`` strictly upper).

    Triangular ``A`` needs no factorization (its own strict triangle).  For every ``z``,
    ``|sigma_min(zI - A) - dist(z, Lambda(A))| <= ||N||_2 <= ||N||_F`` (Weyl), so this is exactly the error of the
    normal fast path.
    """
    import scipy.linalg

    A = check_square(A, "A")
    if np.array_equal(A, np.triu(A)):
        return float(np.linalg.norm(np.triu(A, 1)))
    if np.array_equal(A, np.tril(A)):
        return float(np.linalg.norm(np.tril(A, -1)))
    T, _ = scipy.linalg.schur(A.astype(np.complex128), output="complex")
    return float(np.linalg.norm(np.triu(T, 1)))


def is_normal(A, atol: float | None = None) -> bool:
    """Whether the normal fast path ``sigma_min(zI - A) = dist(z, Lambda(A))`` is exact to ``atol``.

    Tied to the floor it protects: ``atol`` defaults to :func:`roundoff_floor` ``(A) = 1e-12 ||A||_2``, and the test is
    :func:`departure_from_normality` ``(A) <= atol``, which bounds the fast path's error at every ``z`` (Weyl).  A normal
    matrix computed in float64 has a departure of ``O(eps ||A||)``, far below the floor.
    """
    A = check_square(A, "A")
    atol = roundoff_floor(A) if atol is None else check_scalar(atol, "atol", nonnegative=True)
    # cheap rejection first: ||A A^* - A^* A||_F <= 2 ||A||_2 ||N||_F... so a large commutator means not normal
    nA = float(np.linalg.norm(A, 2))
    comm = float(np.linalg.norm(A @ A.conj().T - A.conj().T @ A))
    if comm > 2.0 * nA * atol * 10 + 1e-300 and comm > 1e3 * np.finfo(float).eps * nA * nA * A.shape[0]:
        return False
    return departure_from_normality(A) <= atol


def schur_triangular(A):
    """An upper-triangular ``T`` (complex128) with the same ``sigma_min(zI - .)`` as ``A`` for every ``z``.

    Upper-triangular ``A`` is returned as is, lower-triangular ``A`` as ``A^T`` (no factorization: this keeps
    HiPPO-LegS exact), anything else through ``scipy.linalg.schur(A, output="complex")``.
    """
    import scipy.linalg

    A = check_square(A, "A")
    if np.array_equal(A, np.triu(A)):
        return A.astype(np.complex128)
    if np.array_equal(A, np.tril(A)):
        return A.T.astype(np.complex128)
    T, _ = scipy.linalg.schur(A.astype(np.complex128), output="complex")
    return np.triu(T)


def sigma_min_mpmath(A, z, dps: int = 50, max_n: int = 40) -> float:
    """Oracle: ``sigma_min(zI - A)`` for the float64 matrix ``A`` as given, by an mpmath SVD at ``dps`` digits.

    For values below the float64 round-off floor (e.g. HiPPO-LegS between its eigenvalues).  ``O(N^3)`` in mpmath:
    refused for ``N > max_n``.
    """
    import mpmath as mp

    A = check_square(A, "A")
    dps, max_n = check_int(dps, "dps"), check_int(max_n, "max_n")
    if isinstance(z, (str, bytes, bool)) or np.ndim(z) != 0:
        raise ValueError(f"z must be one complex number, got {z!r}")
    z = complex(z)
    if not np.isfinite(z):
        raise ValueError(f"z must be finite, got {z!r}")
    if A.shape[0] > max_n:
        raise ValueError(f"A is {A.shape[0]} x {A.shape[0]}: too large for the mpmath oracle (max_n = {max_n})")
    N = A.shape[0]
    with mp.workdps(int(dps)):
        M = mp.matrix(N, N)
        for i in range(N):
            for j in range(N):
                a = complex(A[i, j])
                M[i, j] = (mp.mpc(z.real, z.imag) if i == j else 0) - mp.mpc(a.real, a.imag)
        sv = mp.svd_c(M, compute_uv=False)
        return float(min(sv[i] for i in range(N)))


def sigma_min_reference(A, z):
    """Plain reference: one dense SVD of ``zI - A`` per point (NumPy); same shape as ``z``."""
    A = check_square(A, "A").astype(np.complex128)
    z = np.asarray(as_array(z, "z"), np.complex128)
    eye = np.eye(A.shape[0])
    out = np.empty(z.shape)
    for idx, zi in np.ndenumerate(z):
        out[idx] = np.linalg.svd(zi * eye - A, compute_uv=False)[-1]
    return out


# ---------------------------------------------------------------------------------------------------
# inverse Lanczos vectorized across the grid (NumPy, blocked triangular substitution)
# ---------------------------------------------------------------------------------------------------
def _mm(U, X):
    """``U @ X`` for a (strictly triangular) ``U`` shared by all points and ``X`` (rows, points) complex.

    A real ``U`` multiplies the interleaved real view of ``X`` (half the flops of a complex product)."""
    if U.dtype == np.float64:
        return (U @ X.view(np.float64)).view(np.complex128)
    return U @ X


def _grid_solve_upper(U, dinv, b, bs):
    """``X = (U + diag(1/dinv))^{-1} b`` column by column (one column per point), ``U`` strictly upper.

    Back substitution in row blocks of ``bs``: the coupling to the already solved rows is one GEMM with the
    shared ``U``; inside a block each row is one vectorized step over all points."""
    N = U.shape[0]
    X = np.empty(b.shape, b.dtype)
    real = U.dtype == np.float64
    XR = X.view(np.float64) if real else X
    for i1 in range(N, 0, -bs):
        i0 = max(0, i1 - bs)
        rhs = b[i0:i1] - _mm(U[i0:i1, i1:], X[i1:]) if i1 < N else b[i0:i1]
        rhsR = rhs.view(np.float64) if real else rhs
        for i in range(i1 - 1, i0 - 1, -1):
            if i + 1 < i1:
                r = rhsR[i - i0] - U[i, i + 1 : i1] @ XR[i + 1 : i1]
                np.multiply(r.view(np.complex128) if real else r, dinv[i], out=X[i])
            else:
                np.multiply(rhs[i - i0], dinv[i], out=X[i])
    return X


def _grid_solve_lower(L, dinv, b, bs):
    """Forward-substitution twin of :func:`_grid_solve_upper` (``L`` strictly lower)."""
    N = L.shape[0]
    X = np.empty(b.shape, b.dtype)
    real = L.dtype == np.float64
    XR = X.view(np.float64) if real else X
    for i0 in range(0, N, bs):
        i1 = min(N, i0 + bs)
        rhs = b[i0:i1] - _mm(L[i0:i1, :i0], X[:i0]) if i0 > 0 else b[i0:i1]
        rhsR = rhs.view(np.float64) if real else rhs
        for i in range(i0, i1):
            if i > i0:
                r = rhsR[i - i0] - L[i, i0:i] @ XR[i0:i]
                np.multiply(r.view(np.complex128) if real else r, dinv[i], out=X[i])
            else:
                np.multiply(rhs[i - i0], dinv[i], out=X[i])
    return X


def _cdot(Vc, w):
    return np.einsum("nk,nk->k", Vc, w)


def _cnorm(w):
    """Column norms of a C-contiguous complex (rows, points) array: one contiguous real reduction."""
    return np.sqrt(_redot(w, w))


def _redot(v, w):
    """``Re(v_k^* w_k)`` per column ``k`` of two C-contiguous complex (rows, points) arrays, without a conjugate copy."""
    K = v.shape[1]
    return np.einsum("nk,nk->k", v.view(np.float64), w.view(np.float64)).reshape(K, 2).sum(1)


def _lanczos_grid_chunk_plain(U, L, diagT, z, m, tol, bs):
    """Plain three-term inverse Lanczos for the points ``z`` of one chunk.

    Only the two latest Lanczos vectors are kept.  Loss of orthogonality in plain Lanczos only produces spurious
    copies of already converged Ritz values (Paige), so the LARGEST Ritz value -- all we need -- is unaffected; this
    removes the full re-orthogonalization of earlier versions, which cost more than the triangular solves (measured at
    N = 64: 0.53 s -> 0.35 s CPU on a 100 x 100 grid)."""
    N = U.shape[0]
    K = z.size
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        dinv = 1.0 / (diagT[:, None] - z[None, :])
    dinvc = dinv.conj()
    rng = np.random.default_rng(12345)
    v0 = rng.normal(size=N) + 1j * rng.normal(size=N)
    v0 /= np.linalg.norm(v0)
    v = np.repeat(v0[:, None], K, 1)
    v_prev = np.zeros_like(v)
    alpha = np.zeros((K, m))
    beta = np.zeros((K, m))
    theta = np.zeros(K)
    out = np.zeros(K)
    idx = np.arange(K)
    with np.errstate(all="ignore"):
        for j in range(m):
            # M v = S^{-1} S^{-*} v, unscaled: its eigenvalues are up to 1/sigma^2, finite for sigma > ~1e-154
            # (anything smaller is far below the floor and comes out as 0 through the non-finite path)
            w = _grid_solve_upper(U, dinv, _grid_solve_lower(L, dinvc, v, bs), bs)
            a = _redot(v, w)
            w -= v * a
            if j > 0:
                w -= v_prev * beta[:, j - 1]
            alpha[:, j] = a
            b = _cnorm(w)
            beta[:, j] = b
            # largest Ritz value theta, its residual res = beta_j |y_j| (some eigenvalue of M' lies within res of
            # theta) and the Ritz gap; converged when min(res, res^2 / gap) <= tol * theta (Kato-Temple)
            if j == 0:
                th, res, gap = a.copy(), b.copy(), np.zeros(a.shape)  # no gap estimate yet
                fin = np.isfinite(th)
            else:
                Tj = np.zeros((idx.size, j + 1, j + 1))
                r = np.arange(j + 1)
                Tj[:, r, r] = alpha[:, : j + 1]
                Tj[:, r[:-1], r[1:]] = beta[:, :j]
                Tj[:, r[1:], r[:-1]] = beta[:, :j]
                fin = np.isfinite(Tj).all(axis=(1, 2))
                Tj[~fin] = 0.0
                ev, Y = np.linalg.eigh(Tj)
                th, res, gap = ev[:, -1], b * np.abs(Y[:, -1, -1]), ev[:, -1] - ev[:, -2]
                th[~fin] = np.nan
            bad = ~np.isfinite(th)
            err = np.where(gap > 0, np.minimum(res, res * res / np.where(gap > 0, gap, 1.0)), res)
            conv = (err <= tol * np.abs(th)) | (b <= 1e-14 * np.abs(th)) | bad | (j == m - 1)
            theta = th
            if conv.any():
                o = 1.0 / np.sqrt(th[conv])  # lambda_max(M) = theta
                o[bad[conv] | ~np.isfinite(o)] = 0.0  # z at (or numerically at) an eigenvalue: below the floor
                out[idx[conv]] = o
                keep = ~conv
                if not keep.any():
                    break
                idx = idx[keep]
                v, w = np.compress(keep, v, 1), np.compress(keep, w, 1)
                dinv, dinvc = np.compress(keep, dinv, 1), np.compress(keep, dinvc, 1)
                b, alpha, beta, theta = b[keep], alpha[keep], beta[keep], theta[keep]
            v_prev, v = v, w / b
    return out


def _sigma_lanczos_grid(T, z, tol=1e-9, max_iter=100, chunk=2048, bs=16):
    """Inverse Lanczos on ``M = (T - zI)^{-1} (T - zI)^{-*}`` vectorized across ALL points (NumPy).

    Every step advances all still-unconverged points together: the two triangular substitutions are row loops
    whose steps are single vectorized operations over the points (blocks of ``bs`` rows coupled by one GEMM
    with the shared strictly triangular part of ``T``; a real ``T`` uses real GEMMs), then the three-term Lanczos
    step and the top Ritz pair of each point's tridiagonal (batched ``eigh``).  A point stops when the Kato-Temple
    bound on its Ritz value's error is at most ``tol`` (relative) or the Krylov space is exhausted; converged points
    are dropped from the working set.  ``chunk`` points at a time (2048 fit the two-vector working set in cache).
    Points at an eigenvalue (or with ``sigma`` below ~1e-154, where ``1/sigma^2`` overflows: far below any floor)
    give 0.
    """
    N = T.shape[0]
    U = np.triu(T, 1)
    if not np.any(U.imag):
        U = np.ascontiguousarray(U.real)
    L = np.ascontiguousarray(U.conj().T)
    diagT = np.diag(T).astype(np.complex128)
    m = int(max(1, min(N, max_iter)))
    zf = z.reshape(-1)
    fn = _lanczos_grid_chunk_plain
    out = np.empty(zf.size)
    with _single_thread_blas():
        for s in range(0, zf.size, chunk):
            out[s : s + chunk] = fn(U, L, diagT, zf[s : s + chunk], m, tol, bs)
    return out


def _single_thread_blas():
    """One BLAS thread for the grid Lanczos: its products are small and many, and on a shared 2-core machine a
    multi-threaded BLAS made it 4x slower (measured: 0.8 s vs 0.18 s at N = 64, 10^4 points)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


METHODS = ("auto", "normal", "svd", "lanczos_grid")


def _finite_square(A):
    """``check_square`` with the historical message ``"A must be finite"`` for NaN/inf entries."""
    a = np.asarray(A) if A is not None else A
    if a is not None and a.dtype.kind in "biufc" and not np.all(np.isfinite(a)):
        raise ValueError("A must be finite (NaN or inf entries)")
    return check_square(a, "A")


def sigma_min(A, z, method: str = "auto", normal: bool | None = None, svd_max_n: int = 512, grid_tol: float = 1e-9,
              grid_max_iter: int = 100, grid_min_points: int = 64):
    """``sigma_min(z_i I - A)`` for every complex point of ``z``: float64 array of ``z``'s shape.

    ``method``: ``"auto"`` (normal fast path if ``A`` is normal; else the grid-vectorized inverse Lanczos
    ``"lanczos_grid"`` for triangular ``A`` or at least ``grid_min_points`` points; for fewer points of a dense ``A``
    the SVD of its Schur factor if ``N <= svd_max_n``), ``"normal"``, ``"svd"``, ``"lanczos_grid"``.
    ``normal=True/False`` overrides the normality test.  ``"lanczos_grid"`` (NumPy, all points at once): at most
    ``grid_max_iter`` steps per point, each point stopping when the Kato-Temple bound ``min(r, r^2 / gap)`` on the
    error of its largest Ritz value ``theta`` (``r`` the Ritz residual) is at most ``grid_tol * theta``;
    ``grid_tol = 1e-9`` gives ``sigma`` to about ``5e-10`` relative above the round-off floor (plain three-term Lanczos).

    Raises ``ValueError`` naming the argument for a non-square or non-finite ``A``, any non-finite point of ``z`` (a
    NaN point must not be reported as a point on the spectrum), an unknown ``method`` or a bad size/tolerance.
    """
    A = _finite_square(A)
    z = np.asarray(z) if z is not None else z
    if z is not None and z.dtype.kind in "biufc" and not np.all(np.isfinite(z)):
        raise ValueError(f"z must be finite: {int(np.sum(~np.isfinite(z)))} non-finite point(s)")
    z = np.asarray(as_array(z, "z"), np.complex128)
    if method not in METHODS:
        hint = " (the JAX 'lanczos' path was removed: use 'lanczos_grid')" if method == "lanczos" else ""
        raise ValueError(f"method must be one of {METHODS}, got {method!r}{hint}")
    if normal is not None and not isinstance(normal, (bool, np.bool_)):
        raise ValueError(f"normal must be None, True or False, got {normal!r}")
    svd_max_n, grid_max_iter = check_int(svd_max_n, "svd_max_n"), check_int(grid_max_iter, "grid_max_iter")
    grid_min_points = check_int(grid_min_points, "grid_min_points")
    grid_tol = check_scalar(grid_tol, "grid_tol", positive=True)
    shape = z.shape
    N = A.shape[0]
    if method == "normal" or (method == "auto" and (normal if normal is not None else is_normal(A))):
        return _sigma_normal(A, z).reshape(shape)
    T = schur_triangular(A)
    if method == "auto":
        # triangular input (no Schur factor): inverse Lanczos keeps full relative accuracy even below the round-off
        # floor (mpmath oracle test), where an SVD of zI - T does not; for a dense Schur factor few points go to the SVD
        tri = np.array_equal(A, np.triu(A)) or np.array_equal(A, np.tril(A))
        method = "svd" if (z.size < grid_min_points and N <= svd_max_n and not tri) else "lanczos_grid"
    if method == "lanczos_grid":
        return _sigma_lanczos_grid(T, z, tol=grid_tol, max_iter=grid_max_iter).reshape(shape)
    return _sigma_svd(T, z).reshape(shape)


def _sigma_normal(A, z):
    """The normal fast path ``dist(z, Lambda(A))`` for the flattened points (4096 at a time)."""
    lam = np.linalg.eigvals(A.astype(np.complex128))
    zf = z.reshape(-1)
    out = np.empty(zf.size)
    for s in range(0, zf.size, 4096):
        out[s : s + 4096] = np.abs(zf[s : s + 4096, None] - lam[None, :]).min(1)
    return out


def _sigma_svd(T, z):
    """Smallest singular value of the stacked ``zI - T`` (batched LAPACK, ~32 MiB of matrices per batch)."""
    N = T.shape[0]
    zf = z.reshape(-1)
    out = np.empty(zf.size)
    eye = np.eye(N)
    step = max(1, 2**22 // (N * N))
    for s in range(0, zf.size, step):
        M = zf[s : s + step, None, None] * eye - T[None]
        out[s : s + step] = np.linalg.svd(M, compute_uv=False)[:, -1]
    return out


def pseudospectrum(A, x, y, **kw):
    """``sigma_min`` on the grid ``x + i y`` (``meshgrid``): returns ``(X, Y, S)``; contour ``S`` at levels eps."""
    x = np.asarray(as_array(x, "x", allow_complex=False), float)
    y = np.asarray(as_array(y, "y", allow_complex=False), float)
    X, Y = np.meshgrid(x, y)
    return X, Y, sigma_min(A, X + 1j * Y, **kw)


# ---------------------------------------------------------------------------------------------------
# eigenvector condition numbers
# ---------------------------------------------------------------------------------------------------
def eigvec_condition(A=None, V=None) -> float:
    """float64 ``kappa_2(V)`` of the eigenvector matrix (``numpy.linalg.eig``; columns normalized to unit norm).

    Give ``A`` or the eigenvectors ``V`` themselves.  Saturates near ``1 / eps`` when the true value is larger.
    """
    if (A is None) == (V is None):
        raise ValueError("give exactly one of A (a square matrix) and V (its eigenvectors)")
    if V is None:
        _, V = np.linalg.eig(check_square(A, "A"))
    V = check_square(V, "V")
    V = V / np.linalg.norm(V, axis=0, keepdims=True)
    s = np.linalg.svd(V, compute_uv=False)
    return float(s[0] / s[-1]) if s[-1] > 0 else math.inf


def _hippo_eigvecs_mp(N: int, dps: int):
    import mpmath as mp

    with mp.workdps(dps):
        q = [mp.sqrt(2 * n + 1) for n in range(N)]
        A = [[(-q[i] * q[j] if i > j else (-(i + 1) if i == j else mp.mpf(0))) for j in range(N)] for i in range(N)]
        V = mp.matrix(N, N)
        for k in range(N):
            lam = -(k + 1)
            v = [mp.mpf(0)] * N
            v[k] = mp.mpf(1)
            for i in range(k + 1, N):
                s = mp.fsum(A[i][j] * v[j] for j in range(k, i))
                v[i] = -s / (A[i][i] - lam)
            nv = mp.sqrt(mp.fsum(x * x for x in v))
            for i in range(N):
                V[i, k] = v[i] / nv
        return V


HIPPO_EXACT_MAX_N = 96


def hippo_eigvec_condition_exact(N: int, dps: int | None = None, max_n: int = HIPPO_EXACT_MAX_N) -> float:
    """Exact ``log2 kappa_2(V_H)`` of HiPPO-LegS (unit columns) in mpmath extended precision.

    The eigenvectors of the lower-triangular ``A_H`` (eigenvalues ``-1..-N``) are obtained by exact
    forward substitution at ``dps`` digits (default ``N + 40``, enough since ``kappa ~ 2^{2.5N}`` needs about
    ``0.75 N`` digits), then ``kappa_2`` from the singular values of ``V`` (``mpmath.svd_r``).  Returns log2.
    """
    import mpmath as mp

    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 1:
        raise ValueError(f"N must be a positive integer, got {N!r}")
    max_n = check_int(max_n, "max_n")
    if N > max_n:
        raise ValueError(f"N = {N} is too large for the mpmath computation (O(N^3) operations at N + 40 digits: "
                         f"about 1 s at N = 48, hours at N = 2000); N must be <= max_n = {max_n} (raise max_n deliberately)")
    dps = int(check_int(dps, "dps") if dps is not None else N + 40)
    with mp.workdps(dps):
        V = _hippo_eigvecs_mp(int(N), dps)
        s = mp.svd_r(V, compute_uv=False)
        vals = [s[i] for i in range(N)]
        return float(mp.log(max(vals) / min(vals), 2))


def hippo_eig_error(A, exact) -> float:
    """Max relative eigenvalue error of ``numpy.linalg.eig(A)`` against the known ``exact`` spectrum (sorted by real part)."""
    A = check_square(A, "A")
    ex = np.asarray(as_array(exact, "exact", ndim=1))
    if ex.size != A.shape[0]:
        raise ValueError(f"exact must hold one eigenvalue per row of A ({A.shape[0]}), got {ex.size}")
    if np.any(ex == 0):
        raise ValueError("exact must be non-zero (the error is relative)")
    lam = np.linalg.eigvals(A)
    lam = lam[np.argsort(lam.real)]
    ex = np.sort(ex.astype(complex).real)
    return float(np.max(np.abs(lam - ex) / np.abs(ex)))


# ---------------------------------------------------------------------------------------------------
# imaginary axis
# ---------------------------------------------------------------------------------------------------
def resolvent_norm_imag(A, omega, **kw):
    """``||(i omega I - A)^{-1}||_2 = 1 / sigma_min(i omega I - A)`` for real frequencies ``omega``."""
    omega = np.asarray(as_array(omega, "omega", allow_complex=False), float)
    return 1.0 / sigma_min(A, 1j * omega, **kw)


def _hamiltonian_imag_eigs(A, gamma, tol):
    """Frequencies ``omega`` (sorted) with ``sigma(i omega I - A) = gamma`` for some singular value: the purely imaginary
    eigenvalues ``i omega`` of Byers' Hamiltonian ``[[A, -gamma I], [gamma I, -A^*]]``."""
    N = A.shape[0]
    Hm = np.block([[A, -gamma * np.eye(N)], [gamma * np.eye(N), -A.conj().T]])
    ev = np.linalg.eigvals(Hm)
    scale = max(float(np.linalg.norm(A, 2)), gamma, 1.0)
    return np.sort(ev.imag[np.abs(ev.real) <= tol * scale])


def stability_radius(A, method: str = "bb", tol: float = 1e-10, max_iter: int = 50, omega_max: float | None = None,
                     n_grid: int = 400, **kw):
    """``(r, omega*)``: the complex stability radius (distance to instability) ``r = min_omega sigma_min(i omega I - A)``.

    ``sup_omega ||(i omega I - A)^{-1}||_2 = 1 / r``.  An unstable or marginal ``A`` (some ``Re lambda >= 0``) has
    ``r = 0`` (returned with ``omega*`` = the imaginary part of its rightmost eigenvalue), so ``A`` and ``-A`` never
    share a value.

    ``method="bb"`` (default): Boyd-Balakrishnan's quadratically convergent iteration on Byers' Hamiltonian
    ``H(gamma) = [[A, -gamma I], [gamma I, -A^*]]`` (``i omega`` is an eigenvalue iff ``gamma`` is a singular value of
    ``i omega I - A``): start from the best of ``omega = 0`` and the eigenvalue frequencies, then repeatedly take
    ``gamma = (1 - 2 tol) r_best``, find the frequencies where ``sigma_min`` crosses ``gamma`` and evaluate it at the
    midpoints of consecutive crossings; stop when ``H(gamma)`` has no imaginary eigenvalue (so ``r >= gamma``), i.e.
    relative accuracy ``2 tol``.  ``method="grid"``: a grid on ``[-omega_max, omega_max]`` (default ``2 ||A||_2``; only
    ``omega >= 0`` for real ``A``) refined by bounded scalar minimization (the check).
    """
    A = check_square(A, "A")
    if method not in ("bb", "grid"):
        raise ValueError(f"method must be 'bb' or 'grid', got {method!r}")
    tol = check_scalar(tol, "tol", positive=True)
    max_iter, n_grid = check_int(max_iter, "max_iter"), check_int(n_grid, "n_grid")
    if omega_max is not None:
        omega_max = check_scalar(omega_max, "omega_max", positive=True)
    lam = np.linalg.eigvals(A)
    if lam.real.max() >= 0:
        return 0.0, float(lam[np.argmax(lam.real)].imag)
    smin = lambda w: float(np.linalg.svd(1j * w * np.eye(A.shape[0]) - A, compute_uv=False)[-1])
    if method == "grid":
        return _stability_radius_grid(A, omega_max, n_grid, **kw)
    Ac = A.astype(np.complex128)
    cand = np.unique(np.concatenate([[0.0], lam.imag]))
    vals = np.array([smin(w) for w in cand])
    best, w_best = float(vals.min()), float(cand[np.argmin(vals)])
    for _ in range(max_iter):
        gamma = (1.0 - 2.0 * tol) * best
        om = _hamiltonian_imag_eigs(Ac, gamma, 1e-8)
        if om.size < 2:
            break
        mids = 0.5 * (om[:-1] + om[1:])
        mv = np.array([smin(w) for w in mids])
        k = int(np.argmin(mv))
        if mv[k] >= best:
            break
        best, w_best = float(mv[k]), float(mids[k])
    return best, w_best


def _stability_radius_grid(A, omega_max: float | None = None, n_grid: int = 400, **kw):
    """Grid + refinement estimate of ``min_omega sigma_min(i omega I - A)`` (see :func:`stability_radius`)."""
    from scipy.optimize import minimize_scalar

    A = np.asarray(A)
    W = float(omega_max if omega_max is not None else 2 * np.linalg.norm(A, 2))
    real = not np.iscomplexobj(A)
    lo = 0.0 if real else -W
    # dense near 0 (where sigma_min of HiPPO-type matrices is smallest), linear out to W
    g = np.unique(np.concatenate([np.linspace(lo, W, n_grid), np.sign(np.linspace(-1, 1, n_grid)) * np.geomspace(1e-3, W, n_grid) if not real else np.geomspace(1e-3, W, n_grid)]))
    g = g[(g >= lo) & (g <= W)]
    s = sigma_min(A, 1j * g, **kw)
    i = int(np.argmin(s))
    a, b = g[max(i - 1, 0)], g[min(i + 1, g.size - 1)]
    if b > a:
        res = minimize_scalar(lambda w: float(sigma_min(A, np.array([1j * w]), **kw)[0]), bounds=(a, b), method="bounded",
                              options=dict(xatol=1e-10 * max(1.0, abs(b))))
        if res.fun < s[i]:
            return float(res.fun), float(res.x)
    return float(s[i]), float(g[i])
