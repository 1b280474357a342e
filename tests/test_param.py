import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ssmtheory import param

W = np.linspace(-3.0, 3.0, 13)


def test_names():
    assert set(param.REPARAMS) == {"direct", "exp", "softplus", "best"}


def test_values():
    np.testing.assert_allclose(param.reparam("direct", W), W, rtol=1e-6)
    np.testing.assert_allclose(param.reparam("exp", W), -np.exp(W), rtol=1e-6)
    np.testing.assert_allclose(param.reparam("softplus", W), -np.log1p(np.exp(W)), rtol=1e-6)
    np.testing.assert_allclose(param.reparam("best", W), -1.0 / (W**2 + 0.5), rtol=1e-6)
    np.testing.assert_allclose(param.reparam("best", W, a=2.0, b=3.0), -1.0 / (2 * W**2 + 3.0), rtol=1e-6)


@pytest.mark.parametrize("name", ["exp", "softplus", "best"])
def test_stable_for_all_w(name):
    assert np.all(np.asarray(param.reparam(name, np.linspace(-20, 20, 101))) < 0)


@pytest.mark.parametrize("name", param.REPARAMS)
def test_inverse_round_trip(name):
    v = -np.array([0.01, 0.1, 0.5, 1.0, 1.9])
    w = param.inverse_reparam(name, v)
    np.testing.assert_allclose(param.reparam(name, w), v, rtol=1e-5)


def test_best_inverse_positive_root_and_kwargs():
    v = -np.array([0.05, 0.2, 0.9])
    w = param.inverse_reparam("best", v, a=2.0, b=1.0)
    assert np.all(np.asarray(w) >= 0)
    np.testing.assert_allclose(param.reparam("best", w, a=2.0, b=1.0), v, rtol=1e-5)


CLOSED_FORM = {
    "direct": lambda w: np.ones_like(w),
    "exp": lambda w: -np.exp(w),
    "softplus": lambda w: -1.0 / (1.0 + np.exp(-w)),
    "best": lambda w: 2 * w / (w**2 + 0.5) ** 2,
}


@pytest.mark.parametrize("name", param.REPARAMS)
def test_grad_matches_closed_form(name):
    g = jax.vmap(jax.grad(lambda w: param.reparam(name, w)))(jnp.asarray(W, jnp.float32))
    np.testing.assert_allclose(g, CLOSED_FORM[name](W), rtol=1e-5, atol=1e-6)


def test_jittable():
    f = jax.jit(lambda w: param.reparam("softplus", w))
    np.testing.assert_allclose(f(jnp.zeros(3)), -np.log(2.0) * np.ones(3), rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="name"):
        param.reparam("nope", W)
    with pytest.raises(ValueError, match="name"):
        param.inverse_reparam("nope", -W)
    with pytest.raises(ValueError, match="value"):
        param.inverse_reparam("exp", np.array([-1.0, 0.5]))
    with pytest.raises(ValueError, match="value"):
        param.inverse_reparam("best", np.array([-3.0]))  # below -1/b = -2
    with pytest.raises(ValueError, match="keyword"):
        param.reparam("exp", W, a=1.0)
    with pytest.raises(ValueError, match="b"):
        param.reparam("best", W, b=0.0)
    # direct accepts any finite value
    np.testing.assert_allclose(param.inverse_reparam("direct", np.array([0.3])), [0.3])
