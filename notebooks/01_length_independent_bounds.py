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
# # 01 · Length-independent generalization bounds for deep SSMs
#
# **Paper.** Rácz, Petreczky, Daróczy, *Length independent PAC-Bayes/Rademacher bounds for deep SSM
# architectures via Rademacher contraction and stability constraints* (arXiv 2405.20278, TMLR 2025).
#
# **What the paper claims (verified from the abstract and summaries):** for stacks of stable,
# non-selective LTI SSM blocks (S4 / S5 / LRU-like) followed by position-wise neural nets, a PAC bound on
# the generalization gap that (i) **does not depend on the sequence length $T$**, (ii) **decreases as the
# stability margin of the SSM blocks grows**, (iii) scales as $O(1/\sqrt N)$ in the sample size, and (iv)
# is built by *Rademacher contraction* from impulse-response norms ($\ell_1$ / $H_2$) of the blocks, so that
# depth enters as a product of per-block constants.
#
# **Caveat — read this first.** We could not obtain the paper's full text. The exact theorem below,
# its norms and its constants are **our reconstruction [R]**, derived in this notebook from standard
# Rademacher-contraction lemmas and checked numerically. We report the *shapes* (flat in $T$,
# $1/\sqrt N$, monotone in the margin, product over depth) as the paper's claims; the *constants* are ours.
#
# **What we compute.**
# 1. The bound as a function of $T$ for a fixed stable deep SSM, next to three length-dependent
#    comparators (fig. `T`).
# 2. The bound as the eigenvalue radius sweeps $0.5\ldots0.999$ and at radius $1$ (fig. `margin`).
# 3. A teacher–student task: trained students' measured generalization gap against the bound, over a grid
#    of $N$ and $T$ and several seeds, with the union bound that makes it valid for data-chosen models (fig. `gap`).
# 4. Depth: the bound is the product of per-block constants; with contractive blocks it does not grow (fig. `depth`).
# 5. The complexity term against a Monte Carlo estimate of the empirical Rademacher complexity (fig. `rademacher`).
#
# All formulas live in `ssmtheory.bounds` (docstrings say which parts are [R]); `tests/test_bounds.py` checks
# each ingredient against brute force (truncated impulse-response sums, Lyapunov equations, python-control)
# and the complexity bound against Monte Carlo.

