"""ssmtheory.theory.bounds: every ingredient against brute force, and the complexity bound against Monte Carlo."""

import itertools
import math

import jax
import numpy as np
import pytest
import scipy.linalg

from ssmtheory.experiments import deep_bounds
from ssmtheory.experiments import rademacher as rad
from ssmtheory.theory import bounds
from ssmtheory import models, norms, ssm


def rand_diag(rng, P=6, Hin=3, Hout=2, rmax=0.9, complex_=True):
    r = rng.uniform(0.2, rmax, P)
    r[0] = rmax
    lam = r * np.exp(1j * rng.uniform(-np.pi, np.pi, P)) if complex_ else r * rng.choice([-1, 1], P)
    B = rng.normal(size=(P, Hin)) + (1j * rng.normal(size=(P, Hin)) if complex_ else 0)
    C = rng.normal(size=(Hout, P)) + (1j * rng.normal(size=(Hout, P)) if complex_ else 0)
    D = rng.normal(size=(Hout, Hin))
    return lam, B, C, D


def inf_norms(h):
    return np.abs(h).sum(axis=-1).max(axis=-1)


@pytest.mark.parametrize("complex_", [True, False])
def test_l1_envelope_upper_bounds_true_l1_and_matches_brute_force(complex_):
    rng = np.random.default_rng(0)
    lam, B, C, D = rand_diag(rng, complex_=complex_)
    E = bounds.l1_envelope(lam, B, C, D)
    true = norms.l1_norm(lam, B, C, D, norm="inf")
    assert E >= true.value * (1 - 1e-12)
    # brute-force envelope: sum over k of sum_j beta_j |lambda_j|^(k-1), truncated far into the tail
    beta = np.abs(C).max(0) * np.abs(B).sum(1)
    k = np.arange(1, 4000)
    brute = np.abs(D).sum(1).max() + (beta[None] * np.abs(lam)[None] ** (k[:, None] - 1)).sum()
    assert abs(E - brute) <= 1e-10 * E
    # finite horizon: brute force and domination of the true truncated l1 sum
    for T in (1, 2, 17, 300):
        ET = bounds.l1_envelope(lam, B, C, D, T=T)
        kk = np.arange(1, T)
        bT = np.abs(D).sum(1).max() + (beta[None] * np.abs(lam)[None] ** (kk[:, None] - 1)).sum()
        assert abs(ET - bT) <= 1e-12 * max(1, bT)
        h = norms.impulse_response(lam, B, C, D, T)
        assert ET >= inf_norms(h).sum() * (1 - 1e-12)


def test_l1_envelope_is_exact_for_a_positive_real_mode():
    # single positive real mode: ||h_k|| = beta lambda^{k-1} exactly, so the envelope is the l1 norm
    lam, B, C, D = np.array([0.8]), np.array([[2.0]]), np.array([[0.5]]), np.array([[0.3]])
    E = bounds.l1_envelope(lam, B, C, D)
    assert E == pytest.approx(0.3 + 1.0 / 0.2, rel=1e-14)
    assert E == pytest.approx(norms.l1_norm(lam, B, C, D).value, rel=1e-9)


def test_unit_circle_envelope_is_infinite_and_finite_horizon_linear():
    lam = np.array([1.0 + 0j, 0.5])
    B, C = np.ones((2, 1)), np.ones((1, 2))
    assert bounds.l1_envelope(lam, B, C) == math.inf
    E = [bounds.l1_envelope(lam, B, C, T=T) for T in (10, 100, 1000)]
    assert E[2] - E[1] == pytest.approx(900, rel=1e-12)  # slope exactly beta = 1 per step
    assert bounds.class_envelope(0.9, 2.0, 0.5) == pytest.approx(0.5 + 20.0)
    assert bounds.class_envelope(1.0, 2.0, 0.5, T=11) == pytest.approx(0.5 + 20.0)


