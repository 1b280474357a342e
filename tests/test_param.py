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


# --------------------------------------------------------------------------- derivatives, discrete maps, g_f


@pytest.mark.parametrize("name", param.REPARAMS)
def test_derivative_closed_form_matches_autodiff(name):
    w = jnp.asarray(W, jnp.float32)
    g = jax.vmap(jax.grad(lambda x: param.reparam(name, x)))(w)
    np.testing.assert_allclose(param.reparam_derivative(name, w), g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(param.reparam_derivative(name, W), CLOSED_FORM[name](W), rtol=1e-5, atol=1e-6)


DISCRETE_CLOSED = {
    "vanilla": (lambda w: 1 - w, lambda w: -np.ones_like(w)),
    "lru": (lambda w: np.exp(-np.exp(w)), lambda w: -np.exp(w) * np.exp(-np.exp(w))),
    "sigmoid": (lambda w: 1 / (1 + np.exp(-w)), lambda w: np.exp(-w) / (1 + np.exp(-w)) ** 2),
    "best": (lambda w: 1 - 1 / (w**2 + 0.5), lambda w: 2 * w / (w**2 + 0.5) ** 2),
}


@pytest.mark.parametrize("name", param.DISCRETE_REPARAMS)
def test_discrete_values_and_derivatives(name):
    f, df = DISCRETE_CLOSED[name]
    np.testing.assert_allclose(param.discrete_reparam(name, W), f(W), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(param.discrete_reparam_derivative(name, W), df(W), rtol=1e-5, atol=1e-7)
    g = jax.vmap(jax.grad(lambda x: param.discrete_reparam(name, x)))(jnp.asarray(W, jnp.float32))
    np.testing.assert_allclose(g, df(W), rtol=1e-4, atol=1e-6)


def test_discrete_stable_maps_inside_unit_interval():
    w = np.linspace(-20, 20, 401)
    for name in ("lru", "sigmoid"):
        v = np.asarray(param.discrete_reparam(name, w))
        assert np.all((v >= 0) & (v <= 1))
    v = np.asarray(param.discrete_reparam("best", w))  # range [1 - 1/b, 1) = [-1, 1)
    assert np.all((v >= -1) & (v < 1))
    with pytest.raises(ValueError, match="name"):
        param.discrete_reparam("exp", w)
    with pytest.raises(ValueError, match="b"):
        param.discrete_reparam("best", w, b=-1.0)


def test_gradient_scale_closed_forms():
    w = np.array([-2.0, -0.5, 0.3, 1.7])
    np.testing.assert_allclose(param.gradient_scale("direct", w), 1 / w**2, rtol=1e-6)
    np.testing.assert_allclose(param.gradient_scale("exp", w), np.exp(-w), rtol=1e-6)
    sp = np.log1p(np.exp(w))
    np.testing.assert_allclose(param.gradient_scale("softplus", w), (1 / (1 + np.exp(-w))) / sp**2, rtol=1e-6)
    for disc in (False, True):
        np.testing.assert_allclose(param.gradient_scale("best", w, discrete=disc, a=2.0, b=0.3), 4.0 * np.abs(w), rtol=1e-5)
    np.testing.assert_allclose(param.gradient_scale("vanilla", w, discrete=True), 1 / w**2, rtol=1e-6)


def _g_bruteforce_integral(f, w, wt, t_max=400.0, n=400001):
    """|f(w)| int_0^inf |e^{f(wt) t} - e^{f(w) t}| dt by the trapezoid rule (independent of the closed form)."""
    t = np.linspace(0, t_max, n)
    return abs(f(w)) * np.trapezoid(np.abs(np.exp(f(wt) * t) - np.exp(f(w) * t)), t)


def test_stability_function_equivalent_form_matches_integral():
    f = lambda x: -np.log1p(np.exp(x))
    for w, wt in ((0.0, -0.3), (1.0, 1.4), (-2.0, -2.5)):
        assert abs(_g_bruteforce_integral(f, w, wt) - abs(f(w) / f(wt) - 1)) < 1e-4


def test_stability_function_closed_forms():
    beta = np.array([0.0, 0.05, 0.3, 1.0])
    for name in ("exp", "softplus"):
        np.testing.assert_allclose(param.stability_function(name, beta), np.expm1(beta), atol=1e-9)
    # best: sup_w |d (2w + d)| / (w^2 + b) over |d| <= beta, brute force on a fine grid
    w = np.linspace(-10, 10, 20001)[:, None]
    d = np.linspace(-0.3, 0.3, 601)[None, :]
    ref = np.max(np.abs(d * (2 * w + d)) / (w**2 + 0.5))
    assert abs(param.stability_function("best", 0.3) - ref) < 1e-3
    assert param.stability_function("best", 0.0) == 0.0
    # direct: beta/eps with w and w~ kept on [-10, -eps]; inf when w~ may reach f >= 0
    for eps in (1e-1, 1e-2):
        g = param.stability_function("direct", 0.1, w_range=(-10, -eps), perturb_range=(-10, -eps))
        assert abs(g - 0.1 / eps) < 2e-2 * 0.1 / eps  # exact when w = -eps - beta lies on the grid
    assert np.isinf(param.stability_function("direct", 0.1, w_range=(-10, -0.05)))
    with pytest.raises(ValueError, match="beta"):
        param.stability_function("exp", -0.1)
    with pytest.raises(ValueError, match="w_range"):
        param.stability_function("exp", 0.1, w_range=(1.0, 0.0))


def test_a_reparameterization_is_one_record():
    """Map, derivative, inverse and NumPy form of each record agree (autodiff, round trip, float64 form)."""
    import jax

    w = np.linspace(-2.0, 2.0, 9)
    for name in param.REPARAMS:
        r = param.get(name)
        assert r.name == name and r.time == "continuous"
        kw = param.reparam_kwargs(name)
        ad = np.array([jax.grad(lambda x: r.forward(x, **kw))(float(x)) for x in w])
        np.testing.assert_allclose(np.asarray(r.derivative(w, **kw)), ad, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(r.numpy_forward(w, **kw), np.asarray(r.forward(w, **kw)), rtol=1e-12)
        if name != "direct":
            v = np.asarray(r.forward(np.abs(w) + 0.1, **kw))
            np.testing.assert_allclose(np.asarray(r.inverse(v, **kw)), np.abs(w) + 0.1, rtol=1e-8)
    for name in param.DISCRETE_REPARAMS:
        r = param.get(name, discrete=True)
        assert r.time == "discrete"
        kw = {k: v for k, v in r.defaults.items()}
        ad = np.array([jax.grad(lambda x: r.forward(x, **kw))(float(x)) for x in w])
        np.testing.assert_allclose(np.asarray(r.derivative(w, **kw)), ad, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(r.numpy_forward(w, **kw), np.asarray(r.forward(w, **kw)), rtol=1e-12)
    with pytest.raises(ValueError, match="name"):
        param.get("bogus")