# %% [markdown]
# ## The bound, derived [R]
#
# **Architecture covered.** Inputs $u=(u_1,\ldots,u_T)$ with $\|u_t\|_2\le K_u$; a linear encoder
# $v_{0,t}=W_e^\top u_t+b_e$; blocks $l=1..L$: a diagonal, stable LTI SSM
# $\Sigma_l$ (impulse response $h_0=D$, $h_k=CA^{k-1}B$, $z_t=\sum_{k<t}h_kv_{t-k}$) followed by a
# coordinate-wise $L_\phi$-Lipschitz $\phi$ with $\phi(0)=0$ (ReLU, tanh: $L_\phi=1$), optionally with a
# residual $v+\phi(z)$; readout $f(u)=w^\top v_{L,T}+b$ (or the time mean). **Not covered:** LayerNorm
# (not globally Lipschitz), GLU (not coordinate-wise), selective SSMs. So every model below is a
# `DeepSSMConfig(..., nonlinearity="tanh", norm=None, residual=False)` and `bounds.bound_for_model` refuses
# anything else. The loss is the **clipped** square loss $\ell=\min((\hat y-y)^2,c)\in[0,c]$, which is
# $L_\ell=2\sqrt c$-Lipschitz in $\hat y$ (an unclipped loss is unbounded and no such bound applies).
#
# **The quantity that contracts.** For a class $V$ of feature sequences evaluated on the sample
# $u^1..u^N$ and Rademacher signs $\sigma_i$, let
# $$M(V)=\sup_t\Big(\mathbb E_\sigma\sup_{v\in V}\Big\|\sum_{i=1}^N\sigma_iv(u^i)_t\Big\|_\infty^2\Big)^{1/2}.$$
# The supremum over time sits **outside** the expectation: this is what keeps $T$ out.
#
# * **L1 (input).** $\mathbb E\|\sum_i\sigma_iu^i_t\|_\infty^2\le\mathbb E\|\sum_i\sigma_iu^i_t\|_2^2=\sum_i\|u^i_t\|_2^2\le NK_u^2$,
#   so $M(\text{input})\le\sqrt N K_u$. The encoder bias is folded in as an input coordinate equal to 1: $K=\sqrt{K_u^2+1}$.
# * **L2 (SSM block with a uniform envelope).** If every member of the class has $\|h_k\|_\infty\le\eta_k$, then with
#   $a_s=\|\sum_i\sigma_iv^i_s\|_\infty$: $\|\sum_i\sigma_iz^i_t\|_\infty\le\sum_k\eta_ka_{t-k}$, and by Cauchy–Schwarz
#   $(\sum_k\eta_ka_{t-k})^2\le\|\eta\|_1\sum_k\eta_ka_{t-k}^2$. The sup over the class acts on each $a^2_{t-k}$
#   separately, so $\mathbb E\sup(\cdot)\le\|\eta\|_1\sum_k\eta_k M(V)^2\le\|\eta\|_1^2M(V)^2$: **constant $E=\|\eta\|_1$.**
#   For a diagonal block $h_k=\sum_j\lambda_j^{k-1}C_{:,j}B_{j,:}$ and $\|cb^\top\|_\infty=\|c\|_\infty\|b\|_1$, so
#   $$E=\|D\|_\infty+\sum_j\frac{\|C_{:,j}\|_\infty\|B_{j,:}\|_1}{1-|\lambda_j|}\qquad\Big(E(T)=\|D\|_\infty+\sum_j\beta_j\frac{1-|\lambda_j|^{T-1}}{1-|\lambda_j|}\text{ for length }T\Big).$$
#   $E$ is an upper bound of the $\ell_1$ norm $\sum_k\|h_k\|_\infty$ (checked below and in the tests). For a class
#   $\{|\lambda_j|\le\gamma,\ \sum_j\beta_j\le\beta,\ \|D\|_\infty\le d\}$ the uniform envelope gives $E=d+\beta/(1-\gamma)$.
#   *Weighted-$H_2$ variant:* Cauchy–Schwarz with weights $\gamma^{\pm k}$ gives instead
#   $E_{2,\gamma}=H_{2,\gamma}/\sqrt{1-\gamma^2}$ with $H_{2,\gamma}^2=\sum_k\gamma^{-2k}\|h_k\|^2=\|D\|^2+\gamma^{-2}\mathrm{tr}(CP_\gamma C^*)$,
#   $P_\gamma=(A/\gamma)P_\gamma(A/\gamma)^*+BB^*$ (needs $\rho(A)<\gamma<1$).
# * **L3 (linear map).** $\|\sum_i\sigma_iWv^i\|_\infty\le\|W\|_\infty\|\sum_i\sigma_iv^i\|_\infty$: constant $\|W\|_\infty$ (max absolute row sum).
# * **L4 (coordinate-wise Lipschitz map).** Ledoux–Talagrand (Thm 4.12) with $F(x)=x^2$, indexing the sup by
#   (model, coordinate): constant $2L_\phi$. A residual block adds its input branch: constant $1+2L_\phi E$.
# * **L5 (composition).** Constants multiply: $M(V_L)\le\sqrt N\,K\,\|W_e\|_\infty\prod_l c_l$, $c_l=2L_\phi E_l$.
# * **L6 (readout).** $\hat{\mathfrak R}_S(F)\le(\|w\|_1M(V_L)+|b|\sqrt N)/N$ (time mean: sup of a mean $\le$ mean of sups).
# * **L7 (loss and PAC).** Contraction by $L_\ell$, then Shalev-Shwartz & Ben-David Thm 26.5 for a loss in $[0,c]$.
#
# Together, with probability $\ge1-\delta$:
# $$\mathbb E\ell-\frac1N\sum_i\ell_i\ \le\ \frac{2L_\ell\big(K\|W_e\|_\infty\|w\|_1\prod_{l=1}^L2L_\phi E_l+|b|\big)+4c\sqrt{2\ln(4/\delta)}}{\sqrt N}.$$
# **No $T$ appears**, $E_l$ is finite exactly when the block is stable and grows like $1/(1-\max|\lambda|)$.
# For a model **chosen from data** the norms must be fixed before the data: `bound_for_model(..., grid=NormGrid())`
# rounds every norm up to a geometric grid (ratio 1.25) and pays $\delta\to\delta/|\text{grid}|$ (union bound).
#
# **Length-dependent comparators** (what the bound avoids):
# (i) the same chain with the submultiplicative envelope $\|h_k\|\le\|C\|\|A\|^{k-1}\|B\|$, which grows
# exponentially in $T$ for a non-normal $A$ with $\rho(A)<1<\|A\|_\infty$ (the same system in a non-orthogonal
# state basis); (ii) a union bound over the $T$ output times, a factor $\sqrt{2\ln(2T)}$; (iii) the plain-$H_2$
# *energy* route, which needs $\sum_t\|u_t\|^2\le K^2$ and so pays $K=K_u\sqrt T$ for per-step bounded inputs.

# %% tags=["parameters"]
profile = "quick"  # "quick" (about a minute on 2 CPU cores) or "full" (paper-scale figures)
seed = 0

# %%
import math

import jax

jax.config.update("jax_enable_x64", True)  # norms near |lambda| = 1 and the e^200-sized comparator need float64

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import brentq

from ssmtheory import bounds, claims, models, norms, plotting, stats

NB = "01_length_independent_bounds"
claims.start(notebook=NB, paper="racz-2024", profile=profile)
plotting.use_style()
P = dict(
    quick=dict(Ts=[16, 64, 256, 1024, 4096], radii=[0.5, 0.7, 0.9, 0.95, 0.99, 0.995, 0.999],
               Ns=[100, 300, 1000], Ts_ts=[64, 256], seeds=3, steps=200, n_test=1000, depths=list(range(1, 7)),
               mc_Ns=[30, 100, 300, 1000], n_sigma=400),
    full=dict(Ts=[int(t) for t in 2 ** np.arange(4, 15)], radii=[0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999],
              Ns=[100, 300, 1000, 3000], Ts_ts=[64, 256, 1024], seeds=5, steps=400, n_test=2000, depths=list(range(1, 11)),
              mc_Ns=[30, 100, 300, 1000, 3000], n_sigma=2000),
)[profile]
DELTA, N0, C_LOSS, K_U = 0.05, 1000, 1.0, 1.0  # confidence, reference sample size, clipping level, input bound
print(f"profile={profile}, backend={jax.default_backend()}")


