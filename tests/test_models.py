import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ssmtheory import models, param

KEY = jax.random.PRNGKey(0)
B_, L_ = 2, 12


def _cfg(**kw):
    base = dict(d_input=2, d_model=4, d_output=3, n_layers=2, d_state=4, dt_min=0.01, dt_max=0.1)
    base.update(kw)
    return models.DeepSSMConfig(**base)


def _u(cfg, b=B_, L=L_, seed=1):
    return jax.random.normal(jax.random.PRNGKey(seed), (b, L, cfg.d_input))


@pytest.mark.parametrize("block", models.BLOCKS)
@pytest.mark.parametrize("readout", models.READOUTS)
def test_output_shapes(block, readout):
    cfg = _cfg(block=block, readout=readout, n_layers=1)
    p = models.init_params(KEY, cfg)
    y = models.apply(p, _u(cfg), cfg)
    want = (B_, L_, 3) if readout == "sequence" else (B_, 3)
    assert y.shape == want and y.dtype == jnp.float32
    assert np.all(np.isfinite(np.asarray(y)))


@pytest.mark.parametrize(
    "kw",
    [
        dict(block="s4d", n_layers=1),
        dict(block="s4d", complex_states=False, reparam="softplus", nonlinearity="glu", method="fft"),
        dict(block="s4d", init="inv", reparam="best", nonlinearity="tanh", norm=None, method="associative", n_layers=1),
        dict(block="s5", nonlinearity="glu", s5_blocks=2, method="associative"),
        dict(block="s5", complex_states=False, reparam="direct", nonlinearity="relu", residual=False),
        dict(block="lru", r_min=0.5, r_max=0.99, max_phase=3.14, method="fft"),
    ],
)
def test_jit_and_grad_finite(kw):
    cfg = _cfg(**kw)
    p = models.init_params(KEY, cfg)
    assert all(np.asarray(x).dtype.kind == "f" for x in jax.tree_util.tree_leaves(p))
    u = _u(cfg)
    y = jax.jit(models.apply, static_argnames="cfg")(p, u, cfg=cfg)
    assert y.shape == (B_, 3) and np.all(np.isfinite(np.asarray(y)))
    g = jax.jit(jax.grad(lambda q: jnp.sum(models.apply(q, u, cfg) ** 2)))(p)
    leaves = jax.tree_util.tree_leaves(g)
    assert all(np.all(np.isfinite(np.asarray(x))) for x in leaves)
    assert all(float(jnp.sum(jnp.abs(x))) > 0 for x in jax.tree_util.tree_leaves(g["layers"][0]["ssm"]))
    assert jax.tree_util.tree_structure(g) == jax.tree_util.tree_structure(p)


def _numpy_block(sys_, v):
    """Plain NumPy recurrence x_k = Lambda_bar x_{k-1} + B_bar v_k, y_k = (2) Re(C x_k) + D v_k."""
    lam, Bb, C, D = (np.asarray(sys_[k], np.complex128) for k in ("Lambda_bar", "B_bar", "C", "D"))
    scale = 2.0 if sys_["conj_sym"] else 1.0
    Bsz, L, H = v.shape
    y = np.zeros((Bsz, L, H))
    for b in range(Bsz):
        x = np.zeros(lam.shape, np.complex128)
        for k in range(L):
            if sys_["kind"] == "channels":
                x = lam * x + Bb * v[b, k][:, None]
                y[b, k] = scale * np.real(np.sum(C * x, axis=1)) + np.real(D) * v[b, k]
            else:
                x = lam * x + Bb @ v[b, k]
                y[b, k] = scale * np.real(C @ x) + np.real(D) @ v[b, k]
    return y


