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
# # 04 · Complex vs real diagonal SSMs: dimension, parameter size, learnability, selectivity
#
# Ran-Milo, Lumbroso, Cohen-Karlik, Giryes, Globerson, Cohen, *Provable Benefits of Complex Parameterizations for
# Structured State Space Models* (NeurIPS 2024, arXiv 2410.14067). The abstract says **[quoted]**:
#
# * "while a moderate dimension suffices in order for a complex SSM to express all mappings of a real SSM, a much
#   higher dimension is needed for a real SSM to express (or even approximate) mappings of a complex SSM";
# * "even if the dimension of a real SSM is high enough to express a given mapping, typically, doing so (or even just
#   approximating the given mapping) requires the parameters of the real SSM to hold exponential values", while "a
#   complex SSM can express any given mapping with moderate parameter values".
#
# Its experiments: Tables 1–2 (gradient descent on the theory's targets: a real SSM with $n=1024\gg t=32$ cannot
# practically approximate them, a complex SSM with $n=t$ can), a real-world comparison (S4D real vs S4D complex on
# sequential CIFAR) and Table 3 (a Mamba ablation on an induction-head task: "when both B and C are selective, the
# real parameterization compares (favorably) to the complex parameterization, whereas otherwise, the complex
# parameterization is superior" **[quoted, caption]**).
#
# **Source status.** Only the abstract, the table captions and the authors' code (`edenlum/SSMComplexParamBenefits`)
# could be read; no table numbers. The targets, models and training set-ups below are checked against that code.
# **The theorem statements T1, T2, P1 and P2 are our own reconstructions [reconstructed]**; we prove them here and the
# notebook checks them. Their constants are ours, not the paper's.
#
# ## Setting
# Input $x_1,x_2,\dots\in\mathbb R$, $h_0=0$, $h_t = A h_{t-1} + B x_t$, $A=\mathrm{diag}(a)$. A real SSM has
# $a,b,c\in\mathbb R^{n}$ and $y_t = C h_t$; a complex SSM has $a,b,c\in\mathbb C^{n}$ and $y_t = 2\,\mathrm{Re}(C h_t)$
# (the factor 2 is the code's convention). Both are convolutions with the impulse response **[secondary: paper note §1]**
# $$\phi_{\mathbb R}(\tau) = \textstyle\sum_i c_ib_ia_i^\tau,\qquad \phi_{\mathbb C}(\tau) = 2\,\mathrm{Re}\sum_i c_ib_ia_i^\tau,\qquad \tau = 0,\dots,t-1 .$$
# "Express up to time $t$" means equality on $\tau<t$; "$\epsilon$-approximate" means $\max_{\tau<t}|\phi-\phi^*|\le\epsilon$.
# The **targets** are the code's, each divided by its $\ell_2$ norm: a delay $\mathbb 1[\tau=\lfloor (t-1)/2\rfloor]$,
# i.i.d. $U[-1,1]$ (seeded) and the oscillation $\mathrm{Re}(i^\tau) = 1,0,-1,0,\dots$
#
# ## Our reconstructions, with proofs [reconstructed]
# **P1 (complex ⊇ real).** A real SSM with $n$ modes is a complex SSM with $n$ modes: keep $a, b$ and halve $c$.
#
# **T1 (dimension gap).** The complex SSM $n=1$, $a=i$, $b=1$, $c=\tfrac12$ expresses $\mathrm{Re}(i^\tau)$ for every
# $t$. If a real SSM has $|\phi_{\mathbb R}(\tau)-\mathrm{Re}(i^\tau)|<1$ for all $\tau<t$, then $n \ge \lceil t/2\rceil$.
# *Proof.* On even times $f(m)=\phi_{\mathbb R}(2m) = \sum_i w_i (a_i^2)^m$, $w_i = b_ic_i$. The error bound forces
# $\mathrm{sign} f(m) = (-1)^m$ for $m = 0..M$, $M=\lfloor (t-1)/2\rfloor$: $M$ sign changes. By Descartes' rule for
# exponential sums, $k$ distinct positive bases give at most $k-1$ sign changes; modes with $a_i=\pm a_j$ share a base
# and $a_i=0$ only affects $m=0$. So $n \ge M+1 = \lceil t/2\rceil$. $\square$
#
# **T2 (exponential parameters).** Let $g_o(m) = \phi^*(2m+o)$, $o\in\{0,1\}$, and
# $\Delta^k g(m_0) = \sum_{j}\binom kj(-1)^{k-j}g(m_0+j)$. Every stable real SSM ($|a_i|\le1$) that
# $\epsilon$-approximates $\phi^*$ up to time $t$ satisfies
# $$\sum_i |b_ic_i| \;\ge\; \max_{o,\,m_0,\,k:\ 2(m_0+k)+o\le t-1}\big(|\Delta^k g_o(m_0)| - 2^k\epsilon\big).$$
# *Proof.* $\Delta^k$ of $m\mapsto a_i^{2m+o}$ at $m_0$ is $a_i^{2m_0+o}(a_i^2-1)^k$, of modulus $\le1$ since
# $a_i^2\in[0,1]$; and $\Delta^k$ multiplies an error bounded by $\epsilon$ by at most $\sum_j\binom kj = 2^k$. $\square$
#
# *The rate T2 proves.* For the oscillation $\Delta^k(-1)^m = (-2)^k$, so with $k=\lfloor (t-1)/2\rfloor$ the bound is
# $2^k(1-\epsilon)\max|\phi^*|$: $\log$ of the minimum $\sum|b_ic_i|$ grows at least like $\tfrac{\ln 2}{2}\,t$. For the
# mid-window delay the bound is $\binom{k}{\lfloor k/2\rfloor}-2^k\epsilon$, again rate $\tfrac{\ln2}{2}$ up to a
# $\log t$ term. **$\ln 2/2\approx0.347$ per step is the pre-registered slope threshold** (it replaces the earlier
# 0.5, which had been chosen after seeing the data). The stride 2 matters: with negative $a_i$ a stride-1 difference
# has the factor $(a_i-1)^k$, up to $2^k$, and complex poles have $|a_i^2-1|$ up to 2 — outside the theorem.
#
# **P2 (complex, moderate parameters).** $n=t$, $a_k = e^{2\pi i k/t}$, $b_k=1$,
# $c_k = \frac1{2t}\sum_\tau \phi(\tau)e^{-2\pi i k\tau/t}$ express $\phi$ exactly, with $|a_k|=|b_k|=1$ and
# $|b_kc_k|\le\|\phi\|_1/(2t)\le\max|\phi|/2$.
#
# ## What we compute
# 1. **Dimension** (T1, figure `dimension`): exact minimax $\ell_\infty$ fits of $n$ real modes to $\mathrm{Re}(i^\tau)$
#    over every $n$-subset of a pole grid.
# 2. **Parameter size** (T2, P2, figure `param_size`): the LP minimum $\sum|b_ic_i|$ of real fits against the T2 bound
#    and the DFT complex SSM; a Monte Carlo check of T2 inside and outside its class.
# 3. **Tables 1–2** (figure `training`): the authors' gradient-descent set-up with Adam, AdamW and RAdam, scored in the
#    tables' metric, the normalized $\ell_\infty$ error (zero map $=1$), minimum over seeds.
# 4. **Table 3** (figure `table3`): the authors' Mamba block (`ssmtheory.experiments.mamba`) on their induction-head task,
#    8 selectivity combinations × real/complex, highest and lowest over seeds.
# 5. **The copy task** (figure `copy`), a separate experiment, *not* Table 3: lag beyond the convolution's reach.
# 6. **Real world** (figure `realworld`): S4D real vs S4D complex (LegS) on the 8×8 digits bundled with scikit-learn.
#
# **Precision.** float64 is on for the Vandermonde/LP/exactness work; all training runs in float32, as in the paper.

