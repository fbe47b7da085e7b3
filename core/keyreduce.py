"""Fewer keyframes within an error tolerance: per-channel curve simplification.

A baked take has a key on every frame. Animators who edit by hand want far fewer keys, as
long as the curve between them stays within a tolerance they choose. :func:`reduce_keys`
picks, per channel, the frames to keep so that linear interpolation between the kept keys is
within ``tolerance`` of the full curve at **every** frame (the maximum absolute error, not an
average), by Ramer-Douglas-Peucker splitting on the vertical error:

1. the first and last frame are always kept;
2. local extrema that stand out by more than the tolerance (a lip closure's bottom, a
   smile's peak) are kept, so a closure still reaches exactly the closed value;
3. every segment between kept frames is split at its worst frame until the worst error of
   every segment is within the tolerance.

Pure numpy; deterministic. Blender's Bezier keys are checked (and,
where needed, refined) by the add-on, which evaluates the written F-curves.
"""
from __future__ import annotations

import numpy as np

from .errors import StyleError

MAX_TOLERANCE = 0.5


def check_tolerance(tolerance) -> float:
    """Validate a tolerance (0 .. :data:`MAX_TOLERANCE`, weight units); returns it as float."""
    try:
        tol = float(tolerance)
    except (TypeError, ValueError):
        raise StyleError(f"key tolerance must be a number, got {tolerance!r}") from None
    if not (np.isfinite(tol) and 0.0 <= tol <= MAX_TOLERANCE):
        raise StyleError(f"key tolerance {tolerance!r} is out of range; use 0 (keep every change) "
                         f"to {MAX_TOLERANCE:g} (e.g. 0.01 for shape-key weights)")
    return tol


def linear_error(values: np.ndarray, keys: np.ndarray) -> float:
    """Largest absolute difference between ``values`` and linear interpolation of its ``keys``.

    Parameters
    ----------
    values : np.ndarray [shape=(n_frames,)]
    keys : np.ndarray [shape=(n_keys,), dtype=int]
        Sorted frame indices, including 0 and ``n_frames - 1``.
    """
    x = np.asarray(values, dtype=np.float64)
    k = np.asarray(keys, dtype=np.int64)
    approx = np.interp(np.arange(len(x)), k, x[k])
    return float(np.max(np.abs(approx - x))) if len(x) else 0.0


def _extrema(x: np.ndarray, tol: float) -> np.ndarray:
    """Frames of the local extrema that stand out by more than ``tol`` from the opposite
    extrema (or ends) on both sides; a flat extremum (a held closure) gives both its edges.

    Pure numpy (importing scipy.signal costs seconds inside Blender's main thread).
    """
    n = len(x)
    empty = np.zeros(0, dtype=np.int64)
    if n < 3 or np.ptp(x) <= tol:
        return empty
    change = np.flatnonzero(np.diff(x) != 0) + 1
    starts = np.concatenate(([0], change))              # runs of equal values
    ends = np.concatenate((change - 1, [n - 1]))
    y = x[starts]
    if len(y) < 3:
        return empty
    slope = np.sign(np.diff(y))                         # never 0 between runs
    turns = np.flatnonzero(slope[:-1] != slope[1:]) + 1
    pts = np.concatenate(([0], turns, [len(y) - 1]))    # alternating maxima and minima
    v = y[pts]
    stands_out = np.minimum(np.abs(v[1:-1] - v[:-2]), np.abs(v[1:-1] - v[2:])) > tol
    runs = pts[1:-1][stands_out]
    return np.unique(np.concatenate((starts[runs], ends[runs]))).astype(np.int64)


def reduce_channel(values, tolerance: float, *, keep_extrema: bool = True) -> np.ndarray:
    """Frames to key for one channel.

    Parameters
    ----------
    values : array-like [shape=(n_frames,)]
        The full curve, one value per frame.
    tolerance : float
        Largest allowed absolute error of linear interpolation at any frame (weight units).
    keep_extrema : bool
        Also keep local extrema whose prominence exceeds the tolerance (closures stay closed).

    Returns
    -------
    np.ndarray [shape=(n_keys,), dtype=int64]
        Sorted frame indices, always including the first and the last frame.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    tol = check_tolerance(tolerance)
    n = len(x)
    if n <= 2:
        return np.arange(n, dtype=np.int64)
    keep = np.zeros(n, dtype=bool)
    keep[[0, n - 1]] = True
    if keep_extrema:
        keep[_extrema(x, tol)] = True
    anchors = np.flatnonzero(keep)
    stack = list(zip(anchors[:-1], anchors[1:]))
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = x[a:b + 1]
        line = x[a] + (x[b] - x[a]) * np.arange(b - a + 1) / (b - a)
        err = np.abs(seg - line)
        worst = int(np.argmax(err))
        if err[worst] > tol:
            m = a + worst
            keep[m] = True
            stack += [(a, m), (m, b)]
    return np.flatnonzero(keep).astype(np.int64)


def reduce_keys(values, tolerance: float, *, keep_extrema: bool = True) -> list:
    """Frames to key for every channel of a take.

    Parameters
    ----------
    values : array-like [shape=(n_frames, n_channels)]
    tolerance : float
        Largest allowed absolute error at any frame, per channel.
    keep_extrema : bool
        See :func:`reduce_channel`.

    Returns
    -------
    list of np.ndarray
        One sorted int64 index array per channel.
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise StyleError(f"values must be 2-D (n_frames, n_channels), got shape {arr.shape}")
    return [reduce_channel(arr[:, j], tolerance, keep_extrema=keep_extrema)
            for j in range(arr.shape[1])]


def keys_saved(n_frames: int, keys) -> int:
    """Keys left out compared with a key on every frame of every channel."""
    return int(n_frames * len(keys) - sum(len(k) for k in keys))