@pytest.mark.parametrize(
    "kw",
    [dict(block="s4d"), dict(block="s4d", complex_states=False), dict(block="s5"), dict(block="lru", r_min=0.3, r_max=0.95)],
)
def test_one_layer_equals_numpy_recurrence(kw):
    cfg = _cfg(n_layers=1, nonlinearity="identity", residual=False, norm=None, readout="sequence", **kw)
    p = models.init_params(KEY, cfg)
    u = np.asarray(_u(cfg), np.float64)
    (sys_,) = models.layer_systems(p, cfg)
    assert sys_["conj_sym"] == (cfg.block == "s4d" and cfg.complex_states)
    assert sys_["kind"] == ("channels" if cfg.block == "s4d" else "mimo")
    enc, dec = p["encoder"], p["decoder"]
    v = u @ np.asarray(enc["W"], np.float64) + np.asarray(enc["b"], np.float64)
    z = _numpy_block(sys_, v)
    y_ref = z @ np.asarray(dec["W"], np.float64) + np.asarray(dec["b"], np.float64)
    y = jax.jit(models.apply, static_argnames="cfg")(p, u, cfg=cfg)
    np.testing.assert_allclose(y, y_ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("block", ["s4d", "s5"])
def test_layer_systems_reproduce_ssm_part(block):
    from ssmtheory import ssm

    cfg = _cfg(block=block, n_layers=1, nonlinearity="identity", residual=False, norm=None, readout="sequence", d_output=4)
    p = models.init_params(KEY, cfg)
    p["decoder"] = {"W": jnp.eye(4, dtype=jnp.float32), "b": jnp.zeros(4, jnp.float32)}
    p["encoder"]["b"] = jnp.zeros(4, jnp.float32)
    u = _u(cfg)
    (s,) = models.layer_systems(p, cfg)
    f = ssm.apply_ssm_channels if s["kind"] == "channels" else ssm.apply_ssm
    z = f(s["Lambda_bar"], s["B_bar"], s["C"], s["D"], u @ p["encoder"]["W"], conj_sym=s["conj_sym"])
    np.testing.assert_allclose(models.apply(p, u, cfg), z, rtol=1e-5, atol=1e-5)


def test_layer_systems_shapes_and_stability():
    cfg = _cfg(block="s4d", d_state=6)
    systems = models.layer_systems(models.init_params(KEY, cfg), cfg)
    assert len(systems) == 2
    for s in systems:
        assert s["Lambda_bar"].shape == (4, 6) and s["B_bar"].shape == (4, 6) and s["C"].shape == (4, 6)
        assert s["D"].shape == (4,) and isinstance(s["Lambda_bar"], np.ndarray)
        assert np.all(np.abs(s["Lambda_bar"]) < 1)
    cfg = _cfg(block="s5", d_state=6)
    (s, _) = models.layer_systems(models.init_params(KEY, cfg), cfg)
    assert s["Lambda_bar"].shape == (6,) and s["B_bar"].shape == (6, 4) and s["C"].shape == (4, 6)
    assert s["D"].shape == (4, 4) and np.all(s["D"] == np.diag(np.diag(s["D"])))
    assert np.all(np.abs(s["Lambda_bar"]) < 1)


def test_lru_eigenvalues_in_ring():
    cfg = _cfg(block="lru", d_state=64, r_min=0.4, r_max=0.9, max_phase=np.pi / 2, n_layers=1)
    p = models.init_params(KEY, cfg)
    (s,) = models.layer_systems(p, cfg)
    r, ph = np.abs(s["Lambda_bar"]), np.angle(s["Lambda_bar"])
    assert np.all(r >= 0.4 - 1e-5) and np.all(r <= 0.9 + 1e-5)
    assert np.all(ph >= -1e-5) and np.all(ph <= np.pi / 2 + 1e-5)
    # B normalised by gamma = sqrt(1 - |lambda|^2)
    gamma = np.exp(np.asarray(p["layers"][0]["ssm"]["gamma_log"]))
    np.testing.assert_allclose(gamma, np.sqrt(1 - r**2), rtol=1e-4)


def test_direct_reparam_init_has_s4d_real_parts():
    from ssmtheory import init

    N = 4
    for init_name, complex_states in (("lin", True), ("inv", True), ("real", False)):
        cfg = _cfg(block="s4d", reparam="direct", init=init_name, complex_states=complex_states, d_state=N)
        ssm_p = models.init_params(KEY, cfg)["layers"][0]["ssm"]
        lam = np.asarray(getattr(init, f"s4d_{init_name}")(N))
        np.testing.assert_allclose(ssm_p["w"], np.broadcast_to(lam.real, (4, N)), rtol=1e-6)
        if complex_states:
            np.testing.assert_allclose(ssm_p["im"], np.broadcast_to(lam.imag, (4, N)), rtol=1e-6)
        else:
            assert "im" not in ssm_p


@pytest.mark.parametrize("name", ["exp", "softplus", "best"])
def test_reparam_init_recovers_real_parts(name):
    from ssmtheory import init

    cfg = _cfg(block="s4d", reparam=name, init="lin")
    w = models.init_params(KEY, cfg)["layers"][0]["ssm"]["w"]
    np.testing.assert_allclose(param.reparam(name, w)[0], init.s4d_lin(4).real, rtol=1e-5)


def test_log_dt_range_and_count_params():
    cfg = _cfg(block="s4d", d_model=64, dt_min=1e-3, dt_max=1e-1, nonlinearity="glu")
    p = models.init_params(KEY, cfg)
    log_dt = np.asarray(p["layers"][0]["ssm"]["log_dt"])
    assert np.all(log_dt >= np.log(1e-3) - 1e-6) and np.all(log_dt <= np.log(1e-1) + 1e-6)
    H, N, d_in, d_out = 64, 4, 2, 3
    per_layer = 6 * H * N + 2 * H + (H * 2 * H + 2 * H) + 2 * H  # w, im, B, C (re/im); log_dt, D; glu; norm
    assert models.count_params(p) == d_in * H + H + 2 * per_layer + H * d_out + d_out


def test_residual_norm_and_determinism():
    cfg = _cfg()
    p1, p2 = models.init_params(KEY, cfg), models.init_params(KEY, cfg)
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree_util.tree_leaves(p1), jax.tree_util.tree_leaves(p2)))
    assert "norm" in p1["layers"][0] and "glu" not in p1["layers"][0]
    p3 = models.init_params(jax.random.PRNGKey(5), cfg)
    assert not np.allclose(p1["layers"][0]["ssm"]["C_re"], p3["layers"][0]["ssm"]["C_re"])


