"""experiments.data_dependent and the notebook-02 helpers of experiments.siso against independent oracles."""

import numpy as np
import pytest

from ssmtheory import processes, ssm, stats
from ssmtheory.experiments import data_dependent as dd
from ssmtheory.experiments import siso


def test_siso_kernel_matches_the_recurrence():
    lam, C, dt, L = np.array([-0.5 + 3j, -1.0 + 1j]), np.array([[1.0 - 0.5j, 0.3 + 0.2j]]), 0.1, 16
    k = dd.siso_kernel(lam, C, dt, L)
    lb, bb = (np.asarray(a)[0] for a in ssm.discretize(lam[None], np.ones((1, 2), complex), dt))
    ref = np.array([2 * np.real(np.sum(C[0] * lb**j * bb)) for j in range(L)])  # conj_sym: twice the real part
    np.testing.assert_allclose(k, ref, rtol=1e-10, atol=1e-12)


def test_second_moment_check_never_exceeds_tau_and_mc_agrees():
    rng = np.random.default_rng(0)
    kernels = np.stack([dd.random_s4d_kernel(rng, 32) for _ in range(3)])
    tau_, ex, mc, se = dd.second_moment_check([processes.brownian(1.0), processes.white_noise(1.0)], kernels, 4000, 32, rng)
    assert np.all(ex <= tau_ * (1 + 1e-10))
    assert np.all(np.abs(mc - ex) <= 5 * se)


def test_same_marginals_have_equal_tau():
    white, corr = processes.same_marginals_pair(0.99)
    b = dd.same_marginals_check((white, corr), [1e-2, 1e-1], 64, np.random.default_rng(0), N=8)
    np.testing.assert_allclose(b[:, 0, 0], b[:, 1, 0], rtol=1e-12)


def test_scaling_rule_and_invariance():
    pats = processes.equal_rms_patterns(64)
    lam = np.array([-0.5 + 1j * np.pi * n for n in range(4)])
    raw, tau_, nrm = dd.scaling_rule_rms(pats.values(), lam, np.ones((1, 4), complex), [1e-2], 64, np.random.default_rng(0))
    assert raw.shape == (1, len(pats)) and np.all(tau_ <= 1.5)
    assert dd.log_spread_ratio(nrm, raw) == pytest.approx(1.0)  # one factor for every pattern
    x = np.random.default_rng(1).normal(size=(32, 64)) + 1.0
    assert dd.scale_invariance_error(dd.siso_kernel(lam, np.ones((1, 4), complex), 1e-2, 64), x) < 1e-10


def test_paired_table_is_the_permutation_test():
    acc = {"test": np.random.default_rng(0).uniform(size=(6, 5)), "train": np.zeros((6, 5))}
    out = dd.paired_table(acc, {"c": (("test", "both", "baseline"), ("test", "placebo", "baseline"))})
    ref = stats.paired_permutation(acc["test"][:, 3], acc["test"][:, 0], alternative="greater")
    assert out["c"][0].p == ref.p


def test_tuned_picks_the_lowest_validation_loss_per_seed():
    task = siso.teacher_task(processes.brownian(1.0), 8, 0.1)
    mem = [m for s in (0, 1) for m in siso.design_members(task, s, {"tau": [0.1, 0.01]}, N=2, n=6)]
    res = {"val": np.array([2.0, 1.0, 0.5, 3.0]), "test": np.arange(4.0), "train": np.zeros(4), "tau": np.ones(4)}
    t = siso.tuned(mem, res, "tau", [0, 1])
    np.testing.assert_allclose(t[:, 0], [1.0, 2.0])  # seed 0 -> member 1, seed 1 -> member 2
    np.testing.assert_allclose(t[:, 1], [0.01, 0.1])
