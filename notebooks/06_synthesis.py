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
# # 06 · Five lenses on one model
#
# Each paper in this suite looks at SSMs through one theoretical quantity:
#
# | paper | lens | what it should predict |
# |---|---|---|
# | Rácz et al. (01) | length-independent bound (norms of the impulse responses, stability margin) | generalization gap |
# | Liu & Li (02) | data-dependent measure $\tau(\theta)$ | generalization gap |
# | Wang & Li, StableSSM (03) | stability margin, reparameterization | stable training, memory |
# | Ran-Milo et al. (04) | complex vs real parameterization | expressivity, test error |
# | Yu et al., PTD (05) | spectral sensitivity: worst-frequency gain | robustness to Fourier-mode noise |
#
# None of them compares its lens with the others on the same models. Here we train **one family** of small
# deep SSMs on **one task** under each design choice the papers study, then evaluate every trained model through
# **every** lens, and ask which quantities actually track the measured generalization gap and robustness.
#
# **Task.** scikit-learn's bundled 8×8 digits, read pixel by pixel (length 64), label $\pm1$ for digit $\ge5$,
# scalar output trained with squared loss. A scalar predictor with a bounded Lipschitz loss is what the Rácz
# bound covers, so the gap is measured with the clipped square loss $\min((f-y)^2, 1)$.
#
# **Models.** Two SSM layers, GELU, no LayerNorm, no residual, mean pooling (again the architecture the bound
# covers). Design choices: complex vs real diagonal (S4D); direct vs exp vs best reparameterization; S4D-Lin vs
# S4D-LegS (channels layout) and S5-LegS vs S5-PTD vs LRU ring (MIMO layout); with and without the Liu–Li scaling
# rule and $\tau$ regularizer. Each is trained with several seeds (one vmapped population per design).
#
# **Caveats, stated up front.** For a *diagonal* model the eigenvector condition number is 1 and the
# $\varepsilon$-pseudospectral radius is $\rho(\bar\Lambda)+\varepsilon$, so PTD's resolvent lens reduces to the
# worst-frequency gain $\max_\omega\|G(e^{i\omega})\|$ and the stability margin. The Rácz number is evaluated on each
# trained model's own norm ball (no union bound over the grid), so it is a trend, not a certificate; it is vacuous
# in absolute value, as notebook 01 explains. Correlations are over a few dozen models: each is reported with a
# bootstrap 95% interval, and a claim holds only if the whole interval has the sign the theory predicts.

# %% tags=["parameters"]
profile = "quick"  # "quick" (about two minutes on 2 CPU cores) or "full"
seed = 0

# %%
import time

import jax

jax.config.update("jax_enable_x64", True)  # PTD's eigenvector optimization needs float64 (the models train in float32)

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from ssmtheory import claims, plotting, synthesis

NB = "06_synthesis"
claims.start(notebook=NB, paper="synthesis", profile=profile)
plotting.use_style()
cfg_run = dict(quick=dict(seeds=2, steps=150, n_train=400), full=dict(seeds=5, steps=600, n_train=400))[profile]
seeds = [seed + i for i in range(cfg_run["seeds"])]
data = synthesis.binary_digits(seed=seed, n_train=cfg_run["n_train"])
print(f"profile={profile}: {len(synthesis.VARIANTS)} designs x {len(seeds)} seeds, {cfg_run['steps']} Adam steps, "
      f"n_train={data[0].shape[0]}, n_test={data[2].shape[0]}")

# %% [markdown]
# ## Train every design
#
# PTD is applied to the 16×16 HiPPO-LegS matrix once (perturbation $E$ optimized for a small eigenvector condition
# number, notebook 05), and its eigendecomposition initializes the S5-PTD layers.

# %%
t0 = time.time()
ptd_variant = next(v for v in synthesis.VARIANTS if v.ptd_gamma is not None)
ptd = synthesis.hippo_ptd(synthesis.BASE.d_state, gamma=ptd_variant.ptd_gamma)
print(f"PTD: ||E||/||A|| = {ptd.eps_rel:.3f}, kappa(V) = {ptd.kappa:.2f}, max Re lambda = {ptd.max_re:.2f}")
rows = []
for v in synthesis.VARIANTS:
    t1 = time.time()
    cfg, members, losses = synthesis.train_variant(v, data, seeds, steps=cfg_run["steps"], ptd_result=ptd)
    for s, p in zip(seeds, members):
        rows.append(dict(design=v.name, family=v.family, seed=s, **synthesis.lenses(p, cfg, data, noise_seed=s)))
    print(f"{v.name:26s} {time.time() - t1:5.1f} s   final train loss {losses[-1].mean():.3f}")
