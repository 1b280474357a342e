"""Initializations against closed forms and reference values (state-spaces/s4, PTD note)."""

import jax
import numpy as np
import pytest

from ssmtheory import init


def test_hippo_legs_entries():
    A, B = init.hippo_legs(3)
    s = np.sqrt
    ref = -np.array([[1, 0, 0], [s(3) * 1, 2, 0], [s(5) * 1, s(5) * s(3), 3]])
    np.testing.assert_allclose(A, ref)
    np.testing.assert_allclose(B, [1, s(3), s(5)])
    assert A.dtype == np.float64 and B.shape == (3,)


def test_nplr_reconstruction_and_skew():
    A, B = init.hippo_legs(16)
    A_N, P, B2 = init.hippo_legs_nplr(16)
    np.testing.assert_allclose(A_N - np.outer(P, P), A, atol=1e-12)
    S = A_N + 0.5 * np.eye(16)
    np.testing.assert_allclose(S, -S.T, atol=1e-12)
    np.testing.assert_allclose(B2, np.sqrt(2) * P)


def test_normal_eig_unitary_and_omega_max():
    Lam, V = init.hippo_legs_normal_eig(32)
    A_N, _, _ = init.hippo_legs_nplr(32)
    np.testing.assert_allclose(V.conj().T @ V, np.eye(32), atol=1e-12)
    np.testing.assert_allclose(V @ np.diag(Lam) @ V.conj().T, A_N, atol=1e-10)
    np.testing.assert_allclose(Lam.real, -0.5, atol=1e-12)
    assert abs(Lam.imag.max() - 325.43) < 0.01  # PTD note: omega_max(32) = 325.43


def test_s4d_inits():
    np.testing.assert_allclose(init.s4d_lin(4), -0.5 + 1j * np.pi * np.arange(4))
    N = 32
    inv = init.s4d_inv(N)
    np.testing.assert_allclose(inv[0].imag, 64 / np.pi * (64 - 1))
    np.testing.assert_allclose(inv.real, -0.5)
    legs = init.s4d_legs(N)
    assert legs.shape == (N,) and np.all(legs.imag > 0)
    full, _ = init.hippo_legs_normal_eig(2 * N)
    np.testing.assert_allclose(np.sort(legs.imag), np.sort(full.imag[full.imag > 0]))
    lam, Bt = init.s4d_legs(4, return_B=True)
    assert Bt.shape == (4,)
    np.testing.assert_allclose(init.s4d_real(3), [-1.0, -2.0, -3.0])


def test_s5_blocks():
    Lam, V, Vinv = init.s5_blocks(8, blocks=2)
    A_N, _, _ = init.hippo_legs_nplr(4)
    blk = np.zeros((8, 8))
    blk[:4, :4] = A_N
    blk[4:, 4:] = A_N
    np.testing.assert_allclose(V @ np.diag(Lam) @ Vinv, blk, atol=1e-12)
    with pytest.raises(ValueError, match="blocks"):
        init.s5_blocks(8, blocks=3)


def test_lru_ring():
    lam = init.lru_ring(jax.random.PRNGKey(0), 4000, r_min=0.4, r_max=0.9, max_phase=np.pi / 10)
    r = np.abs(lam)
    assert r.min() >= 0.4 - 1e-12 and r.max() <= 0.9 + 1e-12
    ph = np.angle(lam)
    assert ph.min() >= 0 and ph.max() <= np.pi / 10 + 1e-12
    # |lambda|^2 uniform on [r_min^2, r_max^2]: mean of r^2 is the midpoint
    assert abs(np.mean(r**2) - (0.16 + 0.81) / 2) < 0.02
    np.testing.assert_array_equal(lam, init.lru_ring(0, 4000, 0.4, 0.9, np.pi / 10))
    assert not np.array_equal(lam, init.lru_ring(1, 4000, 0.4, 0.9, np.pi / 10))
    with pytest.raises(ValueError, match="r_min"):
        init.lru_ring(0, 4, r_min=0.9, r_max=0.5)
    with pytest.raises(ValueError, match="max_phase"):
        init.lru_ring(0, 4, max_phase=-1.0)


@pytest.mark.parametrize("fn", [init.hippo_legs, init.s4d_lin, init.s4d_inv, init.s4d_legs, init.s4d_real])
@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_sizes(fn, bad):
    with pytest.raises(ValueError, match="N"):
        fn(bad)
