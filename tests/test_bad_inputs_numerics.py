"""Bad-input suite (issue 13) for pseudospectra, processes, theory.uniform_gap and experiments.frozen_s4.

Tables as in tests/test_bad_inputs.py; the machinery is tests/_bad_inputs.py.
"""

from __future__ import annotations

import numpy as np
from _bad_inputs import make_bad_input_tests

from ssmtheory import processes as pr

try:  # the fuzz (benchmarks/fuzz_tally.py) also builds these tables on the base commit, which lacks these modules
    from ssmtheory.theory import uniform_gap as ug
except ImportError:  # pragma: no cover - only on the base commit
    ug = None

MODULES = ("pseudospectra", "processes", "theory.uniform_gap", "experiments.frozen_s4")

A_T = np.array([[-1.0, 2.0, 0.5], [0.0, -2.0, 1.0], [0.0, 0.0, -3.0]])  # stable, upper triangular, non-normal
Z = np.array([0.5 + 0.5j, 1j, -1.5 + 0.0j])
LAM = np.array([-0.5 + 1j, -1.0 + 0j])
G8 = ug.readout_basis(LAM, 0.1, 8) if ug else np.ones((8, 4))  # (8, 4)
POP = [G8.T @ pr.white_noise().second_moment(8) @ G8]
H2 = np.array([[1.0, 0.2], [0.2, -0.5]])
GAPS = np.abs(np.random.default_rng(0).normal(size=(3, 2))) + 0.1
LAM_F, V_F = np.linalg.eig(np.array([[-1.0, 0.3], [0.0, -2.0]]))
BT_F = np.linalg.solve(V_F, np.array([1.0, 0.5])).astype(complex)  # a frozen spectrum (lam, V, Bt)


def _frozen():
    from ssmtheory.experiments import frozen_s4 as fs

    tr, fr = fs.init_params(0, LAM_F, V_F, BT_F, H=2, n_layers=1, d_input=1, d_output=3)
    return tr, fr


try:
    TR, FR = _frozen()
except ImportError:  # pragma: no cover - only on the base commit (see above)
    TR = FR = None


def _split():
    from ssmtheory import tasks

    rng = np.random.default_rng(0)
    return tasks.Split(rng.normal(size=(8, 8, 1)).astype(np.float32), rng.integers(0, 2, 8).astype(np.int32),
                       rng.normal(size=(4, 8, 1)).astype(np.float32), rng.integers(0, 2, 4).astype(np.int32), 2)