print(f"total {time.time() - t0:.0f} s")

# %%
import pandas as pd  # noqa: E402  (pandas comes with seaborn)

df = pd.DataFrame(rows)
metrics = ["test error", "gap", "robustness drop", "Rácz bound", "Liu–Li tau", "stability margin", "worst-frequency gain"]
med = df.groupby("design", sort=False)[metrics].median()
med.round(4)

# %% [markdown]
# ## The model × metric map
#
# Each column is ranked across designs (median over seeds); colour is the rank (dark = largest), the numbers are
# the medians. Read a column to see which design a lens favours; compare a lens column with the *gap* and
# *robustness drop* columns to see whether it tracks them.

# %%
ranks = med.rank(pct=True)
fig, ax = plt.subplots(figsize=(12, 0.45 * len(med) + 1.5))
annot = med.map(lambda x: f"{x:.3g}")
sns.heatmap(ranks, annot=annot, fmt="", cmap="mako_r", cbar_kws=dict(label="rank within column"), ax=ax)
ax.set(xlabel="", ylabel="", title=f"median over {len(seeds)} seeds ({profile} profile)")
fig_map = plotting.save_figure(fig, NB, "model_metric_map")
plt.show()

# %% [markdown]
# ## Which lens predicts what
#
# Spearman rank correlation across all trained models (designs × seeds) between each theoretical quantity and
# the two measured outcomes, with bootstrap 95% intervals. The theory predicts a **positive** correlation with the
# gap for the Rácz bound and for $\tau$, a **negative** one for the stability margin (more stable, smaller gap), and
# a **positive** correlation between the worst-frequency gain and the accuracy drop under worst-frequency noise.

# %%
lens_names = ["Rácz bound", "Liu–Li tau", "stability margin", "worst-frequency gain"]
corr = {}
for target in ("gap", "robustness drop"):
    for name in lens_names:
        corr[(name, target)] = synthesis.spearman_ci(df[name], df[target], seed=seed)

fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, target in zip(axes, ("gap", "robustness drop")):
    r = np.array([corr[(n, target)] for n in lens_names])
    ax.errorbar(r[:, 0], np.arange(len(lens_names)), xerr=[r[:, 0] - r[:, 1], r[:, 2] - r[:, 0]], fmt="o", capsize=4)
    ax.axvline(0, color="k", lw=0.8)
    ax.set(xlim=(-1.05, 1.05), xlabel=f"Spearman ρ with {target} (95% bootstrap CI)", yticks=range(len(lens_names)))
    ax.set_yticklabels(lens_names)
axes[0].set_title(f"generalization gap ({len(df)} models)")
axes[1].set_title("accuracy drop under worst-frequency noise")
fig_corr = plotting.save_figure(fig, NB, "lens_correlations")
plt.show()
for k, (rho, lo, hi) in corr.items():
    print(f"{k[0]:>22} vs {k[1]:<16} rho={rho:+.2f}  [{lo:+.2f}, {hi:+.2f}]")

# %% [markdown]
# ## Claims
#
# Each correlation claim holds only if the bootstrap interval lies entirely on the side the theory predicts
# (a lower bound above 0, or an upper bound below 0). The design comparisons use medians over seeds and must
# exceed the test set's resolution: two accuracies measured on $n$ test examples differ by binomial noise of up to
# $2\sqrt{0.25/n}$ (two standard deviations at the worst case $p=1/2$), so a smaller difference is not evidence.
#
# What the runs show (numbers in the printed output and in `REPORT.md`):
#
# * **$\tau$ tracks the gap** in both profiles, and the regularizer lowers $\tau$ as designed.
# * **The Rácz bound tracks the gap only with enough models**: its interval excludes 0 in the full profile
#   (55 models) but not in the quick profile (22 models), which therefore records the claim as not reproduced,
#   *for lack of power*, with the interval as evidence.
# * **The stability margin does not rank the gaps**: trained margins are set mostly by the step-size initialization
#   (about $4\cdot10^{-4}$ for every S4D design), not by how well the model generalizes.
# * **The worst-frequency gain does not rank the accuracy drops**: in the full profile only the *real* diagonal model
#   loses more than the resolution under worst-frequency noise, and its gain is among the smallest; S5-PTD and
#   S5-LegS cannot be separated (as in notebook 05's robustness test; the paper's effect is reported for sCIFAR at GPU scale).
# * **Complex beats real** on test error by far more than the resolution (Ran-Milo et al.).

