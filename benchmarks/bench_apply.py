"""Benchmark: applying a diagonal SSM by each method, as ratios against references measured in the same run.

Set-up (issue 2): N = 64 complex states, H = 64 channels, batch 8, L from 1k to 64k, complex64 / float32.

* MIMO (S5 layout, P = 64 states shared by H_in = H_out = 64 channels);
* channels (S4D layout, 64 independent SISO systems of N = 64 states each).

References, both computing the same states/outputs in NumPy complex64 (errors are printed too):

* ``lfilter``: ``scipy.signal.lfilter([1], [1, -lambda_p], B u)`` once per mode p (the whole batch at once);
* ``numpy-loop``: a Python loop over time with vectorized NumPy per step.

Printed: median wall time (compile excluded) of each method, the ratio ``reference / method``
(> 1 means the method is faster), the peak resident memory (VmHWM) of a fresh process per method at
L = 16384, and what ``method="auto"`` chooses.  Run:  ``python benchmarks/bench_apply.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def _setup(layout, L, batch=8, H=64, N=64, seed=0):
    rng = np.random.default_rng(seed)
    if layout == "mimo":
        lam = (np.exp(-rng.uniform(1e-3, 0.1, N)) * np.exp(1j * rng.uniform(0, np.pi, N))).astype(np.complex64)
        B = (rng.normal(size=(N, H)) + 1j * rng.normal(size=(N, H))).astype(np.complex64) / np.sqrt(H)
        C = (rng.normal(size=(H, N)) + 1j * rng.normal(size=(H, N))).astype(np.complex64) / np.sqrt(N)
        D = rng.normal(size=(H, H)).astype(np.float32)
    else:
        lam = (np.exp(-rng.uniform(1e-3, 0.1, (H, N))) * np.exp(1j * rng.uniform(0, np.pi, (H, N)))).astype(np.complex64)
        B = np.ones((H, N), np.complex64)
        C = (rng.normal(size=(H, N)) + 1j * rng.normal(size=(H, N))).astype(np.complex64) / np.sqrt(N)
        D = rng.normal(size=H).astype(np.float32)
    u = rng.normal(size=(batch, L, H)).astype(np.float32)
    return lam, B, C, D, u


def ref_lfilter(layout, lam, B, C, D, u):
    from scipy.signal import lfilter

    if layout == "mimo":
        Bu = np.einsum("blh,ph->blp", u, B)
        x = np.empty_like(Bu)
        for p in range(lam.shape[0]):
            x[..., p] = lfilter([1.0], [1.0, -lam[p]], Bu[..., p], axis=1)
        return np.einsum("op,blp->blo", C, x).real * 2 + np.einsum("oi,bli->blo", D, u)
    H, N = lam.shape
    y = np.empty(u.shape, np.float32)
    for h in range(H):
        acc = np.zeros(u.shape[:2], np.complex64)
        for n in range(N):
            acc += C[h, n] * lfilter([B[h, n]], [1.0, -lam[h, n]], u[..., h], axis=1)
        y[..., h] = 2 * acc.real + D[h] * u[..., h]
    return y


def ref_numpy_loop(layout, lam, B, C, D, u):
    b, L, H = u.shape
    if layout == "mimo":
        Bu = np.einsum("blh,ph->blp", u, B)
        x = np.zeros((b, lam.shape[0]), np.complex64)
        xs = np.empty(Bu.shape, np.complex64)
        for k in range(L):
            x = lam * x + Bu[:, k]
            xs[:, k] = x
        return np.einsum("op,blp->blo", C, xs).real * 2 + np.einsum("oi,bli->blo", D, u)
    x = np.zeros((b,) + lam.shape, np.complex64)
    y = np.empty(u.shape, np.float32)
    for k in range(L):
        x = lam * x + B * u[:, k, :, None]
        y[:, k] = 2 * np.einsum("hn,bhn->bh", C, x).real + D * u[:, k]
    return y


def _time(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def run_jax(layout, method, lam, B, C, D, u, repeats):
    import jax

    from ssmtheory import ssm

    f = ssm.apply_ssm if layout == "mimo" else ssm.apply_ssm_channels
    call = lambda: jax.block_until_ready(f(lam, B, C, D, u, method=method, conj_sym=True))  # noqa: E731
    t0 = time.perf_counter()
    call()
    compile_s = time.perf_counter() - t0
    t, y = _time(call, repeats)
    return t, compile_s, np.asarray(y)


def _vm_hwm_mib() -> float:
    """Peak resident memory of this process (VmHWM, MiB).  Unlike ``ru_maxrss`` it is reset by ``exec``,
    so a child started by ``subprocess`` does not inherit the parent's high-water mark."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    return float("nan")


