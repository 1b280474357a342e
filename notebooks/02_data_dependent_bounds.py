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
# # 02 · A data-dependent generalization bound, and the two designs built on it (Liu & Li 2024)
#
# Liu & Li, *From Generalization Analysis to Optimization Designs for State Space Models* (ICML 2024,
# arXiv 2405.02670), bound the generalization gap of a one-layer SSM by a quantity that depends on the
# **temporal statistics of the input**, and turn it into an initialization **scaling rule** (eq. (8)) and a
# **regularizer** (eq. (9)). This notebook tests the theorem in its own setting, then re-runs the designs
# against controls that could make them fail.
#
# **Source status — read this first.** We could not read the full text. Every item is tagged
# **quoted** (seen word for word), **secondary** (a restatement; cited) or **reconstructed** (ours, derived here).
#
# | item | status |
# |---|---|
# | setting: $y_\theta(T)=\int_0^T\rho_\theta(T-s)x(s)\,ds$, $\rho_\theta(s)=Ce^{As}B$, squared loss | secondary (bohrium summary quoting the LaTeX; `docs/papers/liu-li-2024.md`) |
# | $x$ a Gaussian process with **Hölder-continuous** mean $\mu$ and covariance $K$; stable $A$; **$T$ the continuous horizon**; $\Theta$ fixed before the data | secondary (Honarpisheh et al., arXiv 2502.01473, Remark 4.1 and Table 1) |
# | theorem: w.p. $1-\delta$, $\sup_{\theta\in\Theta}\lvert R_x(\theta)-R_n(\theta)\rvert\le(\psi(\Theta)+1)^2\,O\big(\log^{3/2}(Tn/\delta)/\sqrt n\big)$ | secondary (as above) |
# | $\psi(\Theta)=\sup_\Theta\int_0^T\lvert\rho_\theta(T-s)\rvert\sqrt{K(s,s)}\,ds\;+\;\sup_\Theta\lvert\int_0^T\rho_\theta(T-s)\mu(s)\,ds\rvert$ | first term secondary; second term **reconstructed** (the source breaks off at "+ su…") |
# | per-$\theta$ measure $\tau(\theta)=(a+m)^2$ below; layer-by-layer scaling; regularizer summed over layers | **reconstructed** |
# | eq. (8) $C\leftarrow C/\sqrt{\tau(\theta_0)}$, eq. (9) $R_n+\lambda\tau$, Algorithm 1 line 7 "rescale $\tilde C$", Figure 2 (one layer, "Gaussian white noise" inputs, training loss with/without (9)), the four-variant LRA table | secondary (ICLR-2024 reviews of the earlier version, openreview EGjvMcKrrl) |
# | the $O(\cdot)$ constant, λ values, optimizer, epochs, every table number | **not found**: nothing hard-coded |
#
# **The measure** (reconstructed). Discretized with zero-order hold at step $\Delta$ ($T=L\Delta$), a read-out at the
# last step is $y_T=\sum_{j=0}^{L-1}k_jx_{L-1-j}$ with the kernel $k$ of `ssm.kernel` ($\Delta$ sits inside $\bar B$, so
# the sums below are Riemann sums of the integrals):
#
# $$\tau(\theta)=\Big(\underbrace{\sum_j|k_j|\,\sigma_{L-1-j}}_{a(\theta)}+\underbrace{\Big|\sum_jk_j\,\mu_{L-1-j}\Big|}_{m(\theta)}\Big)^2,
# \qquad \psi(\Theta)=\sup_\Theta a+\sup_\Theta m .$$
#
# **Fact (derived here; reconstructed).** For any input with mean $\mu_t$ and covariance $K$, $E[y_T^2]\le\tau(\theta)$:
# with $w_t=k_{L-1-t}$, $E[y_T^2]=(\sum_tw_t\mu_t)^2+\sum_{s,t}w_sw_tK(s,t)$, and $|K(s,t)|\le\sigma_s\sigma_t$
# (Cauchy–Schwarz) gives $\sum_{s,t}w_sw_tK(s,t)\le a^2$, so $E[y_T^2]\le m^2+a^2\le(a+m)^2$. $\tau$ sees only $\mu_t$ and
# $\sigma_t$, never the correlations.
#
# **What we test, and against what.** Every paper claim below is declared before anything is computed, with a
# control on which the same check must come out the other way:
# 1. *the theorem* (§1): the exact uniform gap over a class fixed in advance falls like $n^{-1/2}$ up to logs
#    (control: a least-squares fit over the unbounded class), ranks with $(\psi+1)^2$ across Hölder processes
#    (same control), stays tied to $\psi$ when the grid is refined at a fixed horizon (control: white noise, outside
#    the Hölder assumption), and $\psi$ ranks the processes better than a norm-based proxy (the paper's case for a
#    data-dependent bound);
# 2. the fact above and $\tau$'s blindness to correlations (§2, sanity: our derivation);
# 3. the scaling rule on patterns of **equal RMS** (§3; control: a data-independent norm rescaling);
# 4. the regularizer, training $A$, $\Delta$ and $C$, against a tuned weight decay (control: a placebo comparison) and
#    against its own data-free version (control: white-noise inputs, where the two coincide) (§4); Figure 2 and
#    Algorithm 1 both ways (§5);
# 5. the four-variant table on a 2-layer S4D with one-sided paired tests (§6).

# %% tags=["parameters"]
profile: str = "quick"  # "quick" (about a minute on 2 idle CPU cores) or "full" (all tables at 6+ seeds)
seed: int = 0
reps: int = None  # training sets per process for the uniform gap (None: the profile's preset)
ns: list = None  # sample sizes for the uniform gap
n_fine: int = None  # sample size of the refinement test
n_seeds: int = None  # seeds of every trained-model comparison in §4-§5
reg_steps: int = None  # full-batch Adam steps in §4-§5
deep_seeds: int = None  # seeds of the 2-layer table (§6)
deep_steps: int = None  # minibatch steps of the 2-layer table
n_mc: int = None  # Monte Carlo samples in §2

# %% [markdown]
# ## Declarations (pre-registered before any computation)
#
# Thresholds are the issue's or the theory's; `expected="not reproduced"` is used only where an earlier run already
# contradicted the paper, and the reason quotes that run.

# %%
import math

from ssmtheory.harness import claims