# %%
n_test = data[2].shape[0]
resolution = 2 * np.sqrt(0.25 / n_test)
max_drop = float(np.abs(med["robustness drop"]).max())
print(f"accuracy resolution on {n_test} test examples: {resolution:.4f}; largest |median robustness drop|: {max_drop:.4f}")


def ci_claim(name, lens, target, sign, description, expected="pass", reason=None):
    rho, lo, hi = corr[(lens, target)]
    observed, thr, op = (lo, 0.0, ">") if sign > 0 else (hi, 0.0, "<")
    if reason is not None:
        reason = reason + f" (this run: Spearman {rho:+.2f}, 95% CI [{lo:+.2f}, {hi:+.2f}], {len(df)} models)"
    claims.check(name, observed, thr, op, figure=fig_corr.name, expected=expected, reason=reason,
                 description=f"{description}: Spearman {rho:+.2f}, 95% CI [{lo:+.2f}, {hi:+.2f}] "
                             f"({'lower' if sign > 0 else 'upper'} end observed)")


ci_claim("synthesis.tau_tracks_gap", "Liu–Li tau", "gap", +1, "Liu–Li tau rank-correlates positively with the gap")
underpowered = profile != "full"
ci_claim("synthesis.racz_bound_tracks_gap", "Rácz bound", "gap", +1, "the Rácz bound rank-correlates positively with the gap",
         expected="not reproduced" if underpowered else "pass",
         reason="the quick profile trains too few models (2 seeds per design) to resolve this correlation; the full profile does"
         if underpowered else None)
ci_claim("synthesis.margin_tracks_gap", "stability margin", "gap", -1, "a larger stability margin goes with a smaller gap",
         expected="not reproduced",
         reason="trained margins are set mostly by the step-size initialization (median margin per S4D design "
                f"{med.loc['S4D-Lin (baseline)', 'stability margin']:.1e}), not by how the model generalizes")
over = [d for d in med.index if med.loc[d, "robustness drop"] > resolution]
gains = med["worst-frequency gain"]
if over:
    gain_reason = (f"only {', '.join(over)} lose(s) more than the resolution {resolution:.3f} under the noise, with worst-frequency "
                   f"gain(s) {', '.join(f'{gains[d]:.3g}' for d in over)} against a median of "
                   f"{gains.replace(np.inf, np.nan).median():.3g} over designs")
else:
    gain_reason = (f"the noise moves accuracy by at most {max_drop:.3f} (median per design), below the resolution "
                   f"{resolution:.3f}, so the drops are noise")
ci_claim("synthesis.gain_tracks_robustness", "worst-frequency gain", "robustness drop", +1,
         "the worst-frequency gain rank-correlates positively with the accuracy drop under worst-frequency noise",
         expected="not reproduced", reason=gain_reason)

claims.check("synthesis.complex_beats_real", med.loc["real diagonal", "test error"] - med.loc["S4D-Lin (baseline)", "test error"],
             resolution, ">", figure=fig_map.name,
             description="complex diagonal (S4D-Lin) has lower median test error than real diagonal (S4D-Real), by more than the resolution: difference real - complex")
drop_diff = med.loc["S5-LegS", "robustness drop"] - med.loc["S5-PTD", "robustness drop"]
claims.check("synthesis.ptd_more_robust_than_s5_legs", drop_diff, resolution, ">", figure=fig_map.name,
             description="S5-PTD loses less accuracy under worst-frequency noise than S5-LegS, by more than the resolution: difference of median drops",
             expected="not reproduced",
             reason=f"median drops S5-LegS {med.loc['S5-LegS', 'robustness drop']:.4f} vs S5-PTD {med.loc['S5-PTD', 'robustness drop']:.4f}: "
                    f"difference {drop_diff:.4f} is below the resolution {resolution:.4f} on {n_test} test examples")
claims.check("synthesis.regularizer_lowers_tau", med.loc["+ tau regularizer", "Liu–Li tau"] / med.loc["S4D-Lin (baseline)", "Liu–Li tau"],
             1.0, "<", figure=fig_map.name,
             description="training with the tau regularizer ends at a smaller tau than the baseline (ratio of medians)")

# %%
claims.finalize()
