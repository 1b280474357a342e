"""Length-independent Rademacher PAC bounds for deep stable SSMs (Rácz, Petreczky, Daróczy, arXiv 2405.20278).

**Status of the formulas.**  The paper's full text was not available to us.  *Verified* (abstract, TL;DR):
stacks of stable, non-selective LTI SSM blocks and position-wise nets, a bound that does not depend on the
sequence length ``T``, built by Rademacher contraction, decreasing in the stability margin, ``O(1/sqrt(N))``.
*Secondary* (Honarpisheh et al., arXiv 2502.01473, Remark 4.1 and Table 1): inputs of **finite energy**
``sum_t ||u_t||_2^2 < inf``, the **l1 norm of each block's impulse response** and the **H2 norm** of its
transfer function.  **Every constant and proof below is our reconstruction [R]**, derived in notebook 01 and
tested against brute force and Monte Carlo (``tests/test_bounds.py``, ``tests/test_rademacher.py``).  Source notes:
``docs/papers/racz-2024.md``.  Model adapters and drivers: :mod:`ssmtheory.experiments.deep_bounds`.

Architecture covered (anything else raises ``ValueError`` in
:func:`ssmtheory.experiments.deep_bounds.check_architecture`)::

    v_0,t = W_enc^T u_t + b_enc                     (linear encoder)
    z_l   = Sigma_l(v_{l-1})                        (stable diagonal LTI SSM block, l = 1..L)
    v_l   = phi(z_l)        or  v_{l-1} + phi(z_l)  (coordinate-wise L_phi-Lipschitz, phi(0) = 0; residual optional)
    f(u)  = w^T v_L,T + b   or  w^T mean_t v_L,t + b

no LayerNorm, no GLU; a loss with values in ``[0, c_loss]``, ``L_loss``-Lipschitz (clipped square loss).

**The paper form** (:func:`paper_form_complexity`; for a model :func:`ssmtheory.experiments.deep_bounds.paper_form_bound`), inputs with
``sum_t ||u_t||_2^2 <= K^2``: with probability ``>= 1 - delta``::

    E ell - mean_i ell_i <= ( 2 L_loss (K a ||w||_1 prod_{l<L} (2 L_phi E_l) (2 L_phi H_L) + |b|) + 4 c_loss sqrt(2 ln(4/delta)) ) / sqrt(N)

    E_l = sum_k ||h^l_k||_inf        true l1 norm of an inner block (upper end of norms.l1_norm; Young's inequality)
    H_L = sqrt(q) ||Sigma_L||_{H2}   last block at the readout time (Cauchy-Schwarz)

**Our per-step extension** (:func:`complexity_numerator`; for a model :func:`ssmtheory.experiments.deep_bounds.bound_for_model`), inputs with ``||u_t||_2 <= K_u`` (not the paper's
assumption): the supremum over time outside the expectation and l1 for every block::

    E ell - mean_i ell_i <= ( 2 L_loss (K a ||w||_1 prod_l c_l + |b|) + 4 c_loss sqrt(2 ln(4/delta)) ) / sqrt(N)
    K = sqrt(K_u^2 + 1) (bias folded in),  c_l = 2 L_phi E_l  (residual: 1 + 2 L_phi E_l)

with ``E_l`` the true l1 norm (default) or the looser per-mode envelope :func:`l1_envelope`
``||D||_inf + sum_j ||C[:,j]||_inf ||B[j,:]||_1 / (1 - |lambda_j|)``.

``||M||_inf`` is the max absolute row sum throughout; ``(A, B, C, D)`` is the block in the control
convention of :mod:`ssmtheory.norms` (``h_0 = D``, ``h_k = C A^{k-1} B``).  For a *data-chosen* model
the constants must be those of a class fixed in advance: pass a :class:`NormGrid`, which rounds every
norm up to a geometric grid, uses the class ``S(gamma, beta, d)`` (l1 ``d + beta/(1-gamma)``, H2
``sqrt(d^2 + beta^2/(1-gamma^2))``) and replaces ``delta`` by ``delta / |grid|`` (union bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ssmtheory import norms as _norms
from ssmtheory._validate import as_array as _as_array
from ssmtheory._validate import check_int as _check_int
from ssmtheory._validate import check_scalar as _check_scalar

__all__ = [
    "LIPSCHITZ",
    "mode_coefficients",
    "l1_envelope",
    "class_envelope",
    "weighted_h2",
    "weighted_h2_constant",
    "block_constant",
    "depth_product",
    "complexity_numerator",
    "confidence_term",
    "generalization_bound",
    "power_norm_envelope",
    "nonnormal_realization",
    "union_over_time_factor",
    "clipped_square_lipschitz",
    "NormGrid",
    "envelope_class_complexity_bound",
    "l1_upper",
    "h2_row_upper",
    "class_h2_envelope",
    "paper_form_complexity",
]

#: Lipschitz constants of the coordinate-wise nonlinearities the bound covers (all have phi(0) = 0).
#: GELU: sup_x |d/dx x Phi(x)| = 1.1289... (attained at x = sqrt(2)); we use 1.129.
LIPSCHITZ = {"relu": 1.0, "tanh": 1.0, "identity": 1.0, "gelu": 1.129}


# ----------------------------------------------------------------------------------------------
# per-block norms
# ----------------------------------------------------------------------------------------------
def _num(v, name, *, positive=False, allow_inf=False) -> float:
    """A real number >= 0 (> 0 with ``positive``), as float; ``+inf`` passes with ``allow_inf`` (an unstable block's norm)."""
    if allow_inf and not isinstance(v, (bool, np.bool_, str, bytes)) and isinstance(v, (int, float, np.integer, np.floating)) \
            and v == math.inf:
        return math.inf
    return _check_scalar(v, name, positive=positive, nonnegative=not positive)


def _nums(x, name, *, allow_inf=False) -> np.ndarray:
    """A 1-D real array of entries >= 0 (NaN refused; ``+inf`` passes with ``allow_inf``)."""
    if x is None:
        raise ValueError(f"{name} must be a 1-D array of numbers >= 0, got None")
    a = np.asarray(x)
    if a.ndim != 1 or a.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a 1-D real array, got shape {a.shape} dtype {a.dtype}")
    a = a.astype(float)
    if np.any(np.isnan(a)) or np.any(a < 0) or (not allow_inf and not np.all(np.isfinite(a))):
        raise ValueError(f"{name} must hold {'' if allow_inf else 'finite '}numbers >= 0, got {a}")
    return a


def _diag_system(A, B, C, D):
    """Validate a diagonal standard-form system: NaN/inf anywhere raises ``ValueError`` naming the argument
    (a NaN mode must never silently drop out of an upper bound)."""
    A = np.asarray(_as_array(A, "A"))
    if A.ndim != 1:
        raise ValueError(f"A must be a 1-D eigenvalue vector (diagonal A), got shape {A.shape}")
    B = np.atleast_2d(np.asarray(_as_array(B, "B", ndim=(1, 2))))
    C = np.atleast_2d(np.asarray(_as_array(C, "C", ndim=(1, 2))))
    if D is not None:
        D = _as_array(D, "D", ndim=(0, 1, 2))
    if B.shape[0] != A.shape[0] or C.shape[1] != A.shape[0]:
        raise ValueError(f"B must be (P, H_in) and C (H_out, P) with P={A.shape[0]}, got {B.shape}, {C.shape}")
    D = np.zeros((C.shape[0], B.shape[1])) if D is None else np.atleast_2d(np.asarray(D))
    return A, B, C, D


def mode_coefficients(A, B, C) -> np.ndarray:
    """``beta_j = ||C[:, j]||_inf ||B[j, :]||_1`` for a diagonal ``A`` (1-D eigenvalues).

    ``h_k = sum_j lambda_j^{k-1} C[:, j] B[j, :]`` and ``||c b^T||_inf = ||c||_inf ||b||_1``, so
    ``||h_k||_inf <= sum_j beta_j |lambda_j|^{k-1}`` for ``k >= 1`` (triangle inequality).
    """
    A, B, C, _ = _diag_system(A, B, C, None)
    return np.abs(C).max(axis=0) * np.abs(B).sum(axis=1)


def _geom_sum(r, n):
    """``sum_{k=0}^{n-1} r^k`` for ``r >= 0`` elementwise (``n`` at ``r = 1``); ``n = inf`` gives ``1/(1-r)`` (``inf`` for ``r >= 1``)."""
    r = np.asarray(r, dtype=float)
    if np.isinf(n):
        with np.errstate(divide="ignore"):
            return np.where(r < 1, 1.0 / (1.0 - np.minimum(r, 1.0)), np.inf)
    one = r == 1.0
    rr = np.where(one, 0.5, r)
    with np.errstate(divide="ignore", over="ignore"):
        val = -np.expm1(n * np.log(rr)) / (1.0 - rr)
    return np.where(one, float(n), val)


def l1_envelope(A, B, C, D=None, T: int | None = None) -> float:
    """l1 envelope of a diagonal block [R, lemma L2]; an upper bound of ``sum_k ||h_k||_inf``.

    ``E = ||D||_inf + sum_j beta_j / (1 - |lambda_j|)`` (``T=None``, infinite horizon; ``inf`` if
    some ``|lambda_j| >= 1`` with ``beta_j > 0``), or the finite-horizon version over the lags
    ``k < T`` that a length-``T`` sequence can use::

        E(T) = ||D||_inf + sum_j beta_j (1 - |lambda_j|^{T-1}) / (1 - |lambda_j|)     (= ... + beta_j (T-1) at |lambda_j| = 1)

    ``beta_j`` from :func:`mode_coefficients`.  ``A`` is 1-D (control convention, as returned by
    :func:`ssmtheory.norms.layer_to_standard` or :func:`ssmtheory.experiments.deep_bounds.block_standard`).
    """
    if T is not None:
        _check_int(T, "T", minimum=1)
    A, B, C, D = _diag_system(A, B, C, D)
    beta = mode_coefficients(A, B, C)
    dn = float(np.abs(D).sum(axis=1).max())
    if T is None:
        n = math.inf
    else:
        if int(T) != T or T < 1:
            raise ValueError(f"T must be a positive integer, got {T!r}")
        n = int(T) - 1
    r = np.abs(A)
    if np.isinf(n) and np.any((r >= 1) & (beta > 0)):
        return math.inf
    return float(dn + np.sum(np.where(beta > 0, beta * _geom_sum(r, n), 0.0)))


def l1_upper(A, B, C, D=None, T: int | None = None) -> float:
    """Certified upper bound of the true l1 norm ``sum_{k<T} ||h_k||_inf`` of a block (max absolute row sum).

    ``T=None`` (infinite horizon): the **upper end** of :func:`ssmtheory.norms.l1_norm`'s enclosure
    (truncated sum plus a certified geometric tail), ``inf`` when ``rho(A) >= 1``.  Finite ``T``: the
    exact sum of the ``T`` terms ``h_0 .. h_{T-1}`` a length-``T`` input can use (any radius).
    ``A`` 1-D (diagonal) or dense; NaN/inf entries raise ``ValueError``.
    """
    A = np.asarray(_as_array(A, "A", ndim=(1, 2)))
    B, C = _as_array(B, "B", ndim=2), _as_array(C, "C", ndim=2)
    if D is not None:
        D = _as_array(D, "D", ndim=2)
    if T is not None:
        T = _check_int(T, "T", minimum=1)
        h = _norms.impulse_response(A, B, C, D, T)
        return float(np.abs(h).sum(axis=2).max(axis=1).sum())
    if _norms.spectral_radius(A) >= 1.0:
        return math.inf
    return float(_norms.l1_norm(A, B, C, D, norm="inf").upper)


def h2_row_upper(A, B, C, D=None) -> float:
    """Upper bound of ``(sum_k ||h_k||_inf^2)^{1/2}`` [R]: ``sqrt(q) ||Sigma||_{H2}`` (``q`` = input width).

    ``||h_k||_inf = max_j ||row_j(h_k)||_1 <= sqrt(q) max_j ||row_j(h_k)||_2 <= sqrt(q) ||h_k||_F`` and
    ``sum_k ||h_k||_F^2 = ||Sigma||_{H2}^2`` (:func:`ssmtheory.norms.h2_norm`, Gramian formula).  Exact
    (the plain H2 norm) for a SISO block.  ``inf`` when ``rho(A) >= 1``.
    """
    A = np.asarray(_as_array(A, "A", ndim=(1, 2)))
    B, C = _as_array(B, "B", ndim=2), _as_array(C, "C", ndim=2)
    if D is not None:
        D = _as_array(D, "D", ndim=2)
    if _norms.spectral_radius(A) >= 1.0:
        return math.inf
    q = np.asarray(B).shape[1]
    return math.sqrt(q) * _norms.h2_norm(A, B, C, D)


def class_h2_envelope(gamma: float, beta: float, d: float) -> float:
    """``(sum_k eta_k^2)^{1/2} = sqrt(d^2 + beta^2 / (1 - gamma^2))`` for the envelope of ``S(gamma, beta, d)`` [R].

    Every member has ``||h_k||_inf <= eta_k`` (``eta_0 = d``, ``eta_k = beta gamma^{k-1}``), so this bounds
    the last-block factor of :func:`paper_form_complexity` uniformly over the class; ``inf`` at ``gamma >= 1``.
    """
    for v, n in ((gamma, "gamma"), (beta, "beta"), (d, "d")):
        if not (isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v) and v >= 0):
            raise ValueError(f"{n} must be a finite number >= 0, got {v!r}")
    if gamma >= 1:
        return math.inf
    return math.sqrt(d**2 + beta**2 / (1.0 - gamma**2))


