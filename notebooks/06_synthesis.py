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
# # 06 · Five lenses on one model, tested at the design level
#
# Each paper in this suite looks at SSMs through one theoretical quantity:
#
# | paper | lens | what it should predict |
# |---|---|---|
# | Rácz et al. (01) | length-independent PAC bound, paper form (l1 / H2 norms of the impulse responses) | generalization gap |
# | Liu & Li (02) | data-dependent measure $\tau(\theta)$ | generalization gap |
# | Wang & Li, StableSSM (03) | stability margin $1-\max|\bar\lambda|$ | generalization (more stable, smaller gap) |
# | Ran-Milo et al. (04) | complex vs real eigenvalues | test error |
# | Yu et al., PTD (05) | gain of the layer at a frequency (the S4D spike) | accuracy drop under noise at that frequency |
#
# None of them compares its lens with the others on the same models. Here one family of small deep SSMs is
# trained under **18 pre-registered designs** that spread every lens, plus a placebo replicate of the baseline;
# every trained model is evaluated through every lens, and the question is which lens predicts the measured gap
# and the robustness, **with the design as the unit of replication**.
#
# **Task.** scikit-learn's 8×8 digits read pixel by pixel, each pixel held for 4 steps (sequences of **256** steps,
# long enough for step sizes and radii to matter), label $\pm1$ for digit $\ge 5$, scalar output, squared loss.
# The gap is measured with the clipped square loss $\min((f-y)^2,1)$, the bounded Lipschitz loss of Rácz et al.
#
# **Model.** Two S4D layers (complex diagonal, channels layout), GELU, no LayerNorm, no residual, mean pooling,
# and **no feedthrough** $D$ (the architecture of PTD's robustness test, and the one the Rácz bound covers). All
# designs share this architecture; they differ in initial eigenvalues (S4D-Lin, -Inv, -LegS with the HiPPO
# $B$ in its eigenbasis $V^*B_H$, as in PTD's robustness code; real), step ranges,
# real parts (radius caps), the Liu–Li scaling rule and the $\tau$ regularizer. One vmapped population trains
# every design × seed at once.
#
# **Robustness, two noises** (both at every layer input, $\xi_{b,k,h}=a\,U_{b,h}\cos(\theta_h k)$, $U\sim$ Unif[0,1)
# per example and channel, constant in time, PTD's form [secondary: the authors' `robustness.py`, paper note §7]):
# * *spike noise*, PTD's worst case: $\theta_h=\omega_{\max}\Delta_h$ with $\omega_{\max}$ the largest mode frequency
#   of S4D-LegS at this state size (one frequency for every design) and $\Delta_h$ the channel's own trained step;
# * *argmax noise*: $\theta_h$ = each channel's own argmax-gain frequency.
#
# The amplitude $a$ is pre-registered (parameter `noise_amplitude`) so that S4D-LegS drops measurably; a design
# whose gain at the spike frequency is ~0 (S4D-Lin with steps in $[10^{-4},10^{-3}]$, whose modes sit far below
# $\omega_{\max}$ and do not alias onto it) is the control that must show no drop.
#
# **Statistics** (reconstructed; the papers compare no lenses). For each lens and outcome: Spearman $\rho$ of
# the design medians; a 95% two-stage cluster bootstrap (designs, then seeds within each design); a design-level
# permutation test; the partial $\rho$ controlling for train loss (underfitting); the same without any design that
# has an infinite value; and, separately, the pooled within-design (across-seed) correlation.
#
# **Wording rule** (fixed before the run): a lens "predicts" an outcome when the design-level 95% interval excludes
# 0; otherwise "no evidence"; the effect size is always printed.

# %% tags=["parameters"]
profile: str = "quick"  # "quick" (about a minute on 2 idle CPU cores) or "full"
seed: int = 0
n_seeds: int = None  # seeds per design
steps: int = None  # Adam steps
batch_size: int = None  # minibatch per member
lr: float = None  # Adam learning rate
n_train: int = None  # training examples
n_test: int = None  # test examples
d_model: int = None  # channels
d_state: int = None  # stored complex modes per channel
noise_amplitude: float = None  # pre-registered amplitude a of both noises
n_boot: int = None  # cluster-bootstrap resamples
n_perm: int = None  # permutations of the design-level tests

