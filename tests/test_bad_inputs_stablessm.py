"""Bad-input suite (issue 13) for notebook 03's modules: theory.memory and the experiments it drives
(curse_of_memory, diagonal_students, stablessm_lr).  Machinery: tests/_bad_inputs.py (owned by "reliability")."""

from __future__ import annotations

import jax
import numpy as np
from _bad_inputs import make_bad_input_tests

from ssmtheory.experiments import curse_of_memory as cm
from ssmtheory.experiments import diagonal_students as ds
from ssmtheory.experiments import stablessm_lr as sl

MODULES = ("theory.memory", "experiments.curse_of_memory", "experiments.diagonal_students", "experiments.stablessm_lr")

RHO4 = 0.9 ** np.arange(4.0)
P2 = cm.init_params(0, 2)  # the Figure-1 model, m = 2
P2S = {k: v[None] for k, v in P2.items()}  # a stack of one model
ST = ds.train_students("exp", RHO4, [2], n_seeds=1, steps=1, seed=0)  # one tiny diagonal student
SP = sl.init_params(jax.random.PRNGKey(0), "exp", H=2, N=2, n_layers=1, d_out=3)
_rng = np.random.default_rng(0)
XS, YS = _rng.normal(size=(8, 4, 1)).astype(np.float32), _rng.integers(0, 3, 8)
TRAIN = dict(epoch_steps=1, m_max=2)

