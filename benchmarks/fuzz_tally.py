"""Bad-input fuzz tally (issue 13): one argument changed at a time from a valid call, every public function.

Deterministic and hypothesis-free.  The valid calls and argument kinds are the tables of the bad-input
suite (``tests/test_bad_inputs*.py``: ``VALID``, ``ALLOWED``, ``EXTRA``), so the fuzz covers exactly what
the suite knows how to call; public functions (from each module's ``__all__``) without a valid call are
listed as "not fuzzed".  Each argument gets the suite's variants for its kind (NaN, inf, wrong rank,
complex where real is required, None, negative/zero/fraction/bool/string integers, NaN/inf/negative/zero
floats, an unknown option, an escaping path) plus fuzz-only variants: a string array (wrong dtype), an
axis-0 length one shorter than another argument's (mismatched lengths, only where the valid call has two
array arguments of equal leading length) and 10**9 for a size argument (a huge size that must be refused).
Variants the suite lists in ``ALLOWED`` (valid inputs) are not counted.

Every call runs in a guarded worker process (spawned, 6 GiB address-space limit, results/figures in a
temporary folder): a worker that dies is an *interpreter crash*, one that exceeds ``--timeout`` is a
*hang*; either is restarted.  Outcomes:

* ``named``     ValueError/TypeError whose message names the argument (what the README promises)
* ``unnamed``   ValueError/TypeError that does not name it
* ``other``     any other exception (MemoryError, IndexError, jax errors, ...)
* ``nonfinite`` returned, and the result holds NaN or inf (silent)
* ``finite``    returned a finite result (silently accepted)
* ``crash``, ``hang``

Usage::

    python benchmarks/fuzz_tally.py --label after --out /tmp/after.json
    git worktree add /tmp/before af047a0
    python benchmarks/fuzz_tally.py --root /tmp/before --label before --out /tmp/before.json
    python benchmarks/fuzz_tally.py --markdown benchmarks/fuzz_tally.md /tmp/before.json /tmp/after.json

``--root`` selects the ``ssmtheory`` tree under test; the tables always come from this checkout's tests.
For the flat layout of the base commit a name ``theory.memory.f`` maps to ``memory.f``; a function that
moved to another module is looked up by name among the flat modules (used when exactly one defines it).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import multiprocessing as mp
import os
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
SIZE_NAMES = {"N", "L", "P", "H", "T", "n", "length", "n_grid", "d_state", "L_fine", "n_fine", "n_train", "n_test",
              "steps", "reps", "n_boot", "n_perm", "max_n", "n_samples", "width", "depth", "seq_len", "K", "m"}
OUTCOMES = ("named", "unnamed", "other", "nonfinite", "finite", "crash", "hang")
HUGE = 10**9


# ----------------------------------------------------------------------------------------------- worker side
def _setup_worker(root):
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
    tmp = tempfile.mkdtemp(prefix="fuzz_tally_")
    os.environ.update(JAX_PLATFORMS="cpu", MPLBACKEND="agg", SSMTHEORY_RESULTS_DIR=f"{tmp}/results",
                      SSMTHEORY_FIG_DIR=f"{tmp}/figures", XLA_FLAGS="--xla_cpu_multi_thread_eigen=false",
                      OMP_NUM_THREADS="1")
    os.chdir(tmp)
    sys.path[:0] = [str(root), str(TESTS)]
    devnull = open(os.devnull, "w")
    sys.stdout = devnull
    import jax

    jax.config.update("jax_enable_x64", True)
    return load_tables()


def load_tables():
    """Merge VALID / ALLOWED / EXTRA of every tests/test_bad_inputs*.py (imported as modules)."""
    valid, allowed, extra, modules, errors, setup = {}, {}, [], [], {}, {}
    for f in sorted(TESTS.glob("test_bad_inputs*.py")):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mod = importlib.import_module(f.stem)
        except Exception as e:  # a table that cannot even be built on this tree
            errors[f.stem] = f"{type(e).__name__}: {e}"[:300]
            continue
        valid.update(getattr(mod, "VALID", {}))
        allowed.update(getattr(mod, "ALLOWED", {}))
        extra += list(getattr(mod, "EXTRA", []))
        setup.update(getattr(mod, "SETUP", {}))
        modules += list(getattr(mod, "MODULES", getattr(mod, "CORE", ())))
    return dict(valid=valid, allowed=allowed, extra=extra, modules=modules, errors=errors, setup=setup)


def resolve(qual, flat):
    """The function for ``qual`` in the tree under test (None when absent)."""
    modname, name = qual.rsplit(".", 1)
    if not flat:
        try:
            return getattr(importlib.import_module(f"ssmtheory.{modname}"), name, None)
        except ImportError:
            return None
    base = modname.split(".")[-1]
    try:
        fn = getattr(importlib.import_module(f"ssmtheory.{base}"), name, None)
        if fn is not None:
            return fn
    except ImportError:
        pass
    import pkgutil

    import ssmtheory

    found = []
    for info in pkgutil.iter_modules(ssmtheory.__path__):
        try:
            m = importlib.import_module(f"ssmtheory.{info.name}")
        except Exception:
            continue
        obj = getattr(m, name, None)
        if inspect.isfunction(obj) and obj.__module__ == m.__name__:
            found.append(obj)
    return found[0] if len(found) == 1 else None


def variants(kind, value, arg, kw):
    from _bad_inputs import variants as suite_variants

    import numpy as np

    out = [(lab, bad) for lab, bad, _ in suite_variants(kind, value)]
    if kind in ("array", "real"):
        a = np.asarray(value)
        out.append(("wrong dtype", np.full(a.shape, "a")))
        if a.ndim >= 1 and a.shape[0] > 1:
            others = [k for k, v in kw.items() if k != arg and isinstance(v, np.ndarray) and v.ndim >= 1]
            if any(kw[k].shape[0] == a.shape[0] for k in others):
                out.append(("mismatched length", a[:-1]))
    if kind in ("pint", "nnint") and arg in SIZE_NAMES:
        out.append(("huge", HUGE))
    return out


def case_list(tables):
    """[(qual, arg, label)] for every variant, in a fixed order; the value is rebuilt in the worker."""
    cases = []
    for qual, (kw, kinds) in tables["valid"].items():
        cases.append((qual, None, "__valid__"))
        for arg, kind in kinds.items():
            for label, _ in variants(kind, kw[arg], arg, kw):
                if (qual, arg, label) not in tables["allowed"]:
                    cases.append((qual, arg, label))
    for i, (qual, arg, label, _) in enumerate(tables["extra"]):
        if qual in tables["valid"]:
            cases.append((qual, arg, f"extra:{label}#{i}"))
    return cases


def _bad_value(tables, qual, arg, label):
    kw, kinds = tables["valid"][qual]
    if label.startswith("extra:"):
        return tables["extra"][int(label.rsplit("#", 1)[1])][3]
    for lab, bad in variants(kinds[arg], kw[arg], arg, kw):
        if lab == label:
            return bad
    raise KeyError(label)


def _nonfinite(x, depth=0):
    """(has NaN, has inf) anywhere in a result (arrays, numbers, containers, dataclasses)."""
    import numpy as np

    no = (False, False)
    if depth > 6 or isinstance(x, (str, bytes, Path, bool, int)) or x is None or callable(x) and not hasattr(x, "shape"):
        return no
    if isinstance(x, (float, complex)):
        return (math.isnan(abs(x)), math.isinf(abs(x)))
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        a = np.asarray(x)
        if a.dtype.kind not in "fc":
            return no
        return (bool(np.isnan(a).any()), bool(np.isinf(a).any()))
    if isinstance(x, dict):
        parts = list(x.values())
    elif isinstance(x, (list, tuple, set)):
        parts = list(x)[:1000]
    elif hasattr(x, "__dict__"):
        parts = list(vars(x).values())
    elif hasattr(x, "__slots__"):
        parts = [getattr(x, s, None) for s in x.__slots__]
    else:
        return no
    flags = [_nonfinite(v, depth + 1) for v in parts]
    return (any(f[0] for f in flags), any(f[1] for f in flags))


def run_case(tables, flat, qual, arg, label):
    import re

    fn = resolve(qual, flat)
    if fn is None:
        return dict(outcome="absent")
    kw = dict(tables["valid"][qual][0])
    if arg is not None:
        kw[arg] = _bad_value(tables, qual, arg, label)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            if qual in tables["setup"]:
                tables["setup"][qual]()
            res = fn(**kw)
            try:
                import jax

                res = jax.block_until_ready(res)
            except Exception:
                pass
        except (ValueError, TypeError) as e:
            msg = str(e)
            # a length mismatch is between two arguments: naming either one states the contract
            names = [arg] + ([k for k in kw if k != arg] if label == "mismatched length" else [])
            named = arg is not None and any(re.search(rf"\b{re.escape(n)}\b", msg) for n in names)
            return dict(outcome="named" if named else "unnamed", exc=type(e).__name__, msg=msg[:200])
        except BaseException as e:  # noqa: BLE001 - classify everything
            return dict(outcome="other", exc=type(e).__name__, msg=str(e)[:200])
        has_nan, has_inf = _nonfinite(res)
    # the outcome is settled in tally(): inf counts only where the valid call's result has none (one-sided CIs)
    return dict(outcome="returned", nan=has_nan, inf=has_inf, warned=bool(w),
                warning=(str(w[0].message)[:120] if w else ""))


def worker_main(conn, root, flat):
    tables = _setup_worker(root)
    import ssmtheory

    conn.send(dict(ready=True, file=ssmtheory.__file__, errors=tables["errors"]))
    while True:
        case = conn.recv()
        if case is None:
            return
        t0 = time.perf_counter()
        try:
            out = run_case(tables, flat, *case)
        except BaseException as e:  # noqa: BLE001
            out = dict(outcome="other", exc=type(e).__name__, msg=f"(harness) {e}"[:200])
        out["seconds"] = round(time.perf_counter() - t0, 3)
        conn.send(out)


# ----------------------------------------------------------------------------------------------- guard side
class Guard:
    """One worker process running the cases, plus a spare one already importing (a hang or crash swaps it in)."""

    def __init__(self, root, flat):
        self.root, self.flat, self.proc, self.spare = root, flat, None, None

    def _spawn(self):
        ctx = mp.get_context("spawn")
        conn, child = ctx.Pipe()
        proc = ctx.Process(target=worker_main, args=(child, str(self.root), self.flat), daemon=True)
        proc.start()
        return proc, conn

    def start(self):
        self.proc, self.conn = self.spare if self.spare is not None else self._spawn()
        self.spare = None
        if not self.conn.poll(600):
            raise RuntimeError("worker did not start")
        self.hello = self.conn.recv()
        self.spare = self._spawn()

    def run(self, case, timeout):
        if self.proc is None or not self.proc.is_alive():
            self.start()
        self.conn.send(case)
        if self.conn.poll(timeout):
            try:
                return self.conn.recv()
            except EOFError:
                pass
        else:
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join()
                self.proc = None
                return dict(outcome="hang", seconds=timeout)
        self.proc.join(5)
        code = self.proc.exitcode
        self.proc = None
        return dict(outcome="crash", exc=f"exit {code}")

    def close(self):
        if self.proc is not None and self.proc.is_alive():
            self.conn.send(None)
            self.proc.join(10)
        if self.spare is not None:
            self.spare[0].kill()
            self.spare[0].join()


def public_functions(modules, root, flat):
    """{module: [public function names]} of THIS checkout (the function list is the same before and after)."""
    sys.path.insert(0, str(HERE.parent))
    out = {}
    for m in modules:
        mod = importlib.import_module(f"ssmtheory.{m}")
        out[m] = [n for n in getattr(mod, "__all__", []) if inspect.isfunction(getattr(mod, n))]
    return out


def _package_modules():
    """Every public module of this checkout's package (derived from the files, so a new module is never missed)."""
    pkg = HERE.parent / "ssmtheory"
    return tuple(sorted(".".join(p.relative_to(pkg).with_suffix("").parts) for p in pkg.rglob("*.py")
                        if not any(part.startswith("_") for part in p.relative_to(pkg).parts)))


