"""Bad-input suite (issue 13) for notebook 04's modules: theory.expressivity, experiments.complex_real and
experiments.mamba.  One argument changed at a time from a valid call; the machinery is tests/_bad_inputs.py."""

from __future__ import annotations

import jax
import numpy as np
from _bad_inputs import make_bad_input_tests

from ssmtheory import tasks
from ssmtheory.experiments import mamba as mb

MODULES = ("theory.expressivity", "experiments.complex_real", "experiments.mamba")

A3, B3, C3 = np.array([0.5, -0.3, 0.9]), np.array([1.0, 2.0, -1.0]), np.array([0.5, 0.1, 1.0])
PHI = np.array([1.0, 0.0, -1.0, 0.0, 1.0, 0.0])
GRID = np.linspace(-1, 1, 7)
_CFG = mb.MambaConfig(vocab=5, d_model=4, n_layers=1, d_state=2, kind="real")
_P = mb.init_params(jax.random.PRNGKey(0), _CFG)
_TOK = np.array([1, 2, 3, 0, 4, 1], np.int32)
_SPLIT = tasks.sequential_digits(seed=0, n_train=100)
_SPLIT = type(_SPLIT)(_SPLIT.x_train[:, :8], _SPLIT.y_train, _SPLIT.x_test[:40, :8], _SPLIT.y_test[:40], 10)
_TAB = dict(table1={(nm, o): 0.5 for nm in ("delay", "random", "oscillation") for o in ("adam", "adamw", "radam")},
            table2={(nm, 4): (0.1, 0.2) for nm in ("delay", "random", "oscillation")})
_T3 = dict(cell={(k, c): np.array([0.5, 0.6, 0.7]) + 0.1 * c[0] + 0.05 * (k == "real") for k in mb.KINDS
                 for c in ((1, 1, 1), (0, 0, 1))}, combos=[(1, 1, 1), (0, 0, 1)],
           copy={(k, lag): np.array([0.1, 0.4, 0.3]) for k in mb.KINDS for lag in (8, 2)})

