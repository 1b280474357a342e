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
# # 02 · A data-dependent generalization measure, and the two designs built on it (Liu & Li 2024)
#
# Liu & Li, *From Generalization Analysis to Optimization Designs for State Space Models*
# (ICML 2024, arXiv 2405.02670), bound the generalization gap of a one-layer SSM by a quantity that
# depends on the **temporal statistics of the input**, and turn it into two training designs: an
# initialization **scaling rule** and a **regularizer**. This notebook recomputes each step and checks it
# with named claims.
#
# **Source status — read this first.** We could not read the paper's full text; the theorem below comes
# from a *secondary source* quoting its LaTeX and from the ICLR-2024 reviews (`shared/papers/liu-li-2024.md`).
# We mark each item:
#
# | item | status |
# |---|---|
# | setting: $y_\theta(T)=\int_0^T\rho_\theta(T-s)x(s)\,ds$, $\rho_\theta(s)=Ce^{As}B$, $x$ a Gaussian process with mean $\mu(t)$, covariance $K(s,t)$; squared loss | secondary [S] |
# | theorem: $\sup_\Theta\lvert R_x-R_n\rvert\le(\psi(\Theta)+1)^2\,O\big(\log^{3/2}(Tn/\delta)/\sqrt n\big)$ w.p. $1-\delta$ | secondary [S] |
# | first term of $\psi$: $\sup_\theta\int_0^T\lvert\rho_\theta(T-s)\rvert\sqrt{K(s,s)}\,ds$ | secondary [S] |
# | second term of $\psi$: $\sup_\theta\lvert\int_0^T\rho_\theta(T-s)\mu(s)\,ds\rvert$ (the source breaks off at "+ su…") | **our reconstruction** [R] |
# | the per-$\theta$ measure $\tau(\theta)$ below (the "$\lambda\tau(\theta)$" regularizer and "$1/\sqrt{\tau}$ rescaling" are named in secondary sources, the formula is not) | **our reconstruction** [R] |
# | scaling rule $C\leftarrow C/\sqrt{\tau(\theta_0)}$ (eq. (8)) and regularizer $R_n+\lambda\tau$ (eq. (9)), ICLR numbering | secondary [S] |
# | layer-by-layer scaling, regularizer summed over layers/channels with batch statistics, MIMO form | **our reconstruction** [R] |
# | constant inside $O(\cdot)$, λ values, optimizer, epochs, every table number | **not found** — nothing hard-coded |
#
# **The measure** [R]. For a discrete layer with kernel $k$ (`ssm.kernel`, without the skip $D$) read out at the last step,
#
# $$y_T=\sum_{j=0}^{L-1}k_j\,x_{L-1-j},\qquad
# \tau(\theta)=\Big(\underbrace{\sum_j|k_j|\,\sigma_{L-1-j}}_{a(\theta)}+\underbrace{\Big|\sum_j k_j\,\mu_{L-1-j}\Big|}_{m(\theta)}\Big)^2,$$
#
# the Riemann sum of the integrals above ($\Delta$ sits inside $\bar B$). Mind the index direction:
# $k_j$ multiplies $x_{L-1-j}$. $\psi(\Theta)=\sup_\Theta a+\sup_\Theta m\ \ (\ge\sqrt{\tau(\theta)})$.
#
# **Fact 2, derived** [R]: *for any input with mean $\mu_t$ and covariance $K$ (Gaussian or not), $E[y_T^2]\le\tau(\theta)$.*
# Write $w_t=k_{L-1-t}$ so that $y_T=\sum_t w_t x_t$. Then
#
# $$E[y_T^2]=\big(E y_T\big)^2+\mathrm{Var}\,y_T=\Big(\sum_t w_t\mu_t\Big)^2+\sum_{s,t}w_sw_tK(s,t).$$
#
# By Cauchy–Schwarz $|K(s,t)|=|\mathrm{Cov}(x_s,x_t)|\le\sigma_s\sigma_t$, so
# $\sum_{s,t}w_sw_tK(s,t)\le\sum_{s,t}|w_s||w_t|\sigma_s\sigma_t=a^2$, and the first term is $m^2$. Hence
# $E[y_T^2]\le m^2+a^2\le(a+m)^2=\tau$. Equality needs perfectly correlated inputs
# ($K=\sigma\sigma^\top$, $w_t\sigma_t$ of one sign) **and** $am=0$. Two consequences: rescaling $C$
# (so $k$) by $1/\sqrt\tau$ gives $\tau=1$ and $E[y_T^2]\le1$ for every input pattern (fact 1), and
# $\tau$ sees only $\mu_t$ and $\sigma_t$, never the correlations (fact 3) — so it can be far from $E[y_T^2]$.
#
# What we check (all numbers recomputed here; the package functions are in `ssmtheory.measure` and `ssmtheory.processes`):
# 1. $E[y_T^2]\le\tau$ for random $\theta$ and seven input processes — exactly (closed-form covariance) and by Monte Carlo;
# 2. the blind spot: two processes with equal marginals but different correlations get the same $\tau$;
# 3. the scaling rule makes the output scale robust to the temporal pattern;
# 4. the regularizer on a small-sample noisy regression task: $\tau$, the gap and the test loss against $\lambda$;
#    $\tau$ tracks the gap, and the gap shrinks with $n$ (with the theorem's shape, constant unknown);
# 5. a 2-layer S4D stand-in for the paper's LRA table: baseline / scaling / regularizer / both.

