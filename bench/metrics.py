"""Pure metric functions of the benchmark (no I/O, no timing), tested in
``tests/core/test_bench_metrics.py``.

Conventions: frame ``i`` sits at ``t = i / fps``; phone labels are lowercase ARPAbet with
``"sil"`` for silence (see :mod:`bench.phonesets`); times in seconds; a lip aperture track
is the geometric distance between the inner lips in millimetres, one value per frame.
"""
from __future__ import annotations

import numpy as np

from .phonesets import BILABIAL, NON_LABIAL_CONSONANTS, OPEN_VOWELS, OPENNESS, ROUNDED, SPREAD

#: lips count as closed when the inner-lip distance is below this many millimetres
CLOSED_MM = 1.5


def segment_frames(start: float, end: float, *, fps: float, n_frames: int,
                   portion: float = 1.0) -> np.ndarray:
    """Frame indices inside the central ``portion`` of ``[start, end]``.

    A segment shorter than a frame still gets its nearest frame to the centre, so every
    segment is judged. Returns int array [shape=(k,), k >= 1] (empty if n_frames == 0).
    """
    if n_frames <= 0:
        return np.zeros(0, dtype=np.int64)
    mid = 0.5 * (start + end)
    half = 0.5 * (end - start) * portion
    lo = int(np.ceil((mid - half) * fps - 1e-9))
    hi = int(np.floor((mid + half) * fps + 1e-9))
    lo, hi = max(lo, 0), min(hi, n_frames - 1)
    if hi < lo:
        c = int(np.clip(round(mid * fps), 0, n_frames - 1))
        return np.array([c], dtype=np.int64)
    return np.arange(lo, hi + 1, dtype=np.int64)


def closed_share(aperture_mm: np.ndarray, *, fps: float, phones, starts, ends, classes,
                 threshold_mm: float = CLOSED_MM, portion: float = 1.0) -> tuple[float, int]:
    """Share of segments whose phone is in ``classes`` with the lips closed at some frame.

    Parameters
    ----------
    aperture_mm : np.ndarray [shape=(n_frames,)]
        Inner-lip distance per frame, millimetres.
    phones, starts, ends : sequences of the truth segments (ARPAbet, seconds).
    classes : set of str
        Phones to judge.
    portion : float
        Central part of each segment that is looked at (1.0 = whole segment).

    Returns
    -------
    (share, n) : share in [0, 1] (nan when n == 0) and the number of segments judged.
    """
    ap = np.asarray(aperture_mm, dtype=np.float64)
    hits, n = 0, 0
    for p, s, e in zip(phones, starts, ends):
        if p not in classes:
            continue
        idx = segment_frames(float(s), float(e), fps=fps, n_frames=len(ap), portion=portion)
        if idx.size == 0:
            continue
        n += 1
        hits += bool(np.any(ap[idx] < threshold_mm))
    return (hits / n if n else float("nan")), n


def lip_scores(aperture_mm: np.ndarray, *, fps: float, phones, starts, ends,
               threshold_mm: float = CLOSED_MM) -> dict:
    """Closure recall (p/b/m, whole segment), false closure (open vowels, central half)
    and stray closure (non-labial consonants, central half) in one dict."""
    kw = dict(fps=fps, phones=phones, starts=starts, ends=ends, threshold_mm=threshold_mm)
    rec, n_b = closed_share(aperture_mm, classes=BILABIAL, portion=1.0, **kw)
    fal, n_v = closed_share(aperture_mm, classes=OPEN_VOWELS, portion=0.5, **kw)
    stray, n_c = closed_share(aperture_mm, classes=NON_LABIAL_CONSONANTS, portion=0.5, **kw)
    return {"closure_recall": rec, "false_closure": fal, "stray_closure": stray,
            "n_bilabial": n_b, "n_open_vowel": n_v, "n_consonant": n_c}


