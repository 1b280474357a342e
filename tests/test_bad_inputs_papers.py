"""Bad-input suite (issue 13) for theory.bounds, theory.ptd, experiments.synthesis and param.

Tables as in tests/test_bad_inputs.py; the machinery is tests/_bad_inputs.py.  Valid calls are tiny.
"""

from __future__ import annotations

import numpy as np
from _bad_inputs import make_bad_input_tests

MODULES = ("theory.bounds", "theory.ptd", "experiments.ptd_search", "experiments.ptd_study", "experiments.synthesis", "param")

LAM = np.array([0.5, -0.3])  # stable diagonal (discrete) eigenvalues
B2 = np.array([[1.0], [0.5]])
C2 = np.array([[1.0, -0.5]])
D1 = np.array([[0.1]])
A3 = np.array([[-1.0, 0.3, 0.0], [0.0, -2.0, 0.2], [0.0, 0.0, -3.0]])  # stable, non-normal
S = 1j * np.array([0.5, 2.0])
E4 = 0.01 * np.eye(4)  # a tiny perturbation of the 4 x 4 HiPPO matrix


def _ptd_sweep():
    from ssmtheory.experiments.ptd_search import PTDResult

    A4 = __import__("ssmtheory.init", fromlist=["hippo_legs"]).hippo_legs(4)[0]
    out = []
    for t, k in ((1.0, 30.0), (3.0, 10.0)):
        E = t * E4
        out.append(PTDResult(E=E, Lambda=np.linalg.eigvals(A4 + E), V=np.eye(4), eps=t * 0.01,
                             eps_rel=t * 0.01 / np.linalg.norm(A4, 2), kappa=k, max_re=-0.5, gamma=1.0 / t))
    return out


def _rob_data():
    from ssmtheory import tasks

    rng = np.random.default_rng(0)
    return tasks.Split(rng.normal(size=(64, 8, 1)).astype(np.float32), rng.integers(0, 2, 64).astype(np.int32),
                       rng.normal(size=(4, 8, 1)).astype(np.float32), rng.integers(0, 2, 4).astype(np.int32), 2)


PTD_SWEEP = _ptd_sweep()
ROB_DATA = _rob_data()
W = np.array([0.5, 1.5])


def _model():
    from ssmtheory import models
    from ssmtheory.experiments import synthesis as sy

    cfg = sy.base_config(d_model=2, d_state=2)
    params = sy.init_member(sy.DESIGNS[0], cfg, 0)
    return cfg, params, models.layer_systems(params, cfg)


CFG, PARAMS, SYSTEMS = _model()
DESIGN0 = __import__("ssmtheory.experiments.synthesis", fromlist=["DESIGNS"]).DESIGNS[0]
SYS = SYSTEMS[0]
DIDX = np.repeat(np.arange(4), 2)
LENS = np.array([1.0, 1.2, 2.0, 2.1, 3.0, 2.9, 4.0, 4.5])
TARGET = np.array([0.1, 0.2, 0.25, 0.2, 0.4, 0.3, 0.5, 0.45])
DATA = __import__("ssmtheory.experiments.synthesis", fromlist=["binary_digits"]).binary_digits(seed=0, n_train=8, repeat=1,
                                                                                                 n_test=4)


def _trained():
    from ssmtheory.experiments import synthesis as sy

    return sy.train_population([DESIGN0], [0], CFG, DATA, steps=1, batch_size=4, stats_batch=4)[0]


