"""Tests for ssmtheory.experiments.mamba: the authors' Mamba block against an independent NumPy loop, the tasks, training."""

import jax
import numpy as np
import pytest

from ssmtheory.experiments import mamba as mb


@pytest.mark.parametrize("kind", mb.KINDS)
def test_apply_matches_numpy_loop_for_every_gate_combination(kind):
    cfg = mb.MambaConfig(vocab=7, d_model=8, n_layers=2, d_state=4, kind=kind)
    p = mb.init_params(jax.random.PRNGKey(1), cfg)
    # move parameters away from init so that every branch matters (A_im, D, fixed B/C, conv all non-trivial)
    leaves, tree = jax.tree_util.tree_flatten(p)
    rng = np.random.default_rng(0)
    p = jax.tree_util.tree_unflatten(tree, [v + 0.3 * rng.normal(size=v.shape).astype(np.float32) for v in leaves])
    tok = rng.integers(0, 7, 13)
    f = jax.jit(lambda p, t, g: mb.apply(p, t, cfg, (g[0], g[1], g[2])))
    outs = []
    for g in mb.GATE_COMBOS:
        got = np.asarray(f(p, tok, np.asarray(g, np.float32)))
        ref = mb.reference_forward(p, tok, cfg, g)
        np.testing.assert_allclose(got, ref, rtol=2e-4, atol=2e-4 * np.abs(ref).max())
        outs.append(got)
    assert all(not np.allclose(outs[0], o) for o in outs[1:])  # each gate changes the function


def test_associative_scan_path_agrees():
    cfg = mb.MambaConfig(vocab=5, d_model=4, n_layers=1, d_state=4, kind="complex")
    p = mb.init_params(jax.random.PRNGKey(2), cfg)
    tok = np.arange(9) % 5
    a = np.asarray(mb.apply(p, tok, cfg))
    b = np.asarray(mb.apply(p, tok, mb.MambaConfig(vocab=5, d_model=4, n_layers=1, d_state=4, kind="complex",
                                                   scan="associative")))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_config_shapes_follow_the_authors():
    real = mb.MambaConfig(d_model=64)
    cplx = mb.MambaConfig(d_model=64, kind="complex")
    assert (real.d_inner, real.n_states, real.rank) == (128, 16, 4)
    assert cplx.n_states == 8  # d_state halved for parameter parity
    pr = mb.init_params(jax.random.PRNGKey(0), real)["layers"][0]
    pc = mb.init_params(jax.random.PRNGKey(0), cplx)["layers"][0]
    np.testing.assert_allclose(-np.exp(pr["log_A"][0]), -(np.arange(16) + 1.0), rtol=1e-6)  # A_n = -(n+1)
    np.testing.assert_allclose(pc["A_im"][0], np.pi * np.arange(8))  # A_n = -(n+1) + i pi n
    np.testing.assert_allclose(pr["D"], 1.0)
    dt = np.log1p(np.exp(pr["b_dt"]))
    assert dt.min() >= 1e-3 * (1 - 1e-5) and dt.max() <= 0.1 * (1 + 1e-5)
    with pytest.raises(ValueError, match="kind"):
        mb.MambaConfig(kind="quaternion")
    with pytest.raises(ValueError, match="d_model"):
        mb.MambaConfig(d_model=0)


def test_causal_and_embedding_frozen_tied():
    cfg = mb.MambaConfig(vocab=6, d_model=8, n_layers=2, d_state=4)
    p = mb.init_params(jax.random.PRNGKey(3), cfg)
    tok = np.array([1, 2, 3, 4, 5, 1, 2, 3, 4])
    out = np.asarray(mb.apply(p, tok, cfg))
    tok2 = tok.copy()
    tok2[6] = 0
    np.testing.assert_allclose(np.asarray(mb.apply(p, tok2, cfg))[:6], out[:6], rtol=1e-6, atol=1e-6)
    g = jax.grad(lambda q: mb.apply(q, tok, cfg).sum())(p)
    assert float(np.abs(g["embed"]).max()) == 0.0  # frozen (and tied to the head)
    assert float(np.abs(g["norm_f"]).max()) > 0.0


