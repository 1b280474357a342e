"""experiments.deep_bounds: notebook 01's sweeps against independent oracles (the model adapters bound_for_model /
paper_form_bound / block_standard are tested in tests/test_bounds.py)."""

import math

import jax
import numpy as np
import pytest

from ssmtheory import models, norms
from ssmtheory.experiments import deep_bounds as db
from ssmtheory.experiments import rademacher as rad
from ssmtheory.theory import bounds


@pytest.fixture(scope="module")
def lru():
    cfg = db.lru_config(d_model=2, d_state=4)
    return cfg, models.init_params(jax.random.PRNGKey(0), cfg)


def test_with_radius_sets_the_largest_modulus(lru):
    cfg, p = lru
    for r in (0.5, 0.9, 0.999):
        for s in models.layer_systems(db.with_radius(p, r), cfg):
            assert np.abs(np.asarray(s["Lambda_bar"])).max() == pytest.approx(r, rel=1e-12)


def test_depth_sweep_recovers_the_product_of_target_constants():
    # scaled_model makes every block's constant 2 E_l = c (tanh: L_phi = 1), so the product is c^L (residual: (1 + c)^L)
    dep, err = db.depth_sweep([1, 2, 3], [("c", 0.9, False), ("r", 0.9, True)], seed=0, N=100)
    np.testing.assert_allclose(dep["c"], 0.9 ** np.arange(1, 4), rtol=1e-9)
    np.testing.assert_allclose(dep["r"], 1.9 ** np.arange(1, 4), rtol=1e-9)
    assert err <= 1.0


def test_margin_sweep_obeys_the_margin_cap_and_decreases(lru):
    cfg, p = lru
    ms = db.margin_sweep(p, cfg, [0.5, 0.8, 0.95], T_max=64, N=100)
    assert np.all(ms["margin"][:, None] * ms["E"] <= ms["cap"][None, :] * (1 + 1e-12))
    assert np.all(np.diff(ms["B"]) > 0)  # radii increase, margins shrink: the bound grows
    assert ms["pf1"].bound == math.inf


def test_length_sweep_and_comparators_match_direct_calls(lru):
    cfg, _ = lru
    Ts = [8, 64]
    sw = db.length_sweep(Ts, [0.9], seed=0, N=100)
    p = models.init_params(jax.random.PRNGKey(0), db.lru_config(r_max=0.9))
    direct = [db.bound_for_model(p, db.lru_config(r_max=0.9), N=100, T=T).bound for T in Ts]
    np.testing.assert_allclose(sw["curves"][0.9], direct, rtol=0)
    c = db.length_comparators(p, db.lru_config(r_max=0.9), sw["reps"][0.9], Ts, seed=0, N=100)
    assert c["same_h"] < 1e-8  # the non-normal basis keeps the impulse response
    blocks = [db.block_standard(s) for s in models.layer_systems(p, db.lru_config(r_max=0.9))]
    assert c["l1_inf"][0] == pytest.approx(norms.l1_norm(*blocks[0], norm="inf").upper)
    assert np.all(c["env_inf"] >= c["l1_inf"] * (1 - 1e-12))
    assert c["comp_ii"][1] > c["comp_ii"][0]


def test_unit_radius_horizon_grows_linearly(lru):
    cfg, p = lru
    uh = db.unit_radius_horizon(p, cfg, [256, 4096], N=100)
    assert uh["E"][1] / uh["E"][0] > 0.9 * 16 ** 0.95
    assert uh["B_99"][1] / uh["B_99"][0] < uh["B"][1] / uh["B"][0]


def test_one_block_study_exact_below_bound_and_mc_agrees():
    ob = rad.one_block_study([16, 64], N=8, n_sigma=2000, seed=0)
    bound = bounds.paper_form_complexity(1.0, 8, [], 1.0, last_nonlinearity=False)
    assert np.all(ob["exact"] <= bound) and np.all(bound / ob["exact"] <= math.sqrt(2))
    assert np.all(np.abs(ob["mc"] - ob["exact"]) <= 4 * ob["se"])


def test_stability_slopes_recovers_a_known_slope():
    study = [dict(T=T, r_max=r, seed=s, train=0.0, test=0.0, gap=(1 + 0.05 * s) * T ** (0.5 if r == 1 else 0.0), bound=1.0,
                  bound_inf=1.0) for T in (16, 64, 256) for s in range(3) for r in (0.9, 1.0)]
    col, slope, band = rad.stability_slopes(study, [0.9, 1.0], N=16, seed=0)
    assert slope[1.0]["gap"].estimate == pytest.approx(0.5, abs=1e-12)
    assert abs(slope[0.9]["gap"].estimate) < 1e-12 and band[0.9] < 1e-12
    assert col["gap"].shape == (18,)