# %% tags=["parameters"]
profile: str = "quick"  # "quick" (about a minute on 2 CPU cores) or "full"
seed: int = 0
dim_t: list = None  # horizons t of the dimension figure
dim_grid: int = None  # real poles in the grid of the exhaustive minimax fits
lp_t: list = None  # horizons of the LP / T2 figure
lp_grid: int = None  # real poles of the LP grid
mc_draws: int = None  # Monte Carlo draws of the T2 check (and of its complex-pole control)
gd_seeds: int = None  # seeds per cell of Tables 1-2 (the tables report the minimum over seeds)
t1_n: int = None  # real SSM dimension of Table 1 (paper: 1024)
t1_lrs: list = None  # learning rates of Table 1 (best over them, as in the authors' grid)
t1_steps: int = None  # full-batch steps of Table 1 (paper: 500k)
t2_t: list = None  # horizons t (and dimension n) of Table 2 (paper: 32..256)
t2_steps: int = None  # full-batch steps of Table 2
t3_combos: list = None  # selectivity combinations (B, C, Delta) run for Table 3 (pre-registered subset in quick)
t3_seeds: int = None  # seeds per Table 3 cell (paper: 3)
t3_steps: int = None  # Adam steps per Table 3 and copy model (paper: up to 1000 epochs of 1024 steps)
t3_d_model: int = None  # Mamba width (paper: 64)
t3_context: int = None  # induction-head context (paper: 256); every sequence has t3_context + t3_recall tokens
t3_recall: int = None  # induction-head tokens to recall (paper: 128)
t3_batch: int = None  # sequences per Adam step (paper: 8, with 128 scored tokens each)
t3_lr: float = None  # Adam learning rate (paper: 1e-3)
copy_seeds: int = None  # seeds of the copy task (at least 5 in full)
copy_lag: int = None  # copy lag beyond the conv's reach (2 layers times kernel 4 minus 1: 6 positions)
copy_ctrl_lag: int = None  # copy lag within the conv's reach (the control)
rw_seeds: int = None  # seeds of the real-world comparison (at least 5 in full)
rw_steps: int = None  # AdamW steps per real-world model

# %%
import math

from ssmtheory.harness import claims

NB = "04_complex_vs_real"
claims.start(notebook=NB, paper="complex-ssm-2024", profile=profile)
quick = profile == "quick"
if dim_t is None:
    dim_t = list(range(2, 9)) if quick else list(range(2, 11))
if dim_grid is None:
    dim_grid = 21
if lp_t is None:
    lp_t = [4, 6, 8, 10, 12, 14, 16, 18, 20]
if lp_grid is None:
    lp_grid = 801 if quick else 3201
