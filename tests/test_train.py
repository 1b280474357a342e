import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from ssmtheory import models, train


def _linreg_data(n=96, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    w = np.array([1.0, -2.0, 0.5], np.float32)[:d]
    Y = X @ w + 0.3
    return X, Y.astype(np.float32)


def _lin_loss(p, xb, yb):
    return train.mse(xb @ p["w"] + p["b"], yb)


P0 = {"w": jnp.zeros(3), "b": jnp.zeros(())}


def test_linear_regression_converges_and_history():
    X, Y = _linreg_data()
    res = train.fit(_lin_loss, P0, (X, Y), optimizer=optax.adam(5e-2), epochs=40, batch_size=16,
                    eval_data=(X, Y))
    h = res.history
    assert not res.diverged
    assert len(h["epoch"]) == 40 and h["epoch"][0] == 1 and h["step"][-1] == 40 * 6 == res.steps
    assert len(h["eval_loss"]) == 40 and h["eval_step"] == h["step"]
    assert len(res.step_loss) == res.steps and np.all(np.isfinite(res.step_grad_norm))
    assert h["train_loss"][-1] < 1e-2 * h["train_loss"][0]
    np.testing.assert_allclose(res.params["w"], [1.0, -2.0, 0.5], atol=0.05)
    np.testing.assert_allclose(train.evaluate(_lin_loss, res.params, (X, Y), batch_size=7), h["eval_loss"][-1], rtol=1e-4)


def test_steps_override_epochs_and_partial_epoch():
    X, Y = _linreg_data(n=50)
    res = train.fit(_lin_loss, P0, (X, Y), optimizer=optax.sgd(1e-2), steps=7, epochs=100, batch_size=16)
    # 50 // 16 = 3 batches per epoch (last 2 examples dropped): epochs of 3, 3, 1 steps
    assert res.steps == 7 and res.history["step"] == [3, 6, 7] and res.history["epoch"] == [1, 2, 3]
    assert "eval_loss" not in res.history


def test_eval_every_in_epochs(capsys):
    X, Y = _linreg_data(n=48)
    res = train.fit(_lin_loss, P0, (X, Y), optimizer=optax.sgd(1e-2), epochs=5, batch_size=16,
                    eval_data=(X[:10], Y[:10]), eval_every=2, verbose=True)
    assert res.history["eval_step"] == [6, 12, 15] and len(res.history["eval_loss"]) == 3
    assert "eval_loss" in capsys.readouterr().out


def test_determinism_and_seed_dependence():
    X, Y = _linreg_data()
    kw = dict(optimizer=optax.adam(1e-2), epochs=3, batch_size=8)
    a = train.fit(_lin_loss, P0, (X, Y), seed=1, **kw)
    b = train.fit(_lin_loss, P0, (X, Y), seed=1, **kw)
    c = train.fit(_lin_loss, P0, (X, Y), seed=2, **kw)
    assert a.history == b.history
    np.testing.assert_array_equal(a.step_loss, b.step_loss)
    assert a.history["train_loss"] != c.history["train_loss"]


def test_clip_norm_runs():
    X, Y = _linreg_data()
    res = train.fit(_lin_loss, P0, (X, Y), optimizer=optax.sgd(1e-1), epochs=2, batch_size=32, clip_norm=0.1)
    assert not res.diverged and res.steps == 6


def test_divergence_detection_keeps_finite_params():
    X, Y = _linreg_data()
    res = train.fit(_lin_loss, P0, (X, Y), optimizer=optax.sgd(1e8), epochs=50, batch_size=16)
    assert res.diverged
    assert res.steps < 50 * 6
    assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree_util.tree_leaves(res.params))
    assert np.all(np.isfinite(res.step_loss))


def test_no_stop_on_nan_keeps_going():
    X, Y = _linreg_data()
    res = train.fit(_lin_loss, P0, (X, Y), optimizer=optax.sgd(1e8), epochs=5, batch_size=16, stop_on_nan=False)
    assert res.diverged and res.steps == 30


def test_losses():
    logits = jnp.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    labels = jnp.array([0, 2])
    ref = -np.mean([jax.nn.log_softmax(logits[0])[0], jax.nn.log_softmax(logits[1])[2]])
    np.testing.assert_allclose(train.cross_entropy(logits, labels), ref, rtol=1e-6)
    assert float(train.accuracy(logits, labels)) == 0.5
    np.testing.assert_allclose(train.mse(jnp.ones(3), jnp.zeros(3)), 1.0)
    with pytest.raises(ValueError, match="y"):
        train.mse(jnp.ones(3), jnp.zeros((3, 1)))
    with pytest.raises(ValueError, match="labels"):
        train.cross_entropy(logits, jnp.array([0, 1, 2]))
    with pytest.raises(ValueError, match="kind"):
        train.make_loss(models.apply, None, kind="hinge")


def test_bad_input():
    X, Y = _linreg_data()
    with pytest.raises(ValueError, match="first dimension"):
        train.fit(_lin_loss, P0, (X, Y[:-1]))
    with pytest.raises(ValueError, match="batch_size"):
        train.fit(_lin_loss, P0, (X, Y), batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        train.fit(_lin_loss, P0, (X, Y), batch_size=1000)
    with pytest.raises(ValueError, match="epochs"):
        train.fit(_lin_loss, P0, (X, Y), epochs=0)
    with pytest.raises(ValueError, match="steps"):
        train.fit(_lin_loss, P0, (X, Y), steps=-1)
    with pytest.raises(ValueError, match="eval_data"):
        train.fit(_lin_loss, P0, (X, Y), eval_data=(X, Y[:3]))
    with pytest.raises(ValueError, match="clip_norm"):
        train.fit(_lin_loss, P0, (X, Y), clip_norm=0.0)


def test_learn_ssm_teacher():
    """A 1-layer s4d student fits a fixed s4d teacher (sequence-to-sequence regression)."""
    cfg = models.DeepSSMConfig(d_input=1, d_model=4, d_output=1, n_layers=1, d_state=4, block="s4d",
                               nonlinearity="identity", residual=False, norm=None, readout="sequence",
                               dt_min=0.05, dt_max=0.3, method="fft")
    teacher = models.init_params(jax.random.PRNGKey(0), cfg)
    student = models.init_params(jax.random.PRNGKey(1), cfg)
    X = np.asarray(jax.random.normal(jax.random.PRNGKey(2), (64, 24, 1)))
    Y = np.asarray(models.apply(teacher, X, cfg))
    loss_fn = train.make_loss(models.apply, cfg, kind="mse")
    res = train.fit(loss_fn, student, (X, Y), optimizer=optax.adam(1e-2), steps=200, batch_size=32)
    assert not res.diverged and res.steps == 200
    assert res.history["train_loss"][-1] < 0.2 * res.history["train_loss"][0]


def test_negative_or_out_of_range_labels_are_refused():
    """JAX would wrap label -1 to the last class and clamp too-large labels; we refuse both (issue 13)."""
    import jax.numpy as jnp

    from ssmtheory import train

    logits = jnp.zeros((4, 3))
    with pytest.raises(ValueError, match="labels"):
        train.cross_entropy(logits, jnp.asarray([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="labels"):
        train.cross_entropy(logits, jnp.asarray([0, -1, 2, 1]))
    X = np.zeros((8, 2))
    Y = np.array([0, 1, 0, 1, 0, 1, 0, -1])
    with pytest.raises(ValueError, match=">= 0"):
        train.fit(lambda p, x, y: jnp.sum(p["w"] ** 2), {"w": jnp.ones(2)}, (X, Y), steps=1, batch_size=4)