ALL_MODULES = _package_modules()


def fuzz(root, label, timeout, out_path, only=None):
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    flat = not (Path(root) / "ssmtheory" / "theory").is_dir()
    # the case list is built in a worker too (the tables import ssmtheory); ask it once
    sys.path[:0] = [str(TESTS)]
    g = Guard(root, flat)
    g.start()
    # rebuild the tables here with THIS checkout, only to enumerate cases (values are rebuilt in the worker)
    ctx_tables = _enumerate_in_subprocess(root)
    cases = [c for c in ctx_tables if only is None or c[0].startswith(tuple(only.split(",")))]
    results = []
    t0 = time.perf_counter()
    valid_seconds = {}
    for i, case in enumerate(cases):
        # a valid call may compile (JAX): it gets 6x the limit; a bad call the limit, or twice its valid call's time
        # (at most 3x the limit)
        if case[2] == "__valid__":
            r = g.run(case, 6 * timeout)
            valid_seconds[case[0]] = r.get("seconds") or 0.0
        else:
            r = g.run(case, min(3 * timeout, max(timeout, 2 * valid_seconds.get(case[0], 0.0) + 2)))
        results.append(dict(qual=case[0], arg=case[1], label=case[2], **r))
        if (i + 1) % 100 == 0:
            print(f"  {label}: {i + 1}/{len(cases)} cases, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            Path(out_path).with_suffix(".partial.json").write_text(json.dumps(dict(label=label, results=results), default=str))
    g.close()
    funcs = public_functions(ALL_MODULES, root, flat)
    doc = dict(label=label, root=str(root), ssmtheory_file=g.hello["file"], table_errors=g.hello["errors"],
               seconds=round(time.perf_counter() - t0, 1), timeout=timeout, public=funcs, results=results)
    Path(out_path).write_text(json.dumps(doc, indent=0, default=str))
    return doc


def _enumerate_worker(conn, root):
    tables = _setup_worker(root)
    conn.send(case_list(tables))


def _enumerate_in_subprocess(root):
    ctx = mp.get_context("spawn")
    a, b = ctx.Pipe()
    p = ctx.Process(target=_enumerate_worker, args=(b, str(root)))
    p.start()
    cases = a.recv()
    p.join()
    return cases


# ----------------------------------------------------------------------------------------------- markdown
def _module_of(qual):
    return qual.rsplit(".", 1)[0]


# fuzz-only variants that are valid inputs (the suite's ALLOWED covers its own variants)
FUZZ_ALLOWED = {
    ("stats.welch", "a", "mismatched length"): "two independent samples may differ in size",
    ("stats.welch", "b", "mismatched length"): "two independent samples may differ in size",
    ("experiments.data_dependent.refinement_excess", "coarse", "mismatched length"): "independent training sets per grid",
    ("experiments.data_dependent.refinement_excess", "fine", "mismatched length"): "independent training sets per grid",
    ("pseudospectra.sigma_min", "z", "mismatched length"): "z is any set of points",
    ("pseudospectra.sigma_min_reference", "z", "mismatched length"): "z is any set of points",
    ("pseudospectra.pseudospectrum", "x", "mismatched length"): "x and y span a meshgrid",
    ("pseudospectra.pseudospectrum", "y", "mismatched length"): "x and y span a meshgrid",
    ("pseudospectra.sigma_min_mpmath", "max_n", "huge"): "max_n is a cap, not an allocation",
    ("pseudospectra.hippo_eigvec_condition_exact", "max_n", "huge"): "max_n is a cap, not an allocation",
    ("pseudospectra.stability_radius", "n_grid", "huge"): "n_grid is used by method='grid' only (the call uses 'bb')",
}


def classify(r, valid):
    """Final outcome of one result given its function's valid-call result."""
    if r["outcome"] != "returned":
        return r["outcome"]
    if r.get("nan") and not valid.get("nan") or r.get("inf") and not valid.get("inf"):
        return "nonfinite"
    return "finite"


def tally(doc):
    """(overall Counter, per-module Counters, valid-call status per function)."""
    valid_ok, valid = {}, {}
    for r in doc["results"]:
        if r["label"] == "__valid__":
            valid_ok[r["qual"]] = r["outcome"] == "returned"
            valid[r["qual"]] = r
    total, per = Counter(), defaultdict(Counter)
    for r in doc["results"]:
        if r["label"] == "__valid__" or not valid_ok.get(r["qual"]) or (r["qual"], r["arg"], r["label"]) in FUZZ_ALLOWED:
            continue
        o = r["final"] = classify(r, valid[r["qual"]])
        for c in (total, per[_module_of(r["qual"])]):
            c[o] += 1
            c["tried"] += 1
            if o in ("finite", "nonfinite") and r.get("warned"):
                c["silent_warned"] += 1
    return total, per, valid_ok


def _pct(a, b):
    return f"{a} ({100 * a / b:.0f} %)" if b else str(a)


def common_cases(docs):
    """Restrict every run to the cases all runs reached (partial runs stop at different points of the same list)."""
    keys = [{(r["qual"], r["arg"], r["label"]) for r in d["results"]} for d in docs]
    reached = set.intersection(*keys)
    ok = [{r["qual"] for r in d["results"] if r["label"] == "__valid__" and r["outcome"] == "returned"} for d in docs]
    valid_in_all = set.intersection(*ok)
    return [dict(d, results=[r for r in d["results"] if (r["qual"], r["arg"], r["label"]) in reached
                             and r["qual"] in valid_in_all]) for d in docs]


def markdown(docs, note=""):
    for d in docs:
        d.setdefault("seconds", "?")
        d.setdefault("timeout", 10.0)
        if "public" not in d:
            d["public"] = public_functions(ALL_MODULES, None, False)
    lines = ["# Bad-input fuzz tally (issue 13)", "", note, "",
             "Generated by `benchmarks/fuzz_tally.py` (one argument changed at a time from the bad-input suite's valid "
             "call; deterministic, no hypothesis). Each call ran in a guarded worker (crash = worker died, hang = over "
             f"{docs[-1]['timeout']} s). \"before\" is the base commit af047a0 run with the same tables and method "
             "(flat module names mapped); functions absent there or whose valid call fails there are not counted in its "
             "column. A \"finite result\" is a bad input silently accepted: the fuzz cannot tell whether the number "
             "is wrong, only that nothing refused it.", ""]
    tallies = [(d["label"], *tally(d)) for d in docs]
    head = "| outcome | " + " | ".join(lab for lab, *_ in tallies) + " |"
    lines += [head, "|---|" + "---:|" * len(tallies)]
    rows = [("bad inputs tried", "tried"), ("ValueError/TypeError naming the argument", "named"),
            ("ValueError/TypeError not naming it", "unnamed"), ("another exception", "other"),
            ("a silent NaN or inf", "nonfinite"), ("a finite result (silently accepted)", "finite"),
            ("an interpreter crash", "crash"), ("a hang", "hang"), ("silent outcomes with a warning", "silent_warned")]
    for name, key in rows:
        cells = []
        for _, tot, _, _ in tallies:
            cells.append(_pct(tot[key], tot["tried"]) if key in ("named",) else str(tot[key]))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    # coverage
    d_after = docs[-1]
    nfun = sum(len(v) for v in d_after["public"].values())
    fuzzed = {q for q, ok in tallies[-1][3].items() if ok}
    lines += [f"Functions fuzzed ({d_after['label']}): {len(fuzzed)} of {nfun} public functions "
              f"(`__all__`, functions only). Runtime: " + ", ".join(f"{d['label']} {d['seconds']} s" for d in docs) + ".", ""]
    for d in docs:
        if d.get("table_errors"):
            lines.append(f"Tables that could not be built on {d['label']}: {d['table_errors']}")
    lines += ["", "## Per module", "",
              "named = ValueError/TypeError naming the argument; silent = NaN/inf or finite result returned.", "",
              "| module | " + " | ".join(f"{lab}: tried / named / other+unnamed / silent / crash+hang" for lab, *_ in tallies)
              + " | public fns | fuzzed |", "|---|" + "---|" * len(tallies) + "---:|---:|"]
    mods = list(d_after["public"])
    for m in mods:
        cells = []
        for _, _, per, _ in tallies:
            c = per.get(m, Counter())
            if not c["tried"]:
                cells.append("—")
                continue
            cells.append(f"{c['tried']} / {_pct(c['named'], c['tried'])} / {c['other'] + c['unnamed']} / "
                         f"{c['nonfinite'] + c['finite']} / {c['crash'] + c['hang']}")
        nf = len([f for f in fuzzed if _module_of(f) == m])
        lines.append(f"| {m} | " + " | ".join(cells) + f" | {len(d_after['public'][m])} | {nf} |")
    # silent cases of the last run
    lines += ["", f"## Silent and unclassified outcomes ({d_after['label']})", ""]
    valid_ok = tallies[-1][3]
    for r in d_after["results"]:
        if r.get("final") in ("finite", "nonfinite", "crash", "hang", "other", "unnamed"):
            extra = r.get("exc", "") + (": " + r.get("msg", "")[:90].replace("|", "/").replace("\n", " ") if r.get("msg") else "")
            if r.get("warned"):
                extra += f" (warned: {r.get('warning', '')[:60]})"
            lines.append(f"- `{r['qual']}` {r['arg']} = {r['label']}: **{r['final']}** {extra}")
    not_fuzzed = [f"{m}.{n}" for m in mods for n in d_after["public"][m] if f"{m}.{n}" not in fuzzed]
    lines += ["", f"## Public functions without a valid call in the suite's tables ({len(not_fuzzed)}, not fuzzed)", "",
              ", ".join(f"`{q}`" for q in not_fuzzed) or "none", ""]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=str(HERE.parent), help="checkout whose ssmtheory is fuzzed")
    ap.add_argument("--label", default="after")
    ap.add_argument("--out", help="JSON with every case")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per call before it counts as a hang")
    ap.add_argument("--only", help="comma-separated prefixes of the qualified names to fuzz (debugging)")
    ap.add_argument("--markdown", nargs="+", metavar=("OUT_MD", "JSON"), help="write the table from JSON runs")
    ap.add_argument("--common", action="store_true", help="with --markdown: count only the cases every run reached")
    ap.add_argument("--note", default="", help="with --markdown: a paragraph placed under the title")
    a = ap.parse_args(argv)
    if a.markdown:
        out, *jsons = a.markdown
        docs = [json.loads(Path(j).read_text()) for j in jsons]
        Path(out).write_text(markdown(common_cases(docs) if a.common else docs, a.note))
        return 0
    doc = fuzz(Path(a.root).resolve(), a.label, a.timeout, a.out or f"/tmp/fuzz_{a.label}.json", a.only)
    tot = tally(doc)[0]
    print(json.dumps(dict(label=a.label, seconds=doc["seconds"], **tot)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
