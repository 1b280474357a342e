"""The SSM core: discretization, convolution kernels and three ways to apply a diagonal SSM.

Conventions (S4 / S5, the same everywhere in ``ssmtheory``)::

    continuous   x'(t) = Lambda x(t) + B u(t)            (Lambda diagonal, stored as a vector)
    discrete     x_k   = Lambda_bar x_{k-1} + B_bar u_k,  x_{-1} = 0
    output       y_k   = Re(C x_k) + D u_k                (2 Re(C x_k) when conj_sym=True)

Two layouts:

* **MIMO** (S5 style), :func:`apply_ssm`: ``Lambda_bar (P,)``, ``B_bar (P, H_in)``, ``C (H_out, P)``,
  ``D (H_out, H_in)``, ``u (..., L, H_in)`` -> ``y (..., L, H_out)``;
* **channels** (S4D style, SISO per channel), :func:`apply_ssm_channels`: ``Lambda_bar (H, N)``,
  ``B_bar (H, N)``, ``C (H, N)``, ``D (H,)``, ``u (..., L, H)`` -> ``y (..., L, H)``.

Leading axes of ``u`` are batch axes.  States are complex or real (the dtype of ``Lambda_bar``
decides); with ``conj_sym=True`` only one eigenvalue of each conjugate pair is stored.

Methods (all jitted, all differentiable, all agree to round-off; see tests):

* ``"scan"``: sequential ``lax.scan`` — O(L P) work, depth L; ``B u`` and ``C x`` are fused into the step
  so no ``(L, H, N)`` array is formed;
* ``"associative"``: ``lax.associative_scan`` with the operator
  ``(a_i, b_i) o (a_j, b_j) = (a_j a_i, a_j b_i + b_j)`` — depth O(log L), 2-3x the work;
* ``"fft"``: causal convolution with the Vandermonde kernel ``K_k = Re(C diag(Lambda_bar^k) B_bar)`` by FFT
  of length 2L — O(P L + H L log L).  The kernel is formed as a product of two Vandermonde factors
  ``Lambda_bar^(c m) * Lambda_bar^r`` (c ~ sqrt(L)) so its memory is O(P sqrt(L)), not O(P L);
* ``"auto"``: the fastest for the layout and backend, chosen by ``benchmarks/bench_apply.py``
  (see :func:`choose_method`).
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ssmtheory._validate import as_array, check_choice, check_positive, is_concrete

__all__ = ["METHODS", "DISCRETIZATIONS", "MAX_KERNEL_BYTES", "discretize", "discretize_dense", "diagonalize", "kernel", "layer_impulse_response", "linear_recurrence_op", "linear_scan", "choose_method", "apply_ssm", "apply_ssm_channels"]

METHODS = ("auto", "scan", "associative", "fft")
DISCRETIZATIONS = ("zoh", "bilinear")


# ----------------------------------------------------------------------------------------------
# discretization
# ----------------------------------------------------------------------------------------------
def _expm1(z):
    """``exp(z) - 1`` accurate for small ``|z|``, real or complex (JAX's expm1 is real-only on some versions).

    For ``z = x + i y``: ``expm1(z) = expm1(x) cos y - 2 sin^2(y/2) + i e^x sin y``.
    """
    if not jnp.iscomplexobj(z):
        return jnp.expm1(z)
    x, y = jnp.real(z), jnp.imag(z)
    re = jnp.expm1(x) * jnp.cos(y) - 2.0 * jnp.sin(y / 2) ** 2
    im = jnp.exp(x) * jnp.sin(y)
    return jax.lax.complex(re, im)


def discretize(Lambda, B, dt, method: str = "zoh"):
    """Discretize a diagonal continuous-time system; returns ``(Lambda_bar, B_bar)``.

    * ZOH:       ``Lambda_bar = exp(Lambda dt)``, ``B_bar = (Lambda_bar - 1) / Lambda * B``
      (limit ``dt * B`` at ``Lambda = 0``; computed with an accurate ``expm1``);
    * bilinear:  ``Lambda_bar = (1 + dt Lambda / 2) / (1 - dt Lambda / 2)``, ``B_bar = dt / (1 - dt Lambda / 2) * B``.

    These are the S4/S5 formulas (Gu et al. 2022; Smith et al. 2023) and agree with
    ``scipy.signal.cont2discrete``'s ``(Ad, Bd)`` for ``A = diag(Lambda)``.

    Shapes: ``Lambda (P,)`` with ``B (P,)`` or ``(P, H_in)``; or per channel ``Lambda (H, N)`` with ``B (H, N)``.
    ``dt`` (> 0) broadcasts against ``Lambda``: a scalar, ``(P,)``, or ``(H, 1)`` for one step per channel.
    jittable and differentiable in all arguments.
    """
    check_choice(method, "method", DISCRETIZATIONS)
    Lambda = as_array(Lambda, "Lambda", ndim=(1, 2))
    B = as_array(B, "B", ndim=(1, 2, 3))
    dt = as_array(dt, "dt", allow_complex=False)
    check_positive(dt, "dt")
    if B.shape[: Lambda.ndim] != Lambda.shape or B.ndim > Lambda.ndim + 1:
        raise ValueError(
            f"B must have shape {tuple(Lambda.shape)} or {tuple(Lambda.shape)} + (H_in,) to match Lambda, got {tuple(B.shape)}"
        )
    try:
        np.broadcast_shapes(tuple(np.shape(dt)), tuple(Lambda.shape))
    except ValueError:
        raise ValueError(f"dt of shape {tuple(np.shape(dt))} does not broadcast against Lambda {tuple(Lambda.shape)}") from None
    return _discretize(jnp.asarray(Lambda), jnp.asarray(B), jnp.asarray(dt), method)


@partial(jax.jit, static_argnames=("method",))
def _discretize(Lambda, B, dt, method):
    dt = dt.astype(jnp.real(Lambda).dtype) if jnp.issubdtype(dt.dtype, jnp.floating) else dt
    if method == "zoh":
        z = Lambda * dt
        Lambda_bar = jnp.exp(z)
        safe = jnp.where(z == 0, jnp.ones_like(z), z)
        factor = jnp.where(z == 0, dt * jnp.ones_like(z), _expm1(safe) / safe * dt)
    else:  # bilinear
        denom = 1.0 - dt / 2.0 * Lambda
        Lambda_bar = (1.0 + dt / 2.0 * Lambda) / denom
        factor = dt / denom
    factor = jnp.broadcast_to(factor, Lambda.shape)
    B_bar = factor[..., None] * B if B.ndim == Lambda.ndim + 1 else factor * B
    return Lambda_bar, B_bar


def discretize_dense(A, B, dt: float, method: str = "zoh"):
    """Discretize a dense system on the host in float64; returns NumPy ``(A_bar, B_bar)``.

    ZOH: ``A_bar = expm(A dt)``, ``B_bar = int_0^dt expm(A s) ds B`` (one block-matrix exponential);
    bilinear: ``A_bar = (I - dt A/2)^{-1} (I + dt A/2)``, ``B_bar = (I - dt A/2)^{-1} dt B``.
    Matches ``scipy.signal.cont2discrete(..., method="zoh" | "bilinear")`` for ``(Ad, Bd)``.
    """
    import scipy.linalg

    check_choice(method, "method", DISCRETIZATIONS)
    A = np.asarray(as_array(A, "A", ndim=2))
    B = np.asarray(as_array(B, "B", ndim=(1, 2)))
    check_positive(dt, "dt")
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    vec = B.ndim == 1
    B2 = B[:, None] if vec else B
    if B2.shape[0] != A.shape[0]:
        raise ValueError(f"B must have {A.shape[0]} rows to match A, got shape {B.shape}")
    n, m = B2.shape
    if method == "zoh":
        M = np.zeros((n + m, n + m), dtype=np.result_type(A, B2, float))
        M[:n, :n] = A * dt
        M[:n, n:] = B2 * dt
        E = scipy.linalg.expm(M)
        Ad, Bd = E[:n, :n], E[:n, n:]
    else:
        I = np.eye(n)
        lhs = I - dt / 2.0 * A
        Ad = np.linalg.solve(lhs, I + dt / 2.0 * A)
        Bd = np.linalg.solve(lhs, dt * B2)
    return Ad, (Bd[:, 0] if vec else Bd)


def diagonalize(A, B, C=None):
    """The eigenbasis of a dense system: ``A = V diag(Lambda) V^{-1}``; returns ``(Lambda, V, V^{-1} B, C V)``.

    The change of basis that turns ``(A, B, C)`` into the diagonal system ``(Lambda, B_tilde, C_tilde)`` with the same
    transfer function ``C (sI - A)^{-1} B = C_tilde (sI - Lambda)^{-1} B_tilde`` (S4D / PTD initialisation).  On the
    host in float64 / complex128: ``numpy.linalg.eig`` (``V`` with unit columns, as LAPACK returns them), then one
    solve for ``V^{-1} B``; ``C V`` is ``None`` when ``C`` is.  ``B`` is ``(N,)`` or ``(N, m)``, ``C`` is ``(N,)`` or
    ``(p, N)``.  Meant for a well-conditioned ``V``: the error of ``V^{-1} B`` grows like ``kappa(V)`` times round-off
    (HiPPO-LegS itself has ``kappa ~ 2^{2.5 N}``, which is why PTD perturbs it first).
    """
    from ssmtheory._validate import check_square

    A = check_square(A, "A")
    B = np.asarray(as_array(B, "B", ndim=(1, 2)))
    N = A.shape[0]
    if B.shape[0] != N:
        raise ValueError(f"B must have {N} rows to match A, got shape {B.shape}")
    if C is not None:
        C = np.asarray(as_array(C, "C", ndim=(1, 2)))
        if C.shape[-1] != N:
            raise ValueError(f"C must have {N} columns to match A, got shape {C.shape}")
    lam, V = np.linalg.eig(A)
    Bt = np.linalg.solve(V, B.astype(np.complex128))
    return lam, V, Bt, (None if C is None else C.astype(np.complex128) @ V)


# ----------------------------------------------------------------------------------------------
# kernels
# ----------------------------------------------------------------------------------------------
def _powers(lam, k):
    """``lam ** k`` for a vector of integer exponents ``k`` (leading axis), stable for ``|lam| <= 1``.

    Computed as ``exp(k log lam)``; exact zeros and negative real bases handled explicitly.
    Result shape ``k.shape + lam.shape``.
    """
    kk = k.reshape(k.shape + (1,) * lam.ndim)
    if jnp.iscomplexobj(lam):
        zero = lam == 0
        logl = jnp.log(jnp.where(zero, jnp.ones_like(lam), lam))
        out = jnp.exp(kk * logl)
        return jnp.where(zero, (kk == 0).astype(lam.dtype), out)
    mag = jnp.abs(lam)
    zero = mag == 0
    logm = jnp.log(jnp.where(zero, jnp.ones_like(mag), mag))
    sign = jnp.where((kk % 2 == 1) & (lam < 0), -1.0, 1.0).astype(lam.dtype)
    out = sign * jnp.exp(kk * logm)
    return jnp.where(zero, (kk == 0).astype(lam.dtype), out)


def _split(L: int) -> tuple[int, int]:
    """``L <= c * m`` with ``c ~ sqrt(L)``: the two Vandermonde factors' lengths."""
    c = max(1, int(math.isqrt(L)))
    m = -(-L // c)
    return c, m


def _vandermonde_weighted(lam, w, L: int):
    """``sum_n w[..., n] * lam[..., n] ** k`` for ``k = 0..L-1``; returns ``(L,) + lam.shape[:-1]``.

    Uses ``lam^(c q + r) = lam^(c q) lam^r`` so only ``O(N sqrt(L))`` powers are formed; the sum over n is
    a batched matrix product.
    """
    c, m = _split(L)
    hi = _powers(lam, jnp.arange(m) * c)            # (m, ..., N)
    lo = _powers(lam, jnp.arange(c))                # (c, ..., N)
    K = jnp.einsum("q...n,r...n->qr...", hi * w, lo)  # (m, c, ...)
    return K.reshape((m * c,) + K.shape[2:])[:L]


@partial(jax.jit, static_argnames=("L", "conj_sym"))
def _kernel_channels(Lambda_bar, B_bar, C, L, conj_sym):
    K = _vandermonde_weighted(Lambda_bar, C * B_bar, L)  # (L, H)
    if jnp.iscomplexobj(K):
        K = K.real * (2.0 if conj_sym else 1.0)
    return K


@partial(jax.jit, static_argnames=("L", "conj_sym"))
def _kernel_mimo(Lambda_bar, B_bar, C, L, conj_sym):
    # K[k, o, i] = sum_p C[o, p] lam_p^k B_bar[p, i], with lam^k = lam^(c q) lam^r as in _vandermonde_weighted
    c, m = _split(L)
    hi = _powers(Lambda_bar, jnp.arange(m) * c)  # (m, P)
    lo = _powers(Lambda_bar, jnp.arange(c))      # (c, P)
    K = jnp.einsum("qp,op,pi,rp->qroi", hi, C, B_bar, lo)
    K = K.reshape((m * c,) + K.shape[2:])[:L]
    if jnp.iscomplexobj(K):
        K = K.real * (2.0 if conj_sym else 1.0)
    return K


def kernel(Lambda_bar, B_bar, C, L: int, conj_sym: bool = False):
    """Convolution kernel ``K_k = Re(C diag(Lambda_bar)^k B_bar)``, ``k = 0..L-1`` (without ``D``).

    So that ``y_k = sum_{j<=k} K_j u_{k-j} + D u_k`` (the S4 convolution view).
    Channels layout (``Lambda_bar (H, N)``) returns ``(L, H)``; MIMO layout returns ``(L, H_out, H_in)``.
    """
    L = _check_L(L)
    Lambda_bar = as_array(Lambda_bar, "Lambda_bar", ndim=(1, 2))
    _check_conj(Lambda_bar, conj_sym)
    if Lambda_bar.ndim == 2:
        B_bar, C, _ = _check_channels(Lambda_bar, B_bar, C, None)
        _check_kernel_size(L, Lambda_bar.shape[0], 1, Lambda_bar.shape[1])
        return _kernel_channels(jnp.asarray(Lambda_bar), jnp.asarray(B_bar), jnp.asarray(C), L, conj_sym)
    B_bar, C, _ = _check_mimo(Lambda_bar, B_bar, C, None)
    _check_kernel_size(L, C.shape[0], B_bar.shape[1], Lambda_bar.shape[0])
    return _kernel_mimo(jnp.asarray(Lambda_bar), jnp.asarray(B_bar), jnp.asarray(C), L, conj_sym)


MAX_KERNEL_BYTES = 4 * 2**30  # refuse kernels whose output alone would exceed 4 GiB


def _check_kernel_size(L, H_out, H_in, P):
    """Refuse sizes whose kernel would not fit, before allocating (``L=10**9`` used to abort the interpreter)."""
    need = 16 * L * H_out * H_in + 16 * P * (2 * math.isqrt(L) + 2)
    if need > MAX_KERNEL_BYTES:
        raise ValueError(
            f"L={L} gives a kernel of about {need / 2**30:.1f} GiB (limit {MAX_KERNEL_BYTES / 2**30:.0f} GiB, "
            "ssm.MAX_KERNEL_BYTES): use a shorter L or apply_ssm(..., method='scan')"
        )


def layer_impulse_response(Lambda_bar, B_bar, C, D, L: int, conj_sym: bool = False):
    """Impulse response of the layer as applied: ``h_0 = K_0 + D``, ``h_k = K_k`` (k >= 1).

    (The input enters the state in the same step, so unlike the control convention of
    :func:`ssmtheory.norms.impulse_response`, ``h_0 = D``, here ``h_0`` includes ``C B``.)  Shapes as :func:`kernel`; for the channels layout ``D`` is ``(H,)``.
    """
    Lambda_bar = as_array(Lambda_bar, "Lambda_bar", ndim=(1, 2))
    if Lambda_bar.ndim == 2:
        _, _, D = _check_channels(Lambda_bar, B_bar, C, D)
    else:
        _, _, D = _check_mimo(Lambda_bar, B_bar, C, D)
    if D is None:
        raise ValueError("D must be an array (use zeros for no feedthrough), got None")
    K = kernel(Lambda_bar, B_bar, C, L, conj_sym)
    return K.at[0].add(jnp.asarray(D).astype(K.dtype))


# ----------------------------------------------------------------------------------------------
# linear recurrences
# ----------------------------------------------------------------------------------------------
def linear_recurrence_op(q_i, q_j):
    """Associative operator of the linear recurrence ``h_k = a_k h_{k-1} + b_k`` (S5, Blelloch 1990).

    ``(a_i, b_i) o (a_j, b_j) = (a_j a_i, a_j b_i + b_j)``: composing step i then step j.
    """
    a_i, b_i = q_i
    a_j, b_j = q_j
    return a_j * a_i, a_j * b_i + b_j


def linear_scan(a, b, h0=None, reverse: bool = False, method: str = "scan"):
    """The one recurrence primitive: ``h_k = a_k * h_{k-1} + b_k`` along axis 0 (time); returns ``(h, h_last)``.

    ``a`` broadcasts against ``b`` (e.g. a diagonal state matrix of shape ``(P,)`` against
    ``b`` of shape ``(L, ..., P)``, or per-step ``a`` of the same shape as ``b`` for selective
    SSMs).  ``h0`` (default 0) is the state before the first step; ``reverse=True`` runs from the
    last step to the first (``h_k = a_k h_{k+1} + b_k``).  ``method``: ``"scan"`` (``lax.scan``,
    O(L) depth) or ``"associative"`` (``lax.associative_scan`` with :func:`linear_recurrence_op`,
    O(log L) depth).  ``h_last`` is the state after the final step in the scan direction.
    Works under ``jit``/``grad``/``vmap``; complex or real; no validation of values under tracing.
    """
    if method not in ("scan", "associative"):
        raise ValueError(f"method must be 'scan' or 'associative', got {method!r}")
    b = jnp.asarray(b)
    if b.ndim < 1 or b.shape[0] < 1:
        raise ValueError(f"b must have a leading time axis of length >= 1, got shape {tuple(b.shape)}")
    a = jnp.asarray(a)
    dtype = jnp.result_type(a, b)
    try:
        a = jnp.broadcast_to(a, b.shape).astype(dtype)
    except ValueError as exc:
        raise ValueError(f"a (shape {tuple(a.shape)}) must broadcast to b (shape {tuple(b.shape)})") from exc
    b = b.astype(dtype)
    if h0 is not None:
        h0 = jnp.asarray(h0).astype(dtype)
        if jnp.broadcast_shapes(h0.shape, b.shape[1:]) != b.shape[1:]:
            raise ValueError(f"h0 (shape {tuple(h0.shape)}) must broadcast to one step of b {tuple(b.shape[1:])}")
        first = 0 if not reverse else -1
        b = b.at[first].add(a[first] * h0)
    if method == "associative":
        _, h = jax.lax.associative_scan(linear_recurrence_op, (a, b), reverse=reverse, axis=0)
    else:
        def step(h, ab):
            at, bt = ab
            h = at * h + bt
            return h, h

        _, h = jax.lax.scan(step, jnp.zeros(b.shape[1:], dtype), (a, b), reverse=reverse)
    return h, (h[-1] if not reverse else h[0])


def _fft_causal_conv(K, v, L: int, axis_k: int = 0):
    """Causal convolution along time: ``out_t = sum_{j<=t} K_j v_{t-j}`` via zero-padded FFT of length 2L.

    ``K`` has time on axis 0, ``v`` on axis -2 (batch axes first); broadcast over the trailing axes.
    """
    n = 2 * L
    if jnp.iscomplexobj(K) or jnp.iscomplexobj(v):
        Kf = jnp.fft.fft(K, n=n, axis=0)
        vf = jnp.fft.fft(v, n=n, axis=-2)
        return jnp.fft.ifft(Kf * vf, n=n, axis=-2)[..., :L, :]
    Kf = jnp.fft.rfft(K, n=n, axis=0)
    vf = jnp.fft.rfft(v, n=n, axis=-2)
    return jnp.fft.irfft(Kf * vf, n=n, axis=-2)[..., :L, :]


def _out_scale(conj_sym):
    return 2.0 if conj_sym else 1.0


@partial(jax.jit, static_argnames=("method", "conj_sym", "unroll"))
def _apply_mimo(Lambda_bar, B_bar, C, D, u, method, conj_sym, unroll=8):
    L = u.shape[-2]
    cplx = jnp.iscomplexobj(Lambda_bar) or jnp.iscomplexobj(B_bar) or jnp.iscomplexobj(C)
    scale = _out_scale(conj_sym)
    feed = jnp.einsum("oi,...li->...lo", D, u)

    def readout(x):  # (..., L, P) -> (..., L, H_out)
        y = jnp.einsum("op,...lp->...lo", C, x)
        return (y.real * scale if cplx else y) + feed

    if method == "fft":
        H_out, P = C.shape
        H_in = B_bar.shape[1]
        if H_out * H_in <= P:  # kernel route: K (L, H_out, H_in), then y = K * u
            K = _kernel_mimo(Lambda_bar, B_bar, C, L, conj_sym)  # real
            n = 2 * L
            Kf = jnp.fft.rfft(K, n=n, axis=0)  # (F, H_out, H_in)
            uf = jnp.fft.rfft(u, n=n, axis=-2)  # (..., F, H_in)
            y = jnp.fft.irfft(jnp.einsum("foi,...fi->...fo", Kf, uf), n=n, axis=-2)[..., :L, :]
            return y + feed
        Bu = jnp.einsum("...li,pi->...lp", u, B_bar)
        V = _powers(Lambda_bar, jnp.arange(L))  # (L, P)
        x = _fft_causal_conv(V, Bu, L)
        return readout(x)

    Bu = jnp.einsum("...li,pi->...lp", u, B_bar)
    if method == "associative":
        a = jnp.broadcast_to(Lambda_bar, Bu.shape)
        _, x = jax.lax.associative_scan(linear_recurrence_op, (a, Bu), axis=Bu.ndim - 2)
        return readout(x)

    # sequential scan over time with the batch inside the carry
    b = jnp.moveaxis(Bu, -2, 0)  # (L, ..., P)
    h0 = jnp.zeros(b.shape[1:], dtype=jnp.result_type(Lambda_bar, b))  # complex state for complex Lambda_bar

    def step(h, bt):
        h = Lambda_bar * h + bt
        return h, h

    _, x = jax.lax.scan(step, h0, b, unroll=unroll)
    return readout(jnp.moveaxis(x, 0, -2))


@partial(jax.jit, static_argnames=("method", "conj_sym", "unroll"))
def _apply_channels(Lambda_bar, B_bar, C, D, u, method, conj_sym, unroll=8):
    L = u.shape[-2]
    cplx = jnp.iscomplexobj(Lambda_bar) or jnp.iscomplexobj(B_bar) or jnp.iscomplexobj(C)
    scale = _out_scale(conj_sym)
    feed = D * u
    if method == "fft":
        K = _kernel_channels(Lambda_bar, B_bar, C, L, conj_sym)  # (L, H) real
        return _fft_causal_conv(K, u, L).real + feed
    if method == "associative":
        Bu = u[..., None] * B_bar  # (..., L, H, N)
        a = jnp.broadcast_to(Lambda_bar, Bu.shape)
        _, x = jax.lax.associative_scan(linear_recurrence_op, (a, Bu), axis=Bu.ndim - 3)
        y = jnp.einsum("hn,...lhn->...lh", C, x)
        return (y.real * scale if cplx else y) + feed

    ut = jnp.moveaxis(u, -2, 0)  # (L, ..., H)
    dtype = jnp.result_type(Lambda_bar, B_bar, u)
    h0 = jnp.zeros(ut.shape[1:] + (Lambda_bar.shape[-1],), dtype=dtype)

    def step(h, u_t):
        h = Lambda_bar * h + B_bar * u_t[..., None]
        y = jnp.einsum("hn,...hn->...h", C, h)
        return h, (y.real * scale if cplx else y)

    _, y = jax.lax.scan(step, h0, ut, unroll=unroll)
    return jnp.moveaxis(y, 0, -2) + feed


# ----------------------------------------------------------------------------------------------
# method choice
# ----------------------------------------------------------------------------------------------
def choose_method(layout: str, backend: str | None = None, H: int = 1, L: int = 1, stable: bool = True) -> str:
    """The method ``"auto"`` resolves to.

    Rule, from ``benchmarks/bench_apply.py`` (ratios in README, "Benchmarks"):

    * unstable systems (``|Lambda_bar| > 1``) always use ``"scan"`` (FFT/Vandermonde powers overflow);
    * CPU: MIMO -> ``"scan"``; channels -> ``"fft"`` when ``H >= 4`` (one batched FFT beats H*N sequential
      recurrences at every L measured, 7x at L = 1k and 16k, and its gradient compiles and runs far faster), else ``"scan"``;
    * GPU/TPU: channels -> ``"fft"``; MIMO -> ``"associative"`` (parallel depth; the sequential scan
      serializes L kernel launches).

    **Single-precision limit of the FFT path.**  The Vandermonde powers carry a relative phase error
    of about ``k * eps`` at lag ``k``, so in float32/complex64 the FFT error grows with ``L``.  Measured
    (channels, H = 4, N = 16, lightly damped modes ``|lambda| = exp(-1e-6..1e-5)``, random phases, max error
    relative to max|y| against a float64 scan):

    =======  ==========  =========  =====
    L        scan (f32)  fft (f32)  ratio
    =======  ==========  =========  =====
    1,024    1.4e-05     6.1e-05    4
    4,096    4.9e-05     1.9e-04    4
    16,384   2.1e-04     9.8e-04    5
    65,536   4.9e-04     2.4e-03    5
    =======  ==========  =========  =====

    The ratio stays below 10 in every case we measured, so ``auto`` keeps FFT; where a claim needs
    more than about ``L * 4e-8`` relative accuracy in single precision, pass ``method="scan"`` or use float64.
    """
    check_choice(layout, "layout", ("mimo", "channels"))
    backend = backend or jax.default_backend()
    if not stable:
        return "scan"
    if backend == "cpu":
        if layout == "channels" and H >= 4:
            return "fft"
        return "scan"
    return "fft" if layout == "channels" else "associative"


# ----------------------------------------------------------------------------------------------
# public apply functions (validation outside jit, computation inside)
# ----------------------------------------------------------------------------------------------
def _check_L(L):
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"L must be a positive integer, got {L!r}")
    return int(L)


def _check_conj(Lambda_bar, conj_sym):
    if conj_sym and not np.issubdtype(np.dtype(Lambda_bar.dtype), np.complexfloating):
        raise ValueError("conj_sym=True requires a complex Lambda_bar (conjugate pairs of complex states)")


def _check_mimo(Lambda_bar, B_bar, C, D):
    P = Lambda_bar.shape[0]
    B_bar = as_array(B_bar, "B_bar", ndim=2)
    C = as_array(C, "C", ndim=2)
    if B_bar.shape[0] != P:
        raise ValueError(f"B_bar must have shape (P, H_in) with P={P}, got {tuple(B_bar.shape)}")
    if C.shape[1] != P:
        raise ValueError(f"C must have shape (H_out, P) with P={P}, got {tuple(C.shape)}")
    if D is not None:
        D = as_array(D, "D", ndim=2, allow_complex=False)
        if D.shape != (C.shape[0], B_bar.shape[1]):
            raise ValueError(f"D must have shape (H_out, H_in) = {(C.shape[0], B_bar.shape[1])}, got {tuple(D.shape)}")
    return B_bar, C, D


def _check_channels(Lambda_bar, B_bar, C, D):
    B_bar = as_array(B_bar, "B_bar", ndim=2)
    C = as_array(C, "C", ndim=2)
    if B_bar.shape != Lambda_bar.shape:
        raise ValueError(f"B_bar must have shape (H, N) = {tuple(Lambda_bar.shape)}, got {tuple(B_bar.shape)}")
    if C.shape != Lambda_bar.shape:
        raise ValueError(f"C must have shape (H, N) = {tuple(Lambda_bar.shape)}, got {tuple(C.shape)}")
    if D is not None:
        D = as_array(D, "D", ndim=1, allow_complex=False)
        if D.shape != (Lambda_bar.shape[0],):
            raise ValueError(f"D must have shape (H,) = ({Lambda_bar.shape[0]},), got {tuple(D.shape)}")
    return B_bar, C, D


def _check_u(u, H_in):
    u = as_array(u, "u", allow_complex=False)
    if u.ndim < 2 or u.shape[-1] != H_in:
        raise ValueError(f"u must have shape (..., L, H_in) with H_in={H_in}, got {tuple(u.shape)}")
    if u.shape[-2] < 1:
        raise ValueError("u must have at least one time step (L >= 1)")
    return u


def _resolve(method, layout, Lambda_bar, H, L, stable):
    """The method to run.  ``stable`` (``|Lambda_bar| <= 1``) is measured on concrete eigenvalues; under ``jit``
    they are abstract, so a caller using ``"auto"`` or ``"fft"`` must state it (``stable=True/False``)."""
    check_choice(method, "method", METHODS)
    if stable is not None and not isinstance(stable, (bool, np.bool_)):
        raise ValueError(f"stable must be True, False or None, got {stable!r}")
    if is_concrete(Lambda_bar):
        measured = bool(np.all(np.abs(np.asarray(Lambda_bar)) <= 1.0 + 1e-6))
        if stable and not measured:
            raise ValueError("stable=True but Lambda_bar has eigenvalues outside the unit disc")
        stable = measured
    elif stable is None and method in ("auto", "fft"):
        raise ValueError(
            f"stable must be stated when Lambda_bar is traced (inside jit/grad) and method={method!r}: pass "
            "stable=True when the parameterization guarantees |Lambda_bar| <= 1, stable=False otherwise "
            "(then 'auto' runs the scan)"
        )
    if method == "auto":
        return choose_method(layout, H=H, L=L, stable=bool(stable))
    if method == "fft" and not stable:
        raise ValueError(
            "Lambda_bar has eigenvalues outside the unit disc: method='fft' needs |Lambda_bar| <= 1 "
            "(powers overflow); use method='scan'"
        )
    return method


def apply_ssm(Lambda_bar, B_bar, C, D, u, method: str = "auto", conj_sym: bool = False, stable: bool | None = None):
    """Apply a diagonal MIMO SSM (S5 layout) to ``u (..., L, H_in)``; returns ``y (..., L, H_out)``.

    ``x_k = Lambda_bar * x_{k-1} + B_bar u_k`` (``x_{-1} = 0``), ``y_k = Re(C x_k) + D u_k``
    (``2 Re`` when ``conj_sym``).  ``D=None`` means no feedthrough.  ``method`` is one of
    ``"auto" | "scan" | "associative" | "fft"`` (see module docstring); all give the same numbers.
    ``stable`` states ``|Lambda_bar| <= 1``: measured when ``Lambda_bar`` is concrete (``True`` is then checked),
    required with ``"auto"``/``"fft"`` inside ``jit``, where it cannot be measured (``False`` makes ``auto`` scan).
    """
    Lambda_bar = as_array(Lambda_bar, "Lambda_bar", ndim=1)
    _check_conj(Lambda_bar, conj_sym)
    B_bar, C, D = _check_mimo(Lambda_bar, B_bar, C, D)
    u = _check_u(u, B_bar.shape[1])
    rdt = jnp.real(jnp.zeros((), jnp.result_type(Lambda_bar, B_bar, C, u))).dtype
    D = jnp.zeros((C.shape[0], B_bar.shape[1]), rdt) if D is None else jnp.asarray(D)
    m = _resolve(method, "mimo", Lambda_bar, C.shape[0], u.shape[-2], stable)
    return _apply_mimo(jnp.asarray(Lambda_bar), jnp.asarray(B_bar), jnp.asarray(C), D, jnp.asarray(u), m, bool(conj_sym))


def apply_ssm_channels(Lambda_bar, B_bar, C, D, u, method: str = "auto", conj_sym: bool = False,
                       stable: bool | None = None):
    """Apply H independent SISO diagonal SSMs (S4D layout) to ``u (..., L, H)``; returns ``y (..., L, H)``.

    Channel ``h``: ``x^h_k = Lambda_bar[h] * x^h_{k-1} + B_bar[h] u^h_k``,
    ``y^h_k = Re(sum_n C[h, n] x^h_{k, n}) + D[h] u^h_k`` (``2 Re`` when ``conj_sym``).
    ``stable``: as in :func:`apply_ssm`.
    """
    Lambda_bar = as_array(Lambda_bar, "Lambda_bar", ndim=2)
    _check_conj(Lambda_bar, conj_sym)
    B_bar, C, D = _check_channels(Lambda_bar, B_bar, C, D)
    u = _check_u(u, Lambda_bar.shape[0])
    rdt = jnp.real(jnp.zeros((), jnp.result_type(Lambda_bar, B_bar, C, u))).dtype
    D = jnp.zeros((Lambda_bar.shape[0],), rdt) if D is None else jnp.asarray(D)
    m = _resolve(method, "channels", Lambda_bar, Lambda_bar.shape[0], u.shape[-2], stable)
    return _apply_channels(jnp.asarray(Lambda_bar), jnp.asarray(B_bar), jnp.asarray(C), D, jnp.asarray(u), m, bool(conj_sym))