# %%
from ssmtheory.harness import claims

NB = "06_synthesis"
claims.start(notebook=NB, paper="synthesis", profile=profile)
quick = profile == "quick"
if n_seeds is None:
    n_seeds = 2 if quick else 5
if steps is None:
    steps = 100 if quick else 200
if batch_size is None:
    batch_size = 32
if lr is None:
    lr = 1e-2
if n_train is None:
    n_train = 400
if n_test is None:
    n_test = 250 if quick else 800
if d_model is None:
    d_model = 8
if d_state is None:
    d_state = 8
if noise_amplitude is None:
    noise_amplitude = 0.5
if n_boot is None:
    n_boot = 500 if quick else 2000
if n_perm is None:
    n_perm = 5000 if quick else 10000

claims.expect("synthesis.racz_predicts_gap", kind="experiment", op=">", threshold=0.0, paper="racz-2024",
              description="lower end of the 95% cluster-bootstrap CI of the design-level Spearman rho "
                          "(Rácz paper-form bound, generalization gap)",
              control="the same statistic with the bound's design labels shuffled (a fixed derangement of the designs): "
                      "no association, the interval must reach 0")
claims.expect("synthesis.tau_predicts_gap", kind="experiment", op=">", threshold=0.0, paper="liu-li-2024",
              description="lower end of the 95% cluster-bootstrap CI of the design-level Spearman rho (Liu–Li tau, gap)",
              expected="pass" if profile == "full" else "not reproduced",
              reason=None if profile == "full" else ("quick profile (2 seeds per design, 18 designs), run of "
                                                     "2026-12-03 08:59 UTC: rho +0.37, 95% CI [-0.06, +0.67], permutation p 0.13"),
              control="the same statistic with tau's design labels shuffled (fixed derangement)")
claims.expect("synthesis.margin_predicts_gap", kind="experiment", op="<", threshold=0.0, paper="stablessm-2023",
              description="upper end of the 95% cluster-bootstrap CI of the design-level Spearman rho "
                          "(stability margin, gap): a larger margin should go with a smaller gap",
              expected="not reproduced",
              reason=("full profile (5 seeds per design, 18 designs), run of 2026-12-03 09:21 UTC: "
                      "rho -0.30, 95% CI [-0.65, +0.16], permutation p 0.21") if profile == "full" else
                     ("quick profile (2 seeds per design, 18 designs), run of 2026-12-03 08:59 UTC: "
                      "rho -0.13, 95% CI [-0.54, +0.33], permutation p 0.61"),
              control="the same statistic with the margin's design labels shuffled (fixed derangement)")
claims.expect("synthesis.spike_gain_predicts_spike_drop", kind="experiment", op=">", threshold=0.0, paper="ptd-2023",
              description="lower end of the 95% cluster-bootstrap CI of the design-level Spearman rho "
                          "(gain at the spike frequency, accuracy drop under spike noise)",
              expected="pass" if profile == "full" else "not reproduced",
              reason=None if profile == "full" else ("quick profile (2 seeds per design, 18 designs), run of "
                                                     "2026-12-03 08:59 UTC: rho +0.51, 95% CI [-0.03, +0.79], permutation p 0.03"),
              control="the same statistic with the gain's design labels shuffled (fixed derangement)")