VALID = {
    # ---- theory.memory (formulas)
    "theory.memory.rho_exponential": (dict(t=np.arange(3.0)), {"t": "real"}),
    "theory.memory.rho_polynomial": (dict(t=np.arange(3.0), c=0.1, p=1.1), {"t": "real", "c": "pfloat", "p": "pfloat"}),
    "theory.memory.target_kernel": (dict(name="pol", T=5, dt=1.0), {"name": "option", "T": "pint", "dt": "pfloat"}),
    "theory.memory.linear_functional_data": (dict(kernel=np.ones(4), n=2, seed=0, dt=1.0),
                                             {"kernel": "real", "n": "pint", "seed": "nnint", "dt": "pfloat"}),
    "theory.memory.time_weights": (dict(T=4, weighted=True), {"T": "pint"}),
    "theory.memory.population_loss": (dict(err=np.ones(4), weights=np.ones(4), dt=1.0),
                                      {"err": "real", "weights": "real", "dt": "pfloat"}),
    "theory.memory.memory_function": (dict(kernel_or_fn=np.ones(5), T=5), {"kernel_or_fn": "real", "T": "pint"}),
    "theory.memory.student_kernel": (dict(reparam="direct", w=-np.ones(3), b=np.ones(3), c=np.ones(3), T=4, dt=1.0),
                                     {"reparam": "option", "w": "real", "b": "real", "c": "real", "T": "pint",
                                      "dt": "pfloat"}),
    "theory.memory.student_eigenvalues": (dict(reparam="exp", w=np.ones(3), dt=1.0),
                                          {"reparam": "option", "w": "real", "dt": "pfloat"}),
    # ---- experiments.curse_of_memory (the authors' Figure-1 model)
    "experiments.curse_of_memory.init_params": (dict(seed=0, m=2, m_max=3), {"seed": "nnint", "m": "pint", "m_max": "pint"}),
    "experiments.curse_of_memory.lti": (dict(p=P2, panel="direct", train=True, dt=1.0), {"panel": "option", "dt": "pfloat"}),
    "experiments.curse_of_memory.outputs": (dict(p=P2, panel="direct", T=4, train=True, dt=1.0),
                                            {"panel": "option", "T": "pint", "dt": "pfloat"}),
    "experiments.curse_of_memory.expected_loss": (dict(p=P2, panel="softplus", rho=RHO4, dt=1.0),
                                                  {"panel": "option", "rho": "real", "dt": "pfloat"}),
    "experiments.curse_of_memory.simulate": (dict(p=P2, panel="direct", x=np.ones((2, 4)), dt=1.0),
                                             {"panel": "option", "x": "real", "dt": "pfloat"}),
    "experiments.curse_of_memory.train_groups": (dict(groups=[("direct", None, 1)], m=2, rho=RHO4, seeds=[0], lr=1e-2,
                                                      min_epochs=1, seed_offset=0, **TRAIN),
                                                 {"m": "pint", "rho": "real", "lr": "pfloat", "epoch_steps": "pint",
                                                  "min_epochs": "pint", "seed_offset": "nnint", "m_max": "pint"}),
    "experiments.curse_of_memory.train_size": (dict(panel="direct", m=2, rho=RHO4, seeds=[0], max_epochs=1, min_epochs=1,
                                                    **TRAIN),
                                               {"panel": "option", "m": "pint", "rho": "real", "max_epochs": "pint"}),
    "experiments.curse_of_memory.train_protocols": (dict(runs=[("direct", "equal", 1)], sizes=[2], rho=RHO4, seeds=[0],
                                                         min_epochs=1, **TRAIN), {"rho": "real"}),
    "experiments.curse_of_memory.train_protocol": (dict(panel="direct", sizes=[2], rho=RHO4, seeds=[0], protocol="equal",
                                                        max_epochs=1, min_epochs=1, **TRAIN),
                                                   {"panel": "option", "protocol": "option", "max_epochs": "pint"}),
    "experiments.curse_of_memory.perturb": (dict(p=P2, panel="direct", beta=0.1, key=jax.random.PRNGKey(0), mode="authors"),
                                            {"panel": "option", "beta": "nnfloat", "mode": "option"}),
    "experiments.curse_of_memory.perturbation_curve": (dict(params=P2, panel="direct", rho=RHO4, betas=np.array([0.0, 0.1]),
                                                            n_repeats=1, mode="authors", seed=0),
                                                       {"panel": "option", "rho": "real", "betas": "real",
                                                        "n_repeats": "pint", "mode": "option", "seed": "nnint"}),
    "experiments.curse_of_memory.first_crossing": (dict(betas=np.array([0.0, 0.1]), values=np.array([0.0, 2.0]), level=1.0),
                                                   {"betas": "real", "values": "real", "level": "float"}),
    "experiments.curse_of_memory.diagnostics": (dict(params=P2S, panel="direct", dt=1.0), {"panel": "option", "dt": "pfloat"}),
    "experiments.curse_of_memory.figure1_study": (dict(rho=RHO4, sizes=[2], seeds=[0], betas=np.array([0.0, 0.1]), n_repeats=1,
                                                       level=1e3, protocols=("equal",), budget_epochs=1, perturb_seed=0,
                                                       max_epochs=1, min_epochs=1, **TRAIN),
                                                  {"rho": "real", "betas": "real", "n_repeats": "pint", "level": "pfloat",
                                                   "budget_epochs": "pint", "perturb_seed": "nnint", "max_epochs": "pint"}),
    "experiments.curse_of_memory.log_ratio_ci": (dict(num=np.array([1.0, 2.0, 3.0]), den=np.array([2.0, 2.0, 2.5]),
                                                      alternative="less", seed=0),
                                                 {"num": "real", "den": "real", "alternative": "option", "seed": "nnint"}),
    # ---- experiments.diagonal_students
    "experiments.diagonal_students.train_students": (dict(reparam="exp", rho=RHO4, sizes=[2], n_seeds=1, steps=1, lr=1e-2,
                                                          seed=0, dt=1.0),
                                                     {"reparam": "option", "rho": "real", "n_seeds": "pint",
                                                      "steps": "pint", "lr": "pfloat", "seed": "nnint", "dt": "pfloat"}),
    "experiments.diagonal_students.perturbation_curve": (dict(students=ST, rho=RHO4, betas=np.array([0.0, 0.1]),
                                                              n_repeats=1, seed=0),
                                                         {"rho": "real", "betas": "real", "n_repeats": "pint",
                                                          "seed": "nnint"}),
    "experiments.diagonal_students.stability_threshold": (dict(betas=np.array([0.0, 0.1]), E=np.array([[0.0, 2.0]]),
                                                               level=1.0),
                                                          {"betas": "real", "E": "real", "level": "pfloat"}),
    "experiments.diagonal_students.stability_margin": (dict(students=ST), {}),
    # ---- experiments.stablessm_lr
    "experiments.stablessm_lr.real_part": (dict(config="exp", w=np.ones(3)), {"config": "option", "w": "real"}),
    "experiments.stablessm_lr.init_params": (dict(key=jax.random.PRNGKey(0), config="exp", H=2, N=2, n_layers=1, d_in=1,
                                                  d_out=3, dt_min=1e-3, dt_max=0.1),
                                             {"config": "option", "H": "pint", "N": "pint", "n_layers": "pint",
                                              "d_in": "pint", "d_out": "pint", "dt_min": "pfloat", "dt_max": "pfloat"}),
    "experiments.stablessm_lr.kernel": (dict(lp=SP["layers"][0], L=4, kind=1, b=0.1), {"L": "pint", "b": "pfloat"}),
    "experiments.stablessm_lr.apply": (dict(params=SP, x=XS[:2], kind=1, b=0.1), {"x": "real", "b": "pfloat"}),
    "experiments.stablessm_lr.lr_sweep": (dict(x=XS, y=YS, x_test=XS, y_test=YS, configs=("exp",), lrs=np.array([1e-2]),
                                               seeds=(0,), steps=1, batch_size=2, H=2, N=2, n_layers=1, data_seed=0,
                                               test_chunk=4),
                                          {"x": "real", "x_test": "real", "lrs": "real", "steps": "pint",
                                           "batch_size": "pint", "H": "pint", "N": "pint", "n_layers": "pint",
                                           "data_seed": "nnint", "test_chunk": "pint"}),
}
EXEMPT = {}
ALLOWED = {
    ("theory.memory.rho_exponential", "t", "wrong rank"): "elementwise: any shape of times is valid",
    ("theory.memory.rho_polynomial", "t", "wrong rank"): "elementwise: any shape of times is valid",
    ("theory.memory.student_eigenvalues", "w", "wrong rank"): "elementwise: leading axes are batch axes",
    ("experiments.stablessm_lr.real_part", "w", "wrong rank"): "elementwise: any shape of raw weights is valid",
    ("experiments.diagonal_students.train_students", "rho", "wrong rank"): "a (G, T) stack of targets is valid",
    ("experiments.curse_of_memory.first_crossing", "values", "inf"): "E = inf is a blow-up, a valid value",
    ("experiments.curse_of_memory.log_ratio_ci", "num", "inf"): "a censored beta* is inf: documented, the CI end is NaN",
    ("experiments.curse_of_memory.log_ratio_ci", "den", "inf"): "a censored beta* is inf: documented, the CI end is NaN",
    ("experiments.diagonal_students.stability_threshold", "E", "inf"): "E = inf is a blow-up, a valid value",
}
EXTRA = [
    ("experiments.curse_of_memory.lti", "p", "not a parameter dict", {}),
    ("experiments.curse_of_memory.expected_loss", "p", "missing tensors", {"w": np.ones(2)}),
    ("experiments.curse_of_memory.perturb", "p", "no mask", {k: v for k, v in P2.items() if k != "mask"}),
    ("experiments.curse_of_memory.first_crossing", "values", "length mismatch", np.zeros(3)),
    ("experiments.curse_of_memory.train_groups", "groups", "unknown panel", [("lru", None, 1)]),
    ("experiments.curse_of_memory.train_groups", "seeds", "empty", []),
    ("experiments.curse_of_memory.train_protocols", "runs", "unknown protocol", [("direct", "bogus", 1)]),
    ("experiments.curse_of_memory.train_protocols", "sizes", "empty", []),
    ("experiments.curse_of_memory.figure1_study", "betas", "not starting at 0", np.array([0.1, 0.2])),
    ("experiments.curse_of_memory.figure1_study", "protocols", "unknown", ("bogus",)),
    ("experiments.curse_of_memory.log_ratio_ci", "num", "length mismatch", np.ones(2)),
    ("experiments.curse_of_memory.log_ratio_ci", "num", "NaN", np.array([1.0, np.nan, 2.0])),
    ("experiments.diagonal_students.train_students", "sizes", "empty", []),
    ("experiments.diagonal_students.train_students", "rate_range", "reversed", (1.0, 0.1)),
    ("experiments.diagonal_students.perturbation_curve", "students", "not a students dict", {}),
    ("experiments.diagonal_students.perturbation_curve", "rho", "other horizon", np.ones(5)),
    ("experiments.diagonal_students.perturbation_curve", "betas", "decreasing", np.array([0.1, 0.0])),
    ("experiments.diagonal_students.stability_threshold", "E", "length mismatch", np.zeros((1, 3))),
    ("experiments.diagonal_students.stability_margin", "students", "not a students dict", {"w": np.ones(2)}),
    ("experiments.stablessm_lr.kernel", "kind", "unknown kind", 7),
    ("experiments.stablessm_lr.kernel", "lp", "not a layer dict", {}),
    ("experiments.stablessm_lr.apply", "x", "wrong d_in", np.ones((2, 4, 3))),
    ("experiments.stablessm_lr.init_params", "N", "odd", 3),
    ("experiments.stablessm_lr.init_params", "dt_max", "below dt_min", 1e-4),
    ("experiments.stablessm_lr.lr_sweep", "configs", "empty", ()),
    ("experiments.stablessm_lr.lr_sweep", "seeds", "empty", ()),
    ("experiments.stablessm_lr.lr_sweep", "lrs", "negative", np.array([-1.0])),
    ("experiments.stablessm_lr.lr_sweep", "y", "float labels", YS.astype(float)),
    ("experiments.stablessm_lr.lr_sweep", "weight_decay", "negative", -0.1),
    ("experiments.stablessm_lr.lr_sweep", "batch_size", "above n", 100),
]

(test_every_public_function_is_covered, test_valid_call_succeeds,
 test_bad_argument_is_refused_by_name, test_bad_value_is_refused) = make_bad_input_tests(
    MODULES, VALID, EXEMPT, ALLOWED, EXTRA,
    valid_run_by={"experiments.curse_of_memory.figure1_study": "notebooks/03_stable_reparameterization (quick, under nbval)"})
