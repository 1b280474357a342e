"""Root pytest configuration (applies to tests/ and to nbval over notebooks/).

Figures and claims written while testing go to a temporary folder, never into the tree.  The
variables are set at import time because nbval starts each notebook's kernel (which inherits the
environment) before any fixture runs.
"""

import os
import tempfile

os.environ.setdefault("MPLBACKEND", "agg")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
_out = tempfile.mkdtemp(prefix="ssmtheory-test-")
os.environ.setdefault("SSMTHEORY_FIG_DIR", os.path.join(_out, "figures"))
os.environ.setdefault("SSMTHEORY_RESULTS_DIR", os.path.join(_out, "results"))

collect_ignore_glob = ["notebooks/*.py", "benchmarks/*", "results/*"]