claims.expect("synthesis.gain_predicts_argmax_drop", kind="experiment", op=">", threshold=0.0, paper="ptd-2023",
              description="lower end of the 95% cluster-bootstrap CI of the design-level Spearman rho "
                          "(worst-frequency gain, accuracy drop under noise at each model's argmax-gain frequency)",
              expected="not reproduced",
              reason=("full profile (5 seeds per design, 18 designs), run of 2026-12-03 09:21 UTC: "
                      "rho +0.57, 95% CI [-0.05, +0.78], permutation p 0.014") if profile == "full" else
                     ("quick profile (2 seeds per design, 18 designs), run of 2026-12-03 08:59 UTC: "
                      "rho +0.55, 95% CI [-0.01, +0.85], permutation p 0.02"),
              control="the same statistic with the gain's design labels shuffled (fixed derangement)")
claims.expect("synthesis.spike_noise_drops_legs", kind="experiment", op=">", threshold=0.0, paper="ptd-2023",
              description="S4D-LegS: lower end of the 95% two-stage bootstrap CI (seeds, then test examples) of the "
                          "accuracy drop under spike noise at the pre-registered amplitude",
              control="the same statistic for S4D-Lin with steps in [1e-4, 1e-3], whose gain at the spike frequency "
                      "is ~0 (checked as a sanity claim): no drop, the interval must reach 0")
claims.expect("synthesis.complex_beats_real", kind="experiment", op=">", threshold=0.0, paper="complex-ssm-2024",
              description="lower end of the 95% two-stage bootstrap CI (seeds, then test examples) of "
                          "test error(S4D-Real) - test error(S4D-Lin), paired by seed and example",
              control="placebo: the same statistic for an independently trained replicate of S4D-Lin against "
                      "S4D-Lin (no difference by construction): the interval must reach 0")

# %% [markdown]
# ## Train every design × seed (one vmapped population)

# %%
import time

import jax
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ssmtheory.harness import plotting
from ssmtheory import stats
from ssmtheory.experiments import synthesis

plotting.use_style()
t0 = time.time()
cfg = synthesis.base_config(d_model, d_state)
data = synthesis.binary_digits(seed=seed, n_train=n_train, repeat=4, n_test=n_test)
designs = synthesis.DESIGNS
seeds = [seed + i for i in range(n_seeds)]
pop, d_idx, s_idx, losses = synthesis.train_population(designs, seeds, cfg, data, steps=steps, lr=lr,
                                                       batch_size=batch_size, seed=seed)
print(f"{len(designs)} designs x {n_seeds} seeds = {len(d_idx)} models, L = {data[0].shape[1]}, "
      f"{steps} Adam steps: {time.time() - t0:.0f} s")

# %%
t1 = time.time()
res = synthesis.evaluate(pop, cfg, data, d_state=d_state, amplitude=noise_amplitude, noise_seed=seed)
names = [d.name for d in designs]
metrics = ["train loss", "test error", "gap", "spike drop", "argmax drop", "Rácz bound", "Liu–Li tau",
           "stability margin", "worst-frequency gain", "spike gain"]
df = pd.DataFrame({k: res[k] for k in metrics}).assign(design=[names[i] for i in d_idx], seed=s_idx)
med = df.groupby("design", sort=False)[metrics].median()
print(f"omega_max = {synthesis.spike_frequency(d_state):.2f}; evaluation {time.time() - t1:.0f} s")
med.round(4)

# %% [markdown]
# ## The model × metric map
#
# Each column is ranked across designs (median over seeds); colour is the rank (dark = largest), the numbers are
# the medians. Compare a lens column with the *gap* and *drop* columns.

# %%
fig, ax = plt.subplots(figsize=(14, 0.42 * len(med) + 1.5))
sns.heatmap(med.rank(pct=True), annot=med.map(lambda x: f"{x:.3g}"), fmt="", cmap="mako_r",
            cbar_kws=dict(label="rank within column"), ax=ax)
ax.set(xlabel="", ylabel="", title=f"median over {n_seeds} seeds ({profile} profile)")
fig_map = plotting.save_figure(fig, NB, "model_metric_map")
plt.show()

# %% [markdown]
# ## Which lens predicts what, at the design level
#
# Every lens against the gap and both drops. Points: Spearman $\rho$ of the design medians; bars: 95%
# cluster-bootstrap intervals; open markers: partial $\rho$ controlling for train loss (with its design-level
# bootstrap interval). The placebo replicate is left out (it would double-count the baseline).