def lru_cfg(n_layers=2, d_model=4, d_state=16, r_max=0.95, residual=False, dtype=jnp.float64):
    return models.DeepSSMConfig(d_input=1, d_model=d_model, d_output=1, n_layers=n_layers, d_state=d_state, block="lru",
                                nonlinearity="tanh", norm=None, residual=residual, readout="last", r_min=0.5, r_max=r_max,
                                dtype=dtype)


def with_radius(params, r):
    """Same model with every block's eigenvalues rescaled so that the largest modulus is r (phases, B, C, D kept)."""
    out = jax.tree_util.tree_map(lambda a: a, params)
    for lp in out["layers"]:
        mod = np.exp(-np.exp(np.asarray(lp["ssm"]["nu_log"])))
        new = r * mod / mod.max()
        with np.errstate(divide="ignore"):
            lp["ssm"]["nu_log"] = jnp.asarray(np.log(-np.log(new)))  # |lambda| = 1 gives nu_log = -inf, exp(-exp(-inf)) = 1
    return out


# %% [markdown]
# ## 1 · The bound is flat in $T$; the comparators grow
#
# A fixed deep SSM: 2 LRU blocks, 4 channels, 16 complex states each, tanh, eigenvalue moduli in $[0.5, r_{\max}]$.
# We evaluate the bound with the **finite-horizon** envelope $E_l(T)$ (the lags a length-$T$ input can use), so any
# dependence on $T$ would show. Left: every curve divided by its value at $T=16$ (log scale). For comparator (i) we
# write each block in a state basis $V=I+sU$ ($U$ random strictly upper triangular) with $s$ chosen so that
# $\|VAV^{-1}\|_\infty=1.05$ while $\rho(A)\le r_{\max}$ — the same input–output map, a mildly non-normal realization
# (middle panel: it grows like $1.05^T$). Right: the per-block envelope $E_l(T)$ and the true truncated $\ell_1$ norm $\sum_{k<T}\|h_k\|_\infty$ of block 1.
#
# **Claim thresholds** (from the issue, fixed in advance): $|B(4096)-B(1024)|/B(1024)<10^{-3}$ for $r_{\max}\le0.95$,
# and each comparator grows by more than 5% over the same range.

# %%
Ts = P["Ts"]
i1024, i4096 = Ts.index(1024), Ts.index(4096)
curves, reps = {}, {}
for r in (0.9, 0.95, 0.99, 0.999):
    cfg = lru_cfg(r_max=r)
    params = models.init_params(jax.random.PRNGKey(seed), cfg)
    reps[r] = [bounds.bound_for_model(params, cfg, N=N0, delta=DELTA, K_u=K_U, c_loss=C_LOSS, T=T) for T in Ts]
    curves[f"our bound, $r_{{max}}$={r}"] = np.array([rp.bound for rp in reps[r]])

cfg95 = lru_cfg(r_max=0.95)
params95 = models.init_params(jax.random.PRNGKey(seed), cfg95)
blocks95 = [bounds.block_standard(s) for s in models.layer_systems(params95, cfg95)]
rep0 = reps[0.95][0]
Lloss = rep0.lipschitz_loss

# (i) submultiplicative envelope in a non-normal basis
rng = np.random.default_rng(seed)
nonnormal = []
for A, B, C, D in blocks95:
    U = np.triu(rng.normal(size=(A.size, A.size)), 1)
    s = brentq(lambda s: np.abs(bounds.nonnormal_realization(A, B, C, D, np.eye(A.size) + s * U)[0]).sum(1).max() - 1.05, 0.0, 10.0)
    nonnormal.append(bounds.nonnormal_realization(A, B, C, D, np.eye(A.size) + s * U))
h_a = norms.impulse_response(*blocks95[0], 64)
h_b = norms.impulse_response(*nonnormal[0], 64)
print("non-normal realization: ||A||_inf =", [round(float(np.abs(a[0]).sum(1).max()), 4) for a in nonnormal],
      " rho =", [round(norms.spectral_radius(a[0]), 4) for a in nonnormal],
      " same impulse response (max diff):", float(np.abs(h_a - h_b).max()))
comp_i = np.array([bounds.generalization_bound(bounds.complexity_numerator(
    rep0.K, rep0.readout_l1, [bounds.block_constant(bounds.power_norm_envelope(*nn, T=T), rep0.lipschitz) for nn in nonnormal],
    Lloss, rep0.encoder_norm, rep0.bias_abs), N0, C_LOSS, DELTA) for T in Ts])
# (ii) union bound over time
comp_ii = np.array([(rp.numerator * bounds.union_over_time_factor(T) + rp.confidence) / math.sqrt(N0) for rp, T in zip(reps[0.95], Ts)])
# (iii) plain-H2 energy route
q = blocks95[-1][1].shape[1]
cL_h2 = 2 * rep0.lipschitz * math.sqrt(q) * norms.h2_norm(*blocks95[-1])
comp_iii = np.array([bounds.generalization_bound(bounds.energy_h2_numerator(
    K_U, T, rp.readout_l1, rp.block_c[:-1], cL_h2, Lloss, rp.encoder_norm, rp.bias_abs), N0, C_LOSS, DELTA) for rp, T in zip(reps[0.95], Ts)])
comps = {"(i) $\\|C\\|\\|A\\|^{k-1}\\|B\\|$ chain (non-normal basis)": comp_i,
         "(ii) union bound over time, $\\sqrt{2\\ln 2T}$": comp_ii,
         "(iii) plain-$H_2$ energy route, $K=K_u\\sqrt{T}$": comp_iii}

