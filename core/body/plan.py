"""Gesture planning: strokes on accents, gesture units, and the sub-movements that realise them.

A *stroke* lands its apex on a stressed syllable (a stressed vowel of the phone track, or
a prosodic accent: an onset weighted by loudness and an F0 peak). Strokes close together
form a *gesture unit*: preparation from rest to a hold position, strokes (beats, or shaped
gestures from :mod:`.lexicon` when a word calls one), short recoils, and a retraction to a
lowered or resting hand when the speech pauses. Each hand's motion is a list of
sub-movements ``(arrival time, duration, target)`` that :mod:`.synth` adds up as
overlapping minimum-jerk steps (the way human reaching superposes sub-movements).

Target channels (``CH``): wrist x, y, z (chest frame, metres), palm twist, wrist
extension, elbow pole (0 close, 1 wide), collar lift (rad), then hand-shape weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import lexicon
from .hands import SHAPES, shape_vector

CH = ("x", "y", "z", "palm", "ext", "pole", "collar") + tuple("shape_" + s for s in SHAPES)
N_CH = len(CH)
_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


@dataclass
class Accent:
    """A stroke candidate: apex time (s), strength in [0, 1], lexicon class or None."""

    t: float
    strength: float
    cls: str = None


def target(pos, palm=0.0, ext=0.0, pole=0.5, collar=0.0, shape=None) -> np.ndarray:
    """One target row [N_CH] (left-hand convention)."""
    row = np.zeros(N_CH)
    row[0:3] = pos
    row[3:7] = palm, ext, pole, collar
    row[7:] = shape_vector(**(shape or {"relaxed": 1.0}))
    return row


def accents_from_phones(phones, loud: np.ndarray, f0z: np.ndarray, fps: float) -> list:
    """Stressed vowels of the phone track as accents (lexicon class from the word)."""
    out, seen_word = [], None
    n = loud.size
    stress = phones.stress if len(phones.stress) == len(phones) else (1,) * len(phones)
    idx_word = -1
    for i, (ph, a, b) in enumerate(zip(phones.phones, phones.starts, phones.ends)):
        w = phones.words[i] if i < len(phones.words) else ""
        if ph == "sil" or not w:
            seen_word = None
            continue
        if w != seen_word:
            idx_word += 1
            seen_word, word_done = w, False
        base = ph.rstrip("012")
        if base not in _VOWELS or stress[i] == 0 or word_done:
            continue
        word_done = True                   # one stroke candidate per word: its stressed vowel
        t = float(a) + min(0.06, 0.4 * (float(b) - float(a)))
        f = int(min(max(round(t * fps), 0), n - 1))
        w_end = int(min(n, f + max(1, int(0.15 * fps))))
        s = float(loud[f:w_end].max(initial=0.0)) * (1.0 + 0.5 * min(max(f0z[f], 0.0), 2.0))
        if len(phones.emphasis) == len(phones) and phones.emphasis[i] > 0:
            s *= 1.6
        out.append(Accent(t, s, lexicon.word_class(w)))
    return out


def accents_from_prosody(onsets: np.ndarray, loud: np.ndarray, f0z: np.ndarray,
                         fps: float) -> list:
    """Prosodic accents: onsets weighted by the next 150 ms of loudness and F0 height."""
    n = loud.size
    out = []
    for t in np.asarray(onsets, dtype=np.float64).reshape(-1):
        f = int(round(t * fps))
        if not 0 <= f < n:
            continue
        s = float(loud[f:min(n, f + max(1, int(0.15 * fps)))].max()) * \
            (1.0 + 0.5 * min(max(f0z[f], 0.0), 2.0))
        out.append(Accent(float(t) + 0.04, s, None))
    return out


def select_strokes(accents: list, *, min_gap: float, keep: float, rng) -> list:
    """Strongest accents first, at least ``min_gap`` s apart; ``keep`` in [0, 1] drops the
    weakest share (and lexicon words are kept first). Returns accents sorted by time."""
    if not accents or keep <= 0:
        return []
    s = np.array([a.strength for a in accents])
    top = max(float(s.max()), 1e-9)
    for a in accents:
        a.strength = min(max(a.strength / top, 0.0), 1.0)
    jitter = rng.uniform(0.0, 0.15, len(accents))
    order = sorted(range(len(accents)), key=lambda i: -(accents[i].strength + jitter[i]
                                                       + (0.6 if accents[i].cls else 0.0)))
    n_keep = int(np.ceil(keep * len(accents)))
    chosen = []
    times = np.zeros(0)
    for i in order:
        if len(chosen) >= n_keep:
            break
        if times.size and np.min(np.abs(times - accents[i].t)) < min_gap:
            continue
        chosen.append(accents[i])
        times = np.append(times, accents[i].t)
    return sorted(chosen, key=lambda a: a.t)


def group_units(strokes: list, breaks: np.ndarray, *, max_gap: float = 1.6,
                soft_len: float = 4.0, hard_len: float = 8.0) -> list:
    """Split strokes into gesture units: at gaps over ``max_gap`` s and phrase breaks over
    0.7 s; past ``soft_len`` s also at any phrase break (> 0.2 s) or stroke gap over
    0.8 s; never longer than ``hard_len`` s (real units last a few seconds)."""
    units, cur = [], []
    br = np.asarray(breaks, dtype=np.float64).reshape(-1, 2)

    def pause_between(a, b, min_len):
        return bool(np.any((br[:, 0] > a) & (br[:, 1] < b + 0.3) & (br[:, 1] - br[:, 0] > min_len)))

    for s in strokes:
        if cur:
            gap, length = s.t - cur[-1].t, s.t - cur[0].t
            split = gap > max_gap or pause_between(cur[-1].t, s.t, 0.7) or length > hard_len or \
                (length > soft_len and (gap > 0.8 or pause_between(cur[-1].t, s.t, 0.2)))
            if split:
                units.append(cur)
                cur = []
        cur.append(s)
    if cur:
        units.append(cur)
    return units