# %% tags=["parameters"]
profile = "quick"  # "quick" (about a minute on 2 CPU cores) or "full" (paper-quality figures)
seed = 0

# %%
import time

import jax

# float64: the exact second moments, the 1e-12 equality of tau in the blindness check and tau = 1 +- 1e-6
# after the scaling rule need it; the deep model (section 5) still trains in float32 (its cfg.dtype).
jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

from ssmtheory import claims, init, measure, models, plotting, processes, ssm, stats, tasks

NB = "02_data_dependent_bounds"
claims.start(notebook=NB, paper="liu-li-2024", profile=profile)
plotting.use_style()
P = dict(
    quick=dict(L=256, n_theta=6, n_mc=4096, L_scale=500, n_stat=256, reg_steps=1500, reg_seeds=5,
               deep_train=1000, deep_steps=300, deep_seeds=3),
    full=dict(L=1000, n_theta=16, n_mc=16384, L_scale=1000, n_stat=256, reg_steps=3000, reg_seeds=5,
              deep_train=1000, deep_steps=800, deep_seeds=5),
)[profile]
rng = np.random.default_rng(seed)
T0 = time.perf_counter()
print(f"profile={profile}, seed={seed}, backend={jax.default_backend()}")


# %% [markdown]
# ## 1 · $E[y_T^2]\le\tau(\theta)$ for random $\theta$ and seven input processes
#
# Random single-channel S4D systems ($N=8$ stored complex modes, $\mathrm{Re}\,\lambda\sim-U(0.1,3)$,
# $\mathrm{Im}\,\lambda\sim U(0,60)$, $\Delta\sim\log U(10^{-3},10^{-1})$, $B=1$, complex normal $C$) and the seven
# processes of `ssmtheory.processes` (white, offset, Brownian, AR(1) from rest, sinusoid + noise, tiny noise, and a
# stationary AR(1)). Every process is Gaussian with a closed-form covariance, so $E[y_T^2]$ is known **exactly**;
# $\tau$ uses the exact $\mu_t,\sigma_t$.
#
# *Monte Carlo, without a fudge factor:* from $M$ samples the estimate $\hat m_2=\overline{y_T^2}$ has standard error
# $\widehat{se}=\mathrm{sd}(y_T^2)/\sqrt M$. We test the bound with the one-sided lower confidence limit
# $\hat m_2-z\,\widehat{se}\le\tau$, $z$ Bonferroni-corrected over all cases for a 1 % family-wise error, and check
# the Monte Carlo against the exact value with the two-sided limit. The exact inequality is checked to round-off.

# %%
def random_s4d_kernel(r, L, N=8):
    lam = -r.uniform(0.1, 3.0, N) + 1j * r.uniform(0, 60.0, N)
    dt = np.exp(r.uniform(np.log(1e-3), np.log(1e-1)))
    lb, bb = ssm.discretize(lam[None], np.ones((1, N), complex), dt)
    C = r.normal(size=(1, N)) + 1j * r.normal(size=(1, N))
    return np.asarray(ssm.kernel(lb, bb, C, L, conj_sym=True))[:, 0]


L = P["L"]
procs = dict(processes.standard_patterns())
stat_ar = processes.ar1(0.9, np.sqrt(1 - 0.9**2), stationary=True, name="AR(1) φ=0.9 stationary")
procs[stat_ar.name] = stat_ar
kernels = np.stack([random_s4d_kernel(rng, L) for _ in range(P["n_theta"])])
n_cases = len(procs) * len(kernels)
z1 = norm.ppf(1 - 0.01 / n_cases)        # one-sided, Bonferroni
z2 = norm.ppf(1 - 0.01 / (2 * n_cases))  # two-sided, Bonferroni
rows = []
for i, (name, p) in enumerate(procs.items()):
    mu, sd, K = p.mean(L), p.std(L), p.cov(L)
    X = p.sample(rng, P["n_mc"], L)
    Y2 = np.asarray(X @ kernels[:, ::-1].T) ** 2  # (M, n_theta): y_T = sum_j k_j x_{L-1-j}
    for j, k in enumerate(kernels):
        rows.append(dict(proc=name, theta=j, tau=float(measure.tau(k, mu, sd)),
                         exact=float(measure.second_moment(k, mu, K)),
                         mc=Y2[:, j].mean(), se=Y2[:, j].std() / np.sqrt(len(Y2))))