if mc_draws is None:
    mc_draws = 200 if quick else 500
if gd_seeds is None:
    gd_seeds = 2 if quick else 5
if t1_n is None:
    t1_n = 256 if quick else 1024
if t1_lrs is None:
    t1_lrs = [1e-2] if quick else [1e-2, 1e-3]
if t1_steps is None:
    t1_steps = 1000 if quick else 2000
if t2_t is None:
    t2_t = [32] if quick else [32, 64, 128, 256]
if t2_steps is None:
    t2_steps = 1000 if quick else 2000
if t3_combos is None:
    t3_combos = [[1, 1, 1], [0, 0, 1]] if quick else [
        [0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1], [1, 1, 0], [1, 1, 1]]
if t3_seeds is None:
    t3_seeds = 2 if quick else 3
if t3_steps is None:
    t3_steps = 60 if quick else 800
if copy_seeds is None:
    copy_seeds = 2 if quick else 5
if t3_d_model is None:
    t3_d_model = 16
if t3_context is None:
    t3_context = 16
if t3_recall is None:
    t3_recall = 2
if t3_batch is None:
    t3_batch = 16
if t3_lr is None:
    t3_lr = 3e-3
if copy_lag is None:
    copy_lag = 8
if copy_ctrl_lag is None:
    copy_ctrl_lag = 2
if rw_seeds is None:
    rw_seeds = 3 if quick else 5
if rw_steps is None:
    rw_steps = 150 if quick else 300
eps = 0.1  # the approximation level of every epsilon-claim below (LP, Tables 1-2), fixed in advance

claims.expect("complexssm.t1_real_below_half_t_no_better_than_zero", kind="theorem", op=">=", threshold=1 - 1e-9,
              description="T1: min over t and n < ceil(t/2) of the best l_inf error of an n-mode real fit to Re(i^tau) "
                          "(exact minimax over every n-subset of the pole grid): no better than the zero map",
              control="the same minimax error with n = ceil(t/2) real modes (premise removed: enough modes), max over "
                      "t: must drop below 1")
claims.expect("complexssm.t2_bound_holds_monte_carlo", kind="theorem", op=">=", threshold=-1e-12,
              description="T2 on random stable real SSMs (|a_i| <= 1) and perturbed targets: min over draws of "
                          "1 - T2 bound(phi*, eps) / sum|b_i c_i|",
              control="complex poles near the unit circle (outside T2's class: |a_i^2 - 1| up to 2), sum|b c| counted "
                      "as 2 sum|w_i|: the margin must go negative")
claims.expect("complexssm.real_min_coefficients_grow_at_t2_rate", kind="theorem", op=">=",
              threshold=math.log(2) / 2,
              description=f"min over the three targets of the least-squares slope of log(LP minimum sum|b_i c_i|) vs t, "
                          f"real SSM eps={eps}-approximating the target (max|phi|=1); threshold ln2/2 is the rate T2 "
                          "proves",
              control="the complex DFT SSM (P2) on the same targets and t: slope of log sum|b_k c_k| (about 0)")
claims.expect("complexssm.p2_complex_moderate_coefficients", kind="theorem", op="<=", threshold=0.5,
              description="P2: max over targets and t of max_k |b_k c_k| / max|phi| for the DFT complex SSM (P2 bound 1/2)",
              control="the real SSM's LP optimum on the same targets and t: max_j |w_j| / max|phi|")
claims.expect("complexssm.table1_real_cannot_approximate", kind="experiment", op=">=", threshold=eps,
              description=f"Table 1 (t=32, real n={t1_n}, Adam/AdamW/RAdam, lr in {t1_lrs}, {t1_steps} steps): min over "
                          f"targets, optimizers, learning rates and {gd_seeds} seeds of the normalized l_inf error",
              control="the complex SSM with n = t = 32 (Adam) on the same targets: the same minimum")
claims.expect("complexssm.table2_complex_approximates", kind="experiment", op="<", threshold=eps,
              expected="not reproduced",
              reason="the first full-profile run (5 seeds, 2000 Adam steps at lr 1e-3, t in 32..256) failed this "
                     "pre-registered pass: the worst seed of the random target reached only 0.35 at t=128 and 0.11 at "
                     "t=64 (delay <= 2.7e-4, oscillation <= 1.2e-2 in every cell); the best seed is <= 3.1e-3 in every "
                     "cell, so the shortfall is unconverged seeds at our 2000 steps against the paper's 500k",
              description=f"Table 2 (complex n = t in {t2_t}, Adam, {t2_steps} steps): max over t, targets and "
                          f"{gd_seeds} seeds (worst seed) of the normalized l_inf error",
              control="the real SSM runs of Table 1 (t=32): the same maximum over targets, optimizers and seeds")
