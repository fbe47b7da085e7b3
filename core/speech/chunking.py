"""Cutting long speech into pieces at pauses.

The aligner and the phoneme recogniser both work on bounded pieces: pocketsphinx's
alignment memory grows with length and fails more often on long utterances, and the
phoneme network is fastest on pieces of a few seconds (hama 1.7.0's engine also stops
after 30 s). Pieces are cut at the quietest point inside a pause, found from short-time
energy, so no word is split when the speaker pauses at all. A framed network hears each
piece with some context either side (:func:`with_context`) and keeps only the piece's own
frames, so a phone at a seam where the speaker did not pause is heard whole and emitted
once.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AudioError

HOP_S = 0.010               # energy frame hop (seconds)
SMOOTH_S = 0.200            # window over which a pause must stay quiet
DRIFT_DB_PER_S = 0.4        # penalty for cutting away from the target length


@dataclass(frozen=True)
class Chunk:
    """One piece of a longer signal: samples ``[start, end)``."""

    start: int
    end: int

    def seconds(self, sr: int) -> tuple:
        return self.start / sr, self.end / sr


def frame_energy_db(samples: np.ndarray, sr: int, *, hop_s: float = HOP_S,
                    block_frames: int = 100_000) -> np.ndarray:
    """Short-time energy in dB, one value per ``hop_s`` frame.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,), dtype=float32]
        Mono signal in [-1, 1].
    sr : int
        Sample rate in Hz.

    Returns
    -------
    np.ndarray [shape=(ceil(n / hop),), dtype=float32]
        ``10 * log10(mean square + 1e-10)``; computed block by block so memory stays
        bounded for hour-long input.
    """
    hop = max(1, int(round(hop_s * sr)))
    n = len(samples)
    n_frames = (n + hop - 1) // hop
    out = np.empty(n_frames, dtype=np.float32)
    for f0 in range(0, n_frames, block_frames):
        f1 = min(n_frames, f0 + block_frames)
        seg = np.asarray(samples[f0 * hop:f1 * hop], dtype=np.float32)
        if len(seg) < (f1 - f0) * hop:
            seg = np.pad(seg, (0, (f1 - f0) * hop - len(seg)))
        ms = np.mean(np.square(seg.reshape(f1 - f0, hop), dtype=np.float32), axis=1)
        out[f0:f1] = 10.0 * np.log10(ms + 1e-10)
    return out


def pause_profile(energy_db: np.ndarray, *, hop_s: float = HOP_S,
                  smooth_s: float = SMOOTH_S) -> np.ndarray:
    """Energy averaged over ``smooth_s`` around each frame (low = inside a long pause)."""
    width = max(1, int(round(smooth_s / hop_s)))
    kernel = np.ones(width, dtype=np.float32) / width
    return np.convolve(energy_db, kernel, mode="same").astype(np.float32)


def split_at_pauses(samples: np.ndarray, sr: int, *, min_s: float = 8.0,
                    max_s: float = 25.0, target_s: float = 15.0) -> list:
    """Cut a signal into pieces of ``min_s``..``max_s`` seconds at pauses.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,), dtype=float32]
        Mono signal.
    sr : int
        Sample rate in Hz.
    min_s, max_s : float
        Shortest and longest piece in seconds (the last piece may be shorter).
    target_s : float
        Preferred length: among equally quiet points the one nearest this length wins.

    Returns
    -------
    list of Chunk
        Contiguous pieces covering ``[0, n)`` without gaps or overlaps. A signal no
        longer than ``max_s`` is one piece.

    Raises
    ------
    AudioError
        If ``min_s``/``max_s`` are not positive and ordered.
    """
    if not (0 < min_s < max_s):
        raise AudioError(f"chunk limits must satisfy 0 < min_s < max_s, got {min_s}, {max_s}")
    n = len(samples)
    if n <= max_s * sr:
        return [Chunk(0, n)]
    hop = int(round(HOP_S * sr))
    profile = pause_profile(frame_energy_db(samples, sr))
    n_frames = len(profile)
    min_f, max_f = int(min_s / HOP_S), int(max_s / HOP_S)
    target_f = int(np.clip(target_s, min_s, max_s) / HOP_S)
    cuts, start_f = [], 0
    while n_frames - start_f > max_f:
        lo = start_f + min_f
        hi = min(start_f + max_f, n_frames - min_f)
        if hi <= lo:                      # remainder too short to split twice
            hi = lo + 1
        window = profile[lo:hi]
        drift = np.abs(np.arange(lo, hi) - (start_f + target_f)) * (HOP_S * DRIFT_DB_PER_S)
        cut_f = lo + int(np.argmin(window + drift))
        cuts.append(cut_f)
        start_f = cut_f
    bounds = [0] + [min(n, f * hop + hop // 2) for f in cuts] + [n]
    return [Chunk(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as little-endian 16-bit PCM bytes (clipped)."""
    x = np.asarray(samples, dtype=np.float32)
    return (np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def has_digital_silence(samples: np.ndarray, *, run: int = 80) -> bool:
    """Whether the signal holds a run of at least ``run`` samples that are exactly zero
    in 16-bit PCM (digital silence, as synthetic voices write stop closures and pauses).

    pocketsphinx's front end takes the log of each frame's energy; frames of exact zeros
    break its alignment (no path found, or far worse scores), so such signals are dithered
    before decoding.
    """
    z = np.abs(np.asarray(samples, dtype=np.float32)) < 0.5 / 32767.0
    if not z.any():
        return False
    edges = np.flatnonzero(np.diff(np.r_[0, z.view(np.int8), 0]))
    return bool(np.max(edges[1::2] - edges[0::2]) >= run)


def speech_frames(energy_db: np.ndarray, *, margin_db: float = 30.0,
                  floor_db: float = -60.0) -> np.ndarray:
    """Boolean mask of frames loud enough to hold speech.

    A frame counts as speech if it is within ``margin_db`` of the loud end of the signal
    (99th percentile) and above ``floor_db`` absolute (digital silence never counts).
    """
    if energy_db.size == 0:
        return np.zeros(0, dtype=bool)
    top = float(np.percentile(energy_db, 99))
    return (energy_db > top - margin_db) & (energy_db > floor_db)


def merge_segments(pieces) -> tuple:
    """Concatenate per-chunk timed phones, merging silences that meet at a seam.

    Parameters
    ----------
    pieces : iterable of list of (phone, start_s, end_s, word)
        Each chunk's phones with times already offset to the whole signal, in order.

    Returns
    -------
    list of (phone, start_s, end_s, word)
        One contiguous track: gaps are filled with 'sil', adjacent 'sil' merge, a phone
        that starts before the previous one ended is clipped to start there (and dropped
        only if nothing of it is left).
    """
    out = []
    for piece in pieces:
        for ph, s, e, w, *rest in piece:
            if out:
                pph, ps, pe, pw, *prest = out[-1]
                if s > pe + 1e-6:
                    if pph == "sil":
                        out[-1] = (pph, ps, s, pw, *prest)
                        pe = s
                    else:
                        out.append(("sil", pe, s, "", *([-1] * len(rest))))
                        pph, pe = "sil", s
                s = max(s, pe)
                if ph == "sil" and pph == "sil":
                    out[-1] = (pph, out[-1][1], max(e, pe), pw, *out[-1][4:])
                    continue
            if e - s > 1e-6:
                out.append((ph, s, e, w, *rest))
    return out


@dataclass(frozen=True)
class Heard:
    """What a framed network hears for one piece: samples ``[lo, hi)`` of the signal (the
    piece plus context either side); the piece's own output frames are
    ``[skip, skip + keep)`` of the network's output."""

    lo: int
    hi: int
    skip: int
    keep: int


def with_context(chunk: Chunk, n: int, *, context: int, hop: int) -> Heard:
    """The stretch a network with output hop ``hop`` (samples) hears for ``chunk``.

    Parameters
    ----------
    chunk : Chunk
        The piece, samples ``[start, end)`` of a signal of ``n`` samples.
    context : int
        Samples of neighbouring audio to add either side (fewer at the signal's ends).
    hop : int
        Samples per output frame; ``lo`` is a multiple of it, so every frame lies on one
        grid over the whole signal (frame ``g`` at sample ``g * hop``).

    Returns
    -------
    Heard
        Consecutive chunks own consecutive, disjoint frame ranges of that grid: frame
        ``g`` belongs to the chunk with ``start <= g * hop < end``. A phone at a seam is
        heard whole by both pieces and emitted by the one owning its frame.
    """
    if context < 0 or hop < 1:
        raise AudioError(f"context must be >= 0 and hop >= 1, got {context}, {hop}")
    lo = max(0, chunk.start - context) // hop * hop
    hi = min(n, chunk.end + context)
    first = -(-(chunk.start - lo) // hop)            # ceil: first frame at or after start
    stop = -(-(chunk.end - lo) // hop)               # frames before end
    return Heard(lo=lo, hi=hi, skip=first, keep=max(0, stop - first))
