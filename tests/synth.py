"""Synthetic speech for every test tier (one copy): ``import synth`` from any test module
(pytest puts this folder on ``sys.path`` for its conftest).

- :func:`speech_like`: formant syllables with closures and fricatives at 16 kHz, for the
  phoneme route, the loudness route and Blender bakes;
- :func:`pulsed_tone`: two voiced bursts with a pause, for the loudness driver and timing;
- :func:`syllable_wav`: writes amplitude-modulated voicing to a file, for batch rows.
"""
from __future__ import annotations

import numpy as np

SR = 16000


def speech_like(duration_s: float = 2.4, *, seed: int = 0) -> np.ndarray:
    """Deterministic speech-like signal [shape=(n,)] float32 at 16 kHz.

    Syllables of a 110-140 Hz glottal pulse train shaped by two formant resonators that move
    from vowel to vowel, with silent closures and noisy fricatives between them, so both a
    loudness driver and a phoneme recogniser have something to work with.
    """
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    out = []
    vowels = [(700, 1200), (300, 2300), (500, 900), (600, 1800), (350, 800)]
    t_total = 0.0
    i = 0
    while t_total < duration_s - 0.35:
        f1, f2 = vowels[i % len(vowels)]
        n = int(SR * rng.uniform(0.14, 0.24))
        f0 = rng.uniform(110, 140)
        pulses = np.zeros(n)
        pulses[(np.arange(0, n, SR / f0)).astype(int)] = 1.0
        sig = pulses
        for f, bw in ((f1, 90), (f2, 120)):
            r = np.exp(-np.pi * bw / SR)
            sig = lfilter([1.0], [1, -2 * r * np.cos(2 * np.pi * f / SR), r * r], sig)
        env = np.sin(np.linspace(0, np.pi, n)) ** 0.6
        out.append(0.3 * sig / np.abs(sig).max() * env)
        if i % 2:
            out.append(0.02 * rng.standard_normal(int(SR * 0.07)) * np.hanning(int(SR * 0.07)))
        else:
            out.append(np.zeros(int(SR * rng.uniform(0.05, 0.09))))
        t_total = sum(len(x) for x in out) / SR
        i += 1
    x = np.concatenate([np.zeros(int(SR * 0.15)), *out, np.zeros(int(SR * 0.15))])
    return x.astype(np.float32)


def pulsed_tone(sr: int = 22050, seconds: float = 2.0) -> np.ndarray:
    """Two voiced 'syllables' with a silent pause between them (0.6-1.2 s), float32."""
    t = np.arange(int(sr * seconds)) / sr
    x = 0.3 * np.sin(2 * np.pi * 140 * t) + 0.1 * np.sin(2 * np.pi * 280 * t)
    x[(t > 0.6) & (t < 1.2)] = 0
    x[t < 0.1] = 0
    return x.astype(np.float32)


def syllable_wav(path, seconds: float = 1.2, sr: int = 22050, seed: int = 0):
    """Write voiced-ish audio with syllable-rate amplitude modulation to ``path``; returns it."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    env = np.clip(np.sin(2 * np.pi * 4.0 * t), 0, None) ** 2
    sig = env * (0.4 * np.sin(2 * np.pi * 140 * t) + 0.2 * np.sin(2 * np.pi * 280 * t)
                 + 0.02 * rng.standard_normal(t.size))
    sf.write(path, sig.astype(np.float32), sr)
    return path
