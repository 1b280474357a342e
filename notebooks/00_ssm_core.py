# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · The SSM core, checked
#
# Every later notebook stands on a handful of primitives in `ssmtheory`. This notebook is a
# literate tour of them, and each statement it makes is a **claim**: a named, numerical check
# with a threshold fixed in advance by a round-off or closed-form argument.
#
# **Conventions** (used everywhere in the package):
#
# $$x_k = \bar\Lambda \odot x_{k-1} + \bar B u_k,\qquad y_k = \mathrm{Re}(C x_k) + D u_k,\qquad x_{-1}=0,$$
#
# with $\bar\Lambda$ the diagonal of the discrete state matrix, complex or real, and
# `conj_sym=True` meaning $y_k = 2\,\mathrm{Re}(Cx_k)$ when only one eigenvalue of each conjugate
# pair is stored. The continuous-time system $x' = \Lambda x + Bu$ is discretized by
# zero-order hold ($\bar\Lambda = e^{\Lambda\Delta}$, $\bar B = (\bar\Lambda - 1)\Lambda^{-1}B$) or bilinear.
#
# What we check:
# 1. the three ways of applying an SSM (sequential scan, associative scan, FFT convolution with the
#    Vandermonde kernel) agree with each other and with a plain NumPy loop;
# 2. our discretizations equal `scipy.signal.cont2discrete`;
# 3. the kernel is the impulse response, and the $H_2$ norm computed three ways (closed form,
#    Lyapunov equation, truncated impulse-response sum) agrees;
# 4. what the standard initializations look like (spectra and kernels), and how long each method takes.

# %% tags=["parameters"]
profile: str = "quick"  # "quick" (about a minute on 2 CPU cores) or "full" (paper-scale figures)
seed: int = 0
timing_lengths: list = None  # sequence lengths for the timing figure; None = the profile's preset

# %% [markdown]
# ## Declarations
#
# This notebook checks the core, not a paper: every check below is a **sanity** check (agreement with an
# independent oracle, or a property of our own construction), so nothing is declared as a paper claim.
# Sanity checks never count as reproductions, but a failing one still fails the notebook.

# %%
from ssmtheory.harness import claims

NB = "00_ssm_core"
claims.start(notebook=NB, paper="core", profile=profile)  # validates profile before the heavy imports
if timing_lengths is None:
    timing_lengths = [256, 1024, 4096] if profile == "quick" else [256, 1024, 4096, 16384, 65536]

# %%
import time

import jax

jax.config.update("jax_enable_x64", True)  # oracle comparisons in float64; float32 is tested explicitly

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from scipy.signal import cont2discrete

from ssmtheory import init, norms, ssm
from ssmtheory.harness import plotting

plotting.use_style()
rng = np.random.default_rng(seed)
print(f"profile={profile}, backend={jax.default_backend()}")

# %% [markdown]
# ## 1 · Three ways to apply one SSM
#
# * **scan**: `lax.scan` over time, O(LP) work, depth L;
# * **associative**: `lax.associative_scan` with $(a_i,b_i)\circ(a_j,b_j) = (a_ja_i,\ a_jb_i+b_j)$, depth O(log L);
# * **fft**: $y = K * u + Du$ with the kernel $K_k = \mathrm{Re}(C\,\mathrm{diag}(\bar\Lambda)^k\bar B)$, by FFT of length 2L.
#
# **Threshold.** A linear recurrence evaluated in floating point has a backward error of a few units in
# the last place per step, so the forward error of $y$ is at most about
# $L\cdot\varepsilon\cdot\sum_k\|K_k\|\cdot\max|u|$. Relative to $\max|y|$ we therefore allow
# $10\,L\,\varepsilon\,\kappa$ with $\kappa = \sum_k\|K_k\|\max|u| / \max|y|$, computed from the system itself.

# %%
def random_system(P=16, H=4, radius=0.995):
    lam = radius * rng.uniform(0.3, 1.0, P) * np.exp(1j * rng.uniform(-np.pi, np.pi, P))
    B = (rng.normal(size=(P, H)) + 1j * rng.normal(size=(P, H))) / np.sqrt(2 * H)
    C = (rng.normal(size=(H, P)) + 1j * rng.normal(size=(H, P))) / np.sqrt(2 * P)
    D = rng.normal(size=(H, H)) / np.sqrt(H)
    return lam, B, C, D


