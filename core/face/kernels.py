"""Cached filter kernels and seed sequences shared by the face layers.

The face layers work on short arrays (a few hundred frames for a sentence), where the
fixed cost of building a Gaussian kernel or hashing a seed costs more than the filtering
itself. The helpers here compute exactly what their library counterparts compute (same
kernels, same library calls, bit for bit) and only keep the per-call constants:

- :func:`gaussian_filter1d`: ``scipy.ndimage.gaussian_filter1d`` (order 0, truncate 4)
  with the kernel cached per ``sigma`` (filtered by :func:`talkrig.core.dsp.correlate1d`,
  no scipy import).
- :func:`seeded_rng`: ``np.random.default_rng([seed, stream])`` with the
  ``SeedSequence`` cached per ``(seed, stream)``.
- :func:`fft_convolve_full`: ``scipy.signal.fftconvolve(x, kernel[:, None])`` (mode
  ``"full"``, along axis 0) with the kernel's spectrum cached (scipy's pocketfft through
  :mod:`talkrig.core.dsp`).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import dsp


@lru_cache(maxsize=256)
def _gaussian_weights(sigma: float) -> np.ndarray:
    """Correlation weights of ``scipy.ndimage.gaussian_filter1d`` (order 0, truncate 4)."""
    radius = int(4.0 * sigma + 0.5)
    sigma2 = sigma * sigma
    x = np.arange(-radius, radius + 1)
    phi_x = np.exp(-0.5 / sigma2 * x ** 2)
    phi_x = phi_x / phi_x.sum()
    weights = np.ascontiguousarray(phi_x[::-1])
    weights.setflags(write=False)
    return weights


def gaussian_filter1d(x: np.ndarray, sigma: float, *, axis: int = -1,
                      mode: str = "reflect") -> np.ndarray:
    """``scipy.ndimage.gaussian_filter1d(x, sigma, axis=axis, mode=mode)``, kernel cached.

    Parameters
    ----------
    x : np.ndarray
        Input; the output has its dtype, like scipy's.
    sigma : float
        Standard deviation in samples (the kernel reaches 4 sigma each side).
    axis : int
    mode : str
        Border mode of ``scipy.ndimage.correlate1d``.

    Returns
    -------
    np.ndarray [shape=x.shape]
    """
    x = np.asarray(x)
    return dsp.correlate1d(x, _gaussian_weights(float(sigma)), axis, mode, 0.0, 0)


class _CachedSeedSequence(np.random.SeedSequence):
    """A ``SeedSequence`` that remembers the state words it hands out (they depend only on
    its entropy), so seeding a bit generator from it again skips the hashing."""

    def __init__(self, entropy=None, **kwargs):
        super().__init__(entropy, **kwargs)
        self._words: dict = {}

    def generate_state(self, n_words, dtype=np.uint32):
        key = (int(n_words), np.dtype(dtype).str)
        words = self._words.get(key)
        if words is None:
            words = super().generate_state(n_words, dtype)
            words.setflags(write=False)
            self._words[key] = words
        return words


@lru_cache(maxsize=64)
def _seed_sequence(seed: int, stream: int) -> np.random.SeedSequence:
    return _CachedSeedSequence([seed, stream])


def seeded_rng(seed: int, stream: int) -> np.random.Generator:
    """A fresh generator in the state of ``np.random.default_rng([seed, stream])``.

    Its seed sequence is shared by every generator of that ``(seed, stream)``: draw from
    the generator, do not spawn from it."""
    return np.random.Generator(np.random.PCG64(_seed_sequence(int(seed), int(stream))))


@lru_cache(maxsize=64)
def _kernel_spectrum(kernel_bytes: bytes, n_fft: int) -> np.ndarray:
    kernel = np.frombuffer(kernel_bytes, dtype=np.float64)
    spec = dsp.rfft(kernel[:, None], n_fft, axis=0)
    spec.setflags(write=False)
    return spec


def fft_convolve_full(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``scipy.signal.fftconvolve(x, kernel[:, None])`` for real float64 ``x`` [n, c].

    The same transforms as scipy (real FFT of the next fast length along axis 0, product,
    inverse), with the kernel's spectrum cached.

    Returns
    -------
    np.ndarray [shape=(n + len(kernel) - 1, c)]
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.ascontiguousarray(kernel, dtype=np.float64)
    if x.size == 0 or kernel.size == 0:
        return np.array([])
    if x.shape[0] == 1 or kernel.shape[0] == 1:     # scipy multiplies directly then
        return x * kernel[:, None]
    size = x.shape[0] + kernel.shape[0] - 1
    n_fft = dsp.next_fast_len(size, True)
    spec = dsp.rfft(x, n_fft, axis=0) * _kernel_spectrum(kernel.tobytes(), n_fft)
    return dsp.irfft(spec, n_fft, axis=0)[:size].copy()
