"""core.face.loudness: the documented loudness-driven mouth layer."""
from __future__ import annotations

import numpy as np
import pytest

from talkrig.core.curves import Prosody
from talkrig.core.face.loudness import SHAPE, attack_release, loudness_layer
from talkrig.core.style import Style
from talkrig.rigs.arkit import ARKIT_INDEX, ARKIT_NAMES

FPS = 30.0


def prosody(loudness, voicing=None):
    loud = np.asarray(loudness, dtype=np.float32)
    voi = np.ones_like(loud) if voicing is None else np.asarray(voicing, dtype=np.float32)
    return Prosody(fps=FPS, loudness=loud, f0=np.zeros_like(loud), voicing=voi,
                   onsets=np.zeros(0), phrase_breaks=np.zeros((0, 2)))


def burst(n=90, start=30, stop=60, level=0.9):
    x = np.zeros(n, np.float32)
    x[start:stop] = level
    return x


def jaw(w):
    return w[:, ARKIT_INDEX["jawOpen"]]


def test_shape_range_and_channels():
    w = loudness_layer(prosody(burst()), style=Style())
    assert w.shape == (90, 52) and w.dtype == np.float32
    assert w.min() >= 0 and w.max() <= 1
    used = {name for name, *_ in SHAPE}
    for j, name in enumerate(ARKIT_NAMES):
        if name not in used:
            assert not w[:, j].any(), name
    assert jaw(w)[50] > 0.3 and w[50, ARKIT_INDEX["mouthLowerDownLeft"]] > 0.2


def test_silence_and_noise_floor_keep_the_mouth_shut():
    assert not loudness_layer(prosody(np.zeros(40))).any()
    assert not loudness_layer(prosody(np.full(40, 0.04))).any()


def test_attack_is_faster_than_release():
    j = jaw(loudness_layer(prosody(burst())))
    peak = j.max()
    rise = np.argmax(j >= 0.9 * peak) - 30
    fall = np.argmax(j[60:] <= 0.1 * peak)
    assert 0 < rise < fall


def test_louder_opens_wider_and_scale_zero_ignores_level():
    quiet = jaw(loudness_layer(prosody(burst(level=0.4))))[55]
    loud = jaw(loudness_layer(prosody(burst(level=1.0))))[55]
    assert loud > quiet * 1.5
    flat = Style(loudness_scale=0.0)
    a = jaw(loudness_layer(prosody(burst(level=0.4)), style=flat))[55]
    b = jaw(loudness_layer(prosody(burst(level=1.0)), style=flat))[55]
    assert a == pytest.approx(b, rel=1e-5) and a > 0.2


def test_articulation_scales_motion():
    p = prosody(burst(level=0.6))
    none = loudness_layer(p, style=Style(articulation=0.0))
    normal = jaw(loudness_layer(p, style=Style(articulation=1.0)))
    double = jaw(loudness_layer(p, style=Style(articulation=2.0)))
    assert not none.any()
    assert np.allclose(double, np.minimum(2 * normal, 1), atol=1e-6)


def test_voicing_moves_weight_from_jaw_to_stretch():
    v = loudness_layer(prosody(burst(), voicing=np.ones(90)))
    u = loudness_layer(prosody(burst(), voicing=np.zeros(90)))
    assert jaw(v)[55] > jaw(u)[55]
    s = ARKIT_INDEX["mouthStretchLeft"]
    assert u[55, s] > 0 and v[55, s] == 0
    assert v[55, ARKIT_INDEX["mouthFunnel"]] > 0 == u[55, ARKIT_INDEX["mouthFunnel"]]


def test_lead_moves_the_mouth_earlier():
    base = jaw(loudness_layer(prosody(burst())))
    lead = jaw(loudness_layer(prosody(burst()), style=Style(lead_ms=100.0)))
    first = lambda j: int(np.argmax(j > 0.05))
    assert first(base) - first(lead) == 3                 # 100 ms at 30 fps


def test_attack_release_helper():
    y = attack_release(np.r_[np.zeros(3), np.ones(10)], fps=30, attack_s=0, release_s=0.1)
    assert np.array_equal(y, np.r_[np.zeros(3), np.ones(10)])


def test_dict_style_and_bad_prosody():
    assert loudness_layer(prosody(burst()), style={"articulation": 0.5}).max() > 0
    bad = Prosody(fps=FPS, loudness=np.zeros(5), f0=np.zeros(5), voicing=np.zeros(4),
                  onsets=np.zeros(0), phrase_breaks=np.zeros((0, 2)))
    with pytest.raises(ValueError, match="equal length"):
        loudness_layer(bad)