E_T = np.array([[bounds.l1_envelope(*blk, T=T) for T in Ts] for blk in blocks95])
true_l1 = np.array([np.abs(norms.impulse_response(*blocks95[0], T).real).sum(-1).max(-1).sum() for T in Ts])

fig, (ax0, axi, ax1) = plt.subplots(1, 3, figsize=(17, 4.6), gridspec_kw=dict(width_ratios=[1.3, 1, 1]))
for name, y in curves.items():
    ax0.plot(Ts, y / y[0], "o-", label=name)
for (name, y), m, c in zip(list(comps.items())[1:], ("^--", "v--"), ("C4", "C5")):
    ax0.plot(Ts, y / y[0], m, color=c, label=name + ", $r_{max}$=0.95")
name_i = list(comps)[0]
ax0.plot([], [], "s--", color="C6", label=name_i + " → middle panel")
ax0.set(xscale="log", yscale="log", xlabel="sequence length T", ylabel="bound / bound at T = 16",
        title=f"bound vs T (2 LRU blocks, N = {N0}, δ = {DELTA})")
ax0.set_ylim(0.8, 30)
axi.plot(Ts, comp_i / comp_i[0], "s--", color="C6", label=name_i + ", $r_{max}$=0.95")
axi.plot(Ts, curves["our bound, $r_{max}$=0.95"] / curves["our bound, $r_{max}$=0.95"][0], "o-", color="C1", label="our bound, $r_{max}$=0.95")
axi.set(xscale="log", yscale="log", xlabel="sequence length T", ylabel="bound / bound at T = 16",
        title="comparator (i): $\|A\|_\infty$ = 1.05 > 1 > ρ(A)")
if not np.all(np.isfinite(comp_i)):
    t_of = Ts[int(np.argmax(~np.isfinite(comp_i)))]
    axi.annotate(f"T ≥ {t_of}: > 1e308 (float64 overflow)", xy=(0.3, 0.45), xycoords="axes fraction", fontsize=8)
for ax in (ax0, axi):
    ax.set_xticks(Ts[::2], [str(t) for t in Ts[::2]])
    ax.minorticks_off()
    ax.legend(fontsize=7.5)
for l in range(E_T.shape[0]):
    ax1.plot(Ts, E_T[l], "o-", label=f"envelope $E_{l + 1}(T)$")
ax1.plot(Ts, true_l1, "k*--", label=r"true $\sum_{k<T}\|h_k\|_\infty$, block 1")
ax1.set(xscale="log", yscale="log", xlabel="sequence length T", ylabel="per-block constant", title="l1 envelope ≥ true l1 norm ($r_{max}$ = 0.95)")
ax1.set_xticks(Ts[::2], [str(t) for t in Ts[::2]])
ax1.minorticks_off()
ax1.legend(fontsize=8)
fig_T = plotting.save_figure(fig, NB, "T")
plt.show()

flat = max(abs(curves[f"our bound, $r_{{max}}$={r}"][i4096] / curves[f"our bound, $r_{{max}}$={r}"][i1024] - 1) for r in (0.9, 0.95))
claims.check("racz.flat_in_T", flat, 1e-3, "<", figure=fig_T.name,
             description="bound with finite-horizon envelopes: max over r_max in {0.9, 0.95} of |B(4096)-B(1024)|/B(1024)")
for key, (name, y) in zip(("power_norm", "union_time", "energy_h2"), comps.items()):
    claims.check(f"racz.comparator_{key}_grows", float(y[i4096] / y[i1024]), 1.05, ">", figure=fig_T.name,
                 description=f"length-dependent comparator {name.split(' ')[0]} grows from T=1024 to 4096: B(4096)/B(1024)")
claims.check("racz.envelope_ge_true_l1", float((E_T[0] / true_l1).min()), 1.0, ">=", figure=fig_T.name,
             description="the l1 envelope E(T) is an upper bound of the true truncated l1 norm of block 1 (min ratio over T)")
print("B(4096)/B(1024):", {k: float(v[i4096] / v[i1024]) for k, v in {**curves, **comps}.items()})

# %% [markdown]
# ## 2 · The bound and the stability margin
#
# The same 2-block model with every block's eigenvalue moduli rescaled so that $\max_j|\lambda_j|=r$ (phases, $B$, $C$,
# $D$ unchanged). Left, against the margin $1-r$ (log–log): the $\ell_1$ envelope $E_1$, the plain $H_2$ norm, the
# weighted-$H_2$ constant ($\gamma=(1+r)/2$), $(1-r)E_1$, and the bound. As $r\to1$, $E$ grows like $(1-r)^{-1}$ (reference
# slope $-1$); the bound, a product of two blocks, like $(1-r)^{-2}$; $H_2$ only like $(1-r)^{-1/2}$ (the slopes are
# asymptotic: at moderate $r$ the modes of smaller modulus still contribute) — but $H_2$ alone
# does not give a length-independent bound for per-step bounded inputs (comparator iii).
# Right: at $r=1$ the infinite-horizon bound is $+\infty$ and the finite-horizon one grows at least linearly in $T$
# (reference slope 1); at $r=0.99$ it saturates after $T\approx 1/(1-r)$.
#
# **Thresholds:** strictly decreasing in the margin (every ratio of consecutive bounds $<1$); $(1-r)E_l\le\|D_l\|_\infty+\beta_l$
# (the sum of all mode coefficients at $r=1$, an a-priori constant of the model); at $r=1$ the log–log slope of $E_1(T)$
# over $T\in[2^{12},2^{16}]$ is $\ge0.95$ (a constant offset $a$ in $E=a+\beta T$ lowers the slope by
# $\ln(1+a/\beta T_1)/\ln 16$; $0.05$ allows $a\le 600\beta$) and that of the 2-block bound is $\ge1$.

