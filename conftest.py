"""Root pytest configuration (applies to tests/ and to nbval over notebooks/).

* Figures and claims written while testing go to a temporary folder, never into the tree.  The
  variables are set at import time because nbval starts each notebook's kernel (which inherits
  the environment) before any fixture runs.
* JAX's persistent compilation cache is shared with ``ssmtheory run``
  (``<checkout>/results/.jax_cache``, see ``ssmtheory.harness.paths.jax_cache_env``), for the test
  processes and the notebook kernels alike, so a second ``make test`` skips most XLA compiles.
  ``SSMTHEORY_JAX_CACHE=0`` turns it off.
* Under pytest-xdist each worker (and its kernels) gets ``cores / workers`` BLAS/OpenMP threads,
  so two JAX processes do not oversubscribe the cores (``ssmtheory.harness.runner.thread_env``).
* nbval only executes the notebooks; for every notebook collected, a test
  ``<notebook>.ipynb::claims-expectation`` runs after its last cell and compares the claims it
  wrote with ``tests/expected_claims/<notebook>.json`` (``ssmtheory.harness.expectations``): a changed
  verdict or a number outside its tolerance fails ``make test``.
"""

import os
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
EXPECTED_DIR = ROOT / "tests" / "expected_claims"
_SESSION_START = time.time()

os.environ.setdefault("MPLBACKEND", "agg")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
_out = tempfile.mkdtemp(prefix="ssmtheory-test-")
os.environ.setdefault("SSMTHEORY_FIG_DIR", os.path.join(_out, "figures"))
os.environ.setdefault("SSMTHEORY_RESULTS_DIR", os.path.join(_out, "results"))
os.environ.setdefault("SSMTHEORY_JAX_CACHE_DIR", str(ROOT / "results" / ".jax_cache"))

from ssmtheory.harness import paths as _paths  # noqa: E402  (no jax import: the package imports lazily)

for _k, _v in _paths.jax_cache_env().items():
    os.environ.setdefault(_k, _v)

_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
if _workers > 1:
    from ssmtheory.harness.runner import thread_env as _thread_env  # noqa: E402

    for _k, _v in _thread_env(_workers).items():
        os.environ.setdefault(_k, _v)

collect_ignore_glob = ["notebooks/*.py", "benchmarks/*", "results/*", "docs/*"]


class ClaimsExpectation(pytest.Item):
    """Compare a notebook's quick-profile claims (written by nbval's run) with the committed expectation."""

    def __init__(self, *, stem, **kw):
        super().__init__(**kw)
        self.stem = stem

    def runtest(self):
        from ssmtheory.harness import expectations

        status, lines = expectations.check_notebook(
            self.stem, os.environ["SSMTHEORY_RESULTS_DIR"], EXPECTED_DIR, since=_SESSION_START
        )
        if status == "skip":
            pytest.skip(lines[0])
        if status == "fail":
            raise AssertionError("\n".join(lines))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, AssertionError):
            return f"claims of {self.stem} differ from tests/expected_claims/{self.stem}.json:\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.stem}::claims-expectation"


def pytest_collection_modifyitems(session, config, items):
    """After the last nbval cell of each notebook, insert its claims-expectation test (same file, same worker)."""
    last: dict = {}
    for i, item in enumerate(items):
        p = Path(str(getattr(item, "path", getattr(item, "fspath", ""))))
        if p.suffix == ".ipynb" and p.parent.name == "notebooks" and type(item).__name__ == "IPyNbCell":
            last[p] = i
    for p, i in sorted(last.items(), key=lambda kv: -kv[1]):
        parent = items[i].parent
        items.insert(i + 1, ClaimsExpectation.from_parent(parent, name="claims-expectation", stem=p.stem))