VALID = {
    # theory.bounds
    "theory.bounds.mode_coefficients": (dict(A=LAM, B=B2, C=C2), {"A": "array", "B": "array", "C": "array"}),
    "theory.bounds.l1_envelope": (dict(A=LAM, B=B2, C=C2, D=D1, T=4),
                                  {"A": "array", "B": "array", "C": "array", "D": "array", "T": "pint"}),
    "theory.bounds.l1_upper": (dict(A=LAM, B=B2, C=C2, D=D1, T=4),
                               {"A": "array", "B": "array", "C": "array", "D": "array", "T": "pint"}),
    "theory.bounds.h2_row_upper": (dict(A=LAM, B=B2, C=C2, D=D1), {"A": "array", "B": "array", "C": "array", "D": "array"}),
    "theory.bounds.power_norm_envelope": (dict(A=np.diag(LAM), B=B2, C=C2, D=D1, T=4),
                                          {"A": "array", "B": "array", "C": "array", "D": "array", "T": "pint"}),
    "theory.bounds.weighted_h2": (dict(A=LAM, B=B2, C=C2, D=D1, gamma=0.9),
                                  {"A": "array", "B": "array", "C": "array", "D": "array", "gamma": "pfloat"}),
    "theory.bounds.weighted_h2_constant": (dict(A=LAM, B=B2, C=C2, D=D1, gamma=0.9),
                                           {"A": "array", "B": "array", "C": "array", "D": "array", "gamma": "pfloat"}),
    "theory.bounds.class_envelope": (dict(gamma=0.9, beta=1.0, d=0.5, T=4),
                                     {"gamma": "nnfloat", "beta": "nnfloat", "d": "nnfloat", "T": "pint"}),
    "theory.bounds.class_h2_envelope": (dict(gamma=0.9, beta=1.0, d=0.5), {"gamma": "nnfloat", "beta": "nnfloat", "d": "nnfloat"}),
    "theory.bounds.block_constant": (dict(E=2.0, lipschitz=1.0, W_inf=1.0, residual=False),
                                     {"E": "nnfloat", "lipschitz": "nnfloat", "W_inf": "nnfloat"}),
    "theory.bounds.depth_product": (dict(constants=[1.5, 2.0]), {"constants": "real"}),
    "theory.bounds.complexity_numerator": (dict(K=1.0, w_l1=1.0, constants=[1.5, 2.0], lipschitz_loss=2.0, encoder_norm=1.0,
                                                bias_abs=0.0),
                                           {"K": "nnfloat", "w_l1": "nnfloat", "constants": "real", "lipschitz_loss": "nnfloat",
                                            "encoder_norm": "nnfloat", "bias_abs": "nnfloat"}),
    "theory.bounds.confidence_term": (dict(c_loss=1.0, delta=0.05), {"c_loss": "nnfloat", "delta": "pfloat"}),
    "theory.bounds.generalization_bound": (dict(numerator=3.0, N=100, c_loss=1.0, delta=0.05),
                                           {"numerator": "nnfloat", "N": "pint", "c_loss": "nnfloat", "delta": "pfloat"}),
    "theory.bounds.nonnormal_realization": (dict(A=LAM, B=B2, C=C2, D=D1, V=np.array([[1.0, 0.5], [0.0, 1.0]])),
                                            {"A": "array", "B": "array", "C": "array", "D": "array", "V": "array"}),
    "theory.bounds.union_over_time_factor": (dict(T=4), {"T": "pint"}),
    "theory.bounds.clipped_square_lipschitz": (dict(c=1.0), {"c": "pfloat"}),
    "theory.bounds.paper_form_complexity": (dict(K=1.0, N=100, inner_l1=[1.5], last_h2=2.0, lipschitz=1.0, w_l1=1.0,
                                                 encoder_norm=1.0, bias_abs=0.0),
                                            {"K": "nnfloat", "N": "pint", "inner_l1": "real", "last_h2": "nnfloat",
                                             "lipschitz": "nnfloat", "w_l1": "nnfloat", "encoder_norm": "nnfloat",
                                             "bias_abs": "nnfloat"}),
    "theory.bounds.envelope_class_complexity_bound": (dict(K_u=1.0, eta=np.array([1.0, 0.5]), N=10, w_bound=1.0),
                                                      {"K_u": "nnfloat", "eta": "real", "N": "pint", "w_bound": "pfloat"}),
    # theory.ptd
    "ssm.diagonalize": (dict(A=A3, B=np.ones(3), C=np.ones(3)), {"A": "array", "B": "array", "C": "array"}),
    "theory.ptd.gaussian_perturbation": (dict(A=A3, eps_rel=0.1, seed=0), {"A": "array", "eps_rel": "nnfloat", "seed": "nnint"}),
    "theory.ptd.s4d_legs_system": (dict(N=4, b_scale=0.5), {"N": "pint", "b_scale": "pfloat"}),
    "theory.ptd.omega_max": (dict(N=4), {"N": "pint"}),
    "theory.ptd.q_nplr": (dict(N=4, s=S), {"N": "pint", "s": "array"}),
    "theory.ptd.transfer_diag": (dict(lam=np.array([-1.0 + 1j, -2.0]), Bt=np.ones(2), Ct=np.ones(2), s=S),
                                 {"lam": "array", "Bt": "array", "Ct": "array", "s": "array"}),
    "theory.ptd.transfer_hippo": (dict(N=4, s=S), {"N": "pint", "s": "array"}),
    "theory.ptd.transfer_dense": (dict(A=A3, B=np.ones(3), C=np.ones(3), s=S), {"A": "array", "B": "array", "C": "array", "s": "array"}),
    "theory.ptd.hippo_resolvent_B": (dict(N=4, s=S), {"N": "pint", "s": "array"}),
    "theory.ptd.normal_resolvent_B": (dict(N=4, s=S, b_scale=0.5), {"N": "pint", "s": "array", "b_scale": "pfloat"}),
    "theory.ptd.omega_max": (dict(N=4), {"N": "pint"}),
    "theory.ptd.worst_aligned_perturbation": (dict(N=4, eps=0.1), {"N": "pint", "eps": "nnfloat"}),
    "experiments.ptd_study.perturbation_structure": (dict(A=A3, E=0.1 * np.eye(3)), {"A": "array", "E": "array"}),
    "experiments.ptd_study.ginibre_kappa": (dict(A=A3, deltas=np.array([0.1]), n_draws=2, seed=0),
                                 {"A": "array", "deltas": "real", "n_draws": "pint", "seed": "nnint"}),
    "experiments.ptd_search.ptd_optimize": (dict(A=A3, gamma=1.0, steps=2, lr=1e-3, seed=0, init_scale=1e-3, margin=0.5),
                                {"A": "array", "gamma": "nnfloat", "steps": "pint", "lr": "pfloat", "seed": "nnint",
                                 "init_scale": "pfloat", "margin": "float"}),
    "experiments.ptd_search.ptd_sweep": (dict(A=A3, gammas=[1.0], steps=2, lr=1e-3, seed=0, init_scale=1e-3, margin=0.5),
                                         {"A": "array", "gammas": "real", "steps": "pint", "lr": "pfloat", "seed": "nnint",
                                          "init_scale": "pfloat", "margin": "float"}),
    # experiments.ptd_study (notebook 05's drivers; tiny sizes)
    "experiments.ptd_study.conditioning_study": (dict(kappa_N=[16, 32, 48], f64_N=[16, 32], seed=0), {"seed": "nnint"}),
    "experiments.ptd_study.midpoint_sigma": (dict(N=4), {"N": "pint"}),
    "experiments.ptd_study.select_point": (dict(sweep=PTD_SWEEP, eps_max=0.05), {"eps_max": "pfloat"}),
    "experiments.ptd_study.s4d_convergence": (dict(conv_N=[4]), {}),
    "experiments.ptd_study.ptd_e1_control": (dict(N=4, E=E4), {"N": "pint", "E": "real"}),
    "experiments.ptd_study.tradeoff_study": (dict(N=4, sweep=PTD_SWEEP, i_sel=0, seed=0, n_gauss=2),
                                             {"N": "pint", "i_sel": "nnint", "seed": "nnint", "n_gauss": "pint"}),
    "experiments.ptd_study.thm3_study": (dict(N=4, E=E4, ts=np.array([1e-3, 1e-2, 0.1, 1.0]), n_C=2, seed=0, n_curve=8),
                                         {"N": "pint", "E": "real", "ts": "real", "n_C": "pint", "seed": "nnint",
                                          "n_curve": "pint"}),
    "experiments.ptd_study.backward_stability": (dict(N=4, E=E4, sizes=[4]), {"N": "pint", "E": "real"}),
    "experiments.ptd_study.ginibre_study": (dict(gin_N=[4, 6], deltas=np.array([1e-3, 1e-2]), n_draws=2, seed=0),
                                            {"deltas": "real", "n_draws": "pint", "seed": "nnint"}),
    "experiments.ptd_study.resolvent_study": (dict(res_N=[4], grid_max_N=4, n_grid=8), {"grid_max_N": "pint", "n_grid": "pint"}),
    "experiments.ptd_study.robustness_study": (dict(N=4, E=E4, data=ROB_DATA, seeds=[0, 1], H=2, n_layers=1, epochs=1,
                                                    ctrl_omega=1.0, seed=0, n_boot=100, gain_H=2),
                                               {"N": "pint", "E": "real", "ctrl_omega": "pfloat", "seed": "nnint",
                                                "gain_H": "pint"}),
    "theory.ptd.sup_abs_diff": (dict(f=lambda s: 1 / (s + 1), g=lambda s: 1 / (s + 2), peaks=np.array([1.0]), w_max=10.0,
                                     n_log=8, half_width=0.5, n_peak=3),
                                {"peaks": "real", "w_max": "pfloat", "n_log": "pint", "half_width": "nnfloat", "n_peak": "pint"}),
    "theory.ptd.l2_output_error": (dict(sys1=(np.array([-1.0, -2.0]), np.ones(2), np.ones(2)),
                                        sys2=(np.array([-1.5]), np.ones(1), np.ones(1)), u="exp"), {"u": "option"}),
    "theory.ptd.perturbed_resolvent_diff": (dict(N=4, E=0.01 * np.eye(4), s=S, chunk=2),
                                            {"N": "pint", "E": "array", "s": "array", "chunk": "pint"}),
    "theory.ptd.thm3_deviation": (dict(N=4, E=0.01 * np.eye(4), n_C=2, seed=0, b_scale=0.5, refine=False, via="solve",
                                       b_scale_ptd=1.0),
                                  {"N": "pint", "E": "array", "n_C": "pint", "seed": "nnint", "b_scale": "pfloat",
                                   "via": "option", "b_scale_ptd": "pfloat"}),
    "theory.ptd.thm3_scaling": (dict(N=4, E=0.01 * np.eye(4), ts=np.array([0.5, 1.0])),
                                {"N": "pint", "E": "array", "ts": "real"}),
    "theory.ptd.realization_error": (dict(N=4, E=0.01 * np.eye(4), n_freq=8), {"N": "pint", "E": "array", "n_freq": "pint"}),
    # experiments.synthesis
    "experiments.synthesis.base_config": (dict(d_model=4, d_state=4), {"d_model": "pint", "d_state": "pint"}),
    "experiments.synthesis.spike_frequency": (dict(d_state=4), {"d_state": "pint"}),
    "experiments.synthesis.clipped_square": (dict(pred=np.array([0.5, -2.0]), y=np.array([1.0, 0.0]), c=1.0),
                                             {"pred": "real", "y": "real", "c": "pfloat"}),
    "experiments.synthesis.design_medians": (dict(values=np.array([1.0, 2.0, 3.0, 4.0]), design_index=np.array([0, 0, 1, 1]),
                                                  n_designs=2),
                                             {"values": "real", "n_designs": "pint"}),
    "experiments.synthesis.init_member": (dict(design=DESIGN0, cfg=CFG, seed=0), {"seed": "nnint"}),
    "experiments.synthesis.channel_response": (dict(system=SYS, theta=np.array([0.0, 1.0])), {"theta": "real"}),
    "experiments.synthesis.channel_gains": (dict(system=SYS, n_grid=16, refine=1), {"n_grid": "pint", "refine": "nnint"}),
    "experiments.synthesis.worst_gain": (dict(systems=SYSTEMS, n_grid=16), {"n_grid": "pint"}),
    "experiments.synthesis.channels_l1_upper": (dict(system=SYS, max_lags=64), {"max_lags": "pint"}),
    "experiments.synthesis.racz_paper_bound": (dict(params=PARAMS, cfg=CFG, N=10, K=1.0, T=8, delta=0.05, c_loss=1.0),
                                               {"N": "pint", "K": "pfloat", "T": "pint", "delta": "pfloat", "c_loss": "pfloat"}),
    "experiments.synthesis.binary_digits": (dict(seed=0, n_train=8, repeat=1, n_test=4),
                                            {"seed": "nnint", "n_train": "pint", "repeat": "pint", "n_test": "pint"}),
    "experiments.synthesis.design_spearman": (dict(lens=LENS, target=TARGET, design_index=DIDX, level=0.9, n_boot=100, n_perm=100,
                                                   seed=0),
                                              {"lens": "real", "target": "real", "n_boot": "pint", "n_perm": "pint",
                                               "seed": "nnint"}),
    "experiments.synthesis.lens_table": (dict(results={"a": LENS, "b": TARGET, "train loss": TARGET[::-1].copy()}, design_index=DIDX,
                                              lenses=["a"], targets=["b"], n_boot=100, n_perm=100, seed=0),
                                         {"n_boot": "pint", "n_perm": "pint", "seed": "nnint"}),
    "experiments.synthesis.train_population": (dict(designs=[DESIGN0], seeds=[0], cfg=CFG, data=DATA, steps=1, lr=1e-3,
                                                    batch_size=4, stats_batch=4, seed=0),
                                               {"steps": "pint", "lr": "pfloat", "batch_size": "pint", "stats_batch": "pint",
                                                "seed": "nnint"}),
    "experiments.synthesis.evaluate": (dict(pop=_trained(), cfg=CFG, data=DATA, d_state=2, amplitude=0.1, noise_seed=0,
                                            energy_bound=8.0, delta=0.05),
                                       {"d_state": "pint", "amplitude": "pfloat", "noise_seed": "nnint",
                                        "energy_bound": "pfloat", "delta": "pfloat"}),
    "experiments.synthesis.wording": (dict(entry=dict(ci=(0.1, 0.5), rho=0.3, p=0.01), expected_sign=1), {}),
    # param
    "param.get": (dict(name="exp", discrete=False), {"name": "option"}),
    "param.reparam_kwargs": (dict(name="exp"), {"name": "option"}),
    "param.reparam": (dict(name="exp", w=W), {"name": "option", "w": "real"}),
    "param.inverse_reparam": (dict(name="exp", value=-W), {"name": "option", "value": "real"}),
    "param.reparam_derivative": (dict(name="exp", w=W), {"name": "option", "w": "real"}),
    "param.discrete_reparam": (dict(name="lru", w=W), {"name": "option", "w": "real"}),
    "param.discrete_reparam_derivative": (dict(name="lru", w=W), {"name": "option", "w": "real"}),
    "param.gradient_scale": (dict(name="exp", w=W, discrete=False), {"name": "option", "w": "real"}),
    "param.stability_function": (dict(name="exp", beta=np.array([0.1, 0.5]), n_w=11, n_offsets=5),
                                 {"name": "option", "beta": "real", "n_w": "pint", "n_offsets": "pint"}),
}

