"""The SSM core against independent oracles: plain loops, scipy.signal.lfilter / cont2discrete, closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.signal import cont2discrete, lfilter

from ssmtheory import norms, ssm
from _oracles import loop_channels, loop_mimo, random_channels, random_mimo

METHODS = ["scan", "associative", "fft"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("complex_states", [True, False])
def test_apply_mimo_matches_loop(method, complex_states):
    rng = np.random.default_rng(1)
    lam, B, C, D = random_mimo(rng, complex_states=complex_states)
    u = rng.normal(size=(3, 40, 3))
    y = ssm.apply_ssm(lam, B, C, D, u, method=method)
    ref = np.stack([loop_mimo(lam, B, C, D, ui) for ui in u])
    assert y.shape == (3, 40, 2)
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("complex_states", [True, False])
def test_apply_channels_matches_loop(method, complex_states):
    rng = np.random.default_rng(2)
    lam, B, C, D = random_channels(rng, complex_states=complex_states)
    u = rng.normal(size=(2, 33, 4))
    conj = complex_states
    y = ssm.apply_ssm_channels(lam, B, C, D, u, method=method, conj_sym=conj)
    ref = np.stack([loop_channels(lam, B, C, D, ui, conj_sym=conj) for ui in u])
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-10, atol=1e-10)


def test_apply_channels_matches_lfilter():
    """Each (channel, mode) is a first-order IIR filter: x = lfilter([b], [1, -lambda], u)."""
    rng = np.random.default_rng(3)
    lam, B, C, D = random_channels(rng, H=3, N=4)
    u = rng.normal(size=(200, 3))
    ref = np.zeros_like(u)
    for h in range(3):
        acc = sum(C[h, n] * lfilter([B[h, n]], [1.0, -lam[h, n]], u[:, h]) for n in range(4))
        ref[:, h] = 2 * acc.real + D[h] * u[:, h]
    for method in METHODS:
        y = ssm.apply_ssm_channels(lam, B, C, D, u, method=method, conj_sym=True)
        np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-9, atol=1e-9)


def test_float32_agreement_long_sequence():
    """float32 methods agree with the float64 loop to a float32 tolerance over L = 2048."""
    rng = np.random.default_rng(4)
    lam, B, C, D = random_mimo(rng, P=8, radius=0.999)
    u = rng.normal(size=(2048, 3))
    ref = loop_mimo(lam, B, C, D, u)
    for method in METHODS:
        y = ssm.apply_ssm(lam.astype(np.complex64), B.astype(np.complex64), C.astype(np.complex64),
                          D.astype(np.float32), u.astype(np.float32), method=method)
        assert y.dtype == jnp.float32
        err = np.abs(np.asarray(y) - ref).max() / np.abs(ref).max()
        assert err < 2e-4, (method, err)


def test_batch_axes_and_unbatched():
    rng = np.random.default_rng(5)
    lam, B, C, D = random_mimo(rng)
    u = rng.normal(size=(2, 3, 17, 3))
    y = ssm.apply_ssm(lam, B, C, D, u)
    assert y.shape == (2, 3, 17, 2)
    np.testing.assert_allclose(np.asarray(y[1, 2]), np.asarray(ssm.apply_ssm(lam, B, C, D, u[1, 2])), rtol=1e-12)


def test_D_none_means_no_feedthrough():
    rng = np.random.default_rng(6)
    lam, B, C, D = random_mimo(rng)
    u = rng.normal(size=(9, 3))
    np.testing.assert_allclose(np.asarray(ssm.apply_ssm(lam, B, C, None, u)),
                               loop_mimo(lam, B, C, 0 * D, u), atol=1e-12)


@pytest.mark.parametrize("method", ["zoh", "bilinear"])
def test_discretize_matches_cont2discrete(method):
    rng = np.random.default_rng(7)
    P, H = 5, 2
    Lam = -rng.uniform(0.05, 2.0, P) + 1j * rng.normal(0, 3, P)
    Bc = rng.normal(size=(P, H)) + 1j * rng.normal(size=(P, H))
    lb, bb = ssm.discretize(Lam, Bc, 0.1, method)
    ad, bd, *_ = cont2discrete((np.diag(Lam), Bc, np.eye(P), np.zeros((P, H))), 0.1, method=method)
    np.testing.assert_allclose(np.asarray(lb), np.diag(ad), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(bb), bd, rtol=1e-12, atol=1e-14)
    ad2, bd2 = ssm.discretize_dense(np.diag(Lam), Bc, 0.1, method)
    np.testing.assert_allclose(ad2, ad, atol=1e-13)
    np.testing.assert_allclose(bd2, bd, atol=1e-13)


@pytest.mark.parametrize("method", ["zoh", "bilinear"])
def test_discretize_dense_matches_cont2discrete(method):
    rng = np.random.default_rng(8)
    A = rng.normal(size=(4, 4)) - 3 * np.eye(4)
    B = rng.normal(size=(4, 2))
    ad, bd, *_ = cont2discrete((A, B, np.eye(4), np.zeros((4, 2))), 0.05, method=method)
    ad2, bd2 = ssm.discretize_dense(A, B, 0.05, method)
    np.testing.assert_allclose(ad2, ad, atol=1e-13)
    np.testing.assert_allclose(bd2, bd, atol=1e-13)


def test_zoh_small_step_accuracy_and_zero_eigenvalue():
    """ZOH factor (e^{lambda dt} - 1)/lambda is accurate for tiny lambda dt (expm1) and equals dt at lambda = 0."""
    Lam = np.array([0.0 + 0.0j, -1e-9 + 1e-9j, -0.5 + 3j])
    lb, bb = ssm.discretize(Lam, np.ones(3, complex), 1e-3)
    exact = np.array([1e-3, np.expm1(Lam[1] * 1e-3) / Lam[1], (np.exp(Lam[2] * 1e-3) - 1) / Lam[2]])
    exact[1] = 1e-3 * (1 + Lam[1] * 1e-3 / 2)  # series: dt (1 + z/2 + ...)
    np.testing.assert_allclose(np.asarray(bb), exact, rtol=1e-12)
    lb32, bb32 = ssm.discretize(Lam[1:].astype(np.complex64), np.ones(2, np.complex64), np.float32(1e-3))
    np.testing.assert_allclose(np.asarray(bb32), exact[1:], rtol=1e-6)


def test_discretize_per_channel_steps():
    rng = np.random.default_rng(9)
    Lam = -rng.uniform(0.1, 1, (3, 4)) + 1j * rng.normal(size=(3, 4))
    dt = np.array([[0.01], [0.1], [1.0]])
    lb, bb = ssm.discretize(Lam, np.ones((3, 4), complex), dt)
    np.testing.assert_allclose(np.asarray(lb), np.exp(Lam * dt), rtol=1e-13)


def test_kernel_is_the_impulse_response():
    rng = np.random.default_rng(10)
    lam, B, C, D = random_mimo(rng)
    L = 25
    K = np.asarray(ssm.kernel(lam, B, C, L))
    h = np.asarray(ssm.layer_impulse_response(lam, B, C, D, L))
    for i in range(B.shape[1]):
        u = np.zeros((L, B.shape[1]))
        u[0, i] = 1.0
        np.testing.assert_allclose(h[:, :, i], loop_mimo(lam, B, C, D, u), atol=1e-12)
    np.testing.assert_allclose(h[1:], K[1:])
    # cross-module: the control-convention system of norms.layer_to_standard has the same response
    A_s, B_s, C_s, D_s = norms.layer_to_standard(lam, B, C, D)
    np.testing.assert_allclose(norms.impulse_response(A_s, B_s, C_s, D_s, L).real, h, atol=1e-10)


def test_kernel_channels_long_and_conj():
    rng = np.random.default_rng(11)
    lam, B, C, D = random_channels(rng, H=2, N=3, radius=0.999)
    L = 1000  # not a perfect square: exercises the two-factor Vandermonde split
    K = np.asarray(ssm.kernel(lam, B, C, L, conj_sym=True))
    k = np.arange(L)[:, None, None]
    ref = 2 * (C * B * lam[None] ** k).sum(-1).real
    np.testing.assert_allclose(K, ref, rtol=1e-9, atol=1e-11)


def test_gradients_agree_across_methods():
    rng = np.random.default_rng(12)
    lam, B, C, D = random_channels(rng, H=2, N=3)
    u = rng.normal(size=(30, 2))

    def loss(lam_re, method):
        l = jnp.asarray(lam) * jnp.exp(lam_re)
        y = ssm.apply_ssm_channels(l, B, C, D, u, method=method, conj_sym=True, stable=True)
        return jnp.sum(y**2)

    x0 = jnp.full(lam.shape, -0.01)
    grads = [np.asarray(jax.grad(loss)(x0, m)) for m in METHODS]
    for g in grads[1:]:
        np.testing.assert_allclose(g, grads[0], rtol=1e-8)


def test_jit_of_apply():
    rng = np.random.default_rng(13)
    lam, B, C, D = random_mimo(rng)
    u = rng.normal(size=(12, 3))
    f = jax.jit(lambda l, x: ssm.apply_ssm(l, B, C, D, x, method="scan"))
    np.testing.assert_allclose(np.asarray(f(lam, u)), loop_mimo(lam, B, C, D, u), atol=1e-12)


def test_choose_method_rules():
    assert ssm.choose_method("mimo", backend="cpu") == "scan"
    assert ssm.choose_method("channels", backend="cpu", H=64, L=4096) == "fft"
    assert ssm.choose_method("channels", backend="cpu", H=1, L=4096) == "scan"
    assert ssm.choose_method("channels", backend="cpu", H=16, L=64) == "fft"
    assert ssm.choose_method("channels", backend="gpu", H=64, L=4096) == "fft"
    assert ssm.choose_method("mimo", backend="gpu") == "associative"
    assert ssm.choose_method("channels", backend="gpu", stable=False) == "scan"


def test_unstable_system_uses_scan_and_rejects_fft():
    lam = np.array([1.01 + 0j])
    B = np.ones((1, 1), complex)
    C = np.ones((1, 1), complex)
    u = np.ones((10, 1))
    y = ssm.apply_ssm(lam, B, C, None, u)  # auto -> scan
    np.testing.assert_allclose(np.asarray(y)[:, 0], loop_mimo(lam, B, C, np.zeros((1, 1)), u)[:, 0])
    with pytest.raises(ValueError, match="Lambda_bar"):
        ssm.apply_ssm(lam, B, C, None, u, method="fft")


def test_stability_must_be_stated_under_jit():
    """Inside jit the eigenvalues are abstract: ``auto``/``fft`` need ``stable=``; ``stable=False`` runs the scan."""
    rng = np.random.default_rng(3)
    lam = np.exp(-0.05 + 1j * rng.uniform(0, np.pi, 4))[None].repeat(4, 0)  # (H=4, N=4): auto -> fft on CPU
    B = rng.standard_normal((4, 4)) + 0j
    C = rng.standard_normal((4, 4)) + 0j
    u = rng.standard_normal((32, 4))
    ref = ssm.apply_ssm_channels(lam, B, C, None, u, method="scan")
    with pytest.raises(ValueError, match="stable must be stated"):
        jax.jit(lambda l: ssm.apply_ssm_channels(l, B, C, None, u))(lam)
    for stable in (True, False):
        y = jax.jit(lambda l, s=stable: ssm.apply_ssm_channels(l, B, C, None, u, stable=s))(lam)
        np.testing.assert_allclose(np.asarray(y), np.asarray(ref), rtol=1e-9, atol=1e-9)
    # an explicit "scan" needs no statement; a false claim on concrete eigenvalues is refused
    jax.jit(lambda l: ssm.apply_ssm_channels(l, B, C, None, u, method="scan"))(lam)
    with pytest.raises(ValueError, match="stable=True"):
        ssm.apply_ssm(np.array([1.01 + 0j]), np.ones((1, 1)), np.ones((1, 1)), None, np.ones((5, 1)), stable=True)
    with pytest.raises(ValueError, match="stable must be"):
        ssm.apply_ssm(lam[0], B, C[:1], None, u, stable="yes")


# ---------------------------------------------------------------- bad input: clear errors naming the argument
@pytest.fixture
def sys_mimo():
    return random_mimo(np.random.default_rng(0))


def test_bad_method_name(sys_mimo):
    lam, B, C, D = sys_mimo
    with pytest.raises(ValueError, match="method"):
        ssm.apply_ssm(lam, B, C, D, np.zeros((4, 3)), method="fast")
    with pytest.raises(ValueError, match="method"):
        ssm.discretize(lam, B, 0.1, method="euler")


@pytest.mark.parametrize(
    "which, bad, match",
    [
        ("B", np.zeros((5, 3)), "B_bar"),
        ("C", np.zeros((2, 5)), "C"),
        ("D", np.zeros((3, 3)), "D"),
        ("u", np.zeros((4, 2)), "u"),
        ("u", np.zeros(4), "u"),
        ("lam", np.zeros((6, 1)), "Lambda_bar"),
    ],
)
def test_bad_shapes(sys_mimo, which, bad, match):
    lam, B, C, D = sys_mimo
    args = dict(lam=lam, B=B, C=C, D=D, u=np.zeros((4, 3)))
    args[which] = bad
    with pytest.raises(ValueError, match=match):
        ssm.apply_ssm(args["lam"], args["B"], args["C"], args["D"], args["u"])


def test_nan_input_rejected(sys_mimo):
    lam, B, C, D = sys_mimo
    u = np.zeros((4, 3))
    u[2, 1] = np.nan
    with pytest.raises(ValueError, match="u"):
        ssm.apply_ssm(lam, B, C, D, u)
    lam2 = lam.copy()
    lam2[0] = np.nan
    with pytest.raises(ValueError, match="Lambda_bar"):
        ssm.apply_ssm(lam2, B, C, D, np.zeros((4, 3)))


@pytest.mark.parametrize("dt", [0.0, -0.1, np.nan, np.array([0.1, -1.0])])
def test_nonpositive_step_rejected(dt):
    with pytest.raises(ValueError, match="dt"):
        ssm.discretize(np.array([-1.0 + 0j, -2.0 + 0j]), np.ones(2, complex), dt)


def test_conj_sym_needs_complex_and_L_positive():
    rng = np.random.default_rng(0)
    lam, B, C, D = random_mimo(rng, complex_states=False)
    with pytest.raises(ValueError, match="conj_sym"):
        ssm.apply_ssm(lam, B, C, D, np.zeros((3, 3)), conj_sym=True)
    with pytest.raises(ValueError, match="L"):
        ssm.kernel(lam, B, C, 0)


def test_discretize_shape_mismatch():
    with pytest.raises(ValueError, match="B"):
        ssm.discretize(np.array([-1.0, -2.0]), np.ones((3, 2)), 0.1)
    with pytest.raises(ValueError, match="dt"):
        ssm.discretize(np.array([-1.0, -2.0]), np.ones(2), np.array([0.1, 0.2, 0.3]))


# --------------------------------------------------------------------------- the recurrence primitive
@pytest.mark.parametrize("method", ["scan", "associative"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_linear_scan_matches_loop(method, reverse, dtype):
    import jax.numpy as jnp

    r = np.random.default_rng(0)
    L, P = 37, 5
    a = (0.95 * r.uniform(-1, 1, (L, P))).astype(dtype)
    b = r.normal(size=(L, P)).astype(dtype)
    h0 = r.normal(size=P).astype(dtype)
    if np.iscomplexobj(a):
        a = a * np.exp(1j * r.uniform(0, 3, (L, P))).astype(dtype)
    ref = np.zeros((L, P), dtype=np.complex128)
    h = h0.astype(np.complex128)
    order = range(L - 1, -1, -1) if reverse else range(L)
    for k in order:
        h = a[k] * h + b[k]
        ref[k] = h
    y, last = ssm.linear_scan(jnp.asarray(a), jnp.asarray(b), h0=jnp.asarray(h0), reverse=reverse, method=method)
    tol = 1e-5 if np.dtype(dtype).itemsize <= 8 and dtype != np.float64 else 1e-12
    assert np.max(np.abs(np.asarray(y) - ref)) <= tol * max(1.0, np.max(np.abs(ref)))
    assert np.allclose(np.asarray(last), ref[0] if reverse else ref[-1], rtol=tol * 10, atol=tol * 10)


def test_linear_scan_broadcast_grad_and_errors():
    import jax
    import jax.numpy as jnp

    lam = jnp.asarray([0.9, -0.5])
    b = jnp.ones((6, 3, 2))
    y, _ = ssm.linear_scan(lam, b)
    assert y.shape == (6, 3, 2)
    g1 = jax.grad(lambda l: ssm.linear_scan(l, b)[0].sum())(lam)
    g2 = jax.grad(lambda l: ssm.linear_scan(l, b, method="associative")[0].sum())(lam)
    assert np.allclose(g1, g2, rtol=1e-6)
    with pytest.raises(ValueError, match="method"):
        ssm.linear_scan(lam, b, method="fft")
    with pytest.raises(ValueError, match="broadcast"):
        ssm.linear_scan(jnp.ones(3), b)


def test_impulse_response_validates_D_and_kernel_refuses_huge_L():
    lam = np.full((4, 2), 0.9 + 0j)
    B = np.ones((4, 2), complex)
    C = np.ones((4, 2), complex)
    for bad in (np.ones(3), np.array([np.nan, 0, 0, 0]), np.ones((4, 4)), None):
        with pytest.raises(ValueError, match="D"):
            ssm.layer_impulse_response(lam, B, C, bad, 5)
    with pytest.raises(ValueError, match="GiB"):
        ssm.kernel(lam, B, C, 10**9)
