"""``talkrig.core.dsp`` gives bit for bit what the scipy calls it replaces give, and a
face bake from audio imports no scipy at all."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.fft as sp_fft
from scipy import ndimage, signal

from talkrig.core import dsp

ROOT = Path(__file__).resolve().parents[2]
MODES = ("nearest", "reflect", "constant", "mirror", "wrap")
LENGTHS = (1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 257, 1000)


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def signals_1d(seed: int, n: int):
    """Random, smooth, step, sparse and all-zero curves of length n."""
    rng = np.random.default_rng([seed, n])
    yield rng.standard_normal(n)
    yield np.cumsum(rng.standard_normal(n)) * 1e-3
    yield (rng.random(n) > 0.7).astype(np.float64)
    yield np.zeros(n)
    yield rng.uniform(0, 1, n) ** 8
    yield np.round(rng.random(n) * 3) / 3            # plateaus / ties


# --------------------------------------------------------------------------- ndimage

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", LENGTHS)
def test_uniform_filter1d(mode, n):
    for seed in range(3):
        for x in signals_1d(seed, n):
            for size in (1, 2, 3, 4, 9, 12, 15, 90, 180):
                got = dsp.uniform_filter1d(x, size, mode=mode)
                assert same_bits(got, ndimage.uniform_filter1d(x, size, mode=mode)), (size, n)
    # the eyes' lagged mean: origin shifts the window back
    x = next(signals_1d(9, n))
    for size in (1, 2, 45, 90):
        origin = max(0, size // 2 - 1)
        assert same_bits(dsp.uniform_filter1d(x, size, origin=origin, mode=mode),
                         ndimage.uniform_filter1d(x, size, origin=origin, mode=mode))


@pytest.mark.parametrize("axis", (0, 1, -1))
def test_uniform_filter1d_2d_and_float32(axis):
    rng = np.random.default_rng(4)
    for shape in ((50, 3), (3, 50), (1, 7), (7, 1)):
        x = rng.standard_normal(shape)
        for dtype in (np.float64, np.float32):
            xd = x.astype(dtype)
            assert same_bits(dsp.uniform_filter1d(xd, 5, axis=axis, mode="nearest"),
                             ndimage.uniform_filter1d(xd, 5, axis=axis, mode="nearest"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", LENGTHS)
def test_maximum_filter1d(mode, n):
    for seed in range(3):
        for x in signals_1d(seed, n):
            for size in (1, 2, 3, 4, 7, 11, 37, 121):
                assert same_bits(dsp.maximum_filter1d(x, size, mode=mode),
                                 ndimage.maximum_filter1d(x, size, mode=mode)), (size, n)


def test_maximum_filter1d_2d_rows():
    rng = np.random.default_rng(5)
    for shape in ((4, 60), (1, 1), (3, 2), (60, 4)):
        m = (rng.random(shape) > 0.8) * rng.random(shape)
        for axis in (0, 1):
            for size in (3, 7, 61):
                assert same_bits(dsp.maximum_filter1d(m, size, axis=axis, mode="nearest"),
                                 ndimage.maximum_filter1d(m, size, axis=axis, mode="nearest"))


@pytest.mark.parametrize("mode", MODES)
def test_correlate1d_gaussian_and_general(mode):
    from talkrig.core.face.kernels import _gaussian_weights
    rng = np.random.default_rng(6)
    weights = [_gaussian_weights(s) for s in (0.5, 1.2, 1.8, 3.0, 6.0, 9.0, 24.0)]
    weights += [np.array([1.0]), np.array([-1.0, 0.0, 1.0]), rng.standard_normal(4),
                rng.standard_normal(7)]
    for n in LENGTHS:
        for x in signals_1d(7, n):
            for w in weights:
                assert same_bits(dsp.correlate1d(x, w, -1, mode=mode),
                                 ndimage.correlate1d(x, w, -1, mode=mode)), (n, w.size)
    x = rng.standard_normal((40, 5))
    for axis in (0, 1):
        for dtype in (np.float64, np.float32):
            assert same_bits(dsp.correlate1d(x.astype(dtype), weights[3], axis, mode=mode),
                             ndimage.correlate1d(x.astype(dtype), weights[3], axis, mode=mode))


def test_gaussian_filter1d_matches_scipy():
    from talkrig.core.face.kernels import gaussian_filter1d
    rng = np.random.default_rng(8)
    for n in LENGTHS:
        x = rng.standard_normal((n, 3))
        for sigma in (0.3, 1.8, 2.4, 6.0, 9.0):
            for mode in ("nearest", "reflect"):
                assert same_bits(gaussian_filter1d(x, sigma, axis=0, mode=mode),
                                 ndimage.gaussian_filter1d(x, sigma, axis=0, mode=mode))
                assert same_bits(gaussian_filter1d(x[:, 0], sigma, mode=mode),
                                 ndimage.gaussian_filter1d(x[:, 0], sigma, mode=mode))


# --------------------------------------------------------------------------- signal

def test_lfilter_first_order():
    rng = np.random.default_rng(9)
    for n in (0, 1, 2, 5, 100, 3000):
        for a in (0.0, 0.3, 0.9, 0.9917, np.exp(-1 / 7.2)):
            e = rng.standard_normal(n)
            zi = [rng.standard_normal()]
            got = dsp.lfilter([1.0], [1.0, -a], e, zi=zi)
            want = signal.lfilter([1.0], [1.0, -a], e, zi=zi)
            assert same_bits(got[0], want[0])
            if n:                           # (scipy's zf of an empty signal is no state)
                assert same_bits(got[1], want[1])
            assert same_bits(dsp.lfilter([1.0 - a], [1.0, -a], e),
                             signal.lfilter([1.0 - a], [1.0, -a], e))
            if n == 0:
                continue
            # eyes.head_follow: [n, 2] along axis 0, zi from the first row
            ex = rng.standard_normal((n, 2)) * (rng.random((n, 2)) > 0.5)
            assert same_bits(dsp.lfilter([1.0 - a], [1.0, -a], ex, axis=0, zi=a * ex[:1])[0],
                             signal.lfilter([1.0 - a], [1.0, -a], ex, axis=0, zi=a * ex[:1])[0])
            # signals.ar1_noises: [k, n] along axis 1 (also many lines: the other loop)
            for k in (1, 3, 40):
                z = rng.standard_normal((k, n))
                zi2 = rng.standard_normal(k)[:, None]
                got = dsp.lfilter([1.0], [1.0, -a], z, axis=1, zi=zi2)
                want = signal.lfilter([1.0], [1.0, -a], z, axis=1, zi=zi2)
                assert same_bits(got[0], want[0]) and same_bits(got[1], want[1])
    # a general first-order filter and a[0] != 1
    x = rng.standard_normal(500)
    assert same_bits(dsp.lfilter([0.3, -0.2], [1.7, -0.4], x),
                     signal.lfilter([0.3, -0.2], [1.7, -0.4], x))


def test_find_peaks():
    rng = np.random.default_rng(10)
    cases = [np.zeros(0), np.zeros(1), np.zeros(2), np.array([0.0, 1.0, 0.0]),
             np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0]),
             np.array([1.0, 1.0, 1.0]), np.array([0.0, 2.0, 2.0, 2.0, 1.0, 3.0, 3.0, 0.0]),
             np.zeros(50)]
    for n in (10, 60, 333, 2000):
        for x in signals_1d(11, n):
            cases.append(np.diff(x, prepend=x[0]))
            cases.append(x)
        g = ndimage.gaussian_filter1d(rng.random(n), 2.0)
        cases.append(np.diff(g, prepend=g[0]))
    for x in cases:
        for height in (None, 0.0, 0.2 / 60, 0.01, 0.5):
            for distance in (None, 1, 2, 6, 12, 2.5, 30):
                got, gp = dsp.find_peaks(x, height=height, distance=distance)
                want, wp = signal.find_peaks(x, height=height, distance=distance)
                assert same_bits(got, want), (x, height, distance)
                assert sorted(gp) == sorted(wp)
                for key in wp:
                    assert same_bits(gp[key], wp[key])


RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000, 12345)


@pytest.mark.parametrize("sr", RATES)
def test_resample_poly_to_16k(sr):
    import math
    g = math.gcd(sr, 16000)
    up, down = 16000 // g, sr // g
    rng = np.random.default_rng(sr)
    for n in (1, 2, 7, 100, 441, 4410, sr // 3 + 17):
        x = (rng.standard_normal(n) * 0.3).astype(np.float32)
        got = dsp.resample_poly(x, up, down)
        assert same_bits(got, signal.resample_poly(x, up, down)), (sr, n)
    x = np.zeros(999, np.float32)
    assert same_bits(dsp.resample_poly(x, up, down), signal.resample_poly(x, up, down))
    x64 = rng.standard_normal(3001)
    assert same_bits(dsp.resample_poly(x64, up, down), signal.resample_poly(x64, up, down))


def test_resample_poly_other_ratios_and_axes():
    rng = np.random.default_rng(12)
    for up, down in ((1, 1), (2, 2), (3, 1), (1, 7), (5, 3), (160, 147), (147, 160)):
        x = rng.standard_normal(1234).astype(np.float32)
        assert same_bits(dsp.resample_poly(x, up, down), signal.resample_poly(x, up, down))
        x2 = rng.standard_normal((300, 2))
        for axis in (0, 1, -1):
            assert same_bits(dsp.resample_poly(x2, up, down, axis=axis),
                             signal.resample_poly(x2, up, down, axis=axis))
    xi = rng.integers(-100, 100, 500)
    assert same_bits(dsp.resample_poly(xi, 2, 3), signal.resample_poly(xi, 2, 3))


def test_audio_resamplers_match_scipy():
    from talkrig.core import audio
    rng = np.random.default_rng(13)
    for sr in (22050, 44100, 48000, 8000):
        x = (rng.standard_normal(sr * 2 + 5) * 0.2).astype(np.float32)
        up, down = audio._ratio(sr, audio.TARGET_SR)
        assert same_bits(audio.resample(x, sr_in=sr, sr_out=audio.TARGET_SR),
                         signal.resample_poly(x, up, down).astype(np.float32))


# --------------------------------------------------------------------------- fft

def test_fft_matches_scipy():
    rng = np.random.default_rng(14)
    for target in list(range(1, 300)) + [1021, 4097, 10007, 48001]:
        for real in (True, False):
            assert dsp.next_fast_len(target, real) == sp_fft.next_fast_len(target, real)
    for n_fft in (1, 2, 8, 15, 96, 100, 250, 512, 648, 1000, 1125, 2187, 4608):
        for rows in (1, 3, 17):
            x = rng.standard_normal((rows, max(1, n_fft - 7)))
            for dtype in (np.float64, np.float32):
                xd = x.astype(dtype)
                for axis, xa in ((1, xd), (0, xd.T)):
                    s = dsp.rfft(xa, n_fft, axis=axis)
                    assert same_bits(s, sp_fft.rfft(xa, n_fft, axis=axis))
                    s2 = s * np.conj(s)
                    assert same_bits(dsp.irfft(s2, n_fft, axis=axis),
                                     sp_fft.irfft(s2, n_fft, axis=axis))
                assert same_bits(dsp.rfft(xd, axis=1), sp_fft.rfft(xd, axis=1))


def test_fft_convolve_full_matches_fftconvolve():
    from talkrig.core.face.kernels import fft_convolve_full
    rng = np.random.default_rng(15)
    for n in (1, 2, 50, 601, 3600):
        x = rng.standard_normal((n, 3)) * (rng.random((n, 3)) > 0.9)
        for k in (1, 5, 31, 200):
            kern = rng.standard_normal(k)
            assert same_bits(fft_convolve_full(x, kern), signal.fftconvolve(x, kern[:, None]))


# --------------------------------------------------------------------------- import

_BAKE = """
import json, sys
import numpy as np
from talkrig.core import pipeline
from talkrig.core.curves import Speech
{make}
perf = pipeline.bake(speech)
names = sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy."))
print(json.dumps({{"scipy": names, "frames": int(np.asarray(perf.face.values).shape[0])}}))
"""


def _bake_modules(make: str) -> dict:
    code = _BAKE.format(make=make)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_audio_only_bake_imports_no_scipy(tmp_path):
    """A face bake from a 22.05 kHz file (decode, resample, prosody, phones, face, head,
    eyes) runs without importing scipy."""
    wavs = sorted((ROOT / "tests" / "data" / "ljspeech" / "wavs").glob("*.flac"))
    assert wavs, "tests/data/ljspeech/wavs is missing"
    got = _bake_modules(f"speech = {str(wavs[0])!r}")
    assert got["frames"] > 0
    assert got["scipy"] == [], got["scipy"]


def test_synthetic_speech_bake_imports_no_scipy():
    """The same for in-memory 22.05 kHz speech (the speech/align resampler path)."""
    make = ("t = np.arange(22050) / 22050.0\n"
            "x = (0.3 * np.sin(2 * np.pi * 140 * t) * (np.sin(2 * np.pi * 3 * t) > 0))"
            ".astype(np.float32)\n"
            "speech = Speech(samples=x, sr=22050)")
    got = _bake_modules(make)
    assert got["scipy"] == [], got["scipy"]


def test_scipy_fft_after_dsp_shares_one_pocketfft():
    """scipy.fft imported after dsp loaded pypocketfft gets that same module (a second
    copy of the pybind11 extension aborts CPython 3.11 at exit)."""
    code = ("import sys, numpy as np\n"
            "from talkrig.core import dsp\n"
            "a = dsp.rfft(np.arange(10.0))\n"
            "assert not [m for m in sys.modules if m.startswith('scipy')]\n"
            "import scipy.fft, scipy.signal\n"
            "assert sys.modules['scipy.fft._pocketfft.pypocketfft'] is dsp._pfft\n"
            "assert np.array_equal(a, scipy.fft.rfft(np.arange(10.0)))\n"
            "scipy.signal.fftconvolve(np.ones(5), np.ones(3))\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
