"""Property tests: scan == associative scan == FFT convolution on random stable systems, float32 and float64."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ssmtheory import ssm
from _oracles import random_channels, random_mimo

TOL = {np.float64: 1e-9, np.float32: 5e-4}


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    P=st.integers(1, 8),
    L=st.integers(1, 300),
    radius=st.floats(0.0, 0.999),
    complex_states=st.booleans(),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_mimo_methods_agree(seed, P, L, radius, complex_states, dtype):
    rng = np.random.default_rng(seed)
    lam, B, C, D = random_mimo(rng, P=P, H_in=2, H_out=2, radius=radius, complex_states=complex_states)
    cdt = np.complex64 if dtype == np.float32 else np.complex128
    cast = (lambda a: a.astype(cdt)) if complex_states else (lambda a: a.astype(dtype))
    u = rng.normal(size=(2, L, 2)).astype(dtype)
    ys = [np.asarray(ssm.apply_ssm(cast(lam), cast(B), cast(C), D.astype(dtype), u, method=m))
          for m in ("scan", "associative", "fft")]
    scale = max(1.0, np.abs(ys[0]).max())
    for y in ys[1:]:
        assert np.abs(y - ys[0]).max() / scale < TOL[dtype]


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    H=st.integers(1, 5),
    N=st.integers(1, 6),
    L=st.integers(1, 300),
    radius=st.floats(0.0, 0.999),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_channel_methods_agree(seed, H, N, L, radius, dtype):
    rng = np.random.default_rng(seed)
    lam, B, C, D = random_channels(rng, H=H, N=N, radius=radius)
    cdt = np.complex64 if dtype == np.float32 else np.complex128
    u = rng.normal(size=(L, H)).astype(dtype)
    ys = [np.asarray(ssm.apply_ssm_channels(lam.astype(cdt), B.astype(cdt), C.astype(cdt), D.astype(dtype), u,
                                            method=m, conj_sym=True)) for m in ("scan", "associative", "fft")]
    scale = max(1.0, np.abs(ys[0]).max())
    for y in ys[1:]:
        assert np.abs(y - ys[0]).max() / scale < TOL[dtype]