VALID = {
    # pseudospectra
    "pseudospectra.sigma_min": (dict(A=A_T, z=Z, method="auto", grid_tol=1e-9, grid_max_iter=20, grid_min_points=64,
                                     svd_max_n=512),
                                {"A": "array", "z": "array", "method": "option", "grid_tol": "pfloat",
                                 "grid_max_iter": "pint", "grid_min_points": "pint", "svd_max_n": "pint"}),
    "pseudospectra.sigma_min_reference": (dict(A=A_T, z=Z), {"A": "array", "z": "array"}),
    "pseudospectra.sigma_min_mpmath": (dict(A=A_T, z=0.5 + 0.5j, dps=20, max_n=8),
                                       {"A": "array", "z": "float", "dps": "pint", "max_n": "pint"}),
    "pseudospectra.schur_triangular": (dict(A=A_T), {"A": "array"}),
    "pseudospectra.is_normal": (dict(A=A_T, atol=1e-10), {"A": "array", "atol": "nnfloat"}),
    "pseudospectra.departure_from_normality": (dict(A=A_T), {"A": "array"}),
    "pseudospectra.roundoff_floor": (dict(A=A_T), {"A": "array"}),
    "pseudospectra.pseudospectrum": (dict(A=A_T, x=np.linspace(-1, 1, 3), y=np.linspace(-1, 1, 2)),
                                     {"A": "array", "x": "real", "y": "real"}),
    "pseudospectra.eigvec_condition": (dict(A=A_T), {"A": "array"}),
    "pseudospectra.hippo_eigvec_condition_exact": (dict(N=4, dps=30, max_n=96), {"N": "pint", "dps": "pint", "max_n": "pint"}),
    "pseudospectra.hippo_eig_error": (dict(A=A_T, exact=np.array([-1.0, -2.0, -3.0])), {"A": "array", "exact": "array"}),
    "pseudospectra.resolvent_norm_imag": (dict(A=A_T, omega=np.array([0.0, 1.0])), {"A": "array", "omega": "real"}),
    "pseudospectra.stability_radius": (dict(A=A_T, method="bb", tol=1e-10, max_iter=50, n_grid=50),
                                       {"A": "array", "method": "option", "tol": "pfloat", "max_iter": "pint",
                                        "n_grid": "pint"}),
    # processes
    "processes.white_noise": (dict(sigma=1.0, mean=0.0), {"sigma": "nnfloat", "mean": "float"}),
    "processes.tiny_noise": (dict(sigma=0.01), {"sigma": "pfloat"}),
    "processes.offset_noise": (dict(offset=5.0, slope=0.5, sigma=1.0), {"offset": "float", "slope": "float", "sigma": "nnfloat"}),
    "processes.sinusoid_noise": (dict(amplitude=3.0, cycles=4.0, noise=0.1, phase=0.0),
                                 {"amplitude": "float", "cycles": "float", "noise": "nnfloat", "phase": "float"}),
    "processes.modulated_noise": (dict(mean_fn=lambda s: 0 * s, std_fn=lambda s: 1 + 0 * s), {}),
    "processes.brownian": (dict(sigma=1.0), {"sigma": "nnfloat"}),
    "processes.ar1": (dict(phi=0.5, sigma=1.0), {"phi": "float", "sigma": "nnfloat"}),
    "processes.same_marginals_pair": (dict(phi=0.5), {"phi": "float"}),
    "processes.standard_patterns": (dict(), {}),
    "processes.equal_rms_patterns": (dict(L=8), {"L": "pint"}),
    "processes.gaussian_process": (dict(name="g", mean_fn=lambda s: 0 * s, cov_fn=lambda s, t: np.minimum(s, t), T=1.0),
                                   {"T": "pfloat"}),
    "processes.brownian_on": (dict(sigma=1.0, T=1.0), {"sigma": "nnfloat", "T": "pfloat"}),
    "processes.reversed_brownian": (dict(sigma=1.0, T=1.0), {"sigma": "nnfloat", "T": "pfloat"}),
    "processes.ou": (dict(theta=1.0, sigma=1.0, T=1.0), {"theta": "pfloat", "sigma": "nnfloat", "T": "pfloat"}),
    "processes.white_on": (dict(sigma=1.0, mean=0.0, T=1.0), {"sigma": "nnfloat", "mean": "float", "T": "pfloat"}),
    "processes.rescaled": (dict(p=pr.brownian(), factor=2.0), {"factor": "float"}),
    "processes.heavy_tailed": (dict(p=pr.brownian(), nu=3.0), {"nu": "pfloat"}),
    # theory.uniform_gap
    "theory.uniform_gap.readout_basis": (dict(Lambda=LAM, dt=0.1, L=8), {"Lambda": "array", "dt": "pfloat", "L": "pint"}),
    "theory.uniform_gap.trust_region_max": (dict(H=H2, g=np.array([0.3, -0.1]), h=np.array(0.2), r=1.0),
                                            {"H": "real", "g": "real", "r": "pfloat"}),
    "theory.uniform_gap.sup_abs_quadratic": (dict(H=H2, g=np.array([0.3, -0.1]), h=np.array(0.2), r=1.0),
                                             {"H": "real", "g": "real", "r": "pfloat"}),
    "theory.uniform_gap.gap_from_data": (dict(X=np.random.default_rng(1).normal(size=(6, 8)),
                                              y=np.random.default_rng(2).choice([-1.0, 1.0], 6), bases=[G8], pops=POP,
                                              r=1.0, label_std=1.0, ns=[3, 6]),
                                         {"X": "real", "y": "real", "r": "pfloat", "label_std": "pfloat"}),
    "theory.uniform_gap.uniform_gaps": (dict(process=pr.white_noise(), bases=[G8], r=1.0, ns=[4, 8], reps=2, L=8,
                                             label_std=1.0, seed=0),
                                        {"r": "pfloat", "reps": "pint", "L": "pint", "label_std": "pfloat", "seed": "nnint"}),
    "theory.uniform_gap.psi_ball": (dict(bases=[G8], mu=np.zeros(8), sigma=np.ones(8), r=1.0, restarts=2, seed=0),
                                    {"mu": "real", "sigma": "real", "r": "pfloat", "restarts": "nnint", "seed": "nnint"}),
    "theory.uniform_gap.norm_proxy": (dict(bases=[G8], energy=8.0, r=1.0), {"energy": "pfloat", "r": "pfloat"}),
    "theory.uniform_gap.s4d_class": (dict(N=2, T=1.0, L=8), {"N": "pint", "T": "pfloat", "L": "pint"}),
    "experiments.data_dependent.study_process": (dict(process=pr.white_noise(), N=2, T=1.0, r=1.0, ns=[4, 8], reps=2, L=8,
                                              L_fine=16, n_fine=4, label_std=1.0, seed=0),
                                         {"N": "pint", "T": "pfloat", "r": "pfloat", "reps": "pint", "L": "pint",
                                          "L_fine": "pint", "n_fine": "pint", "label_std": "pfloat", "seed": "nnint"}),
    "experiments.data_dependent.slope_band_excess": (dict(ns=np.array([4.0, 8.0]), gaps=[GAPS], band=(-0.6, -0.4), level=0.95,
                                                  n_boot=50, seed=0),
                                             {"ns": "real", "n_boot": "pint", "seed": "nnint"}),
    "experiments.data_dependent.rank_tracking": (dict(gap_samples=[GAPS[:, 0], GAPS[:, 1], GAPS[:, 0] + 1],
                                              measures=np.array([1.0, 2.0, 3.0]), level=0.95, n_boot=50, seed=0),
                                         {"measures": "real", "n_boot": "pint", "seed": "nnint"}),
    "experiments.data_dependent.refinement_excess": (dict(coarse=GAPS[:, 0], fine=GAPS[:, 1], psi_coarse=1.0, psi_fine=1.5,
                                                  level=0.95, n_boot=50, seed=0),
                                             {"coarse": "real", "fine": "real", "psi_coarse": "nnfloat",
                                              "psi_fine": "nnfloat", "n_boot": "pint", "seed": "nnint"}),
    # experiments.frozen_s4
    "experiments.frozen_s4.spectrum_s4d": (dict(N=4), {"N": "pint"}),
    "experiments.frozen_s4.spectrum_ptd": (dict(A_pert=np.array([[-1.0, 0.3], [0.0, -2.0]])), {"A_pert": "real"}),
    "experiments.frozen_s4.init_params": (dict(seed=0, lam=LAM_F, V=V_F, Bt=BT_F, H=2, n_layers=1, d_input=1, d_output=3,
                                               dt_min=1e-3, dt_max=1e-1),
                                          {"seed": "nnint", "lam": "array", "V": "array", "Bt": "array", "H": "pint", "n_layers": "pint",
                                           "d_input": "pint", "d_output": "pint", "dt_min": "pfloat", "dt_max": "pfloat"}),
    "experiments.frozen_s4.kernel": (dict(C=np.ones((2, 2), complex), lam=LAM_F.astype(complex), Bt=np.ones(2, complex),
                                          log_dt=np.log([0.01, 0.1]), L=8),
                                     {"C": "array", "lam": "array", "Bt": "array", "log_dt": "real", "L": "pint"}),
    "experiments.frozen_s4.apply": (dict(train=TR, frozen=FR, x=np.ones((2, 8, 1), np.float32)), {"x": "real"}),
    "experiments.frozen_s4.noise_gain": (dict(lam=LAM_F, V=V_F, Bt=BT_F, omega=1.0, L=8, H=2, seed=0, dt_min=1e-3, dt_max=1e-1),
                                         {"lam": "array", "V": "array", "Bt": "array", "omega": "float", "L": "pint", "H": "pint",
                                          "seed": "nnint", "dt_min": "pfloat", "dt_max": "pfloat"}),
    "experiments.frozen_s4.train_and_eval": (dict(spectra={"a": (LAM_F, V_F, BT_F)}, seeds=[0], data=_split(), H=2, n_layers=1,
                                                  epochs=1, batch=4, lr=0.01, lr_C=0.004, weight_decay=0.05,
                                                  noise_amp=0.1, omegas=(1.0,)),
                                             {"H": "pint", "n_layers": "pint", "epochs": "pint", "batch": "pint",
                                              "lr": "pfloat", "lr_C": "pfloat", "weight_decay": "nnfloat",
                                              "noise_amp": "pfloat"}),
}

