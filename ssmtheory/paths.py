"""Where figures and results go.

``figure_dir()`` is ``$SSMTHEORY_FIG_DIR`` if set, else ``<repo>/figures``;
``results_dir()`` is ``$SSMTHEORY_RESULTS_DIR`` if set, else ``<repo>/results``.
``<repo>`` is the checkout that holds this package (editable install), else the working directory.
Tests set both variables to temporary folders so that they never touch the tree.
"""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists():
        return here
    return Path.cwd()


def figure_dir() -> Path:
    p = Path(os.environ.get("SSMTHEORY_FIG_DIR") or repo_root() / "figures")
    p.mkdir(parents=True, exist_ok=True)
    return p


def results_dir() -> Path:
    p = Path(os.environ.get("SSMTHEORY_RESULTS_DIR") or repo_root() / "results")
    p.mkdir(parents=True, exist_ok=True)
    return p


def notebooks_dir() -> Path:
    return repo_root() / "notebooks"
