"""Sizes that cannot fit are refused before anything is allocated (issue 13's fuzz: crashes, hangs, MemoryErrors).

Each call below used to abort the interpreter, hang, or raise a bare MemoryError; now it is a ValueError that
names the argument, raised at once.
"""

from __future__ import annotations

import numpy as np
import pytest

from ssmtheory import init, models, norms, stats

HUGE = 10**9
A = np.array([0.5, 0.2])
B = np.ones((2, 1))
C = np.ones((1, 2))
D = np.zeros((1, 1))
X = np.arange(1.0, 9.0)


@pytest.mark.parametrize("call, name", [
    (lambda: init.hippo_legs(HUGE), "N"),
    (lambda: init.hippo_legs_nplr(HUGE), "N"),
    (lambda: init.hippo_legs_normal_eig(HUGE), "N"),
    (lambda: init.s4d_lin(HUGE), "N"),
    (lambda: init.s4d_inv(HUGE), "N"),
    (lambda: init.s4d_legs(HUGE), "N"),
    (lambda: init.s4d_real(HUGE), "N"),
    (lambda: init.s5_blocks(HUGE), "P"),
    (lambda: init.lru_ring(0, HUGE), "P"),
    (lambda: norms.impulse_response(A, B, C, D, HUGE), "n"),
    (lambda: norms.hinf_norm(A, B, C, D, n_grid=HUGE), "n_grid"),
    (lambda: stats.bootstrap_mean(X, n_boot=HUGE), "n_boot"),
    (lambda: stats.paired_bootstrap(X, X[::-1], n_boot=HUGE), "n_boot"),
    (lambda: stats.paired_permutation(np.arange(20.0), np.zeros(20), n_perm=HUGE), "n_perm"),
    (lambda: stats.cluster_bootstrap(X, clusters=np.repeat([0, 1, 2, 3], 2), statistic=np.mean, n_boot=HUGE), "n_boot"),
    (lambda: stats.permutation_spearman(X, X, n_perm=HUGE), "n_perm"),
    (lambda: stats.permutation_spearman(X, X, n_boot=HUGE), "n_boot"),
    (lambda: stats.partial_spearman_test(X, X ** 2, X[::-1], n_perm=HUGE), "n_perm"),
    (lambda: stats.bootstrap_log_slope(X, X ** 2, n_boot=HUGE), "n_boot"),
])
def test_huge_size_is_refused_by_name(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


def test_the_guards_leave_ordinary_sizes_alone():
    assert init.hippo_legs(64)[0].shape == (64, 64)
    assert np.shape(init.lru_ring(0, 256)) == (256,)
    assert stats.bootstrap_mean(X, n_boot=stats.MAX_RESAMPLES).n == X.size


def test_models_apply_names_u_for_a_non_numeric_array():
    cfg = models.DeepSSMConfig(d_input=1, d_model=4, d_output=2, n_layers=1, d_state=2)
    p = models.init_params(0, cfg)
    with pytest.raises(ValueError, match="^u "):
        models.apply(p, np.array([[["a"]]]), cfg)


def test_experiment_sizes_are_refused_by_name():
    import jax

    from ssmtheory.experiments import complex_real, mamba

    with pytest.raises(ValueError, match="^length "):
        mamba.copy_task(jax.random.PRNGKey(0), 2, HUGE, 3, 8)
    with pytest.raises(ValueError, match="^n "):
        complex_real.init_ssm_params(jax.random.PRNGKey(0), HUGE, "real")
