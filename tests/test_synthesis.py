"""Synthesis helpers against independent references (training itself is exercised by notebook 06)."""

import math

import jax
import numpy as np
import pytest
from scipy.stats import spearmanr

from ssmtheory import models, norms
from ssmtheory.experiments import synthesis
from _oracles import random_channels, random_mimo


def _channels(rng, H=3, N=4, radius=0.95, D=True):
    lam, B, C, Dd = random_channels(rng, H=H, N=N, radius=radius)
    return {"Lambda_bar": lam, "B_bar": B, "C": C, "D": Dd if D else np.zeros_like(Dd), "conj_sym": True,
            "kind": "channels"}


def _hinf_channel(s, h):
    return norms.hinf_norm(*norms.layer_to_standard(s["Lambda_bar"][h], s["B_bar"][h][:, None], s["C"][h][None, :],
                                                    np.array([[s["D"][h]]]), conj_sym=s["conj_sym"]))


def test_channel_response_matches_fft_of_long_impulse_response():
    s = _channels(np.random.default_rng(0), radius=0.8)
    L = 4096  # 0.8^4096 is far below round-off: the DFT of the truncated response is the response on the grid
    h = np.stack([norms.impulse_response(*norms.layer_to_standard(s["Lambda_bar"][i], s["B_bar"][i][:, None],
                                                                  s["C"][i][None, :], np.array([[s["D"][i]]]),
                                                                  conj_sym=True), L)[:, 0, 0] for i in range(3)])
    theta = 2 * np.pi * np.arange(L) / L
    np.testing.assert_allclose(synthesis.channel_response(s, theta), np.fft.fft(h, axis=1), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("radius", [0.95, 0.9999])
def test_worst_gain_matches_hinf_channels(radius):
    """Including a slowly decaying layer (1 - |lambda| = 1e-4), where a 4,096-lag truncation lost ~27% of the norm."""
    s = _channels(np.random.default_rng(1))
    s["Lambda_bar"][0, 0] = radius * np.exp(0.3j)
    ref = max(_hinf_channel(s, h) for h in range(3))
    got = synthesis.worst_gain([s])
    assert got == pytest.approx(ref, rel=1e-7)
    gains, where = synthesis.channel_gains(s)
    for h in range(3):
        assert gains[h] == pytest.approx(_hinf_channel(s, h), rel=1e-7)
        assert abs(synthesis.channel_response(s, where[h:h + 1])[h, 0]) == pytest.approx(gains[h], rel=1e-12)


def test_worst_gain_refuses_unstable_and_nan():
    s = _channels(np.random.default_rng(2))
    s["Lambda_bar"] = s["Lambda_bar"].copy()
    s["Lambda_bar"][0, 0] = 1.0001
    with pytest.raises(ValueError, match="Lambda_bar"):
        synthesis.worst_gain([s])
    s["Lambda_bar"][0, 0] = np.nan
    with pytest.raises(ValueError, match="Lambda_bar"):
        synthesis.channel_gains(s)
    with pytest.raises(ValueError, match="systems"):
        synthesis.worst_gain([])


def test_worst_gain_matches_hinf_mimo():
    lam, B, C, D = random_mimo(np.random.default_rng(1), P=5, H_in=2, H_out=2, radius=0.9)
    s = {"Lambda_bar": lam, "B_bar": B, "C": C, "D": D, "conj_sym": False, "kind": "mimo"}
    ref = norms.hinf_norm(*norms.layer_to_standard(lam, B, C, D))
    assert synthesis.worst_gain([s]) == pytest.approx(ref, rel=1e-9)
    s["Lambda_bar"] = lam * 1.2 / np.abs(lam).max()
    with pytest.raises(ValueError, match="Lambda_bar"):
        synthesis.worst_gain([s])


def test_spike_frequency_is_hippo_omega_max():
    assert synthesis.spike_frequency(16) == pytest.approx(325.43, abs=0.01)  # the PTD test's 325.4 (32 x 32 A_N)


def test_design_spearman_against_brute_force():
    rng = np.random.default_rng(0)
    D, S = 9, 3
    d = np.repeat(np.arange(D), S)
    true = rng.normal(size=D)
    lens = np.repeat(true, S) + 0.1 * rng.normal(size=D * S)
    target = np.repeat(2 * true, S) + 0.1 * rng.normal(size=D * S)
    e = synthesis.design_spearman(lens, target, d, n_boot=300, n_perm=2000, control=rng.normal(size=D * S))
    med_l = np.median(lens.reshape(D, S), axis=1)
    med_t = np.median(target.reshape(D, S), axis=1)
    assert e["rho"] == pytest.approx(spearmanr(med_l, med_t).statistic)
    assert e["ci"][0] <= e["rho"] <= e["ci"][1] and e["ci"][0] > 0
    assert e["p"] < 0.01 and e["n_designs"] == D
    # brute-force cluster bootstrap of the first resample: designs drawn, then seeds within each
    # (checked indirectly: a shuffled-design control destroys the correlation)
    ctrl = synthesis.design_spearman(lens, target, d, n_boot=300, n_perm=2000, designs_perm=np.roll(np.arange(D), 4))
    assert ctrl["ci"][0] < 0 < ctrl["ci"][1] or abs(ctrl["rho"]) < abs(e["rho"])
    with pytest.raises(ValueError, match="design_index"):
        synthesis.design_spearman(lens, target, d[::-1])


def test_wording_rule():
    assert synthesis.wording(dict(rho=0.7, ci=(0.2, 0.9), p=0.01)).startswith("predicts (")
    assert synthesis.wording(dict(rho=-0.7, ci=(-0.9, -0.2), p=0.01)).startswith("predicts, with the opposite")
    assert synthesis.wording(dict(rho=-0.7, ci=(-0.9, -0.2), p=0.01), expected_sign=-1).startswith("predicts (")
    assert synthesis.wording(dict(rho=0.3, ci=(-0.2, 0.7), p=0.2)).startswith("shows no evidence")


def test_lens_table_drops_nonfinite_designs():
    rng = np.random.default_rng(3)
    D, S = 8, 2
    d = np.repeat(np.arange(D), S)
    lens = rng.normal(size=D * S)
    lens[1] = math.inf
    res = {"lens": lens, "y": rng.normal(size=D * S), "train loss": rng.normal(size=D * S)}
    t = synthesis.lens_table(res, d, ["lens"], ["y"], n_boot=200, n_perm=500)
    e = t[("lens", "y")]
    assert e["n_dropped"] == 1 and e["finite"]["n_designs"] == D - 1


def test_binary_digits_labels():
    x_tr, y_tr, x_te, y_te = synthesis.binary_digits(seed=0, n_train=300, repeat=4, n_test=200)
    assert x_tr.shape == (300, 256, 1) and x_te.shape == (200, 256, 1) and set(np.unique(y_tr)) == {-1.0, 1.0}
    assert 0.3 < (y_tr > 0).mean() < 0.7
    with pytest.raises(ValueError, match="n_test"):
        synthesis.binary_digits(n_train=1700, n_test=500)


def test_init_member_designs():
    cfg = synthesis.base_config(4, 4)
    base = synthesis.init_member(synthesis.Design("a", "x"), cfg, seed=3)
    slow = synthesis.init_member(synthesis.Design("b", "x", dt=(1e-4, 1e-2)), cfg, seed=3)
    real = synthesis.init_member(synthesis.Design("c", "x", init="real"), cfg, seed=3)
    damp = synthesis.init_member(synthesis.Design("d", "x", real_part=-0.05), cfg, seed=3)
    u = (np.asarray(base["layers"][0]["ssm"]["log_dt"]) - math.log(1e-3)) / (math.log(1e-1) - math.log(1e-3))
    u2 = (np.asarray(slow["layers"][0]["ssm"]["log_dt"]) - math.log(1e-4)) / (math.log(1e-2) - math.log(1e-4))
    np.testing.assert_allclose(u, u2, atol=1e-5)  # the same step draws, mapped to each design's range
    for p in (base, slow, real, damp):
        s = models.layer_systems(synthesis.effective(p), cfg)[0]
        assert np.all(s["D"] == 0)
    s = models.layer_systems(synthesis.effective(real), cfg)[0]
    assert np.all(np.abs(np.angle(s["Lambda_bar"])) < 1e-7)
    lam = np.asarray(models.layer_system(damp["layers"][0]["ssm"], cfg)[0])
    dt = np.exp(np.asarray(damp["layers"][0]["ssm"]["log_dt"], np.float64))[:, None]
    np.testing.assert_allclose(np.abs(lam), np.broadcast_to(np.exp(-0.05 * dt), lam.shape), rtol=1e-5)


def test_effective_blocks_gradients_to_masked_leaves():
    cfg = synthesis.base_config(4, 4)
    p = synthesis.init_member(synthesis.Design("c", "x", init="real"), cfg, seed=0)
    x = np.random.default_rng(0).normal(size=(5, 16, 1)).astype(np.float32)
    y = np.ones((5, 1), np.float32)
    g = jax.grad(lambda q: synthesis._loss_fn(cfg)(q, x, y, 0.0))(p)
    for lp in g["layers"]:
        assert np.all(np.asarray(lp["ssm"]["im"]) == 0) and np.all(np.asarray(lp["ssm"]["D"]) == 0)
        assert np.any(np.asarray(lp["ssm"]["C_re"]) != 0)


def test_channel_response_real_and_complex_without_conj_sym():
    """conj_sym=False: y = Re(C x) (complex modes) or C x (real modes); compare with the DFT of the impulse response."""
    rng = np.random.default_rng(5)
    for complex_states in (True, False):
        lam, B, C, D = random_channels(rng, H=2, N=3, radius=0.7, complex_states=complex_states)
        s = {"Lambda_bar": lam, "B_bar": B, "C": C, "D": D, "conj_sym": False, "kind": "channels"}
        L = 2048
        h = np.stack([norms.impulse_response(*norms.layer_to_standard(lam[i], B[i][:, None], C[i][None, :],
                                                                      np.array([[D[i]]])), L)[:, 0, 0] for i in range(2)])
        theta = 2 * np.pi * np.arange(L) / L
        np.testing.assert_allclose(synthesis.channel_response(s, theta), np.fft.fft(h, axis=1), rtol=1e-9, atol=1e-9)


def test_channels_l1_upper_against_norms_l1():
    """The vectorized l1 upper end against norms.l1_norm's certified enclosure, fast and slow decay."""
    from ssmtheory.experiments import deep_bounds as bounds

    for radius in (0.9, 0.999):
        s = _channels(np.random.default_rng(7), H=3, N=3, radius=radius)
        ref = norms.l1_norm(*bounds.block_standard(s), norm="inf")
        got = synthesis.channels_l1_upper(s)
        assert got >= ref.value * (1 - 1e-9)              # an upper end of the true l1 norm
        assert got <= ref.upper * (1 + 1e-3)              # and as tight as the reference enclosure
    s["Lambda_bar"] = s["Lambda_bar"] / np.abs(s["Lambda_bar"]).max()
    assert synthesis.channels_l1_upper(s) == math.inf


def test_racz_paper_bound_equals_bounds_paper_form():
    from ssmtheory.experiments import deep_bounds as bounds

    cfg = synthesis.base_config(4, 4)
    p = synthesis.effective(synthesis.init_member(synthesis.Design("a", "x", dt=(1e-2, 1e-1)), cfg, seed=0))
    p["encoder"]["b"] = p["encoder"]["b"] + 0.1  # a nonzero bias brings in T
    ref = bounds.paper_form_bound(p, cfg, N=400, K=16.0, T=256).bound
    assert synthesis.racz_paper_bound(p, cfg, N=400, K=16.0, T=256) == pytest.approx(ref, rel=1e-6)
