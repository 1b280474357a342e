"""Initializations: HiPPO-LegS, its normal-plus-low-rank form, S4D-Lin/Inv/LegS/Real, S5 blocks, LRU ring.

All constructions run on the host in NumPy float64 / complex128 (eigendecompositions included);
cast with ``jnp.asarray(..., dtype)`` when handing them to the jitted core.

Conventions
-----------
* HiPPO-LegS (Gu et al. 2020; S4): ``A[n, k] = -sqrt(2n+1) sqrt(2k+1)`` for ``n > k``, ``-(n+1)`` for ``n = k``,
  ``0`` for ``n < k``; ``B[n] = sqrt(2n+1)``; ``n, k = 0..N-1``.
* NPLR: ``A = A_N - P P^T`` with ``P[n] = sqrt(n + 1/2)`` (so ``B = sqrt(2) P``) and normal part
  ``A_N = -I/2 + S``, ``S`` skew-symmetric.  Its eigendecomposition is computed with ``eigh`` of the
  Hermitian matrix ``-1j S`` (stable; ``eig`` of ``A`` itself is ill-posed, see notebook 05).
* S4D initializations return the **stored** eigenvalues of a real system of dimension ``2N``: ``N`` values with
  non-negative imaginary part, one per conjugate pair, to be used with ``conj_sym=True``
  (state-spaces/s4 ``dplr``; Gu et al. 2022, "On the parameterization and initialization of diagonal SSMs"):
  S4D-Lin ``-1/2 + i pi n``; S4D-Inv ``-1/2 + i (2N/pi) (2N/(2n+1) - 1)``;
  S4D-LegS = the eigenvalues of the ``2N x 2N`` HiPPO-LegS normal part; S4D-Real ``-(n+1)`` (real, ``N`` states).
"""

from __future__ import annotations

import numpy as np

from ssmtheory._validate import check_int, check_positive, check_size

__all__ = ["hippo_legs", "hippo_legs_nplr", "hippo_legs_normal_eig", "s4d_lin", "s4d_inv", "s4d_legs", "s4d_real", "s5_blocks", "lru_ring"]


def _state_size(n: int, name: str, dense: bool) -> int:
    """Refuse (ValueError naming ``name``) a state size whose complex128 vector, or dense matrix, exceeds the limit."""
    check_size(16 * n * (n if dense else 1), name, "dense matrix" if dense else "eigenvalue vector")
    return n

def hippo_legs(N: int):
    """HiPPO-LegS ``(A, B)``: float64 arrays of shapes ``(N, N)`` and ``(N,)`` (lower triangular ``A``)."""
    N = _state_size(check_int(N, "N"), "N", dense=True)
    q = np.sqrt(2.0 * np.arange(N) + 1.0)
    A = -np.tril(np.outer(q, q), -1) - np.diag(np.arange(N) + 1.0)
    return A, q.copy()


def hippo_legs_nplr(N: int):
    """Normal-plus-low-rank form ``A = A_N - P P^T``; returns ``(A_N, P, B)`` in float64.

    ``A_N = -I/2 + S`` with ``S`` skew-symmetric, ``P[n] = sqrt(n + 1/2)``, ``B = sqrt(2) P``.
    """
    A, B = hippo_legs(N)
    P = np.sqrt(np.arange(N) + 0.5)
    A_N = A + np.outer(P, P)
    return A_N, P, B


def hippo_legs_normal_eig(N: int):
    """Eigendecomposition of the HiPPO-LegS normal part: ``A_N = V diag(Lambda) V^*`` with unitary ``V``.

    ``Lambda = -1/2 + i mu`` where ``mu`` are the eigenvalues of the Hermitian ``-1j S`` (``eigh``, float64);
    sorted by imaginary part.  Returns ``(Lambda (N,), V (N, N))`` complex128.
    """
    A_N, _, _ = hippo_legs_nplr(N)
    S = A_N + 0.5 * np.eye(N)
    mu, V = np.linalg.eigh(-1j * S)
    Lambda = -0.5 + 1j * mu
    order = np.argsort(mu, kind="stable")
    return Lambda[order], V[:, order]


def s4d_lin(N: int):
    """S4D-Lin: ``Lambda_n = -1/2 + i pi n``, ``n = 0..N-1`` (stored half of a ``2N``-state real system)."""
    N = _state_size(check_int(N, "N"), "N", dense=False)
    return -0.5 + 1j * np.pi * np.arange(N)