VALID = {
    "theory.expressivity.impulse_real": (dict(a=A3, b=B3, c=C3, t=5), {"a": "real", "b": "real", "c": "real", "t": "pint"}),
    "theory.expressivity.impulse_complex": (dict(a=A3 * 1j, b=B3, c=C3, t=5),
                                            {"a": "array", "b": "array", "c": "array", "t": "pint"}),
    "theory.expressivity.recurrence_impulse": (dict(a=A3, b=B3, c=C3, t=5),
                                               {"a": "array", "b": "array", "c": "array", "t": "pint"}),
    "theory.expressivity.target": (dict(name="delay", t=8, seed=0, normalize="l2"),
                                   {"name": "option", "t": "pint", "seed": "nnint", "normalize": "option"}),
    "theory.expressivity.targets": (dict(t=8, seed=0, normalize="max"), {"t": "pint", "seed": "nnint", "normalize": "option"}),
    "theory.expressivity.forward_differences": (dict(g=PHI), {"g": "real"}),
    "theory.expressivity.forward_difference_bound": (dict(phi=PHI, eps=0.1), {"phi": "real", "eps": "nnfloat"}),
    "theory.expressivity.dft_complex_ssm": (dict(phi=PHI), {"phi": "real"}),
    "theory.expressivity.pole_grid": (dict(num=5, radius=1.0), {"num": "pint", "radius": "pfloat"}),
    "theory.expressivity.vandermonde": (dict(poles=GRID, t=4), {"poles": "real", "t": "pint"}),
    "theory.expressivity.min_l1_real_fit": (dict(phi=PHI, eps=0.1, poles=GRID),
                                            {"phi": "real", "eps": "nnfloat", "poles": "real"}),
    "theory.expressivity.best_linf_real_fit": (dict(phi=PHI, n=2, poles=GRID, iters=5, refine=2, max_subsets=100),
                                               {"phi": "real", "n": "pint", "poles": "real", "iters": "nnint",
                                                "refine": "pint", "max_subsets": "pint"}),
    "theory.expressivity.linf_normalized": (dict(phi=PHI * 0.5, phi_star=PHI), {"phi": "real", "phi_star": "real"}),
    "experiments.complex_real.init_ssm_params": (dict(key=jax.random.PRNGKey(0), n=3, kind="real", r_min=0.0,
                                                      r_max=0.9, scale=1e-3),
                                                 {"n": "pint", "kind": "option", "r_min": "float", "r_max": "float",
                                                  "scale": "pfloat"}),
    "experiments.complex_real.ssm_impulse_from_params": (
        dict(params=dict(nu=np.zeros(2), b=np.ones(2), c=np.ones(2)), sign=np.ones(2), t=4), {"t": "pint"}),
    "experiments.complex_real.train_ssm": (dict(phis=np.stack([PHI, PHI]).astype(np.float32), n=2, kind="real",
                                                steps=2, lrs=1e-2, seeds=[0, 1], r_mins=0.0, record_every=1,
                                                optimizer="adam"),
                                           {"phis": "real", "n": "pint", "kind": "option", "steps": "pint",
                                            "lrs": "real", "seeds": "real", "r_mins": "real", "record_every": "pint",
                                            "optimizer": "option"}),
    "experiments.complex_real.t2_margin_monte_carlo": (dict(n_draws=3, seed=0, poles="real"),
                                                       {"n_draws": "pint", "seed": "nnint", "poles": "option"}),
    "experiments.complex_real.s4d_real_vs_complex": (dict(split=_SPLIT, seeds=[0], d_model=2, n_layers=1, n_complex=1,
                                                          steps=1, batch_size=20, lr=1e-2, weight_decay=0.0,
                                                          shuffle_seed=0),
                                                     {"seeds": "real", "d_model": "pint", "n_layers": "pint",
                                                      "n_complex": "pint", "steps": "pint", "batch_size": "pint",
                                                      "lr": "pfloat", "weight_decay": "nnfloat",
                                                      "shuffle_seed": "nnint"}),
    "experiments.complex_real.dimension_study": (dict(ts=[3, 4], grid_size=5, t_long=10),
                                                 {"grid_size": "pint", "t_long": "pint"}),
    "experiments.complex_real.parameter_size_study": (dict(ts=[4, 6], grid_size=21, eps=0.1, seed=0),
                                                      {"grid_size": "pint", "eps": "nnfloat", "seed": "nnint"}),
    "experiments.complex_real.tables_1_2": (dict(t1_n=2, t1_lrs=[1e-2], t1_steps=2, t2_t=[3], t2_steps=2, seeds=[0],
                                                 t=3, target_seed=0, record_every=1),
                                            {"t1_n": "pint", "t1_lrs": "real", "t1_steps": "pint", "t2_steps": "pint",
                                             "t": "pint", "target_seed": "nnint", "record_every": "pint"}),
    "experiments.complex_real.format_tables_1_2": (dict(tab=_TAB), {}),
    "experiments.mamba.init_params": (dict(key=jax.random.PRNGKey(0), cfg=_CFG), {}),
    "experiments.mamba.apply": (dict(params=_P, tokens=_TOK, cfg=_CFG, gates=(1.0, 0.0, 1.0)), {}),
    "experiments.mamba.reference_forward": (dict(params=_P, tokens=_TOK, cfg=_CFG, gates=(1, 1, 0)), {}),
    "experiments.mamba.induction_head_task": (dict(key=jax.random.PRNGKey(0), batch=2, context=6, recall=2, vocab=5),
                                              {"batch": "pint", "context": "pint", "recall": "pint", "vocab": "pint"}),
    "experiments.mamba.copy_task": (dict(key=jax.random.PRNGKey(0), batch=2, length=6, lag=2, vocab=5),
                                    {"batch": "pint", "length": "pint", "lag": "pint", "vocab": "pint"}),
    "experiments.mamba.train_selective": (dict(cfg=_CFG, seeds=[0], gates=[[1, 1, 1]], steps=2, length=6, recall=2,
                                               batch=2, lr=1e-2, n_test=4, record_every=1),
                                          {"steps": "pint", "length": "pint", "recall": "pint", "batch": "pint",
                                           "lr": "pfloat", "n_test": "pint", "record_every": "pint"}),
    "experiments.mamba.loop_agreement": (dict(seed=0, gate_combos=((1, 0, 1),)), {"seed": "nnint"}),
    "experiments.mamba.table3_study": (dict(combos=[(1, 1, 1)], seeds=[0], copy_seeds=[0], steps=10, d_model=2,
                                            context=4, recall=1, batch=2, lr=1e-2, copy_lag=2, copy_ctrl_lag=1,
                                            n_test=2),
                                       {"steps": "pint", "d_model": "pint", "context": "pint", "recall": "pint",
                                        "batch": "pint", "lr": "pfloat", "copy_lag": "pint", "copy_ctrl_lag": "pint",
                                        "n_test": "pint"}),
    "experiments.mamba.table3_statistics": (dict(study=_T3, copy_lag=8, copy_ctrl_lag=2, learned=0.3, level=0.95),
                                            {"copy_lag": "pint", "copy_ctrl_lag": "pint", "learned": "float",
                                             "level": "float"}),
    "experiments.mamba.format_table3": (dict(study=_T3), {}),
}

EXEMPT = {}

ALLOWED = {
    ("theory.expressivity.min_l1_real_fit", "poles", "None"): "poles=None means the default grid pole_grid() (documented)",
    ("theory.expressivity.linf_normalized", "phi", "wrong rank"): "the metric is batched over leading axes; a "
    "trailing axis of 1 is refused as a length mismatch (tested by EXTRA)",
    ("theory.expressivity.linf_normalized", "phi_star", "wrong rank"): "as phi",
    ("experiments.complex_real.train_ssm", "phis", "wrong rank"): "covered: phis[..., None] is 3-D, refused by rank",
    ("experiments.complex_real.s4d_real_vs_complex", "seeds", "wrong rank"): "seeds is flattened (a list of seeds)",
    ("experiments.complex_real.train_ssm", "seeds", "wrong rank"): "seeds (R,) as a column is refused by rank",
}

