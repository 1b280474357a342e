"""experiments.ptd_study: notebook 05's drivers, the released-perturbation loader and the Ginibre Monte Carlo."""

import numpy as np
import pytest

from ssmtheory import init, ssm
from ssmtheory.experiments import ptd_study
from ssmtheory.theory import ptd


def test_ginibre_kappa_shape_scaling_and_determinism():
    A, _ = init.hippo_legs(8)
    K = ptd_study.ginibre_kappa(A, [1e-4, 1e-2], n_draws=4, seed=3)
    assert K.shape == (2, 4) and np.all(K >= 1)
    np.testing.assert_array_equal(K, ptd_study.ginibre_kappa(A, [1e-4, 1e-2], n_draws=4, seed=3))
    assert np.all(K[0] > K[1])  # a larger perturbation regularizes more
    A_N, _, _ = init.hippo_legs_nplr(8)
    assert np.all(ptd_study.ginibre_kappa(A_N, [1e-2], n_draws=3) < 1.5)


def test_perturbation_structure_shares():
    A, _ = init.hippo_legs(6)
    E = np.zeros((6, 6))
    E[:, -1] = 1.0
    st = ptd_study.perturbation_structure(A, E)
    assert st["last_col"] == pytest.approx(1.0) and st["first_row"] == pytest.approx(1 / 6)
    assert st["upper"] + st["lower"] + st["diag"] == pytest.approx(1.0)


def test_load_released_missing_source_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        ptd_study.load_released("ptbHiPPO8", source=str(tmp_path))
    with pytest.raises(ValueError, match="name"):
        ptd_study.load_released("nope", source=str(tmp_path))


def test_conditioning_study_small_sizes():
    """Against direct numbers: mpmath log2 kappa grows ~2.5 per unit N; the normal part has kappa 1."""
    r = ptd_study.conditioning_study([8, 16, 24, 32, 48], [8, 16, 32], seed=0)
    assert 2.4 <= r["slope"] <= 2.6 and abs(r["slope_ctrl"]) < 1e-6
    assert r["excess"] == pytest.approx(min(r["log2k"][[1, 3, 4]] - 2 * np.array([16, 32, 48])))
    assert r["cond16"] > 1e10 and r["cond16_ctrl"] < 1 + 1e-9 and r["err_ctrl"] < 1e-12
    with pytest.raises(ValueError, match="kappa_N"):
        ptd_study.conditioning_study([8, 16], [16, 32])


def test_midpoint_sigma_and_normal_distance():
    r = ptd_study.midpoint_sigma(8)
    assert r["s_h"] == pytest.approx(r["s_mp"], rel=1e-8)
    assert r["s_n"] == pytest.approx(r["d_n"], rel=1e-10)


def test_ptd_e1_control_uses_the_eigenbasis_change():
    """PTD's C = e_1 deviation vanishes with E -> 0 for a well-conditioned (small) N, and the diagonal realization
    reproduces the dense transfer function."""
    N = 6
    E = ptd.worst_aligned_perturbation(N, 1e-8)
    r = ptd_study.ptd_e1_control(N, E)
    assert r["sup"] < 1e-6 and r["dev"] < 1e-6


def test_thm3_study_first_order_and_ratios():
    N = 8
    E = ptd.worst_aligned_perturbation(N, 1e-2)
    r = ptd_study.thm3_study(N, E, [1e-4, 1e-3, 1e-2, 1e-1], n_C=20, n_curve=50)
    assert 0.95 < r["slope_t0"] < 1.05 and r["ratio_abs"] <= 1.0 and r["ratio_rel"] > r["ratio_abs"]
    assert r["ratio_w"] == pytest.approx(r["s4"]["worst"] / r["pd"]["worst"])
    w, d_s4, d_pt = r["curve"]
    assert w.shape == d_s4.shape == d_pt.shape == (50,)
    with pytest.raises(ValueError, match="ts"):
        ptd_study.thm3_study(N, E, [1e-3, 1e-2])


def test_tradeoff_study_and_select_point():
    from ssmtheory.experiments import ptd_search

    A, _ = init.hippo_legs(8)
    sweep = ptd_search.ptd_sweep(A, [30.0, 3.0], steps=150, lr=2e-3)
    i = ptd_study.select_point(sweep, eps_max=1.0)
    assert i == int(np.argmax([r.eps_rel for r in sweep]))
    r = ptd_study.tradeoff_study(8, sweep, i, n_gauss=2)
    assert r["gk"].shape == (4, 2) and r["gk_null"].shape == (2,)
    assert r["g_kap_sel"] == pytest.approx(
        __import__("ssmtheory.pseudospectra", fromlist=["x"]).eigvec_condition(A + ptd.gaussian_perturbation(A, sweep[i].eps_rel)))
    with pytest.raises(ValueError, match="i_sel"):
        ptd_study.tradeoff_study(8, sweep, 5)


def test_resolvent_and_backward_stability_small():
    r = ptd_study.resolvent_study([8, 16])
    assert np.all(r["res"][:, 0] > 0.5) and r["grid_chk"] < 1e-6 and r["excess"] < 0 < r["excess_ctrl"]
    E = ptd.worst_aligned_perturbation(8, 1e-2)
    b = ptd_study.backward_stability(8, E, sizes=[8, 28])
    assert b["ptd32"] == ptd.realization_error(8, E, dtype=np.float32) and b["direct_N"][1] > 1e-2


def test_ginibre_study_small():
    r = ptd_study.ginibre_study([8, 16], [1e-4, 1e-3, 1e-2], n_draws=3, seed=0)
    assert r["thm4"] < r["thm4_ctrl"] and r["slope_d"] < -0.5 and abs(r["slope_d_ctrl"]) < 0.5
    assert r["KG"][8].shape == (3, 3) and r["i3"] == 1