tau_ = np.array([r["tau"] for r in rows]); ex = np.array([r["exact"] for r in rows])
mc = np.array([r["mc"] for r in rows]); se = np.array([r["se"] for r in rows])

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.4))
for c, name in enumerate(procs):
    sel = np.array([r["proc"] == name for r in rows])
    ax0.scatter(tau_[sel], ex[sel] / tau_[sel], s=28, color=f"C{c}", label=name)
    ax0.errorbar(tau_[sel], mc[sel] / tau_[sel], yerr=z1 * se[sel] / tau_[sel], fmt="none", color=f"C{c}", alpha=0.5)
ax0.axhline(1.0, color="k", ls="--", lw=1, label="bound: E[y²] = τ")
ax0.set(xscale="log", yscale="log", xlabel="τ(θ)", ylabel="E[y_T²] / τ(θ)",
        title=f"dots: exact; bars: Monte Carlo ± z·se (M={P['n_mc']}, z={z1:.2f})")
ax0.legend(fontsize=7, loc="lower left")
ax1.scatter(ex, (mc - ex) / se, s=12)
ax1.axhline(z2, color="k", ls=":", lw=1); ax1.axhline(-z2, color="k", ls=":", lw=1, label=f"±z (two-sided, z={z2:.2f})")
ax1.set(xscale="log", xlabel="exact E[y_T²]", ylabel="(Monte Carlo − exact) / se", title="Monte Carlo vs closed form")
ax1.legend()
fig_bound = plotting.save_figure(fig, NB, "second_moment_vs_tau")
plt.show()

claims.check("liuli.second_moment_le_tau_exact", float(np.max(ex / tau_)), 1 + 1e-10, "<=", figure=fig_bound.name,
             description=f"exact E[y_T^2] / tau(theta) <= 1 (+round-off) over {n_cases} (theta, process) cases (fact 2, derived)")
claims.check("liuli.second_moment_le_tau_mc", float(np.max((mc - z1 * se) / tau_)), 1.0, "<=", figure=fig_bound.name,
             description=f"Monte Carlo (M={P['n_mc']}) lower confidence limit of E[y_T^2] <= tau (one-sided, Bonferroni 1%)")
claims.check("liuli.mc_matches_exact", float(np.max(np.abs(mc - ex) / se)), z2, "<=", figure=fig_bound.name,
             description="Monte Carlo E[y_T^2] agrees with the closed form (max |MC - exact| / se, two-sided Bonferroni 1%)")
print(f"E[y^2]/tau ranges over [{np.min(ex / tau_):.2e}, {np.max(ex / tau_):.3f}]: the bound holds and is often loose")

# %% [markdown]
# ## 2 · Where $\tau$ is blind: same marginals, different correlations
#
# White N(0,1) noise and a stationary AR(1) with $\phi=0.99$ scaled to N(0,1) marginals have identical
# $\mu_t=0$, $\sigma_t=1$, hence **identical $\tau$** for every $\theta$. Their outputs are not alike: for a
# low-pass kernel the correlated input adds up coherently ($E[y_T^2]\approx(\sum_j k_j)^2$ as $\phi\to1$),
# the white one does not ($E[y_T^2]=\sum_jk_j^2$). The gap between $E[y_T^2]$ and $\tau$ — the bound's slack — is
# governed entirely by the correlations, which $\tau$ (and the reconstructed $\psi$) ignore; depending on the kernel the
# correlated input gives a larger *or* a smaller $E[y_T^2]$ (an oscillating kernel averages a slow input away). We use S4D-Lin
# kernels ($N=32$, random complex $C$) at several step sizes $\Delta$. Claim: the two $\tau$ agree to $10^{-12}$
# (relative) while, for at least one $\Delta$, the true second moments differ by at least a factor 10 (an
# order of magnitude, fixed before computing).

# %%
white, corr = processes.same_marginals_pair(0.99)
dts = [1e-3, 1e-2, 1e-1, 1.0]
lin = init.s4d_lin(32)
Cb = rng.normal(size=(1, 32)) + 1j * rng.normal(size=(1, 32))
blind = []
for dt in dts:
    lb, bb = ssm.discretize(lin[None], np.ones((1, 32), complex), dt)
    k = np.asarray(ssm.kernel(lb, bb, Cb, L, conj_sym=True))[:, 0]
    blind.append({nm: (float(measure.tau(k, p.mean(L), p.std(L))), float(measure.second_moment(k, p.mean(L), p.cov(L))))
                  for nm, p in (("white", white), ("corr", corr))})