def test_unused_branch_gets_zero_gradient():
    cfg = mb.MambaConfig(vocab=6, d_model=8, n_layers=1, d_state=4, kind="complex")
    p = mb.init_params(jax.random.PRNGKey(4), cfg)
    tok = np.arange(8) % 6
    g = jax.grad(lambda q: mb.apply(q, tok, cfg, (0.0, 1.0, 0.0)).sum())(p)["layers"][0]
    for k in ("w_B", "w_B_im", "C_fix", "C_fix_im", "w_dt_down", "w_dt_up", "b_dt"):
        assert float(np.abs(g[k]).max()) == 0.0, k
    for k in ("B_fix", "B_fix_im", "w_C", "w_C_im", "inv_dt"):
        assert float(np.abs(g[k]).max()) > 0.0, k


def test_induction_head_task_matches_the_authors_construction():
    x, y = mb.induction_head_task(jax.random.PRNGKey(0), 64, 20, 5, 16)
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == y.shape == (64, 25)  # context + recall
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # autoregressive shift
    for xi, yi in zip(x, y):
        zeros = np.flatnonzero(xi == 0)
        assert len(zeros) == 2 and zeros[1] == 20 and zeros[0] < 20 - 5  # trigger, then the copy token
        p = zeros[0]
        np.testing.assert_array_equal(yi[-5:], xi[p + 1:p + 6])  # recall the tokens after the trigger
        assert xi[:20].max() <= 15
    with pytest.raises(ValueError, match="recall"):
        mb.induction_head_task(jax.random.PRNGKey(0), 2, 8, 8, 16)


def test_copy_task_raises_when_lag_exceeds_length():
    with pytest.raises(ValueError, match="lag"):
        mb.copy_task(jax.random.PRNGKey(0), 2, length=8, lag=12, vocab=16)


def test_train_selective_shapes_determinism_and_learning_signal():
    cfg = mb.MambaConfig(vocab=4, d_model=8, n_layers=1, d_state=4, kind="real")
    kw = dict(tasks=["copy", "copy", "induction"], lags=[1, 1, 0], length=6, recall=2, batch=8, lr=1e-2, n_test=64,
              record_every=20)
    gates = [[1, 1, 1], [0, 0, 0], [1, 1, 1]]
    r = mb.train_selective(cfg, [0, 1, 0], gates, 60, **kw)
    assert r["loss"].shape == (3, 3) and r["test_acc"].shape == (3,)
    # lag 1 is within the conv's reach: the model learns well above chance 1/3
    assert r["test_acc"][:2].min() > 0.6 and np.all(r["loss"][:2, -1] < r["loss"][:2, 0])
    r2 = mb.train_selective(cfg, [0, 1, 0], gates, 60, **kw)
    np.testing.assert_array_equal(r["test_acc"], r2["test_acc"])
    with pytest.raises(ValueError, match="gates"):
        mb.train_selective(cfg, [0, 1, 0], [[1, 1, 2], [0, 0, 0], [1, 1, 1]], 60, **kw)
    with pytest.raises(ValueError, match="tasks"):
        mb.train_selective(cfg, [0], [[1, 1, 1]], 60, tasks=["sort"])
    with pytest.raises(ValueError, match="lags"):
        mb.train_selective(cfg, [0], [[1, 1, 1]], 60, tasks=["copy"], lags=[12], length=8)


