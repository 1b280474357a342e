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
* ``method="lanczos"``: Lanczos on ``M = (zI - T)^{-1} (zI - T)^{-*}`` (two triangular substitutions per
  step, ``O(N^2)``), all points of a chunk advanced together in one jitted loop (points along the fast axis),
  with full re-orthogonalization, a convergence test on the largest Ritz value (relative change below
  ``tol``) and an overflow guard (the two substitutions are normalized separately, the operator is
  rescaled by its first Rayleigh quotient, non-finite results are mapped to 0, i.e. below the floor).

* ``method="lanczos_grid"``: the same inverse Lanczos vectorized across ALL points in NumPy: each triangular
  substitution is a loop over the N rows whose steps are single operations on a (rows, points) array (row blocks
  coupled by one GEMM with the shared off-diagonal part of ``T``), converged points leave the working set.

``sigma_min = lambda_max(M)^{-1/2}``.  Measured on the shared 2-core CPU (benchmarks/bench_pseudospectra.py, 100 x 100
HiPPO-LegS grid, one BLAS thread), ``lanczos_grid`` takes 0.15-0.24 s at N = 32, 0.2-0.37 s at N = 64 (15-17x faster
than one NumPy SVD per point, while the batched SVD is ~1x), 0.36-0.45 s at N = 128 and 0.8-1.2 s at N = 256, agreeing
to ~1e-11 relative where ``sigma >= 1e-6 ||A||``; so ``method="auto"`` uses it for 64 or more points, and the SVD of
the triangular factor for fewer (``N <= svd_max_n``).  The jitted Lanczos is kept (tested) for accelerators.  In float64 the result is meaningful only above the round-off floor
``roundoff_floor(A) = 1e-12 ||A||_2`` (backward error of the Schur form is ``O(eps ||A||)`` and the residual
of the substitutions is ``O(N eps ||A||)``); values below it are reported but must be read as "below the floor".
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = [
    "sigma_min",
    "sigma_min_reference",
    "schur_triangular",
    "is_normal",
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
    return FLOOR_FACTOR * float(np.linalg.norm(np.asarray(A), 2))


def is_normal(A, rtol: float = 1e-12) -> bool:
    """``||A A^* - A^* A||_F <= rtol ||A||_F^2``."""
    A = np.asarray(A)
    nrm = np.linalg.norm(A) ** 2
    return bool(np.linalg.norm(A @ A.conj().T - A.conj().T @ A) <= rtol * max(nrm, 1e-300))


def schur_triangular(A):
    """An upper-triangular ``T`` (complex128) with the same ``sigma_min(zI - .)`` as ``A`` for every ``z``.

    Upper-triangular ``A`` is returned as is, lower-triangular ``A`` as ``A^T`` (no factorization: this keeps
    HiPPO-LegS exact), anything else through ``scipy.linalg.schur(A, output="complex")``.
    """
    import scipy.linalg

    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError("A must be finite")
    if np.array_equal(A, np.triu(A)):
        return A.astype(np.complex128)
    if np.array_equal(A, np.tril(A)):
        return A.T.astype(np.complex128)
    T, _ = scipy.linalg.schur(A.astype(np.complex128), output="complex")
    return np.triu(T)


def sigma_min_reference(A, z):
    """Plain reference: one dense SVD of ``zI - A`` per point (NumPy); same shape as ``z``."""
    A = np.asarray(A, np.complex128)
    z = np.asarray(z, np.complex128)
    eye = np.eye(A.shape[0])
    out = np.empty(z.shape)
    for idx, zi in np.ndenumerate(z):
        out[idx] = np.linalg.svd(zi * eye - A, compute_uv=False)[-1]
    return out


# ---------------------------------------------------------------------------------------------------
# batched inverse Lanczos (JAX)
# ---------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _lanczos_fn(N: int, K: int, m: int):
    import jax
    import jax.numpy as jnp

    def solve(T, d, b):
        # (zI - T) x = b, T upper triangular; d = z - diag(T) (K,), b (N, K); back substitution over rows.
        def body(X, k):
            r = b[k] + T[k] @ X  # entries of X with index <= k are still zero
            X = X.at[k].set(r / d[k])
            return X, None

        X, _ = jax.lax.scan(body, jnp.zeros_like(b), jnp.arange(N - 1, -1, -1))
        return X

    def solve_adj(T, d, b):
        # (zI - T)^* y = b: lower triangular, forward substitution.
        Tc = T.conj().T  # lower

        def body(Y, k):
            r = b[k] + Tc[k] @ Y
            Y = Y.at[k].set(r / d[k].conj())
            return Y, None

        Y, _ = jax.lax.scan(body, jnp.zeros_like(b), jnp.arange(N))
        return Y

    def nrm(x):
        return jnp.sqrt(jnp.sum(jnp.abs(x) ** 2, axis=0))

    def apply_M(T, d, v):
        w1 = solve_adj(T, d, v)
        n1 = nrm(w1)
        w2 = solve(T, d, w1 / n1)
        return w2, n1  # M v = n1 * w2

    def run(T, z, v0, tol):
        d = z[None, :] - jnp.diag(T)[:, None]  # (N, K): z - T_kk
        d = jnp.where(d == 0, 1e-300, d)
        v = v0 / nrm(v0)
        w2, n1 = apply_M(T, d, v)
        scale = n1 * jnp.real(jnp.sum(v.conj() * w2, axis=0))  # Rayleigh quotient of M (> 0)
        scale = jnp.where(jnp.isfinite(scale) & (scale > 0), scale, 1.0)
        Vb = jnp.zeros((m, N, K), v.dtype).at[0].set(v)
        alpha = jnp.zeros((m, K))
        beta = jnp.zeros((m, K))

        def ritz(alpha, beta):
            # largest eigenvalue of the (zero-padded, positive semidefinite) tridiagonal by Sturm bisection
            hi0 = jnp.max(jnp.abs(alpha), axis=0) + 2 * jnp.max(jnp.abs(beta), axis=0) + 1e-300
            b2 = jnp.concatenate([jnp.zeros((1, K)), beta[:-1] ** 2], axis=0)

            def count_below(x):
                def step(q, ab):
                    a_i, b2_i = ab
                    q = a_i - x - b2_i / q
                    q = jnp.where(q == 0, -1e-300, q)
                    return q, q < 0
                _, neg = jax.lax.scan(step, jnp.ones((K,)), (alpha, b2))
                return jnp.sum(neg, axis=0)

            def bis(_, lohi):
                lo, hi = lohi
                mid = 0.5 * (lo + hi)
                allbelow = count_below(mid) >= m
                return jnp.where(allbelow, lo, mid), jnp.where(allbelow, mid, hi)

            lo, hi = jax.lax.fori_loop(0, 56, bis, (jnp.zeros((K,)), hi0))
            return 0.5 * (lo + hi)

        def cond(state):
            j, _, _, _, _, theta_old, theta, _ = state
            conv = jnp.abs(theta - theta_old) <= tol * jnp.abs(theta)
            return (j < m) & ~jnp.all(conv)

        def body(state):
            j, Vb, alpha, beta, w2n1, theta_old, theta, _ = state
            v = Vb[j]
            w = w2n1 / scale
            a = jnp.real(jnp.sum(v.conj() * w, axis=0))
            # full re-orthogonalization (classical Gram-Schmidt twice) against V_0..V_j
            mask = (jnp.arange(m) <= j)[:, None, None]
            for _ in range(2):
                coef = jnp.einsum("mnk,nk->mk", (Vb * mask).conj(), w)
                w = w - jnp.einsum("mnk,mk->nk", Vb * mask, coef)
            b = nrm(w)
            alpha = alpha.at[j].set(a)
            beta = beta.at[j].set(b)
            check = (j % 4 == 3) | (j == m - 1)
            th = jax.lax.cond(check, lambda: ritz(alpha, beta), lambda: theta)
            th_old = jnp.where(check, theta, theta_old)
            vnext = w / jnp.where(b > 0, b, 1.0)
            Vb = jnp.where(j + 1 < m, Vb.at[jnp.minimum(j + 1, m - 1)].set(vnext), Vb)
            w2, n1 = apply_M(T, d, vnext)
            return j + 1, Vb, alpha, beta, w2 * n1, th_old, th, b

        state = (0, Vb, alpha, beta, w2 * n1, jnp.full((K,), -1.0), jnp.full((K,), 1.0), jnp.zeros((K,)))
        j, Vb, alpha, beta, _, _, theta, _ = jax.lax.while_loop(cond, body, state)
        lam = theta * scale
        sig = 1.0 / jnp.sqrt(lam)
        sig = jnp.where(jnp.isfinite(sig), sig, 0.0)
        return sig, j

    return jax.jit(run)


def _sigma_lanczos(T, z, chunk, tol, max_iter):
    import jax

    N = T.shape[0]
    m = int(min(N, max_iter))
    K = int(min(chunk, 1 << max(z.size - 1, 1).bit_length()))
    fn = _lanczos_fn(N, K, m)
    rng = np.random.default_rng(12345)
    v0 = rng.normal(size=(N, 1)) + 1j * rng.normal(size=(N, 1))
    v0 = np.broadcast_to(v0, (N, K)).copy()
    ctx = jax.enable_x64(True) if hasattr(jax, "enable_x64") and not jax.config.jax_enable_x64 else _nullctx()
    with ctx:
        Tj = jax.numpy.asarray(T, jax.numpy.complex128)
        out = np.empty(z.size)
        zf = z.ravel()
        for s in range(0, z.size, K):
            zz = zf[s : s + K]
            n = zz.size
            if n < K:
                zz = np.concatenate([zz, np.full(K - n, zz[-1] if n else 0.0)])
            sig, _ = fn(Tj, jax.numpy.asarray(zz, jax.numpy.complex128), jax.numpy.asarray(v0), tol)
            out[s : s + n] = np.asarray(sig)[:n]
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
    return np.sqrt(np.einsum("nk,nk->k", w.real, w.real) + np.einsum("nk,nk->k", w.imag, w.imag))


def _lanczos_grid_chunk(U, L, diagT, z, m, tol, bs):
    """``sigma_min(zI - T)`` for the points ``z`` (1-D) of one chunk; see :func:`_sigma_lanczos_grid`."""
    N = U.shape[0]
    K = z.size
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        dinv = 1.0 / (diagT[:, None] - z[None, :])  # S = T - zI = U + diag(diagT - z)
    dinvc = dinv.conj()  # S^* = L + diag(conj(diagT - z))
    rng = np.random.default_rng(12345)
    v0 = rng.normal(size=N) + 1j * rng.normal(size=N)
    v0 /= np.linalg.norm(v0)
    V = [np.repeat(v0[:, None], K, 1)]
    Vc = [V[0].conj()]
    alpha = np.zeros((K, m))
    beta = np.zeros((K, m))
    theta = np.zeros(K)
    out = np.zeros(K)
    idx = np.arange(K)
    c = None
    with np.errstate(all="ignore"):
        for j in range(m):
            if c is None:
                # first step: c = 1 / ||S^{-*} v0|| fixes the scale of the operator M' = c S^{-1} S^{-*} (~1/sigma,
                # not 1/sigma^2: no overflow above sigma ~ 1e-300)
                w = _grid_solve_lower(L, dinvc, V[0], bs)
                c = 1.0 / _cnorm(w)
                w = _grid_solve_upper(U, dinv, w * c, bs)
            else:
                w = _grid_solve_upper(U, dinv, _grid_solve_lower(L, dinvc, V[j] * c, bs), bs)
            # Lanczos three-term step + full re-orthogonalization (classical Gram-Schmidt, twice)
            for p in range(2):
                for i in range(j, -1, -1):
                    h = _cdot(Vc[i], w)
                    if p == 0 and i == j:
                        a = h.real
                    w -= V[i] * h
            alpha[:, j] = a
            b = _cnorm(w)
            beta[:, j] = b
            if j == 0:
                th = a
                bad = ~np.isfinite(th)
            elif j == 1:
                a0, a1, b0 = alpha[:, 0], alpha[:, 1], beta[:, 0]
                th = 0.5 * (a0 + a1) + np.hypot(0.5 * (a0 - a1), b0)
                bad = ~np.isfinite(th)
            else:
                Tj = np.zeros((idx.size, j + 1, j + 1))
                r = np.arange(j + 1)
                Tj[:, r, r] = alpha[:, : j + 1]
                Tj[:, r[:-1], r[1:]] = beta[:, :j]
                bad = ~np.isfinite(Tj).all(axis=(1, 2))
                Tj[bad] = 0.0
                th = np.linalg.eigvalsh(Tj, UPLO="U")[:, -1]
            conv = (np.abs(th - theta) <= tol * np.abs(th)) | (b <= 1e-14 * np.abs(th)) | bad | (j == m - 1)
            theta = th
            if conv.any():
                o = 1.0 / np.sqrt(th[conv]) / np.sqrt(1.0 / c[conv])  # lambda_max(M) = theta / c
                o[bad[conv] | ~np.isfinite(o)] = 0.0  # z at (or numerically at) an eigenvalue: below the floor
                out[idx[conv]] = o
                keep = ~conv
                if not keep.any():
                    break
                idx = idx[keep]
                V = [np.compress(keep, x, 1) for x in V]
                Vc = [np.compress(keep, x, 1) for x in Vc]
                w = np.compress(keep, w, 1)
                dinv = np.compress(keep, dinv, 1)
                dinvc = np.compress(keep, dinvc, 1)
                b, c, alpha, beta, theta = b[keep], c[keep], alpha[keep], beta[keep], theta[keep]
            w /= b
            V.append(w)
            Vc.append(w.conj())
    return out


def _sigma_lanczos_grid(T, z, tol=1e-12, max_iter=100, chunk=None, bs=8, mem_bytes=2**32):
    """Inverse Lanczos on ``M = (T - zI)^{-1} (T - zI)^{-*}`` vectorized across ALL points (NumPy).

    Every step advances all still-unconverged points together: the two triangular substitutions are row loops
    whose steps are single vectorized operations over the points (blocks of ``bs`` rows coupled by one GEMM
    with the shared strictly triangular part of ``T``; a real ``T`` uses real GEMMs), followed by full
    re-orthogonalization and the largest Ritz value of each point's tridiagonal (batched ``eigvalsh``).  A point
    stops when its Ritz value changed by at most ``tol`` (relative) or the Krylov space is exhausted; converged
    points are dropped from the working set.  ``chunk`` points at a time (default: as many as keep the Lanczos
    basis below ``mem_bytes`` in the worst case).  Points at an eigenvalue (or with ``sigma`` below ~1e-300)
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
    if chunk is None:
        chunk = max(1024, int(mem_bytes // (2 * 16 * (m + 1) * N)))
    out = np.empty(zf.size)
    with _single_thread_blas():
        for s in range(0, zf.size, chunk):
            out[s : s + chunk] = _lanczos_grid_chunk(U, L, diagT, zf[s : s + chunk], m, tol, bs)
    return out


def _single_thread_blas():
    """One BLAS thread for the grid Lanczos: its products are small and many, and on a shared 2-core machine a
    multi-threaded BLAS made it 4x slower (measured: 0.8 s vs 0.18 s at N = 64, 10^4 points)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return _nullctx()
    return threadpool_limits(limits=1, user_api="blas")


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def sigma_min(A, z, method: str = "auto", normal: bool | None = None, chunk: int = 512, tol: float = 1e-14,
              max_iter: int = 40, svd_max_n: int = 512, grid_tol: float = 1e-12, grid_max_iter: int = 100,
              grid_min_points: int = 64):
    """``sigma_min(z_i I - A)`` for every complex point of ``z``: float64 array of ``z``'s shape.

    ``method``: ``"auto"`` (normal fast path if ``A`` is normal; else, for at least ``grid_min_points`` points,
    the grid-vectorized inverse Lanczos ``"lanczos_grid"``; for fewer points the SVD of the triangular factor if
    ``N <= svd_max_n``, else ``"lanczos_grid"``), ``"normal"``, ``"svd"``, ``"lanczos"`` (jitted per-chunk JAX
    Lanczos), ``"lanczos_grid"``.  ``normal=True/False`` overrides the normality test.  ``"lanczos"``: ``chunk``
    points per jitted call, at most ``max_iter`` steps, stopping when every point's largest Ritz value changed
    by less than ``tol`` (relative); needs ``jax_enable_x64`` for float64 accuracy (enabled locally if
    possible).  ``"lanczos_grid"`` (NumPy, all points at once): at most ``grid_max_iter`` steps per point, each point
    stopping when its largest Ritz value changed by at most ``grid_tol`` (relative).
    """
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    z = np.asarray(z, np.complex128)
    shape = z.shape
    N = A.shape[0]
    if method not in ("auto", "normal", "svd", "lanczos", "lanczos_grid"):
        raise ValueError(f"unknown method {method!r}")
    if method == "normal" or (method == "auto" and (normal if normal is not None else is_normal(A))):
        lam = np.linalg.eigvals(A.astype(np.complex128))
        zf = z.reshape(-1)
        out = np.empty(zf.size)
        for s in range(0, zf.size, 4096):
            out[s : s + 4096] = np.abs(zf[s : s + 4096, None] - lam[None, :]).min(1)
        return out.reshape(shape)
    T = schur_triangular(A)
    if method == "auto":
        method = "svd" if (z.size < grid_min_points and N <= svd_max_n) else "lanczos_grid"
    if method == "lanczos_grid":
        return _sigma_lanczos_grid(T, z, tol=grid_tol, max_iter=grid_max_iter).reshape(shape)
    if method == "svd":
        zf = z.reshape(-1)
        out = np.empty(zf.size)
        eye = np.eye(N)
        step = max(1, 2**22 // (N * N))
        for s in range(0, zf.size, step):
            M = zf[s : s + step, None, None] * eye - T[None]
            out[s : s + step] = np.linalg.svd(M, compute_uv=False)[:, -1]
        return out.reshape(shape)
    return _sigma_lanczos(T, z, chunk, tol, max_iter).reshape(shape)


def pseudospectrum(A, x, y, **kw):
    """``sigma_min`` on the grid ``x + i y`` (``meshgrid``): returns ``(X, Y, S)``; contour ``S`` at levels eps."""
    X, Y = np.meshgrid(np.asarray(x, float), np.asarray(y, float))
    return X, Y, sigma_min(A, X + 1j * Y, **kw)


# ---------------------------------------------------------------------------------------------------
# eigenvector condition numbers
# ---------------------------------------------------------------------------------------------------
def eigvec_condition(A=None, V=None) -> float:
    """float64 ``kappa_2(V)`` of the eigenvector matrix (``numpy.linalg.eig``; columns normalized to unit norm).

    Give ``A`` or the eigenvectors ``V`` themselves.  Saturates near ``1 / eps`` when the true value is larger.
    """
    if V is None:
        _, V = np.linalg.eig(np.asarray(A))
    V = np.asarray(V)
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


def hippo_eigvec_condition_exact(N: int, dps: int | None = None) -> float:
    """Exact ``log2 kappa_2(V_H)`` of HiPPO-LegS (unit columns) in mpmath extended precision.

    The eigenvectors of the lower-triangular ``A_H`` (eigenvalues ``-1..-N``) are obtained by exact
    forward substitution at ``dps`` digits (default ``N + 40``, enough since ``kappa ~ 2^{2.5N}`` needs about
    ``0.75 N`` digits), then ``kappa_2`` from the singular values of ``V`` (``mpmath.svd_r``).  Returns log2.
    """
    import mpmath as mp

    dps = int(dps if dps is not None else N + 40)
    with mp.workdps(dps):
        V = _hippo_eigvecs_mp(int(N), dps)
        s = mp.svd_r(V, compute_uv=False)
        vals = [s[i] for i in range(N)]
        return float(mp.log(max(vals) / min(vals), 2))


def hippo_eig_error(A, exact) -> float:
    """Max relative eigenvalue error of ``numpy.linalg.eig(A)`` against the known ``exact`` spectrum (sorted by real part)."""
    lam = np.linalg.eigvals(np.asarray(A))
    lam = lam[np.argsort(lam.real)]
    ex = np.sort(np.asarray(exact, complex).real)
    return float(np.max(np.abs(lam - ex) / np.abs(ex)))


# ---------------------------------------------------------------------------------------------------
# imaginary axis
# ---------------------------------------------------------------------------------------------------
def resolvent_norm_imag(A, omega, **kw):
    """``||(i omega I - A)^{-1}||_2 = 1 / sigma_min(i omega I - A)`` for real frequencies ``omega``."""
    return 1.0 / sigma_min(A, 1j * np.asarray(omega, float), **kw)


def stability_radius(A, omega_max: float | None = None, n_grid: int = 400, **kw):
    """``(r, omega*)``: ``r = min_omega sigma_min(i omega I - A)`` (``A`` stable), by a grid on
    ``[-omega_max, omega_max]`` (default ``2 ||A||_2``; only ``omega >= 0`` for real ``A``: symmetric) refined by a
    bounded scalar minimization around the best grid point.  ``sup_omega ||(i omega - A)^{-1}||_2 = 1 / r``.
    """
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
