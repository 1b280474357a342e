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


# --------------------------------------------------------------------------- the population engine (issue 12)


def _pop_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=n)


def _aux_loss(p, xb, yb, aux):
    return jnp.mean((xb @ p["w"] + p["b"] - yb) ** 2) + aux["lam"] * jnp.sum(p["w"] ** 2)


def _stack(trees):
    return jax.tree_util.tree_map(lambda *a: jnp.stack(a), *trees)


@pytest.mark.parametrize("sampling,batch_size", [("epoch", 8), ("step", 8), ("epoch", None)])
def test_population_equals_independent_runs(sampling, batch_size):
    """dynamax-style: M members trained together equal M one-member runs (float64, tight tolerance)."""
    X, Y = _pop_data()
    rng = np.random.default_rng(1)
    members = [{"w": jnp.asarray(rng.normal(size=3)), "b": jnp.asarray(rng.normal())} for _ in range(3)]
    lam, lrs = np.array([0.0, 0.1, 0.3]), np.array([1e-2, 3e-2, 5e-2])
    keys = jnp.stack([jax.random.PRNGKey(s) for s in (4, 5, 6)])
    spec = train.OptimizerSpec("adamw", weight_decay=1e-2, clip=5.0)
    kw = dict(data=(X, Y), steps=23, opt=spec, batch_size=batch_size, sampling=sampling)
    pop = train.fit_population(_aux_loss, _stack(members), aux={"lam": jnp.asarray(lam)}, lr=lrs, keys=keys, **kw)
    assert pop.losses.shape == (23, 3) and not pop.diverged.any() and list(pop.steps) == [23] * 3
    for i in range(3):
        one = train.fit_population(_aux_loss, _stack([members[i]]), aux={"lam": jnp.asarray(lam[i : i + 1])},
                                   lr=lrs[i], keys=keys[i : i + 1], **kw)
        np.testing.assert_allclose(pop.losses[:, i], one.losses[:, 0], rtol=1e-12, atol=0)
        for a, b in zip(jax.tree_util.tree_leaves(pop.params), jax.tree_util.tree_leaves(one.params)):
            np.testing.assert_allclose(a[i], b[0], rtol=1e-12, atol=1e-14)


def test_population_member_equals_fit():
    """A member with key PRNGKey(s) and per-epoch batches follows train.fit(seed=s) step by step."""
    X, Y = _pop_data(n=48)
    spec = train.OptimizerSpec("adam", lr=2e-2)
    p0 = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    ref = train.fit(_lin_loss, p0, (X, Y), optimizer=spec, steps=30, batch_size=16, seed=7)
    pop = train.fit_population(_lin_loss, _stack([p0, p0]), (X, Y), steps=30, opt=spec, batch_size=16,
                               keys=jnp.stack([jax.random.PRNGKey(7), jax.random.PRNGKey(8)]))
    np.testing.assert_allclose(pop.losses[:, 0], ref.step_loss, rtol=1e-12)
    np.testing.assert_allclose(pop.params["w"][0], ref.params["w"], rtol=1e-12)
    assert not np.allclose(pop.losses[:, 1], ref.step_loss)


def test_population_step_sampling_matches_a_hand_written_loop():
    """sampling='step' with keys split from the seed is the old measure.fit_population loop (oracle written out)."""
    X, Y = (jnp.asarray(a) for a in _pop_data(n=30))
    M, steps, B, lr = 2, 15, 7, 1e-2
    p0 = _stack([{"w": jnp.full(3, 0.1 * i), "b": jnp.zeros(())} for i in range(M)])
    lam = jnp.array([0.0, 0.2])
    opt = optax.adam(lr)
    keys = jax.random.split(jax.random.PRNGKey(3), M)
    p, s, ref = p0, jax.vmap(opt.init)(p0), []
    for t in range(steps):
        idx = jax.vmap(lambda k: jax.random.choice(jax.random.fold_in(k, t), 30, (B,), replace=False))(keys)
        loss, g = jax.vmap(jax.value_and_grad(lambda q, l, i: _aux_loss(q, X[i], Y[i], {"lam": l})))(p, lam, idx)
        upd, s = jax.vmap(opt.update)(g, s, p)
        p = optax.apply_updates(p, upd)
        ref.append(np.asarray(loss))
    pop = train.fit_population(_aux_loss, p0, (X, Y), steps=steps, opt=train.OptimizerSpec("adam", lr), aux={"lam": lam},
                               batch_size=B, sampling="step", seed=3)
    np.testing.assert_allclose(pop.losses, np.stack(ref), rtol=1e-12)
    np.testing.assert_allclose(pop.params["w"], p["w"], rtol=1e-12)


