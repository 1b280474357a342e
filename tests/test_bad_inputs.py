"""Bad-input suite (issue 13): one argument changed at a time from a valid call, for every public function.

For each public function of the covered modules (listed from ``__all__``) a *valid call* is given.
The suite derives bad variants of each argument from its type (NaN / inf / wrong rank / complex where
real is required for arrays; negative, zero, fractional, bool and string for integers; NaN, inf and
negative for positive floats; an unknown option for strings) and requires a ``ValueError`` (or, for a
wrong Python type, ``TypeError``) whose message names the argument.  A variant that is valid for a
given function is listed in ``ALLOWED`` with the reason.  A new public function without an entry here
fails :func:`test_every_public_function_is_covered`, so nothing ships unvalidated.

The machinery (variants per kind, the four tests) lives in ``tests/_bad_inputs.py`` and is shared by
the per-area files ``tests/test_bad_inputs_<area>.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from _bad_inputs import make_bad_input_tests
from hypothesis import given, settings
from hypothesis import strategies as st

CORE = ("ssm", "init", "norms", "stats", "tasks", "models", "train")

rng = np.random.default_rng(0)
LAM_C = np.array([0.9, 0.5 + 0.3j, -0.2j])          # stable discrete eigenvalues (complex)
LAM_CH = np.array([[0.9, 0.5 + 0.3j], [0.3, -0.4j]])  # channels layout (H=2, N=2)
A_D = np.array([[0.5, 0.2], [0.0, -0.3]])
B2 = np.array([[1.0], [0.5]])
C2 = np.array([[1.0, -1.0]])


def _x(n=6, s=0):
    return np.random.default_rng(s).normal(size=n)


# name -> (positional-or-keyword valid kwargs, kinds: {arg: kind}) where kind is one of
#   "array" (finite real or complex), "real" (finite real array), "pint" (int >= 1), "nnint" (int >= 0),
#   "pfloat" (finite > 0), "float" (finite), "option" (string from a fixed set)
VALID = {
    "ssm.discretize": (dict(Lambda=np.array([-0.5 + 1j, -0.1]), B=np.ones((2, 1)), dt=0.1, method="zoh"),
                       {"Lambda": "array", "B": "array", "dt": "pfloat", "method": "option"}),
    "ssm.discretize_dense": (dict(A=-np.eye(2), B=np.ones((2, 1)), dt=0.1, method="zoh"),
                             {"A": "array", "B": "array", "dt": "pfloat", "method": "option"}),
    "ssm.kernel": (dict(Lambda_bar=LAM_C, B_bar=np.ones((3, 1)), C=np.ones((1, 3)), L=8),
                   {"Lambda_bar": "array", "B_bar": "array", "C": "array", "L": "pint"}),
    "ssm.layer_impulse_response": (dict(Lambda_bar=LAM_C, B_bar=np.ones((3, 1)), C=np.ones((1, 3)), D=np.zeros((1, 1)), L=8),
                             {"Lambda_bar": "array", "B_bar": "array", "C": "array", "D": "real", "L": "pint"}),
    "ssm.linear_scan": (dict(a=np.array([0.9, 0.5]), b=np.ones((5, 2)), method="scan"), {"method": "option"}),
    "ssm.choose_method": (dict(layout="mimo", H=1, L=8), {"layout": "option"}),
    "ssm.apply_ssm": (dict(Lambda_bar=LAM_C, B_bar=np.ones((3, 1)), C=np.ones((1, 3)), D=np.zeros((1, 1)),
                           u=np.ones((8, 1)), method="scan"),
                      {"Lambda_bar": "array", "B_bar": "array", "C": "array", "D": "real", "u": "real", "method": "option"}),
    "ssm.apply_ssm_channels": (dict(Lambda_bar=LAM_CH, B_bar=np.ones((2, 2)), C=np.ones((2, 2)), D=np.zeros(2),
                                    u=np.ones((8, 2)), method="scan"),
                               {"Lambda_bar": "array", "B_bar": "array", "C": "array", "D": "real", "u": "real",
                                "method": "option"}),
    "init.hippo_legs": (dict(N=4), {"N": "pint"}),
    "init.hippo_legs_nplr": (dict(N=4), {"N": "pint"}),
    "init.hippo_legs_normal_eig": (dict(N=4), {"N": "pint"}),
    "init.s4d_lin": (dict(N=4), {"N": "pint"}),
    "init.s4d_inv": (dict(N=4), {"N": "pint"}),
    "init.s4d_legs": (dict(N=4), {"N": "pint"}),
    "init.s4d_real": (dict(N=4), {"N": "pint"}),
    "init.s5_blocks": (dict(P=4, blocks=2), {"P": "pint", "blocks": "pint"}),
    "init.lru_ring": (dict(key=0, P=4, r_min=0.5, r_max=0.9), {"P": "pint", "r_min": "float", "r_max": "float"}),
    "norms.dense_tail_constants": (dict(A=A_D, B=B2), {"A": "array", "B": "array"}),
    "norms.frequency_response": (dict(A=A_D, B=B2, C=C2, D=np.zeros((1, 1)), w=np.linspace(0, 3, 5)),
                                 {"A": "array", "B": "array", "C": "array", "D": "array", "w": "real"}),
    "norms.h2_norm": (dict(A=A_D, B=B2, C=C2, method="auto"), {"A": "array", "B": "array", "C": "array", "method": "option"}),
    "norms.hinf_norm": (dict(A=A_D, B=B2, C=C2, n_grid=64), {"A": "array", "B": "array", "C": "array", "n_grid": "pint"}),
    "norms.impulse_response": (dict(A=A_D, B=B2, C=C2, D=np.zeros((1, 1)), n=5),
                               {"A": "array", "B": "array", "C": "array", "D": "array", "n": "pint"}),
    "norms.l1_norm": (dict(A=A_D, B=B2, C=C2, norm="inf", rtol=1e-8),
                      {"A": "array", "B": "array", "C": "array", "norm": "option", "rtol": "pfloat"}),
    "norms.layer_to_standard": (dict(Lambda_bar=LAM_C, B_bar=np.ones((3, 1)), C=np.ones((1, 3))),
                                {"Lambda_bar": "array", "B_bar": "array", "C": "array"}),
    "norms.solve_stein": (dict(A=A_D, Q=np.eye(2)), {"A": "array", "Q": "array"}),
    "norms.spectral_radius": (dict(A=A_D), {"A": "array"}),
    "stats.log_slope": (dict(x=np.arange(1.0, 7), y=np.arange(1.0, 7) ** 0.5), {"x": "real", "y": "real"}),
    "stats.spearman": (dict(x=_x(), y=_x(s=1)), {"x": "real", "y": "real"}),
    "stats.geometric_mean_ratio": (dict(a=np.arange(1.0, 7), b=np.arange(2.0, 8)), {"a": "real", "b": "real"}),
    "stats.paired_bootstrap": (dict(a=_x(), b=_x(s=1), n_boot=200, alternative="greater"),
                               {"a": "real", "b": "real", "n_boot": "pint", "alternative": "option"}),
    "stats.bootstrap_mean": (dict(x=_x(), n_boot=200, alternative="greater"), {"x": "real", "n_boot": "pint", "alternative": "option"}),
    "stats.sign_test": (dict(a=_x(), b=_x(s=1), alternative="greater"), {"a": "real", "b": "real", "alternative": "option"}),
    "stats.paired_permutation": (dict(a=_x(), b=_x(s=1), alternative="greater"), {"a": "real", "b": "real", "alternative": "option"}),
    "stats.welch": (dict(a=_x(), b=_x(s=1), alternative="greater"), {"a": "real", "b": "real", "alternative": "option"}),
    "stats.t_mean": (dict(x=_x(), alternative="greater"), {"x": "real", "alternative": "option"}),
    "stats.paired_t": (dict(a=_x(), b=_x(s=1), alternative="greater"), {"a": "real", "b": "real", "alternative": "option"}),
    "stats.cluster_bootstrap": (dict(x=_x(8), clusters=np.repeat([0, 1, 2, 3], 2), statistic=np.mean, n_boot=200,
                                     alternative="two-sided"),
                                {"x": "real", "n_boot": "pint", "alternative": "option"}),
    "stats.permutation_spearman": (dict(x=_x(), y=_x(s=1), n_perm=200, n_boot=100, alternative="two-sided"),
                                   {"x": "real", "y": "real", "n_perm": "pint", "alternative": "option"}),
    "stats.partial_spearman": (dict(x=_x(8), y=_x(8, 1), z=_x(8, 2)), {"x": "real", "y": "real", "z": "real"}),
    "stats.partial_spearman_test": (dict(x=_x(8), y=_x(8, 1), z=_x(8, 2), n_perm=200, n_boot=100, alternative="two-sided"),
                                    {"x": "real", "y": "real", "z": "real", "alternative": "option"}),
    "stats.bootstrap_log_slope": (dict(x=np.arange(1.0, 9), y=np.arange(1.0, 9) ** 0.5, n_boot=200, alternative="two-sided"),
                                  {"x": "real", "y": "real", "n_boot": "pint", "alternative": "option"}),
    "tasks.sequential_digits": (dict(seed=0, n_train=100), {"seed": "nnint", "n_train": "pint"}),
}

def _model():
    import jax

    from ssmtheory import models

    cfg = models.DeepSSMConfig(d_input=1, d_model=4, d_output=3, n_layers=1, d_state=2, method="scan")
    return cfg, models.init_params(jax.random.PRNGKey(0), cfg)


_CFG, _PARAMS = _model()
_U = np.ones((2, 6, 1), dtype=np.float32)
_Y = np.array([0, 2])


def _loss(p, x, y):
    from ssmtheory import models, train

    return train.cross_entropy(models.apply(p, x, _CFG), y)


VALID.update({
    "models.init_params": (dict(key=0, cfg=_CFG), {}),
    "models.apply": (dict(params=_PARAMS, u=_U, cfg=_CFG), {"u": "real"}),
    "models.layer_systems": (dict(params=_PARAMS, cfg=_CFG), {}),
    "models.count_params": (dict(params=_PARAMS), {}),
    "train.mse": (dict(pred=np.ones((3, 2)), y=np.zeros((3, 2))), {}),
    "train.cross_entropy": (dict(logits=np.zeros((2, 3)), labels=_Y), {}),
    "train.accuracy": (dict(logits=np.zeros((2, 3)), labels=_Y), {}),
    "train.make_loss": (dict(apply_fn=lambda p, x, c: x, cfg=_CFG, kind="mse"), {"kind": "option"}),
    "train.evaluate": (dict(loss_fn=_loss, params=_PARAMS, data=(_U, _Y), batch_size=2), {"batch_size": "pint"}),
    "train.fit": (dict(loss_fn=_loss, params=_PARAMS, data=(_U, _Y), steps=2, batch_size=2, seed=0),
                  {"steps": "pint", "batch_size": "pint", "seed": "nnint"}),
})

# bad values that the kinds above do not derive, one per function
EXTRA = [
    ("models.apply", "u", "wrong width", np.ones((2, 6, 3), dtype=np.float32)),
    ("train.mse", "y", "shape mismatch", np.zeros((3, 3))),
    ("train.cross_entropy", "labels", "label -1", np.array([0, -1])),
    ("train.cross_entropy", "labels", "label >= classes", np.array([0, 3])),
    ("train.accuracy", "labels", "shape mismatch", np.array([0, 1, 2])),
    ("train.fit", "data", "label -1", (_U, np.array([0, -1]))),
    ("train.fit", "data", "X/Y length mismatch", (_U, np.array([0, 1, 2]))),
    ("train.evaluate", "data", "X/Y length mismatch", (_U, np.array([0, 1, 2]))),
    ("models.init_params", "cfg", "not a config", {"d_model": 4}),
]

# public names that are not functions of data, with the reason they are exempt
EXEMPT = {
    "ssm.linear_recurrence_op": "the associative operator itself: traced by lax.associative_scan, no concrete input",
}

# (function, argument, variant) triples that are valid inputs, with the reason
ALLOWED = {
    ("norms.h2_norm", "A", "wrong rank"): "a 1-D A is a diagonal system (eigenvalues)",
    ("norms.hinf_norm", "A", "wrong rank"): "a 1-D A is a diagonal system (eigenvalues)",
    ("norms.l1_norm", "A", "wrong rank"): "a 1-D A is a diagonal system (eigenvalues)",
    ("norms.impulse_response", "A", "wrong rank"): "a 1-D A is a diagonal system (eigenvalues)",
    ("norms.frequency_response", "A", "wrong rank"): "a 1-D A is a diagonal system (eigenvalues)",
    ("norms.dense_tail_constants", "A", "wrong rank"): "a 1-D A is a diagonal system (eigenvalues)",
    ("norms.spectral_radius", "A", "wrong rank"): "a 1-D A is a diagonal system (eigenvalues)",
    ("ssm.kernel", "Lambda_bar", "wrong rank"): "a 2-D Lambda_bar selects the channels layout (then B/C mismatch is named)",
    ("ssm.layer_impulse_response", "Lambda_bar", "wrong rank"): "as ssm.kernel",
    ("stats.cluster_bootstrap", "n_boot", "zero"): "n_boot < 100 is refused (message names n_boot)",
    ("ssm.discretize", "Lambda", "wrong rank"): "a 2-D Lambda (H, N) is the channels layout (then B's shape is named)",
    ("ssm.apply_ssm", "u", "wrong rank"): "u (..., L, H_in) takes leading batch axes",
    ("models.apply", "u", "wrong rank"): "u (..., L, d_input) takes leading batch axes",
    ("ssm.apply_ssm_channels", "D", "None"): "D=None means no feedthrough (documented)",
    ("ssm.apply_ssm", "D", "None"): "D=None means no feedthrough (documented)",
    ("norms.frequency_response", "D", "None"): "D=None means no feedthrough",
    ("norms.impulse_response", "D", "None"): "D=None means no feedthrough",
    ("stats.partial_spearman", "z", "wrong rank"): "a 2-D z holds several control variables",
    ("stats.partial_spearman_test", "z", "wrong rank"): "a 2-D z holds several control variables",
}


(test_every_public_function_is_covered, test_valid_call_succeeds,
 test_bad_argument_is_refused_by_name, test_bad_value_is_refused) = make_bad_input_tests(
    CORE, VALID, EXEMPT, ALLOWED, EXTRA, extra_names=("labels", "pred", "y", "X", "Y", "u", "cfg"))


@settings(max_examples=30, deadline=None)
@given(i=st.integers(0, 5), val=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_nonfinite_entry_anywhere_is_refused(i, val):
    """Hypothesis: a non-finite value at any position of a data vector is refused, never averaged in."""
    from ssmtheory import stats

    x = _x()
    x[i] = val
    for fn in (stats.spearman, stats.log_slope):
        with pytest.raises(ValueError):
            fn(np.abs(x) + 1, np.arange(1.0, 7))
    with pytest.raises(ValueError):
        stats.paired_bootstrap(x, _x(s=1), n_boot=200)