def s4d_inv(N: int):
    """S4D-Inv: ``Lambda_n = -1/2 + i (2N/pi) (2N/(2n+1) - 1)`` (state-spaces/s4 ``dplr(init='inv')`` with 2N states)."""
    N = _state_size(check_int(N, "N"), "N", dense=False)
    M = 2 * N
    n = np.arange(N)
    return -0.5 + 1j * (M / np.pi) * (M / (2 * n + 1.0) - 1.0)


def s4d_legs(N: int, return_B: bool = False):
    """S4D-LegS: the ``N`` eigenvalues with positive imaginary part of the ``2N x 2N`` HiPPO-LegS normal part.

    With ``return_B`` also returns ``B_tilde = (V^* B_H)`` restricted to those modes (``B_H`` the HiPPO ``B``);
    note S4D pairs the normal part with ``B_H / 2`` (see notebook 05), which the caller applies.
    """
    N = _state_size(check_int(N, "N"), "N", dense=True)
    Lambda, V = hippo_legs_normal_eig(2 * N)
    keep = np.imag(Lambda) > 0
    if keep.sum() != N:  # pragma: no cover - guaranteed by the skew structure for even size
        raise RuntimeError("HiPPO-LegS normal part did not split into conjugate pairs")
    lam = Lambda[keep]
    if not return_B:
        return lam
    _, B = hippo_legs(2 * N)
    return lam, (V.conj().T @ B)[keep]


def s4d_real(N: int):
    """S4D-Real: ``Lambda_n = -(n + 1)``, ``n = 0..N-1`` (real float64; ``N`` real states)."""
    N = _state_size(check_int(N, "N"), "N", dense=False)
    return -(np.arange(N) + 1.0)


def s5_blocks(P: int, blocks: int = 1):
    """S5 block-diagonal initialization: the HiPPO-LegS normal part of size ``P / blocks``, repeated ``blocks`` times.

    Returns ``(Lambda (P,), V (P, P), Vinv (P, P))`` complex128 with ``A_blockdiag = V diag(Lambda) Vinv``;
    ``V`` is unitary, so ``Vinv = V^*``.  Use ``B_tilde = Vinv B`` and ``C_tilde = C V`` (Smith et al. 2023).
    """
    P = _state_size(check_int(P, "P"), "P", dense=True)
    blocks = check_int(blocks, "blocks")
    if P % blocks:
        raise ValueError(f"blocks must divide P, got P={P}, blocks={blocks}")
    bs = P // blocks
    lam, v = hippo_legs_normal_eig(bs)
    Lambda = np.tile(lam, blocks)
    V = np.zeros((P, P), complex)
    for b in range(blocks):
        V[b * bs : (b + 1) * bs, b * bs : (b + 1) * bs] = v
    return Lambda, V, V.conj().T


def lru_ring(key, P: int, r_min: float = 0.0, r_max: float = 1.0, max_phase: float = 2 * np.pi):
    """LRU ring initialization (Orvieto et al. 2023): discrete eigenvalues ``Lambda_bar (P,)`` complex128.

    ``|lambda|^2`` uniform on ``[r_min^2, r_max^2]`` (uniform on the ring's area), phase uniform on
    ``[0, max_phase]``; the parameterization ``lambda = exp(-exp(nu_log) + i exp(theta_log))`` with
    ``nu_log = log(-log|lambda|)``, ``theta_log = log(phase)`` is what ``models`` trains.
    ``key`` is a JAX PRNG key or an integer seed.
    """
    import jax

    P = _state_size(check_int(P, "P"), "P", dense=False)
    if not (0.0 <= r_min < r_max <= 1.0):
        raise ValueError(f"r_min, r_max must satisfy 0 <= r_min < r_max <= 1, got r_min={r_min}, r_max={r_max}")
    check_positive(max_phase, "max_phase")
    if isinstance(key, (int, np.integer)):
        key = jax.random.PRNGKey(int(key))
    k1, k2 = jax.random.split(key)
    u1 = np.asarray(jax.random.uniform(k1, (P,), minval=1e-12, maxval=1.0), dtype=np.float64)
    u2 = np.asarray(jax.random.uniform(k2, (P,)), dtype=np.float64)
    mod = np.sqrt(u1 * (r_max**2 - r_min**2) + r_min**2)
    mod = np.minimum(mod, np.nextafter(1.0, 0.0))  # keep |lambda| < 1 strictly (nu_log finite)
    return mod * np.exp(1j * max_phase * u2)