NB = "02_data_dependent_bounds"
claims.start(notebook=NB, paper="liu-li-2024", profile=profile)
quick = profile == "quick"
if reps is None:
    reps = 40 if quick else 80
if ns is None:
    ns = [64, 128, 256, 512, 1024, 2048] if quick else [64, 128, 256, 512, 1024, 2048, 4096]
if n_fine is None:
    n_fine = 256
if n_seeds is None:
    n_seeds = 6 if quick else 12
if reg_steps is None:
    reg_steps = 600 if quick else 1500
if deep_seeds is None:
    deep_seeds = 5 if quick else 6
if deep_steps is None:
    deep_steps = 200 if quick else 800
alpha = 0.05  # one-sided level of every paired test of trained models
if n_mc is None:
    n_mc = 4096 if quick else 16384
T_h = 4.0  # the continuous horizon T = L * Delta of section 1
delta_conf = 0.05  # the theorem's confidence parameter
rate_lo = -0.6  # the issue's band [-0.6, -0.4] for "n^(-1/2) up to logs" (reported, see section 1)
rate_hi = -0.5 + 1.5 / math.log(T_h * min(ns) / delta_conf)  # local slope of log^{3/2}(T n / delta) / sqrt(n) at min(ns)

claims.expect(
    "liuli.uniform_gap_rate", kind="theorem", op="<=", threshold=rate_hi,
    description=f"uniform gap over a fixed class, Hölder Gaussian processes: max over processes of the upper end of "
                f"the 95% CI of the log-log slope in n; the theorem's bound falls like log^3/2(Tn/delta)/sqrt(n), local "
                f"slope {rate_hi:.3f} at n={min(ns)}, so the gap must fall at least that fast",
    control="the same processes made heavy-tailed (multivariate t, nu=2.5: same mean and covariance, not Gaussian; "
            "empirical second moments converge like n^-0.2)")
claims.expect(
    "liuli.gap_tracks_psi", kind="theorem", op=">", threshold=0.8,
    description="Spearman rho across Hölder processes between the uniform gap (largest n) and (psi+1)^2; "
                "observed = lower 95% bound (training sets resampled)",
    control="the same rho for the gap of the unbounded least-squares fit (outside the class: its expected gap "
            "2 s^2 d/n does not depend on the input process)")
claims.expect(
    "liuli.psi_tracks_gap_under_refinement", kind="theorem", op="<=", threshold=math.log(2.0),
    description=f"refining the grid 4x at fixed T={T_h}: max over Hölder processes of |log| of (gap ratio) / "
                "((psi+1)^2 ratio), upper 95% bound: the gap and the bound's factor move together within 2x",
    control="Gaussian white noise dW/ds (per-sample variance 1/Delta): covariance not continuous, outside the "
            "Hölder assumption; psi grows like Delta^-1/2 while the gap converges")
claims.expect(
    "liuli.psi_beats_norm_proxy", kind="theorem", op=">", threshold=0.0, expected="not reproduced",
    description="Spearman(gap, (psi+1)^2) minus Spearman(gap, (phi+1)^2) across Hölder processes, phi the "
                "norm-based proxy sup||k||_2 sqrt(E||x||^2) blind to where mu and K sit in time",
    reason="pilot run (8 Hölder processes, 12 training sets, N=8, T=4, n=1024): Spearman 0.976 for psi against "
           "0.994 for the norm proxy (difference -0.018); Brownian motion and its time reversal had equal gaps "
           "(0.0309 vs 0.0308) although psi separates them (0.672 vs 0.545)",
    control="the same difference for the unbounded least-squares fit's gap (outside the class)")
claims.expect(
    "liuli.scaling_spread_shrinks", kind="experiment", op="<=", threshold=0.5, expected="not reproduced",
    description="equal-RMS patterns: max over Delta of log(RMS spread after eq. (8)) / log(spread before), "
                "i.e. the rule removes at least half of the log-spread at every step size",
    reason="pilot run (S4D-Lin N=32, L=500, 7 equal-RMS patterns, tau from 256 samples): ratios 0.96, 2.37, 0.17 "
           "at Delta = 1e-3, 1e-2, 1e-1 (spreads 19.8->17.8, 3.3->16.9, 2e5->8.2): the rule makes the spread worse "
           "at Delta=1e-2 because tau is loosest for white noise",
    control="a data-independent norm rescaling C <- C / (||k||_2 sqrt(L)) (Cauchy-Schwarz with unit RMS): the "
            "same factor for every pattern, ratio exactly 1")
claims.expect(
    "liuli.reg_tau_beats_weight_decay", kind="experiment", op="<=", threshold=alpha,
    description=f"one layer, A, Delta and C trained, n=32: test risk with tau regularizer below that with l2 weight "
                f"decay (each lambda chosen per seed on a validation set); one-sided exact sign-flip permutation p over "
                f"{n_seeds} paired seeds",
    control="placebo: the same comparison of weight decay against weight decay from another initialization")
claims.expect(
    "liuli.reg_data_dependence_helps", kind="experiment", op="<=", threshold=alpha, expected="not reproduced",
    description="test risk with tau below that with tau's data-free version (mu=0, constant sigma: a kernel l1 "
                "penalty of the same scale), each tuned on validation; one-sided exact permutation p over paired seeds",
    reason="pilot run (8 seeds, 800 steps, n=32, mu=1+sin, sigma=0.3+s inputs): tau 0.534 vs data-free 0.468 at "
           "lambda=1e-2 (means); tuned per seed the difference was +0.044 (data-free better)",
    control="white-noise inputs (constant mu and sigma), where tau and its data-free version coincide up to sampling noise")
claims.expect(
    "liuli.fig2_reg_improves_test", kind="experiment", op="<=", threshold=alpha,
    description="Figure 2 setting (one layer, white-noise and Brownian inputs, n=32): test risk with (9) "
                "(lambda=1e-2, Algorithm 1 rescaling once) below that without; max over the two inputs of the "
                "one-sided exact permutation p over paired seeds",
    control="placebo: lambda=0 from another initialization against lambda=0")
claims.expect(
    "liuli.deep_both_beats_baseline_test", kind="experiment", op="<=", threshold=alpha, expected="not reproduced",
    description="2-layer S4D, sequential digits: test accuracy, scaling + regularizer above baseline; one-sided exact sign-flip permutation p over paired seeds",
    reason="earlier full run (5 seeds, 800 steps): both 0.914 +- 0.008 against baseline 0.932 +- 0.020; pilot (5 seeds, 300 steps): both minus baseline -0.021, permutation p=0.875",
    control="placebo: a second baseline from another initialization (and batch order) against the baseline")