# %%
radii = P["radii"]
base = models.init_params(jax.random.PRNGKey(seed), cfg95)
rows = []
for r in radii:
    p_r = with_radius(base, r)
    rep = bounds.bound_for_model(p_r, cfg95, N=N0, delta=DELTA, K_u=K_U, c_loss=C_LOSS)
    blk = bounds.block_standard(models.layer_systems(p_r, cfg95)[0])
    rows.append(dict(r=r, B=rep.bound, E1=rep.block_E[0], E=rep.block_E, H2=norms.h2_norm(*blk),
                     WH2=bounds.weighted_h2_constant(*blk, gamma=(1 + r) / 2)))
margin = 1 - np.array(radii)
Bm = np.array([row["B"] for row in rows])
E1 = np.array([row["E1"] for row in rows])

p1 = with_radius(base, 1.0)
rep1 = bounds.bound_for_model(p1, cfg95, N=N0, delta=DELTA, K_u=K_U, c_loss=C_LOSS)
blocks1 = [bounds.block_standard(s) for s in models.layer_systems(p1, cfg95)]
cap = [float(np.abs(D).sum(1).max() + bounds.mode_coefficients(A, B, C).sum()) for A, B, C, D in blocks1]
T_unit = [int(t) for t in 2 ** np.arange(4, 17)]
E_unit = np.array([bounds.l1_envelope(*blocks1[0], T=T) for T in T_unit])
B_unit = np.array([bounds.bound_for_model(p1, cfg95, N=N0, delta=DELTA, K_u=K_U, c_loss=C_LOSS, T=T).bound for T in T_unit])
p99 = with_radius(base, 0.99)
B_99 = np.array([bounds.bound_for_model(p99, cfg95, N=N0, delta=DELTA, K_u=K_U, c_loss=C_LOSS, T=T).bound for T in T_unit])

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(13, 4.6))
ax0.plot(margin, E1, "o-", label="$\\ell_1$ envelope $E_1$")
ax0.plot(margin, [row["WH2"] for row in rows], "s-", label="weighted-$H_2$ constant $E_{2,\\gamma}$, $\\gamma=(1+r)/2$")
ax0.plot(margin, [row["H2"] for row in rows], "^-", label="plain $H_2$ norm, block 1")
ax0.plot(margin, margin * E1, "d-", label="$(1-r)\\,E_1$")
ax0.plot(margin, Bm, "k*-", label=f"bound (N = {N0})")
ref = margin[-1] / margin
ax0.plot(margin, E1[-1] * ref, ":", color="grey", label="slope −1")
ax0.plot(margin, Bm[-1] * ref**2, "--", color="grey", label="slope −2")
ax0.set(xscale="log", yscale="log", xlabel="stability margin 1 − r", ylabel="value", title="constants vs stability margin")
ax0.legend(fontsize=7.5)
ax1.plot(T_unit, E_unit, "o-", label="$E_1(T)$, r = 1")
ax1.plot(T_unit, B_unit, "k*-", label="bound(T), r = 1")
ax1.plot(T_unit, B_99, "s-", label="bound(T), r = 0.99")
ax1.plot(T_unit, E_unit[-1] * np.array(T_unit) / T_unit[-1], ":", color="grey", label="slope 1")
ax1.set(xscale="log", yscale="log", xlabel="sequence length T", ylabel="value", title="finite horizon at the unit circle")
ax1.legend(fontsize=8)
fig_margin = plotting.save_figure(fig, NB, "margin")
plt.show()

order = np.argsort(margin)  # increasing margin
claims.check("racz.bound_decreasing_in_margin", float(np.max(Bm[order][1:] / Bm[order][:-1])), 1.0, "<", figure=fig_margin.name,
             description="bound strictly decreasing in the stability margin 1-r (max ratio of consecutive bounds, r from 0.999 to 0.5)")
ratio_cap = max(float(np.max(margin * np.array([row["E"][l] for row in rows]))) / cap[l] for l in range(len(cap)))
claims.check("racz.margin_times_E_bounded", ratio_cap, 1.0, "<=", figure=fig_margin.name,
             description="(1-r) E_l stays below ||D_l||_inf + beta_l (max over the sweep and blocks, as a ratio)")
claims.check("racz.bound_infinite_at_unit_radius", 1.0 / rep1.bound, 0.0, "<=", figure=fig_margin.name,
             description="at r = 1 the infinite-horizon envelope and bound are +inf (observed: 1/bound)")
sel = [i for i, t in enumerate(T_unit) if t >= 2**12]
claims.check("racz.finite_horizon_linear_at_unit_radius", stats.log_slope(np.array(T_unit)[sel], E_unit[sel]), 0.95, ">=", figure=fig_margin.name,
             description="at r = 1 the finite-horizon envelope E_1(T) grows at least linearly: log-log slope over T in [2^12, 2^16]")
claims.check("racz.finite_horizon_bound_superlinear_at_unit_radius", stats.log_slope(np.array(T_unit)[sel], B_unit[sel]), 1.0, ">=",
             figure=fig_margin.name, description="at r = 1 the finite-horizon 2-block bound grows at least linearly in T (log-log slope)")
print("E_1 * (1 - r):", np.round(margin * E1, 3), " cap:", np.round(cap, 3))