def class_envelope(gamma: float, beta: float, d: float, T: int | None = None) -> float:
    """Envelope of the class ``S(gamma, beta, d)`` [R]: ``eta_0 = d``, ``eta_k = beta gamma^{k-1}``.

    ``S = {diagonal A: |lambda_j| <= gamma, sum_j beta_j <= beta, ||D||_inf <= d}``; every member has
    ``||h_k||_inf <= eta_k`` (uniformly, which is what lemma L2 needs).  Returns
    ``sum_{k<T} eta_k = d + beta (1 - gamma^{T-1}) / (1 - gamma)`` (``T=None``: ``d + beta/(1-gamma)``).
    """
    for v, nm in ((gamma, "gamma"), (beta, "beta"), (d, "d")):
        if not (isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v) and v >= 0):
            raise ValueError(f"{nm} must be a finite number >= 0, got {v!r}")
    n = math.inf if T is None else _check_int(T, "T", minimum=1) - 1
    return float(d + beta * _geom_sum(np.array([gamma]), n)[0])


def weighted_h2(A, B, C, D=None, gamma: float = 0.99) -> float:
    """Weighted H2 norm (Frobenius) ``H_{2,gamma} = sqrt(sum_k gamma^{-2k} ||h_k||_F^2)`` [R].

    ``= sqrt(||D||_F^2 + gamma^{-2} tr(C P_gamma C^*))`` with the gamma-weighted Lyapunov (Stein)
    equation ``P_gamma = (A/gamma) P_gamma (A/gamma)^* + B B^*``; evaluated as the plain H2 norm of
    ``(A/gamma, B, C/gamma, D)`` by :func:`ssmtheory.norms.h2_norm` (``A`` 1-D or dense).
    Requires ``rho(A) < gamma`` (``ValueError`` otherwise).
    """
    if not (0 < gamma <= 1):
        raise ValueError(f"gamma must lie in (0, 1], got {gamma!r}")
    A = np.asarray(A)
    rho = _norms.spectral_radius(A)
    if rho >= gamma:
        raise ValueError(f"A: spectral radius {rho:.6g} must be < gamma = {gamma}")
    return _norms.h2_norm(A / gamma, B, np.asarray(C) / gamma, D)