tau_diff = max(abs(b["white"][0] - b["corr"][0]) / b["white"][0] for b in blind)
ratios = np.array([b["corr"][1] / b["white"][1] for b in blind])

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw=dict(width_ratios=[1, 1.2]))
xs = np.stack([white.sample(seed, 1, L)[0], corr.sample(seed, 1, L)[0]])
ax0.plot(xs[0], lw=0.8, label=white.name); ax0.plot(xs[1], lw=1.2, label=corr.name)
ax0.set(xlabel="t", ylabel="x_t", title="one path each: same N(0,1) marginal at every t"); ax0.legend(fontsize=8)
w = 0.2
pos = np.arange(len(dts))
ax1.bar(pos - 1.5 * w, [b["white"][0] for b in blind], w, color="0.3", label="τ (both processes)")
ax1.bar(pos - 0.5 * w, [b["corr"][0] for b in blind], w, color="0.6", label="τ (AR(1), same)")
ax1.bar(pos + 0.5 * w, [b["white"][1] for b in blind], w, color="C0", label="E[y_T²], white")
ax1.bar(pos + 1.5 * w, [b["corr"][1] for b in blind], w, color="C1", label="E[y_T²], AR(1) φ=0.99")
ax1.set_xticks(pos, [f"Δ={d:g}" for d in dts]); ax1.set_yscale("log")
ax1.set(ylabel="value", title="τ cannot tell them apart; E[y_T²] differs (S4D-Lin, N=32)")
ax1.legend(fontsize=8)
fig_blind = plotting.save_figure(fig, NB, "blindness")
plt.show()
claims.check("liuli.blind_tau_equal", tau_diff, 1e-12, "<=", figure=fig_blind.name,
             description="white N(0,1) and stationary AR(1) (phi=0.99) with N(0,1) marginals get the same tau (max relative difference)")
claims.check("liuli.blind_second_moment_differs", float(ratios.max()), 10.0, ">=", figure=fig_blind.name,
             description="... while their exact E[y_T^2] differ by at least 10x for some Delta (max ratio AR / white)")
print("E[y^2] ratio AR/white per Δ:", np.round(ratios, 2))

# %% [markdown]
# ## 3 · The scaling rule makes the output scale robust to the temporal pattern
#
# Liu & Li's eq. (8): keep $A,B,\Delta$ from the usual initialization and set $C\leftarrow C/\sqrt{\tau(\theta_0)}$,
# with $\tau$ from the **training-data statistics** (here $\hat\mu_t,\hat\sigma_t$ from $n=256$ samples of each
# pattern; `measure.input_stats`). S4D-Lin ($N=32$, random complex $C$), $L$ steps, $\Delta\in\{10^{-3},10^{-2},10^{-1}\}$,
# six patterns that differ in mean and variance profile. We plot the exact output RMS $\sqrt{E[y_T^2]}$ before and after.
#
# Claims (thresholds from the issue / note, fixed before the run): without the rule the RMS spreads (max/min) by
# $\ge100\times$; with it every RMS is $\le1$ (fact 2 — but the rule uses *estimated* statistics, so this can fail) and
# the spread shrinks by $\ge10\times$. We do **not** claim "all RMS ≈ 1": $\tau$ is loose (section 2).

# %%
Ls = P["L_scale"]
pats = processes.standard_patterns()
scale_dts = [1e-3, 1e-2, 1e-1]
Cs = rng.normal(size=(1, 32)) + 1j * rng.normal(size=(1, 32))
rms_raw = np.zeros((len(scale_dts), len(pats))); rms_scaled = np.zeros_like(rms_raw); tau_hat = np.zeros_like(rms_raw)
for a, dt in enumerate(scale_dts):
    lb, bb = ssm.discretize(lin[None], np.ones((1, 32), complex), dt)
    k = np.asarray(ssm.kernel(lb, bb, Cs, Ls, conj_sym=True))[:, 0]
    for b, p in enumerate(pats.values()):
        mu_h, sd_h = measure.input_stats(p.sample(rng, P["n_stat"], Ls))
        tau_hat[a, b] = float(measure.tau(k, mu_h, sd_h))
        m2 = float(measure.second_moment(k, p.mean(Ls), p.cov(Ls)))
        rms_raw[a, b] = np.sqrt(m2)
        rms_scaled[a, b] = np.sqrt(m2 / tau_hat[a, b])   # C / sqrt(tau_hat) scales y by 1 / sqrt(tau_hat)
spread_raw = rms_raw.max(1) / rms_raw.min(1)
spread_scaled = rms_scaled.max(1) / rms_scaled.min(1)

fig, axes = plt.subplots(1, len(scale_dts), figsize=(14, 4.4), sharey=True)
names = list(pats)
for a, ax in enumerate(axes):
    pos = np.arange(len(names))
    ax.bar(pos - 0.2, rms_raw[a], 0.4, label="initialization (raw C)")
    ax.bar(pos + 0.2, rms_scaled[a], 0.4, label="after C ← C/√τ̂")
    ax.axhline(1.0, color="k", ls="--", lw=1)
    ax.set_xticks(pos, names, rotation=40, ha="right", fontsize=7)
    ax.set(yscale="log", title=f"Δ={scale_dts[a]:g}: spread {spread_raw[a]:.0f}× → {spread_scaled[a]:.1f}×")