def loop_oracle(lam, B, C, D, u):
    x = np.zeros(lam.shape, complex)
    out = np.empty((u.shape[0], C.shape[0]))
    for k, uk in enumerate(u):
        x = lam * x + B @ uk
        out[k] = (C @ x).real + D @ uk
    return out


# %%
L = 2000
lam, B, C, D = random_system()
u = rng.normal(size=(L, 4))
y_ref = loop_oracle(lam, B, C, D, u)
K = np.asarray(ssm.kernel(lam, B, C, L))
kappa = np.abs(K).sum(0).max() * np.abs(u).max() / np.abs(y_ref).max()

errors = {}
for dtype, cdt, eps in ((np.float64, np.complex128, np.finfo(np.float64).eps), (np.float32, np.complex64, np.finfo(np.float32).eps)):
    for method in ("scan", "associative", "fft"):
        y = ssm.apply_ssm(lam.astype(cdt), B.astype(cdt), C.astype(cdt), D.astype(dtype), u.astype(dtype), method=method)
        errors[(np.dtype(dtype).name, method)] = float(np.abs(np.asarray(y) - y_ref).max() / np.abs(y_ref).max())
    worst = max(v for (d, _), v in errors.items() if d == np.dtype(dtype).name)
    claims.sanity(
        f"core.methods_agree_{np.dtype(dtype).name}", worst, 10 * L * eps * kappa, "<=",
        description=f"scan, associative scan and FFT equal a NumPy loop (max relative error, {np.dtype(dtype).name}, L={L})",
    )
for k, v in errors.items():
    print(f"{k[0]:>8} {k[1]:>12}: {v:.2e}")

# %% [markdown]
# The same holds for the S4D layout (independent SISO systems per channel) and for real states with
# negative eigenvalues; the unit and property tests (`tests/test_ssm*.py`) cover those cases with
# hypothesis-generated systems.
#
# ## 2 · Discretization equals `scipy.signal.cont2discrete`
#
# For a diagonal $A$, `cont2discrete` returns $(A_d, B_d)$ from a matrix exponential of the augmented
# system; ours uses the closed forms elementwise. Both are accurate to a few ulps of $|\Lambda\Delta|$,
# so we require agreement to $100\,\varepsilon_{64}$ relative.

# %%
P = 32
Lam = -rng.uniform(0.05, 2.0, P) + 1j * rng.normal(0, 20, P)
Bc = rng.normal(size=(P, 3)) + 1j * rng.normal(size=(P, 3))
for method in ("zoh", "bilinear"):
    lb, bb = ssm.discretize(Lam, Bc, 0.05, method)
    ad, bd, *_ = cont2discrete((np.diag(Lam), Bc, np.eye(P), np.zeros((P, 3))), 0.05, method=method)
    err = max(np.abs(np.asarray(lb) - np.diag(ad)).max() / np.abs(np.diag(ad)).max(),
              np.abs(np.asarray(bb) - bd).max() / np.abs(bd).max())
    claims.sanity(f"core.discretize_{method}_matches_scipy", err, 100 * np.finfo(float).eps, "<=",
                 description=f"{method} discretization equals scipy.signal.cont2discrete (max relative difference)")

# %% [markdown]
# ## 3 · Kernel, impulse response and the $H_2$ norm
#
# Feeding a unit impulse through the layer gives $h_0 = K_0 + D$, $h_k = K_k$. `norms` works in the
# control convention ($s_{k+1} = As_k + Bu_k$, $h_0 = D$, $h_k = CA^{k-1}B$);
# `norms.layer_to_standard` converts a layer (with its $\mathrm{Re}(\cdot)$ and same-step input) into that form.
# Then $\|\Sigma\|_{H_2}^2 = \sum_k\|h_k\|_F^2$ is computed three ways:
#
# * closed form for diagonal $A$: $\|D\|_F^2 + \mathrm{tr}(CPC^*)$, $P_{jl} = (BB^*)_{jl}/(1-\lambda_j\bar\lambda_l)$;
# * the discrete Lyapunov equation $P = APA^* + BB^*$ (`scipy.linalg.solve_discrete_lyapunov`);
# * the truncated sum $\sum_{k<T}\|h_k\|_F^2$, whose tail is at most $\sum_{k\ge T}(\sum_j\|C_{:,j}\|\|B_{j,:}\|\,|\lambda_j|^{k-1})^2$.
#
# The closed form and Lyapunov solve the same linear system with different rounding; the condition
# number of that system is at most $1/(1-\rho^2)$, so we allow $10^3\,\varepsilon/(1-\rho^2)$.

