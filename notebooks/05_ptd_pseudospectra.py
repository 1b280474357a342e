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
# # 05 · HiPPO's ill-posed diagonalization, perturb-then-diagonalize, pseudospectra
#
# **Paper.** Yu, Nigmetov, Morozov, Mahoney, Erichson, *Robustifying state-space models for long sequences via
# approximate diagonalization* (PTD; ICLR 2024, arXiv 2310.01698). Paper id `ptd-2023`.
#
# **What the paper says** (only the abstract, the OpenReview reviews and the authors' code were available to us;
# see `shared/papers/ptd-2023.md`):
# * **[paper]** diagonalizing HiPPO-LegS $A_H$ is ill-posed; S4D avoids it by dropping the low-rank part
#   (diagonalizing only the normal part $A_N$), which converges only *weakly* to HiPPO;
# * **[paper]** PTD perturbs $A_H$ by a small, *optimized* $E$, diagonalizes $A_H+E=\tilde V\tilde\Lambda\tilde V^{-1}$
#   and initializes the diagonal SSM with $(\tilde\Lambda,\tilde V^{-1}B,C\tilde V)$; this converges *strongly*
#   (uniformly on the imaginary axis) and is robust to Fourier-mode input noise;
# * **[paper, theorem statements reconstructed from reviews]** Thm 1: $\|y_{S4D}-y_H\|_{L^2}=O(N^{-1})$ for smooth
#   inputs; Thm 2: no uniform convergence of $G_{S4D}\to G_H$ on $i\mathbb R$ (a non-decaying spike at $|s|=\Theta(N^2)$),
#   the impulse response does not converge; Thm 3: $|G_{PTD}-G_H|\le(2\ln N+4)\|E\|+O(\|E\|^2)$ uniformly.
#   The constants, normalizations ($C=e_1$, S4D with $B/2$) and the exact forms below are **our reconstruction**,
#   checked numerically here, not quotations.
#
# **What we compute** (all float64; mpmath where float64 cannot see the truth):
# 1. exact $\kappa(V_H)$ in extended precision vs what `numpy.linalg.eig` returns; pseudospectra of $A_H$, $A_N$ and
#    $A_H+E$ with the round-off floor $10^{-12}\|A\|$ marked (below it float64 shows noise, not signal);
# 2. $G(s)=C(sI-A)^{-1}B$ on $i\mathbb R$ in $O(N)$ per frequency. For HiPPO we use the Sherman–Morrison identity
#    (derived here, tested against triangular solves): with $A_H=A_N-PP^\top$, $B=\sqrt2P$, $q(s)=P^\top(sI-A_N)^{-1}P$,
#    $$C(sI-A_N)^{-1}B=(1+q(s))\,C(sI-A_H)^{-1}B .$$
#    $L^2$ output errors for $u=e^{-t}$ and the impulse are exact, through Lyapunov Gramians;
# 3. our PTD optimizer (Adam on a real $E$, loss $\log\kappa_F(\tilde V)+\gamma\|E\|_F/\|A\|+$ a stability penalty,
#    gradients through `jax.lax.linalg.eig(..., enable_eigvec_derivs=True)`; the official code minimizes
#    $\kappa^2+\delta\|E\|_F$ in PyTorch) and a Gaussian-$E$ baseline;
# 4. the resolvent bound $\sup_s\|(isI-A_H)^{-1}\|^2\le2\ln N+4$ (the constant of Thm 3);
# 5. a CPU-sized robustness test: 2-layer diagonal SSMs (S4D-LegS vs PTD initialization) on sequential 8×8 digits
#    with the paper's test-time noise $0.1\,U\cos(\omega_{\max}\Delta k)$ at every layer input.
#
# **Not reproduced here:** the Long Range Arena results (Table 1: S4-PTD average 86.58 vs S4 86.09 and S4D 84.89;
# S5-PTD 87.61 vs S5 87.46) and the sCIFAR robustness curves need GPU-days; we cite them, we do not recompute them.

# %% tags=["parameters"]
profile = "quick"  # "quick" (about a minute on 2 CPU cores) or "full" (paper-quality figures)
seed = 0

# %%
import time

import jax

jax.config.update("jax_enable_x64", True)  # kappa ~ 1e20, sigma_min ~ 1e-20: float32 would show only noise

import matplotlib.pyplot as plt
import numpy as np

from ssmtheory import claims, init, plotting, stats
from ssmtheory import pseudospectra as ps
from ssmtheory import ptd

NB = "05_ptd_pseudospectra"
claims.start(notebook=NB, paper="ptd-2023", profile=profile)
plotting.use_style()
P = dict(
    quick=dict(kappa_N=[8, 12, 16, 24, 32, 40, 48], f64_N=list(range(4, 65, 4)), grid=60, conv_N=[8, 16, 32, 64, 128, 256],
               res_N=[8, 16, 32, 64, 128], ptd_N=16, gammas=[100.0, 30.0, 10.0, 3.0, 1.0], steps=1500,
               rob_seeds=(0, 1, 2), rob_epochs=5, rob_N=16),
    full=dict(kappa_N=[8, 12, 16, 20, 24, 28, 32, 40, 48], f64_N=list(range(4, 97, 2)), grid=160, conv_N=[8, 16, 32, 64, 128, 256],
              res_N=[8, 16, 32, 64, 128, 256], ptd_N=16, gammas=[300.0, 100.0, 30.0, 10.0, 3.0, 1.0, 0.3], steps=3000,
              rob_seeds=(0, 1, 2, 3, 4), rob_epochs=8, rob_N=16),
)[profile]
t_start = time.perf_counter()

