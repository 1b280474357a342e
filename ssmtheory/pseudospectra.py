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

``sigma_min = lambda_max(M)^{-1/2}``.  Measured on the 2-core CPU (benchmarks/bench_pseudospectra.py), the batched
SVD of the triangular factor is 5-8x faster than our jitted Lanczos up to N = 64, so ``method="auto"`` uses the SVD
path up to ``svd_max_n = 512``; the Lanczos path is kept (tested) for larger N and for accelerators.  In float64 the result is meaningful only above the round-off floor
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


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def sigma_min(A, z, method: str = "auto", normal: bool | None = None, chunk: int = 512, tol: float = 1e-14,
              max_iter: int = 40, svd_max_n: int = 512):
    """``sigma_min(z_i I - A)`` for every complex point of ``z``: float64 array of ``z``'s shape.

    ``method``: ``"auto"`` (normal fast path if ``A`` is normal, SVD of the triangular factor for
    ``N <= svd_max_n``, else inverse Lanczos), ``"normal"``, ``"svd"``, ``"lanczos"``.  ``normal=True/False``
    overrides the normality test.  Lanczos: ``chunk`` points per jitted call, at most ``max_iter`` steps,
    stopping when every point's largest Ritz value changed by less than ``tol`` (relative).  Needs
    ``jax_enable_x64`` for float64 accuracy (enabled locally if possible).
    """
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    z = np.asarray(z, np.complex128)
    shape = z.shape
    N = A.shape[0]
    if method not in ("auto", "normal", "svd", "lanczos"):
        raise ValueError(f"unknown method {method!r}")
    if method == "normal" or (method == "auto" and (normal if normal is not None else is_normal(A))):
        lam = np.linalg.eigvals(A.astype(np.complex128))
        zf = z.reshape(-1)
        out = np.empty(zf.size)
        for s in range(0, zf.size, 4096):
            out[s : s + 4096] = np.abs(zf[s : s + 4096, None] - lam[None, :]).min(1)
        return out.reshape(shape)
    T = schur_triangular(A)
    if method == "svd" or (method == "auto" and N <= svd_max_n):
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
