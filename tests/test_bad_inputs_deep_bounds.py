"""Bad-input suite (issue 13) for notebook 01's and 02's drivers: ``experiments.deep_bounds`` (the Rácz bounds on a deep
model, moved out of ``theory.bounds``), ``experiments.data_dependent`` (``make_regularized_loss``, moved out of
``theory.measure``, and notebook 02's studies), and the notebook-01/02 drivers added to ``experiments.rademacher`` and
``experiments.siso`` (machinery: ``tests/_bad_inputs.py``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from _bad_inputs import make_bad_input_tests

from ssmtheory import models, processes
from ssmtheory.experiments import deep_bounds as db
from ssmtheory.experiments import siso

MODULES = ("experiments.deep_bounds", "experiments.data_dependent")

_R = np.random.default_rng(0)
_LRU = db.lru_config(n_layers=2, d_model=2, d_state=2)
_LP = models.init_params(jax.random.PRNGKey(0), _LRU)
_SYS = models.layer_systems(_LP, _LRU)[0]
_REPS = [db.bound_for_model(_LP, _LRU, N=10, T=T) for T in (4, 8)]
_S4 = models.DeepSSMConfig(d_input=1, d_model=2, d_output=2, n_layers=1, d_state=2, block="s4d", method="scan")
_S4P = models.init_params(jax.random.PRNGKey(0), _S4)
_XD = _R.normal(size=(3, 8, 1))
_PROCS = [processes.white_noise(1.0), processes.brownian(1.0)]
_K8 = np.stack([_R.normal(size=8), _R.normal(size=8)])
_TASK = siso.teacher_task(processes.brownian(1.0), 8, 0.1)
_MEM = [m for s in (0, 1) for m in siso.design_members(_TASK, s, {"none": [0.0], "none2": [0.0], "tau": [0.01], "every": [0.01]},
                                                         N=2, n=6)]
_RES = {"test": np.array([0.5, 0.6, 0.4, 0.45, 0.55, 0.5, 0.42, 0.4]), "train": np.full(8, 0.3),
        "val": np.array([0.5, 0.6, 0.4, 0.45, 0.55, 0.5, 0.42, 0.4]), "tau": np.array([1.0, 1.0, 0.8, 0.9, 1.0, 1.1, 0.7, 0.8])}
_STUDY = [dict(T=T, r_max=0.9, seed=s, train=0.1, test=0.1 + 0.01 * (s + 1) * T / 8, gap=0.01 * (s + 1) * T / 8, bound=2.0,
               bound_inf=2.0) for T in (8, 16) for s in (0, 1)]
_ACC = {"test": _R.uniform(size=(3, 5)), "train": _R.uniform(size=(3, 5))}


class _Digits:  # the fields deep_variant_accuracy reads, tiny
    x_train, y_train = _R.normal(size=(4, 8, 1)), np.array([0, 1, 0, 1])
    x_test, y_test = _R.normal(size=(2, 8, 1)), np.array([1, 0])


VALID = {
    # experiments.deep_bounds
    "experiments.deep_bounds.block_standard": (dict(system=_SYS), {}),
    "experiments.deep_bounds.check_architecture": (dict(cfg=_LRU), {}),
    "experiments.deep_bounds.bound_for_model": (dict(params=_LP, cfg=_LRU, N=10, delta=0.05, K_u=1.0, c_loss=1.0, T=8, l1="exact"),
                                                {"N": "pint", "delta": "pfloat", "K_u": "pfloat", "c_loss": "pfloat", "T": "pint",
                                                 "l1": "option"}),
    "experiments.deep_bounds.paper_form_bound": (dict(params=_LP, cfg=_LRU, N=10, delta=0.05, K=1.0, c_loss=1.0, T=8),
                                                 {"N": "pint", "delta": "pfloat", "K": "pfloat", "c_loss": "pfloat", "T": "pint"}),
    "experiments.deep_bounds.lru_config": (dict(n_layers=1, d_model=2, d_state=2, r_max=0.9),
                                           {"n_layers": "pint", "d_model": "pint", "d_state": "pint", "r_max": "pfloat"}),
    "experiments.deep_bounds.with_radius": (dict(params=_LP, r=0.9), {"r": "pfloat"}),
    "experiments.deep_bounds.length_sweep": (dict(Ts=[4, 8], radii=[0.9], seed=0, N=10, delta=0.05, K_u=1.0, K_E=1.0, c_loss=1.0),
                                             {"seed": "nnint", "N": "pint", "delta": "pfloat", "K_u": "pfloat", "K_E": "pfloat",
                                              "c_loss": "pfloat"}),
    "experiments.deep_bounds.length_comparators": (dict(params=_LP, cfg=_LRU, reps=_REPS, Ts=[4, 8], seed=0, N=10, power_norm=1.05),
                                                   {"seed": "nnint", "N": "pint", "power_norm": "pfloat"}),
    "experiments.deep_bounds.margin_sweep": (dict(params=_LP, cfg=_LRU, radii=[0.5, 0.9], T_max=8, N=10, delta=0.05, K_u=1.0),
                                             {"T_max": "pint", "N": "pint", "delta": "pfloat", "K_u": "pfloat"}),
    "experiments.deep_bounds.unit_radius_horizon": (dict(params=_LP, cfg=_LRU, Ts=[4, 8], N=10, delta=0.05, c_loss=1.0),
                                                    {"N": "pint", "delta": "pfloat", "c_loss": "pfloat"}),
    "experiments.deep_bounds.scaled_model": (dict(n_layers=1, c_target=0.9, residual=False, seed=0),
                                             {"n_layers": "pint", "c_target": "pfloat", "seed": "nnint"}),
    "experiments.deep_bounds.depth_sweep": (dict(depths=[1, 2], settings=[("a", 0.9, False)], seed=0, N=10, delta=0.05),
                                            {"seed": "nnint", "N": "pint", "delta": "pfloat"}),
    # experiments.rademacher (notebook 01's drivers)
    "experiments.rademacher.mc_rademacher_envelope_class": (dict(U=_R.normal(size=(4, 3)), eta=np.array([1.0, 0.5, 0.25]),
                                                                 w_bound=1.0, n_sigma=8, seed=0, readout="last"),
                                                            {"U": "real", "eta": "real", "w_bound": "pfloat", "n_sigma": "pint",
                                                             "seed": "nnint", "readout": "option"}),
    "experiments.rademacher.one_block_study": (dict(Ts=[4, 8], N=4, K=1.0, K_u=1.0, n_sigma=8, seed=0),
                                               {"N": "pint", "K": "pfloat", "K_u": "pfloat", "n_sigma": "pint", "seed": "nnint"}),
    "experiments.rademacher.deep_mc_study": (dict(Ns=[4], Ts=[8], gamma=0.9, beta=1.0, K=1.0, n_sigma=1, n_starts=1, steps=2,
                                                  seed=0),
                                             {"n_sigma": "pint", "seed": "nnint"}),
    "experiments.rademacher.stability_slopes": (dict(study=_STUDY, r_maxes=[0.9], N=4, seed=0), {"N": "pint", "seed": "nnint"}),
    # experiments.siso (notebook 02, sections 4-5)
    "experiments.siso.design_members": (dict(task=_TASK, s=0, designs={"tau": [0.01]}, seed=0, N=2, n=6),
                                        {"s": "nnint", "seed": "nnint", "N": "pint", "n": "pint"}),
    "experiments.siso.tuned": (dict(members=_MEM, res=_RES, kind="tau", seeds=[0, 1]), {}),
    "experiments.siso.within_lambda": (dict(members=_MEM, res=_RES, lams=[0.01]), {}),
    "experiments.siso.algorithm1_comparison": (dict(members=_MEM, res=_RES), {}),
    # experiments.data_dependent
    "experiments.data_dependent.make_regularized_loss": (dict(cfg=_S4, kind="ce", lam=0.1), {"kind": "option", "lam": "float"}),
    "experiments.data_dependent.uniform_gap_study": (dict(holder=[processes.brownian_on(1.0, 1.0)], N=2, T=1.0, r=0.5, ns=[8, 16],
                                                          reps=2, L=8, L_fine=16, n_fine=8, seed=0),
                                                     {"T": "pfloat", "seed": "nnint"}),
    "experiments.data_dependent.siso_kernel": (dict(lam=np.array([-0.5 + 1j, -1.0 + 2j]), C=np.ones((1, 2), complex), dt=0.1, L=8),
                                               {"lam": "array", "dt": "pfloat", "L": "pint"}),
    "experiments.data_dependent.random_s4d_kernel": (dict(rng=np.random.default_rng(0), L=8, N=2), {"L": "pint", "N": "pint"}),
    "experiments.data_dependent.second_moment_check": (dict(procs=_PROCS, kernels=_K8, n_mc=16, L=8, rng=np.random.default_rng(0)),
                                                       {"kernels": "real", "n_mc": "pint", "L": "pint"}),
    "experiments.data_dependent.same_marginals_check": (dict(pair=_PROCS, dts=[0.1], L=8, rng=np.random.default_rng(0), N=2),
                                                        {"L": "pint", "N": "pint"}),
    "experiments.data_dependent.scaling_rule_rms": (dict(patterns=_PROCS, lam=np.array([-0.5 + 1j, -1.0 + 2j]),
                                                         C=np.ones((1, 2), complex), dts=[0.1], L=8, rng=np.random.default_rng(0),
                                                         n_stat=8),
                                                    {"lam": "array", "L": "pint", "n_stat": "pint"}),
    "experiments.data_dependent.log_spread_ratio": (dict(after=np.array([[1.0, 2.0]]), before=np.array([[1.0, 4.0]])),
                                                    {"after": "real", "before": "real"}),
    "experiments.data_dependent.scale_invariance_error": (dict(k=_K8[0], x=_R.normal(size=(6, 8))), {"k": "real", "x": "real"}),
    "experiments.data_dependent.deep_scale_deviation": (dict(params=_S4P, cfg=_S4, x=_XD), {"x": "real"}),
    "experiments.data_dependent.deep_variant_members": (dict(cfg=_S4, x_stat=_XD, n_seeds=1, seed=0, lam=1e-3),
                                                        {"n_seeds": "pint", "seed": "nnint"}),
    "experiments.data_dependent.deep_variant_accuracy": (
        dict(cfg=_S4, members=jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[_S4P] * 5), lam=jnp.zeros(5), data=_Digits,
             steps=1, seed=0, batch_size=2),
        {"steps": "pint", "seed": "nnint"}),
    "experiments.data_dependent.paired_table": (dict(acc=_ACC, table={"c": (("test", "both", "baseline"),
                                                                            ("test", "placebo", "baseline"))}), {}),
}

EXEMPT = {
    "experiments.deep_bounds.BoundReport": "a dataclass record of results, not fuzzed",
    "experiments.data_dependent.DEEP_VARIANTS": "a constant tuple of names",
    "experiments.data_dependent.uniform_gap_statistics": "reads the dicts returned by uniform_gap_study (a pipeline step); "
                                                         "its arrays are validated by theory.uniform_gap's statistics",
}

ALLOWED = {}

EXTRA = [
    ("experiments.deep_bounds.with_radius", "r", "above 1", 1.5),
    ("experiments.deep_bounds.length_sweep", "radii", "radius 1", [1.0]),
    ("experiments.deep_bounds.length_comparators", "reps", "one per T", _REPS[:1]),
    ("experiments.rademacher.stability_slopes", "r_maxes", "not in the study", [0.5]),
    ("experiments.siso.tuned", "kind", "no member", "wd"),
    ("experiments.data_dependent.log_spread_ratio", "after", "shape mismatch", np.array([[1.0, 2.0, 3.0]])),
    ("experiments.data_dependent.paired_table", "table", "unknown variant", {"c": (("test", "zz", "baseline"),
                                                                                  ("test", "placebo", "baseline"))}),
]

(test_every_public_function_is_covered, test_valid_call_succeeds,
 test_bad_argument_is_refused_by_name, test_bad_value_is_refused) = make_bad_input_tests(
    MODULES, VALID, EXEMPT, ALLOWED, EXTRA,
    valid_run_by={"experiments.data_dependent.deep_variant_accuracy": "notebooks/02_data_dependent_bounds (quick, under nbval)"})