claims.expect(
    "liuli.deep_scaling_beats_baseline_test", kind="experiment", op="<=", threshold=alpha, expected="not reproduced",
    description="2-layer S4D, sequential digits: test accuracy, scaling rule above baseline; one-sided exact sign-flip permutation p over paired seeds",
    reason="earlier full run (5 seeds, 800 steps): scaling 0.932 +- 0.014 against baseline 0.932 +- 0.020 (no gain); pilot (5 seeds, 300 steps): +0.024, 4 of 5 seeds positive, permutation p=0.094",
    control="placebo: a second baseline from another initialization (and batch order) against the baseline")
claims.expect(
    "liuli.deep_reg_beats_baseline_test", kind="experiment", op="<=", threshold=alpha, expected="not reproduced",
    description="2-layer S4D, sequential digits: test accuracy, regularizer above baseline; one-sided exact sign-flip permutation p over paired seeds",
    reason="earlier full run (5 seeds, 800 steps): regularizer 0.906 +- 0.026 against baseline 0.932 +- 0.020; pilot (5 seeds, 300 steps): -0.040, permutation p=1.0",
    control="placebo: a second baseline from another initialization (and batch order) against the baseline")
claims.expect(
    "liuli.deep_scaling_lowers_test", kind="experiment", op="<=", threshold=alpha, expected="not reproduced",
    description="2-layer S4D, sequential digits: test accuracy, baseline above scaling rule (reviewers: (8) lowered test accuracy); one-sided exact sign-flip permutation p over paired seeds",
    reason="earlier full run (5 seeds, 800 steps): scaling 0.932 +- 0.014 against baseline 0.932 +- 0.020 (no loss); pilot (5 seeds, 300 steps): scaling 0.888 against baseline 0.864 (higher)",
    control="placebo: a second baseline from another initialization (and batch order) against the baseline")
claims.expect(
    "liuli.deep_scaling_raises_train", kind="experiment", op="<=", threshold=alpha, expected="not reproduced",
    description="2-layer S4D, sequential digits: train accuracy, scaling rule above baseline (reviewers: (8) raised train accuracy); one-sided exact sign-flip permutation p over paired seeds",
    reason="pilot (5 seeds, 300 steps): scaling minus baseline train accuracy +0.021, 4 of 5 seeds positive, permutation p=0.094",
    control="placebo: a second baseline from another initialization (and batch order) against the baseline")
claims.expect(
    "liuli.deep_reg_raises_train", kind="experiment", op="<=", threshold=alpha, expected="not reproduced",
    description="2-layer S4D, sequential digits: train accuracy, regularizer above baseline (reviewers: (9) raised train accuracy); one-sided exact sign-flip permutation p over paired seeds",
    reason="pilot (5 seeds, 300 steps): regularizer minus baseline train accuracy -0.042, permutation p=1.0",
    control="placebo: a second baseline from another initialization (and batch order) against the baseline")

# %%
import time

import jax

# float64: exact second moments, 1e-12 identities and the uniform-gap eigenproblems need it; the 2-layer model
# (section 6) still trains in float32 (its cfg.dtype).
jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

from ssmtheory import init, models, processes, stats, tasks
from ssmtheory.experiments import data_dependent as dd
from ssmtheory.experiments import siso
from ssmtheory.harness import plotting

plotting.use_style()
rng = np.random.default_rng(seed)
T0 = time.perf_counter()
print(f"profile={profile}, seed={seed}, reps={reps}, ns={ns}, n_seeds={n_seeds}, deep_seeds={deep_seeds}")

# %% [markdown]
# ## 1 · The theorem in its own setting: the exact uniform gap over a class fixed before the data
#
# **Horizon.** The theorem's $T$ is the continuous horizon $L\Delta$, not the step count: we fix $T=4$ and
# discretize at $\Delta=T/L$. **Class** (ours, fixed now): $\Theta=\{(A,B,C): A=\mathrm{diag}(-\alpha/2+i\pi n)_{n<8},
# \ \alpha\in\{0.5,1,2\},\ B=1,\ \|C\|_2\le r\}$ with $r=1/(4\sqrt N)$ — a grid over a box of decay rates (all
# stable) times a ball. **Labels**: Rademacher $\pm1$, independent of $x$ (bounded, as the "+1" in the bound
# presumes). For each $A$ the read-out is linear in $c=(\mathrm{Re}\,C,\mathrm{Im}\,C)$, $w=G_Ac$, so
# $R(\theta)-R_n(\theta)=v^\top(M-\hat M_n)v$ with $v=(G_Ac,-1)$ and the second-moment matrices of $(x,y)$ —
# a quadratic in $c$ whose sup of $|\cdot|$ over the ball is two **trust-region problems**, solved exactly
# (`uniform_gap.trust_region_max`, tested against brute force). $M$ is known in closed form for every process.
#
# **Processes** (Gaussian, on $[0,T]$; which meet the Hölder assumption):
#
# | process | mean, covariance | Hölder? |
# |---|---|---|
# | Brownian $\sigma W(s)$ ($\sigma=1,\tfrac12$) | $0$, $\sigma^2\min(s,t)$ (Lipschitz) | yes |
# | reversed Brownian $W(T-s)$ | $0$, $\min(T-s,T-t)$: same energy as Brownian, variance early | yes |
# | OU $dx=-\theta x\,ds+dW$, $\theta\in\{0.5,2,8\}$ stationary; $\theta=2$ from $x(0)=0$ | $0$, $\tfrac1{2\theta}e^{-\theta|s-t|}$ (Lipschitz) | yes |
# | OU $\theta=2$ + smooth mean $1+\sin(2\pi s/T)$ | smooth, Lipschitz | yes |
# | **white noise** $dW/ds$ (samples $N(0,1/\Delta)$) | $0$, $\delta(s-t)$: **not** a continuous covariance | **no** (control) |
#
# **Controls.** *Rate:* the same processes made heavy-tailed (`processes.heavy_tailed`: a multivariate-t path with the
# same mean and covariance, $\nu=2.5$, so not Gaussian and with an infinite fourth moment): empirical second moments
# converge like $n^{-(1-2/\nu)}=n^{-0.2}$, slower than the bound's rate. *Ranking:* the unbounded **least-squares fit**
# over the span of $G_{A_1}$, chosen by the data outside any fixed ball: its gap falls like $d/n$ and does not depend on
# the process ($E\,\mathrm{gap}\approx 2s^2d/n$ for labels independent of $x$), so $\psi$ must not rank it.
# *Refinement:* white noise. The issue's two-sided band $[-0.6,-0.4]$ for the slope is reported per process; the
# claim is the one-sided consequence of the theorem (an upper bound cannot say the gap falls no faster).