claims.expect("complexssm.table3_complex_superior_without_selective_BC", kind="experiment", op=">", threshold=0.0,
              expected="not reproduced",
              reason="first full run (800 steps, 3 seeds; best cell learned: 0.987): complex beat real in EVERY "
                     "combination, the gap without B,C both selective was +0.259 but its lower t bound -0.008 (3 seeds), "
                     "while the control (B,C selective) gap was +0.271, lower bound +0.072; quick: a trial (context 16, recall 2, batch 32, lr 3e-3) learned the induction head only "
                     "after several hundred Adam steps (real, all selective: training accuracy 0.07 over steps 1-150, "
                     "0.46 over 301-450, 1.0 after 750), so the quick profile's steps leave every model at chance",
              description=f"Table 3 (induction head, context {t3_context}, recall {t3_recall}, {t3_steps} steps, "
                          f"{t3_seeds} seeds): lower 95% one-sided t bound over seeds of the mean, over the gate "
                          "combinations without B and C both selective, of complex - real held-out accuracy",
              control="the same bound over the combinations with B and C both selective (the caption: real compares "
                      "favorably there)")
claims.expect("complexssm.table3_real_comparable_with_selective_BC", kind="experiment", op="<=", threshold=0.05,
              expected="not reproduced",
              reason="first full run (800 steps, 3 seeds, models learned): with B,C selective complex still beat real "
                     "(cells (1,1,0): real 0.943/0.580 vs complex 1.000/0.971; (1,1,1): 0.748/0.535 vs 1.000/0.873), "
                     "upper t bound of the gap 0.469 > 0.05; quick: no model learns within the quick budget, and a "
                     "comparison of unlearned models is counted as failed (pre-registered rule below)",
              description="Table 3: upper 95% one-sided t bound over seeds of the mean, over the combinations with B "
                          "and C both selective, of complex - real held-out accuracy (non-inferiority margin 0.05, fixed "
                          "in advance); +inf when neither kind learned there (best mean accuracy of the group < 0.3, "
                          "chance 1/15)",
              control="the same statistic over the combinations without B and C both selective (the caption: complex "
                      "is superior there, so the margin must be exceeded)")
claims.expect("complexssm.copy_complex_beats_real", kind="experiment", op=">", threshold=0.0,
              expected="not reproduced" if quick else "pass",
              reason="quick budget: in the trial run (1500 steps, lag 8) the complex S6 reached held-out accuracy "
                     "0.925 against the real S6's 0.124, but its training accuracy was still at chance (0.07) after "
                     "300 steps, so the quick profile's steps cannot separate the two; the full profile runs t3_steps (800) at "
                     "batch 16 and lr 3e-3",
              description=f"copy task (not Table 3; the authors' delay.yaml with S6-Real vs S6-Complex, all of B, C, "
                          f"Delta selective, scaled): lag {copy_lag} > 6 = the two convs' reach; lower 95% paired-"
                          f"t bound of complex - real held-out accuracy over {copy_seeds} seeds",
              control="lag copy_ctrl_lag (default 2), within the convs' reach: the convolution alone can copy, so "
                      "the complex-real gap must vanish")
claims.expect("complexssm.realworld_complex_beats_real", kind="experiment", op=">", threshold=0.0,
              description=f"S4D complex (LegS) vs S4D real (A = -diag(1..N)), sequential 8x8 digits, {rw_seeds} seeds: "
                          "lower 95% one-sided paired-t bound of complex - real test accuracy",
              control="the same trained models scored against a fixed permutation of the test labels")

# %%
import time

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)  # Vandermonde powers, LP optima ~1e6 and 1e-12 exactness checks need float64

import matplotlib.pyplot as plt
import numpy as np

from ssmtheory.theory import expressivity as ex
from ssmtheory.experiments import complex_real as cr
from ssmtheory.experiments import mamba as mb
from ssmtheory.harness import plotting
from ssmtheory import stats, tasks

plotting.use_style()
T0, C0 = time.perf_counter(), time.process_time()
print(f"profile={profile}, backend={jax.default_backend()}")

# %% [markdown]
# ## 1 · Dimension: one complex mode against $\lceil t/2\rceil$ real modes (T1)
#
# Left: $|\phi_{\mathbb C}(\tau)-\mathrm{Re}(i^\tau)|$ for $a=i$, $b=1$, $c=\tfrac12$ in float64 (round-off grows like
# $\tau\varepsilon$, about $10^{-13}$ at $\tau=1000$). Right: the best $\ell_\infty$ error of $n$-mode real fits to the
# raw oscillation, for each $(t,n)$, over every $n$-subset of an equispaced grid on $[-1,1]$ (exact minimax LPs).
# T1 holds for *any* real poles, so cells left of the staircase $n=\lceil t/2\rceil$ must read 1 (the zero map). The
# **control** is the staircase column itself: with enough modes the error must drop below 1, so the check can fail.

