"""Bad-input suite (issue 13) for the modules of helper "engine": the training engine's new public functions
(``train``), ``theory.measure``, ``experiments.siso`` and ``experiments.rademacher`` (machinery:
``tests/_bad_inputs.py``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from _bad_inputs import make_bad_input_tests

from ssmtheory import models, processes, train
from ssmtheory.experiments import siso

MODULES = ("train", "theory.measure", "experiments.siso", "experiments.rademacher")

_R = np.random.default_rng(0)
_K8 = _R.normal(size=8)
_X48 = _R.normal(size=(4, 8))
_CFG = models.DeepSSMConfig(d_input=1, d_model=2, d_output=2, n_layers=1, d_state=2, block="s4d", method="scan")
_P = models.init_params(jax.random.PRNGKey(0), _CFG)
_XD = _R.normal(size=(3, 8, 1))
_SIP = siso.init_params(2, 0.1, seed=0)
_TASK = siso.teacher_task(processes.brownian(1.0), 8, 0.1)
_DATA = siso.draw(_TASK, 6, 0, n_val=4)
_POP = {"w": jnp.zeros((2, 3))}
_XP, _YP = _R.normal(size=(6, 3)), _R.normal(size=6)


def _pop_loss(p, xb, yb):
    return jnp.mean((xb @ p["w"] - yb) ** 2)


VALID = {
    # train (the old entries fit/mse/cross_entropy/accuracy/make_loss/evaluate stay in tests/test_bad_inputs.py)
    "train.fit_population": (dict(loss_fn=_pop_loss, params=_POP, data=(_XP, _YP), steps=2, batch_size=2,
                                  sampling="epoch", seed=0, start_step=0),
                             {"steps": "pint", "batch_size": "pint", "sampling": "option", "seed": "nnint",
                              "start_step": "nnint"}),
    "train.build_optimizer": (dict(spec=train.OptimizerSpec("adamw", weight_decay=0.1)), {}),
    "train.ssm_mask": (dict(params={"w": np.ones(2), "C": np.ones(2)}), {}),
    "train.get_loss": (dict(kind="mse"), {"kind": "option"}),
    # theory.measure
    "theory.measure.input_stats": (dict(x=_X48), {"x": "real"}),
    "theory.measure.output_at_T": (dict(k=_K8, x=_X48), {"k": "real", "x": "real"}),
    "theory.measure.tau_parts": (dict(k=_K8, mu=np.zeros(8), sigma=np.ones(8)), {"k": "real", "mu": "real", "sigma": "real"}),
    "theory.measure.tau": (dict(k=_K8, mu=np.zeros(8), sigma=np.ones(8)), {"k": "real", "mu": "real", "sigma": "real"}),
    "theory.measure.second_moment": (dict(k=_K8, mu=np.zeros(8), cov=np.eye(8)), {"k": "real", "mu": "real", "cov": "real"}),
    "theory.measure.psi": (dict(kernels=np.stack([_K8, -_K8]), mu=np.zeros(8), sigma=np.ones(8)),
                           {"kernels": "real", "mu": "real", "sigma": "real"}),
    "theory.measure.bound": (dict(psi_value=1.0, n=100, T=8, delta=0.05, const=1.0),
                             {"psi_value": "nnfloat", "n": "pfloat", "T": "pfloat", "delta": "pfloat", "const": "pfloat"}),
    "theory.measure.layer_kernels": (dict(params=_P, cfg=_CFG, L=8), {"L": "pint"}),
    "theory.measure.layer_input_stats": (dict(params=_P, cfg=_CFG, x=_XD), {"x": "real"}),
    "theory.measure.tau_layers": (dict(params=_P, cfg=_CFG, stats=[(np.zeros((8, 2)), np.ones((8, 2)))]), {}),
    "theory.measure.tau_regularizer": (dict(params=_P, cfg=_CFG, x=_XD), {"x": "real"}),
    "theory.measure.scale_rule": (dict(params=_P, cfg=_CFG, x=_XD, eps=1e-30), {"x": "real", "eps": "pfloat"}),
    # experiments.siso
    "experiments.siso.init_params": (dict(N=2, dt=0.1, seed=0), {"N": "pint", "dt": "pfloat", "seed": "nnint"}),
    "experiments.siso.kernel": (dict(p=_SIP, L=8), {"L": "pint"}),
    "experiments.siso.compress": (dict(X=_R.normal(size=(10, 4)), y=_R.normal(size=10)), {"X": "real", "y": "real"}),
    "experiments.siso.scale_to_unit_tau": (dict(p=_SIP, X=_X48), {"X": "real"}),
    "experiments.siso.exact_risk": (dict(k=_K8, k_star=_K8 * 0.5, mean=np.zeros(8), cov=np.eye(8), noise_std=0.5),
                                    {"k": "real", "k_star": "real", "mean": "real", "cov": "real", "noise_std": "nnfloat"}),
    "experiments.siso.teacher_task": (dict(process=processes.brownian(1.0), L=8, dt=0.1, noise_std=0.5, decay=2.0, freq=3.0),
                                      {"L": "pint", "dt": "pfloat", "noise_std": "pfloat", "decay": "float", "freq": "float"}),
    "experiments.siso.draw": (dict(task=_TASK, n=6, seed=0, n_val=4), {"n": "pint", "seed": "nnint", "n_val": "pint"}),
    "experiments.siso.train_groups": (dict(groups=[(_TASK, [siso.Member(_DATA, _SIP)])], steps=2, lr=1e-2, project_every=1),
                                      {"steps": "pint", "lr": "pfloat", "project_every": "pint"}),
    "experiments.siso.train_population": (dict(task=_TASK, members=[siso.Member(_DATA, _SIP)], steps=2, lr=1e-2),
                                          {"steps": "pint", "lr": "pfloat"}),
    # experiments.rademacher
    "experiments.rademacher.energy_inputs": (dict(N=4, T=8, K=1.0, dc=1.0, seed=0),
                                             {"N": "pint", "T": "pint", "K": "pfloat", "seed": "nnint"}),
    "experiments.rademacher.per_step_inputs": (dict(N=4, T=8, K_u=1.0, seed=0), {"N": "pint", "T": "pint", "K_u": "pfloat",
                                                                                 "seed": "nnint"}),
    "experiments.rademacher.h2_ball_rademacher_exact": (dict(U=_X48, H=1.0, max_n=8), {"U": "real", "H": "pfloat", "max_n": "pint"}),
    "experiments.rademacher.h2_ball_rademacher_mc": (dict(U=_X48, H=1.0, n_sigma=10, seed=0),
                                                     {"U": "real", "H": "pfloat", "n_sigma": "pint", "seed": "nnint"}),
    "experiments.rademacher.deep_class_chain_bound": (dict(gamma=0.9, beta=1.0, K=1.0, N=4, lipschitz=1.0, w_max=1.0),
                                                      {"beta": "pfloat", "K": "pfloat", "N": "pint", "lipschitz": "pfloat",
                                                       "w_max": "pfloat"}),
    "experiments.rademacher.deep_class_ascent": (dict(U=_X48, sigmas=np.array([[1.0, -1, 1, -1]]), gammas=[0.9], beta=1.0,
                                                      n_modes=2, n_starts=2, steps=2, lr=0.05, nonlinearity="tanh", seed=0),
                                                 {"U": "real", "beta": "pfloat", "n_modes": "pint", "n_starts": "pint",
                                                  "steps": "pint", "lr": "pfloat", "nonlinearity": "option", "seed": "nnint"}),
    "experiments.rademacher.seed_mean_log_slope": (dict(x=np.array([1.0, 2, 4, 1, 2, 4]), y=np.array([1.0, 1.4, 2, 1.1, 1.5, 2.1]),
                                                        seeds=np.array([0, 0, 0, 1, 1, 1]), n_boot=20, seed=0),
                                                   {"x": "real", "y": "real", "n_boot": "pint", "seed": "nnint"}),
    "experiments.rademacher.stability_length_study": (dict(Ts=[8], r_maxes=[0.9], seeds=[0], N=4, n_modes=2, steps=2, lr=0.02,
                                                           noise=0.5, n_test=10),
                                                      {"N": "pint", "n_modes": "pint", "steps": "pint", "lr": "pfloat",
                                                       "noise": "nnfloat", "n_test": "pint"}),
}

EXEMPT = {
    "train.trace_count": "takes no arguments",
    "experiments.siso.loss": "a member loss evaluated inside the engine's jitted loop (traced arguments); its data are "
                             "validated by train_population / train.fit_population",
    "experiments.siso.rescale": "the engine's projection hook, called on traced arguments inside the loop",
}

ALLOWED = {
    ("theory.measure.input_stats", "x", "wrong rank"): "x (..., L) takes any number of batch axes",
}
EXTRA = [
    ("train.fit_population", "data", "X/Y length mismatch", (_XP, _YP[:-1])),
    ("train.fit_population", "lr", "negative lr", -1.0),
    ("train.fit_population", "aux", "aux without member axis", {"lam": jnp.zeros(3)}),
    ("train.fit_population", "opt_index", "opt_index without a tuple of optimizers", np.zeros(2, int)),
    ("train.fit_population", "frozen", "frozen of the wrong length", np.zeros(3, bool)),
    ("train.fit_population", "frozen", "frozen not boolean", np.zeros(2)),
    ("train.fit_population", "opt_state", "opt_state of another optimizer", ()),
    ("train.fit_population", "opt", "empty tuple of optimizers", ()),
    ("train.fit_population", "batches", "batch table of the wrong length", np.zeros((3, 2), int)),
    ("train.fit_population", "batches", "batch index out of range", np.full((2, 2), 99)),
    ("theory.measure.tau", "sigma", "negative sigma", -np.ones(8)),
    ("experiments.siso.compress", "y", "length mismatch", np.ones(9)),
]

(test_every_public_function_is_covered, test_valid_call_succeeds,
 test_bad_argument_is_refused_by_name, test_bad_value_is_refused) = make_bad_input_tests(
    MODULES, VALID, EXEMPT, ALLOWED, EXTRA, extra_names=("X", "examples"))