axes[0].set_ylabel("output RMS at T, √E[y_T²]")
axes[0].legend(fontsize=8)
fig_scale = plotting.save_figure(fig, NB, "scaling_rule_rms")
plt.show()
claims.check("liuli.scaling_raw_spread_ge_100", float(spread_raw.min()), 100.0, ">=", figure=fig_scale.name,
             description="without the scaling rule the output RMS spreads >= 100x over 6 patterns (min over Delta)")
claims.check("liuli.scaling_rms_le_1", float(rms_scaled.max()), 1.0, "<=", figure=fig_scale.name,
             description="with the rule (tau from n=256 training samples) every exact output RMS <= 1")
claims.check("liuli.scaling_spread_shrinks_10x", float((spread_raw / spread_scaled).min()), 10.0, ">=", figure=fig_scale.name,
             description="the rule shrinks the max/min RMS spread by >= 10x (min over Delta)")

# %% [markdown]
# **Invariances.** (i) Scaling every input by $c$ multiplies $\hat\mu,\hat\sigma$ by $|c|$ and $\tau$ by $c^2$, so the
# rescaled outputs are unchanged up to the sign of $c$ (checked to $10^{-10}$ relative). (ii) For a deep model the rule is applied layer
# by layer (`measure.scale_rule`), each layer with the statistics of its own input computed after the earlier
# layers were rescaled; rescaling layer $l$ changes only later layers' inputs, so afterwards **every** layer and channel has
# $\tau=1$ on that batch (checked to $10^{-6}$ on a 2-layer S4D in float64).

# %%
p_inv = processes.offset_noise(1.0, 2.0, 0.7)
x_inv = p_inv.sample(rng, P["n_stat"], Ls)
lb, bb = ssm.discretize(lin[None], np.ones((1, 32), complex), 1e-2)
k_inv = np.asarray(ssm.kernel(lb, bb, Cs, Ls, conj_sym=True))[:, 0]


def rescaled_outputs(x):
    return np.asarray(measure.output_at_T(k_inv / np.sqrt(float(measure.tau(k_inv, *measure.input_stats(x)))), x))


y_ref = rescaled_outputs(x_inv)
inv_err = max(np.abs(rescaled_outputs(c * x_inv) - np.sign(c) * y_ref).max() / np.abs(y_ref).max() for c in (1e-3, -3.0, 1e3))
claims.check("liuli.scaling_input_scale_invariance", inv_err, 1e-10, "<=",
             description="after the rule, scaling the inputs by c in {1e-3, -3, 1e3} leaves the outputs unchanged up to sign")

cfg64 = models.DeepSSMConfig(d_input=1, d_model=8, d_output=4, n_layers=2, d_state=16, block="s4d", dtype=jnp.float64)
p64 = models.init_params(jax.random.PRNGKey(seed), cfg64)
xb64 = jnp.asarray(p_inv.sample(rng, 128, 128)[..., None])
p64s, taus_before = measure.scale_rule(p64, cfg64, xb64)
taus_after = measure.tau_layers(p64s, cfg64, measure.layer_input_stats(p64s, cfg64, xb64))
dev = max(float(jnp.abs(t - 1).max()) for t in taus_after)
claims.check("liuli.scaling_deep_tau_one", dev, 1e-6, "<=",
             description="2-layer S4D after layer-by-layer scaling: max |tau - 1| over layers and channels (float64)")
print("tau per layer before the rule (range):", [f"{t.min():.2g}..{t.max():.2g}" for t in taus_before])

# %% [markdown]
# ## 4 · The regularizer $R_n+\lambda\tau$ on a small-sample noisy regression task
#
# The theory's setting: one layer, read out at $T$, squared loss. Inputs: independent in time with a time-varying
# mean $\mu(s)=1+\sin 2\pi s$ and std $\sigma(s)=0.3+s$ ($s=t/L$). Target: a teacher kernel
# $k^\star_j=\Delta\,e^{-2t_j}\cos(3\pi t_j)$ ($t_j=j\Delta$, not in the student's span) normalized to unit output
# variance, plus label noise of std 0.5. Student: S4D-Lin ($N=32$, $\Delta=4/L$, $B=1$) with only $C$ trained
# (64 real parameters), initialized with the scaling rule ($\tau_0=1$, which makes $\lambda$ comparable).
# Full-batch Adam (lr $10^{-2}$, a fixed number of steps) on $n=32$ examples; $\tau$ with the training batch's statistics.
# Since the inputs are Gaussian with a known covariance, the **test risk is exact**:
# $R(\theta)=E[((k-k^\star)\cdot x_{\rm rev})^2]+0.5^2$ (`measure.second_moment`), and the gap is $R-R_n$.
#
# Claims (5-seed means; tolerances from the note, fixed in advance): the final $\tau$ strictly decreases along
# $\lambda\in\{0,10^{-3},10^{-2},10^{-1}\}$; the gap does not increase by more than 0.01 (MSE units; the
# label-noise floor is 0.25) between consecutive $\lambda$; the best test risk over $\lambda>0$ is $\le$ the one at
# $\lambda=0$. Across the trained models (4 λ × 5 seeds), Spearman$(\tau,\text{gap})>0.5$; at fixed $\lambda=10^{-2}$ the
# gap shrinks with $n\in\{20,\dots,320\}$ with log-log slope $\le-0.3$ (the bound's rate is $-1/2$ up to logs).