# %%
dim = cr.dimension_study(dim_t, dim_grid)
nmax = max(-(-t // 2) for t in dim_t)
M = np.full((len(dim_t), nmax), np.nan)
for (t, n), e in dim["err"].items():
    M[dim_t.index(t), n - 1] = e

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw=dict(width_ratios=[1, 1.25]))
axes[0].semilogy(np.maximum(dim["err_c1"], 1e-18), ".", ms=2, label=r"$|\phi_{\mathbb{C}}-\mathrm{Re}(i^\tau)|$ (zeros at $10^{-18}$)")
axes[0].axhline(1e-12, color="k", ls="--", lw=1, label="sanity threshold $10^{-12}$")
plotting.mark_roundoff_floor(axes[0], 1e-16, label=r"float64 $\varepsilon$")
axes[0].set(xlabel=r"$\tau$", ylabel="absolute error", title=r"complex SSM, $n=1$: $a=i,\ b=1,\ c=1/2$")
axes[0].legend(loc="upper left", fontsize=9)
im = axes[1].imshow(M, cmap="viridis_r", vmin=0, vmax=1.05, aspect="auto", origin="lower",
                    extent=(0.5, nmax + 0.5, dim_t[0] - 0.5, dim_t[-1] + 0.5))
for (t, n), e in dim["err"].items():
    axes[1].text(n, t, f"{e:.3f}", ha="center", va="center", fontsize=9, color="w" if e < 0.6 else "k")
axes[1].plot([-(-t // 2) - 0.5 for t in dim_t for _ in (0, 1)], [v for t in dim_t for v in (t - 0.5, t + 0.5)], "r-",
             lw=2, label=r"$n = \lceil t/2\rceil$ (T1 threshold)")
axes[1].set(xlabel="real modes $n$", ylabel="horizon $t$", xticks=range(1, nmax + 1), yticks=dim_t,
            title=fr"best $\ell_\infty$ error of a real fit to $\mathrm{{Re}}(i^\tau)$ ({len(dim['grid'])} grid poles)")
axes[1].grid(False)
axes[1].legend(loc="lower right", fontsize=9)
fig.colorbar(im, ax=axes[1], label=r"$\min\ \max_{\tau<t}|\phi_{\mathbb{R}}-\phi^*|$")
fig.tight_layout()
fig_dim = plotting.save_figure(fig, NB, "dimension")
plt.show()

# %%
claims.sanity("complexssm.complex_1mode_expresses_oscillation", float(dim["err_c1"].max()), 1e-12, "<",
              figure=fig_dim.name,
              description="our construction: complex n=1 (a=i, b=1, c=1/2, 2Re output) equals Re(i^tau) up to t=1000")
claims.check("complexssm.t1_real_below_half_t_no_better_than_zero", dim["below"], control_observed=dim["at"],
             figure=fig_dim.name)

# %% [markdown]
# ## 2 · Parameter size: exponential for real SSMs (T2), moderate for complex ones (P2)
#
# **LP.** $w_j = b_jc_j$ is the coefficient of the real mode with pole $a_j$ on a fine grid in $[-1,1]$; we solve
# $\min\|w\|_1$ s.t. $\|Vw-\phi\|_\infty\le\epsilon$, $V_{\tau j} = a_j^\tau$ (`scipy.optimize.linprog`, HiGHS,
# float64; unreliable beyond $t=20$ where optima pass $10^7$). A grid only raises the optimum, so the LP value must lie
# above the T2 bound (a sanity check of both). The theorem claim is the **growth rate**: T2 forces at least
# $\ln2/2$ per step. Its control is the DFT complex SSM of P2 on the same targets, whose $\sum|b_kc_k|$ does not grow.
#
# **Monte Carlo check of T2.** Random stable real SSMs and perturbed targets $\phi^*=\phi_{\mathbb R}+\delta$,
# $\epsilon=\|\delta\|_\infty$: T2's bound must not exceed the SSM's own $\sum|b_ic_i|$. The control draws complex
# poles near the unit circle, outside T2's class, where the same bound must fail.

# %%
size = cr.parameter_size_study(lp_t, lp_grid, eps, seed=seed)
mc_real = cr.t2_margin_monte_carlo(mc_draws, seed=seed, poles="real")
mc_cplx = cr.t2_margin_monte_carlo(mc_draws, seed=seed, poles="complex")
lp, bound, dft = size["lp"], size["bound"], size["dft"]

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), sharey=True)
tt = np.array(lp_t)
for ax, name in zip(axes, ex.TARGETS):
    ax.semilogy(tt, [lp[(name, t)]["objective"] for t in tt], "o-", label=r"real: min $\sum|b_ic_i|$ (LP)")
    ax.semilogy(tt, [max(bound[(name, t)], 1e-3) for t in tt], "s--", label="real: T2 lower bound")
    ax.semilogy(tt, [dft[(name, t)]["l1"] for t in tt], "D-", label=r"complex DFT (P2): $\sum|b_kc_k|$")
    ax.semilogy(tt, [dft[(name, t)]["bcmax"] for t in tt], "v-", label=r"complex DFT: $\max|b_kc_k|$")
    ref = lp[(name, tt[0])]["objective"] * np.exp(np.log(2) / 2 * (tt - tt[0]))
    ax.semilogy(tt, ref, color="grey", lw=1, label=r"rate $\ln 2/2$ per step (T2, claim threshold)")
    ax.set(xlabel="horizon $t$",
           title=f"{name}: real slope {size['slope_real'][name]:.2f}, complex {size['slope_dft'][name]:.2f}")
axes[0].set_ylabel(fr"coefficient size ($\epsilon={eps}$, $\max|\phi^*|=1$)")
axes[0].legend(fontsize=8, loc="upper left")
fig.tight_layout()
fig_size = plotting.save_figure(fig, NB, "param_size")
plt.show()
for name in ex.TARGETS:
    print(name, " ".join(f"t={t}: LP {lp[(name, t)]['objective']:.3g} / T2 {bound[(name, t)]:.3g}" for t in lp_t))
print(f"T2 Monte Carlo margin: real poles min {mc_real.min():.3g}; complex poles min {mc_cplx.min():.3g} "
      f"({np.mean(mc_cplx < 0):.0%} of draws negative)")

# %%
claims.check("complexssm.real_min_coefficients_grow_at_t2_rate", min(size["slope_real"].values()),
             control_observed=max(size["slope_dft"].values()), figure=fig_size.name)
claims.check("complexssm.p2_complex_moderate_coefficients", size["p2_max"], control_observed=size["lp_wmax"],
             figure=fig_size.name)
claims.check("complexssm.t2_bound_holds_monte_carlo", float(mc_real.min()), control_observed=float(mc_cplx.min()),
             figure=fig_size.name)
claims.sanity("complexssm.lp_feasible", size["lp_excess"], 1e-9, "<=", figure=fig_size.name,
              description="max over LPs of ||V w - phi||_inf - eps (the LP solutions are eps-approximations)")
claims.sanity("complexssm.lp_solver_success", size["lp_success"], 1.0, "==",
              figure=fig_size.name, description="HiGHS reports success for every LP (t <= 20)")
claims.sanity("complexssm.lp_above_t2_bound", size["lp_over_bound"], 1.0, ">=", figure=fig_size.name,
              description="min over targets and t of LP minimum / T2 bound (T2 holds on our LP solutions)")
claims.sanity("complexssm.dft_complex_exact", size["dft_err"], 1e-12, "<=", figure=fig_size.name,
              description="P2: the DFT complex SSM reproduces each target exactly (float64, NumPy recurrence)")

# %% [markdown]
# ## 3 · Tables 1–2: gradient descent, in the tables' metric
#
# The authors' `VanillaSSM` in closed form: real $a_i = s_ie^{-e^{\nu_i}}$ (sign fixed at init), complex
# $a_i = e^{-e^{\nu_i}}e^{i\theta_i}$; $|a|^2\sim U[r_{\min}^2, 0.9999^2]$ with $r_{\min}=0$ (the better of the code's
# two values for real SSMs), $b, c\sim\mathcal N(0,10^{-6})$; loss $\sum_\tau(\phi-\phi^*)^2$; full batch; cosine
# learning-rate decay; Adam, AdamW and RAdam with PyTorch's defaults (`train_theory.py`).
#
# **Metric** **[secondary: table captions]**: "the minimum $\epsilon$ with which the learned mapping
# $\epsilon$-approximates $\phi$", normalized so the zero map scores 1, i.e. $\max_\tau|\phi-\phi^*|/\max_\tau|\phi^*|$,
# the running minimum over training, then the minimum over seeds. We also show the worst seed for Table 2.
#
# **Scale.** The paper trains 500k steps at lr $10^{-4}$–$10^{-6}$; we run $10^3$–$3\cdot10^3$ steps at lr
# $10^{-2}$–$10^{-3}$. A short budget can only make the real SSM look worse if it were still improving, so the
# figure shows the whole curves. The claim threshold is the $\epsilon=0.1$ of section 2, fixed in advance.

# %%
tab = cr.tables_1_2(t1_n, t1_lrs, t1_steps, t2_t, t2_steps, list(range(seed, seed + gd_seeds)), t=32,
                    target_seed=seed)  # one compiled population for Table 1's three optimizers
print(f"real n={t1_n}, t=32, lr {t1_lrs}, {gd_seeds} seeds; runs frozen by the guard: {tab['diverged']}")
print(cr.format_tables_1_2(tab))

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), sharey=True)
for ax, nm in zip(axes, ex.TARGETS):
    for j, opt in enumerate(cr.OPTIMIZERS):
        ax.loglog(tab["steps1"], tab["curves1"][(nm, opt)], color=f"C{3 + j}", lw=1.2,
                  label=f"real n={t1_n}, {opt} (best run)")
    for j, t in enumerate(t2_t):
        ax.loglog(tab["steps2"], tab["curves2"][(nm, t)], color=("C0", "C2", "C9", "C8")[j], lw=1.2,
                  label=f"complex n=t={t} (worst seed)")
    ax.set(xlabel="step", title=f"{nm}: l_inf real {min(tab['table1'][(nm, o)] for o in cr.OPTIMIZERS):.2f}, "
                                f"complex(t={t2_t[-1]}) {tab['table2'][(nm, t2_t[-1])][1]:.1e}")
