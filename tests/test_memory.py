import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ssmtheory.theory import memory
from ssmtheory.experiments import diagonal_students as ds
from ssmtheory import param


# float64: tests/conftest.py enables jax_enable_x64 for the whole unit suite


def test_targets():
    t = np.arange(5.0)
    np.testing.assert_allclose(memory.rho_polynomial(t), (1 + 0.1 * t) ** -1.1)
    np.testing.assert_allclose(memory.target_kernel("exp", 5), np.exp(-t))
    with pytest.raises(ValueError, match="name"):
        memory.target_kernel("cubic", 5)


def test_data_generator_matches_loop():
    k = memory.target_kernel("pol", 12)
    x, y = memory.linear_functional_data(k, 3, seed=1, dt=0.5)
    ref = np.array([[sum(k[s] * xi[t - s] for s in range(t + 1)) for t in range(12)] for xi in x])
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    x2, _ = memory.linear_functional_data(k, 3, seed=1, dt=0.5)
    np.testing.assert_array_equal(x, x2)
    assert abs(np.std(memory.linear_functional_data(k, 2000, seed=2, dt=0.5)[0]) - 0.5) < 0.01


def test_memory_function_of_linear_target_is_rho():
    k = memory.target_kernel("pol", 50)
    np.testing.assert_allclose(memory.memory_function(k, 50), k[1:], rtol=1e-12)
    fn = lambda x: memory._causal_conv(x, k)
    np.testing.assert_allclose(memory.memory_function(fn, 50), k[1:], rtol=1e-12)


def _twe_mse(outs, y, p=2):
    """Independent NumPy re-implementation of the authors' ``twe_MSE`` (Curse-of-memory,
    src/utils/temporally_weighted_error.py): weight ((i+1)/(T+1))^p normalised to sum T, multiplied into
    both outputs and targets, then ``MSELoss`` (mean over batch and time)."""
    T = outs.shape[1]
    weight = ((np.arange(T) + 1.0) / (T + 1.0)) ** p
    weight = weight / weight.sum() * T
    return np.mean((outs * weight - y * weight) ** 2)


def test_population_loss_matches_monte_carlo_of_authors_loss():
    T = 20
    rho = memory.target_kernel("pol", T)
    K = rho * 0.8 + 0.05 * np.sin(np.arange(T))
    w = memory.time_weights(T)
    np.testing.assert_allclose(w, T * (np.arange(T) + 1.0) ** 2 / np.sum((np.arange(T) + 1.0) ** 2), rtol=1e-12)
    x, y = memory.linear_functional_data(rho, 40000, seed=3)
    yhat = memory._causal_conv(x, K)
    mc = _twe_mse(yhat, y)
    pop = float(memory.population_loss(jnp.asarray(rho - K), jnp.asarray(w)))
    se = np.std(np.mean(((y - yhat) * w) ** 2, axis=1)) / np.sqrt(x.shape[0])
    assert abs(mc - pop) < 4 * se
    # the unsquared weight (the old formula) is a different number, far outside the Monte Carlo error
    om1 = np.cumsum(w[::-1])[::-1]
    wrong = float(np.sum((rho - K) ** 2 * om1) / T)
    assert abs(mc - wrong) > 20 * se
    np.testing.assert_allclose(w.mean(), 1.0)


def test_student_kernel_is_recurrence():
    rng = np.random.default_rng(0)
    w, b, c = -rng.uniform(0.05, 1, 5), rng.normal(size=5), rng.normal(size=5)
    K = np.asarray(memory.student_kernel("direct", jnp.asarray(w), jnp.asarray(b), jnp.asarray(c), 30))
    lam = np.exp(w)
    h, ref = np.zeros(5), []
    for k in range(30):
        h = lam * h + b * (k == 0)
        ref.append(c @ h)
    np.testing.assert_allclose(K, ref, rtol=1e-12)


@pytest.fixture(scope="module")
def tiny():
    rho = np.stack([memory.target_kernel("pol", 30), memory.target_kernel("exp", 30)])
    out = {r: ds.train_students(r, rho, [2, 4], n_seeds=1, steps=200, lr=2e-2, seed=0) for r in ("direct",)}
    return rho, out


def test_training_reduces_loss_and_masks(tiny):
    rho, out = tiny
    for st in out.values():
        assert np.all(st["final_loss"] < st["loss_history"][:, 0])
        pad = st["mask"] == 0
        assert np.all(st["c"][pad] == 0) and np.all(st["b"][pad] == 0)
    assert np.all(out["direct"]["w"] <= 0)  # projected


def test_perturbation_protocol(tiny):
    rho, out = tiny
    betas = np.array([0.0, 0.01, 0.1, 0.5])
    st = out["direct"]
    E = ds.perturbation_curve(st, rho, betas, n_repeats=4, seed=0)
    np.testing.assert_allclose(E[:, 0], st["final_loss"], rtol=1e-10)  # beta=0: no perturbation
    assert np.all(np.diff(E, axis=1) >= 0)  # running max
    # deterministic shift toward instability: with b, c unperturbed the error equals the shifted model's
    w, b, c, mk = st["w"][0], st["b"][0], st["c"][0], st["mask"][0]
    shift = np.sign(np.asarray(param.reparam_derivative("direct", w))) * mk
    K = np.asarray(memory.student_kernel("direct", jnp.asarray(w + 0.5 * shift), jnp.asarray(b), jnp.asarray(c), 30))
    e_shift = float(memory.population_loss(jnp.asarray(rho[0] - K), jnp.asarray(memory.time_weights(30))))
    assert e_shift > 10 * E[0, 0]
    # exp: the shift direction sign(f') = -1 lowers the decay rate e^w but never crosses the boundary
    w_exp = jnp.linspace(-3.0, 3.0, 7)
    assert np.all(np.asarray(param.reparam_derivative("exp", w_exp)) < 0)
    assert np.all(np.asarray(param.reparam("exp", w_exp - 1.0)) < 0)
    bs = ds.stability_threshold(betas, E, 1e3)
    assert bs.shape == (E.shape[0],)
    np.testing.assert_array_equal(ds.stability_threshold(betas, np.array([[0, 1, 5, 9.0]]), 2.0), [0.1])
    assert np.isinf(ds.stability_threshold(betas, np.zeros((1, 4)), 1.0))[0]
    m = ds.stability_margin(st)
    assert np.all(m >= 0) and np.all(m < 1)


def test_inf_noise_scaling():
    z = ds._inf_noise(jax.random.PRNGKey(0), (3, 6), jnp.asarray(np.r_[np.ones(4), np.zeros(2)]), 0.2)
    np.testing.assert_allclose(np.abs(np.asarray(z)).max(-1), 0.2, rtol=1e-12)
    assert np.all(np.asarray(z)[:, 4:] == 0)


def test_errors():
    with pytest.raises(ValueError, match="kernel"):
        memory.linear_functional_data(np.array([np.nan]), 2, seed=0)
    with pytest.raises(ValueError, match="betas"):
        ds.perturbation_curve({}, np.zeros((1, 3)), [0.1, 0.0], seed=0)
    with pytest.raises(ValueError, match="reparam"):
        ds.train_students("nope", np.zeros((1, 3)), [2], seed=0)