# %%
N_cls, r_cls = 8, 1 / (4 * np.sqrt(8))
L1, L1f = 64, 256  # coarse and fine grids on [0, T]
holder = [processes.brownian_on(1.0, T_h), processes.brownian_on(0.5, T_h, name="Brownian σ=0.5"),
          processes.reversed_brownian(1.0, T_h), processes.ou(0.5, 1.0, T_h), processes.ou(2.0, 1.0, T_h),
          processes.ou(8.0, 1.0, T_h), processes.ou(2.0, 1.0, T_h, stationary=False),
          processes.ou(2.0, 1.0, T_h, mean=lambda s: 1 + np.sin(2 * np.pi * s / T_h), name="OU θ=2 + smooth mean")]
t_sec = time.perf_counter()
study, white, heavy = dd.uniform_gap_study(holder, N_cls, T_h, r_cls, ns, reps, L1, L1f, n_fine, seed=seed)
names = list(study)
print(f"section 1: {time.perf_counter() - t_sec:.1f} s")

# %%
u = dd.uniform_gap_statistics(study, white, heavy, ns, (rate_lo, rate_hi), seed=seed)
slopes, slope_ci, e_slopes, h_slopes, h_ci = u["slopes"], u["slope_ci"], u["e_slopes"], u["h_slopes"], u["h_ci"]
in_issue_band, psi_v, phi_v, gap_last, refine, refine_w = (u[k] for k in ("in_issue_band", "psi_v", "phi_v", "gap_last", "refine", "refine_w"))
rho_psi, rho_psi_lo, rho_erm, rho_erm_lo, rho_phi, rho_erm_phi = (u[k] for k in ("rho_psi", "rho_psi_lo", "rho_erm", "rho_erm_lo", "rho_phi", "rho_erm_phi"))
print(f"{'process':<24}{'slope [95% CI]':>24}{'t_2.5':>7}{'ERM':>7}{'psi':>7}{'phi':>7}{'gap@n_max':>10}{'|log r|':>9}")
for i, k in enumerate(names):
    print(f"{k:<24}{slopes[i]:>9.3f} [{slope_ci[i, 0]:.3f}, {slope_ci[i, 1]:.3f}]{h_slopes[i]:>7.2f}{e_slopes[i]:>7.2f}"
          f"{psi_v[i]:>7.3f}{phi_v[i]:>7.3f}{gap_last[i].mean():>10.4f}{refine[k][0]:>9.3f}")
print(f"CI inside the issue's band [-0.6, -0.4]: {sum(in_issue_band.values())} of {len(names)} processes")
print(f"white dW/ds: psi {white['psi']:.2f} -> {white['psi_fine']:.2f}, gap {white['gap_at'].mean():.4f} -> "
      f"{white['gap_fine'].mean():.4f}, |log r| = {refine_w[0]:.3f}")