# %%
Lr, Nr = 256, 32
dt_r = 4.0 / Lr
lb_r, bb_r = ssm.discretize(init.s4d_lin(Nr)[None], np.ones((1, Nr), complex), dt_r)
V = np.asarray(lb_r[0])[None, :] ** np.arange(Lr)[:, None] * np.asarray(bb_r[0])[None, :]  # (L, N)
F = np.concatenate([2 * V.real, -2 * V.imag], axis=1)  # k = F @ [Re C, Im C] (conj_sym=True)
w_chk = rng.normal(size=2 * Nr)
assert np.allclose(F @ w_chk, np.asarray(ssm.kernel(lb_r, bb_r, (w_chk[:Nr] + 1j * w_chk[Nr:])[None], Lr, conj_sym=True))[:, 0])
reg_proc = processes.modulated_noise(lambda s: 1 + np.sin(2 * np.pi * s), lambda s: 0.3 + s, "μ=1+sin, σ=0.3+s")
mu_r, sd_r, K_r = reg_proc.mean(Lr), reg_proc.std(Lr), reg_proc.cov(Lr)
tj = np.arange(Lr) * dt_r
k_star = dt_r * np.exp(-2 * tj) * np.cos(3 * np.pi * tj)
k_star /= np.sqrt(float(measure.second_moment(k_star, mu_r, K_r)))
noise_r = 0.5
Fj, Kj, muj, ksj = (jnp.asarray(a) for a in (F, K_r, mu_r, k_star))


def reg_loss(p, xb, yb, lam):
    k = Fj @ p["w"]
    st = jax.lax.stop_gradient(measure.input_stats(xb))
    return jnp.mean((measure.output_at_T(k, xb) - yb) ** 2) + lam * measure.tau(k, *st)


def make_members(n, lams, seeds):
    """Per (lam, seed): training data (seed), init C ~ N(0,1) rescaled to tau = 1 on the training statistics."""
    Xs, Ys, Ws, ls = [], [], [], []
    for s in seeds:
        r = np.random.default_rng(10_000 * seed + s)
        X = reg_proc.sample(r, n, Lr)
        Y = X @ k_star[::-1] + noise_r * r.normal(size=n)
        w0 = r.normal(size=2 * Nr)
        w0 /= np.sqrt(float(measure.tau(F @ w0, *measure.input_stats(X))))
        for lam in lams:
            Xs.append(X); Ys.append(Y); Ws.append(w0); ls.append(lam)
    return jnp.asarray(np.stack(Xs)), jnp.asarray(np.stack(Ys)), {"w": jnp.asarray(np.stack(Ws))}, jnp.asarray(ls)


def train_eval(n, lams, seeds):
    X, Y, W, lam = make_members(n, lams, seeds)
    out, _ = measure.fit_population(reg_loss, W, lam, (X, Y), steps=P["reg_steps"], lr=1e-2, member_data=True)
    ks = np.asarray(out["w"]) @ F.T                                        # (M, L) trained kernels
    train = np.mean((np.einsum("mnl,ml->mn", np.asarray(X), ks[:, ::-1]) - np.asarray(Y)) ** 2, axis=1)
    test = np.array([float(measure.second_moment(k - k_star, mu_r, K_r)) for k in ks]) + noise_r**2
    taus = np.array([float(measure.tau(k, *measure.input_stats(x))) for k, x in zip(ks, np.asarray(X))])
    shape = (len(seeds), len(lams))
    return dict(train=train.reshape(shape), test=test.reshape(shape), gap=(test - train).reshape(shape),
                tau=taus.reshape(shape), kernels=ks)


lams = [0.0, 1e-3, 1e-2, 1e-1]
seeds_r = list(range(P["reg_seeds"]))
res = train_eval(32, lams, seeds_r)
m_tau, m_gap, m_test, m_train = (res[k].mean(0) for k in ("tau", "gap", "test", "train"))
for lam, a, b, c, d in zip(lams, m_tau, m_train, m_test, m_gap):
    print(f"lambda={lam:<6g} tau={a:7.3f} train={b:.4f} test={c:.4f} gap={d:.4f}")

# %%
ns = [20, 40, 80, 160, 320]
lam_fixed = 1e-2
by_n = {n: train_eval(n, [lam_fixed], seeds_r) for n in ns}
gap_n = np.array([by_n[n]["gap"].mean() for n in ns])
slope_n = stats.log_slope(ns, gap_n) if np.all(gap_n > 0) else float("nan")
psi_n = np.array([measure.psi(by_n[n]["kernels"], mu_r, sd_r) for n in ns])  # Theta = the trained models at each n
bound_n = measure.bound(psi_n, np.array(ns), Lr, delta=0.05, const=1.0)
rho_sp = stats.spearman(res["tau"].ravel(), res["gap"].ravel())

