"""experiments.ptd_search: our reconstruction of PTD's optimizer of E, on the package's training engine."""

import jax
import numpy as np
import pytest

from ssmtheory import init, ssm
from ssmtheory.experiments import ptd_search
from ssmtheory.theory import ptd

jax.config.update("jax_enable_x64", True)


def test_ptd_output_stable_and_reconstructs():
    N = 8
    A, B = init.hippo_legs(N)
    r = ptd_search.ptd_optimize(A, 10.0, steps=300, lr=2e-3)
    assert r.max_re < 0 and np.all(np.isfinite(r.E))
    lam, V, Bt, Ct = ssm.diagonalize(A + r.E, B, np.eye(N)[0])
    np.testing.assert_allclose(V @ np.diag(lam) @ np.linalg.inv(V), A + r.E, atol=1e-9 * np.linalg.norm(A))
    np.testing.assert_allclose(V @ Bt, B, atol=1e-10 * np.linalg.norm(B))
    assert r.kappa < 1e3  # vs exact 2^16 ~ 7e4 for E = 0
    assert r.eps_rel == pytest.approx(np.linalg.norm(r.E, 2) / np.linalg.norm(A, 2))
    # the diagonal system's transfer function equals the dense one of A + E
    s = np.array([0.5j, 3j, 20j])
    np.testing.assert_allclose(ptd.transfer_diag(lam, Bt, Ct, s), ptd.transfer_dense(A + r.E, B, np.eye(N)[0], s), rtol=1e-8)


def test_sweep_member_is_the_single_run_bit_for_bit():
    """One population of one per gamma: a sweep member is the same program as ptd_optimize, so identical bits (the
    optimization amplifies round-off, so anything weaker would not pin the result)."""
    A, _ = init.hippo_legs(6)
    sweep = ptd_search.ptd_sweep(A, [30.0, 3.0], steps=60, lr=2e-3, seed=1)
    for r in sweep:
        single = ptd_search.ptd_optimize(A, r.gamma, steps=60, lr=2e-3, seed=1)
        assert np.array_equal(single.E, r.E) and np.array_equal(single.loss, r.loss)


def test_larger_gamma_gives_smaller_E_and_the_loss_decreases():
    A, _ = init.hippo_legs(8)
    big, small = ptd_search.ptd_sweep(A, [100.0, 1.0], steps=300, lr=2e-3)
    assert big.eps < small.eps and big.kappa > small.kappa
    for r in (big, small):
        assert r.loss[-1] < r.loss[0] and np.all(np.isfinite(r.loss))


def test_objective_matches_its_formula():
    """The engine's recorded loss at step 0 equals the objective evaluated with numpy at X_0."""
    A, _ = init.hippo_legs(6)
    r = ptd_search.ptd_optimize(A, 7.0, steps=1, seed=2, init_scale=1e-2)
    nA = np.linalg.norm(A, 2)
    E0 = nA * 1e-2 * np.random.default_rng(2).normal(size=(6, 6))
    w, V = np.linalg.eig(A + E0)
    V = V / np.linalg.norm(V, axis=0)
    want = (np.log(np.linalg.norm(V) * np.linalg.norm(np.linalg.inv(V)) / 6) + 7.0 * np.linalg.norm(E0) / nA
            + 10.0 * np.sum(np.maximum(w.real + 0.5, 0)) / nA)
    assert r.loss[0] == pytest.approx(want, rel=1e-9)


def test_arguments_are_validated():
    A, _ = init.hippo_legs(4)
    with pytest.raises(ValueError, match="gamma"):
        ptd_search.ptd_optimize(A, -1.0, steps=2)
    with pytest.raises(ValueError, match="gammas"):
        ptd_search.ptd_sweep(A, [], steps=2)
    with pytest.raises(ValueError, match="X0"):
        ptd_search.ptd_optimize(A, 1.0, steps=2, X0=np.ones((3, 3)))