def weighted_h2_constant(A, B, C, D=None, gamma: float = 0.99) -> float:
    """SSM-block constant of the weighted-H2 route [R]: ``sqrt(q) H_{2,gamma} / sqrt(1 - gamma^2)``.

    Cauchy-Schwarz with weights ``gamma^{+-k}``:
    ``sum_k ||h_k|| a_{t-k} <= (sum_k gamma^{-2k} ||h_k||^2)^{1/2} (sum_k gamma^{2k} a_{t-k}^2)^{1/2}``, and
    ``sum_k gamma^{2k} <= 1/(1-gamma^2)``.  ``||h_k||_inf <= sqrt(q) ||h_k||_F`` with ``q = H_in``
    converts the Frobenius :func:`weighted_h2` into the ``inf`` norm the chain uses.
    Needs only a *uniform bound on H_{2,gamma}* over the class (no uniform envelope), ``rho(A) < gamma < 1``.
    """
    if not (0 < gamma < 1):
        raise ValueError(f"gamma must lie in (0, 1), got {gamma!r}")
    q = np.atleast_2d(np.asarray(B)).shape[1]
    return math.sqrt(q) * weighted_h2(A, B, C, D, gamma) / math.sqrt(1 - gamma**2)


# ----------------------------------------------------------------------------------------------
# the chain
# ----------------------------------------------------------------------------------------------
def block_constant(E: float, lipschitz: float = 1.0, W_inf: float = 1.0, residual: bool = False) -> float:
    """RC constant of one block ``v -> phi(W Sigma(v))`` [R]: ``c = 2 L ||W||_inf E`` (L2 * L3 * L4).

    Residual block ``v -> v + phi(W Sigma(v))``: ``c = 1 + 2 L ||W||_inf E`` (Minkowski in
    ``L2(sigma)`` of the two branches), so always ``>= 1``.
    """
    _num(E, "E", allow_inf=True)
    for v, nm in ((lipschitz, "lipschitz"), (W_inf, "W_inf")):
        _num(v, nm)
    c = 2.0 * lipschitz * W_inf * E
    return 1.0 + c if residual else c


