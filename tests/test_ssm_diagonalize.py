"""ssm.diagonalize: the eigenbasis change (Lambda, V, V^{-1} B, C V) against brute-force checks."""

import numpy as np
import pytest

from ssmtheory import init, ssm


def _random_system(N=6, m=2, p=3, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(N, N)) - 2.0 * np.eye(N)
    return A, rng.normal(size=(N, m)), rng.normal(size=(p, N))


def test_diagonalize_reconstructs_and_solves():
    A, B, C = _random_system()
    lam, V, Bt, Ct = ssm.diagonalize(A, B, C)
    np.testing.assert_allclose(np.linalg.norm(V, axis=0), 1.0, rtol=1e-12)  # unit columns
    np.testing.assert_allclose((V * lam) @ np.linalg.inv(V), A, atol=1e-10)  # A = V diag(lam) V^-1
    np.testing.assert_allclose(V @ Bt, B, atol=1e-10)  # Bt = V^-1 B
    np.testing.assert_allclose(Ct, C @ V, atol=1e-12)


def test_diagonalize_keeps_the_transfer_function():
    """Brute force: C (sI - A)^{-1} B by dense solves equals sum_k Ct_k Bt_k^T / (s - lam_k) at random points."""
    A, B, C = _random_system(N=7, m=2, p=2, seed=1)
    lam, _, Bt, Ct = ssm.diagonalize(A, B, C)
    for s in (0.3j, 1.0 + 2.0j, -0.5 + 5.0j):
        dense = C @ np.linalg.solve(s * np.eye(7) - A, B)
        diag = (Ct / (s - lam)[None, :]) @ Bt
        np.testing.assert_allclose(diag, dense, rtol=1e-9, atol=1e-12)


def test_diagonalize_vector_B_C_and_no_C():
    A, B, C = _random_system(N=5)
    lam, V, bt, ct = ssm.diagonalize(A, B[:, 0], C[0])
    assert bt.shape == (5,) and ct.shape == (5,)
    np.testing.assert_allclose(V @ bt, B[:, 0], atol=1e-10)
    assert ssm.diagonalize(A, B[:, 0])[3] is None


def test_diagonalize_same_arithmetic_as_eig_then_solve():
    """Bit-identical to numpy.linalg.eig followed by one solve (what ptd and frozen_s4 did before)."""
    A = init.hippo_legs(12)[0] + 1e-2 * np.random.default_rng(2).normal(size=(12, 12))
    B = init.hippo_legs(12)[1]
    lam, V, Bt, _ = ssm.diagonalize(A, B)
    lam0, V0 = np.linalg.eig(A)
    assert np.array_equal(lam, lam0) and np.array_equal(V, V0)
    assert np.array_equal(Bt, np.linalg.solve(V0, B.astype(complex)))


@pytest.mark.parametrize("bad", [dict(A=np.ones((2, 3))), dict(B=np.ones(4)), dict(C=np.ones((1, 4)))])
def test_diagonalize_refuses_mismatched_shapes(bad):
    kw = dict(A=-np.eye(3) + np.triu(np.ones((3, 3)), 1), B=np.ones(3), C=np.ones(3))
    name = next(iter(bad))
    with pytest.raises(ValueError, match=name):
        ssm.diagonalize(**dict(kw, **bad))