def _peak_rss_child(layout, method, L):
    """Peak resident memory (MiB) of a fresh process that applies the SSM once by ``method``, and its baseline
    (after imports and input set-up, before the method runs)."""
    code = (
        "import sys;sys.path.insert(0,%r);import bench_apply as b;import jax;"
        "a=b._setup(%r,%d);base=b._vm_hwm_mib();"
        "m=%r\n"
        "if m=='lfilter': b.ref_lfilter(%r,*a)\n"
        "elif m=='numpy-loop': b.ref_numpy_loop(%r,*a)\n"
        "else: b.run_jax(%r,m,*a,1)\n"
        "print(b._vm_hwm_mib(), base)"
    ) % (os.path.dirname(os.path.abspath(__file__)), layout, L, method, layout, layout, layout)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="L in {1k, 4k, 16k}, fewer repeats")
    ap.add_argument("--lengths", type=int, nargs="*", default=None)
    ap.add_argument("--layouts", nargs="*", default=["mimo", "channels"])
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--memory-only", action="store_true", help="only the peak-memory table")
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args(argv)
    import jax

    from ssmtheory import ssm

    lengths = args.lengths or ([1024, 4096, 16384] if args.quick else [1024, 4096, 16384, 65536])
    repeats = 3 if args.quick else 5
    print(f"backend={jax.default_backend()} devices={jax.devices()} jax={jax.__version__}")
    rows = []
    for layout in args.layouts:
        print(f"\n== {layout} (N=64 states, H=64 channels, batch 8, complex64) ==")
        print(f"{'L':>6} {'method':>12} {'time ms':>9} {'compile s':>9} {'vs lfilter':>10} {'vs loop':>8} {'max err':>9}")
        for L in ([] if args.memory_only else lengths):
            a = _setup(layout, L)
            t_lf, y_ref = _time(lambda: ref_lfilter(layout, *a), 1 if L > 16384 else repeats)
            if L <= 16384:
                t_np, _ = _time(lambda: ref_numpy_loop(layout, *a), 1)
            else:
                t_np = float("nan")
            scale = np.abs(y_ref).max()
            for name, t, comp in (("lfilter", t_lf, 0.0), ("numpy-loop", t_np, 0.0)):
                print(f"{L:>6} {name:>12} {t*1e3:>9.1f} {comp:>9.2f} {t_lf/t:>10.2f} {t_np/t:>8.2f} {'ref':>9}")
            auto = ssm.choose_method(layout, H=64, L=L)
            for method in ("scan", "associative", "fft"):
                if layout == "channels" and method == "associative" and L > 16384:
                    continue  # (8, L, 64, 64) complex state tensor: > 4 GiB
                t, comp, y = run_jax(layout, method, *a, repeats)
                err = float(np.abs(y - y_ref).max() / scale)
                tag = method + ("*" if method == auto else "")
                print(f"{L:>6} {tag:>12} {t*1e3:>9.1f} {comp:>9.2f} {t_lf/t:>10.2f} {t_np/t:>8.2f} {err:>9.1e}")
                rows.append(dict(layout=layout, L=L, method=method, auto=method == auto, ms=t * 1e3, compile_s=comp,
                                 ratio_lfilter=t_lf / t, ratio_loop=t_np / t, rel_err=err))
        print("(* = what method='auto' picks)")
        if not args.no_memory:
            Lm = 16384
            print(f"peak RSS of a fresh process at L={Lm} (MiB; inputs alone: see 'base'):")
            for method in ("lfilter", "numpy-loop", "scan", "associative", "fft"):
                if layout == "channels" and method == "associative":
                    pass
                peak, base = _peak_rss_child(layout, method, Lm)
                print(f"  {method:>12}: peak {peak:8.0f}   base {base:6.0f}")
                rows.append(dict(layout=layout, L=Lm, method=method, peak_rss_mib=peak, base_rss_mib=base))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