print(f"Spearman vs (psi+1)^2: {rho_psi:.3f} (lower {rho_psi_lo:.3f}); vs norm proxy: {rho_phi:.3f}; ERM control: {rho_erm:.3f}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(17, 4.6))
ax = axes[0]
for i, k in enumerate(names):
    ax.loglog(ns, study[k]["gaps"].mean(0), "o-", color=f"C{i}", lw=1.5, ms=4, label=f"{k} ({slopes[i]:.2f})")
    ax.loglog(ns, heavy[i].mean(0), ":", color=f"C{i}", lw=1)
ax.loglog(ns, 0.5 * np.asarray(ns, float) ** -0.5, "k--", lw=1, label="n^-1/2")
ax.set(xlabel="n", ylabel="sup_Θ |R − R_n|", title="uniform gap: Gaussian (solid) vs heavy-tailed t₂.₅ (dotted)")
ax.legend(fontsize=6.5, ncol=1)
ax = axes[1]
ax.scatter((psi_v + 1) ** 2, [g.mean() for g in gap_last], color=[f"C{i}" for i in range(len(names))], s=40,
           label=f"(ψ+1)²: ρ={rho_psi:.2f}")
ax.scatter((phi_v + 1) ** 2, [g.mean() for g in gap_last], marker="x", color="0.3", label=f"norm proxy (φ+1)²: ρ={rho_phi:.2f}")
ax.set(xlabel="bound factor", ylabel=f"uniform gap at n={ns[-1]}", title="does the bound's factor rank the processes?")
ax.legend(fontsize=8)
ax = axes[2]
rk = [refine[k][0] for k in names] + [refine_w[0]]
ax.bar(range(len(rk)), rk, color=[f"C{i}" for i in range(len(names))] + ["k"])
ax.axhline(np.log(2), color="r", ls="--", lw=1, label="log 2 (threshold)")
ax.set_xticks(range(len(rk)), names + ["white dW/ds"], rotation=45, ha="right", fontsize=7)
ax.set(ylabel="|log (gap ratio / (ψ+1)² ratio)|", title=f"refining Δ 4x at T={T_h:g}")
ax.legend(fontsize=8)
fig_thm = plotting.save_figure(fig, NB, "uniform_gap")
plt.show()

# %%
claims.check("liuli.uniform_gap_rate", float(slope_ci[:, 1].max()), control_observed=float(h_ci[:, 1].max()),
             figure=fig_thm,
             evidence={"slopes": dict(zip(names, slopes.round(4))), "ci": dict(zip(names, slope_ci.round(4).tolist())),
                       "ci_inside_issue_band_-0.6_-0.4": in_issue_band, "heavy_tailed_slopes": dict(zip(names, h_slopes.round(3))),
                       "heavy_tailed_ci_hi": dict(zip(names, h_ci[:, 1].round(3))), "erm_slopes": dict(zip(names, e_slopes.round(3))),
                       "reps": reps, "ns": ns})
claims.check("liuli.gap_tracks_psi", rho_psi_lo, control_observed=rho_erm_lo, figure=fig_thm,
             evidence={"rho": rho_psi, "lower95": rho_psi_lo, "rho_control": rho_erm, "n_processes": len(names)})
claims.check("liuli.psi_tracks_gap_under_refinement", max(v[1] for v in refine.values()), control_observed=refine_w[1],
             figure=fig_thm, evidence={"abs_log_ratio": {k: v[0] for k, v in refine.items()}, "white": refine_w[0],
                                       "L": [L1, L1f], "n": n_fine})
claims.check("liuli.psi_beats_norm_proxy", rho_psi - rho_phi, control_observed=rho_erm - rho_erm_phi, figure=fig_thm,
             evidence={"rho_psi": rho_psi, "rho_norm_proxy": rho_phi})

# %% [markdown]
# **Reading §1** (numbers in the table above). In our runs the uniform gap over a class fixed in advance falls at least as
# fast as the theorem's rate for every Hölder process (slopes near $-1/2$; the issue's stricter two-sided band is met by
# some processes' intervals only — they reach below $-0.6$), while the heavy-tailed versions do not; $(\psi+1)^2$ ranks the
# processes' gaps, and does not rank the gap of the least-squares fit, which lies outside any fixed class. But the
# norm-based proxy, which only knows the input's total energy, ranks them as well or better: the temporal placement that
# $\psi$ adds (Brownian motion against its time reversal) does not show up in the gap. White noise, outside the Hölder
# assumption, breaks the link between $\psi$ and the gap when the grid is refined: $\psi$ doubles, the gap does not move.
#
# ## 2 · The derived fact $E[y_T^2]\le\tau$, and $\tau$'s blind spot (sanity: our derivation and construction)
#
# Random single-channel S4D systems and seven processes with closed-form covariance: the exact second moment never
# exceeds $\tau$ and the Monte Carlo agrees with it (two-sided, Bonferroni 1 %). White noise and a stationary AR(1)
# with the same N(0,1) marginals get the same $\tau$ while their true $E[y_T^2]$ differ by more than 10×.

# %%
L = 256
procs = dict(processes.standard_patterns())
stat_ar = processes.ar1(0.9, np.sqrt(1 - 0.9**2), stationary=True, name="AR(1) φ=0.9 stationary")
procs[stat_ar.name] = stat_ar
kernels = np.stack([dd.random_s4d_kernel(rng, L) for _ in range(6)])
z2 = norm.ppf(1 - 0.01 / (2 * len(procs) * len(kernels)))
tau_, ex, mc, se = dd.second_moment_check(list(procs.values()), kernels, n_mc, L, rng)
white_p, corr_p = processes.same_marginals_pair(0.99)
blind = dd.same_marginals_check((white_p, corr_p), [1e-3, 1e-2, 1e-1, 1.0], L, rng)  # (dt, process, (tau, E y^2))

# %%
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.2))
ax0.scatter(tau_, ex / tau_, s=14, label="exact"); ax0.scatter(tau_, mc / tau_, s=8, marker="x", label="Monte Carlo")
ax0.axhline(1, color="k", ls="--", lw=1)
ax0.set(xscale="log", yscale="log", xlabel="τ(θ)", ylabel="E[y_T²] / τ", title="E[y_T²] ≤ τ (7 processes × 6 systems)")
ax0.legend(fontsize=8)
ax1.plot(blind[:, 0, 0], "o-", label="τ (both)"); ax1.plot(blind[:, 0, 1], "s-", label="E[y²], white")
ax1.plot(blind[:, 1, 1], "^-", label="E[y²], AR(1) φ=0.99")
ax1.set_xticks(range(4), ["Δ=1e-3", "1e-2", "1e-1", "1"]); ax1.set(yscale="log", title="same marginals: same τ")
ax1.legend(fontsize=8)
fig_fact = plotting.save_figure(fig, NB, "second_moment_vs_tau")
plt.show()

# %%
claims.sanity("liuli.second_moment_le_tau_exact", float(np.max(ex / tau_)), 1 + 1e-10, "<=", figure=fig_fact,
              description="exact E[y_T^2] / tau <= 1 (+ round-off) over 42 (system, process) cases (derived fact)")
claims.sanity("liuli.mc_matches_exact", float(np.max(np.abs(mc - ex) / se)), float(z2), "<=", figure=fig_fact,
              description="Monte Carlo E[y_T^2] within the two-sided Bonferroni 1% band of the closed form")
claims.sanity("liuli.blind_tau_equal", float(np.max(np.abs(blind[:, 0, 0] - blind[:, 1, 0]) / blind[:, 0, 0])), 1e-12,
              "<=", figure=fig_fact, description="white N(0,1) and AR(1) with N(0,1) marginals: identical tau")
claims.sanity("liuli.blind_second_moment_differs", float(np.max(blind[:, 1, 1] / blind[:, 0, 1])), 10.0, ">=",
              figure=fig_fact, description="... while their exact E[y_T^2] differ by >= 10x for some Delta")

# %% [markdown]
# ## 3 · The scaling rule on patterns of equal RMS
#
# Eq. (8): $C\leftarrow C/\sqrt{\tau(\theta_0)}$ with $\tau$ from the training statistics (256 samples). The old version of
# this test mixed N(0,1) and 0.01·N(0,1) noise, so a 100× spread held for any kernel; here every pattern is scaled to
# total RMS 1 (`processes.equal_rms_patterns`), so any spread of the output RMS comes from temporal structure alone.
# Statistic: $\log(\text{spread after})/\log(\text{spread before})$, worst case over $\Delta$ (≤ 0.5: the rule removes at least
# half of the log-spread). Control: a **norm-based** rescaling $C\leftarrow C/(\|k\|_2\sqrt L)$, the Cauchy–Schwarz scale for a
# unit-RMS input, which is the same factor for every pattern.

# %%
Ls = 500
pats = processes.equal_rms_patterns(Ls)
lin = init.s4d_lin(32)
Cs = rng.normal(size=(1, 32)) + 1j * rng.normal(size=(1, 32))
scale_dts = [1e-3, 1e-2, 1e-1]
rms_raw, rms_tau, rms_norm = dd.scaling_rule_rms(pats.values(), lin, Cs, scale_dts, Ls, rng)