def test_population_divergence_guard_freezes_one_member():
    X, Y = _pop_data()
    p0 = _stack([{"w": jnp.zeros(3), "b": jnp.zeros(())}] * 2)
    pop = train.fit_population(_lin_loss, p0, (X, Y), steps=40, opt=train.OptimizerSpec("sgd"), lr=np.array([1e-2, 1e8]))
    assert list(pop.diverged) == [False, True] and pop.steps[0] == 40 and pop.steps[1] < 40
    assert np.all(np.isfinite(np.asarray(pop.params["w"])))
    assert np.all(np.isnan(pop.losses[pop.steps[1] + 1 :, 1]))
    ref = train.fit_population(_lin_loss, _stack([{"w": jnp.zeros(3), "b": jnp.zeros(())}]),
                               (X, Y), steps=40, opt=train.OptimizerSpec("sgd"), lr=1e-2)
    np.testing.assert_allclose(pop.losses[:, 0], ref.losses[:, 0], rtol=1e-12)


def test_population_no_data_and_per_member_data():
    target = jnp.array([[1.0, 2.0], [-1.0, 0.5]])
    pop = train.fit_population(lambda p, a: jnp.sum((p["x"] - a) ** 2), {"x": jnp.zeros((2, 2))}, None, steps=300,
                               opt=train.OptimizerSpec("adam", 5e-2), aux=target)
    np.testing.assert_allclose(pop.params["x"], target, atol=1e-3)
    X, Y = _pop_data(n=20)
    Xm, Ym = np.stack([X, 2 * X]), np.stack([Y, 2 * Y])
    pm = train.fit_population(_lin_loss, _stack([{"w": jnp.zeros(3), "b": jnp.zeros(())}] * 2), (Xm, Ym), steps=5,
                              opt=train.OptimizerSpec("sgd", 1e-2), member_data=True)
    assert not np.allclose(pm.losses[:, 0], pm.losses[:, 1])
    np.testing.assert_allclose(pm.losses[0, 1], 4 * pm.losses[0, 0], rtol=1e-12)


def test_second_call_does_not_retrace():
    """Issue 21: a second call with the same shapes and spec (other lr, data values, seed) reuses the compiled loop."""
    X, Y = _pop_data()
    p0 = _stack([{"w": jnp.zeros(3), "b": jnp.zeros(())}] * 3)
    kw = dict(steps=11, batch_size=8, aux={"lam": jnp.zeros(3)})
    train.fit_population(_aux_loss, p0, (X, Y), opt=train.OptimizerSpec("adam", 1e-2), seed=0, **kw)
    n = train.trace_count()
    train.fit_population(_aux_loss, p0, (X + 1, Y), opt=train.OptimizerSpec("adam", 5e-2), seed=1, lr=[1e-3, 2e-3, 3e-3], **kw)
    assert train.trace_count() == n
    train.fit_population(_aux_loss, p0, (X, Y), opt=train.OptimizerSpec("adam", 1e-2, b1=0.5), **kw)
    assert train.trace_count() == n + 1


def test_weight_decay_mask_spares_ssm_parameters():
    p = {"w": jnp.ones((1, 2)), "log_dt": jnp.ones((1,)), "C_re": jnp.ones((1, 2))}
    zero = lambda q: 0.0 * sum(jnp.sum(v) for v in q.values())  # noqa: E731
    spec = train.OptimizerSpec("adamw", lr=0.1, weight_decay=0.5)
    out = train.fit_population(zero, p, None, steps=3, opt=spec).params
    assert float(out["w"][0, 0]) == 1.0 and float(out["log_dt"][0]) == 1.0 and float(out["C_re"][0, 0]) < 1.0
    out = train.fit_population(zero, p, None, steps=3, opt=train.OptimizerSpec("adamw", 0.1, weight_decay=0.5,
                                                                               decay_ssm=True)).params
    assert float(out["w"][0, 0]) < 1.0
    assert train.ssm_mask({"layers": [{"ssm": {"Lambda_re": 0, "C": 0}}]}) == {"layers": [{"ssm": {"Lambda_re": False, "C": True}}]}