EXEMPT = {
    "experiments.ptd_study.released_source": "takes no arguments (reads an environment variable / a local mirror path)",
    "experiments.ptd_study.load_released": "reads the authors' released .mat files, absent on most machines (FileNotFoundError)",
    "theory.bounds.LIPSCHITZ": "a constant table (activation -> Lipschitz constant), not a function",
    "theory.bounds.NormGrid": "a dataclass record (grid sizes), not fuzzed",
    "experiments.ptd_search.PTDResult": "a dataclass record of results, not fuzzed",
    "experiments.synthesis.Design": "a frozen dataclass record (a design's recipe), not fuzzed",
    "experiments.synthesis.DESIGNS": "a constant tuple of Design records",
    "param.Reparam": "a frozen dataclass record (one reparameterization's maps), not fuzzed",
    "param.REPARAMS": "a constant tuple of names",
    "param.DISCRETE_REPARAMS": "a constant tuple of names",
}

ALLOWED = {
    **{(f"theory.bounds.{f}", "D", "None"): "D is optional (None: no feedthrough)"
       for f in ("l1_envelope", "l1_upper", "h2_row_upper", "power_norm_envelope", "weighted_h2", "weighted_h2_constant",
                 "nonnormal_realization")},
    ("theory.bounds.block_constant", "E", "inf"): "an unstable block's l1 norm is inf; the constant is then inf",
    ("theory.bounds.depth_product", "constants", "inf"): "an unstable block's constant is inf; the product is inf",
    ("theory.bounds.complexity_numerator", "constants", "inf"): "an unstable block's constant is inf",
    ("theory.bounds.generalization_bound", "numerator", "inf"): "an unstable model's numerator is inf; the bound is inf",
    ("theory.bounds.paper_form_complexity", "inner_l1", "inf"): "an unstable block's l1 norm is inf; the result is inf",
    ("theory.bounds.paper_form_complexity", "last_h2", "inf"): "an unstable last block's H2 bound is inf",
    **{(f"theory.ptd.{f}", "s", "wrong rank"): "evaluation points of any shape"
       for f in ("q_nplr", "transfer_diag", "transfer_hippo", "transfer_dense", "hippo_resolvent_B", "normal_resolvent_B")},
    ("ssm.diagonalize", "B", "wrong rank"): "B a vector (N,) or a matrix (N, m)",
    ("ssm.diagonalize", "C", "None"): "C is optional (None: no output matrix, C V is None)",
    ("theory.ptd.transfer_dense", "B", "wrong rank"): "B a vector (N,) or a matrix (N, m)",
    ("theory.ptd.transfer_dense", "C", "wrong rank"): "C a vector (N,) or a matrix (p, N)",
    ("experiments.ptd_study.ginibre_kappa", "deltas", "wrong rank"): "a scalar delta or a vector of deltas",
    **{(f"param.{f}", "w", "wrong rank"): "elementwise: any shape"
       for f in ("reparam", "reparam_derivative", "discrete_reparam", "discrete_reparam_derivative", "gradient_scale")},
    ("param.inverse_reparam", "value", "wrong rank"): "elementwise: any shape",
    ("param.stability_function", "beta", "wrong rank"): "returns the shape of beta",
    ("experiments.synthesis.clipped_square", "pred", "wrong rank"): "elementwise: any shape",
    ("experiments.synthesis.clipped_square", "y", "wrong rank"): "elementwise: any shape (broadcast with pred)",
    ("experiments.synthesis.design_medians", "values", "inf"): "an unstable member's lens is inf (counts as +inf)",
    ("experiments.synthesis.design_medians", "values", "nan"): "a diverged member's value; kept as before (notebook 06)",
    ("experiments.synthesis.design_spearman", "lens", "nan"): "a diverged member's lens: lens_table passes it through "
                                                              "and reports the analysis without non-finite designs",
    ("experiments.synthesis.design_spearman", "target", "nan"): "as lens (a diverged member's outcome)",
    ("theory.ptd.sup_abs_diff", "peaks", "wrong rank"): "a scalar or a vector of peak frequencies (raveled)",
    ("theory.ptd.perturbed_resolvent_diff", "s", "wrong rank"): "evaluation points of any shape (raveled)",
    ("theory.ptd.thm3_scaling", "ts", "wrong rank"): "a scalar or a vector of scales",
    ("theory.ptd.thm3_deviation", "E", "None"): "E=None: the S4D-LegS normal part (no perturbation)",
    ("theory.ptd.realization_error", "E", "None"): "E=None: the direct diagonalization of A_H",
    ("experiments.synthesis.design_spearman", "lens", "inf"): "an unstable member's lens is inf (ranked at the top)",
    ("experiments.synthesis.design_spearman", "target", "inf"): "inf values are ranked at the top",
}