axes[0].set_ylabel("normalized squared loss (running min; zero map = 1)")
axes[0].legend(fontsize=7, loc="lower left")
fig.tight_layout()
fig_train = plotting.save_figure(fig, NB, "training")
plt.show()

# %%
claims.check("complexssm.table1_real_cannot_approximate", min(tab["table1"].values()),
             control_observed=tab["complex_min_t"], figure=fig_train.name)
claims.check("complexssm.table2_complex_approximates", max(v[1] for v in tab["table2"].values()),
             control_observed=tab["real_max"], figure=fig_train.name)

# %% [markdown]
# ## 4 · Table 3: the authors' Mamba on the induction-head task (and the copy task, separately)
#
# **Model** (`ssmtheory.experiments.mamba`, our JAX code of `simple_mamba`; a sanity check below compares it with a plain NumPy
# loop): token embedding $\mathcal N(0,1)$, frozen and tied to the output head; two residual layers
# $x + \mathrm{Block}(\mathrm{RMSNorm}(x))$ and a final RMSNorm. Block: in-projection to $2\cdot d_{model}$ channels;
# depthwise causal conv1d (kernel 4) + SiLU; $\Delta$ by a rank-$\lceil d_{model}/16\rceil$ projection + softplus
# (selective) or a trainable constant; $B_t, C_t$ from the input, shared across channels (selective) or a trainable
# per-channel bias (not selective); $\bar A = e^{\Delta A}$, $\bar B = \Delta B$; real $A_n=-(n+1)$ with 16 states,
# complex $A_n=-(n+1)+i\pi n$ with 8 states and output $2\mathrm{Re}$; gate $y\cdot\mathrm{SiLU}(z)$.
#
# **Task** (`datasets.InductionHead`): random tokens $1..15$ over a context, one trigger position set to 0, then a
# copy token 0 and, autoregressively, the tokens that followed the trigger; loss and accuracy on the recall positions.
# The authors train with Adam, lr $10^{-3}$, batch 8, a fresh batch per step.
#
# **Scale (honest).** Paper: context 256, recall 128 (1024 scored tokens per batch), $d_{model}=64$, up to $10^6$
# steps on a GPU. Here, full profile: context 16, recall 2, $d_{model}=16$, 800 Adam steps at lr $3\cdot10^{-3}$ and
# batch 16 (32 scored tokens per step). The task definition is theirs, only smaller; the larger learning rate and batch
# are ours, chosen in a trial before the declarations because at the authors' settings nothing was learned within a CPU
# budget (trial: real, all selective, batch 32, lr $3\cdot10^{-3}$: training accuracy 0.07 over steps 1–150, 0.46
# over 301–450, 1.0 after 750). The quick profile (a pre-registered subset: all selective and only $\Delta$ selective,
# 2 seeds, 60 steps) learns nothing; its Table 3 claims are declared "not reproduced" for that reason.
#
# **Copy task (a separate experiment, not Table 3).** The authors' `delay.yaml` (not autoregressive: the label at
# position $t\ge$ lag is the token at $t-$lag), S6-Real vs S6-Complex with $B, C, \Delta$ all selective (their
# `--compare_real_complex`), lag 8: beyond the two convolutions' reach of $2\times(4-1)=6$ positions, so the SSM itself
# must carry the token. Control: lag 2, which the convolutions alone can copy.
#
# **Claims** (the caption, split in its two halves; per seed, gap = complex − real held-out accuracy, averaged over
# the combinations of a group; Student-t bounds over seeds, since with 3 seeds a percentile bootstrap's bound is
# positive whenever all three share a sign):
# * *otherwise complex is superior*: lower one-sided 95% bound of the gap over the 6 combinations without $B, C$ both
#   selective $> 0$. **Control:** the same bound over the 2 combinations with both selective.
# * *with $B, C$ selective real compares favorably*: upper one-sided 95% bound of the gap over those 2 combinations
#   $\le 0.05$ (a non-inferiority margin fixed in advance). A comparison of models that learned nothing says
#   nothing, so the statistic is $+\infty$ when neither kind's mean accuracy in the group reaches 0.3 (chance 1/15).
#   **Control:** the same statistic over the 6 other combinations, which the caption says complex wins.
# * *sanity (full profile):* the best cell's mean accuracy must reach 0.3, else the table is not evidence.