def test_weighted_h2_equals_truncated_sum_and_scipy_lyapunov():
    rng = np.random.default_rng(1)
    lam, B, C, D = rand_diag(rng, rmax=0.8)
    g = 0.9
    H = bounds.weighted_h2(lam, B, C, D, gamma=g)
    h = norms.impulse_response(lam, B, C, D, 600)
    w = g ** (-2.0 * np.arange(600))
    brute = math.sqrt((w * (np.abs(h) ** 2).sum(axis=(1, 2))).sum())
    assert H == pytest.approx(brute, rel=1e-9)
    # gamma-weighted Stein equation solved by scipy on the dense matrix
    P = scipy.linalg.solve_discrete_lyapunov(np.diag(lam) / g, B @ B.conj().T)
    lyap = math.sqrt(np.sum(np.abs(D) ** 2) + np.real(np.trace(C @ P @ C.conj().T)) / g**2)
    assert H == pytest.approx(lyap, rel=1e-9)
    # the weighted-H2 block constant dominates the true l1 norm (Cauchy-Schwarz with a_k = 1)
    assert bounds.weighted_h2_constant(lam, B, C, D, g) >= norms.l1_norm(lam, B, C, D).value
    with pytest.raises(ValueError, match="A"):
        bounds.weighted_h2(lam, B, C, D, gamma=0.5)


def test_plain_h2_matches_python_control():
    control = pytest.importorskip("control")
    rng = np.random.default_rng(2)
    lam, B, C, D = rand_diag(rng, complex_=False, rmax=0.7)
    # python-control's dlyap (Stein) solves the same Gramian equation
    P = control.dlyap(np.diag(lam), B @ B.T)
    ref = math.sqrt(np.sum(D**2) + np.trace(C @ P @ C.T))
    assert bounds.weighted_h2(lam, B, C, D, gamma=1.0) == pytest.approx(ref, rel=1e-10)


def test_power_norm_envelope_dominates_and_nonnormal_realization_is_same_system():
    rng = np.random.default_rng(3)
    lam, B, C, D = rand_diag(rng, P=4, rmax=0.9)
    V = np.eye(4) + 1.0 * np.triu(rng.normal(size=(4, 4)), 1)
    A2, B2, C2, D2 = bounds.nonnormal_realization(lam, B, C, D, V)
    h1 = norms.impulse_response(lam, B, C, D, 200)
    h2 = norms.impulse_response(A2, B2, C2, D2, 200)
    assert np.abs(h1 - h2).max() <= 1e-9 * np.abs(h1).max()
    assert np.abs(A2).sum(1).max() > 1 > norms.spectral_radius(A2)
    for T in (5, 50, 200):
        assert bounds.power_norm_envelope(A2, B2, C2, D2, T) >= inf_norms(h1[:T]).sum()
    assert bounds.power_norm_envelope(A2, B2, C2, D2, 200) > 10 * bounds.power_norm_envelope(A2, B2, C2, D2, 50)


@pytest.mark.parametrize("block", ["s4d", "lru"])
def test_block_standard_reproduces_the_layer_impulse_response(block):
    cfg = models.DeepSSMConfig(d_input=1, d_model=3, d_output=1, n_layers=1, d_state=4, block=block,
                               nonlinearity="tanh", norm=None, residual=False, readout="last", dtype=np.float64,
                               r_min=0.5, r_max=0.9)
    params = models.init_params(jax.random.PRNGKey(0), cfg)
    s = models.layer_systems(params, cfg)[0]
    A, B, C, D = deep_bounds.block_standard(s)
    K = 64
    H = cfg.d_model
    # brute force: feed a unit impulse into each input channel of the layer itself
    u = np.zeros((H, K, H))
    u[np.arange(H), 0, np.arange(H)] = 1.0
    if s["kind"] == "channels":
        y = ssm.apply_ssm_channels(s["Lambda_bar"], s["B_bar"], s["C"], s["D"], u, method="scan", conj_sym=s["conj_sym"])
    else:
        y = ssm.apply_ssm(s["Lambda_bar"], s["B_bar"], s["C"], s["D"], u, method="scan", conj_sym=s["conj_sym"])
    h_brute = np.transpose(np.asarray(y), (1, 2, 0))  # (K, H_out, H_in)
    h = norms.impulse_response(A, B, C, D, K).real
    assert np.abs(h - h_brute).max() <= 1e-10
    assert bounds.l1_envelope(A, B, C, D) >= inf_norms(h).sum()