# %%
corr_mask = np.array([not designs[i].placebo for i in d_idx])
sub = {k: np.asarray(v)[corr_mask] for k, v in res.items() if k in metrics}
d_sub = np.searchsorted(np.unique(d_idx[corr_mask]), d_idx[corr_mask])
lenses = ["Rácz bound", "Liu–Li tau", "stability margin", "worst-frequency gain", "spike gain"]
targets = ["gap", "spike drop", "argmax drop"]
table = synthesis.lens_table(sub, d_sub, lenses, targets, n_boot=n_boot, n_perm=n_perm, seed=seed)
fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
for ax, t in zip(axes, targets):
    for j, lens in enumerate(lenses):
        e = table[(lens, t)]
        ax.errorbar(e["rho"], j, xerr=[[e["rho"] - e["ci"][0]], [e["ci"][1] - e["rho"]]], fmt="o", color="C0", capsize=3)
        pr = e["partial"]
        ax.errorbar(pr["rho"], j + 0.25, xerr=[[pr["rho"] - pr["ci"][0]], [pr["ci"][1] - pr["rho"]]], fmt="o",
                    mfc="none", color="C1", capsize=3)
    ax.axvline(0, color="k", lw=0.8)
    ax.set(xlim=(-1.05, 1.05), xlabel=f"Spearman ρ with {t}", yticks=range(len(lenses)), title=t)
    ax.set_yticklabels(lenses)
axes[0].legend(["design-level ρ (cluster bootstrap)", "partial ρ | train loss"], loc="lower left", fontsize=8)
fig_corr = plotting.save_figure(fig, NB, "lens_correlations")
plt.show()
rows = []
for (lens, t), e in table.items():
    rows.append(dict(lens=lens, outcome=t, rho=e["rho"], ci=f"[{e['ci'][0]:+.2f}, {e['ci'][1]:+.2f}]", p=e["p"],
                     partial=e["partial"]["rho"], partial_ci=f"[{e['partial']['ci'][0]:+.2f}, {e['partial']['ci'][1]:+.2f}]",
                     partial_p=e["partial"]["p"], finite_rho=e["finite"]["rho"], dropped=e["n_dropped"],
                     within=e.get("within", np.nan)))
pd.DataFrame(rows).round(3)

# %% [markdown]
# ## Robustness drops per design
#
# Accuracy lost under each noise (points: seeds; bars: medians). The control design (gain ~0 at the spike
# frequency) must show no spike-noise drop.

# %%
fig, ax = plt.subplots(figsize=(13, 4))
x = np.arange(len(designs))
for k, (col, off) in enumerate((("spike drop", -0.2), ("argmax drop", 0.2))):
    ax.bar(x + off, med[col].to_numpy(), width=0.4, color=f"C{k}", alpha=0.6, label=col)
    ax.plot(d_idx + off, res[col], "k.", ms=3)
ax.axhline(0, color="k", lw=0.8)
ax.set(xticks=x, ylabel="accuracy clean - noisy", title=f"noise amplitude {noise_amplitude} at every layer input")
ax.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
ax.legend()
fig_drop = plotting.save_figure(fig, NB, "robustness_drops")
plt.show()

# %% [markdown]
# ## Claims
#
# Correlation claims: observed = the end of the design-level 95% interval that the theory's sign needs (the lower
# end for a positive correlation); control = the same statistic after a fixed derangement of the lens's design
# labels. Robustness and complex-vs-real claims: the paired accuracy (or error) difference, with a two-stage
# bootstrap over seeds and then test examples.
#
# Pre-registration: every correlation claim was declared to pass in the full profile (5 seeds per design), as the
# papers' theories predict. Two did not (the stability margin against the gap, the worst-frequency gain against the
# argmax-noise drop): their declarations now say "not reproduced" and quote the full run's interval. The quick
# profile (2 seeds) records the correlations it could not resolve as "not reproduced", with the interval of the run
# that showed it in the declaration. The noise amplitude (0.5) was fixed
# from a pilot run in which S4D-LegS lost 0.08 accuracy under spike noise; no threshold depends on this run.