EXTRA = [
    ("theory.bounds.l1_envelope", "B", "rows != modes", np.ones((3, 1))),
    ("theory.bounds.nonnormal_realization", "V", "wrong size", np.eye(3)),
    ("theory.bounds.confidence_term", "delta", "outside (0, 1)", 1.5),
    ("theory.bounds.weighted_h2", "gamma", "below the spectral radius", 0.4),
    ("theory.ptd.l2_output_error", "sys1", "unstable", (np.array([0.5]), np.ones(1), np.ones(1))),
    ("theory.ptd.l2_output_error", "sys2", "not a triple", (np.array([-1.0]), np.ones(1))),
    ("experiments.ptd_study.perturbation_structure", "E", "shape mismatch", np.eye(2)),
    ("theory.ptd.thm3_deviation", "E", "size != N", np.eye(3)),
    ("ssm.diagonalize", "A", "not square", np.ones((2, 3))),
    ("ssm.diagonalize", "B", "rows != N", np.ones(4)),
    ("ssm.diagonalize", "C", "columns != N", np.ones((1, 4))),
    ("experiments.ptd_search.ptd_sweep", "gammas", "empty", []),
    ("experiments.ptd_search.ptd_sweep", "gammas", "negative", [-1.0]),
    ("experiments.ptd_search.ptd_optimize", "X0", "shape mismatch", np.ones((2, 2))),
    ("experiments.ptd_study.conditioning_study", "kappa_N", "without 48", [16, 32]),
    ("experiments.ptd_study.conditioning_study", "f64_N", "without 32", [16]),
    ("experiments.ptd_study.s4d_convergence", "conv_N", "empty", []),
    ("experiments.ptd_study.select_point", "sweep", "empty", []),
    ("experiments.ptd_study.tradeoff_study", "i_sel", "out of range", 5),
    ("experiments.ptd_study.tradeoff_study", "N", "sweep of another size", 5),
    ("experiments.ptd_study.thm3_study", "ts", "fewer than 4", np.array([0.1, 1.0])),
    ("experiments.ptd_study.thm3_study", "E", "size != N", np.eye(3)),
    ("experiments.ptd_study.ginibre_study", "gin_N", "empty", []),
    ("experiments.ptd_study.ginibre_study", "gin_N", "one size", [4]),
    ("experiments.ptd_study.resolvent_study", "res_N", "size 1", [1]),
    ("experiments.ptd_study.robustness_study", "seeds", "one seed", [0]),
    ("experiments.synthesis.design_medians", "design_index", "length mismatch", np.array([0, 1])),
    ("experiments.synthesis.design_spearman", "design_index", "not design-major", DIDX[::-1].copy()),
    ("experiments.synthesis.lens_table", "lenses", "unknown key", ["zz"]),
    ("experiments.synthesis.train_population", "seeds", "empty", []),
    ("experiments.synthesis.worst_gain", "systems", "empty", []),
    ("param.inverse_reparam", "value", "non-negative", np.array([0.5])),
    ("param.stability_function", "w_range", "decreasing", (1.0, -1.0)),
]

(test_every_public_function_is_covered, test_valid_call_succeeds,
 test_bad_argument_is_refused_by_name, test_bad_value_is_refused) = make_bad_input_tests(MODULES, VALID, EXEMPT, ALLOWED, EXTRA)
