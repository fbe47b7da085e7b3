"""Synthetic talking / silent prosody shared by the eye and head tests."""
import numpy as np

from talkrig.core.curves import Prosody

FPS = 30.0


def synthetic_prosody(duration_s=60.0, fps=FPS, seed=0, talking=True):
    """Talking: phrases of 1.5-5 s, breaks of 0.3-1.0 s, ~4.5 syllables/s; else silence."""
    rng = np.random.default_rng(seed)
    n = int(np.floor(duration_s * fps + 1e-6)) + 1
    t = np.arange(n) / fps
    loud, f0, voi = np.zeros(n), np.zeros(n), np.zeros(n)
    onsets, breaks = [], []
    pos = 0.4
    while talking and pos < duration_s - 1.0:
        end = min(pos + rng.uniform(1.5, 5.0), duration_s - 0.3)
        for s0 in np.arange(pos, end - 0.1, rng.uniform(0.18, 0.26)):
            m = (t >= s0) & (t < s0 + 0.17)
            stress = 1.0 if rng.random() < 0.35 else 0.55
            loud[m] = np.maximum(loud[m], stress * np.sin(np.pi * (t[m] - s0) / 0.17) ** 0.5)
            voi[m] = 1.0
            f0[m] = (130 - 25 * (s0 - pos) / max(end - pos, 1)) * (1.15 if stress == 1 else 1)
            onsets.append(s0)
        gap = rng.uniform(0.3, 1.0)
        if end + gap < duration_s:
            breaks.append((end, end + gap))
        pos = end + gap
    if not talking:
        loud = 0.01 * rng.random(n)
    return Prosody(fps, loud.astype(np.float32), f0.astype(np.float32), voi.astype(np.float32),
                   np.array(onsets), np.array(breaks, dtype=np.float64).reshape(-1, 2))


TALK = synthetic_prosody(seed=1)
SILENT = synthetic_prosody(seed=1, talking=False)
N = TALK.loudness.size