EXEMPT = {}

ALLOWED = {
    ("pseudospectra.sigma_min", "z", "wrong rank"): "z of any shape (a grid); the result has z's shape",
    ("pseudospectra.sigma_min_reference", "z", "wrong rank"): "z of any shape",
    ("pseudospectra.pseudospectrum", "x", "wrong rank"): "x, y go through meshgrid (flattened)",
    ("pseudospectra.pseudospectrum", "y", "wrong rank"): "x, y go through meshgrid (flattened)",
    ("pseudospectra.resolvent_norm_imag", "omega", "wrong rank"): "omega of any shape",
    ("pseudospectra.sigma_min_mpmath", "z", "nan"): "z is complex: refused as non-finite (names z)",
    ("theory.uniform_gap.trust_region_max", "H", "wrong rank"): "leading batch axes (then g's shape is named)",
    ("theory.uniform_gap.sup_abs_quadratic", "H", "wrong rank"): "leading batch axes (then g's shape is named)",
}

EXTRA = [
    ("pseudospectra.sigma_min", "A", "not square", np.ones((2, 3))),
    ("pseudospectra.eigvec_condition", "A", "not square", np.ones((2, 3))),
    ("pseudospectra.stability_radius", "A", "not square", np.ones((2, 3))),
    ("pseudospectra.hippo_eigvec_condition_exact", "N", "over max_n", 2000),
    ("pseudospectra.hippo_eig_error", "exact", "length mismatch", np.array([-1.0, -2.0])),
    ("pseudospectra.hippo_eig_error", "exact", "zero eigenvalue", np.array([0.0, -2.0, -3.0])),
    ("pseudospectra.sigma_min_mpmath", "A", "over max_n", np.eye(9)),
    ("processes.ar1", "phi", "|phi| >= 1", 1.0),
    ("processes.rescaled", "factor", "zero", 0.0),
    ("processes.rescaled", "p", "not a process", "brownian"),
    ("processes.heavy_tailed", "nu", "nu <= 2", 2.0),
    ("processes.heavy_tailed", "p", "not a process", None),
    ("processes.modulated_noise", "mean_fn", "not callable", 3.0),
    ("processes.gaussian_process", "cov_fn", "not callable", None),
    ("processes.equal_rms_patterns", "L", "huge", 10**12),
    ("theory.uniform_gap.readout_basis", "Lambda", "unstable", np.array([0.5 + 1j])),
    ("theory.uniform_gap.gap_from_data", "y", "length mismatch", np.ones(5)),
    ("theory.uniform_gap.gap_from_data", "ns", "n > len(X)", [3, 7]),
    ("theory.uniform_gap.gap_from_data", "bases", "basis rows != L", [G8[:4]]),
    ("theory.uniform_gap.gap_from_data", "pops", "one pop per basis", []),
    ("theory.uniform_gap.uniform_gaps", "bases", "basis rows != L", [G8[:4]]),
    ("theory.uniform_gap.uniform_gaps", "ns", "zero", [0, 8]),
    ("theory.uniform_gap.psi_ball", "sigma", "negative", -np.ones(8)),
    ("theory.uniform_gap.psi_ball", "mu", "length != basis rows", np.zeros(5)),
    ("experiments.data_dependent.slope_band_excess", "gaps", "shape != (reps, len(ns))", [GAPS[:, :1]]),
    ("experiments.data_dependent.slope_band_excess", "band", "lo > hi", (-0.4, -0.6)),
    ("experiments.data_dependent.slope_band_excess", "level", "outside (0, 1)", 1.5),
    ("experiments.data_dependent.rank_tracking", "measures", "length mismatch", np.array([1.0, 2.0])),
    ("experiments.data_dependent.rank_tracking", "level", "outside (0, 1)", 0.0),
    ("experiments.data_dependent.refinement_excess", "coarse", "non-positive gap", np.array([0.0, -1.0, 1.0])),
    ("experiments.data_dependent.refinement_excess", "level", "outside (0, 1)", np.nan),
    ("experiments.frozen_s4.spectrum_ptd", "A_pert", "unstable", np.array([[1.0, 0.0], [0.0, -1.0]])),
    ("experiments.frozen_s4.init_params", "V", "shape mismatch", np.eye(3)),
    ("experiments.frozen_s4.init_params", "Bt", "length mismatch", np.ones(3, complex)),
    ("experiments.frozen_s4.init_params", "dt_max", "dt_max < dt_min", 1e-4),
    ("experiments.frozen_s4.kernel", "Bt", "length mismatch", np.ones(3, complex)),
    ("experiments.frozen_s4.noise_gain", "lam", "unstable", np.array([0.5, -1.0])),
    ("experiments.frozen_s4.train_and_eval", "seeds", "empty", []),
    ("experiments.frozen_s4.train_and_eval", "spectra", "empty", {}),
    ("experiments.frozen_s4.train_and_eval", "batch", "batch > n_train", 64),
]

(test_every_public_function_is_covered, test_valid_call_succeeds,
 test_bad_argument_is_refused_by_name, test_bad_value_is_refused) = make_bad_input_tests(
    MODULES, VALID, EXEMPT, ALLOWED, EXTRA, extra_names=("A", "z", "lam", "V", "L", "bases", "X", "batch", "n_train", "ns"))
