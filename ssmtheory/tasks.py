"""CPU-sized sequence tasks, generated from a seed or shipped with a package (nothing is downloaded).

* :func:`sequential_digits` — the 8x8 handwritten digits bundled with scikit-learn (1797 images), read
  pixel by pixel as a length-64 sequence (optionally each pixel repeated ``repeat`` times for longer
  sequences, and optionally a fixed random permutation of pixels, as in psMNIST). A small real-data stand-in
  for sequential MNIST.
* :func:`noisy_sinusoids` — classify which of ``n_classes`` frequencies a noisy, randomly phased sinusoid
  has; the frequency grid spans low to high so that models must resolve both.

Every function returns a :class:`Split` of NumPy float32 arrays ``x (n, L, 1)`` and int32 labels ``y (n,)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ssmtheory._validate import check_int, check_positive

__all__ = ["Split", "sequential_digits", "noisy_sinusoids"]


@dataclass(frozen=True)
class Split:
    """Train / test arrays of one task."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def seq_len(self) -> int:
        return int(self.x_train.shape[1])


def sequential_digits(seed: int = 0, n_train: int = 1200, repeat: int = 1, permute: bool = False) -> Split:
    """scikit-learn's 8x8 digits as sequences of length ``64 * repeat``, standardized per pixel value.

    The split is a seeded random permutation of the 1797 images: ``n_train`` for training, the rest for testing.
    """
    from sklearn.datasets import load_digits

    seed = check_int(seed, "seed", minimum=0)
    n_train = check_int(n_train, "n_train")
    repeat = check_int(repeat, "repeat")
    d = load_digits()
    if n_train >= len(d.target):
        raise ValueError(f"n_train must be < {len(d.target)} (the digits set has {len(d.target)} images), got {n_train}")
    rng = np.random.default_rng(seed)
    x = (d.data / 16.0 - 0.5) / 0.5  # pixel values in [-1, 1]
    if permute:
        x = x[:, rng.permutation(64)]
    x = np.repeat(x, repeat, axis=1)[..., None].astype(np.float32)
    y = d.target.astype(np.int32)
    order = rng.permutation(len(y))
    tr, te = order[:n_train], order[n_train:]
    return Split(x[tr], y[tr], x[te], y[te], 10)


def noisy_sinusoids(seed: int = 0, n_train: int = 1000, n_test: int = 500, L: int = 128, n_classes: int = 4,
                    noise: float = 0.5, f_min: float = 0.01, f_max: float = 0.25) -> Split:
    """Class ``c`` is ``sin(2 pi f_c t + phase) + noise * N(0, 1)`` with ``f_c`` log-spaced on ``[f_min, f_max]``
    (cycles per step, below Nyquist 0.5) and a uniform random phase."""
    n_train, n_test, L, n_classes = (check_int(v, k) for v, k in
                                     ((n_train, "n_train"), (n_test, "n_test"), (L, "L"), (n_classes, "n_classes")))
    seed = check_int(seed, "seed", minimum=0)
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating, np.integer)) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    if not 0 < f_min < f_max < 0.5:
        raise ValueError(f"f_min, f_max must satisfy 0 < f_min < f_max < 0.5, got {f_min}, {f_max}")
    rng = np.random.default_rng(seed)
    freqs = np.geomspace(f_min, f_max, n_classes)

    def draw(n):
        y = rng.integers(0, n_classes, n)
        phase = rng.uniform(0, 2 * np.pi, n)
        t = np.arange(L)
        x = np.sin(2 * np.pi * freqs[y][:, None] * t[None, :] + phase[:, None]) + noise * rng.normal(size=(n, L))
        return x[..., None].astype(np.float32), y.astype(np.int32)

    xtr, ytr = draw(n_train)
    xte, yte = draw(n_test)
    return Split(xtr, ytr, xte, yte, n_classes)
