"""The frozen-spectrum robustness model against independent oracles (a plain ZOH recurrence, numpy convolution)."""

import numpy as np
import pytest

from ssmtheory.experiments import frozen_s4 as fs
from ssmtheory import init, tasks
from ssmtheory.experiments import ptd_search, ptd_study
from ssmtheory.theory import ptd


def test_kernel_matches_zoh_recurrence():
    import jax

    jax.config.update("jax_enable_x64", True)
    N, H, L = 6, 3, 20
    lam, V, Bt0 = fs.spectrum_s4d(N)
    tr, fr = fs.init_params(0, lam, V, Bt0, H=H, n_layers=1)
    C = (tr["layers"][0]["C_re"] + 1j * tr["layers"][0]["C_im"]).astype(complex)
    lam_, Bt = fr["lam"].astype(complex), fr["Bt"].astype(complex)
    dt = np.exp(fr["log_dt"][0].astype(float))
    K = np.asarray(fs.kernel(C, lam_, Bt, fr["log_dt"][0].astype(float), L))
    for h in range(H):
        # x_k = e^{dt lam} x_{k-1} + (e^{dt lam} - 1)/lam B u_k, y_k = 2 Re C x_k; impulse response
        Ab = np.exp(dt[h] * lam_)
        Bb = (Ab - 1) / lam_ * Bt
        x = np.zeros(N, complex)
        for k in range(L):
            x = Ab * x + (Bb if k == 0 else 0)
            assert K[h, k] == pytest.approx(2 * np.real(C[h] @ x), rel=1e-9, abs=1e-12)


def test_init_shares_draws_across_spectra_and_freezes_B():
    N = 8
    A, _ = init.hippo_legs(N)
    E = ptd.worst_aligned_perturbation(N, 1e-3)
    s4, pt = fs.spectrum_s4d(N), fs.spectrum_ptd(A + E)
    a, fa = fs.init_params(3, *s4, H=4, n_layers=2)
    b, fb = fs.init_params(3, *pt, H=4, n_layers=2)
    np.testing.assert_array_equal(fa["log_dt"], fb["log_dt"])
    np.testing.assert_array_equal(a["enc_W"], b["enc_W"])
    # C = G V with the same Gaussian G: undo V
    Ca = (a["layers"][0]["C_re"] + 1j * a["layers"][0]["C_im"]) @ np.linalg.inv(s4[1])
    Cb = (b["layers"][0]["C_re"] + 1j * b["layers"][0]["C_im"]) @ np.linalg.inv(pt[1])
    np.testing.assert_allclose(Ca, Cb, atol=1e-2 * np.abs(Ca).max())  # float32 storage; another draw differs by O(1)
    # full HiPPO B: V Bt = B_H, for both spectra (Bt = V^* B for the unitary S4D basis, V^-1 B for PTD)
    np.testing.assert_allclose(s4[1] @ fa["Bt"], init.hippo_legs(N)[1], atol=1e-4)
    np.testing.assert_allclose(pt[1] @ pt[2], init.hippo_legs(N)[1], atol=1e-9)
    np.testing.assert_allclose(s4[2], np.linalg.solve(s4[1], init.hippo_legs(N)[1]), atol=1e-12)
    with pytest.raises(ValueError, match="stable"):
        fs.spectrum_ptd(-A)


def test_noise_gain_resonance_s4d_vs_ptd():
    N = 16
    A, _ = init.hippo_legs(N)
    r = ptd_study.load_released("ptbHiPPO16") if ptd_study.released_source() else None
    E = r["E"] if r is not None else ptd_search.ptd_optimize(A, 10.0, steps=300, lr=2e-3).E
    s4, pt = fs.spectrum_s4d(N), fs.spectrum_ptd(A + E)
    w = ptd.omega_max(N)
    g_s, g_p = fs.noise_gain(*s4, w, 256, H=64), fs.noise_gain(*pt, w, 256, H=64)
    assert g_s / g_p > 3  # the S4D spike resonates
    assert 0.2 < fs.noise_gain(*s4, 1.0, 256, H=64) / fs.noise_gain(*pt, 1.0, 256, H=64) < 5  # no resonance


def test_train_and_eval_smoke_and_pairing():
    N = 8
    data = tasks.sequential_digits(seed=0, n_train=200)
    A, _ = init.hippo_legs(N)
    sp = {"s4d": fs.spectrum_s4d(N), "ptd": fs.spectrum_ptd(A + ptd.worst_aligned_perturbation(N, 1e-2))}
    out = fs.train_and_eval(sp, [0, 1], data, H=8, n_layers=1, epochs=1, batch=50, omegas=[ptd.omega_max(N)])
    for k in sp:
        assert out[k]["clean"].shape == (2,) and out[k]["noisy"].shape == (2, 1)
        assert np.all((out[k]["clean"] >= 0) & (out[k]["clean"] <= 1))
    out2 = fs.train_and_eval(sp, [0, 1], data, H=8, n_layers=1, epochs=1, batch=50, omegas=[ptd.omega_max(N)])
    np.testing.assert_array_equal(out["s4d"]["clean"], out2["s4d"]["clean"])  # deterministic
    with pytest.raises(ValueError, match="seeds"):
        fs.train_and_eval(sp, [], data)


def test_train_and_eval_is_the_engine_population():
    """The port onto train.fit_population: every model takes its steps, none diverges, and a model trained alone
    (one spectrum, one seed) equals its member of the paired population up to float32 round-off."""
    N = 8
    data = tasks.sequential_digits(seed=0, n_train=120)
    A, _ = init.hippo_legs(N)
    sp = {"s4d": fs.spectrum_s4d(N), "ptd": fs.spectrum_ptd(A + ptd.worst_aligned_perturbation(N, 1e-2))}
    both = fs.train_and_eval(sp, [0, 1], data, H=4, n_layers=1, epochs=2, batch=40)
    alone = fs.train_and_eval({"ptd": sp["ptd"]}, [1], data, H=4, n_layers=1, epochs=2, batch=40)
    assert both["_meta"]["steps"] == 2 * (120 // 40) and both["_meta"]["diverged"] == 0
    np.testing.assert_allclose(alone["ptd"]["clean"], both["ptd"]["clean"][1:], atol=2.0 / data.x_test.shape[0])