def depth_product(constants) -> float:
    """``prod_l c_l`` (lemma L5: RC constants of composed blocks multiply)."""
    _nums(constants, "constants", allow_inf=True)
    return float(np.prod(np.asarray(constants, dtype=float)))


def complexity_numerator(K: float, w_l1: float, constants, lipschitz_loss: float, encoder_norm: float = 1.0, bias_abs: float = 0.0) -> float:
    """``2 L_loss (K a ||w||_1 prod_l c_l + |b|)`` [R]: ``2 * sqrt(N) * (Rademacher bound of ell o F)``.

    L1 ``M(input) <= sqrt(N) K``; L3 encoder ``a``; L5 product of block constants; L6 readout
    ``R(F) <= (||w||_1 M + |b| sqrt(N)) / N``; L7 loss contraction ``L_loss``; the factor 2 is from
    SSBD Thm 26.5.
    """
    for v, nm in ((K, "K"), (w_l1, "w_l1"), (lipschitz_loss, "lipschitz_loss"), (encoder_norm, "encoder_norm"),
                  (bias_abs, "bias_abs")):
        _num(v, nm)
    _nums(constants, "constants", allow_inf=True)
    return 2.0 * lipschitz_loss * (K * encoder_norm * w_l1 * depth_product(constants) + bias_abs)


