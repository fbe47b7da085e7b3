"""The fast paths of the face layers compute exactly what the library calls they replace do."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from scipy.signal import fftconvolve

from talkrig.core.curves import PhoneTrack
from talkrig.core.face import coarticulation as co
from talkrig.core.motion import head, signals
from talkrig.core.face.kernels import fft_convolve_full, seeded_rng
from talkrig.core.face.kernels import gaussian_filter1d as fast_gaussian


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("sigma", [0.5, 1.44, 2.4, 4.8, 9.0, 12.0])
@pytest.mark.parametrize("mode", ["reflect", "nearest", "constant"])
def test_gaussian_filter1d_is_scipys(sigma, mode):
    rng = np.random.default_rng(0)
    for x in (rng.standard_normal(187), rng.standard_normal((93, 3)),
              rng.standard_normal(50).astype(np.float32)):
        assert same_bits(fast_gaussian(x, sigma, axis=0, mode=mode),
                         gaussian_filter1d(x, sigma, axis=0, mode=mode))


@pytest.mark.parametrize("n,k", [(1, 66), (2, 1), (186, 66), (93, 48), (1000, 11)])
def test_fft_convolve_full_is_fftconvolve(n, k):
    rng = np.random.default_rng(n)
    x = np.zeros((n, 3))
    x[rng.integers(0, n, 5)] = rng.standard_normal((5, 3))
    kernel = rng.random(k)
    assert same_bits(fft_convolve_full(x, kernel), fftconvolve(x, kernel[:, None]))
    assert same_bits(fft_convolve_full(x, kernel), fft_convolve_full(x, kernel))   # cached


def test_seeded_rng_is_default_rng():
    for seed in (0, 1, 7, 12345):
        for stream in (0x4EAD, 0xB1, 0x6A2E):
            for _ in range(2):          # the second generator comes from the cache
                a, b = seeded_rng(seed, stream), np.random.default_rng([seed, stream])
                assert a.bit_generator.state == b.bit_generator.state
                assert same_bits(a.normal(size=9), b.normal(size=9))


def test_ar1_noises_are_stacked_ar1_noise():
    for n in (1, 5, 186):
        a, b = np.random.default_rng(n), np.random.default_rng(n)
        many = signals.ar1_noises(a, n, fps=60.0, tau_s=4.0, stds=(1.3, 0.8, 0.5))
        one = np.stack([signals.ar1_noise(b, n, fps=60.0, tau_s=4.0, std=s)
                        for s in (1.3, 0.8, 0.5)], axis=1)
        assert same_bits(np.ascontiguousarray(many), one)
        assert a.bit_generator.state == b.bit_generator.state


def test_short_statistics_match_numpy():
    rng = np.random.default_rng(3)
    for n in range(1, 40):
        x = rng.standard_normal(n) * 3.0
        assert same_bits(head._median(x), np.median(x))
        assert same_bits(head._std(x), np.std(x))
        assert same_bits(np.float64(head._quantile_half(np.abs(x))), np.quantile(np.abs(x), 0.5))


def test_gaussian_bumps_empty_and_edges():
    t = np.arange(100) / 30.0
    assert signals.gaussian_bumps(t, np.zeros(0), 0.25).dtype == np.float64
    assert not signals.gaussian_bumps(t, np.zeros(0), 0.25).any()
    out = signals.gaussian_bumps(t, np.array([-10.0, 0.0, 1.0, 1.0]), 0.25)
    ref = np.zeros(100)
    k = int(np.ceil(4 * 0.25 * 30.0))
    for c in (0.0, 1.0, 1.0):
        idx = np.arange(round(c * 30) - k, round(c * 30) + k + 1)
        idx = idx[(idx >= 0) & (idx < 100)]
        np.add.at(ref, idx, np.exp(-0.5 * ((t[idx] - c) / 0.25) ** 2))
    assert same_bits(out, ref)


def _track(shift: float = 0.0) -> PhoneTrack:
    phones = ("sil", "HH", "AY1", "M", "AE1", "P", "F", "OW0", "sil")
    starts = np.arange(len(phones)) * 0.08 + shift
    return PhoneTrack(phones, starts, starts + 0.08, (), stress=(0, 0, 1, 0, 1, 0, 0, 0, 0))


def test_segment_cache_is_keyed_on_content():
    a = co.prepare_segments(_track(), lead_s=0.02)
    assert co.prepare_segments(_track(), lead_s=0.02) is a            # equal content: reused
    b = co.prepare_segments(_track(0.01), lead_s=0.02)                # other times: new
    assert not np.array_equal(a.start, b.start)
    assert not np.array_equal(co.prepare_segments(_track(), lead_s=0.0).start, a.start)
    with pytest.raises(ValueError):
        a.start[0] = 1.0                                              # shared: read-only
    changed = dataclasses.replace(_track(), emphasis=(0, 0, 1, 0, 0, 0, 0, 0, 0))
    assert not np.array_equal(co.prepare_segments(changed, lead_s=0.02).gain, a.gain)


def test_constraint_envelope_cache_returns_private_copies():
    seg = co.prepare_segments(_track())
    t = np.arange(60) / 60.0
    mask = co.load_viseme_tables().is_bilabial[seg.phone]
    kw = dict(fps=60.0, ramp_before=0.06, ramp_after=0.05, share=0.45)
    a = co.constraint_envelope(t, seg, mask, **kw)
    a[:] = -1.0                                      # the caller's copy, not the cache's
    b = co.constraint_envelope(t, seg, mask, **kw)
    assert b.max() == 1.0 and b.min() >= 0.0
    assert same_bits(b, co._envelope(t, seg, mask, 60.0, 0.06, 0.05, 0.45, "cosine", "cosine"))