# %%
fig, axes = plt.subplots(1, len(scale_dts), figsize=(15, 4.4), sharey=True)
for a, ax in enumerate(axes):
    pos = np.arange(len(pats))
    ax.bar(pos - 0.27, rms_raw[a], 0.27, label="raw C"); ax.bar(pos, rms_tau[a], 0.27, label="C/√τ̂ (eq. 8)")
    ax.bar(pos + 0.27, rms_norm[a], 0.27, label="C/(‖k‖√L) (norm control)")
    ax.set_xticks(pos, list(pats), rotation=40, ha="right", fontsize=7)
    sp = lambda v: v[a].max() / v[a].min()  # noqa: E731
    ax.set(yscale="log", title=f"Δ={scale_dts[a]:g}: spread {sp(rms_raw):.3g}× → {sp(rms_tau):.3g}× (eq. 8)")
axes[0].set_ylabel("exact output RMS at T"); axes[0].legend(fontsize=7)
fig_scale = plotting.save_figure(fig, NB, "scaling_rule_rms")
plt.show()

# %%
claims.check("liuli.scaling_spread_shrinks", dd.log_spread_ratio(rms_tau, rms_raw),
             control_observed=dd.log_spread_ratio(rms_norm, rms_raw), figure=fig_scale,
             evidence={"spread_raw": (rms_raw.max(1) / rms_raw.min(1)).tolist(),
                       "spread_eq8": (rms_tau.max(1) / rms_tau.min(1)).tolist(), "dts": scale_dts})
claims.sanity("liuli.scaling_rms_le_1", float(rms_tau.max()), 1.0, "<=", figure=fig_scale,
              description="after eq. (8) with estimated statistics every exact output RMS <= 1 (derived fact)")

# %% [markdown]
# **Invariances (sanity).** Scaling the inputs by $c$ leaves the rescaled outputs unchanged up to the sign of $c$; for a
# 2-layer S4D the rule applied layer by layer (`measure.scale_rule`, via `data_dependent.deep_scale_deviation`) leaves every layer and channel at $\tau=1$.

# %%
p_inv = processes.offset_noise(1.0, 2.0, 0.7)
x_inv = p_inv.sample(rng, 256, Ls)
k_inv = dd.siso_kernel(lin, Cs, 1e-2, Ls)
inv_err = dd.scale_invariance_error(k_inv, x_inv)
claims.sanity("liuli.scaling_input_scale_invariance", inv_err, 1e-10, "<=",
              description="after eq. (8), inputs scaled by c in {1e-3, -3, 1e3}: outputs unchanged up to sign")
cfg64 = models.DeepSSMConfig(d_input=1, d_model=8, d_output=4, n_layers=2, d_state=16, block="s4d", dtype=jnp.float64)
xb64 = jnp.asarray(p_inv.sample(rng, 128, 128)[..., None])
dev = dd.deep_scale_deviation(models.init_params(jax.random.PRNGKey(seed), cfg64), cfg64, xb64)
claims.sanity("liuli.scaling_deep_tau_one", dev, 1e-6, "<=",
              description="2-layer S4D after layer-by-layer scaling: max |tau - 1| over layers and channels")

# %% [markdown]
# ## 4 · The regularizer $R_n+\lambda\tau$ against a tuned weight decay — training $A$, $\Delta$ and $C$
#
# One SISO S4D layer read out at $T$ (`ssmtheory.experiments.siso`: $N=16$ S4D-Lin modes, $L=128$, $\Delta=4/L$), **$A$, $\Delta$ and
# $C$ all trained** (65 parameters), initialized with eq. (8) ($\tau_0=1$). Inputs with a time-varying mean
# $1+\sin2\pi s$ and std $0.3+s$; teacher $k^\star_j=\Delta e^{-2t_j}\cos3\pi t_j$ normalized to unit output, label noise
# 0.5 (noise floor 0.25), $n=32$ — more parameters than examples. Full-batch Adam, the test risk is exact. Designs, each
# with its strength chosen **per seed on a validation set of 256** (never on the test risk):
# no regularizer; $\lambda\tau$, $\lambda\in\{10^{-3},10^{-2},10^{-1}\}$; **weight decay** $\lambda\|C\|^2$,
# $\lambda\in\{10^{-2},10^{-1},1\}$ ($\tau\propto|C|^2$ too, so the two penalties differ only by $\tau$'s data-dependent
# weighting; an ℓ2 pull on $A$ or $\Delta$ would move time scales, not shrink the read-out); and $\tau$'s **data-free
# version** ($\mu=0$, $\sigma_t$ = the input's RMS at every $t$: a kernel-ℓ1 penalty of the same scale). Seeds are paired:
# the same data and initialization for every design.

# %%
L_r, N_r = 128, 16
dt_r = 4.0 / L_r
task = siso.teacher_task(processes.modulated_noise(lambda s: 1 + np.sin(2 * np.pi * s), lambda s: 0.3 + s, "μ=1+sin, σ=0.3+s"),
                         L_r, dt_r)
task_w = siso.teacher_task(processes.white_noise(1.0), L_r, dt_r)            # control: constant mu, sigma
task_b = siso.teacher_task(processes.brownian(1.0), L_r, dt_r)               # Figure 2's second input
grids = {"tau": [1e-3, 1e-2, 1e-1], "flat": [1e-3, 1e-2, 1e-1], "wd": [1e-2, 1e-1, 1.0]}
lam_fig = 1e-2
epoch_steps = 50  # Algorithm 1 "every epoch": full-batch training has no epochs, so C is rescaled every 50 steps
seeds_r = list(range(n_seeds))
plan = [(task, dict(none=[0.0], **grids, wd2=grids["wd"])), (task_w, {"tau": grids["tau"], "flat": grids["flat"]}),
        (task_b, dict(none=[0.0], none2=[0.0], tau=[lam_fig], every=[lam_fig])),
        (task_w, dict(none=[0.0], none2=[0.0], tau=[lam_fig], every=[lam_fig]))]
t_sec = time.perf_counter()
groups = [(tk, [m for s in seeds_r for m in siso.design_members(tk, s, which, seed=seed, N=N_r)]) for tk, which in plan]
runs = [(mem, losses, res) for (_, mem), (kern, losses, res) in  # one population, one compile
        zip(groups, siso.train_groups(groups, reg_steps, lr=1e-2, project_every=epoch_steps))]
print(f"section 4-5 training: {time.perf_counter() - t_sec:.1f} s ({sum(len(r[0]) for r in runs)} models)")