def confidence_term(c_loss: float, delta: float) -> float:
    """``4 c_loss sqrt(2 ln(4 / delta))`` (Shalev-Shwartz & Ben-David, Thm 26.5, loss in ``[0, c_loss]``)."""
    _num(c_loss, "c_loss")
    _check_scalar(delta, "delta")
    if not (0 < delta < 1):
        raise ValueError(f"delta must lie in (0, 1), got {delta!r}")
    return 4.0 * c_loss * math.sqrt(2.0 * math.log(4.0 / delta))


def generalization_bound(numerator: float, N: int, c_loss: float, delta: float) -> float:
    """``(numerator + 4 c_loss sqrt(2 ln(4/delta))) / sqrt(N)`` — the bound on ``E ell - mean_i ell_i``."""
    _num(numerator, "numerator", allow_inf=True)
    _check_int(N, "N", minimum=1)
    if N < 1:
        raise ValueError(f"N must be >= 1, got {N!r}")
    return (numerator + confidence_term(c_loss, delta)) / math.sqrt(N)


# ----------------------------------------------------------------------------------------------
# length-dependent comparators
# ----------------------------------------------------------------------------------------------
def power_norm_envelope(A, B, C, D=None, T: int = 1024) -> float:
    """Comparator (i): ``||D||_inf + sum_{k=1}^{T-1} ||C||_inf ||A||_inf^{k-1} ||B||_inf`` (dense ``A``).

    The textbook submultiplicative envelope ``||h_k|| <= ||C|| ||A||^{k-1} ||B||``.  It is a valid
    bound of ``sum_{k<T} ||h_k||_inf`` but grows exponentially in ``T`` whenever ``||A||_inf > 1``,
    which a non-normal ``A`` can have although ``rho(A) < 1``.  Returns ``inf`` on overflow.
    """
    _as_array(A, "A", ndim=2)
    B, C = _as_array(B, "B", ndim=(1, 2)), _as_array(C, "C", ndim=(1, 2))
    if D is not None:
        _as_array(D, "D", ndim=(0, 1, 2))
    _check_int(T, "T", minimum=1)
    A = np.atleast_2d(np.asarray(A))
    B = np.atleast_2d(np.asarray(B))
    C = np.atleast_2d(np.asarray(C))
    a = float(np.abs(A).sum(axis=1).max())
    nb, nc = float(np.abs(B).sum(axis=1).max()), float(np.abs(C).sum(axis=1).max())
    dn = 0.0 if D is None else float(np.abs(np.atleast_2d(D)).sum(axis=1).max())
    n = int(T) - 1
    with np.errstate(over="ignore", invalid="ignore"):
        s = float(n) if a == 1 else float((np.power(np.float64(a), n) - 1.0) / (a - 1.0))
    return float(dn + nc * nb * s) if np.isfinite(s) else math.inf


