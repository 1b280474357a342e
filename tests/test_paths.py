"""Output locations follow the working directory and the variables, never the package's location; atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ssmtheory.harness import paths


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    root = tmp_path / "clone"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "ssmtheory"\n')
    for k in ("SSMTHEORY_RESULTS_DIR", "SSMTHEORY_FIG_DIR", "SSMTHEORY_JAX_CACHE_DIR", "JAX_COMPILATION_CACHE_DIR",
              "SSMTHEORY_JAX_CACHE"):
        monkeypatch.delenv(k, raising=False)
    return root


def test_paths_follow_the_working_directory(checkout, monkeypatch):
    monkeypatch.chdir(checkout / "notebooks")  # a kernel started next to the notebook
    assert paths.project_root() == checkout.resolve()
    assert paths.results_dir() == checkout.resolve() / "results"
    assert paths.figure_dir() == checkout.resolve() / "results" / "figures"
    assert paths.gallery_dir() == checkout.resolve() / "figures"
    assert paths.notebooks_dir() == checkout.resolve() / "notebooks"
    assert paths.jax_cache_dir() == checkout.resolve() / "results" / ".jax_cache"
    assert not (checkout / "figures").exists()
    pkg_checkout = Path(paths.__file__).resolve().parent.parent
    assert pkg_checkout not in paths.results_dir().parents


def test_variables_win(checkout, monkeypatch, tmp_path):
    monkeypatch.chdir(checkout)
    monkeypatch.setenv("SSMTHEORY_RESULTS_DIR", str(tmp_path / "r"))
    assert paths.results_dir() == tmp_path / "r"
    assert paths.figure_dir() == tmp_path / "r" / "figures"
    monkeypatch.setenv("SSMTHEORY_FIG_DIR", str(tmp_path / "f"))
    assert paths.figure_dir() == tmp_path / "f"
    monkeypatch.setenv("SSMTHEORY_JAX_CACHE_DIR", str(tmp_path / "c"))
    assert paths.jax_cache_env()["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "c")
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "j"))
    assert paths.jax_cache_env()["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "j")
    monkeypatch.setenv("SSMTHEORY_JAX_CACHE", "0")
    assert paths.jax_cache_env() == {}


def test_outside_a_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for k in ("SSMTHEORY_RESULTS_DIR", "SSMTHEORY_FIG_DIR", "SSMTHEORY_JAX_CACHE_DIR"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.project_root() is None
    assert paths.results_dir() == tmp_path.resolve() / "results"
    assert paths.jax_cache_dir() == tmp_path / "xdg" / "ssmtheory" / "jax"


def test_jax_cache_env_makes_small_compiles_cacheable(checkout, monkeypatch):
    monkeypatch.chdir(checkout)
    for k in ("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"):
        monkeypatch.delenv(k, raising=False)
    env = paths.jax_cache_env()
    assert float(env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]) < 1.0  # JAX's default (1 s) skips most CPU compiles
    assert env["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] == "-1"


def test_atomic_write(tmp_path):
    p = tmp_path / "sub" / "x.json"
    paths.atomic_write_text(p, "one")
    assert p.read_text() == "one"
    with pytest.raises(RuntimeError):
        with paths.atomic_path(p) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert p.read_text() == "one"
    assert os.listdir(p.parent) == ["x.json"]
    paths.atomic_write_bytes(p, b"two")
    assert p.read_bytes() == b"two"