def _reference_train(cfg, seed, gate, is_copy, lag, steps, length, recall, batch, lr):
    """Test-only oracle: the Table 3 loop written directly in optax (no engine): Adam, batch i from
    fold_in(k_data, i), loss and accuracy on the scored positions."""
    import jax.numpy as jnp
    import optax

    kp, kd, _ = jax.random.split(jax.random.PRNGKey(seed), 3)
    p = mb.init_params(kp, cfg)
    tx = optax.adam(lr)
    s, losses = tx.init(p), []
    g3 = tuple(jnp.float32(v) for v in gate)

    def loss_fn(q, x, y, mask):
        logits = jax.vmap(lambda t: mb.apply(q, t, cfg, g3))(x)
        nll = optax.softmax_cross_entropy_with_integer_labels(logits, y)
        return jnp.sum(nll * mask) / (mask.sum() * x.shape[0])

    @jax.jit
    def step(p, s, i):
        x, y, mask = mb._task_batch(jax.random.fold_in(kd, i), is_copy, lag, batch, length, recall, cfg.vocab)
        loss, g = jax.value_and_grad(loss_fn)(p, x, y, mask)
        upd, s = tx.update(g, s, p)
        return optax.apply_updates(p, upd), s, loss

    for i in range(steps):
        p, s, loss = step(p, s, i)
        losses.append(float(loss))
    return np.array(losses)


def test_train_selective_equals_a_direct_optax_loop():
    """The engine port: every run (induction or copy, any gates) sees its fresh batches in order and takes the
    same Adam steps as the loop written directly in optax."""
    cfg = mb.MambaConfig(vocab=5, d_model=8, n_layers=1, d_state=4, kind="complex")
    runs = [(0, (1, 1, 1), False, 0), (1, (0, 1, 0), True, 2)]
    r = mb.train_selective(cfg, [x[0] for x in runs], [x[1] for x in runs], 6, tasks=["induction", "copy"],
                           lags=[0, 2], length=7, recall=2, batch=3, lr=1e-2, n_test=8, record_every=1)
    for i, (seed, gate, cp, lag) in enumerate(runs):
        ref = _reference_train(cfg, seed, gate, cp, lag, 6, 7, 2, 3, 1e-2)
        np.testing.assert_allclose(r["loss"][i], ref, rtol=2e-5)
    assert r["diverged"].sum() == 0 and r["acc"].shape == (2, 6)


def test_table3_statistics_against_direct_t_bounds():
    from scipy import stats as sps

    combos = [(1, 1, 1), (1, 1, 0), (0, 0, 1)]
    rng = np.random.default_rng(0)
    cell = {(k, c): rng.uniform(0, 1, 4) for k in mb.KINDS for c in combos}
    copy = {(k, lag): rng.uniform(0, 1, 5) for k in mb.KINDS for lag in (8, 2)}
    st = mb.table3_statistics(dict(cell=cell, copy=copy, combos=combos), 8, 2)
    g_other = cell[("complex", (0, 0, 1))] - cell[("real", (0, 0, 1))]
    lo = g_other.mean() - sps.t.ppf(0.95, 3) * g_other.std(ddof=1) / 2
    assert st["superior"].lo == pytest.approx(lo, rel=1e-9)
    g_bc = np.mean([cell[("complex", c)] - cell[("real", c)] for c in combos[:2]], axis=0)
    hi = g_bc.mean() + sps.t.ppf(0.95, 3) * g_bc.std(ddof=1) / 2
    learned = max(np.mean([cell[(k, c)].mean() for c in combos[:2]]) for k in mb.KINDS) >= 0.3
    assert st["noninf"] == (pytest.approx(hi, rel=1e-9) if learned else np.inf)
    d = copy[("complex", 8)] - copy[("real", 8)]
    assert st["copy"].lo == pytest.approx(d.mean() - sps.t.ppf(0.95, 4) * d.std(ddof=1) / np.sqrt(5), rel=1e-9)
    assert np.mean(st["best_cell"]) == max(np.mean(v) for v in cell.values())
    st2 = mb.table3_statistics(dict(cell={k: v * 0.1 for k, v in cell.items()}, copy=copy, combos=combos), 8, 2)
    assert st2["noninf"] == np.inf  # nobody learned: the comparison counts as failed
    assert "B C Delta" in mb.format_table3(dict(cell=cell, combos=combos))
    with pytest.raises(ValueError, match="copy_lag"):
        mb.table3_statistics(dict(cell=cell, copy=copy, combos=combos), 7, 2)


def test_loop_agreement_small():
    assert mb.loop_agreement(0, gate_combos=((1, 0, 1),)) < 1e-4