# %%
loop_err = mb.loop_agreement(seed)
claims.sanity("complexssm.mamba_block_matches_loop", loop_err, 1e-4, "<=",
              description="our Mamba (linear_scan, traced gates) vs a NumPy loop of the authors' selective_scan_seq: max "
                          "|logit difference|, float32, real and complex, three gate combinations")
t3 = mb.table3_study(t3_combos, range(seed, seed + t3_seeds), range(seed, seed + copy_seeds), steps=t3_steps,
                     d_model=t3_d_model, context=t3_context, recall=t3_recall, batch=t3_batch, lr=t3_lr,
                     copy_lag=copy_lag, copy_ctrl_lag=copy_ctrl_lag)  # one compiled population per kind
st = mb.table3_statistics(t3, copy_lag, copy_ctrl_lag)
print(f"Table 3 at CPU scale: held-out accuracy, highest / lowest over {t3_seeds} seeds (chance {1 / 15:.3f}); "
      f"runs frozen by the guard: {t3['diverged']}")
print(mb.format_table3(t3))
print("complex - real without B,C selective:", st["superior"].record(), "\n  with B,C selective:",
      st["superior_ctrl"].record())
print(f"non-inferiority (B,C selective) upper bound {st['noninf']:.3f}; without B,C selective {st['noninf_ctrl']:.3f}")
print(f"best cell mean accuracy {st['best_cell'].mean():.3f}, lowest seed {st['best_cell'].min():.3f}")
print(f"copy lag {copy_lag}:", st["copy"].record(), f"\n  lag {copy_ctrl_lag}:", st["copy_ctrl"].record())

