"""Decode speech files into 16 kHz mono float32 :class:`~talkrig.core.curves.Speech`.

Any format the bundled libsndfile reads works (WAV, FLAC, OGG/Vorbis, MP3 with
libsndfile >= 1.1), at any sample rate and channel count. Channels are averaged to mono,
then a polyphase filter (:func:`talkrig.core.dsp.resample_poly`, bit-identical to
``scipy.signal.resample_poly`` without importing scipy) converts the rate.

Long files are decoded and resampled in blocks: only one block of the source rate is held
at a time, plus the output at 16 kHz (230 MB for one hour), so memory stays bounded. The
block-wise result equals a whole-signal ``resample_poly`` call to float32 precision,
because every block is filtered with enough neighbouring samples on each side.

Every failure is a specific :class:`~talkrig.core.errors.AudioError` with a message that
says what was wrong and what to do; no raw library traceback reaches the user.
"""
from __future__ import annotations

import math
import os
import struct

import numpy as np

from .curves import Speech
from .dsp import resample_poly
from .errors import (AudioDecodeError, AudioEmptyError, AudioNonFiniteError, AudioNotFoundError,
                     AudioTooLongError, AudioTooShortError)

TARGET_SR = 16000
#: Source-rate frames decoded per block (about 5.5 s at 48 kHz).
BLOCK_FRAMES = 1 << 18
#: Peak level at or below which a file counts as all-silent (about -120 dBFS).
SILENCE_PEAK = 1e-6
#: Half length, in source samples, of the context each block keeps around it; resample_poly's
#: default Kaiser filter spans 10 * max(up, down) taps of the upsampled signal each side.
_MIN_CONTEXT = 64


def resample(x: np.ndarray, *, sr_in: int, sr_out: int) -> np.ndarray:
    """Convert a mono signal's sample rate with a polyphase FIR filter.

    Parameters
    ----------
    x : np.ndarray [shape=(n,)]
        Samples at ``sr_in`` Hz.
    sr_in, sr_out : int
        Input and output sample rates in Hz (positive integers).

    Returns
    -------
    np.ndarray [shape=(ceil(n * sr_out / sr_in),), dtype=float32]
        The resampled signal (a float32 copy of ``x`` when the rates are equal).
    """
    up, down = _ratio(sr_in, sr_out)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"resample expects a 1-D signal, got shape {x.shape}")
    if up == down:
        return x.copy()
    return np.asarray(resample_poly(x, up, down), dtype=np.float32)


def _ratio(sr_in: int, sr_out: int) -> tuple[int, int]:
    sr_in, sr_out = int(sr_in), int(sr_out)
    if sr_in <= 0 or sr_out <= 0:
        raise ValueError(f"sample rates must be positive, got {sr_in} -> {sr_out}")
    g = math.gcd(sr_in, sr_out)
    return sr_out // g, sr_in // g