# %%
lam, B, C, D = random_system(P=24, H=3, radius=0.99)
A_s, B_s, C_s, D_s = norms.layer_to_standard(lam, B, C, D)
h_layer = np.asarray(ssm.layer_impulse_response(lam, B, C, D, 50))
h_std = norms.impulse_response(A_s, B_s, C_s, D_s, 50).real
claims.sanity("core.kernel_is_impulse_response", float(np.abs(h_layer - h_std).max()), 1e-12, "<=",
             description="ssm.layer_impulse_response equals the control-convention impulse response of the converted system")

rho = norms.spectral_radius(A_s)
h2_cf = norms.h2_norm(A_s, B_s, C_s, D_s, method="closed_form")
h2_ly = norms.h2_norm(A_s, B_s, C_s, D_s, method="lyapunov")
T = int(np.ceil(np.log(1e-20) / np.log(rho)))  # |lambda|^(2T) < 1e-20: tail below the round-off of the sum
h = norms.impulse_response(A_s, B_s, C_s, D_s, T)
h2_sum = float(np.sqrt((np.abs(h) ** 2).sum()))
tol = 1e3 * np.finfo(float).eps / (1 - rho**2)
claims.sanity("core.h2_closed_form_eq_lyapunov", abs(h2_cf - h2_ly) / h2_ly, tol, "<=",
             description="H2 norm: diagonal closed form equals the Lyapunov solution (relative difference)")
claims.sanity("core.h2_eq_impulse_sum", abs(h2_cf - h2_sum) / h2_cf, tol, "<=",
             description=f"H2 norm equals sqrt(sum ||h_k||_F^2) truncated at T={T} (relative difference)")
l1 = norms.l1_norm(A_s, B_s, C_s, D_s)
claims.sanity("core.l1_certified_enclosure", l1.upper / l1.value - 1, 1e-9, "<=",
             description="l1 norm of the impulse response: truncated sum and certified geometric tail bound enclose it within 1e-9")
print(f"rho={rho:.3f}  H2: closed form {h2_cf:.12f}, Lyapunov {h2_ly:.12f}, sum {h2_sum:.12f};  l1 in [{l1.value:.10f}, {l1.upper:.10f}]")

# %% [markdown]
# ## 4 · The standard initializations
#
# Left: continuous-time eigenvalues $\Lambda$ of S4D-Lin, S4D-Inv, S4D-LegS (the eigenvalues of the
# HiPPO-LegS normal part), S4D-Real, and the LRU ring mapped back to continuous time with
# $\Delta = 1$ ($\Lambda = \log\bar\Lambda$). Right: the kernel $K_k$ of one channel ($B = C = 1$, ZOH with
# $\Delta = 0.01$) — how far back each initialization remembers. All initializations must be stable
# ($\mathrm{Re}\,\Lambda < 0$, hence $|\bar\Lambda| < 1$ after ZOH).

# %%
N = 32
inits = {
    "S4D-Lin": init.s4d_lin(N),
    "S4D-Inv": init.s4d_inv(N),
    "S4D-LegS": init.s4d_legs(N),
    "S4D-Real": init.s4d_real(N).astype(complex),
    "LRU ring (Δ=1)": np.log(init.lru_ring(seed, N, r_min=0.9, r_max=0.999, max_phase=np.pi)),
}

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.4))
Lk = 3000
for name, Lam0 in inits.items():
    ax0.scatter(-Lam0.real, np.abs(Lam0.imag), s=14, label=name)
    conj = name != "S4D-Real"
    lb, bb = ssm.discretize(Lam0[None, :], np.ones((1, N), complex), 0.01)
    Kk = np.asarray(ssm.kernel(lb, bb, np.ones((1, N), complex), Lk, conj_sym=conj))[:, 0]
    env = np.maximum.accumulate(np.abs(Kk)[::-1])[::-1]  # running max from the right: the decay envelope
    ax1.plot(np.arange(Lk), env / env.max(), lw=1.5, label=name)