# %%
combos = t3["combos"]
fig, axes = plt.subplots(1, 2, figsize=(15, 4.6), gridspec_kw=dict(width_ratios=[1.6, 1]))
xs = np.arange(len(combos))
for j, (k, col) in enumerate((("real", "C3"), ("complex", "C0"))):
    v = np.array([t3["cell"][(k, c)] for c in combos])
    axes[0].bar(xs + (j - 0.5) * 0.38, v.max(1) - v.min(1), 0.36, bottom=v.min(1), color=col, alpha=0.6,
                label=f"{k}: lowest to highest over seeds")
    axes[0].plot(xs + (j - 0.5) * 0.38, v.mean(1), "_", color=col, ms=14)
axes[0].axhline(1 / 15, color="grey", ls=":", label="chance 1/15")
axes[0].set(xticks=xs, xticklabels=[f"B{c[0]} C{c[1]} Δ{c[2]}" for c in combos], ylabel="held-out accuracy",
            title=f"Table 3 at CPU scale: induction head (context {t3_context}, recall {t3_recall}), {t3_steps} steps")
axes[0].legend(fontsize=8)
for (k, lag, s), curve in t3["copy_curves"].items():
    axes[1].plot(t3["curve_steps"], curve, color="C3" if k == "real" else "C0", lw=1.2,
                 ls="-" if lag == copy_lag else "--", label=f"{k}, lag {lag}" if s == seed else None)
axes[1].axhline(1 / 15, color="grey", ls=":")
axes[1].set(xlabel="Adam step", ylabel="training accuracy", ylim=(0, 1.02),
            title=f"copy task (not Table 3), S6 (all selective): lag {copy_lag} vs {copy_ctrl_lag}")
axes[1].legend(fontsize=8)
fig.tight_layout()
fig_t3 = plotting.save_figure(fig, NB, "table3")
plt.show()

# %%
if not quick:  # the quick budget learns nothing (see the declarations); there it is only printed above
    claims.sanity("complexssm.table3_best_cell_learned", float(st["best_cell"].mean()), 0.3, ">=", figure=fig_t3.name,
                  description="learned-ness: highest mean held-out accuracy over the Table 3 cells (chance 1/15; "
                              "pre-registered >= 0.3)")
claims.check("complexssm.table3_complex_superior_without_selective_BC", st["superior"].lo,
             control_observed=st["superior_ctrl"].lo, figure=fig_t3.name,
             evidence=dict(main=st["superior"].record(), control=st["superior_ctrl"].record()))
claims.check("complexssm.table3_real_comparable_with_selective_BC", st["noninf"], control_observed=st["noninf_ctrl"],
             figure=fig_t3.name, evidence=dict(main=st["noninf_inf"].record(), control=st["noninf_ctrl_inf"].record()))
claims.check("complexssm.copy_complex_beats_real", st["copy"].lo, control_observed=st["copy_ctrl"].lo,
             figure=fig_t3.name, evidence=dict(main=st["copy"].record(), control=st["copy_ctrl"].record()))

# %% [markdown]
# ## 5 · Real world: S4D real vs S4D complex (LegS)
#
# The authors' `configs/real_world/s4d-{real,complex}-cifar.yaml` differ only in `init: diag-real` with
# `is_real: True` versus `init: legs`. We keep that contrast with `ssmtheory.models` (S4D stacks, same seeds for all
# other parameters and for the batch order; the real model gets twice the states, as the s4 code does for `is_real`),
# AdamW with lr 0.01 and weight decay 0.05 (the configs' values) and a cosine decay, on a real data set that ships with
# scikit-learn: the 8×8 handwritten digits read pixel by pixel (length 64). Sequential CIFAR (length 1024, 200 epochs,
# $d_{model}=512$) is far beyond a CPU minute. The statistic is the paired difference of test accuracy over seeds; the
# **control** scores the same models against shuffled test labels, where no difference can be real.

# %%
digits = tasks.sequential_digits(seed=seed)
rw = cr.s4d_real_vs_complex(digits, list(range(seed, seed + rw_seeds)), steps=rw_steps)
inf_rw = stats.paired_t(rw["complex"], rw["real"])
inf_rw_ctrl = stats.paired_t(rw["shuffled"]["complex"], rw["shuffled"]["real"])
print("test accuracy real:", np.round(rw["real"], 3), " complex:", np.round(rw["complex"], 3))
print("complex - real:", inf_rw.record(), "\n  shuffled labels:", inf_rw_ctrl.record())

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.4))
for i in range(len(rw["seeds"])):
    ax.plot([0, 1], [rw["real"][i], rw["complex"][i]], "o-", color="grey", alpha=0.7)
ax.set(xticks=[0, 1], xticklabels=["S4D real\n(A = -diag(1..2N))", "S4D complex\n(LegS, N)"], ylabel="test accuracy",
       title=f"sequential digits, {len(rw['seeds'])} seeds: diff {inf_rw.estimate:+.3f} [{inf_rw.lo:+.3f}, {inf_rw.hi:+.3f}]")
fig.tight_layout()
fig_rw = plotting.save_figure(fig, NB, "realworld")
plt.show()

# %%
claims.check("complexssm.realworld_complex_beats_real", inf_rw.lo, control_observed=inf_rw_ctrl.lo, figure=fig_rw.name,
             evidence=dict(main=inf_rw.record(), control=inf_rw_ctrl.record()))
print(f"notebook compute: wall {time.perf_counter() - T0:.1f} s, CPU {time.process_time() - C0:.1f} s")

# %% [markdown]
# ## Claims

# %%
claims.finalize();
