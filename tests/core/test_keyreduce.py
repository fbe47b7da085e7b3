"""Key reduction: max error within tolerance at every frame, ends and extrema kept."""
from __future__ import annotations

import numpy as np
import pytest

from talkrig.core.errors import StyleError
from talkrig.core.keyreduce import keys_saved, linear_error, reduce_channel, reduce_keys


def _curve(n=300, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 30.0
    x = 0.5 + 0.3 * np.sin(2 * np.pi * 0.4 * t) + 0.1 * np.sin(2 * np.pi * 1.1 * t + 1)
    return np.clip(x + 0.002 * rng.standard_normal(n), 0, 1)


@pytest.mark.parametrize("tol", [0.0, 0.002, 0.01, 0.05])
def test_error_within_tolerance_and_ends_kept(tol):
    x = _curve()
    keys = reduce_channel(x, tol)
    assert keys[0] == 0 and keys[-1] == len(x) - 1
    assert np.all(np.diff(keys) > 0)
    assert linear_error(x, keys) <= tol + 1e-12


def test_fewer_keys_for_larger_tolerance():
    x = _curve()
    counts = [len(reduce_channel(x, tol)) for tol in (0.001, 0.01, 0.05)]
    assert counts[0] > counts[1] > counts[2]
    assert counts[1] < 0.5 * len(x)


def test_closure_stays_closed():
    """A held closure (plateau at 1.0) keeps both edges and the exact value."""
    x = np.zeros(60)
    x[20:26] = 1.0
    x[18:20] = [0.3, 0.7]
    x[26:28] = [0.7, 0.3]
    keys = reduce_channel(x, 0.05)
    assert {20, 25} <= set(keys.tolist())
    approx = np.interp(np.arange(60), keys, x[keys])
    assert np.all(approx[20:26] == 1.0)


def test_small_peak_kept_even_when_inside_chord_error():
    """A narrow peak of height 0.04 with tol 0.03 is an extremum and is keyed exactly."""
    x = np.zeros(41)
    x[20] = 0.04
    keys = reduce_channel(x, 0.03)
    assert 20 in keys


def test_constant_and_linear_channels_need_two_keys():
    assert reduce_channel(np.full(100, 0.2), 0.001).tolist() == [0, 99]
    assert reduce_channel(np.linspace(0, 1, 100), 1e-6).tolist() == [0, 99]


def test_reduce_keys_per_channel_and_saved_count():
    vals = np.stack([_curve(seed=1), np.zeros(300), _curve(seed=2)], axis=1)
    keys = reduce_keys(vals, 0.01)
    assert len(keys) == 3 and keys[1].tolist() == [0, 299]
    for j, k in enumerate(keys):
        assert linear_error(vals[:, j], k) <= 0.01
    assert keys_saved(300, keys) == 900 - sum(len(k) for k in keys)


def test_deterministic():
    x = _curve(seed=5)
    np.testing.assert_array_equal(reduce_channel(x, 0.01), reduce_channel(x, 0.01))


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "x", 2.0])
def test_bad_tolerance(bad):
    with pytest.raises(StyleError, match="tolerance"):
        reduce_channel(np.zeros(10), bad)


def test_short_inputs():
    assert reduce_channel([0.5], 0.01).tolist() == [0]
    assert reduce_channel([0.5, 0.1], 0.01).tolist() == [0, 1]
    assert reduce_channel([], 0.01).tolist() == []