# %%
(mem0, _, res0), (mem1, _, res1) = runs[0], runs[1]
main = {k: siso.tuned(mem0, res0, k, seeds_r) for k in ("none", "tau", "flat", "wd", "wd2")}
inf_wd = stats.paired_permutation(main["tau"][:, 0], main["wd"][:, 0], alternative="less")
inf_wd_ctrl = stats.paired_permutation(main["wd2"][:, 0], main["wd"][:, 0], alternative="less")
inf_flat = stats.paired_permutation(main["tau"][:, 0], main["flat"][:, 0], alternative="less")
ctl_w = {k: siso.tuned(mem1, res1, k, seeds_r) for k in ("tau", "flat")}
inf_flat_ctrl = stats.paired_permutation(ctl_w["tau"][:, 0], ctl_w["flat"][:, 0], alternative="less")
for k, v in main.items():
    print(f"{k:<5} test {v[:, 0].mean():.4f} ± {v[:, 0].std(ddof=1):.4f}  train {v[:, 2].mean():.4f}  "
          f"gap {v[:, 4].mean():.4f}  chosen λ {sorted(set(v[:, 1]))}")
print(f"tau − weight decay: {inf_wd.estimate:+.4f}, 95% CI upper {inf_wd.hi:+.4f}, p={inf_wd.p:.3g} (n={inf_wd.n}); "
      f"placebo {inf_wd_ctrl.estimate:+.4f}, p={inf_wd_ctrl.p:.3g}")
print(f"tau − data-free tau: {inf_flat.estimate:+.4f}, 95% CI upper {inf_flat.hi:+.4f}, p={inf_flat.p:.3g}")

# %% [markdown]
# **Within-λ tracking and underfitting.** The old notebook correlated $\tau$ with the gap *across* λ, where λ drives
# both; here the Spearman correlation of the final $\tau$ with the gap is computed **within** each λ (across seeds), and
# the train loss is set against the noise floor 0.25 (below: fitting noise; far above: underfitting).

# %%
within = siso.within_lambda(mem0, res0, grids["tau"])
for lam, (rho, tr, te) in within.items():
    print(f"λτ={lam:g}: Spearman(τ, gap) within λ = {rho:+.2f}; train {tr:.3f} (floor 0.25), test {te:.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.3))
ax = axes[0]
for j, k in enumerate(("none", "wd", "flat", "tau")):
    ax.scatter(np.full(n_seeds, j) + np.linspace(-0.1, 0.1, n_seeds), main[k][:, 0], color=f"C{j}", s=18)
    ax.errorbar(j, main[k][:, 0].mean(), main[k][:, 0].std(ddof=1), fmt="o", color="k", capsize=4)
ax.axhline(0.25, color="k", ls=":", lw=1, label="noise floor")
ax.set_xticks(range(4), ["none", "weight decay", "τ data-free", "τ (eq. 9)"])
ax.set(yscale="log", ylabel="exact test risk", title=f"tuned on validation, {n_seeds} paired seeds"); ax.legend(fontsize=8)
ax = axes[1]
for j, lam in enumerate(grids["tau"]):
    idx = [i for i, m in enumerate(mem0) if m.tag[:2] == ("tau", lam)]
    ax.scatter(res0["tau"][idx], res0["test"][idx] - res0["train"][idx], color=f"C{j}",
               label=f"λ={lam:g}: ρ within = {within[lam][0]:+.2f}")
ax.set(xscale="log", xlabel="final τ", ylabel="gap R − R_n", title="τ vs gap within each λ"); ax.legend(fontsize=8)
fig_reg = plotting.save_figure(fig, NB, "regularizer_vs_weight_decay")
plt.show()

# %%
claims.check("liuli.reg_tau_beats_weight_decay", inf_wd.p, control_observed=inf_wd_ctrl.p, figure=fig_reg,
             evidence=dict(inf_wd.record(), control=inf_wd_ctrl.record()))
claims.check("liuli.reg_data_dependence_helps", inf_flat.p, control_observed=inf_flat_ctrl.p, figure=fig_reg,
             evidence=dict(inf_flat.record(), control=inf_flat_ctrl.record()))

# %% [markdown]
# **Reading §4.** The τ regularizer beats a weight decay on $C$ tuned the same way — but its data-free version (the same
# penalty with $\mu=0$ and a constant $\sigma$) does at least as well, so in this experiment the gain comes from penalizing
# the kernel through $A$, $\Delta$ and $C$, not from the input statistics the paper builds $\tau$ from. Within a fixed λ the
# final $\tau$ does not track the gap across seeds. The largest λ underfits (train loss above the noise floor 0.25);
# the chosen λ still fits below the floor.
#
# ## 5 · Figure 2 and Algorithm 1, both ways
#
# Figure 2 (secondary: ICLR reviews) trains one layer on "Gaussian white noise" inputs and plots the training loss with and
# without (9); a reviewer asked whether the inputs were really Brownian motion, so we run both. Algorithm 1's line 7
# rescales $\tilde C$ by the measure; the reviewers could not tell whether once or every epoch, so we run both: **once**
# (eq. (8) at initialization, then $R_n+\lambda\tau$) and **every epoch** ($C\leftarrow C/\sqrt\tau$ again every 50
# full-batch steps — full-batch training has no epochs of its own — which resets $\tau$ to 1 each time; the Adam state
# is kept). λ = 10⁻² (fixed, not tuned). Both are reported; neither is a claim, since the paper does not say which it used.

# %%
fig2 = {nm: siso.algorithm1_comparison(*run[::2]) for nm, run in (("Brownian", runs[2]), ("white noise", runs[3]))}
fig2_inf, fig2_ctrl, alg1 = ({nm: v[i] for nm, v in fig2.items()} for i in (1, 2, 3))

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4.3))
for j, (nm, run) in enumerate((("Brownian", runs[2]), ("white noise", runs[3]))):
    losses, pick = run[1], fig2[nm][0]
    for k, c in (("none", "C0"), ("tau", "C3"), ("every", "C2")):
        axes[j].plot(np.median(losses[:, pick[k]], axis=1), color=c, label={"none": "without (9)", "tau": "with (9), rescale once",
                                                                           "every": "with (9), rescale every epoch"}[k])
    axes[j].axhline(0.25, color="k", ls=":", lw=1)
    axes[j].set(yscale="log", xlabel="step", ylabel="training objective (median over seeds)", title=f"Figure 2 re-run: {nm} inputs")
    axes[j].legend(fontsize=8)
    axes[2].bar(np.arange(3) + 0.35 * j, [alg1[nm][k][1] for k in ("none", "tau", "every")], 0.35, label=nm)
