"""System norms of discrete-time LTI systems (host-side NumPy float64 / complex128).

Convention of THIS module (the control-engineering one, as in python-control and
``scipy.signal.dlti``)::

    s_{k+1} = A s_k + B u_k,     y_k = C s_k + D u_k,     s_0 = 0,

so the impulse response is ``h_0 = D`` and ``h_k = C A^{k-1} B`` for ``k >= 1`` and the
transfer function is ``G(z) = C (zI - A)^{-1} B + D``.  ``A`` is either dense ``(P, P)`` or a
1-D ``(P,)`` eigenvalue vector meaning ``diag(A)`` (real or complex); ``B (P, H_in)``,
``C (H_out, P)`` and ``D (H_out, H_in)`` are 2-D (``D=None`` means zeros).

The package's SSM layers use the S4/S5 convention (``x_k = Lambda_bar x_{k-1} + B_bar u_k``,
``y_k = Re(C x_k) + D u_k``); :func:`layer_to_standard` converts such a layer into an
equivalent standard-form system so every norm here applies to it.

Norms (all of the map ``u -> y`` defined by the impulse response ``h``):

* :func:`h2_norm`   ``||h||_2 = sqrt(sum_k ||h_k||_F^2)``  (Gramian / Lyapunov formula);
* :func:`l1_norm`   ``sum_k ||h_k||`` (induced ``l_inf -> l_inf`` gain for ``norm="inf"``),
  returned with a certified two-sided enclosure;
* :func:`hinf_norm` ``sup_w sigma_max(G(e^{iw}))`` (induced ``l_2 -> l_2`` gain).

References: K. Zhou, J. Doyle, K. Glover, *Robust and Optimal Control* (1996), ch. 4
(H2 / H_inf norms and Gramians); M. A. Dahleh, I. J. Diaz-Bobillo, *Control of Uncertain
Systems: A Linear Programming Approach* (1995), ch. 4 (l1 norm of discrete systems);
R. A. Horn, C. R. Johnson, *Matrix Analysis* (2nd ed., 2013), sec. 5.6 (matrix norm
inequalities used for the tail bounds).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

from ssmtheory._validate import as_array, check_choice, check_int, check_positive, check_size

__all__ = [
    "L1Norm",
    "dense_tail_constants",
    "frequency_response",
    "h2_norm",
    "hinf_norm",
    "impulse_response",
    "l1_norm",
    "layer_to_standard",
    "solve_stein",
    "spectral_radius",
]

_CHUNK = 1024


# ----------------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------------
def _to_numpy(x, name, ndim):
    x = np.asarray(as_array(x, name, ndim=ndim))
    if x.dtype.kind in "biu":
        x = x.astype(np.float64)
    elif x.dtype.kind == "f":
        x = x.astype(np.float64, copy=False)
    else:
        x = x.astype(np.complex128, copy=False)
    if 0 in x.shape:
        raise ValueError(f"{name} must be non-empty, got shape {x.shape}")
    return x


def _check_A(A):
    A = _to_numpy(A, "A", (1, 2))
    if A.ndim == 2 and A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square (P, P) or 1-D (P,), got shape {A.shape}")
    return A


def _check_system(A, B, C, D):
    """Validate a standard-form system; return NumPy arrays (A, B, C, D) with D filled in."""
    A = _check_A(A)
    P = A.shape[0]
    B = _to_numpy(B, "B", 2)
    C = _to_numpy(C, "C", 2)
    if B.shape[0] != P:
        raise ValueError(f"B must have P={P} rows (the state size of A), got shape {B.shape}")
    if C.shape[1] != P:
        raise ValueError(f"C must have P={P} columns (the state size of A), got shape {C.shape}")
    H_out, H_in = C.shape[0], B.shape[1]
    if D is None:
        D = np.zeros((H_out, H_in))
    else:
        D = _to_numpy(D, "D", 2)
        if D.shape != (H_out, H_in):
            raise ValueError(f"D must have shape (H_out, H_in)={(H_out, H_in)} (rows of C, columns of B), got {D.shape}")
    return A, B, C, D


def _radius(A):
    return float(np.max(np.abs(A))) if A.ndim == 1 else float(np.max(np.abs(np.linalg.eigvals(A))))


def _require_stable(A):
    rho = _radius(A)
    if not rho < 1.0:
        raise ValueError(
            f"A must have spectral radius < 1 (stable discrete-time system; the norm is infinite otherwise), "
            f"got spectral radius {rho:.6g}"
        )
    return rho


def _matrix_norms(h, norm):
    """Norms of a stack ``h (n, H_out, H_in)`` -> ``(n,)``."""
    if norm == "inf":
        return np.abs(h).sum(axis=2).max(axis=1)
    if norm == "fro":
        return np.sqrt((np.abs(h) ** 2).sum(axis=(1, 2)))
    # spectral norm
    if h.shape[1] == 1 or h.shape[2] == 1:
        return np.sqrt((np.abs(h) ** 2).sum(axis=(1, 2)))
    return np.linalg.norm(h, ord=2, axis=(1, 2))


# ----------------------------------------------------------------------------------------------
# basic quantities
# ----------------------------------------------------------------------------------------------
def spectral_radius(A) -> float:
    """Spectral radius ``rho(A) = max_j |lambda_j(A)|``.

    ``A`` is dense ``(P, P)`` (eigenvalues via ``numpy.linalg.eigvals``) or a 1-D eigenvalue
    vector ``(P,)`` (then ``max |A_j|``).  The system is asymptotically stable iff ``rho < 1``.
    """
    return _radius(_check_A(A))


def impulse_response(A, B, C, D, n) -> np.ndarray:
    """Impulse response ``h_0 = D``, ``h_k = C A^{k-1} B`` (k >= 1), as an ``(n, H_out, H_in)`` array.

    ``h[k, :, i]`` is the output at time ``k`` for a unit impulse on input ``i`` at time 0.
    Diagonal ``A`` (1-D): ``h_k = sum_j C[:, j] lambda_j^{k-1} B[j, :]`` by broadcasting;
    dense ``A``: repeated multiplication ``X_k = A X_{k-1}``, ``X_1 = B``.  Real inputs give a
    real output, otherwise complex128.  No stability requirement.
    """
    A, B, C, D = _check_system(A, B, C, D)
    n = check_int(n, "n", minimum=1)
    dtype = np.result_type(A, B, C, D)
    H_out, H_in = D.shape
    check_size(n * H_out * H_in * np.dtype(dtype).itemsize, "n", "impulse response")
    h = np.empty((n, H_out, H_in), dtype=dtype)
    h[0] = D
    if n == 1:
        return h
    if A.ndim == 1:
        for k0 in range(1, n, _CHUNK):
            k1 = min(n, k0 + _CHUNK)
            pw = A[None, :] ** np.arange(k0 - 1, k1 - 1)[:, None]  # lambda^{k-1}
            h[k0:k1] = (C[None] * pw[:, None, :]) @ B
    else:
        X = B.astype(dtype)
        for k in range(1, n):
            h[k] = C @ X
            X = A @ X
    return h


def frequency_response(A, B, C, D, w) -> np.ndarray:
    """Frequency response ``G(e^{i w}) = C (e^{i w} I - A)^{-1} B + D`` -> ``(len(w), H_out, H_in)``.

    Diagonal ``A``: ``G = sum_j C[:, j] B[j, :] / (e^{iw} - lambda_j)`` (O(P) per frequency by
    broadcasting); dense ``A``: batched ``numpy.linalg.solve``.  Raises ``ValueError`` (naming
    ``w``) if ``e^{iw}`` is an eigenvalue of ``A`` at a requested frequency.
    """
    A, B, C, D = _check_system(A, B, C, D)
    w = np.atleast_1d(_to_numpy(w, "w", (0, 1)))
    if w.dtype.kind == "c":
        raise ValueError("w must be real (frequencies in radians per sample)")
    return _freq_resp(A, B, C, D, w)


def _freq_resp(A, B, C, D, w):
    z = np.exp(1j * w)
    out = np.empty((w.size, D.shape[0], D.shape[1]), dtype=np.complex128)
    step = 4096 if A.ndim == 1 else max(1, 2**22 // (A.shape[0] ** 2 + 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        for s in range(0, w.size, step):
            zz = z[s : s + step]
            if A.ndim == 1:
                R = 1.0 / (zz[:, None] - A[None, :])
                out[s : s + step] = (C[None] * R[:, None, :]) @ B + D
            else:
                P = A.shape[0]
                M = zz[:, None, None] * np.eye(P) - A[None]
                try:
                    X = np.linalg.solve(M, np.broadcast_to(B, (zz.size,) + B.shape))
                except np.linalg.LinAlgError:
                    raise ValueError("w hits a frequency where e^{iw} is an eigenvalue of A (G has a pole there)") from None
                out[s : s + step] = C @ X + D
    if not np.all(np.isfinite(out)):
        raise ValueError("w hits a frequency where e^{iw} is an eigenvalue of A (G has a pole there)")
    return out


# ----------------------------------------------------------------------------------------------
# bridge from the S4/S5 layer convention
# ----------------------------------------------------------------------------------------------
def layer_to_standard(Lambda_bar, B_bar, C, D=None, conj_sym: bool = False):
    """Convert an S4/S5 discrete layer into a standard-form system with the same impulse response.

    Layer (package convention): ``x_k = Lambda_bar x_{k-1} + B_bar u_k``, ``x_{-1} = 0``,
    ``y_k = c Re(C x_k) + D u_k`` with ``c = 2`` if ``conj_sym`` else ``1`` (real input ``u``).

    1. *Re(.) by conjugate augmentation.*  ``conj(x_k)`` obeys the same recursion with
       ``conj(Lambda_bar), conj(B_bar)``, and ``c Re(C x) = (c/2) (C x + conj(C) conj(x))``, so
       with ``z_k = [x_k; conj x_k]``::

           A' = [Lambda_bar, conj Lambda_bar],  B' = [B_bar; conj B_bar],  C' = (c/2) [C, conj C],
           z_k = A' z_{k-1} + B' u_k,            y_k = C' z_k + D u_k.

       If ``Lambda_bar`` and ``B_bar`` are real, ``x_k`` is real and no augmentation is needed:
       ``A' = Lambda_bar, B' = B_bar, C' = c Re(C)``.
    2. *Shift to the standard convention.*  Put ``s_k := z_{k-1}`` (so ``s_0 = z_{-1} = 0``).
       Then ``s_{k+1} = z_k = A' s_k + B' u_k`` and::

           y_k = C' z_k + D u_k = C' (A' z_{k-1} + B' u_k) + D u_k = C' A' s_k + (C' B' + D) u_k,

       i.e. ``A = A'``, ``B = B'``, ``C_std = C' diag(A')``, ``D_std = C' B' + D`` (real:
       ``C' B' = c Re(C B_bar)``).  Impulse response: ``h_0 = C' B' + D``,
       ``h_k = C' A'^{k} B'`` -- the layer's output at time ``k`` for ``u = delta``.

    Returns ``(A, B, C, D)`` with ``A`` 1-D (complex of length ``2P`` after augmentation, or real
    of length ``P``).  The impulse response of the result is real up to round-off.
    """
    lam = _to_numpy(Lambda_bar, "Lambda_bar", 1)
    P = lam.shape[0]
    Bb = _to_numpy(B_bar, "B_bar", 2)
    Cc = _to_numpy(C, "C", 2)
    if Bb.shape[0] != P:
        raise ValueError(f"B_bar must have P={P} rows (the length of Lambda_bar), got shape {Bb.shape}")
    if Cc.shape[1] != P:
        raise ValueError(f"C must have P={P} columns (the length of Lambda_bar), got shape {Cc.shape}")
    H_out, H_in = Cc.shape[0], Bb.shape[1]
    if D is None:
        Dd = np.zeros((H_out, H_in))
    else:
        Dd = _to_numpy(D, "D", 2)
        if Dd.shape != (H_out, H_in):
            raise ValueError(f"D must have shape (H_out, H_in)={(H_out, H_in)}, got {Dd.shape}")
        if Dd.dtype.kind == "c":
            raise ValueError("D must be real (the layer output is real)")
    if not isinstance(conj_sym, (bool, np.bool_)):
        raise ValueError(f"conj_sym must be a bool, got {conj_sym!r}")
    c = 2.0 if conj_sym else 1.0
    if lam.dtype.kind == "f" and Bb.dtype.kind == "f":
        A_ = lam
        B_ = Bb
        C_ = c * np.real(Cc)
        D_std = C_ @ B_ + Dd
    else:
        A_ = np.concatenate([lam, np.conj(lam)]).astype(np.complex128)
        B_ = np.concatenate([Bb, np.conj(Bb)], axis=0).astype(np.complex128)
        C_ = (c / 2.0) * np.concatenate([Cc, np.conj(Cc)], axis=1).astype(np.complex128)
        D_std = c * np.real(Cc @ Bb) + Dd  # == C' B' + D, exactly real
    C_std = C_ * A_[None, :]
    return A_, B_, C_std, np.asarray(D_std, dtype=np.float64)


# ----------------------------------------------------------------------------------------------
# H2
# ----------------------------------------------------------------------------------------------
def h2_norm(A, B, C, D=None, method: str = "auto") -> float:
    """H2 norm ``||G||_2 = sqrt(sum_{k>=0} ||h_k||_F^2) = sqrt(||D||_F^2 + tr(C W C^*))``.

    ``W = sum_{k>=0} A^k B B^* A^{*k}`` is the controllability Gramian, the solution of the
    Stein (discrete Lyapunov) equation ``W = A W A^* + B B^*`` (Zhou-Doyle-Glover sec. 4.4,
    discrete-time version).

    * ``method="closed_form"`` (1-D ``A`` only): ``W_jl = (B B^*)_jl / (1 - lambda_j conj(lambda_l))``
      (sum of the geometric series entrywise).
    * ``method="lyapunov"``: :func:`solve_stein`, a backward-stable complex-Schur (Bartels-Stewart /
      Kitagawa) solver (a 1-D ``A`` is passed as ``np.diag(A)``, so the two methods can be cross-checked).
      SciPy's default for ``n < 10`` is a Kronecker direct solve, which lost 9.8 % on a dense system with
      ``kappa(V) ~ 1e5``; the Schur solver is checked against an mpmath sum in the tests.
    * ``method="auto"``: closed form for 1-D ``A``, Lyapunov otherwise.

    Raises ``ValueError`` naming ``A`` when ``rho(A) >= 1`` (the norm is infinite).
    """
    A, B, C, D = _check_system(A, B, C, D)
    check_choice(method, "method", {"auto", "closed_form", "lyapunov"})
    _require_stable(A)
    if method == "auto":
        method = "closed_form" if A.ndim == 1 else "lyapunov"
    BB = B @ B.conj().T
    if method == "closed_form":
        if A.ndim != 1:
            raise ValueError("method='closed_form' requires a diagonal A given as a 1-D eigenvalue vector")
        W = BB / (1.0 - A[:, None] * np.conj(A)[None, :])
    else:
        Ad = np.diag(A) if A.ndim == 1 else A
        W = solve_stein(Ad, BB)
    tr = np.real(np.einsum("op,pq,oq->", C, W, np.conj(C)))
    val = float(np.sum(np.abs(D) ** 2)) + max(float(tr), 0.0)
    return math.sqrt(val)


def solve_stein(A, Q) -> np.ndarray:
    """Solve the Stein (discrete Lyapunov) equation ``X = A X A^* + Q`` by the complex Schur method.

    ``A = U T U^*`` (complex Schur, ``T`` upper triangular) turns it into ``Y = T Y T^* + U^* Q U``;
    column ``j`` of ``Y`` (from the last to the first) solves the triangular system
    ``(I - conj(T_jj) T) y_j = q_j + T sum_{l>j} conj(T_jl) y_l`` (Kitagawa 1977; the discrete
    Bartels-Stewart algorithm), O(n^3) and backward stable.  Requires ``rho(A) < 1``
    (``ValueError`` naming ``A`` otherwise).  Returns ``U Y U^*`` (Hermitian part when ``Q`` is Hermitian).
    """
    A = _to_numpy(A, "A", 2)
    Q = _to_numpy(Q, "Q", 2)
    n = A.shape[0]
    if A.shape != (n, n):
        raise ValueError(f"A must be square, got shape {A.shape}")
    if Q.shape != (n, n):
        raise ValueError(f"Q must have shape {(n, n)}, got {Q.shape}")
    _require_stable(A)
    T, U = scipy.linalg.schur(A.astype(np.complex128), output="complex")
    W = U.conj().T @ Q.astype(np.complex128) @ U
    Y = np.zeros((n, n), dtype=np.complex128)
    acc = np.zeros(n, dtype=np.complex128)  # sum_{l>j} conj(T_jl) y_l, updated column by column
    eye = np.eye(n)
    for j in range(n - 1, -1, -1):
        acc = Y[:, j + 1:] @ np.conj(T[j, j + 1:]) if j + 1 < n else np.zeros(n, dtype=np.complex128)
        rhs = W[:, j] + T @ acc
        Y[:, j] = scipy.linalg.solve_triangular(eye - np.conj(T[j, j]) * T, rhs, lower=False)
    X = U @ Y @ U.conj().T
    if np.allclose(Q, Q.conj().T, rtol=0, atol=0):
        X = 0.5 * (X + X.conj().T)
    if not (np.iscomplexobj(A) or np.iscomplexobj(Q)):
        X = X.real
    return X


# ----------------------------------------------------------------------------------------------
# l1
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class L1Norm:
    """Certified enclosure ``value <= sum_k ||h_k|| <= upper`` of an l1 norm.

    ``value`` is the truncated sum over ``n_terms`` impulse-response terms (``h_0 .. h_{n_terms-1}``),
    ``upper = value + (tail bound)``.  ``float(result)`` raises ``TypeError``: say ``.upper`` where an
    upper bound is meant (bounds) and ``.value`` for the truncated sum, never an ambiguous float.
    """

    value: float
    upper: float
    n_terms: int

    def __float__(self) -> float:
        raise TypeError("an l1 enclosure is not one number: use .upper (certified upper bound) or .value (truncated sum)")

    @property
    def rel_gap(self) -> float:
        return (self.upper - self.value) / self.value if self.value > 0 else 0.0


def _norm_factor_from_2(norm, H_out, H_in):
    """Constant ``f`` with ``||X||_norm <= f ||X||_2`` for every ``H_out x H_in`` matrix ``X``.

    * ``inf``: ``||X||_inf = max_i ||x_i^T||_1 <= sqrt(H_in) max_i ||x_i^T||_2 <= sqrt(H_in) ||X||_2``
      (Cauchy-Schwarz on each row; a row's 2-norm is ``||e_i^T X||_2 <= ||X||_2``).
    * ``fro``: ``||X||_F^2 = sum of sigma_i^2 <= rank(X) sigma_1^2``, ``rank <= min(H_out, H_in)``.
    * ``2``: 1.
    """
    if norm == "inf":
        return math.sqrt(H_in)
    if norm == "fro":
        return math.sqrt(min(H_out, H_in))
    return 1.0


def dense_tail_constants(A, B, max_m: int = 100_000):
    """Return ``(m, q, S)`` with ``q = ||A^m||_2 < 1`` and ``S = sum_{r<m} ||A^r B||_2 / (1 - q)``.

    Then for every ``K >= 1`` and every matrix ``G`` (proof in :func:`l1_norm`)::

        sum_{k>=K} ||C A^{k-1} B||_2 <= ||C A^{K-1}||_2 * S.

    ``m`` is the first power with ``||A^m||_2 <= 1/2``, or (after 4096 powers) the best of those
    with ``||A^m||_2 < 1`` seen so far.  Raises ``ValueError`` naming ``A`` if none is found within
    ``max_m`` powers.
    """
    A = _to_numpy(A, "A", 2)
    B = _to_numpy(B, "B", 2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    if B.shape[0] != A.shape[0]:
        raise ValueError(f"B must have {A.shape[0]} rows to match A, got shape {B.shape}")
    max_m = check_int(max_m, "max_m")
    Am = np.eye(A.shape[0], dtype=A.dtype)
    X = B.astype(np.result_type(A, B))
    partial = 0.0
    best = None
    for m in range(1, max_m + 1):
        partial += np.linalg.norm(X, 2)  # ||A^{m-1} B||_2
        X = A @ X
        Am = Am @ A
        q = float(np.linalg.norm(Am, 2))
        if q < 1.0:
            S = partial / (1.0 - q)
            if best is None or S < best[2]:
                best = (m, q, S)
            if q <= 0.5 or (m >= 4096 and best is not None):
                return best
    if best is not None:
        return best
    raise ValueError(
        f"A is too close to the unit circle (or too non-normal) to certify an l1 tail bound: "
        f"||A^m||_2 >= 1 for all m <= {max_m}"
    )


def _diagonal_terms(A, B, C, norm):
    """``(tail, chunk)`` for a diagonal ``A``: the rank-one tail bound ``T(K)`` and the terms ``h_k0 .. h_{k1-1}``."""
    absl = np.abs(A)
    if norm == "inf":
        coef = np.abs(C).max(axis=0) * np.abs(B).sum(axis=1)
    else:
        coef = np.linalg.norm(C, axis=0) * np.linalg.norm(B, axis=1)
    coef = coef / (1.0 - absl)

    def tail(K):
        return float(np.sum(coef * absl ** (K - 1)))

    def chunk(k0, k1):
        pw = A[None, :] ** np.arange(k0 - 1, k1 - 1)[:, None]
        return (C[None] * pw[:, None, :]) @ B

    return tail, chunk


def _dense_terms(A, B, C, norm):
    """``(tail, chunk)`` for a dense ``A``; ``chunk`` must be called on consecutive ranges (it carries ``C A^{k0-1}``)."""
    H_out, H_in = C.shape[0], B.shape[1]
    _, _, S = dense_tail_constants(A, B)
    fac = _norm_factor_from_2(norm, H_out, H_in)
    dtype = np.result_type(A, B, C)
    # M[i] = A^i B for i < _CHUNK by doubling; Ac = A^_CHUNK
    M = B.astype(dtype)[None]
    Ap = A.astype(dtype)
    while M.shape[0] < _CHUNK:
        M = np.concatenate([M, Ap @ M], axis=0)
        Ap = Ap @ Ap
    Ac = Ap
    state = {"G": C.astype(dtype), "k0": 1}  # G = C A^{k0-1}

    def tail(K):
        assert K == state["k0"]
        return fac * float(np.linalg.norm(state["G"], 2)) * S

    def chunk(k0, k1):
        assert k0 == state["k0"]
        G = state["G"]
        h = G @ M[: k1 - k0]
        state["G"] = G @ Ac if k1 - k0 == _CHUNK else G @ np.linalg.matrix_power(A.astype(dtype), k1 - k0)
        state["k0"] = k1
        return h

    return tail, chunk


def l1_norm(A, B, C, D=None, norm="inf", rtol: float = 1e-10, max_terms: int = 10**6) -> L1Norm:
    """l1 norm ``||h||_1 = sum_{k>=0} ||h_k||`` of the impulse response, with a certified enclosure.

    ``norm="inf"`` (default) uses the induced infinity norm (max absolute row sum), making
    ``||h||_1`` the induced ``l_inf -> l_inf`` gain of the system (Dahleh & Diaz-Bobillo ch. 4);
    ``norm="fro"`` and ``norm=2`` (spectral) are also accepted.

    The sum is truncated after ``K`` terms and a geometric tail bound ``T(K)`` is added, so
    ``value = sum_{k<K} ||h_k|| <= true <= value + T(K) = upper`` (exact arithmetic; the computed
    values carry ordinary floating-point round-off).  Terms are processed in vectorised chunks
    until ``upper - value <= rtol * value`` or ``max_terms`` terms (then a ``RuntimeWarning``;
    the enclosure is still valid, just not ``rtol``-tight).

    Tail bounds (``K >= 1``; ``h_k = C A^{k-1} B``):

    * diagonal ``A``: ``h_k = sum_j lambda_j^{k-1} C[:, j] B[j, :]`` (rank-one terms), hence
      ``sum_{k>=K} ||h_k|| <= sum_j ||C[:, j] B[j, :]|| |lambda_j|^{K-1} / (1 - |lambda_j|)`` with
      ``||c b^T||_inf = ||c||_inf ||b||_1`` and ``||c b^T||_F = ||c b^T||_2 = ||c||_2 ||b||_2``.
    * dense ``A``: pick ``m`` with ``q = ||A^m||_2 < 1`` (exists since ``rho(A) < 1``, Gelfand).
      Every ``k >= K`` is uniquely ``k - 1 = (K - 1) + t m + r`` with ``t >= 0``, ``0 <= r < m``, and
      ``C A^{k-1} B = (C A^{K-1}) (A^m)^t (A^r B)``, so by submultiplicativity
      ``||h_k||_2 <= ||C A^{K-1}||_2 q^t ||A^r B||_2``; summing over ``t`` and ``r``::

          sum_{k>=K} ||h_k||_2 <= ||C A^{K-1}||_2 * (sum_{r<m} ||A^r B||_2) / (1 - q)
                               <= ||C||_2 ||B||_2 ||A^{K-1}||_2 (sum_{r<m} ||A^r||_2) / (1 - q).

      (We use the first, sharper line.)  Converted to the requested norm with
      ``||X||_inf <= sqrt(H_in) ||X||_2`` and ``||X||_F <= sqrt(min(H_out, H_in)) ||X||_2``.

    Raises ``ValueError`` naming ``A`` when ``rho(A) >= 1``.
    """
    A, B, C, D = _check_system(A, B, C, D)
    if norm not in ("inf", "fro", 2) or isinstance(norm, bool):
        raise ValueError(f"norm must be one of 'inf', 'fro', 2, got {norm!r}")
    check_positive(rtol, "rtol")
    max_terms = check_int(max_terms, "max_terms", minimum=2)
    _require_stable(A)

    value = float(_matrix_norms(D[None], norm)[0])
    K = 1  # number of terms summed so far (h_0 .. h_{K-1})

    tail, chunk = (_diagonal_terms if A.ndim == 1 else _dense_terms)(A, B, C, norm)
    T = tail(K)
    while T > rtol * value and K < max_terms:
        k1 = min(max_terms, K + _CHUNK)
        value += float(np.sum(_matrix_norms(chunk(K, k1), norm)))
        K = k1
        T = tail(K)
    if T > rtol * value:
        warnings.warn(
            f"l1_norm: max_terms={max_terms} reached with relative gap {T / value:.3g} > rtol={rtol:g}; "
            "the enclosure [value, upper] is valid but not rtol-tight",
            RuntimeWarning,
            stacklevel=2,
        )
    return L1Norm(value=float(value), upper=float(value + T), n_terms=int(K))


# ----------------------------------------------------------------------------------------------
# H-infinity
# ----------------------------------------------------------------------------------------------
def _sigma_max(G):
    if G.shape[1] == 1 or G.shape[2] == 1:
        return np.sqrt((np.abs(G) ** 2).sum(axis=(1, 2)))
    return np.linalg.svd(G, compute_uv=False)[:, 0]


def hinf_norm(A, B, C, D=None, n_grid: int = 2048, refine: bool = True) -> float:
    """H-infinity norm ``||G||_inf = sup_w sigma_max(G(e^{iw}))``, ``G(z) = C (zI - A)^{-1} B + D``.

    Equals the induced ``l_2 -> l_2`` gain of the system (Zhou-Doyle-Glover ch. 4).  For a real
    system ``G(e^{-iw}) = conj G(e^{iw})`` so ``w in [0, pi]`` suffices; otherwise ``[-pi, pi]``.

    Algorithm: a frequency sweep over ``n_grid`` uniform points **plus the eigenvalue angles**
    ``angle(lambda_j)`` and points ``angle(lambda_j) +- d (1 - |lambda_j|)`` for
    ``d in {1/4, 1/2, 1, 2, 4}`` (the resonant peak of a lightly damped mode has width
    ``~ 1 - |lambda_j|`` and would be missed by a uniform grid), followed by bounded Brent
    refinement (``scipy.optimize.minimize_scalar(method="bounded")``) of the best few grid local
    maxima on their neighbouring grid interval.  The returned value is the largest gain evaluated,
    so it is a lower bound of the true norm up to round-off, and equals it when the peak's
    neighbourhood is unimodal.

    Raises ``ValueError`` naming ``A`` when ``rho(A) >= 1`` (the norm is infinite or undefined).
    """
    A, B, C, D = _check_system(A, B, C, D)
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    check_size(16 * n_grid * (D.shape[0] * D.shape[1] + A.shape[0]), "n_grid", "frequency-response grid")
    if not isinstance(refine, (bool, np.bool_)):
        raise ValueError(f"refine must be a bool, got {refine!r}")
    _require_stable(A)
    real = all(x.dtype.kind == "f" for x in (A, B, C, D))
    lo, hi = (0.0, np.pi) if real else (-np.pi, np.pi)

    lam = A if A.ndim == 1 else np.linalg.eigvals(A)
    ang = np.angle(lam)
    if real:
        ang = np.abs(ang)
    damp = np.maximum(1.0 - np.abs(lam), 0.0)
    offs = np.array([0.25, 0.5, 1.0, 2.0, 4.0])
    extra = np.concatenate([ang, (ang[:, None] + damp[:, None] * offs).ravel(), (ang[:, None] - damp[:, None] * offs).ravel()])
    w = np.concatenate([np.linspace(lo, hi, n_grid), extra])
    w = np.unique(np.clip(w, lo, hi))

    sig = _sigma_max(_freq_resp(A, B, C, D, w))
    best = float(sig.max())
    if not refine or w.size < 3:
        return best

    def f(x):
        return -float(_sigma_max(_freq_resp(A, B, C, D, np.array([x])))[0])

    # local maxima of the sampled curve (endpoints included)
    left = np.concatenate([[-np.inf], sig[:-1]])
    right = np.concatenate([sig[1:], [-np.inf]])
    cand = np.flatnonzero((sig >= left) & (sig >= right))
    cand = cand[np.argsort(sig[cand])[::-1][:8]]
    for i in cand:
        a = w[max(i - 1, 0)]
        b = w[min(i + 1, w.size - 1)]
        if b <= a:
            continue
        res = scipy.optimize.minimize_scalar(f, bounds=(a, b), method="bounded", options={"xatol": 1e-14})
        if np.isfinite(res.fun):
            best = max(best, -float(res.fun))
    return best
