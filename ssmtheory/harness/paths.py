"""Where figures, results and caches go, and atomic writes.

Every location follows the **working directory** (or an explicit variable / flag), never the
location of the installed package, so an editable install used from another checkout writes
into the checkout you are in:

* ``project_root()``: the nearest folder, from the working directory upwards, that holds a
  ``pyproject.toml`` naming the ``ssmtheory`` project (so a kernel started in ``notebooks/``
  finds the checkout); ``None`` outside a checkout.
* ``repo_root()``: ``project_root()``, else the working directory.
* ``results_dir()``: ``$SSMTHEORY_RESULTS_DIR`` if set, else ``<repo>/results`` (the run folder;
  gitignored).
* ``figure_dir()``: ``$SSMTHEORY_FIG_DIR`` if set, else ``results_dir()/figures``.  A run never
  writes into the committed gallery; only ``ssmtheory publish`` does (see ``gallery_dir``).
* ``gallery_dir()``: ``<repo>/figures``, the committed full-profile figures.
* ``notebooks_dir()``: ``<repo>/notebooks``.
* ``jax_cache_dir()``: the JAX persistent compilation cache shared by ``ssmtheory run`` and the
  test suite: ``$SSMTHEORY_JAX_CACHE_DIR``, else ``<repo>/results/.jax_cache`` inside a checkout,
  else ``$XDG_CACHE_HOME/ssmtheory/jax`` (``~/.cache/ssmtheory/jax``).

``atomic_write_bytes`` / ``atomic_write_text`` / ``atomic_path`` write to a temporary file in the
destination folder and ``os.replace`` it, so a reader never sees a half-written file and an
interrupted write leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = [
    "project_root",
    "repo_root",
    "results_dir",
    "figure_dir",
    "gallery_dir",
    "notebooks_dir",
    "jax_cache_dir",
    "jax_cache_env",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
]

PROJECT_NAME = "ssmtheory"


def _is_project(d: Path) -> bool:
    pp = d / "pyproject.toml"
    try:
        text = pp.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return f'name = "{PROJECT_NAME}"' in text or f"name = '{PROJECT_NAME}'" in text


def project_root(start=None) -> Path | None:
    """The nearest ``ssmtheory`` checkout at or above ``start`` (default: the working directory)."""
    d = Path(start if start is not None else os.getcwd()).resolve()
    for cand in (d, *d.parents):
        if _is_project(cand):
            return cand
    return None


def repo_root() -> Path:
    """``project_root()`` if the working directory is inside a checkout, else the working directory."""
    return project_root() or Path.cwd()


def results_dir() -> Path:
    p = Path(os.environ.get("SSMTHEORY_RESULTS_DIR") or repo_root() / "results")
    p.mkdir(parents=True, exist_ok=True)
    return p


def figure_dir() -> Path:
    env = os.environ.get("SSMTHEORY_FIG_DIR")
    p = Path(env) if env else results_dir() / "figures"
    p.mkdir(parents=True, exist_ok=True)
    return p


def gallery_dir() -> Path:
    """The committed gallery ``<repo>/figures`` (written only by ``ssmtheory publish``)."""
    return repo_root() / "figures"


def notebooks_dir() -> Path:
    return repo_root() / "notebooks"


def jax_cache_dir() -> Path:
    env = os.environ.get("SSMTHEORY_JAX_CACHE_DIR")
    if env:
        return Path(env)
    root = project_root()
    if root is not None:
        return root / "results" / ".jax_cache"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ssmtheory" / "jax"


# Compiles shorter than this are not worth a file read; most of the suite's compiles take 0.05-2 s on CPU.
JAX_CACHE_MIN_COMPILE_SECS = "0.1"
JAX_CACHE_MAX_BYTES = str(2 * 1024**3)  # least recently used entries are evicted beyond 2 GiB


def jax_cache_env(cache_dir=None) -> dict:
    """Environment variables that turn on JAX's persistent compilation cache in ``cache_dir``.

    Variables already set by the user win (``JAX_COMPILATION_CACHE_DIR`` etc.); an empty
    ``SSMTHEORY_JAX_CACHE_DIR`` (``SSMTHEORY_JAX_CACHE=0``) turns the cache off.
    """
    if os.environ.get("SSMTHEORY_JAX_CACHE", "1").strip().lower() in ("0", "false", "no", "off"):
        return {}
    d = Path(cache_dir) if cache_dir is not None else jax_cache_dir()
    env = {
        "JAX_COMPILATION_CACHE_DIR": os.environ.get("JAX_COMPILATION_CACHE_DIR") or str(d),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": os.environ.get(
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", JAX_CACHE_MIN_COMPILE_SECS
        ),
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": os.environ.get("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1"),
    }
    # a size limit turns on JAX's file lock (needs `filelock`): concurrent processes (--jobs 2,
    # pytest -n 2) then never read an entry another one is still writing
    import importlib.util

    if importlib.util.find_spec("filelock") is not None:
        env["JAX_COMPILATION_CACHE_MAX_SIZE"] = os.environ.get("JAX_COMPILATION_CACHE_MAX_SIZE", JAX_CACHE_MAX_BYTES)
    return env


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None):
    """Yield a temporary path next to ``path``; on success ``os.replace`` it onto ``path``.

    On an exception (including ``KeyboardInterrupt``) the temporary file is removed and ``path``
    is left as it was.  ``suffix`` (default: ``path``'s) lets writers that look at the file name
    pick the right format.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=(path.suffix if suffix is None else suffix) + ".tmp",
                               dir=str(path.parent))
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + rename); return ``path``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"data must be bytes, got {type(data).__name__}")
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return path


def atomic_write_text(path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (temporary file + rename); return ``path``."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    return atomic_write_bytes(path, text.encode(encoding))