fig, axes = plt.subplots(1, 3, figsize=(16, 4.4))
lx = np.array([1e-4] + lams[1:])  # lambda = 0 drawn at 1e-4 on the log axis
ax = axes[0]
for s in seeds_r:
    ax.plot(lx, res["gap"][s], "o-", color="0.75", lw=0.8, ms=3)
ax.plot(lx, m_gap, "o-", color="C3", lw=2, label="gap = R − R_n (5-seed mean)")
ax.plot(lx, m_test, "s-", color="C0", lw=2, label="test risk R (exact)")
ax.plot(lx, m_train, "^-", color="C2", lw=2, label="train loss R_n")
ax.axhline(noise_r**2, color="k", ls=":", lw=1, label="label-noise floor")
ax.set_xscale("log"); ax.set_xticks(lx, ["0"] + [f"{v:g}" for v in lams[1:]])
ax.set(xlabel="λ", ylabel="MSE", title=f"regularizer λτ, n=32 (grey: seeds)"); ax.legend(fontsize=8)
ax = axes[1]
for c, lam in enumerate(lams):
    ax.scatter(res["tau"][:, c], res["gap"][:, c], color=f"C{c}", label=f"λ={lam:g}")
ax.set(xscale="log", xlabel="final τ(θ)", ylabel="gap", title=f"τ tracks the gap (Spearman ρ={rho_sp:.2f})"); ax.legend(fontsize=8)
ax = axes[2]
ax.loglog(ns, gap_n, "o-", color="C3", lw=2, label=f"gap, λ={lam_fixed:g} (slope {slope_n:.2f})")
ax.loglog(ns, bound_n, "s--", color="0.4", label=r"$(\psi+1)^2\log^{3/2}(Tn/\delta)/\sqrt{n}$, O-const := 1, δ=0.05")
ax.loglog(ns, gap_n[0] * (np.array(ns) / ns[0]) ** -0.5, "k:", label="slope −1/2")
ax.set_xticks(ns, [str(v) for v in ns]); ax.minorticks_off()
ax.set(xlabel="n (training examples)", ylabel="MSE", title="gap vs n; the bound's shape (constant unknown)"); ax.legend(fontsize=8)
fig_reg = plotting.save_figure(fig, NB, "regularizer")
plt.show()

claims.check("liuli.reg_tau_decreases", float(np.max(np.diff(m_tau))), 0.0, "<", figure=fig_reg.name,
             description="final tau strictly decreases along lambda in {0, 1e-3, 1e-2, 1e-1} (5-seed mean; max consecutive change)")
claims.check("liuli.reg_gap_not_increasing", float(np.max(np.diff(m_gap))), 0.01, "<=", figure=fig_reg.name,
             description="train-test gap does not increase with lambda (5-seed mean; max consecutive increase, tolerance 0.01)")
claims.check("liuli.reg_best_lambda_no_worse", float(m_test[1:].min() - m_test[0]), 0.0, "<=", figure=fig_reg.name,
             description="best test risk over lambda > 0 minus test risk at lambda = 0 (5-seed mean, n=32)")
claims.check("liuli.tau_tracks_gap_spearman", rho_sp, 0.5, ">", figure=fig_reg.name,
             description="Spearman(final tau, gap) across the 20 trained models (4 lambda x 5 seeds)")
claims.check("liuli.gap_shrinks_with_n", slope_n, -0.3, "<=", figure=fig_reg.name,
             description=f"log-log slope of the mean gap vs n in {ns} at lambda={lam_fixed:g}")
print(f"bound shape at n={ns[0]}: {bound_n[0]:.1f} vs gap {gap_n[0]:.3f} — with constant 1 it is far above the gap (vacuous)")

# %% [markdown]
# ## 5 · A deep stand-in for the LRA table: 2-layer S4D, four variants
#
# The paper's E2 trains multi-layer S4 on LRA (GPU-days; infeasible here). As a scaled-down stand-in we train a
# 2-layer S4D (`models.DeepSSMConfig(block="s4d")`, $H=16$ channels, $N=16$, GELU, LayerNorm, mean pooling) on
# `tasks.sequential_digits` (scikit-learn's 8×8 digits read pixel by pixel: length 64, 10 classes, 1000 training
# and 797 test images) in four variants — **baseline**; **scaling**
# rule (layer by layer on a training batch of 256); **regularizer** $\lambda\sum_{\rm layers,channels}\tau$ with
# $\lambda=10^{-3}$ and batch statistics under `stop_gradient`; **both** — several seeds, all trained at once by one
# compiled, vmapped Adam loop (`measure.fit_population`; batch 32, lr $10^{-2}$, FFT convolution; a few hundred steps,
# so the models are not trained to convergence — a budget comparison). $\tau$ at the last step is a heuristic
# for a mean-pooled classifier (note's pitfall 2). The claim is the note's weak C9: *both* scores at least the
# baseline minus one standard deviation (over seeds). Reviewers found the paper's LRA gains marginal; we report what we see.