ax0.set(xscale="log", yscale="symlog", xlabel="−Re Λ (decay rate)", ylabel="|Im Λ| (frequency)", title="continuous-time spectra (N = 32 stored states)")
ax0.set_ylim(-0.5, None)
ax1.set(yscale="log", ylim=(1e-6, 2), xlabel="lag k", ylabel="envelope of |K_k| / max|K|", title="memory of one channel (ZOH, Δ = 0.01, B = C = 1)")
ax0.legend(fontsize=8)
fig_inits = plotting.save_figure(fig, NB, "initializations")
max_re = max(float(np.max(v.real)) for v in inits.values())
claims.sanity("core.inits_stable", max_re, 0.0, "<", figure=fig_inits.name,
             description="every initialization has Re(Lambda) < 0 (max over S4D-Lin/Inv/LegS/Real, LRU ring)")
plt.show()

# %% [markdown]
# ## 5 · How long each method takes
#
# Wall time of one jitted forward pass (compile excluded, median of 3) of an S4D-layout layer with
# H = 32 channels × N = 32 states and of an S5-layout layer with P = 32 states, batch 4, float32.
# This is an illustration; the benchmark `benchmarks/bench_apply.py` measures the same against
# `scipy.signal.lfilter` and a NumPy loop in one run and justifies what `method="auto"` picks (README).

# %%
def time_call(f, repeats=3):
    jax.block_until_ready(f())
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(f())
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


Hc, Nc, batch = 32, 32, 4
lam_c = (np.exp(-rng.uniform(1e-3, 0.1, (Hc, Nc))) * np.exp(1j * rng.uniform(0, np.pi, (Hc, Nc)))).astype(np.complex64)
Bc_ = np.ones((Hc, Nc), np.complex64)
Cc_ = (rng.normal(size=(Hc, Nc)) + 1j * rng.normal(size=(Hc, Nc))).astype(np.complex64)
Dc_ = np.zeros(Hc, np.float32)
lam_m, B_m, C_m, D_m = (a.astype(t) for a, t in zip(random_system(P=32, H=Hc), (np.complex64, np.complex64, np.complex64, np.float32)))
times = {}
for Lt in timing_lengths:
    ut = rng.normal(size=(batch, Lt, Hc)).astype(np.float32)
    for method in ("scan", "associative", "fft"):
        times[("channels", method, Lt)] = time_call(lambda: ssm.apply_ssm_channels(lam_c, Bc_, Cc_, Dc_, ut, method=method, conj_sym=True))
        times[("mimo", method, Lt)] = time_call(lambda: ssm.apply_ssm(lam_m, B_m, C_m, D_m, ut, method=method))

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, layout in zip(axes, ("channels", "mimo")):
    auto = {Lt: ssm.choose_method(layout, H=Hc, L=Lt) for Lt in timing_lengths}
    for method in ("scan", "associative", "fft"):
        ts = [times[(layout, method, Lt)] * 1e3 for Lt in timing_lengths]
        ax.plot(timing_lengths, ts, "o-", label=method)
    ax.plot(timing_lengths, [times[(layout, auto[Lt], Lt)] * 1e3 for Lt in timing_lengths], "k*", ms=12, label='method="auto"')
    ax.set(xscale="log", yscale="log", xlabel="sequence length L", title=f"{layout} layout, batch {batch}, float32, {jax.default_backend()}")
    ax.set_xticks(timing_lengths, [str(Lt) for Lt in timing_lengths])
    ax.minorticks_off()
axes[0].set_ylabel("forward pass (ms)")
axes[0].legend()
fig_timing = plotting.save_figure(fig, NB, "timing")
plt.show()

# %% [markdown]
# ## Claims

# %%
claims.finalize();
