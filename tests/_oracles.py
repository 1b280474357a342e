"""Independent references for the SSM core: plain Python loops, no JAX."""

import numpy as np


def random_mimo(rng, P=6, H_in=3, H_out=2, radius=0.97, complex_states=True):
    if complex_states:
        lam = radius * rng.uniform(0.2, 1.0, P) * np.exp(1j * rng.uniform(-np.pi, np.pi, P))
        B = rng.normal(size=(P, H_in)) + 1j * rng.normal(size=(P, H_in))
        C = rng.normal(size=(H_out, P)) + 1j * rng.normal(size=(H_out, P))
    else:
        lam = radius * rng.uniform(-1.0, 1.0, P)
        B = rng.normal(size=(P, H_in))
        C = rng.normal(size=(H_out, P))
    D = rng.normal(size=(H_out, H_in))
    return lam, B, C, D


def random_channels(rng, H=4, N=5, radius=0.97, complex_states=True):
    if complex_states:
        lam = radius * rng.uniform(0.2, 1.0, (H, N)) * np.exp(1j * rng.uniform(-np.pi, np.pi, (H, N)))
        B = rng.normal(size=(H, N)) + 1j * rng.normal(size=(H, N))
        C = rng.normal(size=(H, N)) + 1j * rng.normal(size=(H, N))
    else:
        lam = radius * rng.uniform(-1.0, 1.0, (H, N))
        B = rng.normal(size=(H, N))
        C = rng.normal(size=(H, N))
    return lam, B, C, rng.normal(size=H)


def loop_mimo(lam, B, C, D, u, conj_sym=False):
    """y_k = Re(C x_k) + D u_k, x_k = lam x_{k-1} + B u_k, for u (L, H_in)."""
    x = np.zeros(lam.shape, dtype=np.result_type(lam, B, complex))
    out = []
    for uk in u:
        x = lam * x + B @ uk
        y = C @ x
        out.append((2.0 if conj_sym else 1.0) * y.real + D @ uk)
    return np.array(out)


def loop_channels(lam, B, C, D, u, conj_sym=False):
    x = np.zeros(lam.shape, dtype=np.result_type(lam, B, complex))
    out = []
    for uk in u:
        x = lam * x + B * uk[:, None]
        y = (C * x).sum(-1)
        out.append((2.0 if conj_sym else 1.0) * y.real + D * uk)
    return np.array(out)
