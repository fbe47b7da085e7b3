"""The "loudness" speech layer: mouth motion from the audio level alone.

This is the driver for sounds that are not speech (humming, singing, grunts, a creature,
a radio) and the fallback when phoneme timing is unavailable. It knows nothing about which
sound is made, only how loud it is and whether it is voiced, so it opens and closes the
mouth with the level but never forms lip closures for /p b m/ or rounding for /u/.

How a frame's weights are made
------------------------------
1. **Openness target** ``o`` in [0, 1] from ``prosody.loudness``:
   ``o = gate * clip((1 - s) * 0.7 + s * loudness, 0, 1)`` with ``s = style.loudness_scale``
   (``s = 0``: a fixed opening whenever there is sound, ``s = 1``: proportional,
   ``s = 2``: exaggerated dynamics) and ``gate`` a smoothstep of loudness from 0.05 to 0.2,
   so the noise floor keeps the mouth shut.
2. **Lead**: ``o`` is resampled at ``t + style.lead_ms / 1000`` so the mouth can move ahead
   of the sound (positive lead = earlier).
3. **Attack / release**: an asymmetric one-pole smoother, time constant 25 ms while
   opening and 70 ms while closing (jaws open fast and settle slowly).
4. **Shape**: ``o`` is spread over the channels below, scaled by ``style.articulation``
   (0 = no motion, 1 = normal, 2 = double), voiced sound (``prosody.voicing``) opening the
   jaw more and unvoiced noise stretching the lips instead:

   =====================================  ==========================================
   channel                                weight per unit of ``o``
   =====================================  ==========================================
   jawOpen                                0.55 * (0.6 + 0.4 * voicing)
   mouthLowerDownLeft / Right             0.30
   mouthUpperUpLeft / Right               0.15
   mouthFunnel                            0.10 * voicing
   mouthStretchLeft / Right               0.12 * (1 - voicing)
   mouthClose                             0.05 * (1 - voicing) (lips stay near each other)
   =====================================  ==========================================

Every other channel stays 0; the result is clipped to [0, 1].
"""
from __future__ import annotations

import numpy as np

from ...rigs.arkit import ARKIT_INDEX, N_ARKIT
from ..curves import Prosody
from ..style import Style, as_style

ATTACK_S = 0.025
RELEASE_S = 0.070
GATE_LO, GATE_HI = 0.05, 0.2
FIXED_OPENING = 0.7

#: (channel, constant weight, weight x voicing, weight x (1 - voicing)) per unit of openness.
SHAPE = (
    ("jawOpen", 0.33, 0.22, 0.0),
    ("mouthLowerDownLeft", 0.30, 0.0, 0.0),
    ("mouthLowerDownRight", 0.30, 0.0, 0.0),
    ("mouthUpperUpLeft", 0.15, 0.0, 0.0),
    ("mouthUpperUpRight", 0.15, 0.0, 0.0),
    ("mouthFunnel", 0.0, 0.10, 0.0),
    ("mouthStretchLeft", 0.0, 0.0, 0.12),
    ("mouthStretchRight", 0.0, 0.0, 0.12),
    ("mouthClose", 0.0, 0.0, 0.05),
)


def loudness_layer(prosody: Prosody, *, style: Style | None = None) -> np.ndarray:
    """Mouth weights driven by loudness (see the module docstring for the recipe).

    Parameters
    ----------
    prosody : Prosody
        Frame-rate features; uses ``loudness``, ``voicing`` and ``fps``.
    style : Style, optional
        Uses ``articulation``, ``loudness_scale`` and ``lead_ms``; defaults if None.

    Returns
    -------
    np.ndarray [shape=(n_frames, 52), dtype=float32]
        ARKit-52 weights in [0, 1], columns in ``ARKIT_NAMES`` order.
    """
    style = as_style(style)
    loud = np.asarray(prosody.loudness, dtype=np.float64)
    voicing = np.clip(np.asarray(prosody.voicing, dtype=np.float64), 0.0, 1.0)
    if loud.ndim != 1 or voicing.shape != loud.shape:
        raise ValueError(f"prosody loudness and voicing must be 1-D of equal length, "
                         f"got {loud.shape} and {voicing.shape}")
    n = len(loud)
    out = np.zeros((n, N_ARKIT), dtype=np.float32)
    if n == 0:
        return out
    s = style.loudness_scale
    target = _smoothstep(loud, GATE_LO, GATE_HI) * np.clip((1 - s) * FIXED_OPENING + s * loud, 0, 1)
    lead = style.lead_ms / 1000.0
    if lead:
        t = np.arange(n) / prosody.fps
        target = np.interp(t + lead, t, target)
        voicing = np.interp(t + lead, t, voicing)
    o = attack_release(target, fps=prosody.fps, attack_s=ATTACK_S, release_s=RELEASE_S)
    o *= style.articulation
    for name, const, voiced, unvoiced in SHAPE:
        out[:, ARKIT_INDEX[name]] = o * (const + voiced * voicing + unvoiced * (1 - voicing))
    np.clip(out, 0.0, 1.0, out=out)
    return out


def attack_release(x: np.ndarray, *, fps: float, attack_s: float, release_s: float) -> np.ndarray:
    """Asymmetric one-pole smoothing: follow rises with ``attack_s``, falls with ``release_s``.

    Parameters
    ----------
    x : np.ndarray [shape=(n,)]
        Signal sampled at ``fps``.
    fps : float
        Frames per second.
    attack_s, release_s : float
        Time constants in seconds (0 = no smoothing in that direction).

    Returns
    -------
    np.ndarray [shape=(n,), dtype=float64]
    """
    x = np.asarray(x, dtype=np.float64)
    a_up = 1.0 - np.exp(-1.0 / (fps * attack_s)) if attack_s > 0 else 1.0
    a_dn = 1.0 - np.exp(-1.0 / (fps * release_s)) if release_s > 0 else 1.0
    y = np.empty_like(x)
    prev = 0.0
    for i, v in enumerate(x.tolist()):      # a plain loop: 10^5 frames take ~30 ms
        prev += (a_up if v > prev else a_dn) * (v - prev)
        y[i] = prev
    return y


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    u = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)
