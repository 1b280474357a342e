"""Input validation shared by the package: every bad input raises ``ValueError`` naming the argument."""

from __future__ import annotations

import numpy as np


def as_array(x, name: str, ndim: int | tuple[int, ...] | None = None, allow_complex: bool = True):
    """Return ``x`` unchanged (NumPy or JAX array) after checking rank, dtype kind and finiteness.

    Raises ``ValueError`` mentioning ``name`` for a wrong number of dimensions, a non-numeric
    dtype, a complex array where ``allow_complex`` is False, or any NaN/inf entry.
    Finiteness is checked only for concrete arrays (inside ``jit`` tracing is skipped).
    """
    if x is None:
        raise ValueError(f"{name} must be an array, got None")
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        x = np.asarray(x)
    dims = (ndim,) if isinstance(ndim, int) else ndim
    if dims is not None and x.ndim not in dims:
        want = " or ".join(str(d) for d in dims)
        raise ValueError(f"{name} must have {want} dimension(s), got shape {tuple(x.shape)}")
    kind = np.dtype(x.dtype).kind
    if kind not in "biufc":
        raise ValueError(f"{name} must be numeric, got dtype {x.dtype}")
    if kind == "c" and not allow_complex:
        raise ValueError(f"{name} must be real, got dtype {x.dtype}")
    check_finite(x, name)
    return x


def is_concrete(x) -> bool:
    """True when ``x`` holds values (not a JAX tracer)."""
    try:
        import jax.core

        return not isinstance(x, jax.core.Tracer)
    except Exception:  # pragma: no cover - jax always importable in this package
        return True


def check_finite(x, name: str) -> None:
    if is_concrete(x) and not bool(np.all(np.isfinite(np.asarray(x)))):
        raise ValueError(f"{name} contains NaN or inf")


def check_positive(x, name: str) -> None:
    """Every entry of ``x`` must be finite and > 0 (step sizes, sizes, radii)."""
    if not is_concrete(x):
        return
    a = np.asarray(x)
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"{name} must be positive and finite, got {a if a.size < 8 else 'array with non-positive entries'}")


def check_choice(value, name: str, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)!r}, got {value!r}")


def check_stable_continuous(Lambda, name: str = "Lambda", strict: bool = True) -> None:
    """Re(Lambda) < 0 (or <= 0 when ``strict`` is False)."""
    if not is_concrete(Lambda):
        return
    re = np.real(np.asarray(Lambda))
    bad = re >= 0 if strict else re > 0
    if np.any(bad):
        raise ValueError(f"{name} must have negative real parts (stable continuous-time system); max Re = {re.max():.3g}")


def check_int(n, name: str, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {n!r}")
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {n}")
    return int(n)


def check_scalar(x, name: str, *, positive: bool = False, nonnegative: bool = False, minimum=None, maximum=None) -> float:
    """A finite real number (not bool, str or complex), optionally > 0, >= 0 or within [minimum, maximum]: as float."""
    if isinstance(x, (bool, np.bool_, str, bytes)) or not isinstance(x, (int, float, np.integer, np.floating)) and not (
            hasattr(x, "shape") and np.ndim(x) == 0 and np.dtype(getattr(x, "dtype", object)).kind in "iuf"):
        raise ValueError(f"{name} must be a real number, got {x!r}")
    v = float(x)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v!r}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0, got {v!r}")
    if nonnegative and v < 0:
        raise ValueError(f"{name} must be >= 0, got {v!r}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v!r}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {v!r}")
    return v


def check_callable(f, name: str):
    if not callable(f):
        raise ValueError(f"{name} must be callable, got {type(f).__name__}")
    return f


def check_square(A, name: str = "A", allow_complex: bool = True):
    """A finite numeric square matrix (NumPy array returned)."""
    A = np.asarray(as_array(A, name, ndim=2, allow_complex=allow_complex))
    if A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {A.shape}")
    return A


MAX_BYTES = 4 << 30  # largest array a public function may allocate before it refuses the size


def check_size(nbytes, name: str, what: str = "array", limit: int = MAX_BYTES) -> None:
    """Refuse (ValueError naming ``name``) a request whose estimated allocation exceeds ``limit`` bytes."""
    if nbytes > limit:
        raise ValueError(f"{name} too large: the {what} would need {nbytes / 2**30:.3g} GiB (limit {limit / 2**30:.3g} GiB)")