def test_mc_rademacher_closed_form_sup_equals_vertex_enumeration():
    rng = np.random.default_rng(4)
    N, T = 5, 3
    U = rng.uniform(-1, 1, (N, T))
    eta = np.array([0.5, 0.3, 0.1])
    sig = rng.choice([-1.0, 1.0], size=(50, N))
    Ur = U[:, ::-1]
    closed = np.abs(sig @ Ur) @ eta / N
    best = np.full(50, -np.inf)
    for signs in itertools.product([-1, 1], repeat=T):  # sup of a linear function over the box: a vertex
        for w in (-1, 1):
            best = np.maximum(best, w * (sig @ Ur) @ (eta * np.array(signs)) / N)
    assert np.allclose(closed, best, rtol=1e-12)


def test_mc_rademacher_below_bound_and_scales_like_inv_sqrt_n():
    rng = np.random.default_rng(5)
    eta = 0.8 ** np.arange(40)
    vals = []
    for N in (50, 200, 800):
        U = rng.choice([-1.0, 1.0], size=(N, 40))  # K_u = 1, the worst case for the bound
        mc, se = rad.mc_rademacher_envelope_class(U, eta, n_sigma=1000, seed=N)
        bound = bounds.envelope_class_complexity_bound(1.0, eta, N)
        assert mc + 3 * se <= bound
        assert mc >= 0.6 * bound  # sqrt(2/pi) ~ 0.8: the bound is tight up to a constant here
        vals.append(mc)
    slope = np.polyfit(np.log([50, 200, 800]), np.log(vals), 1)[0]
    assert abs(slope + 0.5) < 0.05


def test_mc_rademacher_of_a_nonlinear_class_sample_below_bound():
    # tanh(SSM) class with envelope eta: a max over random members lower-bounds the sup; the bound is 2 L ||eta||_1 K / sqrt(N)
    rng = np.random.default_rng(6)
    N, T, M = 100, 30, 400
    eta = 0.7 ** np.arange(T)
    U = rng.uniform(-1, 1, (N, T))
    Hs = eta[None] * rng.uniform(-1, 1, (M, T)) * 3  # exceed... then clip to the envelope
    Hs = np.clip(Hs, -eta, eta)
    feats = np.tanh(U[:, ::-1] @ Hs.T)  # (N, M): f_m(u^i) = tanh(z_T)
    sig = rng.choice([-1.0, 1.0], size=(2000, N))
    mc = np.abs(sig @ feats).max(axis=1).mean() / N  # |w| <= 1
    bound = 2 * 1.0 * eta.sum() * 1.0 / math.sqrt(N)
    assert mc <= bound