def edit_alignment(ref: list, hyp: list) -> tuple[int, list[tuple[int, int]]]:
    """Levenshtein alignment of two label sequences.

    Returns ``(distance, pairs)``: the edit distance and the diagonal (i, j) pairs
    (matches and substitutions), preferring exact matches.
    """
    n, m = len(ref), len(hyp)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = cost[i - 1, j - 1] + (0 if ref[i - 1] == hyp[j - 1] else 1)
            cost[i, j] = min(sub, cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    pairs, i, j = [], n, m
    while i > 0 and j > 0:
        same = ref[i - 1] == hyp[j - 1]
        if cost[i, j] == cost[i - 1, j - 1] + (0 if same else 1):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return int(cost[n, m]), pairs[::-1]


def _align_labels(ref: list, hyp: list) -> list[tuple[int, int]]:
    """The (i, j) pairs of :func:`edit_alignment`."""
    return edit_alignment(ref, hyp)[1]


def boundary_errors(ref_phones, ref_starts, ref_ends, hyp_phones, hyp_starts,
                    hyp_ends) -> np.ndarray:
    """Absolute boundary errors (seconds) of a hypothesis segmentation against the truth.

    Silences are dropped from both, the remaining phone sequences are aligned by edit
    distance; for each aligned pair the start error counts, and the end error too where
    the truth phone is followed by silence or the end (the boundary into a pause).
    Returns float64 [shape=(n_boundaries,)].
    """
    def speech(ph, st, en):
        keep = [k for k, p in enumerate(ph) if p != "sil"]
        nxt_sil = [k + 1 >= len(ph) or ph[k + 1] == "sil" for k in keep]
        return ([ph[k] for k in keep], np.asarray(st, float)[keep],
                np.asarray(en, float)[keep], nxt_sil)

    rp, rs, re_, rsil = speech(list(ref_phones), ref_starts, ref_ends)
    hp, hs, he, _ = speech(list(hyp_phones), hyp_starts, hyp_ends)
    errs = []
    for i, j in _align_labels(rp, hp):
        errs.append(abs(hs[j] - rs[i]))
        if rsil[i]:
            errs.append(abs(he[j] - re_[i]))
    return np.asarray(errs, dtype=np.float64)


def error_summary_ms(errors_s: np.ndarray) -> dict:
    """Median, 90th percentile and share within 33 ms of boundary errors, in ms."""
    e = np.asarray(errors_s, dtype=np.float64) * 1000.0
    if e.size == 0:
        return {"median_ms": float("nan"), "p90_ms": float("nan"), "within33": float("nan"),
                "n": 0}
    return {"median_ms": float(np.median(e)), "p90_ms": float(np.percentile(e, 90)),
            "within33": float(np.mean(e <= 33.0)), "n": int(e.size)}


def openness_track(phones, starts, ends, *, fps: float, n_frames: int,
                   smooth_ms: float = 30.0) -> np.ndarray:
    """Label-derived mouth openness per frame (table :data:`OPENNESS`), Gaussian-smoothed
    with standard deviation ``smooth_ms``. Returns float64 [shape=(n_frames,)]."""
    t = np.arange(n_frames) / fps
    out = np.zeros(n_frames, dtype=np.float64)
    for p, s, e in zip(phones, starts, ends):
        out[(t >= s) & (t < e)] = OPENNESS.get(p, 0.3)
    sig = smooth_ms / 1000.0 * fps
    if sig > 0:
        r = int(np.ceil(4 * sig))
        k = np.exp(-0.5 * (np.arange(-r, r + 1) / sig) ** 2)
        out = np.convolve(np.pad(out, r, mode="edge"), k / k.sum(), mode="valid")
    return out


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two equal-length tracks (nan if either is constant)."""
    x = np.asarray(x, float) - np.mean(x)
    y = np.asarray(y, float) - np.mean(y)
    d = np.sqrt(np.sum(x * x) * np.sum(y * y))
    return float(np.sum(x * y) / d) if d > 0 else float("nan")


def best_lag(x: np.ndarray, y: np.ndarray, *, fps: float,
             max_lag_s: float = 0.25) -> tuple[float, float, float]:
    """Correlation of ``x`` with ``y`` at zero lag, the best correlation over lags, and the
    lag (seconds) that gives it. Positive lag: ``x`` is late, ``x[t] ~ y[t - lag]``.

    Returns (r0, r_best, lag_s).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    L = int(round(max_lag_s * fps))
    best_r, best_k = -np.inf, 0
    for k in range(-L, L + 1):
        if k >= 0:
            r = pearson(x[k:], y[:n - k])
        else:
            r = pearson(x[:n + k], y[-k:])
        if np.isfinite(r) and r > best_r:
            best_r, best_k = r, k
    return pearson(x, y), float(best_r), best_k / fps


def class_mean(track: np.ndarray, *, fps: float, phones, starts, ends, classes,
               portion: float = 0.5) -> float:
    """Mean of ``track`` over the central ``portion`` of segments of the given classes."""
    tr = np.asarray(track, float)
    vals = [tr[segment_frames(s, e, fps=fps, n_frames=len(tr), portion=portion)]
            for p, s, e in zip(phones, starts, ends) if p in classes]
    return float(np.mean(np.concatenate(vals))) if vals else float("nan")


def rounding_contrast(protrusion: np.ndarray, *, fps: float, phones, starts, ends) -> float:
    """Mean protrusion on rounded vowels (uw uh ow oy ao w) minus on spread ones
    (iy ih ey eh ae), central half of each segment."""
    kw = dict(fps=fps, phones=phones, starts=starts, ends=ends)
    return class_mean(protrusion, classes=ROUNDED, **kw) - class_mean(protrusion, classes=SPREAD, **kw)


def rms_jaw(samples: np.ndarray, *, sr: int, fps: float, n_frames: int,
            window_s: float = 0.04, max_open: float = 0.6) -> np.ndarray:
    """The naive floor: RMS loudness around each frame time -> jawOpen in [0, max_open].

    RMS in a ``window_s`` window centred on each frame, divided by its 95th percentile.
    Returns float64 [shape=(n_frames,)].
    """
    x = np.asarray(samples, dtype=np.float64)
    half = max(1, int(window_s * sr / 2))
    c = np.concatenate([[0.0], np.cumsum(x * x)])
    centres = np.clip((np.arange(n_frames) / fps * sr).astype(np.int64), 0, len(x))
    lo = np.clip(centres - half, 0, len(x))
    hi = np.clip(centres + half, 0, len(x))
    rms = np.sqrt((c[hi] - c[lo]) / np.maximum(hi - lo, 1))
    ref = np.percentile(rms, 95) if rms.size else 0.0
    if ref <= 0:
        return np.zeros(n_frames)
    return np.clip(rms / ref, 0.0, 1.0) * max_open


def blink_stats(blink: np.ndarray, *, fps: float, threshold: float = 0.5) -> dict:
    """Blinks in an eyeBlink weight track: episodes above ``threshold``.

    Returns {"per_min": blinks per minute, "mean_dur_ms": mean time above threshold,
    "n": count}.
    """
    b = np.asarray(blink, float) > threshold
    edges = np.diff(np.concatenate([[0], b.astype(np.int8), [0]]))
    on, off = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    dur_min = len(b) / fps / 60.0
    return {"per_min": len(on) / dur_min if dur_min > 0 else float("nan"),
            "mean_dur_ms": float(np.mean(off - on) / fps * 1000) if len(on) else float("nan"),
            "n": int(len(on))}