class _StreamResampler:
    """Block-wise ``resample_poly`` that matches the whole-signal result.

    Blocks are cut at multiples of ``down`` source samples so every output boundary falls
    on an integer output index, and each block is filtered with ``context`` real samples
    on both sides (the true edges get the same zero padding resample_poly uses).
    """

    def __init__(self, up: int, down: int):
        self.up, self.down = up, down
        half = 10 * max(up, down) / up + 2          # filter half length in source samples
        self.context = down * math.ceil(max(half, _MIN_CONTEXT) / down)
        self.history = np.zeros(0, np.float32)      # already processed, <= context samples
        self.pending = np.zeros(0, np.float32)      # not yet processed

    def _run(self, seg_end: int, final: bool) -> np.ndarray:
        seg = np.concatenate([self.history, self.pending[:seg_end]])
        y = resample_poly(seg, self.up, self.down).astype(np.float32, copy=False)
        off = len(self.history) * self.up // self.down
        if final:
            return y[off:]
        n = seg_end - self.context
        return y[off:off + n * self.up // self.down]

    def feed(self, block: np.ndarray) -> np.ndarray:
        """Add source samples; return the output samples that are now final."""
        if self.up == self.down:
            return block
        self.pending = np.concatenate([self.pending, block])
        n = ((len(self.pending) - self.context) // self.down) * self.down
        if n <= 0:
            return np.zeros(0, np.float32)
        out = self._run(n + self.context, final=False)
        done = np.concatenate([self.history, self.pending[:n]])
        self.history = done[-self.context:] if len(done) > self.context else done
        self.pending = self.pending[n:]
        return out

    def finish(self) -> np.ndarray:
        """Flush the remaining samples (zero padded at the end, as resample_poly does)."""
        if self.up == self.down or len(self.pending) == 0:
            return np.zeros(0, np.float32)
        return self._run(len(self.pending), final=True)


def _wav_truncation(path: str) -> str | None:
    """Return a description if a RIFF/WAVE file's data chunk is cut short, else None."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            pos = 12
            while pos + 8 <= size:
                fh.seek(pos)
                cid, csize = struct.unpack("<4sI", fh.read(8))
                if cid == b"data":
                    if csize in (0, 0xFFFFFFFF):    # streaming writers leave it unset
                        return None
                    have = size - pos - 8
                    if have < csize:
                        return f"its data chunk declares {csize} bytes but only {have} are present"
                    return None
                pos += 8 + csize + (csize & 1)
    except OSError:
        return None
    return None


def load_audio(path, *, sr: int = TARGET_SR, min_duration_s: float = 0.0,
               max_duration_s: float = 4 * 3600.0) -> Speech:
    """Decode an audio file to mono float32 at ``sr`` Hz.

    Parameters
    ----------
    path : str or os.PathLike
        WAV, FLAC, OGG/Vorbis or MP3 file (anything libsndfile decodes), any rate and
        channel count.
    sr : int
        Output sample rate in Hz.
    min_duration_s : float
        Shortest accepted duration in seconds (the pipeline passes ``1 / fps``).
    max_duration_s : float
        Longest accepted duration in seconds (checked before decoding when the header
        gives a length, and again while decoding).

    Returns
    -------
    Speech
        ``samples`` float32 [shape=(n,)] in [-1, 1] at ``sr`` Hz, plus ``source``,
        ``source_sr`` and ``source_channels``.

    Raises
    ------
    AudioNotFoundError, AudioDecodeError, AudioEmptyError, AudioNonFiniteError,
    AudioTooShortError, AudioTooLongError
    """
    try:
        import soundfile as sf
    except ImportError as exc:                      # pragma: no cover - a broken install
        raise AudioDecodeError(f"cannot decode audio: the soundfile module is missing ({exc}); "
                               "install it with 'pip install soundfile'") from None
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioNotFoundError(f"audio file not found: '{path}'; check the path")
    if not os.path.isfile(path):
        raise AudioNotFoundError(f"audio path is not a file: '{path}'; give an audio file")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".mp3" and "MP3" not in sf.available_formats():
        raise AudioDecodeError(
            f"cannot decode '{path}': this libsndfile ({sf.__libsndfile_version__}) has no MP3 "
            "support; upgrade soundfile (>= 0.12 bundles libsndfile >= 1.1) or convert to WAV/FLAC")
    cut = _wav_truncation(path)
    if cut:
        raise AudioDecodeError(f"cannot decode '{path}': the file is truncated ({cut}); "
                               "re-export or re-download it")
    try:
        fh = sf.SoundFile(path)
    except Exception as exc:                        # libsndfile reports everything as errors
        raise AudioDecodeError(
            f"cannot decode '{path}' as audio ({_short(exc)}); use a WAV, FLAC, OGG or MP3 file") from None
    with fh:
        src_sr, channels, declared = int(fh.samplerate), int(fh.channels), int(fh.frames)
        if declared > 0 and declared / src_sr > max_duration_s:
            raise AudioTooLongError(_too_long(path, declared / src_sr, max_duration_s))
        samples, decoded, peak = _decode(fh, path, src_sr, sr, max_duration_s)
    # MP3 lengths from a Xing header are close but not exact; a real cut loses far more.
    if declared > 0 and decoded < declared * 0.98 - 1:
        raise AudioDecodeError(
            f"cannot decode '{path}': the file is truncated (header says {declared} frames, "
            f"only {decoded} decode); re-export or re-download it")
    if decoded == 0:
        raise AudioEmptyError(f"audio file '{path}' holds no samples; give a file with speech in it")
    duration = decoded / src_sr
    if duration < min_duration_s:
        raise AudioTooShortError(
            f"audio file '{path}' is {duration * 1000:.1f} ms long, shorter than one animation "
            f"frame ({min_duration_s * 1000:.1f} ms); give a longer file or a higher fps")
    if peak <= SILENCE_PEAK:
        raise AudioEmptyError(f"audio file '{path}' is silent (peak level {peak:.2g}); "
                              "check the recording level or pick the right file")
    return Speech(samples=samples, sr=int(sr), source=path, source_sr=src_sr,
                  source_channels=channels)


def _decode(fh, path: str, src_sr: int, sr: int, max_duration_s: float):
    """Read blocks, mix to mono, check values, resample; return (samples, frames, peak)."""
    up, down = _ratio(src_sr, sr)
    rs = _StreamResampler(up, down)
    est = max(int(fh.frames), 0) * up // down + 16
    out = np.empty(est, np.float32)
    n_out = decoded = 0
    peak = 0.0

    def put(y):
        nonlocal out, n_out
        if n_out + len(y) > len(out):
            grown = np.empty(max(int(len(out) * 1.25), n_out + len(y)) + 1024, np.float32)
            grown[:n_out] = out[:n_out]
            out = grown
        out[n_out:n_out + len(y)] = y
        n_out += len(y)

    while True:
        try:
            block = fh.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
        except Exception as exc:
            raise AudioDecodeError(
                f"cannot decode '{path}': decoding failed after {decoded / src_sr:.2f} s "
                f"({_short(exc)}); the file is corrupt or truncated, re-export it") from None
        if len(block) == 0:
            break
        if not np.isfinite(block).all():
            bad = decoded + int(np.argmin(np.isfinite(block).all(axis=1)))
            raise AudioNonFiniteError(
                f"audio file '{path}' holds NaN or infinite samples (first at {bad / src_sr:.3f} s); "
                "re-export it as 16-bit PCM or repair the float data")
        decoded += len(block)
        if decoded / src_sr > max_duration_s:
            raise AudioTooLongError(_too_long(path, decoded / src_sr, max_duration_s, at_least=True))
        peak = max(peak, float(np.max(np.abs(block))))
        mono = block[:, 0] if block.shape[1] == 1 else block.mean(axis=1, dtype=np.float32)
        put(rs.feed(np.ascontiguousarray(mono, dtype=np.float32)))
    put(rs.finish())
    samples = out[:n_out]
    if len(out) - n_out > 0.02 * len(out) + 1024:
        samples = samples.copy()
    return samples, decoded, peak


def _too_long(path: str, dur: float, limit: float, at_least: bool = False) -> str:
    more = "at least " if at_least else ""
    return (f"audio file '{path}' is {more}{dur:.1f} s long, over the limit of {limit:.1f} s; "
            "split it into parts or raise the limit (max_duration_s / --max-duration)")


def _short(exc: Exception) -> str:
    msg = " ".join(str(exc).split())
    return msg[:200] or type(exc).__name__