# %% [markdown]
# ## 3 · Teacher–student: measured gap vs the bound
#
# Teacher: a fixed random 1-block LRU network ($r_{\max}=0.9$, tanh, last-step readout) rescaled to unit output
# variance; inputs $u_t\sim U[-1,1]$ i.i.d. ($K_u=1$); labels $y=\text{teacher}(u)+0.5\,\varepsilon$. Students: the same
# architecture (4 channels, 8 states, ~160 parameters), trained with Adam on the squared error for a fixed number of
# steps from `seeds` initializations and data draws, for every $N$ and $T$ of the grid; all students of one $T$ are
# trained in a single `vmap`-ed, jitted loop (`bounds.teacher_student`). We report the **clipped** loss
# ($c=1$): gap = test loss (on fresh examples) − training loss. The bound for each student uses `NormGrid` (ratio
# 1.25, $\sim10^{11}$ classes for one block), so it is valid for these data-chosen students. LRU blocks are
# stable by construction ($|\lambda|=e^{-e^{\nu}}<1$), so every student is a stable student.
#
# **The bound is vacuous here** (it exceeds the loss range $[0,1]$ by orders of magnitude, as all such norm-based
# bounds do): we compare *trends*, and still check gap ≤ bound in every run (a real, if loose, check).
#
# **Thresholds.** (a) gap ≤ bound in every run. (b) *Gap flat in $T$*: the energy route (iii) predicts gap $\propto\sqrt T$,
# a bound flat in $T$ predicts no growth. We average $\text{gap}\cdot\sqrt N$ over $N$ and seeds at $T_{\min}$ and $T_{\max}$ and
# require the ratio to be below the geometric midpoint of the two predictions, $(T_{\max}/T_{\min})^{1/4}$.
# (c) $1/\sqrt N$: for the fixed class that contains every trained student (its grid levels are the maxima over
# students), the log–log slope of the bound in $N$ is $-0.5\pm0.01$.

# %%
cfg_s = lru_cfg(n_layers=1, d_state=8, r_max=0.95, dtype=jnp.float32)
cfg_t = lru_cfg(n_layers=1, d_state=8, r_max=0.9, dtype=jnp.float32)
grid = bounds.NormGrid()
seeds = [seed + i for i in range(P["seeds"])]
runs = []
for T in P["Ts_ts"]:
    res = bounds.teacher_student(cfg_s, cfg_t, P["Ns"], T, seeds, steps=P["steps"], c_loss=C_LOSS, n_test=P["n_test"])
    for i in range(len(res["N"])):
        rep = bounds.bound_for_model(res["params"][i], cfg_s, N=int(res["N"][i]), delta=DELTA, K_u=K_U, c_loss=C_LOSS, grid=grid)
        runs.append(dict(T=T, N=int(res["N"][i]), seed=int(res["seed"][i]), train=float(res["train"][i]), test=float(res["test"][i]),
                         gap=float(res["gap"][i]), bound=rep.bound, levels=rep.levels, numerator=rep.numerator))
Ns, Tts = P["Ns"], P["Ts_ts"]
gap = np.array([r_["gap"] for r_ in runs])
bnd = np.array([r_["bound"] for r_ in runs])
Nr = np.array([r_["N"] for r_ in runs])
Tr = np.array([r_["T"] for r_ in runs])

# the fixed class containing every trained student (max of every grid level) and its bound as a function of N
lv = [r_["levels"] for r_ in runs]
cls_blocks = [dict(beta=max(l["blocks"][b]["beta"] for l in lv), d=max(l["blocks"][b]["d"] for l in lv),
                   margin=min(l["blocks"][b]["margin"] for l in lv)) for b in range(cfg_s.n_layers)]
cls_num = bounds.complexity_numerator(
    math.sqrt(K_U**2 + 1), max(l["readout_l1"] for l in lv),
    [bounds.block_constant(bounds.class_envelope(1 - cb["margin"], cb["beta"], cb["d"])) for cb in cls_blocks],
    bounds.clipped_square_lipschitz(C_LOSS), max(l["encoder"] for l in lv), max(l["bias"] for l in lv))
delta_eff = DELTA / grid.size(cfg_s.n_layers)
N_dense = np.geomspace(min(Ns), max(Ns), 20)
B_class = np.array([bounds.generalization_bound(cls_num, n, C_LOSS, delta_eff) for n in N_dense])

fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
colors = dict(zip(Tts, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
for T in Tts:
    m = Tr == T
    axes[0].plot(Nr[m], bnd[m], "o", color=colors[T], alpha=0.6, label=f"data-chosen bound, T = {T}")
    axes[1].plot(Nr[m] * (1 + 0.04 * Tts.index(T)), gap[m], "o", color=colors[T], alpha=0.7, label=f"T = {T}")
    mg = [np.mean(gap[m & (Nr == n)] * math.sqrt(n)) for n in Ns]
axes[0].plot(N_dense, B_class, "k-", label="fixed class containing all students (slope −1/2)")
axes[0].axhline(C_LOSS, color="r", lw=1, ls="--", label="loss range (c = 1)")
axes[0].set(xscale="log", yscale="log", xlabel="training set size N", ylabel="bound on the gap", title="bound vs N (vacuous: > 1)")
axes[0].legend(fontsize=7.5)
axes[1].axhline(0, color="k", lw=0.8)
axes[1].set(xscale="log", xlabel="training set size N", ylabel="test − train clipped loss", title="measured generalization gap")
axes[1].legend(fontsize=8)
for n, mk in zip(Ns, "osd^"):
    g = [gap[(Tr == T) & (Nr == n)] * math.sqrt(n) for T in Tts]
    axes[2].errorbar(Tts, [x.mean() for x in g], yerr=[x.std() for x in g], marker=mk, capsize=3, label=f"N = {n}")
g_mean = np.array([np.mean(gap[Tr == T] * np.sqrt(Nr[Tr == T])) for T in Tts])
axes[2].plot(Tts, g_mean, "k*-", ms=11, label="mean over N and seeds")
axes[2].plot(Tts, g_mean[0] * np.sqrt(np.array(Tts) / Tts[0]), "--", color="grey", label="energy route: ∝ √T")
axes[2].set(xscale="log", xlabel="sequence length T", ylabel="gap · √N", title="gap does not grow with T")
axes[2].set_xticks(Tts, [str(t) for t in Tts])
axes[2].minorticks_off()
axes[2].legend(fontsize=7.5)
fig_gap = plotting.save_figure(fig, NB, "gap")
plt.show()

claims.check("racz.gap_below_bound", float(np.max(gap / bnd)), 1.0, "<=", figure=fig_gap.name,
             description=f"measured gap <= data-chosen bound (grid union bound, delta={DELTA}) in every run: max gap/bound over {len(runs)} runs")
claims.check("racz.gap_flat_in_T", float(g_mean[-1] / g_mean[0]), (Tts[-1] / Tts[0]) ** 0.25, "<", figure=fig_gap.name,
             description=f"mean gap*sqrt(N) at T={Tts[-1]} over T={Tts[0]} below (T ratio)^(1/4), the midpoint of flat and sqrt(T)")
claims.check("racz.bound_inv_sqrt_N", abs(stats.log_slope(N_dense, B_class) + 0.5), 0.01, "<=", figure=fig_gap.name,
             description="fixed class containing all students: |log-log slope of the bound in N + 0.5|")
slope_chosen = stats.log_slope(Nr, bnd)
print(f"bounds: {bnd.min():.3g} .. {bnd.max():.3g};  gaps: {gap.min():.3f} .. {gap.max():.3f};  "
      f"slope of the data-chosen bound in N: {slope_chosen:.2f};  Spearman(T, gap*sqrt(N)) = {stats.spearman(Tr, gap * np.sqrt(Nr)):.2f}")

# %% [markdown]
# The data-chosen bound falls faster than $N^{-1/2}$ (slope printed above): students trained on more data end with
# smaller norms and a larger stability margin, so they land in smaller classes. The theorem's $N^{-1/2}$ is about a
# fixed class, which is what claim (c) tests.
#
# ## 4 · Depth: a product of per-block constants
#
# Deep LRU stacks of depth $L=1..$ with each block rescaled ($C$, $D$ multiplied by a constant, which scales $E_l$
# linearly) so that its constant $c_l=2L_\phi E_l$ equals $0.9$ (contractive), $1.5$ (expansive), or $0.9$ inside a
# residual block ($c_l=1+0.9$). The bound's complexity term must equal
# $2L_\ell(K\|W_e\|_\infty\|w\|_1\prod_lc_l+|b|)$ recomputed from the per-block envelopes (round-off: $10\,L\,\varepsilon$ relative),
# and with contractive blocks it must not grow with depth (each ratio $B(L+1)/B(L)\le1$; the readout and encoder
# norms are re-drawn with each depth, so we normalise by them).

# %%
def scaled_model(L, c_target, residual=False):
    cfg = lru_cfg(n_layers=L, d_state=8, residual=residual)
    p = models.init_params(jax.random.PRNGKey(seed + 100), cfg)
    for lp, s in zip(p["layers"], models.layer_systems(p, cfg)):
        f = c_target / (2 * bounds.l1_envelope(*bounds.block_standard(s)))
        for k in ("C_re", "C_im", "D"):
            lp["ssm"][k] = lp["ssm"][k] * f
    return p, cfg


depths = P["depths"]
dep = {}
prod_err = 0.0
for name, c_t, res in (("contractive, $c_l$ = 0.9", 0.9, False), ("expansive, $c_l$ = 1.5", 1.5, False), ("residual, $c_l$ = 1 + 0.9", 0.9, True)):
    vals = []
    for L in depths:
        p, cfg = scaled_model(L, c_t, res)
        rep = bounds.bound_for_model(p, cfg, N=N0, delta=DELTA, K_u=K_U, c_loss=C_LOSS)
        cs = [bounds.block_constant(bounds.l1_envelope(*bounds.block_standard(s)), 1.0, 1.0, res) for s in models.layer_systems(p, cfg)]
        expect = 2 * rep.lipschitz_loss * (rep.K * rep.encoder_norm * rep.readout_l1 * np.prod(cs) + rep.bias_abs)
        prod_err = max(prod_err, abs(rep.numerator / expect - 1) / (10 * L * np.finfo(float).eps))
        # normalise away the readout / encoder norms that are re-drawn at each depth
        vals.append((rep.numerator / (2 * rep.lipschitz_loss) - rep.bias_abs) / (rep.K * rep.encoder_norm * rep.readout_l1))
    dep[name] = np.array(vals)

fig, ax = plt.subplots(figsize=(7, 4.4))
for (name, v), m in zip(dep.items(), "os^"):
    ax.plot(depths, v, m + "-", label=name)
ax.axhline(1, color="grey", lw=0.8)
ax.set(yscale="log", xlabel="depth L (number of SSM blocks)", ylabel=r"product of block constants $\prod_l c_l$",
       title="depth enters as a product of per-block constants")
ax.legend()
fig_depth = plotting.save_figure(fig, NB, "depth")
plt.show()

claims.check("racz.depth_product", prod_err, 1.0, "<=", figure=fig_depth.name,
             description="complexity term equals 2 L_loss (K a ||w||_1 prod_l c_l + |b|) from per-block envelopes (error in units of 10 L eps)")
v = dep["contractive, $c_l$ = 0.9"]
claims.check("racz.contractive_depth_nonincreasing", float(np.max(v[1:] / v[:-1])), 1.0, "<=", figure=fig_depth.name,
             description="with contractive blocks (c_l = 0.9) the depth product does not grow with depth: max ratio from L to L+1")

# %% [markdown]
# ## 5 · The complexity term against Monte Carlo
#
# For the single-block linear class $\{f(u)=w\,z_T:\ |h_k|\le\eta_k,\ |w|\le1\}$ (it contains every SISO SSM whose
# impulse response lies under the envelope $\eta$) the supremum over the class is explicit:
# $\hat{\mathfrak R}_S=\frac1N\mathbb E_\sigma\sum_k\eta_k|\sum_i\sigma_iu^i_{T-k}|$; we estimate the expectation with
# Rademacher draws on the teacher–student inputs ($U[-1,1]$, $T=256$) and compare with the bound's complexity term
# for this class, $\|\eta\|_1K_u/\sqrt N$ (lemmas L1, L2, L6). Envelope: $\eta_0=0.5$, $\eta_k=\sum_j\beta_j|\lambda_j|^{k-1}$
# for 8 modes with $|\lambda_j|\in[0.5,0.95]$.
#
# For i.i.d. $U[-1,1]$ inputs the central limit theorem gives $\mathbb E|\sum_i\sigma_iu^i|\approx\sqrt{2N/(3\pi)}$, so the
ratio estimate/bound should sit near $\sqrt{2/(3\pi)}\approx0.46$ (it is exactly the $K_u$ in L1 that is loose, by $\sqrt3$,
plus $\sqrt{\pi/2}$ from $\mathbb E|S|\le(\mathbb ES^2)^{1/2}$).

**Thresholds:** the estimate plus three standard errors is below the bound at every $N$; its log–log slope in $N$
# is $-0.5\pm0.05$ (the estimate's relative standard error is about $1/\sqrt{n_\sigma}$; 0.05 is well above it).

# %%
rng = np.random.default_rng(seed + 7)
lam_mc = rng.uniform(0.5, 0.95, 8)
beta_mc = rng.uniform(0.1, 1.0, 8) / 8
Tmc = 256
eta = np.concatenate([[0.5], (beta_mc[None] * lam_mc[None] ** np.arange(Tmc - 1)[:, None]).sum(1)])
mc = np.array([bounds.mc_rademacher_envelope_class(rng.uniform(-1, 1, (n, Tmc)), eta, n_sigma=P["n_sigma"], seed=seed + n) for n in P["mc_Ns"]])
bd = np.array([bounds.envelope_class_complexity_bound(1.0, eta, n) for n in P["mc_Ns"]])

fig, ax = plt.subplots(figsize=(7, 4.4))
ax.errorbar(P["mc_Ns"], mc[:, 0], yerr=3 * mc[:, 1], fmt="o-", capsize=3, label="Monte Carlo $\\hat{\\mathfrak{R}}_S$ (± 3 s.e.)")
ax.plot(P["mc_Ns"], bd, "k*-", label="bound $\\|\\eta\\|_1 K_u/\\sqrt{N}$")
ax.set(xscale="log", yscale="log", xlabel="sample size N", ylabel="Rademacher complexity",
       title=f"linear envelope class, T = {Tmc}, inputs U[−1, 1]")
ax.legend()
fig_mc = plotting.save_figure(fig, NB, "rademacher")
plt.show()

claims.check("racz.mc_rademacher_below_bound", float(np.max((mc[:, 0] + 3 * mc[:, 1]) / bd)), 1.0, "<=", figure=fig_mc.name,
             description="Monte Carlo empirical Rademacher complexity (+3 s.e.) <= the bound's complexity term, every N")
claims.check("racz.mc_rademacher_inv_sqrt_N", abs(stats.log_slope(P["mc_Ns"], mc[:, 0]) + 0.5), 0.05, "<=", figure=fig_mc.name,
             description="the Monte Carlo Rademacher complexity itself decays like N^(-1/2): |log-log slope + 0.5|")
print("MC / bound:", np.round(mc[:, 0] / bd, 3))

# %% [markdown]
# ## Summary
#
# * The reconstructed bound is flat in $T$ to round-off once $T$ exceeds a few memory lengths $1/(1-r)$, while a
#   submultiplicative chain in a non-normal basis, a union bound over time and the energy-$H_2$ route all grow.
# * It decreases monotonically with the stability margin, like $(1-r)^{-L}$ for $L$ blocks, and is infinite at the unit
#   circle, where its finite-horizon version grows at least linearly in $T$.
# * On a teacher–student task the measured gap is orders of magnitude below the (vacuous) bound, and does not grow
#   with $T$; the bound of a fixed class falls like $N^{-1/2}$, the data-chosen one faster.
# * Depth enters as a product of per-block constants: it shrinks with contractive blocks and grows geometrically
#   otherwise; residual blocks always have constant $\ge1$.
#
# ## Claims

# %%
claims.finalize()