# %%
deranged = np.roll(np.arange(len(np.unique(d_sub))), len(np.unique(d_sub)) // 2)


def corr_claim(name, lens, target, sign):
    e = table[(lens, target)]
    c = synthesis.design_spearman(sub[lens], sub[target], d_sub, n_boot=n_boot, n_perm=n_perm, seed=seed,
                                  designs_perm=deranged)
    end = (lambda ci: ci[0]) if sign > 0 else (lambda ci: ci[1])
    ev = dict(rho=e["rho"], ci=e["ci"], p=e["p"], partial=e["partial"], finite=e["finite"], within=e.get("within"),
              n_designs=e["n_designs"], n_seeds=e["n_seeds"], test=e["test"], control_rho=c["rho"], control_ci=c["ci"],
              wording=synthesis.wording(e, sign))
    return end(e["ci"]), end(c["ci"]), ev


obs, ctrl, ev = corr_claim("synthesis.racz_predicts_gap", "Rácz bound", "gap", +1)
claims.check("synthesis.racz_predicts_gap", obs, control_observed=ctrl, evidence=ev, figure=fig_corr)
obs, ctrl, ev = corr_claim("synthesis.tau_predicts_gap", "Liu–Li tau", "gap", +1)
claims.check("synthesis.tau_predicts_gap", obs, control_observed=ctrl, evidence=ev, figure=fig_corr)
obs, ctrl, ev = corr_claim("synthesis.margin_predicts_gap", "stability margin", "gap", -1)
claims.check("synthesis.margin_predicts_gap", obs, control_observed=ctrl, evidence=ev, figure=fig_corr)
obs, ctrl, ev = corr_claim("synthesis.spike_gain_predicts_spike_drop", "spike gain", "spike drop", +1)
claims.check("synthesis.spike_gain_predicts_spike_drop", obs, control_observed=ctrl, evidence=ev, figure=fig_corr)
obs, ctrl, ev = corr_claim("synthesis.gain_predicts_argmax_drop", "worst-frequency gain", "argmax drop", +1)
claims.check("synthesis.gain_predicts_argmax_drop", obs, control_observed=ctrl, evidence=ev, figure=fig_corr)

# %%
def paired_examples(a_correct, b_correct, design):
    """Per (seed, example) of one design: a - b (1 = a correct only), with seeds as clusters."""
    m = d_idx == names.index(design)
    diff = (a_correct[m].astype(float) - b_correct[m].astype(float))
    return stats.cluster_bootstrap(diff.reshape(-1), clusters=np.repeat(s_idx[m], diff.shape[1]), statistic=np.mean,
                                   alternative="two-sided", n_boot=n_boot, seed=seed)


corr = res["correct"]
legs = paired_examples(corr["clean"], corr["spike"], synthesis.SPIKE_DESIGN)
ctl = paired_examples(corr["clean"], corr["spike"], synthesis.CONTROL_DESIGN)
claims.check("synthesis.spike_noise_drops_legs", legs.lo, control_observed=ctl.lo, figure=fig_drop,
             evidence=dict(main=legs.record(), control=ctl.record(), amplitude=noise_amplitude))
mr, mb, mp = (d_idx == names.index(n) for n in (synthesis.REAL, synthesis.BASELINE, synthesis.PLACEBO))
real_vs = stats.cluster_bootstrap((corr["clean"][mb].astype(float) - corr["clean"][mr]).reshape(-1),
                                  clusters=np.repeat(s_idx[mb], corr["clean"].shape[1]), statistic=np.mean,
                                  n_boot=n_boot, seed=seed)
placebo = stats.cluster_bootstrap((corr["clean"][mb].astype(float) - corr["clean"][mp]).reshape(-1),
                                  clusters=np.repeat(s_idx[mb], corr["clean"].shape[1]), statistic=np.mean,
                                  n_boot=n_boot, seed=seed)
claims.check("synthesis.complex_beats_real", real_vs.lo, control_observed=placebo.lo, figure=fig_map,
             evidence=dict(main=real_vs.record(), control=placebo.record()))

# %% [markdown]
# Sanity checks (properties of our construction, never counted as reproductions): the control design's gain at the
# spike frequency is ~0 next to S4D-LegS's; the exact worst-frequency gain agrees with the independent
# H-infinity routine on a trained layer; the $\tau$ regularizer lowers $\tau$ (an optimizer lowering the penalty it
# is given); the design-level table is complete, and it carries the numbers the README quotes.

# %%
from ssmtheory import models, norms  # noqa: E402

g_ctl = float(med.loc[synthesis.CONTROL_DESIGN, "spike gain"])
g_legs = float(med.loc[synthesis.SPIKE_DESIGN, "spike gain"])
claims.sanity("synthesis.control_gain_near_zero", g_ctl / g_legs, 0.1, "<=", figure=fig_map,
              description="median gain at the spike frequency: control design / S4D-LegS",
              evidence=dict(control=g_ctl, legs=g_legs))
layer = models.layer_systems(synthesis.effective(synthesis.unstack(pop, int(np.flatnonzero(mb)[0]))), cfg)[0]
h = 0
ref = norms.hinf_norm(*norms.layer_to_standard(layer["Lambda_bar"][h], layer["B_bar"][h][:, None], layer["C"][h][None, :],
                                               np.zeros((1, 1)), conj_sym=True))
got = float(synthesis.channel_gains(layer)[0][h])
claims.sanity("synthesis.gain_vs_hinf", abs(got - ref) / ref, 1e-6, "<=",
              description="exact channel gain vs norms.hinf_norm on a trained layer (relative difference)")
mt = d_idx == names.index(synthesis.TAU_REG)
tau_ratio = float(np.exp(np.mean(np.log(res["Liu–Li tau"][mt]) - np.log(res["Liu–Li tau"][mb]))))
claims.sanity("synthesis.regularizer_lowers_tau", tau_ratio, 1.0, "<", figure=fig_map,
              description="geometric mean over seeds of tau(+ tau regularizer 1e-1) / tau(S4D-Lin)")
table_rec = {f"{lens} | {t}": dict(rho=e["rho"], ci=e["ci"], p=e["p"], partial=e["partial"], finite=e["finite"],
                                   n_dropped=e["n_dropped"], within=e.get("within"))
             for (lens, t), e in table.items()}
drops = {n: dict(spike=float(med.loc[n, "spike drop"]), argmax=float(med.loc[n, "argmax drop"]),
                 test_error=float(med.loc[n, "test error"]), gap=float(med.loc[n, "gap"])) for n in names}
n_finite = sum(np.isfinite(e["rho"]) and np.all(np.isfinite(e["ci"])) for e in table.values())
claims.sanity("synthesis.design_table_complete", n_finite, len(lenses) * len(targets), "==", figure=fig_corr,
              description="design-level table entries with a finite rho and interval (every lens x outcome)",
              evidence=dict(table=table_rec, drops=drops, n_designs=int(len(np.unique(d_sub))), n_seeds=n_seeds))

# %% [markdown]
# ## What the numbers say (worded by the fixed rule)

# %%
expected_sign = {"stability margin": -1}
for (lens, t), e in table.items():
    sgn = expected_sign.get(lens, 1)
    print(f"{lens} {synthesis.wording(e, sgn)} the {t}; partial | train loss "
          f"{e['partial']['rho']:+.2f} [{e['partial']['ci'][0]:+.2f}, {e['partial']['ci'][1]:+.2f}]; "
          f"without infinite values {e['finite']['rho']:+.2f} ({e['n_dropped']} designs dropped)")
print(f"total {time.time() - t0:.0f} s")

# %%
claims.finalize();
