"""bench/body.py's onset detector (a numpy port of librosa.onset.onset_detect) and floors."""
import numpy as np

from bench import body as B


def test_mel_filters_are_slaney_triangles():
    w = B._mel_filters(16000, 2048, 128)
    assert w.shape == (128, 1025) and (w >= 0).all()
    peaks = w.argmax(axis=1)
    assert (np.diff(peaks) >= 0).all()                     # ordered by frequency
    assert (w.sum(axis=1) > 0).all()                        # every band has bins


def test_onsets_land_on_clicks():
    sr = 16000
    rng = np.random.default_rng(0)
    y = 0.001 * rng.standard_normal(sr * 6)
    clicks = np.arange(0.5, 5.6, 0.5)
    for c in clicks:
        i = int(c * sr)
        y[i:i + 800] += 0.5 * np.hanning(800) * np.sin(2 * np.pi * 900 * np.arange(800) / sr)
    on = B.onset_times(y, sr)
    hop = 512 / sr
    for c in clicks:                                         # each click found within 2 hops
        assert np.min(np.abs(on - c)) < 2 * hop + 1e-9, c
    assert len(on) < 3 * len(clicks)


def test_still_body_is_still_and_jitter_is_not():
    class Take:
        n_frames = 60
        head = np.zeros((60, 3), np.float32)
    still = B.still_body(Take, 30.0)
    assert not np.diff(still.rotations, axis=0).any()
    jit = B.jitter_body(Take, 30.0)
    assert np.abs(np.diff(jit.rotations, axis=0)).max() > 0.01