def test_chain_formulas_and_grid():
    assert bounds.block_constant(0.4, 1.0) == pytest.approx(0.8)
    assert bounds.block_constant(0.4, 1.0, residual=True) == pytest.approx(1.8)
    assert bounds.depth_product([0.5, 2.0, 3.0]) == pytest.approx(3.0)
    num = bounds.complexity_numerator(2.0, 3.0, [0.5, 4.0], 2.0, encoder_norm=1.5, bias_abs=0.25)
    assert num == pytest.approx(2 * 2.0 * (2.0 * 1.5 * 3.0 * 2.0 + 0.25))
    assert bounds.confidence_term(1.0, 0.05) == pytest.approx(4 * math.sqrt(2 * math.log(80)))
    b = [bounds.generalization_bound(10.0, N, 1.0, 0.05) for N in (100, 400)]
    assert b[0] / b[1] == pytest.approx(2.0)
    g = bounds.NormGrid(ratio=2.0, lo=1.0, hi=16.0, margin_lo=1 / 8)
    assert g.n_levels() == 5 and g.n_margin_levels() == 4
    assert g.round_up(3.0) == 4.0 and g.round_up(4.0) == 4.0 and g.round_up(17) == math.inf
    assert g.round_margin_down(0.3) == 0.25 and g.round_margin_down(0.01) == 0.0
    assert g.size(2) == 5**7 * 4**2
    assert bounds.union_over_time_factor(1) == pytest.approx(math.sqrt(2 * math.log(2)))


def test_bound_for_model_architecture_grid_and_depth_product():
    cfg = models.DeepSSMConfig(d_input=1, d_model=3, d_output=1, n_layers=3, d_state=4, block="lru",
                               nonlinearity="tanh", norm=None, residual=False, readout="last", r_min=0.5, r_max=0.9)
    params = models.init_params(jax.random.PRNGKey(1), cfg)
    rep = deep_bounds.bound_for_model(params, cfg, N=1000, delta=0.05, l1="envelope")
    Es = [bounds.l1_envelope(*deep_bounds.block_standard(s)) for s in models.layer_systems(params, cfg)]
    assert np.allclose(rep.block_E, Es, rtol=1e-12)
    expected = 2 * 2.0 * (math.sqrt(2) * rep.encoder_norm * rep.readout_l1 * np.prod([2 * e for e in Es]) + rep.bias_abs)
    assert rep.numerator == pytest.approx(expected, rel=1e-12)
    grep = deep_bounds.bound_for_model(params, cfg, N=1000, delta=0.05, grid=bounds.NormGrid())
    assert grep.bound > rep.bound and grep.grid_size > 1e10 and all(ec >= e for ec, e in zip(grep.block_E, Es))
    # the finite horizon never exceeds the infinite one
    assert deep_bounds.bound_for_model(params, cfg, N=1000, T=64, l1="envelope").bound <= rep.bound
    # default: the true l1 norm (upper end of norms.l1_norm's enclosure), never above the per-mode envelope
    ex = deep_bounds.bound_for_model(params, cfg, N=1000, delta=0.05)
    tru = [norms.l1_norm(*deep_bounds.block_standard(s)).upper for s in models.layer_systems(params, cfg)]
    assert np.allclose(ex.block_E, tru, rtol=1e-12) and ex.bound <= rep.bound
    with pytest.raises(ValueError, match="l1"):
        deep_bounds.bound_for_model(params, cfg, N=10, l1="bogus")
    for bad in (dict(norm="layer"), dict(nonlinearity="glu"), dict(readout="sequence")):
        kw = dict(d_input=1, d_model=3, d_output=1, n_layers=1, d_state=4, block="lru", nonlinearity="tanh", norm=None,
                  residual=False, readout="last")
        kw.update(bad)
        c = models.DeepSSMConfig(**kw)
        with pytest.raises(ValueError):
            deep_bounds.bound_for_model(models.init_params(jax.random.PRNGKey(0), c), c, N=10)


# ----------------------------------------------------------------------------------------------
# issue 13: no silent wrong upper bound; issue 14: the paper form
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("arg", ["A", "B", "C", "D"])
def test_l1_envelope_raises_on_nan_mode(arg):
    rng = np.random.default_rng(7)
    sys_ = dict(zip("ABCD", rand_diag(rng)))
    bad = np.array(sys_[arg], dtype=complex)
    bad.flat[0] = np.nan
    sys_[arg] = bad
    with pytest.raises(ValueError, match=arg):
        bounds.l1_envelope(sys_["A"], sys_["B"], sys_["C"], sys_["D"])
    with pytest.raises(ValueError, match=arg):
        bounds.l1_upper(sys_["A"], sys_["B"], sys_["C"], sys_["D"])


