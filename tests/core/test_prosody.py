"""core.speech.prosody on synthetic signals with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from talkrig.core.curves import Speech, n_frames_for
from talkrig.core.speech.prosody import analyze_prosody

SR = 16000


def t_axis(seconds):
    return np.arange(int(round(SR * seconds))) / SR


def voiced(f0, seconds, amp=0.3):
    """A vowel-like tone: fundamental plus two decaying harmonics."""
    t = t_axis(seconds)
    x = sum(amp / k * np.sin(2 * np.pi * k * f0 * t + k) for k in (1, 2, 3))
    return x.astype(np.float32)


@pytest.mark.parametrize("f0", [85.0, 120.0, 180.0, 250.0, 400.0])
@pytest.mark.parametrize("fps", [30.0, 29.97])
def test_f0_of_a_tone_within_two_percent(f0, fps):
    p = analyze_prosody(Speech(voiced(f0, 1.5), SR), fps=fps)
    inner = slice(3, -3)                              # edges see the zero padding
    assert (p.voicing[inner] > 0.5).all()
    assert np.max(np.abs(p.f0[inner] / f0 - 1)) < 0.02


def test_lengths_follow_n_frames_for():
    x = voiced(150, 2.345)
    for fps in (24.0, 25.0, 29.97, 60.0):
        p = analyze_prosody(Speech(x, SR), fps=fps)
        n = n_frames_for(len(x) / SR, fps)
        for arr in (p.loudness, p.loudness_db, p.f0, p.voicing):
            assert arr.shape == (n,) and arr.dtype == np.float32
        assert p.fps == fps


def test_frames_are_centred_at_i_over_fps():
    fps = 25.0
    x = np.concatenate([np.zeros(SR), voiced(150, 1.0)])      # sound starts at 1.0 s
    p = analyze_prosody(Speech(x, SR), fps=fps)
    t = np.arange(len(p.loudness)) / fps
    assert (p.loudness[t < 0.95] == 0).all()
    assert (p.loudness[(t > 1.05) & (t < 1.9)] > 0.9).all()
    assert (p.f0[t < 0.95] == 0).all() and (p.voicing[t < 0.95] == 0).all()


def test_loudness_is_normalised_and_ordered():
    x = np.concatenate([voiced(150, 1.0, amp=0.03), voiced(150, 1.0, amp=0.3)])
    p = analyze_prosody(Speech(x, SR), fps=30)
    assert 0 <= p.loudness.min() and p.loudness.max() <= 1
    quiet, loud = p.loudness[5:25].mean(), p.loudness[35:55].mean()
    assert loud > quiet + 0.2
    # dB follows the 20 dB amplitude step.
    assert p.loudness_db[35:55].mean() - p.loudness_db[5:25].mean() == pytest.approx(20, abs=1)


def test_loudness_is_scale_invariant():
    x = np.concatenate([voiced(150, 1.0), np.zeros(SR // 2), voiced(200, 1.0, amp=0.1)])
    a = analyze_prosody(Speech(x, SR), fps=30)
    b = analyze_prosody(Speech(x * 0.05, SR), fps=30)
    assert np.allclose(a.loudness, b.loudness, atol=1e-3)


def test_noise_is_not_voiced():
    rng = np.random.default_rng(0)
    x = (0.2 * rng.standard_normal(SR * 2)).astype(np.float32)
    p = analyze_prosody(Speech(x, SR), fps=30)
    assert np.mean(p.voicing > 0.5) < 0.1
    assert np.mean(p.f0 > 0) < 0.1


def test_silence_gap_is_a_phrase_break():
    x = np.concatenate([voiced(140, 1.0), np.zeros(int(0.5 * SR)), voiced(160, 1.0)])
    p = analyze_prosody(Speech(x, SR), fps=30)
    assert p.phrase_breaks.shape == (1, 2)
    start, end = p.phrase_breaks[0]
    assert start == pytest.approx(1.0, abs=0.03) and end == pytest.approx(1.5, abs=0.03)


def test_short_gap_and_edges_are_not_breaks():
    x = np.concatenate([np.zeros(SR), voiced(140, 1.0), np.zeros(int(0.1 * SR)),
                        voiced(160, 1.0), np.zeros(SR)])
    p = analyze_prosody(Speech(x, SR), fps=30)
    assert p.phrase_breaks.shape == (0, 2)


def test_clicks_are_onsets():
    rng = np.random.default_rng(1)
    x = (1e-3 * rng.standard_normal(3 * SR)).astype(np.float32)
    clicks = [0.5, 1.0, 1.7, 2.2, 2.6]
    for c in clicks:
        i = int(c * SR)
        x[i:i + 40] += 0.8 * np.hanning(40)
    p = analyze_prosody(Speech(x, SR), fps=30)
    assert len(p.onsets) == len(clicks)
    assert np.max(np.abs(p.onsets - clicks)) < 0.025


def test_steady_tone_has_only_its_start_as_onset():
    x = np.concatenate([np.zeros(int(0.8 * SR)), voiced(150, 2.0)])
    p = analyze_prosody(Speech(x, SR), fps=30)
    assert len(p.onsets) == 1 and p.onsets[0] == pytest.approx(0.8, abs=0.025)


def test_silent_speech_is_all_zero():
    p = analyze_prosody(Speech(np.zeros(SR, np.float32), SR), fps=30)
    assert not p.loudness.any() and not p.f0.any() and not p.voicing.any()
    assert len(p.onsets) == 0 and p.phrase_breaks.shape == (0, 2)


def test_deterministic():
    x = voiced(150, 1.0) + np.float32(0.01) * np.random.default_rng(3).standard_normal(SR).astype(np.float32)
    a, b = (analyze_prosody(Speech(x, SR), fps=30) for _ in range(2))
    assert np.array_equal(a.f0, b.f0) and np.array_equal(a.loudness, b.loudness)


def test_bad_fps():
    """The one frame-rate check (core.timebase.check_fps): one error type everywhere."""
    from talkrig.core.errors import StyleError
    with pytest.raises(StyleError, match="fps=0 is out of range; use 1 to 240"):
        analyze_prosody(Speech(voiced(150, 0.5), SR), fps=0)
