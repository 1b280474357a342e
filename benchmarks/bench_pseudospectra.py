"""Benchmark: sigma_min(zI - A) on a 100 x 100 grid, ours vs a one-SVD-per-point NumPy reference, same run.

Matrix: HiPPO-LegS ``A_H`` (N = 32, 64, 128, 256; triangular, so no Schur factorization) on the box
``Re z in [-N-5, 5]``, ``Im z in [-N-2, N+2]``.  Reference: ``numpy.linalg.svd(z I - A, compute_uv=False)[-1]``
per point (pseudopy's ``NonnormalMeshgrid(method="svd")`` algorithm; pseudopy itself no longer imports).  For
N >= 128 the reference is timed on a seeded random subset of the grid and scaled to the full grid (printed).
Ours: ``ssmtheory.pseudospectra.sigma_min`` with ``method="svd"`` (batched LAPACK on the triangular factor)
and ``method="lanczos"`` (jitted inverse Lanczos, compile excluded: a warm-up call on the same shapes first).
Agreement: max relative difference over points with ``sigma_min >= floor``, for two floors: the round-off floor
``1e-12 ||A||`` and ``1e-6 ||A||`` (relative agreement is limited to about ``eps ||A|| / sigma``).
Run: ``python benchmarks/bench_pseudospectra.py [--grid 100] [--sizes 32 64 128 256]``.
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
    ap.add_argument("--methods", nargs="+", default=["svd", "lanczos"])
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"grid {a.grid}x{a.grid}, backend {jax.default_backend()}")
    print(f"{'N':>5} {'method':>8} {'time_s':>9} {'ref_s':>9} {'ratio':>7} {'relerr>floor':>13} {'relerr>1e-6|A|':>15}")
    for N in a.sizes:
        A, _ = init.hippo_legs(N)
        x = np.linspace(-N - 5, 5, a.grid)
        y = np.linspace(-N - 2, N + 2, a.grid)
        Z = (x[None, :] + 1j * y[:, None]).ravel()
        sub = np.arange(Z.size) if N < 128 else rng.choice(Z.size, min(a.ref_points, Z.size), replace=False)
        t0 = time.perf_counter()
        ref = ps.sigma_min_reference(A, Z[sub])
        t_ref = (time.perf_counter() - t0) * Z.size / sub.size
        nA = np.linalg.norm(A, 2)
        for m in a.methods:
            ps.sigma_min(A, Z[:8], method=m)  # warm-up / compile (chunk shape reused)
            if m == "lanczos":
                ps.sigma_min(A, Z[: 512], method=m)
            t0 = time.perf_counter()
            s = ps.sigma_min(A, Z, method=m)
            t = time.perf_counter() - t0
            errs = []
            for fl in (1e-12 * nA, 1e-6 * nA):
                k = ref >= fl
                errs.append(float(np.max(np.abs(s[sub][k] - ref[k]) / ref[k])) if k.any() else float("nan"))
            print(f"{N:>5} {m:>8} {t:9.3f} {t_ref:9.3f} {t_ref / t:7.2f} {errs[0]:13.2e} {errs[1]:15.2e}", flush=True)


if __name__ == "__main__":
    main()