def nonnormal_realization(A, B, C, D, V):
    """The same system in the state basis ``x' = V x``: ``(V diag(A) V^{-1}, V B, C V^{-1}, D)`` (dense ``A``)."""
    A = _as_array(A, "A", ndim=1)
    B, C = _as_array(B, "B", ndim=(1, 2)), _as_array(C, "C", ndim=(1, 2))
    if D is not None:
        _as_array(D, "D", ndim=(0, 1, 2))
    V = _as_array(V, "V", ndim=2)
    if V.shape != (A.shape[0], A.shape[0]):
        raise ValueError(f"V must be an ({A.shape[0]}, {A.shape[0]}) matrix, got shape {V.shape}")
    A = np.asarray(A)
    V = np.asarray(V)
    Vi = np.linalg.inv(V)
    return V @ np.diag(A) @ Vi, V @ np.asarray(B), np.asarray(C) @ Vi, D


def union_over_time_factor(T: int) -> float:
    """Comparator (ii): ``sqrt(2 ln(2T))``, the Massart factor of a union bound over ``T`` time steps (and sign)."""
    _check_int(T, "T", minimum=1)
    return math.sqrt(2.0 * math.log(2.0 * T))


# ----------------------------------------------------------------------------------------------
# the paper's form: finite-energy inputs, inner blocks by l1 (Young), last block by H2 (Cauchy-Schwarz)
# ----------------------------------------------------------------------------------------------
def paper_form_complexity(K: float, N: int, inner_l1, last_h2: float, lipschitz: float = 1.0, w_l1: float = 1.0,
                          encoder_norm: float = 1.0, bias_abs: float = 0.0, residual: bool = False,
                          last_nonlinearity: bool = True) -> float:
    """Bound on the empirical Rademacher complexity of the deep class on finite-energy inputs [R].

    Assumption (Rácz et al. as restated by Honarpisheh et al. 2502.01473, Remark 4.1 [secondary]):
    every input has finite energy, ``sum_t ||u_t||_2^2 <= K^2``.  Derivation (notebook 01, section 1)::

        R_S(F) <= ( K a ||w||_1 prod_{l<L} c_l * c_L + |b| ) / sqrt(N)
        c_l = 2 L_phi E_l        E_l = sum_k ||h^l_k||_inf   (inner blocks: true l1 norm, Young's inequality)
        c_L = 2 L_phi H_L        H_L = (sum_k ||h^L_k||_inf^2)^{1/2}  (last block at the readout time: Cauchy-Schwarz)

    with the propagated quantity ``M(V)^2 = sum_t E_sigma sup_V ||sum_i sigma_i v_t(u^i)||_inf^2``
    (``M(input) <= sqrt(N) K``), Ledoux-Talagrand (Thm 4.12, ``F(x) = x^2``) for each coordinate-wise
    ``phi`` -- the conservative factor ``2 L_phi`` --, and a residual block adding its skip branch
    (``1 + c``).  ``last_nonlinearity=False``: the readout reads the last block's SSM output directly
    (``c_L = H_L``).  ``inner_l1`` must be uniform envelopes of the class (a fixed block's own
    impulse-response norms, or :func:`class_envelope`); ``last_h2`` only a uniform H2-type bound.
    No ``T`` appears.  Returns ``inf`` if an ingredient is infinite (an unstable block).
    """
    for v, nm in ((K, "K"), (lipschitz, "lipschitz"), (w_l1, "w_l1"), (encoder_norm, "encoder_norm"), (bias_abs, "bias_abs")):
        _num(v, nm)
    _num(last_h2, "last_h2", allow_inf=True)
    _nums(inner_l1, "inner_l1", allow_inf=True)
    _check_int(N, "N", minimum=1)
    vals = dict(K=K, last_h2=last_h2, lipschitz=lipschitz, w_l1=w_l1, encoder_norm=encoder_norm, bias_abs=bias_abs)
    inner = [float(e) for e in inner_l1]
    for n, v in list(vals.items()) + [("inner_l1", e) for e in inner]:
        if math.isnan(float(v)) or float(v) < 0:
            raise ValueError(f"{n} must be >= 0 (not NaN), got {v!r}")
    cs = [block_constant(e, lipschitz, 1.0, residual) for e in inner]
    cL = 2.0 * lipschitz * last_h2 if last_nonlinearity else float(last_h2)
    cs.append(1.0 + cL if residual else cL)
    with np.errstate(invalid="ignore"):
        prod = depth_product(cs)
    if not math.isfinite(prod):
        return math.inf
    return (K * encoder_norm * w_l1 * prod + bias_abs) / math.sqrt(N)