# %% [markdown]
# ## 1 · The eigenvectors of HiPPO-LegS are exponentially ill-conditioned
#
# $A_H$ is lower triangular with eigenvalues $-1,\dots,-N$, so its eigenvectors follow by exact forward substitution.
# We do that in mpmath with $N+40$ digits and compute $\kappa_2(V_H)$ (unit columns) from its singular values
# (`ps.hippo_eigvec_condition_exact`). Thresholds (note §5, check 2, fixed in advance): slope of $\log_2\kappa$ in
# $[2.4,2.6]$ per unit $N$ (the S4 paper's entries $\approx2^{4N/3}$ make $\kappa$ grow like $2^{cN}$; $c\approx2.5$ is the
# note's exact-arithmetic estimate) and $\log_2\kappa\ge2N$ at $N=16,32,48$.
#
# float64 `eig` is backward stable, so its eigenvalues are exact for *some* matrix within $\approx10^{-16}\|A\|$ — but the
# forward error is amplified by the eigenvalue condition numbers ($\le\kappa(V)$). Once $\kappa\,\varepsilon\|A\|\gtrsim1$,
# i.e. $2^{2.5N}\cdot10^{-16}\cdot N^2\gtrsim1$ ($N\approx20$), the computed eigenvalues carry no correct digit. We check
# that at $N=32$ the worst relative eigenvalue error against the exact $-1..-N$ exceeds 10 % ("all accuracy lost") and,
# as a control, that float64 `cond(V)` already exceeds $10^{10}$ at $N=16$.
#
# **A first version of this check was wrong, and we keep the evidence.** Applied to $A_H$ itself, the eigenvalue error is
# exactly 0: LAPACK sees a triangular matrix and reads the eigenvalues off the diagonal, so the loss shows only in the
# eigenvectors (left panel). The eigenvalues are lost as soon as the same operator is given in another orthonormal basis,
# $QA_HQ^\top$, which is what any trained or rotated parameterization presents to `eig`. The check therefore uses
# $QA_HQ^\top$ (both curves are plotted).

# %%
kN = np.array(P["kappa_N"])
t0 = time.perf_counter()
log2k = np.array([ps.hippo_eigvec_condition_exact(int(n)) for n in kN])
t_mp = time.perf_counter() - t0
fN = np.array(P["f64_N"])
k64 = np.array([ps.eigvec_condition(init.hippo_legs(int(n))[0]) for n in fN])
err64_tri = np.array([ps.hippo_eig_error(init.hippo_legs(int(n))[0], -np.arange(1, n + 1)) for n in fN])


def rotated(n):  # Q A_H Q^T, Q a seeded random orthogonal matrix: same spectrum, no longer triangular
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    return Q @ init.hippo_legs(n)[0] @ Q.T


