import numpy as np
import pytest

from ssmtheory import tasks


def test_sequential_digits_shapes_and_determinism():
    s = tasks.sequential_digits(seed=1, n_train=1000, repeat=2)
    assert s.x_train.shape == (1000, 128, 1) and s.x_test.shape == (797, 128, 1)
    assert s.x_train.dtype == np.float32 and s.y_train.dtype == np.int32
    assert s.n_classes == 10 and s.seq_len == 128
    assert s.x_train.min() >= -1 and s.x_train.max() <= 1
    s2 = tasks.sequential_digits(seed=1, n_train=1000, repeat=2)
    np.testing.assert_array_equal(s.x_train, s2.x_train)
    # no image in both splits
    tr = {r.tobytes() for r in s.x_train[:, :, 0]}
    assert sum(r.tobytes() in tr for r in s.x_test[:, :, 0]) < 5  # the digits set has a few exact duplicates
    with pytest.raises(ValueError, match="n_train"):
        tasks.sequential_digits(n_train=5000)