EXTRA = [
    ("theory.expressivity.impulse_real", "b", "shape mismatch", np.ones(2)),
    ("theory.expressivity.linf_normalized", "phi_star", "zero map", np.zeros(6)),
    ("theory.expressivity.best_linf_real_fit", "n", "more modes than poles", 9),
    ("experiments.complex_real.train_ssm", "lrs", "negative", -1e-2),
    ("experiments.complex_real.train_ssm", "seeds", "negative", [-1, 0]),
    ("experiments.complex_real.train_ssm", "optimizer", "one per run, wrong count", ["adam"] * 3),
    ("experiments.complex_real.train_ssm", "record_every", "does not divide steps", 4),
    ("experiments.complex_real.init_ssm_params", "r_max", "above 1", 1.5),
    ("experiments.complex_real.ssm_impulse_from_params", "params", "not a dict", [1.0]),
    ("experiments.complex_real.s4d_real_vs_complex", "split", "not a Split", (1, 2)),
    ("experiments.complex_real.s4d_real_vs_complex", "batch_size", "larger than the training set", 10_000),
    ("experiments.mamba.init_params", "cfg", "not a config", {"d_model": 4}),
    ("experiments.mamba.apply", "tokens", "token >= vocab", np.array([1, 7], np.int32)),
    ("experiments.mamba.apply", "tokens", "float tokens", np.array([1.0, 2.0])),
    ("experiments.mamba.apply", "tokens", "2-D", np.ones((2, 3), np.int32)),
    ("experiments.mamba.apply", "gates", "gate 2", (1.0, 2.0, 0.0)),
    ("experiments.mamba.apply", "gates", "two gates", (1.0, 1.0)),
    ("experiments.mamba.apply", "cfg", "other kind", mb.MambaConfig(vocab=5, d_model=4, n_layers=1, d_state=2,
                                                                    kind="complex")),
    ("experiments.mamba.reference_forward", "tokens", "negative token", np.array([-1, 2], np.int32)),
    ("experiments.mamba.induction_head_task", "recall", "recall >= context", 6),
    ("experiments.mamba.copy_task", "lag", "lag >= length", 6),
    ("experiments.mamba.train_selective", "gates", "gate 2", [[1, 1, 2]]),
    ("experiments.mamba.train_selective", "seeds", "negative seed", [-1]),
    ("experiments.mamba.train_selective", "tasks", "unknown task", ["sort"]),
    ("experiments.mamba.train_selective", "lr", "nan", float("nan")),
    ("experiments.complex_real.dimension_study", "ts", "empty", []),
    ("experiments.complex_real.parameter_size_study", "eps", "above 1", 1.5),
    ("experiments.complex_real.parameter_size_study", "ts", "fraction", [4, 6.5]),
    ("experiments.complex_real.tables_1_2", "seeds", "negative", [-1]),
    ("experiments.complex_real.tables_1_2", "t2_t", "empty", []),
    ("experiments.complex_real.format_tables_1_2", "tab", "not a table", {"x": 1}),
    ("experiments.mamba.loop_agreement", "gate_combos", "gate 2", ((1, 2, 0),)),
    ("experiments.mamba.table3_study", "combos", "gate 2", [(1, 2, 1)]),
    ("experiments.mamba.table3_study", "combos", "empty", []),
    ("experiments.mamba.table3_study", "seeds", "negative", [-1]),
    ("experiments.mamba.table3_study", "copy_seeds", "empty", []),
    ("experiments.mamba.table3_study", "recall", "recall >= context", 4),
    ("experiments.mamba.table3_study", "copy_lag", "lag >= context + recall", 5),
    ("experiments.mamba.table3_study", "steps", "not a multiple of 10", 15),
    ("experiments.mamba.table3_statistics", "study", "not a study", {"cell": {}}),
    ("experiments.mamba.table3_statistics", "copy_lag", "lag not run", 7),
    ("experiments.mamba.table3_statistics", "study", "one group only", dict(_T3, combos=[(1, 1, 1)])),
    ("experiments.mamba.table3_statistics", "level", "above 1", 1.5),
    ("experiments.mamba.format_table3", "study", "not a study", {"x": 1}),
]

(test_every_public_function_is_covered, test_valid_call_succeeds,
 test_bad_argument_is_refused_by_name, test_bad_value_is_refused) = make_bad_input_tests(
    MODULES, VALID, EXEMPT, ALLOWED, EXTRA, extra_names=("params", "cfg", "gates", "context", "length", "a"),
    valid_run_by={
        "experiments.mamba.table3_study": "notebooks/04_complex_vs_real (quick, under nbval)",
        "experiments.mamba.train_selective": "tests/test_mamba.py::test_train_selective_equals_a_direct_optax_loop",
        "experiments.mamba.loop_agreement": "tests/test_mamba.py::test_loop_agreement_small",
        "experiments.complex_real.s4d_real_vs_complex":
            "tests/test_expressivity.py::test_s4d_real_vs_complex_vmapped_seeds_equal_single_runs",
        "experiments.complex_real.tables_1_2": "tests/test_expressivity.py::test_tables_1_2_assembles_train_ssm_runs",
    })