def test_l1_upper_is_the_upper_end_of_the_certified_enclosure():
    rng = np.random.default_rng(8)
    lam, B, C, D = rand_diag(rng, rmax=0.97)
    enc = norms.l1_norm(lam, B, C, D)
    assert bounds.l1_upper(lam, B, C, D) == enc.upper
    brute = inf_norms(norms.impulse_response(lam, B, C, D, 3000)).sum()  # 0.97^3000 ~ 1e-40: the tail is negligible
    assert enc.upper >= brute * (1 - 1e-12) and enc.upper <= brute * (1 + 1e-9)
    for T in (1, 5, 300):
        assert bounds.l1_upper(lam, B, C, D, T=T) == pytest.approx(inf_norms(norms.impulse_response(lam, B, C, D, T)).sum(), rel=1e-14)
    assert bounds.l1_upper(lam, B, C, D) <= bounds.l1_envelope(lam, B, C, D)
    lam1 = lam.copy()
    lam1[0] = 1.0
    assert bounds.l1_upper(lam1, B, C, D) == math.inf
    assert np.isfinite(bounds.l1_upper(lam1, B, C, D, T=50))


def test_h2_row_upper_and_class_h2_envelope_against_truncated_sums():
    rng = np.random.default_rng(9)
    lam, B, C, D = rand_diag(rng, rmax=0.9)
    h = norms.impulse_response(lam, B, C, D, 2000)
    brute = math.sqrt((inf_norms(h) ** 2).sum())
    assert bounds.h2_row_upper(lam, B, C, D) >= brute * (1 - 1e-12)
    # SISO: exactly the H2 norm
    h1 = norms.impulse_response(lam, B[:, :1], C[:1], D[:1, :1], 2000)
    assert bounds.h2_row_upper(lam, B[:, :1], C[:1], D[:1, :1]) == pytest.approx(math.sqrt((np.abs(h1) ** 2).sum()), rel=1e-9)
    # class envelope: dominates every member of S(gamma, beta, d)
    beta = float(bounds.mode_coefficients(lam, B, C).sum())
    d = float(np.abs(D).sum(1).max())
    assert bounds.class_h2_envelope(0.9, beta, d) >= brute
    k = np.arange(1, 5000)
    assert bounds.class_h2_envelope(0.9, beta, d) == pytest.approx(math.sqrt(d**2 + (beta**2 * 0.9 ** (2 * (k - 1))).sum()), rel=1e-12)
    assert bounds.class_h2_envelope(1.0, beta, d) == math.inf
    with pytest.raises(ValueError, match="beta"):
        bounds.class_h2_envelope(0.9, float("nan"), d)
    with pytest.raises(ValueError, match="gamma"):
        bounds.class_envelope(float("nan"), 1.0, 0.0)