axes[2].set_xticks(np.arange(3) + 0.17, ["without (9)", "(9), rescale once", "(9), rescale every epoch"])
axes[2].set(ylabel="exact test risk (mean)", title="Algorithm 1 both ways"); axes[2].legend(fontsize=8)
fig_f2 = plotting.save_figure(fig, NB, "figure2_algorithm1")
plt.show()

# %%
for nm, d in alg1.items():
    for k, (tr, te, ta) in d.items():
        print(f"{nm:<12}{k:<7} train {tr:.4f}  test {te:.4f}  final τ {ta:.3f}")
claims.check("liuli.fig2_reg_improves_test", max(v.p for v in fig2_inf.values()),
             control_observed=max(v.p for v in fig2_ctrl.values()), figure=fig_f2,
             evidence={nm: dict(v.record(), control=fig2_ctrl[nm].record()) for nm, v in fig2_inf.items()})

# %% [markdown]
# **Reading §5.** With (9) the test risk is lower than without on both inputs, white noise and Brownian motion, against
# a placebo that shows no effect. Rescaling every 50 steps gives a test risk no better than rescaling once in our runs.
#
# ## 6 · The four-variant table on a 2-layer S4D, with one-sided paired tests
#
# The paper's LRA table (multi-layer S4, GPU-days) is out of reach; the stand-in is a 2-layer S4D ($H=16$, $N=16$, GELU,
# LayerNorm, mean pooling) on `tasks.sequential_digits` (8×8 digits read pixel by pixel, 1000 train / 797 test) in four
# variants — baseline; scaling (eq. (8), layer by layer on 256 training inputs); regularizer $\lambda\sum\tau$
# ($\lambda=10^{-3}$, batch statistics under `stop_gradient`); both. One compiled vmapped Adam loop (batch 32, lr $10^{-2}$).
# $\tau$ at the last step is a heuristic for a pooled classifier. Each claim is a one-sided paired test over seeds
# (exact sign-flip permutation p at 5 %, with the paired bootstrap interval in the record); its control is a **placebo**:
# a second baseline trained from another initialization (and batch order) against the baseline, where no effect exists.
# The paper's expectations (gains; the reviewers' train/test observations) were pre-registered as not reproduced,
# quoting the earlier full run and a pilot that contradicted them.

# %%
dtask = tasks.sequential_digits(seed=seed, n_train=1000)
cfg = models.DeepSSMConfig(d_input=1, d_model=16, d_output=dtask.n_classes, n_layers=2, d_state=16, block="s4d", method="fft")
variants = list(dd.DEEP_VARIANTS)
members, lam_m = dd.deep_variant_members(cfg, jnp.asarray(dtask.x_train[:256]), deep_seeds, seed=seed, lam=1e-3)
t_sec = time.perf_counter()
acc = dd.deep_variant_accuracy(cfg, members, lam_m, dtask, deep_steps, seed=seed)
print(f"deep training: {time.perf_counter() - t_sec:.1f} s for {len(lam_m)} models")
table = {  # claim: (main comparison, control comparison)
    "liuli.deep_both_beats_baseline_test": (("test", "both", "baseline"), ("test", "placebo", "baseline")),
    "liuli.deep_scaling_beats_baseline_test": (("test", "scaling", "baseline"), ("test", "placebo", "baseline")),
    "liuli.deep_reg_beats_baseline_test": (("test", "regularizer", "baseline"), ("test", "placebo", "baseline")),
    "liuli.deep_scaling_lowers_test": (("test", "baseline", "scaling"), ("test", "baseline", "placebo")),
    "liuli.deep_scaling_raises_train": (("train", "scaling", "baseline"), ("train", "placebo", "baseline")),
    "liuli.deep_reg_raises_train": (("train", "regularizer", "baseline"), ("train", "placebo", "baseline")),
}
inf_deep = dd.paired_table(acc, table)

# %%
print(f"{'variant':<12}{'test acc':>18}{'train acc':>18}")
for j, v in enumerate(variants):
    print(f"{v:<12}{acc['test'][:, j].mean():>10.3f} ± {acc['test'][:, j].std(ddof=1):.3f}"
          f"{acc['train'][:, j].mean():>10.3f} ± {acc['train'][:, j].std(ddof=1):.3f}")
for k, (m, c) in inf_deep.items():
    print(f"{k:<42} diff {m.estimate:+.4f}  95% lower {m.lo:+.4f}  p={m.p:.3f}   (placebo {c.estimate:+.4f}, p={c.p:.3f})")

fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
for ax, sp in zip(axes, ("test", "train")):
    for j, v in enumerate(variants):
        ax.scatter(np.full(deep_seeds, j) + np.linspace(-0.1, 0.1, deep_seeds), acc[sp][:, j], color="0.6", s=14)
        ax.errorbar(j, acc[sp][:, j].mean(), acc[sp][:, j].std(ddof=1), fmt="o", color=f"C{j}", capsize=5, ms=8)
    ax.set_xticks(range(5), variants[:4] + ["placebo\n(baseline, other init)"])
    ax.set(ylabel=f"{sp} accuracy", title=f"2-layer S4D, sequential digits ({deep_seeds} seeds, {deep_steps} steps)")
fig_deep = plotting.save_figure(fig, NB, "deep_variants")
plt.show()

# %%
for k, (m, c) in inf_deep.items():
    claims.check(k, m.p, control_observed=c.p, figure=fig_deep, evidence=dict(m.record(), control=c.record()))
print(f"total notebook compute: {time.perf_counter() - T0:.1f} s")

# %% [markdown]
# **Reading §6.** No variant beats the baseline significantly in test accuracy, and the reviewers' train-accuracy
# observations do not hold significantly either; the regularizer costs accuracy at this step budget. This matches the
# reviewers' reading of the paper's LRA gains ("marginal"), not a clear benefit. λ was fixed at $10^{-3}$ in advance.
# Read the placebo row too: in our runs the second baseline (another initialization) itself came out ahead of the
# baseline at about the 5 % level, so differences of that size (about 0.02) are initialization noise of this baseline;
# a control that passes here would have turned any passing claim into "cannot discriminate".
#
# ## Claims

# %%
claims.finalize();