# %%
task = tasks.sequential_digits(seed=seed, n_train=P["deep_train"])
cfg = models.DeepSSMConfig(d_input=1, d_model=16, d_output=task.n_classes, n_layers=2, d_state=16, block="s4d", method="fft")
lam_deep = 1e-3
variants = ["baseline", "scaling", "regularizer", "both"]
seeds_d = list(range(P["deep_seeds"]))
x_stat = jnp.asarray(task.x_train[:256])
members, lam_m = [], []
for s in seeds_d:
    p0 = models.init_params(jax.random.PRNGKey(1000 * seed + s), cfg)
    ps, _ = measure.scale_rule(p0, cfg, x_stat)
    for v in variants:
        members.append(ps if v in ("scaling", "both") else p0)
        lam_m.append(lam_deep if v in ("regularizer", "both") else 0.0)
stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *members)
t_deep = time.perf_counter()
deep_loss = measure.make_regularized_loss(cfg, "ce")
trained, losses = measure.fit_population(deep_loss, stacked, jnp.asarray(lam_m, jnp.float32),
                                         (jnp.asarray(task.x_train), jnp.asarray(task.y_train)),
                                         steps=P["deep_steps"], lr=1e-2, batch_size=32, seed=seed)
fwd = jax.jit(jax.vmap(lambda p, x: models.apply(p, x, cfg), in_axes=(0, None)))
acc_test = np.asarray((np.argmax(fwd(trained, jnp.asarray(task.x_test)), -1) == task.y_test).mean(-1)).reshape(len(seeds_d), 4)
acc_train = np.asarray((np.argmax(fwd(trained, jnp.asarray(task.x_train)), -1) == task.y_train).mean(-1)).reshape(len(seeds_d), 4)
reg_final = np.array([float(measure.tau_regularizer(jax.tree_util.tree_map(lambda a: a[i], trained), cfg, x_stat))
                      for i in range(len(members))]).reshape(len(seeds_d), 4)
print(f"deep training: {time.perf_counter() - t_deep:.1f} s for {len(members)} models")
for j, v in enumerate(variants):
    print(f"{v:<12} test acc {acc_test[:, j].mean():.3f} ± {acc_test[:, j].std(ddof=1):.3f}   "
          f"train acc {acc_train[:, j].mean():.3f}   final sum tau {reg_final[:, j].mean():.3g}")

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
for j, v in enumerate(variants):
    axes[0].scatter(np.full(len(seeds_d), j) + np.linspace(-0.1, 0.1, len(seeds_d)), acc_test[:, j], color="0.6", s=14)
    axes[0].errorbar(j, acc_test[:, j].mean(), acc_test[:, j].std(ddof=1), fmt="o", color=f"C{j}", capsize=5, ms=8)
    axes[1].errorbar(j, acc_train[:, j].mean(), acc_train[:, j].std(ddof=1), fmt="o", color=f"C{j}", capsize=5, ms=8)
    axes[2].scatter(np.full(len(seeds_d), j), reg_final[:, j], color=f"C{j}")
base_lo = acc_test[:, 0].mean() - acc_test[:, 0].std(ddof=1)
axes[0].axhline(base_lo, color="k", ls=":", lw=1, label="baseline mean − 1 std")
axes[0].set(ylabel="test accuracy", title=f"2-layer S4D, sequential digits ({len(seeds_d)} seeds)"); axes[0].legend(fontsize=8)
axes[1].set(ylabel="train accuracy", title="train accuracy (mean ± std)")
axes[2].set(yscale="log", ylabel="Σ τ over layers, channels", title="final measure on a training batch")
for ax in axes:
    ax.set_xticks(range(4), variants)
fig_deep = plotting.save_figure(fig, NB, "deep_variants")
plt.show()

claims.check("liuli.deep_both_ge_baseline_minus_std", float(acc_test[:, 3].mean()), float(base_lo), ">=", figure=fig_deep.name,
             description=f"2-layer S4D: mean test accuracy with scaling + regularizer >= baseline mean - 1 std ({len(seeds_d)} seeds)")
print(f"total notebook compute: {time.perf_counter() - T0:.1f} s")

# %% [markdown]
# **Reading the deep result honestly.** In our full-profile run (5 seeds, 800 steps) the test accuracies were
# baseline 0.932 ± 0.020, scaling 0.932 ± 0.014, regularizer 0.906 ± 0.026, both 0.914 ± 0.008: the weak claim holds
# (both ≥ baseline − 1 std, by a small margin), but neither design *improved* on the baseline here. The regularizer
# cuts $\sum\tau$ by more than an order of magnitude and costs a little training and test accuracy at this step budget;
# the scaling rule alone is neutral. This matches the reviewers' reading of the paper's LRA table ("marginal" gains),
# not a clear benefit. λ was fixed at $10^{-3}$ in advance and not tuned.
#
# ## Claims

# %%
claims.finalize()
