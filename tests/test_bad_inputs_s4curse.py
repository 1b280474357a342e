"""Bad-input suite (issue 13) for experiments.s4_curse (the authors' S4 Figure-1 model).
Machinery: tests/_bad_inputs.py (owned by "reliability")."""

from __future__ import annotations

import jax
import numpy as np
from _bad_inputs import make_bad_input_tests

from ssmtheory.experiments import s4_curse as s4

jax.config.update("jax_enable_x64", True)

MODULES = ("experiments.s4_curse",)

T = 4
P1 = s4.init_params(0, 1, N=2, T=T)  # one channel, d_state 2
P1S = s4._stack([P1])  # a stack of one model
_rng = np.random.default_rng(0)
X4, Y4 = _rng.normal(size=(4, T)), _rng.normal(size=(4, T))
RHO4 = 0.9 ** np.arange(float(T))
B2 = np.array([0.0, 0.1])

VALID = {
    "experiments.s4_curse.hippo_legs": (dict(N=2), {"N": "pint"}),
    "experiments.s4_curse.init_params": (dict(seed=0, m=1, m_max=2, N=2, T=T),
                                         {"seed": "nnint", "m": "pint", "m_max": "pint", "N": "pint", "T": "pint"}),
    "experiments.s4_curse.kernel": (dict(p=P1, L=T), {"L": "pint"}),
    "experiments.s4_curse.forward": (dict(p=P1, x=X4), {"x": "real"}),
    "experiments.s4_curse.loss": (dict(p=P1, x=X4, y=Y4), {"x": "real", "y": "real"}),
    "experiments.s4_curse.simulate": (dict(p=P1, x=X4), {"x": "real"}),
    "experiments.s4_curse.train_sizes": (dict(sizes=[1], seeds=[0], data=(X4, Y4), val=(X4, Y4), epoch_steps=1,
                                              batch_size=2, max_epochs=1, budget_epochs=1, min_epochs=1, lr=1e-2,
                                              clip=0.5, patience=1, factor=0.1, m_max=1, N=2, seed_offset=0),
                                         {"epoch_steps": "pint", "batch_size": "pint", "max_epochs": "pint",
                                          "budget_epochs": "pint", "min_epochs": "pint", "lr": "pfloat",
                                          "clip": "pfloat", "patience": "nnint", "factor": "pfloat", "m_max": "pint",
                                          "N": "pint", "seed_offset": "nnint"}),
    "experiments.s4_curse.perturbation_curve": (dict(params=P1S, betas=B2, X=X4, Y=Y4, n_repeats=1, seed=0),
                                                {"betas": "real", "X": "real", "Y": "real", "n_repeats": "pint",
                                                 "seed": "nnint"}),
    "experiments.s4_curse.s4_study": (dict(rho=RHO4, sizes=[1], seeds=[0], betas=B2, n_repeats=1, batch_size=2,
                                           epoch_steps=1, n_val=2, n_eval=2, data_seed=0, perturb_seed=0, level=1e3,
                                           max_epochs=1, budget_epochs=1, min_epochs=1, N=2),
                                      {"rho": "real", "betas": "real", "n_repeats": "pint", "batch_size": "pint",
                                       "epoch_steps": "pint", "n_val": "pint", "n_eval": "pint", "data_seed": "nnint",
                                       "perturb_seed": "nnint", "level": "pfloat"}),
}
EXEMPT = {}
ALLOWED = {}
EXTRA = [
    ("experiments.s4_curse.hippo_legs", "N", "odd", 3),
    ("experiments.s4_curse.init_params", "N", "odd", 3),
    ("experiments.s4_curse.kernel", "p", "not a parameter dict", {}),
    ("experiments.s4_curse.loss", "y", "shape mismatch", np.ones((3, T))),
    ("experiments.s4_curse.train_sizes", "sizes", "empty", []),
    ("experiments.s4_curse.train_sizes", "seeds", "empty", []),
    ("experiments.s4_curse.train_sizes", "batch_size", "above n", 100),
    ("experiments.s4_curse.perturbation_curve", "betas", "decreasing", np.array([0.1, 0.0])),
    ("experiments.s4_curse.perturbation_curve", "Y", "shape mismatch", np.ones((3, T))),
    ("experiments.s4_curse.perturbation_curve", "params", "not a parameter dict", {"w": np.ones(2)}),
    ("experiments.s4_curse.s4_study", "betas", "negative", np.array([-0.1, 0.1])),
]

(test_every_public_function_is_covered, test_valid_call_succeeds,
 test_bad_argument_is_refused_by_name, test_bad_value_is_refused) = make_bad_input_tests(
    MODULES, VALID, EXEMPT, ALLOWED, EXTRA,
    valid_run_by={"experiments.s4_curse.s4_study": "notebooks/03_stable_reparameterization (quick, under nbval)"})
