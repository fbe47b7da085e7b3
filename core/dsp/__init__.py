"""Numpy-only replacements for the scipy calls of the face/speech/audio bake path.

Importing ``scipy.signal`` costs most of a second (it pulls scipy.stats, interpolate,
optimize), ``scipy.ndimage`` and ``scipy.fft`` a few tenths more: far more than a short
bake. Each function here gives **bit for bit** the result of the scipy call it is named
after, for the arguments the bake uses, because it does the same floating-point
operations in the same order:

- :func:`correlate1d`, :func:`uniform_filter1d`, :func:`maximum_filter1d`:
  ``scipy.ndimage`` (line buffers in float64, the same border extension; correlate1d
  folds symmetric / antisymmetric weights like ``NI_Correlate1D``; the uniform filter
  keeps ``NI_UniformFilter1D``'s running sum, reproduced with a sequential ``cumsum``).
  Modes ``reflect``, ``nearest``, ``mirror``, ``wrap``, ``constant``.
- :func:`lfilter`: ``scipy.signal.lfilter`` for first-order filters (``len(a) == 2``,
  ``len(b) <= 2``), float64, with or without ``zi``: the direct-form-II-transposed update
  of scipy's ``_filt``, one time step after another.
- :func:`find_peaks`: ``scipy.signal.find_peaks`` with ``height`` and/or ``distance``.
- :func:`resample_poly`: ``scipy.signal.resample_poly`` with its default Kaiser (beta 5)
  window and zero padding: ``firwin`` built the same way, and the polyphase sums of
  ``upfirdn`` accumulated in scipy's order and precision (float32 for float32 input).
- :func:`rfft`, :func:`irfft`, :func:`next_fast_len`: ``scipy.fft``. numpy's FFT is not
  bit-identical to scipy's (numpy 1.26 has another pocketfft and no float32 transforms), so
  these call scipy's own compiled ``pypocketfft`` extension, loaded from its file without
  running the ``scipy.fft`` package (about 1-4 ms instead of 0.15 s). An import hook hands
  that same module object to scipy if ``scipy.fft`` is imported later (loading a pybind11
  module twice crashes CPython 3.11 at exit). Without the file, ``scipy.fft`` is imported.

The code lives in three submodules, all re-exported here: :mod:`.filters` (ndimage filters,
``lfilter``, ``find_peaks``), :mod:`.resample` (``resample_poly``) and :mod:`.fft`
(pypocketfft loading, ``rfft``, ``irfft``, ``next_fast_len``).
"""
from __future__ import annotations

from . import fft as _fft
from .fft import (_SCIPY_PFFT, _SharedModuleFinder, _asfarray, _fix_shape_1d,
                  _load_pocketfft, irfft, next_fast_len, rfft)
from .filters import (_MODES, _check_mode, _extended, _filter_setup, _finish, _lines,
                      _sizes, correlate1d, find_peaks, lfilter, maximum_filter1d,
                      uniform_filter1d)
from .resample import _kaiser_lowpass, _output_len, resample_poly

__all__ = ["correlate1d", "find_peaks", "irfft", "lfilter", "maximum_filter1d",
           "next_fast_len", "resample_poly", "rfft", "uniform_filter1d"]


def __getattr__(name: str):
    # ``_pfft`` (the loaded pypocketfft module, None until first use) is state of
    # :mod:`.fft`, rebound there by ``_load_pocketfft``: read it live rather than copying
    # it here. Patch ``talkrig.core.dsp.fft._pfft``, not ``dsp._pfft``.
    if name == "_pfft":
        return _fft._pfft
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