err64 = np.array([ps.hippo_eig_error(rotated(int(n)), -np.arange(1, n + 1)) for n in fN])
slope = np.polyfit(kN[kN >= 16], log2k[kN >= 16], 1)[0]
print(f"mpmath: {t_mp:.1f}s; log2 kappa:", dict(zip(kN.tolist(), np.round(log2k, 1).tolist())), f"slope {slope:.3f}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
ax = axes[0]
ax.semilogy(kN, 2.0**log2k, "o-", label=r"exact $\kappa_2(V_H)$ (mpmath)")
ax.semilogy(fN, k64, "s--", ms=4, label="float64 cond(eig(A_H)[1])")
ax.semilogy(kN, 2.0 ** (slope * kN + (log2k[-1] - slope * kN[-1])), "k:", lw=1, label=rf"fit $2^{{{slope:.2f}N}}$")
ax.axhline(1 / np.finfo(float).eps, color="grey", lw=0.8)
ax.text(fN[0], 1.5 / np.finfo(float).eps, r"$1/\varepsilon_{64}$", color="grey")
ax.set(xlabel="N", ylabel=r"$\kappa_2(V)$", title="HiPPO-LegS eigenvector condition number")
ax.legend()
ax = axes[1]
ax.semilogy(fN, np.maximum(err64, 1e-17), "o-", label=r"eig$(QA_HQ^\top)$, $Q$ random orthogonal")
ax.semilogy(fN, np.maximum(err64_tri, 1e-17), "s--", ms=4, label=r"eig$(A_H)$ (triangular: read off the diagonal)")
ax.axhline(0.1, color="C3", ls="--", lw=1, label="10 % (threshold)")
ax.set(xlabel="N", ylabel=r"max$_k|\hat\lambda_k-\lambda_k|/|\lambda_k|$", title=r"float64 eig vs exact spectrum $\{-1,\dots,-N\}$")
ax.legend()
fig_kappa = plotting.save_figure(fig, NB, "kappa")
plt.show()

claims.check("ptd.kappa_log2_slope", slope, [2.4, 2.6], "in", figure=fig_kappa.name,
             description="exact log2 kappa_2(V_H) grows linearly in N with slope in [2.4, 2.6] (fit over N>=16, mpmath)")
claims.check("ptd.kappa_log2_ge_2N", float(min(log2k[kN == n][0] - 2 * n for n in (16, 32, 48))), 0.0, ">=", figure=fig_kappa.name,
             description="exact log2 kappa_2(V_H) - 2N >= 0 at N = 16, 32, 48 (min over the three)")
claims.check("ptd.f64_cond_N16", float(k64[fN == 16][0]), 1e10, ">=", figure=fig_kappa.name,
             description="float64 cond of the computed eigenvectors of A_H exceeds 1e10 already at N=16")
claims.check("ptd.f64_eig_error_N32", float(err64[fN == 32][0]), 0.1, ">=", figure=fig_kappa.name,
             description="float64 eig of Q A_H Q^T (random orthogonal Q) at N=32: worst relative eigenvalue error vs -1..-N exceeds 10% (all accuracy lost)")

# %% [markdown]
# ### Pseudospectra: $A_H$ vs its normal part vs $A_H+E$
#
# $\sigma_{\min}(zI-A)$ is computed by `ps.sigma_min` (triangular $A_H$: no Schur factorization; others: one complex
# Schur form, then batched work per grid point). The $\varepsilon$-pseudospectrum is the region inside the
# $\varepsilon$ contour: every $z$ there is an eigenvalue of some $A+E'$ with $\|E'\|\le\varepsilon$. For the normal part
# it is a union of discs of radius $\varepsilon$ (fast path: distance to the spectrum); for $A_H$ the contours
# $\varepsilon=10^{-12}\|A\|$ (the float64 **round-off floor**, drawn hatched) enclose a huge region: inside it float64
# cannot tell $A_H$ from a matrix with completely different eigenvalues. The PTD matrix (§3) has round
# contours again. Check (note §5.10): at $z=-(N/2+1/2)$, half-way between two eigenvalues, $\sigma_{\min}(zI-A_H)<10^{-8}$
# (mpmath value $1.1\times10^{-10}$) while $\sigma_{\min}(zI-A_N)$ equals the distance to $\Lambda(A_N)$ to 1e-10.

# %%
Np = P["ptd_N"]
A_H, B_H = init.hippo_legs(Np)
A_N, P_vec, _ = init.hippo_legs_nplr(Np)
t0 = time.perf_counter()
sweep = ptd.ptd_sweep(A_H, P["gammas"], steps=P["steps"], seed=seed)
t_ptd = time.perf_counter() - t0
eps_rel = np.array([r.eps_rel for r in sweep])
kap = np.array([r.kappa for r in sweep])
ok = eps_rel <= 0.05
i_sel = int(np.flatnonzero(ok)[np.argmax(eps_rel[ok])]) if ok.any() else int(np.argmin(eps_rel))
r_sel = sweep[i_sel]
A_P = A_H + r_sel.E
print(f"PTD sweep N={Np}: {t_ptd:.1f}s;", [(round(e, 4), round(k, 2)) for e, k in zip(eps_rel, kap)])

g = P["grid"]
x = np.linspace(-Np - 6, 5, g)
y = np.linspace(-Np - 2, Np + 2, g)
mats = {r"HiPPO-LegS $A_H$": A_H, r"normal part $A_N$": A_N, rf"PTD $A_H+E$ ($\|E\|/\|A\|$={r_sel.eps_rel:.3f})": A_P}
t0 = time.perf_counter()
grids = {k: ps.pseudospectrum(M, x, y) for k, M in mats.items()}
t_grid = time.perf_counter() - t0
floor = ps.roundoff_floor(A_H)
levels = np.arange(-14, 2.01, 1.0)
fig, axes = plt.subplots(1, 4, figsize=(20, 4.8), layout="constrained", gridspec_kw=dict(width_ratios=[1, 1, 1, 1.25]))
for ax, (name, M) in zip(axes[:3], mats.items()):
    X, Y, S = grids[name]
    cs = ax.contourf(X, Y, np.log10(np.maximum(S, 1e-20)), levels=levels, cmap="viridis", extend="both")
    ax.contourf(X, Y, S, levels=[0, floor], colors="none", hatches=["////"])
    ax.contour(X, Y, S, levels=[floor], colors="w", linewidths=1.2, linestyles="--")
    lam = np.linalg.eigvals(M)
    ax.plot(lam.real, lam.imag, "r.", ms=4)
    ax.set(xlim=(x[0], x[-1]), ylim=(y[0], y[-1]), xlabel="Re z", title=name)
axes[0].set_ylabel("Im z")
fig.colorbar(cs, ax=axes[:3], label=r"$\log_{10}\sigma_{\min}(zI-A)$", shrink=0.9)
ax = axes[3]
xr = np.linspace(-Np - 3, 2, 1200)
for name, M in mats.items():
    ax.semilogy(xr, np.maximum(ps.sigma_min(M, xr + 0j), 1e-30), label=name)
ax.set(xlabel="z (real axis)", ylabel=r"$\sigma_{\min}(zI-A)$", title="slice along the real axis")
plotting.mark_roundoff_floor(ax, floor, label=r"round-off floor $10^{-12}\|A_H\|$")
ax.legend(fontsize=8, loc="lower left")
fig.suptitle(f"N={Np}: hatched / white dashed = below the float64 round-off floor; red dots = float64 eigenvalues")
fig_ps = plotting.save_figure(fig, NB, "pseudospectra")
plt.show()

zc = np.array([-(Np / 2 + 0.5) + 0j])
s_h = float(ps.sigma_min(A_H, zc)[0])
s_n = float(ps.sigma_min(A_N, zc, method="svd")[0])
d_n = float(np.min(np.abs(zc[0] - np.linalg.eigvals(A_N))))
print(f"grids: {t_grid:.1f}s; sigma_min(A_H) at z={zc[0].real}: {s_h:.3e}; A_N: {s_n:.6f} vs dist {d_n:.6f}")
claims.check("ptd.sigma_min_hippo_midpoint", s_h, 1e-8, "<", figure=fig_ps.name,
             description=f"sigma_min(zI - A_H) < 1e-8 at z = -(N/2+1/2), N={Np}, although dist(z, spectrum) = 0.5")
claims.check("ptd.sigma_min_normal_is_distance", abs(s_n - d_n) / d_n, 1e-10, "<=", figure=fig_ps.name,
             description="for the normal part, sigma_min(zI - A_N) (SVD) equals dist(z, Lambda(A_N)) (relative difference)")

# %% [markdown]
# ## 2 · S4D converges weakly, not strongly
#
# Systems ($C=e_1$): HiPPO $(A_H,B_H,e_1)$; S4D-LegS $(\Lambda(A_N),\,V^*B_H/2,\,e_1V)$ — the **$B/2$ convention**
# (with the full $B$ even the weak convergence fails). $G_H=G_N/(1+q)$ is evaluated in $O(N)$ per frequency and the
# supremum of $|G_{S4D}-G_H|$ on $i\mathbb R$ is found on a log grid plus a fine grid around every $\omega_k$, then refined.
#
# **Reconstructed prediction (Thm 2).** Near $s=i\omega_k$, $G_N$ and $q$ both have a pole; $G_H=G_N/(1+q)$ stays
# bounded while $G_{S4D}=G_N/2$ has a resonance whose height does not decay with $N$; the largest sits at
# $\omega_{\max}\approx N^2/\pi$. Thresholds (note §5, checks 4–5): $\sup|G_{S4D}-G_H|\in[0.6,0.7]$ for every $N$ (near
# $2/\pi$), argmax within 1 % of $\omega_{\max}$; for $u=e^{-t}$, $N\|y_{S4D}-y_H\|_{L^2}\in[0.45,0.55]$ (Thm 1: $O(1/N)$);
# the impulse-response error $>0.45$ for all $N$ (no decay).

# %%
cN = P["conv_N"]
rows = []
t0 = time.perf_counter()
for n in cN:
    lam_s, Bs, Cs = ptd.s4d_legs_system(n)
    wmax = ptd.omega_max(n)
    peaks = np.abs(np.linalg.eigvals(init.hippo_legs_nplr(n)[0]).imag)
    fS = lambda s, a=(lam_s, Bs, Cs): ptd.transfer_diag(*a, s)
    fH = lambda s, n=n: ptd.transfer_hippo(n, s)
    sup, arg = ptd.sup_abs_diff(fS, fH, peaks, 4 * wmax)
    Ah, Bh = init.hippo_legs(n)
    C1 = np.eye(n)[0]
    e_exp = ptd.l2_output_error((lam_s, Bs, Cs), (Ah, Bh, C1), "exp")
    e_imp = ptd.l2_output_error((lam_s, Bs, Cs), (Ah, Bh, C1), "impulse")
    rows.append((n, wmax, sup, arg, e_exp, e_imp))
    print(f"N={n:4d} omega_max={wmax:9.2f} sup|dG|={sup:.4f} at {arg:9.2f}  ||dy||(e^-t)={e_exp:.5f} (N*={n*e_exp:.3f})  ||dK||={e_imp:.4f}")
t_conv = time.perf_counter() - t0
R = np.array(rows)

fig, axes = plt.subplots(1, 3, figsize=(18, 4.6), layout="constrained")
ax = axes[0]
wg = np.concatenate([np.geomspace(0.1, 3e3, 4000)])
for n in (16, 32):
    lam_s, Bs, Cs = ptd.s4d_legs_system(n)
    ax.loglog(wg, np.abs(ptd.transfer_hippo(n, 1j * wg)), "k-", lw=1.2, label="HiPPO-LegS" if n == 16 else None)
    ax.loglog(wg, np.abs(ptd.transfer_diag(lam_s, Bs, Cs, 1j * wg)), lw=1, alpha=0.8, label=f"S4D-LegS (B/2), N={n}")
    ax.axvline(ptd.omega_max(n), color="grey", ls=":", lw=1)
ax.set(xlabel=r"frequency $\omega$ (s = i$\omega$)", ylabel=r"$|G(i\omega)|$", title=r"transfer functions, $C=e_1$ (dotted: $\omega_{\max}$)")
ax.legend(fontsize=8)
ax = axes[1]
ax.semilogx(R[:, 0], R[:, 2], "o-", label=r"$\sup_\omega|G_{S4D}-G_H|$")
ax.axhline(2 / np.pi, color="k", ls="--", lw=1, label=r"$2/\pi$")
ax.axhspan(0.6, 0.7, color="C2", alpha=0.12, label="claimed band [0.6, 0.7]")
ax.text(0.03, 0.93, rf"argmax at $\omega_{{\max}}$ within {np.max(np.abs(R[:, 3] / R[:, 1] - 1)):.1e} (relative), all N", transform=ax.transAxes, fontsize=8)
ax.set(xlabel="N", ylabel="sup deviation", ylim=(0, 1), title="no strong convergence (spike at $\\omega_{\\max}\\approx N^2/\\pi$)")
ax.set_xticks(cN, [str(n) for n in cN])
ax.legend(loc="lower left", fontsize=8)
ax = axes[2]
ax.loglog(R[:, 0], R[:, 4], "o-", label=r"$u=e^{-t}$: $\|y_{S4D}-y_H\|_{L^2}$")
ax.loglog(R[:, 0], 0.5 / R[:, 0], "k:", label=r"$0.5/N$ (slope $-1$)")
ax.loglog(R[:, 0], R[:, 5], "s-", label=r"impulse: $\|K_{S4D}-K_H\|_{L^2}$")
ax.set(xlabel="N", ylabel=r"$L^2$ output error (exact, Gramians)", title="weak convergence for smooth inputs, none for the impulse")
ax.set_xticks(cN, [str(n) for n in cN])
ax.legend(fontsize=8)
fig_conv = plotting.save_figure(fig, NB, "s4d_convergence")
plt.show()

claims.check("ptd.s4d_sup_min", float(R[:, 2].min()), 0.6, ">=", figure=fig_conv.name,
             description=f"min over N in {cN} of sup_w |G_S4D - G_H| (C=e_1, B/2) >= 0.6: no strong convergence")
claims.check("ptd.s4d_sup_max", float(R[:, 2].max()), 0.7, "<=", figure=fig_conv.name,
             description=f"max over N in {cN} of sup_w |G_S4D - G_H| <= 0.7 (the spike stays near 2/pi)")
claims.check("ptd.s4d_argmax_at_omega_max", float(np.max(np.abs(R[:, 3] / R[:, 1] - 1))), 0.01, "<=", figure=fig_conv.name,
             description="the sup of |G_S4D - G_H| is attained within 1% of omega_max = max Im Lambda(A_N) (~N^2/pi), all N")
NR = R[R[:, 0] >= 16]
claims.check("ptd.s4d_weak_N_times_error_min", float((NR[:, 0] * NR[:, 4]).min()), 0.45, ">=", figure=fig_conv.name,
             description="min over N >= 16 of N * ||y_S4D - y_H||_L2 for u = e^-t >= 0.45 (weak O(1/N) convergence, lower edge)")
claims.check("ptd.s4d_weak_N_times_error_max", float((NR[:, 0] * NR[:, 4]).max()), 0.55, "<=", figure=fig_conv.name,
             description="max over N >= 16 of N * ||y_S4D - y_H||_L2 for u = e^-t <= 0.55 (weak O(1/N) convergence, upper edge)")
claims.check("ptd.s4d_impulse_no_decay", float(R[:, 5].min()), 0.45, ">", figure=fig_conv.name,
             description="impulse-response error ||K_S4D - K_H||_L2 > 0.45 for every N (does not decay)")

# %% [markdown]
# ## 3 · PTD converges strongly: the $\kappa$–$\|E\|$ trade-off
#
# Our optimizer (see `ptd.ptd_optimize`; a reconstruction, the paper reports neither its norm nor $\gamma$) is run along
# a sequence of $\gamma$ at $N=16$, each run started from the same small random $E_0$. For each $E$ we diagonalize
# $A_H+E$ in float64 (now well-conditioned), form $(\tilde\Lambda,\tilde V^{-1}B_H,e_1\tilde V)$ and measure
# $\sup_\omega|G_{PTD}-G_H|$. Thresholds (issue + note §5, checks 6–8): at $\|E\|/\|A\|\le0.05$: $\kappa\le10$ and all
# $\mathrm{Re}\,\lambda<0$; $\sup|G_{PTD}-G_H|$ at least 3× below S4D's ("several times smaller"); sup deviation
# increasing with $\|E\|$ along the sweep (Spearman $>0$); $\log\kappa$ vs $\log\|E\|$ slope in $[-1.2,-0.6]$ (Davies /
# paper Thm 4–5: $\kappa\propto\|E\|^{-1}$); a Gaussian $E$ with $\|E\|/\|A\|=0.01$ gives $\kappa$ at least 5× the optimized
# one at the same size (interpolated log–log along the sweep). The released `ptbHiPPO{N}.mat` perturbations have
# $\|E\|/\|A\|$ = 3–10 % and $\kappa$ = 4.5–8.3 (note §2).

# %%
peaks_H = np.abs(np.linalg.eigvals(A_N).imag)
fH = lambda s: ptd.transfer_hippo(Np, s)
wmax = ptd.omega_max(Np)
sup_ptd = []
for r in sweep:
    lam_p, V_p, Bp, Cp = ptd.diagonalize(A_H + r.E, B_H)
    sp, _ = ptd.sup_abs_diff(lambda s, a=(lam_p, Bp, Cp): ptd.transfer_diag(*a, s), fH,
                             np.concatenate([peaks_H, np.abs(lam_p.imag)]), 4 * wmax)
    sup_ptd.append(sp)
sup_ptd = np.array(sup_ptd)
sup_s4d = float(R[R[:, 0] == Np, 2][0])
gauss_eps = np.array([1e-3, 3e-3, 1e-2, 2e-2])
gk = np.array([[ps.eigvec_condition(A_H + ptd.gaussian_perturbation(A_H, e, seed=seed + j)) for j in range(5)] for e in gauss_eps])
gre = np.array([[np.linalg.eigvals(A_H + ptd.gaussian_perturbation(A_H, e, seed=seed + j)).real.max() for j in range(5)] for e in gauss_eps])
tr_slope = stats.log_slope(eps_rel, kap)
order = np.argsort(eps_rel)
kap_at_001 = float(np.exp(np.interp(np.log(0.01), np.log(eps_rel[order]), np.log(kap[order]))))
gk001 = float(np.exp(np.mean(np.log(gk[gauss_eps == 1e-2][0]))))
for r, sp in zip(sweep, sup_ptd):
    print(f"gamma={r.gamma:7.2f} eps_rel={r.eps_rel:.4f} kappa={r.kappa:7.2f} maxRe={r.max_re:+.3f} sup|dG|={sp:.4f}")
print(f"S4D sup|dG| at N={Np}: {sup_s4d:.4f}; Gaussian kappa (geo-mean of 5) at 1%: {gk001:.1f} vs optimized {kap_at_001:.2f}")

fig, axes = plt.subplots(1, 3, figsize=(18, 4.6), layout="constrained")
ax = axes[0]
ax.loglog(eps_rel, kap, "o-", label="PTD (optimized E), γ sweep")
for j in range(gk.shape[1]):
    ax.loglog(gauss_eps, gk[:, j], "x", color="C3", alpha=0.6, label="Gaussian E (5 draws)" if j == 0 else None)
ax.loglog(eps_rel, kap[order][0] * (eps_rel / eps_rel[order][0]) ** -1.0, "k:", lw=1, label="slope −1 (Davies / Thm 4–5)")
ax.axhline(2.0 ** log2k[kN == Np][0], color="grey", ls="--", lw=1)
ax.text(1.1e-3, 2.0 ** log2k[kN == Np][0] * 0.2, rf"exact $\kappa(V_H)$, N={Np}", color="grey", fontsize=8)
ax.set(xlabel=r"$\|E\|_2/\|A_H\|_2$", ylabel=r"$\kappa_2(\tilde V)$", title=f"trade-off, N={Np} (fitted slope {tr_slope:.2f})")
ax.legend(fontsize=8)
ax = axes[1]
ax.loglog(eps_rel, sup_ptd, "o-", label=r"PTD: $\sup_\omega|G_{PTD}-G_H|$")
ax.axhline(sup_s4d, color="C1", ls="--", label=f"S4D-LegS (B/2): {sup_s4d:.3f}")
ax.loglog(eps_rel, (2 * np.log(Np) + 4) * eps_rel * 1.0, "k:", lw=1, label=r"$(2\ln N+4)\,\|E\|/\|A\|$ (shape only)")
ax.set(xlabel=r"$\|E\|_2/\|A_H\|_2$", ylabel="sup deviation on iR", title="strong convergence: PTD deviation shrinks with ||E||")
ax.legend(fontsize=8)
ax = axes[2]
lam_p, V_p, Bp, Cp = ptd.diagonalize(A_P, B_H)
lam_s, Bs, Cs = ptd.s4d_legs_system(Np)
wg = np.geomspace(0.1, 4 * wmax, 5000)
ax.loglog(wg, np.abs(ptd.transfer_hippo(Np, 1j * wg)), "k-", lw=1.5, label="HiPPO-LegS")
ax.loglog(wg, np.abs(ptd.transfer_diag(lam_s, Bs, Cs, 1j * wg)), lw=1, label="S4D-LegS (B/2)")
ax.loglog(wg, np.abs(ptd.transfer_diag(lam_p, Bp, Cp, 1j * wg)), "--", lw=1, label=f"PTD (‖E‖/‖A‖={r_sel.eps_rel:.3f})")
ax.set(xlabel=r"$\omega$", ylabel=r"$|G(i\omega)|$", title=f"N={Np}, C=e_1")
ax.legend(fontsize=8)
fig_ptd = plotting.save_figure(fig, NB, "ptd_tradeoff")
plt.show()

claims.check("ptd.ptd_kappa_le_10", r_sel.kappa, 10.0, "<=", figure=fig_ptd.name,
             description=f"PTD at N={Np} with ||E||/||A|| = {r_sel.eps_rel:.3f} (<= 0.05): kappa_2(V) <= 10 (exact kappa(V_H) = 2^{log2k[kN == Np][0]:.0f})")
claims.check("ptd.ptd_eps_rel_le_5pct", r_sel.eps_rel, 0.05, "<=", figure=fig_ptd.name,
             description="the PTD point used has ||E||_2/||A_H||_2 <= 0.05 (a few percent)")
claims.check("ptd.ptd_stable", max(r.max_re for r in sweep), 0.0, "<", figure=fig_ptd.name,
             description="all eigenvalues of A_H + E have Re < 0 for every PTD run of the sweep")
ratio_sel = sup_s4d / float(sup_ptd[i_sel])
sup_kw = {}
if not ratio_sel >= 3.0:
    sup_kw = dict(expected="not reproduced",
                  reason=f"our optimizer's E at ||E||/||A|| = {r_sel.eps_rel:.3f} (kappa {r_sel.kappa:.2f}) gives sup|dG| = {sup_ptd[i_sel]:.3f} vs S4D {sup_s4d:.3f} "
                  f"(ratio {ratio_sel:.2f}); the sweep gives {', '.join(f'{e:.3f}->{v:.3f}' for e, v in zip(eps_rel, sup_ptd))} (eps_rel->sup). "
                  "The released ptbHiPPO16 reaches 0.041 at 0.051 (note): our loss ignores G and E's structure")
claims.check("ptd.ptd_vs_s4d_sup", ratio_sel, 3.0, ">=", figure=fig_ptd.name,
             description="sup|G_S4D - G_H| / sup|G_PTD - G_H| >= 3 at the selected PTD point (several times smaller)", **sup_kw)
claims.check("ptd.ptd_sup_shrinks", stats.spearman(eps_rel, sup_ptd), 0.0, ">", figure=fig_ptd.name,
             description="sup|G_PTD - G_H| increases with ||E|| along the gamma sweep (Spearman rank correlation > 0)")
claims.check("ptd.tradeoff_slope", tr_slope, [-1.2, -0.6], "in", figure=fig_ptd.name,
             description="log-log slope of kappa_2(V) vs ||E|| along the gamma sweep in [-1.2, -0.6] (kappa ~ 1/||E||)")
claims.check("ptd.gaussian_vs_optimized", gk001 / kap_at_001, 5.0, ">=", figure=fig_ptd.name,
             description="Gaussian E at ||E||/||A|| = 0.01 (geometric mean of 5 draws) has kappa >= 5x the optimized E of the same size")

# %% [markdown]
# ## 4 · The resolvent bound behind Thm 3
#
# A first-order expansion gives $G_{PTD}-G_H\approx C(sI-A_H)^{-1}E(sI-A_H)^{-1}B$, so the uniform constant is governed by
# $\sup_s\|(isI-A_H)^{-1}\|$ (with the normalizations of the theorem). We compute $\sup_\omega\|(i\omega-A_H)^{-1}\|_2=1/r(A_H)$,
# $r$ the stability radius (`ps.stability_radius`: grid + refinement; the minimum sits at $\omega=0$), and check the
# reconstructed bound $\sup\|(isI-A_H)^{-1}\|^2\le2\ln N+4$ (note §5.9). This is a consistency check of our reading of
# Thm 3's constant, not a proof. It also explains why Gaussian $E$ fails: $\|E\|\gtrsim r(A_H)\approx0.55$ can push an
# eigenvalue across the imaginary axis.

# %%
rN = P["res_N"]
res = []
t0 = time.perf_counter()
for n in rN:
    Ah, _ = init.hippo_legs(n)
    r_, w_ = ps.stability_radius(Ah, n_grid=40 if n > 64 else 120)
    res.append((n, r_, w_))
    print(f"N={n:4d}: stability radius {r_:.4f} at omega={w_:.3g};  sup ||(iw - A)^-1||^2 = {1 / r_**2:.3f}  vs 2 ln N + 4 = {2 * np.log(n) + 4:.3f}")
t_res = time.perf_counter() - t0
res = np.array(res)
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.semilogx(res[:, 0], 1 / res[:, 1] ** 2, "o-", label=r"$\sup_\omega\|(i\omega I-A_H)^{-1}\|_2^2$")
ax.semilogx(res[:, 0], 2 * np.log(res[:, 0]) + 4, "k--", label=r"$2\ln N+4$")
ax.set(xlabel="N", ylabel="value", title="resolvent bound on the imaginary axis", ylim=(0, None))
ax.set_xticks(rN, [str(n) for n in rN])
ax.legend()
fig_res = plotting.save_figure(fig, NB, "resolvent")
plt.show()
claims.check("ptd.resolvent_bound", float(np.max(1 / res[:, 1] ** 2 - (2 * np.log(res[:, 0]) + 4))), 0.0, "<=", figure=fig_res.name,
             description=f"sup_w ||(iwI - A_H)^-1||^2 - (2 ln N + 4) <= 0 for N in {rN} (max over N)")
claims.check("ptd.stability_radius_min", float(res[:, 1].min()), 0.5, ">=", figure=fig_res.name,
             description=f"stability radius of A_H >= 0.5 for N in {rN} (min over N)")
claims.check("ptd.stability_radius_max", float(res[:, 1].max()), 0.65, "<=", figure=fig_res.name,
             description=f"stability radius of A_H <= 0.65 for N in {rN} (max over N)")

# %% [markdown]
# ## 5 · Robustness to Fourier-mode noise at the worst frequency (CPU-sized)
#
# The paper's test (code `S4-PTD/robustness.py`, sCIFAR, GPU): at test time add $0.1\,U\cos(\omega_{\max}\Delta k)$ to every
# layer's input ($U\sim\mathrm{Unif}[0,1)$ per example and channel), $\omega_{\max}$ the largest eigenvalue frequency of
# the normal part, where the S4D transfer function has its spike. Our scaled-down version: 2-layer S5-type diagonal SSMs
# (`models.DeepSSMConfig(block="s5")`, $P=16$ states, $d_{model}=32$) on sequential 8×8 digits (length 64), initialized
# either with S4D-LegS (normal-part eigenvalues, unitary $V$) or with the PTD decomposition of §3 (same random $B,C,D,\Delta$,
# transformed by $\tilde V^{-1}$ and $\tilde V$); all models trained together (one vmapped AdamW loop). $\Delta$ is the
# layer's geometric-mean step. Claim (sign only, ≥3 seeds, reported honestly either way): the mean accuracy drop is larger
# for S4D than for PTD.

# %%
t0 = time.perf_counter()
rp = ptd.ptd_optimize(init.hippo_legs(P["rob_N"])[0], 10.0, steps=P["steps"], seed=seed) if P["rob_N"] != Np else r_sel
rob = ptd.train_robustness(rp.Lambda, rp.V, seeds=P["rob_seeds"], epochs=P["rob_epochs"])
t_rob = time.perf_counter() - t0
drop = rob["acc_clean"] - rob["acc_noisy"]
for i, name in enumerate(("S4D-LegS", "PTD")):
    print(f"{name:9s} clean {rob['acc_clean'][i].round(3)}  noisy {rob['acc_noisy'][i].round(3)}  drop {drop[i].round(3)}")
print(f"robustness: {t_rob:.1f}s, omega = {rob['omega']:.2f}")
fig, ax = plt.subplots(figsize=(6.5, 4))
xs = np.arange(len(P["rob_seeds"]))
for i, name in enumerate(("S4D-LegS init", "PTD init")):
    ax.bar(xs + (i - 0.5) * 0.38, drop[i], width=0.38, label=f"{name} (mean drop {drop[i].mean():.3f})")
ax.set(xlabel="seed", ylabel="clean − noisy test accuracy", title=rf"accuracy drop under $0.1\,U\cos(\omega_{{\max}}\Delta k)$, $\omega_{{\max}}$={rob['omega']:.1f}")
ax.set_xticks(xs, [str(s) for s in P["rob_seeds"]])
ax.axhline(0, color="k", lw=0.8)
ax.legend()
fig_rob = plotting.save_figure(fig, NB, "robustness")
plt.show()
d_s4d, d_ptd = float(drop[0].mean()), float(drop[1].mean())
rob_kw = {}
if not d_s4d > d_ptd:
    rob_kw = dict(expected="not reproduced",
                  reason=f"mean drop S4D {d_s4d:.4f} vs PTD {d_ptd:.4f} over seeds {P['rob_seeds']} (clean acc S4D {rob['acc_clean'][0].mean():.3f}, PTD {rob['acc_clean'][1].mean():.3f}); CPU-sized stand-in for sCIFAR")
claims.check("ptd.robustness_drop_s4d_gt_ptd", d_s4d - d_ptd, 0.0, ">", figure=fig_rob.name,
             description=f"mean accuracy drop under worst-frequency noise: S4D minus PTD > 0 ({len(P['rob_seeds'])} seeds, sequential digits)", **rob_kw)
print(f"total notebook time {time.perf_counter() - t_start:.1f}s")

# %% [markdown]
# ## What we found
#
# * **Reproduced:** the exponential ill-conditioning of $V_H$ ($\kappa\approx2^{2.53N}$ exactly; float64 saturates near
#   $10^{20}$ from $N\approx24$ and, for a non-triangular presentation $QA_HQ^\top$, loses every eigenvalue digit); the
#   pseudospectral picture (round-off-floor region of $A_H$ around its spectrum, discs for $A_N$ and for $A_H+E$); S4D's
#   weak-but-not-strong convergence, with $\sup|G_{S4D}-G_H|\to2/\pi$ at $\omega_{\max}$, $N\|y_{S4D}-y_H\|_{L^2}=0.500$
#   for $e^{-t}$ and an impulse error $\to0.5$; PTD's trade-off ($\kappa\le10$ at a few percent, stable, $\kappa\propto\|E\|^{-0.6\ldots-0.8}$,
#   an order of magnitude better than a Gaussian $E$) and the resolvent bound.
# * **Not reproduced, with evidence in the claim records:** (i) at the $\|E\|/\|A\|\approx4\%$ point our optimizer's
#   $\sup|G_{PTD}-G_H|$ is only 2.3–2.6× below S4D's (quick/full; it does shrink with $\|E\|$: 0.03 at 0.7 %, 0.003 at 0.25 %), while the released
#   `ptbHiPPO16` perturbation reaches 0.041 at 5.1 % (note §2): the objective $\kappa$ + $\gamma\|E\|$ does not see $G$, and
#   different optima of it differ by 7× in $\sup|\Delta G|$ at the same $\|E\|$; (ii) the robustness test: in our CPU
#   stand-in the worst-frequency noise moves test accuracy by at most about half a percent (a few of 597 examples) for
#   *either* initialization, so the sign of the difference is noise (and the PTD-initialized models reach a lower clean accuracy here, 0.68–0.79 vs 0.76–0.89). Likely reasons: at $N=16$, $\omega_{\max}\Delta\approx0.8$
#   rad/step is a slow, not a resonant, input for the trained discrete system, and 0.1·U is small next to layer-normed
#   activations; the paper's setting (sCIFAR, $N=32$, $d_{model}=128$, 100 epochs) is GPU-scale.

# %% [markdown]
# ## Claims

# %%
claims.finalize()