# ----------------------------------------------------------------------------------------------
# loss
# ----------------------------------------------------------------------------------------------
def clipped_square_lipschitz(c: float) -> float:
    """Lipschitz constant ``2 sqrt(c)`` of the clipped square loss ``min((pred - y)^2, c)`` [R] (slope ``2|e|`` on
    ``|e| <= sqrt(c)``, 0 beyond)."""
    _num(c, "c", positive=True)
    return 2.0 * math.sqrt(c)


# ----------------------------------------------------------------------------------------------
# the union-bound grid over data-chosen models
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NormGrid:
    """Geometric grid of norm levels for the union bound over data-chosen models [R].

    Positive norms (encoder ``a``, per block ``beta_l``, ``d_l``, readout ``||w||_1``, ``|b|``) take levels
    ``ratio^k`` in ``[lo, hi]``; the stability margin ``1 - gamma_l`` takes levels ``ratio^k`` in
    ``[margin_lo, 1]``.  A model is assigned the smallest class containing it (norms rounded up,
    margins rounded down).  Each class is fixed before the data, so with ``delta / size`` per class
    the bound holds simultaneously for all of them (union bound).
    """

    ratio: float = 1.25
    lo: float = 1e-4
    hi: float = 1e4
    margin_lo: float = 1e-4

    def n_levels(self) -> int:
        return int(math.floor(math.log(self.hi / self.lo) / math.log(self.ratio) + 1e-9)) + 1

    def n_margin_levels(self) -> int:
        return int(math.floor(math.log(1.0 / self.margin_lo) / math.log(self.ratio) + 1e-9)) + 1

    def size(self, n_layers: int) -> int:
        """Number of classes: ``n^(3 + 2 L) * m^L`` (``n`` norm levels, ``m`` margin levels)."""
        return self.n_levels() ** (3 + 2 * n_layers) * self.n_margin_levels() ** n_layers

    def round_up(self, x: float) -> float:
        """Smallest level ``>= x`` (``lo`` if ``x <= lo``; ``inf`` if ``x > hi``)."""
        if x <= self.lo:
            return self.lo
        k = math.ceil(math.log(x / self.lo) / math.log(self.ratio) - 1e-12)
        v = self.lo * self.ratio**k
        return v if v <= self.hi * (1 + 1e-12) else math.inf

    def round_margin_down(self, m: float) -> float:
        """Largest margin level ``<= m`` (``0`` if ``m < margin_lo``: the model is outside every class)."""
        if m >= 1:
            return 1.0
        if m < self.margin_lo:
            return 0.0
        k = math.ceil(math.log(1.0 / m) / math.log(self.ratio) - 1e-12)
        return self.ratio ** (-k)


# ----------------------------------------------------------------------------------------------
# the one-block envelope class
# ----------------------------------------------------------------------------------------------
def envelope_class_complexity_bound(K_u: float, eta, N: int, w_bound: float = 1.0) -> float:
    """[R] bound (L1, L2, L6) on the Rademacher complexity of the one-block envelope class ``{u -> w sum_k h_k u_{T-1-k}:
    |h_k| <= eta_k, |w| <= w_bound}`` on inputs ``|u_t| <= K_u`` (Monte Carlo: :func:`ssmtheory.experiments.rademacher.mc_rademacher_envelope_class`):
    ``w_bound ||eta||_1 K_u / sqrt(N)``."""
    _num(K_u, "K_u")
    _nums(eta, "eta")
    _check_int(N, "N", minimum=1)
    _num(w_bound, "w_bound", positive=True)
    return float(w_bound * np.sum(np.asarray(eta, float)) * K_u / math.sqrt(N))
