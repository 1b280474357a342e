"""Benchmark: sigma_min(zI - A) on a 100 x 100 grid, ours vs a one-SVD-per-point NumPy reference, same run.

Matrices (``--cases``): ``tri`` = HiPPO-LegS ``A_H`` (N = 32, 64, 128, 256; triangular, so no Schur factorization);
``dense`` = ``A_H + E`` with ``E`` a seeded complex Ginibre matrix scaled to ``||E||_2 = 1e-2 ||A_H||_2`` (dense and
non-normal, like the PTD matrices ``A_H + E``: one complex Schur factorization, timed as part of ours).  Grid: the box
``Re z in [-N-5, 5]``, ``Im z in [-N-2, N+2]`` (the window around the spectrum {-1..-N} that notebook 05 uses).
Reference: ``numpy.linalg.svd(z I - A, compute_uv=False)[-1]`` per point (pseudopy's
``NonnormalMeshgrid(method="svd")`` algorithm; pseudopy itself no longer imports), timed once.  For N >= 128 the
reference is timed on a seeded random subset of ``--ref-points`` grid points and its time scaled to the full grid
(marked ``*`` in the output); agreement is then measured on that subset.
Ours: ``ssmtheory.pseudospectra.sigma_min`` with

* ``method="lanczos_grid"``: inverse Lanczos vectorized across all grid points (NumPy; the ``auto`` default
  for grids),
* ``method="svd"``: batched LAPACK SVD of the stacked triangular ``zI - T``,

Times of ours: median of ``--repeat`` runs (all printed); wall clock and CPU time (``process_time``) are both
reported and the ratio is given for both (on a loaded machine the CPU-time ratio is the stable one).  BLAS threads: ``--blas-threads`` (default 1, for the
reference too: on the shared 2-core machine a 2-thread OpenBLAS was erratic, up to 0.4 s per 128 x 128 SVD, under
a competing process; ``0`` keeps the library default).  Agreement bands (vs the reference, on the compared
points): max relative difference where ``sigma >= 1e-6 ||A||`` ("well above the floor"), max relative difference
where ``1e-12 ||A|| <= sigma < 1e-6 ||A||`` (limited to about ``eps ||A|| / sigma``), and the max absolute
difference divided by ``||A||`` where ``sigma < 1e-12 ||A||`` (the round-off floor: both values are noise).
Run: ``python benchmarks/bench_pseudospectra.py [--grid 100] [--sizes 32 64 128 256] [--methods lanczos_grid svd]``.
Measured (shared 2-core machine under load, ``--methods lanczos_grid``, CPU-time ratio): tri 7.9x (N=32), 21.9x (64),
58x (128), 135x (256); dense 9.4x (32), 20.5x (64), 37x (128), 41x (256); relative agreement <= 5e-10 above 1e-6 ||A||.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main():
    import jax

    jax.config.update("jax_enable_x64", True)
    from ssmtheory import init
    from ssmtheory import pseudospectra as ps

    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=100)
    ap.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128, 256])
    ap.add_argument("--ref-points", type=int, default=1000, help="reference subset size for N >= 128")
    ap.add_argument("--methods", nargs="+", default=["lanczos_grid", "svd"])
    ap.add_argument("--cases", nargs="+", default=["tri", "dense"], choices=["tri", "dense"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="BLAS threads for everything timed (0: library default). lanczos_grid always uses 1")
    a = ap.parse_args()
    if a.blas_threads > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=a.blas_threads, user_api="blas")
    rng = np.random.default_rng(0)
    print(f"grid {a.grid}x{a.grid}, backend {jax.default_backend()}; ours: median of {a.repeat} runs; "
          f"ref: one run (* = timed on a random subset, scaled to the grid); BLAS threads: {a.blas_threads or 'default'}")
    print(f"{'case':>5} {'N':>4} {'method':>12} {'time_s':>7} {'ref_s':>8} {'ratio':>6} {'cpu_s':>6} {'refcpu':>7} {'cpu_ratio':>9} "
          f"{'rel>=1e-6|A|':>12} {'rel[1e-12,1e-6)':>15} {'abs/|A|<floor':>13}  runs")
    for case in a.cases:
        for N in a.sizes:
            A, _ = init.hippo_legs(N)
            if case == "dense":
                g = np.random.default_rng(N)
                G = g.normal(size=(N, N)) + 1j * g.normal(size=(N, N))
                A = A + 1e-2 * np.linalg.norm(A, 2) * G / np.linalg.norm(G, 2)
            x = np.linspace(-N - 5, 5, a.grid)
            y = np.linspace(-N - 2, N + 2, a.grid)
            Z = (x[None, :] + 1j * y[:, None]).ravel()
            full = N < 128 or a.ref_points >= Z.size
            sub = np.arange(Z.size) if full else np.sort(rng.choice(Z.size, a.ref_points, replace=False))
            t0, c0 = time.perf_counter(), time.process_time()
            ref = ps.sigma_min_reference(A, Z[sub])
            t_ref = (time.perf_counter() - t0) * Z.size / sub.size
            c_ref = (time.process_time() - c0) * Z.size / sub.size
            nA = np.linalg.norm(A, 2)
            hi = ref >= 1e-6 * nA
            mid = (ref >= 1e-12 * nA) & ~hi
            lo = ref < 1e-12 * nA
            for m in a.methods:
                ps.sigma_min(A, Z[:8], method=m)  # warm-up
                ts, cs = [], []
                for _ in range(a.repeat):
                    t0, c0 = time.perf_counter(), time.process_time()
                    s = ps.sigma_min(A, Z, method=m)
                    ts.append(time.perf_counter() - t0)
                    cs.append(time.process_time() - c0)
                t, c = float(np.median(ts)), float(np.median(cs))
                d = np.abs(s[sub] - ref)
                e_hi = float(np.max(d[hi] / ref[hi])) if hi.any() else float("nan")
                e_mid = float(np.max(d[mid] / ref[mid])) if mid.any() else float("nan")
                e_lo = float(np.max(d[lo]) / nA) if lo.any() else float("nan")
                star = " " if full else "*"
                print(f"{case:>5} {N:>4} {m:>12} {t:7.3f} {t_ref:7.2f}{star} {t_ref / t:6.1f} {c:6.3f} {c_ref:7.2f} {c_ref / c:9.1f} "
                      f"{e_hi:12.1e} {e_mid:15.1e} {e_lo:13.1e}  " + " ".join(f"{v:.3f}" for v in ts), flush=True)
            print(f"{'':>5} {'':>4} {'(points)':>12} {'':>7} {'':>8} {'':>6} {'':>6} {'':>7} {'':>9} {int(hi.sum()):>12d} "
                  f"{int(mid.sum()):>15d} {int(lo.sum()):>13d}", flush=True)


if __name__ == "__main__":
    main()