def test_optimizer_spec_and_population_bad_inputs():
    with pytest.raises(ValueError, match="name"):
        train.OptimizerSpec("lbfgs")
    with pytest.raises(ValueError, match="decay_steps"):
        train.OptimizerSpec(schedule="cosine")
    with pytest.raises(ValueError, match="lr"):
        train.OptimizerSpec(lr=float("nan"))
    p0 = _stack([{"w": jnp.zeros(3), "b": jnp.zeros(())}] * 2)
    X, Y = _pop_data()
    with pytest.raises(ValueError, match="examples"):
        train.fit_population(_lin_loss, p0, (X, Y[:-1]), steps=2)
    with pytest.raises(ValueError, match="aux"):
        train.fit_population(_aux_loss, p0, (X, Y), steps=2, aux={"lam": jnp.zeros(3)})
    with pytest.raises(ValueError, match="lr"):
        train.fit_population(_lin_loss, p0, (X, Y), steps=2, lr=[1e-3] * 3)
    with pytest.raises(ValueError, match="sampling"):
        train.fit_population(_lin_loss, p0, (X, Y), steps=2, batch_size=4, sampling="shuffle")
    with pytest.raises(ValueError, match="keys"):
        train.fit_population(_lin_loss, p0, (X, Y), steps=2, keys=jnp.zeros((3, 2), jnp.uint32))
    for sched in ("cosine", "warmup_cosine"):
        r = train.fit_population(_lin_loss, p0, (X, Y), steps=4, opt=train.OptimizerSpec("radam", 1e-2, schedule=sched,
                                                                                     decay_steps=4, warmup_steps=1))
        assert np.all(np.isfinite(r.losses))


# --------------------------------------------------------------------------- mixed optimizers, resume, frozen


def test_mixed_population_equals_single_optimizer_runs():
    """opt=(adam, adamw, radam) with opt_index: each member equals the member trained with its optimizer alone
    (one compile for the mixed population)."""
    X, Y = _pop_data()
    specs = (train.OptimizerSpec("adam", 2e-2), train.OptimizerSpec("adamw", 3e-2, weight_decay=0.1),
             train.OptimizerSpec("radam", 1e-2, schedule="cosine", decay_steps=17))
    oi = np.array([2, 0, 1, 0])
    rng = np.random.default_rng(2)
    members = [{"w": jnp.asarray(rng.normal(size=3)), "b": jnp.asarray(rng.normal())} for _ in range(4)]
    keys = jnp.stack([jax.random.PRNGKey(s) for s in range(4)])
    kw = dict(data=(X, Y), steps=17, batch_size=8)
    pop = train.fit_population(_lin_loss, _stack(members), opt=specs, opt_index=oi, keys=keys, **kw)
    for i in range(4):
        one = train.fit_population(_lin_loss, _stack([members[i]]), opt=specs[oi[i]], keys=keys[i : i + 1], **kw)
        np.testing.assert_allclose(pop.losses[:, i], one.losses[:, 0], rtol=1e-12)
        np.testing.assert_allclose(pop.params["w"][i], one.params["w"][0], rtol=1e-12)
    n = train.trace_count()
    train.fit_population(_lin_loss, _stack(members), opt=specs, opt_index=oi[::-1].copy(), keys=keys, **kw)
    assert train.trace_count() == n
    with pytest.raises(ValueError, match="opt_index"):
        train.fit_population(_lin_loss, _stack(members), opt=specs, keys=keys, **kw)
    with pytest.raises(ValueError, match="opt_index"):
        train.fit_population(_lin_loss, _stack(members), opt=specs, opt_index=np.array([0, 1, 3, 0]), keys=keys, **kw)
    with pytest.raises(ValueError, match="opt_index"):
        train.fit_population(_lin_loss, _stack(members), opt=specs[0], opt_index=oi, keys=keys, **kw)


@pytest.mark.parametrize("spec", [train.OptimizerSpec("adamw", 2e-2, schedule="cosine", decay_steps=30, clip=1.0),
                                  train.OptimizerSpec("adam", 2e-2)])
