"""CPU-sized sequence tasks, generated from a seed or shipped with a package (nothing is downloaded).

* :func:`sequential_digits` — the 8x8 handwritten digits bundled with scikit-learn (1797 images), read
  pixel by pixel as a length-64 sequence (optionally each pixel repeated ``repeat`` times for longer
  sequences, and optionally a fixed random permutation of pixels, as in psMNIST). A small real-data stand-in
  for sequential MNIST.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ssmtheory._validate import check_int

__all__ = ["Split", "sequential_digits"]


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
