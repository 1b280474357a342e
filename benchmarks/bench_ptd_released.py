"""Our PTD against the authors' released perturbations (AnnanYu/Approximate_Diagonal, HEAD ec98d6a).

The ``.mat`` files are read from ``$SSMTHEORY_PTD_RELEASED`` (a directory holding them, flat or in the repository
layout, or a git directory of the repository) or the local mirror ``ptd_study.RELEASED_MIRROR``; nothing is downloaded and
nothing is vendored (the repository has no license).  Exits 0 with a message when they are absent.

For each released file and for our optimizer at the same N (``--gamma``, ``--steps``), prints: ``||E||_2``,
``||E|| / ||A_H||``, ``kappa(V)``, ``max Re lambda``, where ``E`` sits (Frobenius shares: first row, last column, strict
upper / lower triangle, diagonal), Theorem 3's deviation in its own normalization (unit B; worst-case unit C and the median
over Gaussian unit C) with the S4D/PTD ratios, the C = e_1 diagnostic, the first-order bound ``(2 ln N + 4) ||E||``, and
the noise gain at initialization of the frozen-spectrum model (S4D/PTD, ``cos(omega_max Delta k)``, L = ``--L``).
Run: ``python benchmarks/bench_ptd_released.py [--sizes 8 16 32] [--gamma 30] [--steps 1500] [--L 256]``.
"""

from __future__ import annotations

import argparse
import time


def main():
    import jax

    jax.config.update("jax_enable_x64", True)
    import numpy as np

    from ssmtheory.experiments import frozen_s4, ptd_search, ptd_study
    from ssmtheory import init
    from ssmtheory.theory import ptd

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--gamma", type=float, default=30.0)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--L", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    src = ptd_study.released_source()
    if src is None:
        print(f"released perturbations not available: set ${ptd_study.RELEASED_ENV}; nothing to compare")
        return
    print(f"source: {src}")
    names = {8: ["ptbHiPPO8"], 16: ["ptbHiPPO16", "ptbHiPPO16_v2"], 32: ["ptbHiPPO32"], 128: ["ptbHiPPO128_v2"]}
    hdr = (f"{'which':>16} {'N':>3} {'||E||':>7} {'rel':>6} {'kappa':>6} {'maxRe':>6} {'row1':>5} {'lastc':>5} {'upper':>5} "
           f"{'lower':>5} {'diag':>5} {'dev_w':>7} {'dev_g':>7} {'ratio_w':>7} {'ratio_g':>7} {'e1':>7} {'bound':>7} {'gain':>6}")
    print(hdr)
    for N in a.sizes:
        A, _ = init.hippo_legs(N)
        s4 = ptd.thm3_deviation(N, n_C=200, seed=a.seed)
        w = ptd.omega_max(N)
        g_s4 = frozen_s4.noise_gain(*frozen_s4.spectrum_s4d(N), w, a.L, seed=a.seed)
        print(f"{'S4D-LegS (B/2)':>16} {N:>3} {'':>7} {'':>6} {1.0:6.2f} {-0.5:6.2f} {'':>5} {'':>5} {'':>5} {'':>5} {'':>5} "
              f"{s4['worst']:7.4f} {s4['gauss_median']:7.4f} {'':>7} {'':>7} {s4['e1']:7.4f} {'':>7} {'':>6}")
        cands = [(nm, ptd_study.load_released(nm)["E"]) for nm in names.get(N, [])]
        t0 = time.perf_counter()
        cands.append((f"ours g={a.gamma:g}", ptd_search.ptd_optimize(A, a.gamma, steps=a.steps, seed=a.seed).E))
        t_opt = time.perf_counter() - t0
        for nm, E in cands:
            st = ptd_study.perturbation_structure(A, E)
            stable = st["max_re"] < 0
            p = ptd.thm3_deviation(N, E, n_C=200, seed=a.seed, via="diag")
            gain = g_s4 / frozen_s4.noise_gain(*frozen_s4.spectrum_ptd(A + E), w, a.L, seed=a.seed) if stable else float("nan")
            print(f"{nm:>16} {N:>3} {st['eps']:7.2f} {st['eps_rel']:6.3f} {st['kappa']:6.2f} {st['max_re']:6.2f} {st['first_row']:5.3f} "
                  f"{st['last_col']:5.3f} {st['upper']:5.3f} {st['lower']:5.3f} {st['diag']:5.3f} {p['worst']:7.4f} "
                  f"{p['gauss_median']:7.4f} {s4['worst'] / p['worst']:7.1f} {s4['gauss_median'] / p['gauss_median']:7.1f} "
                  f"{p['e1']:7.4f} {p['bound']:7.1f} {gain:6.1f}", flush=True)
        print(f"    (our optimizer at N={N}: {t_opt:.1f}s)")


if __name__ == "__main__":
    main()