def test_paper_form_complexity_formula_and_monte_carlo():
    # formula: (K a ||w||_1 prod_{l<L} 2 L E_l * 2 L H + |b|) / sqrt(N)
    v = bounds.paper_form_complexity(2.0, 100, [0.5, 3.0], 1.5, lipschitz=1.0, w_l1=2.0, encoder_norm=1.5, bias_abs=0.25)
    assert v == pytest.approx((2.0 * 1.5 * 2.0 * (2 * 0.5) * (2 * 3.0) * (2 * 1.5) + 0.25) / 10)
    assert bounds.paper_form_complexity(1.0, 4, [], 2.0, last_nonlinearity=False) == pytest.approx(1.0)
    assert bounds.paper_form_complexity(1.0, 4, [0.5], 2.0, residual=True) == pytest.approx((1 + 1.0) * (1 + 4.0) / 2)
    assert bounds.paper_form_complexity(1.0, 4, [math.inf], 2.0) == math.inf
    with pytest.raises(ValueError, match="last_h2"):
        bounds.paper_form_complexity(1.0, 4, [], float("nan"))
    # Monte Carlo: random members of tanh(block) -> block -> readout on finite-energy inputs stay below the chain
    rng = np.random.default_rng(10)
    N, T, M, gamma, beta = 40, 60, 300, 0.8, 1.0
    U = rng.normal(size=(N, T))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    eta = np.concatenate([[0.0], beta * gamma ** np.arange(T - 1)])
    H1 = np.clip(eta * rng.uniform(-2, 2, (M, T)), -eta, eta)
    H2 = np.clip(eta * rng.uniform(-2, 2, (M, T)), -eta, eta)
    feats = np.empty((N, M))
    for m in range(M):
        z1 = np.array([[np.dot(H1[m, :t + 1], U[i, t::-1]) for t in range(T)] for i in range(N)])
        feats[:, m] = np.tanh(z1)[:, ::-1] @ H2[m]
    sig = rng.choice([-1.0, 1.0], size=(500, N))
    mc = np.abs(sig @ feats).max(axis=1).mean() / N
    chain = bounds.paper_form_complexity(1.0, N, [eta.sum()], math.sqrt((eta**2).sum()), last_nonlinearity=False)
    assert 0 < mc <= chain


def test_paper_form_bound_ingredients_grid_bias_and_instability():
    cfg = models.DeepSSMConfig(d_input=1, d_model=3, d_output=1, n_layers=2, d_state=4, block="lru",
                               nonlinearity="tanh", norm=None, residual=False, readout="last", r_min=0.5, r_max=0.9,
                               dtype=np.float64)
    params = models.init_params(jax.random.PRNGKey(2), cfg)
    params["encoder"]["b"] = params["encoder"]["b"] * 0.0
    systems = [deep_bounds.block_standard(s) for s in models.layer_systems(params, cfg)]
    rep = deep_bounds.paper_form_bound(params, cfg, N=500, delta=0.05, K=2.0)
    E1 = norms.l1_norm(*systems[0]).upper
    H2 = math.sqrt(3) * norms.h2_norm(*systems[1])
    assert rep.block_E == pytest.approx([E1, H2], rel=1e-12)
    num = 2 * 2.0 * (2.0 * rep.encoder_norm * rep.readout_l1 * (2 * E1) * (2 * H2) + rep.bias_abs)
    assert rep.numerator == pytest.approx(num, rel=1e-12)
    assert rep.bound == pytest.approx((num + bounds.confidence_term(1.0, 0.05)) / math.sqrt(500), rel=1e-12)
    assert rep.bound < deep_bounds.bound_for_model(params, cfg, N=500, delta=0.05, K_u=2.0).bound * 10  # same order, no T
    g = deep_bounds.paper_form_bound(params, cfg, N=500, grid=bounds.NormGrid())
    assert g.grid_size > 1e10 and g.bound > deep_bounds.paper_form_bound(params, cfg, N=500).bound
    # an encoder bias is a constant input of energy T: T is required and enters K
    params["encoder"]["b"] = params["encoder"]["b"] + 0.1
    with pytest.raises(ValueError, match="T"):
        deep_bounds.paper_form_bound(params, cfg, N=500)
    assert deep_bounds.paper_form_bound(params, cfg, N=500, K=1.0, T=99).K == pytest.approx(10.0)
    with pytest.raises(ValueError, match="K"):
        deep_bounds.paper_form_bound(params, cfg, N=500, K=-1.0, T=9)
    # unstable block: infinite bound, no exception
    lp = params["layers"][1]["ssm"]
    lp["nu_log"] = lp["nu_log"] * 0.0 - np.inf
    assert deep_bounds.paper_form_bound(params, cfg, N=500, T=9).bound == math.inf