def test_resume_in_chunks_equals_one_run(spec):
    """Three calls of 10 steps that resume opt_state (and start_step for the batches) equal one call of 30."""
    X, Y = _pop_data(n=48)
    p0 = _stack([{"w": jnp.zeros(3), "b": jnp.zeros(())}, {"w": jnp.ones(3), "b": jnp.ones(())}])
    kw = dict(data=(X, Y), opt=spec, batch_size=16, seed=5)
    ref = train.fit_population(_lin_loss, p0, steps=30, **kw)
    p, st, losses = p0, None, []
    for c in range(3):
        r = train.fit_population(_lin_loss, p, steps=10, opt_state=st, start_step=10 * c, **kw)
        p, st = r.params, r.opt_state
        losses.append(r.losses)
    np.testing.assert_allclose(np.concatenate(losses), ref.losses, rtol=1e-12)
    np.testing.assert_allclose(p["w"], ref.params["w"], rtol=1e-12)
    with pytest.raises(ValueError, match="opt_state"):
        train.fit_population(_lin_loss, p0, steps=3, opt_state=ref.opt_state,
                             **dict(kw, opt=train.OptimizerSpec("sgd", 1e-2, momentum=0.9)))


def test_frozen_members_take_no_step():
    X, Y = _pop_data()
    p0 = _stack([{"w": jnp.zeros(3), "b": jnp.zeros(())}] * 3)
    fr = np.array([False, True, False])
    for guard in (True, False):
        r = train.fit_population(_lin_loss, p0, (X, Y), steps=5, opt=train.OptimizerSpec("sgd", 1e-2), frozen=fr,
                                 guard=guard)
        assert list(r.steps) == [5, 0, 5] and not r.diverged.any()
        assert float(jnp.abs(r.params["w"][1]).max()) == 0.0 and np.all(np.isnan(r.losses[:, 1]))
        np.testing.assert_allclose(r.params["w"][0], r.params["w"][2], rtol=0)
    with pytest.raises(ValueError, match="frozen"):
        train.fit_population(_lin_loss, p0, (X, Y), steps=2, frozen=[0, 1, 0])


def _metric_loss(p, xb, yb):
    r = xb @ p["w"] + p["b"] - yb
    return jnp.mean(r**2), {"linf": jnp.max(jnp.abs(r)), "mean": jnp.mean(r)}


def test_has_aux_records_per_step_metrics_and_batches_table():
    """has_aux: the loss's metrics at each step's pre-update params; batches: the caller's table is used verbatim
    (oracle: a hand-written optax loop over the same table)."""
    X, Y = (jnp.asarray(a) for a in _pop_data(n=30))
    steps, B = 9, 5
    rng = np.random.default_rng(4)
    table = np.stack([rng.choice(30, B, replace=False) for _ in range(steps)])
    p0 = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    opt = optax.adam(3e-2)
    p, s, ref_loss, ref_linf = p0, opt.init(p0), [], []
    for t in range(steps):
        (loss, m), g = jax.value_and_grad(_metric_loss, has_aux=True)(p, X[table[t]], Y[table[t]])
        upd, s = opt.update(g, s, p)
        p = optax.apply_updates(p, upd)
        ref_loss.append(float(loss))
        ref_linf.append(float(m["linf"]))
    pop = train.fit_population(_metric_loss, _stack([p0, p0]), (X, Y), steps=steps,
                               opt=train.OptimizerSpec("adam", 3e-2), has_aux=True, batches=table,
                               frozen=np.array([False, True]))
    np.testing.assert_allclose(pop.losses[:, 0], ref_loss, rtol=1e-12)
    np.testing.assert_allclose(pop.metrics["linf"][:, 0], ref_linf, rtol=1e-12)
    assert pop.metrics["mean"].shape == (steps, 2) and np.all(np.isnan(pop.metrics["linf"][:, 1]))
    np.testing.assert_allclose(pop.params["w"][0], p["w"], rtol=1e-12)
    per_member = np.stack([table, table[::-1]])
    pm = train.fit_population(_metric_loss, _stack([p0, p0]), (X, Y), steps=steps,
                              opt=train.OptimizerSpec("adam", 3e-2), has_aux=True, batches=per_member)
    np.testing.assert_allclose(pm.losses[:, 0], ref_loss, rtol=1e-12)
    assert not np.allclose(pm.losses[:, 1], ref_loss)
    for bad in (table[:-1], table.astype(float), table + 30, np.stack([table] * 3)):
        with pytest.raises(ValueError, match="batches"):
            train.fit_population(_metric_loss, _stack([p0, p0]), (X, Y), steps=steps, has_aux=True, batches=bad)