def test_config_hashable_and_defaults():
    cfg = _cfg()
    assert hash(cfg) == hash(_cfg()) and cfg == _cfg()
    assert cfg.init == "lin" and cfg.conj_sym
    assert _cfg(complex_states=False).init == "real"
    assert _cfg(block="s5").init == "legs" and not _cfg(block="s5").conj_sym
    assert _cfg(block="lru").init == "ring"
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.d_model = 3


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(block="s6"), "block"),
        (dict(init="hippo"), "init"),
        (dict(block="s4d", init="ring"), "init"),
        (dict(block="s4d", complex_states=False, init="lin"), "init"),
        (dict(nonlinearity="swish"), "nonlinearity"),
        (dict(readout="max"), "readout"),
        (dict(reparam="sigmoid"), "reparam"),
        (dict(norm="batch"), "norm"),
        (dict(method="magic"), "method"),
        (dict(d_model=0), "d_model"),
        (dict(d_state=-2), "d_state"),
        (dict(d_input=1.5), "d_input"),
        (dict(n_layers=-1), "n_layers"),
        (dict(dt_min=0.1, dt_max=0.01), "dt_min"),
        (dict(dt_min=0.0), "dt_min"),
        (dict(r_min=0.9, r_max=0.5), "r_max"),
        (dict(r_max=1.5), "r_max"),
        (dict(max_phase=0.0), "max_phase"),
        (dict(block="lru", complex_states=False), "complex_states"),
        (dict(block="s5", d_state=6, s5_blocks=4), "d_state"),
        (dict(dtype=jnp.int32), "dtype"),
    ],
)
def test_config_validation(kw, field):
    with pytest.raises(ValueError, match=field):
        _cfg(**kw)


def test_apply_bad_input():
    cfg = _cfg()
    p = models.init_params(KEY, cfg)
    with pytest.raises(ValueError, match="u"):
        models.apply(p, jnp.zeros((2, 5, 3)), cfg)
    with pytest.raises(ValueError, match="n_layers"):
        models.apply(p, jnp.zeros((2, 5, 2)), _cfg(n_layers=3))


def test_ssm_input_hook_and_returned_inputs():
    cfg = models.DeepSSMConfig(d_input=1, d_model=4, d_output=2, n_layers=2, d_state=4, method="fft")
    params = models.init_params(jax.random.PRNGKey(0), cfg)
    u = np.random.default_rng(0).normal(size=(3, 20, 1)).astype(np.float32)
    y, inputs = models.apply(params, u, cfg, return_ssm_inputs=True)
    assert len(inputs) == 2 and inputs[0].shape == (3, 20, 4)
    np.testing.assert_allclose(np.asarray(y), np.asarray(models.apply(params, u, cfg)), rtol=1e-6)
    # the encoder output is the first SSM input
    np.testing.assert_allclose(np.asarray(inputs[0]), u @ np.asarray(params["encoder"]["W"]) + np.asarray(params["encoder"]["b"]), rtol=1e-5, atol=1e-6)
    # a hook that adds a constant to layer 1's input changes the output; an identity hook does not
    y_id = models.apply(params, u, cfg, ssm_input_hook=lambda i, v: v)
    np.testing.assert_allclose(np.asarray(y_id), np.asarray(y), rtol=1e-6)
    y_shift, seen = models.apply(params, u, cfg, ssm_input_hook=lambda i, v: v + (i == 1) * 1.0, return_ssm_inputs=True)
    assert not np.allclose(np.asarray(y_shift), np.asarray(y))
    np.testing.assert_allclose(np.asarray(seen[0]), np.asarray(inputs[0]))


def test_public_layer_system_and_raw_weight():
    cfg = models.DeepSSMConfig(d_input=1, d_model=4, d_output=2, n_layers=1, d_state=4, reparam="best")
    params = models.init_params(jax.random.PRNGKey(0), cfg)
    lam, B, C, D, kind = models.layer_system(params["layers"][0]["ssm"], cfg)
    s = models.layer_systems(params, cfg)[0]
    assert kind == s["kind"] == "channels"
    np.testing.assert_allclose(np.asarray(lam), s["Lambda_bar"])
    re = np.array([-0.3, -1.0, -1.9])
    w = models.raw_weight_for_real_part(cfg, re)
    np.testing.assert_allclose(np.asarray(param.reparam("best", jnp.asarray(w))), re, rtol=1e-6)
