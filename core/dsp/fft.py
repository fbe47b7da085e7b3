"""Real FFTs through scipy's own compiled ``pypocketfft`` extension, loaded from its file
without running the ``scipy.fft`` package (:func:`rfft`, :func:`irfft`, :func:`next_fast_len`
match ``scipy.fft`` bit for bit). The loaded module is cached in this module's ``_pfft`` (the
only copy of that state: :mod:`talkrig.core.dsp` forwards ``dsp._pfft`` here), and an import
hook hands the same module object to a later ``import scipy.fft``, since loading the pybind11
extension twice crashes CPython 3.11 at exit. Without the file, ``scipy.fft`` is imported.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

import numpy as np

_SCIPY_PFFT = "scipy.fft._pocketfft.pypocketfft"
_pfft = None


class _SharedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Gives a later ``import scipy.fft`` the pypocketfft module loaded here, instead of
    a second copy of the same extension (CPython 3.11 aborts at exit with two)."""

    def __init__(self, name: str, module):
        self.name, self.module = name, module

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin=self.module.__file__)

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        return None


def _load_pocketfft():
    """scipy's pypocketfft module, loaded without running ``scipy.fft``'s ``__init__``."""
    global _pfft
    if _pfft is not None:
        return _pfft
    mod = sys.modules.get(_SCIPY_PFFT)
    if mod is None:
        try:
            spec = importlib.machinery.PathFinder.find_spec("scipy")
            path = None
            for root in (spec.submodule_search_locations or []) if spec else []:
                for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                    cand = os.path.join(root, "fft", "_pocketfft", "pypocketfft" + suffix)
                    if os.path.isfile(cand):
                        path = cand
                        break
                if path:
                    break
            if path is None:
                raise ImportError("pypocketfft not found")
            fspec = importlib.util.spec_from_file_location(
                "_talkrig_pocketfft.pypocketfft", path)
            mod = importlib.util.module_from_spec(fspec)
            fspec.loader.exec_module(mod)
            # scipy.fft may have come in meanwhile (another thread): prefer its copy
            if _SCIPY_PFFT in sys.modules:
                mod = sys.modules[_SCIPY_PFFT]
            else:
                sys.meta_path.insert(0, _SharedModuleFinder(_SCIPY_PFFT, mod))
        except Exception:                                   # pragma: no cover
            import scipy.fft._pocketfft.pypocketfft as mod  # noqa: F811
    _pfft = mod
    return mod


def _asfarray(x) -> np.ndarray:
    """scipy.fft._pocketfft.helper._asfarray."""
    x = np.asarray(x)
    if x.dtype == np.float16:
        return np.asarray(x, np.float32)
    if x.dtype.kind not in "fc":
        return np.asarray(x, np.float64)
    dtype = x.dtype.newbyteorder("=")
    if not x.flags["ALIGNED"]:
        return np.array(x, dtype=dtype, copy=True)
    return np.asarray(x, dtype=dtype)


def _fix_shape_1d(x: np.ndarray, n: int, axis: int) -> np.ndarray:
    """scipy.fft._pocketfft.helper._fix_shape_1d."""
    if n < 1:
        raise ValueError(f"invalid number of data points ({n}) specified")
    index = [slice(None)] * x.ndim
    if x.shape[axis] >= n:
        index[axis] = slice(0, n)
        return x[tuple(index)]
    index[axis] = slice(0, x.shape[axis])
    s = list(x.shape)
    s[axis] = n
    z = np.zeros(s, x.dtype)
    z[tuple(index)] = x[tuple(index)]
    return z


def next_fast_len(target: int, real: bool = False) -> int:
    """``scipy.fft.next_fast_len(target, real)``."""
    return _load_pocketfft().good_size(int(target), bool(real))


def rfft(x, n=None, axis: int = -1) -> np.ndarray:
    """``scipy.fft.rfft(x, n, axis)`` (norm "backward", one worker)."""
    tmp = _asfarray(x)
    if not np.isrealobj(tmp):
        raise TypeError("x must be a real sequence")
    if n is not None:
        tmp = _fix_shape_1d(tmp, int(n), axis)
    elif tmp.shape[axis] < 1:
        raise ValueError(f"invalid number of data points ({tmp.shape[axis]}) specified")
    return _load_pocketfft().r2c(tmp, (axis,), True, 0, None, 1)


def irfft(x, n=None, axis: int = -1) -> np.ndarray:
    """``scipy.fft.irfft(x, n, axis)`` (norm "backward", one worker)."""
    tmp = _asfarray(x)
    if np.isrealobj(tmp):
        tmp = tmp + 0.j
    if n is None:
        n = (tmp.shape[axis] - 1) * 2
        if n < 1:
            raise ValueError(f"Invalid number of data points ({n}) specified")
    else:
        n = int(n)
        tmp = _fix_shape_1d(tmp, (n // 2) + 1, axis)
    return _load_pocketfft().c2r(tmp, (axis,), n, False, 2, None, 1)
