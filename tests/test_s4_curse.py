"""The authors' S4 Figure-1 model (ssmtheory.experiments.s4_curse) against independent oracles: the dense
HiPPO-LegS matrix, a step-by-step NumPy recurrence of the dense bilinear system, a literal NumPy forward pass
with GELU after the D skip, and a NumPy reimplementation of the authors' twe_MSE."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import erf

from ssmtheory.experiments import s4_curse as s4

jax.config.update("jax_enable_x64", True)

T = 12


def _legs_dense(N):
    """HiPPO-LegS A (Gu et al.): A_nk = -sqrt(2n+1)sqrt(2k+1) (n > k), -(n+1) (n = k), 0 above."""
    n = np.arange(N)
    A = -np.sqrt(2 * n[:, None] + 1) * np.sqrt(2 * n[None, :] + 1)
    A = np.where(n[:, None] > n[None, :], A, 0.0) - np.diag(n + 1.0)
    return A


def _rand_params(seed, m=3, m_max=None, N=8, scale=0.3):
    """An initialized model with every real-channel tensor moved at random (trained-like parameters)."""
    p = s4.init_params(seed, m, m_max, N=N, T=T)
    rng = np.random.default_rng(seed + 100)
    mk = np.asarray(p["mask"])
    out = {}
    for k, v in p.items():
        v = np.asarray(v)
        if k == "mask":
            out[k] = v
        elif k == "W":
            out[k] = v + scale * rng.normal(size=v.shape) * mk[:, None] * mk[None, :]
        elif v.ndim >= 1:
            out[k] = v + scale * rng.normal(size=v.shape) * mk.reshape((-1,) + (1,) * (v.ndim - 1))
        else:
            out[k] = v + scale * rng.normal()
    return {k: jnp.asarray(v) for k, v in out.items()}


def _bilinear(p, i):
    """Dense continuous A (conjugate-augmented), Ab, Bb, C~ of channel i (NumPy)."""
    q = {k: np.asarray(v) for k, v in p.items()}
    lam = -np.exp(q["A_real"][i]) - 1j * q["A_imag"][i]
    c = lambda a: a[..., 0] + 1j * a[..., 1]
    aug = lambda z: np.concatenate([z, z.conj()])
    P, B, C = aug(c(q["P"][i])), aug(c(q["B"][i])), aug(c(q["C"][i]))
    A = np.diag(aug(lam)) - np.outer(P, P.conj())
    dt = np.exp(q["inv_dt"][i])
    I = np.eye(A.shape[0])
    Ab = np.linalg.solve(I - dt / 2 * A, I + dt / 2 * A)
    Bb = np.linalg.solve(I - dt / 2 * A, dt * B)
    return A, Ab, Bb, C


def test_hippo_legs_dplr_is_unitarily_the_legs_matrix():
    N = 16
    Lam, p, B, V = s4.hippo_legs(N)
    aug = lambda z: np.concatenate([z, z.conj()])
    A = np.diag(aug(Lam)) - np.outer(aug(p), aug(p).conj())
    Vf = np.concatenate([V, V.conj()], 1)  # unitary: the kept eigenvectors and their conjugates
    np.testing.assert_allclose(Vf @ Vf.conj().T, np.eye(N), atol=1e-10)
    np.testing.assert_allclose(Vf @ A @ Vf.conj().T, _legs_dense(N), atol=1e-9)  # A = V (Lam - p p^*) V^*
    np.testing.assert_allclose(Lam.real, -0.5, atol=1e-12)
    assert np.all(Lam.imag < 0) and np.all(np.abs(B.imag) <= 2.0)


def test_kernel_equals_truncated_generating_function_of_a_step_recurrence():
    p = _rand_params(0, m=3, N=8)
    K = np.asarray(s4.kernel(p, T))
    for i in range(3):
        A, Ab, Bb, Ct = _bilinear(p, i)
        Ceff = np.linalg.solve((np.eye(A.shape[0]) - np.linalg.matrix_power(Ab, T)).T, Ct)
        h, ref = Bb.copy(), []
        for _ in range(T):  # impulse response, step by step
            ref.append((Ceff @ h).real)
            h = Ab @ h
        np.testing.assert_allclose(K[i], ref, rtol=1e-9, atol=1e-12)


def test_init_C_tilde_recovers_the_untruncated_kernel():
    """_setup_C: with C~ = (I - Ab^L)^T C, the kernel at init is C^T Ab^l Bb with C = V^* e_1."""
    N, m = 8, 2
    p = s4.init_params(0, m, N=N, T=T)
    _, _, _, V = s4.hippo_legs(N)
    C0 = np.concatenate([V.conj()[0], V[0]])
    K = np.asarray(s4.kernel(p, T))
    for i in range(m):
        _, Ab, Bb, _ = _bilinear(p, i)
        ref = [(C0 @ np.linalg.matrix_power(Ab, l) @ Bb).real for l in range(T)]
        np.testing.assert_allclose(K[i], ref, rtol=1e-9, atol=1e-12)


def test_init_dt_is_the_authors_deterministic_branch():
    p = s4.init_params(0, 5)
    np.testing.assert_allclose(np.exp(np.asarray(p["inv_dt"])), np.exp(np.geomspace(1e-3, 1e-1, 5)), rtol=1e-12)


def _literal_forward(p, x, gelu_after_skip=True):
    q = {k: np.asarray(v) for k, v in p.items()}
    K = np.asarray(s4.kernel(p, x.shape[1]))
    z = x[..., None] * q["U"] + q["u"]
    n, L, H = z.shape
    y = np.zeros_like(z)
    for t in range(L):
        for s in range(t + 1):
            y[:, t] += K[:, s] * z[:, t - s]
    g = lambda a: 0.5 * a * (1 + erf(a / np.sqrt(2)))
    y = g(y + q["D"] * z) if gelu_after_skip else g(y) + q["D"] * z
    return (y @ q["W"].T + q["b"]) @ q["d"] + q["e"]


def test_forward_matches_recurrence_oracle_and_gelu_sits_after_the_skip():
    p = _rand_params(1, m=3, N=8)
    x = np.random.default_rng(0).normal(size=(4, T))
    out = np.asarray(s4.forward(p, x))
    np.testing.assert_allclose(out, s4.simulate(p, x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out, _literal_forward(p, x), rtol=1e-9, atol=1e-12)
    assert np.abs(out - _literal_forward(p, x, gelu_after_skip=False)).max() > 1e-3
    # not LTI: the centred response to 2x is not twice the response to x
    e = np.asarray(s4.forward(p, np.zeros_like(x)))
    assert np.abs((np.asarray(s4.forward(p, 2 * x)) - e) - 2 * (out - e)).max() > 1e-3


def test_loss_equals_numpy_twe_mse():
    p = _rand_params(2, m=2, N=4)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(5, T)), rng.normal(size=(5, T))
    out = np.asarray(s4.forward(p, x))
    w = ((np.arange(T) + 1) / (T + 1)) ** 2  # [C] twe_MSE, p = 2
    w = w / w.sum() * T
    ref = np.mean((out * w - y * w) ** 2)
    np.testing.assert_allclose(float(s4.loss(p, x, y)), ref, rtol=1e-12)


def test_padding_is_exact_and_padded_entries_get_no_gradient():
    p3 = _rand_params(4, m=3, N=4)
    p5 = s4.init_params(4, 3, 5, N=4, T=T)
    p5 = {k: (v.at[:3].set(p3[k]) if k not in ("W", "e", "mask") else v) for k, v in p5.items()}
    p5["W"] = p5["W"].at[:3, :3].set(p3["W"])
    p5["e"] = p3["e"]
    x = np.random.default_rng(5).normal(size=(3, T))
    np.testing.assert_allclose(np.asarray(s4.forward(p5, x)), np.asarray(s4.forward(p3, x)), rtol=1e-12, atol=1e-14)
    g = jax.jit(jax.grad(s4._loss))(p5, jnp.asarray(x), jnp.asarray(x))
    for k, v in g.items():
        v = np.asarray(v)
        if k == "W":
            assert np.all(v[3:] == 0) and np.all(v[:, 3:] == 0)
        elif v.ndim >= 1:
            assert np.all(v[3:] == 0), k


def test_perturbation_curve_protocol():
    p = s4._stack([s4.init_params(s, 3, 4, N=4, T=T) for s in (0, 1)])
    x = np.random.default_rng(6).normal(size=(8, T))
    betas = np.array([0.0, 0.01, 0.1, 1.0])
    E, rse = s4.perturbation_curve(p, betas, x, x, n_repeats=3, seed=0)
    assert E.shape == (2, 4) and rse.shape == (2, 4)
    for i in range(2):
        pi = {k: v[i] for k, v in p.items()}
        np.testing.assert_allclose(E[i, 0], float(s4.loss(pi, x, x)), rtol=1e-12)
    assert np.all(np.diff(E, axis=-1) >= 0)
    # every tensor moves, by beta in the inf norm, on the real channels only
    d = s4._noise_dirs({k: v[0] for k, v in p.items()}, 2, 0)
    assert set(d) == set(s4.PKEYS)
    for k, v in d.items():
        v = np.asarray(v)[1]
        assert np.isclose(np.abs(v).max(), 1.0)
        if k == "W":
            assert np.all(v[3:] == 0) and np.all(v[:, 3:] == 0)
        elif v.ndim >= 1:
            assert np.all(v[3:] == 0)


def test_train_sizes_protocols():
    from ssmtheory.theory import memory

    rho = memory.target_kernel("pol", T)
    data = memory.linear_functional_data(rho, 16, seed=0)
    val = memory.linear_functional_data(rho, 8, seed=1)
    out = s4.train_sizes([2, 3], [0, 1], data, val, epoch_steps=2, batch_size=8, max_epochs=3, budget_epochs=2,
                         N=4, m_max=3)
    assert out["equal"]["epochs"].tolist() == [[2, 2], [2, 2]]
    seq = out["sequential"]
    assert np.all(seq["epochs"][0] == 2)  # threshold 100: the first size stops at min_epochs
    assert np.all((seq["epochs"][1] == 3) | seq["reached"][1])
    assert np.all(np.isfinite(seq["loss"]))
    assert seq["params"][0]["W"].shape == (2, 3, 3)
