"""The time base: one frame grid per bake, and the one place a frame rate is checked.

Frame ``i`` sits at ``t = i / fps``; a take of ``duration`` seconds has
``floor(duration * fps) + 1`` frames (frames at 0, 1/fps, ... <= duration). Every layer
(speech, face, eyes, head, body, FLAME) works on the same :class:`FrameGrid`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import StyleError

#: Accepted frame rates (inclusive), frames per second.
FPS_RANGE = (1.0, 240.0)


def check_fps(fps) -> float:
    """Validate a frame rate (a number from 1 to 240); returns it as float.

    Raises
    ------
    StyleError
        Not a number, not finite or out of range; the message gives the accepted range.
    """
    if isinstance(fps, bool):
        raise StyleError(f"fps must be a number, got {fps!r}")
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise StyleError(f"fps must be a number, got {fps!r}") from None
    if not (math.isfinite(value) and FPS_RANGE[0] <= value <= FPS_RANGE[1]):
        raise StyleError(f"fps={fps!r} is out of range; use {FPS_RANGE[0]:g} to {FPS_RANGE[1]:g} "
                         "(e.g. 24, 25, 29.97, 30 or 60)")
    return value


def n_frames_for(duration_s: float, fps: float) -> int:
    """Number of frames that cover ``duration_s`` at ``fps``: frames at 0, 1/fps, ... <= duration."""
    return int(np.floor(duration_s * fps + 1e-6)) + 1


@dataclass(frozen=True)
class FrameGrid:
    """``n_frames`` frames at ``fps`` (checked once, here).

    Parameters
    ----------
    fps : float
        Frames per second, 1 to 240 (29.97 works).
    n_frames : int
        Number of frames (>= 1).
    """

    fps: float
    n_frames: int

    def __post_init__(self):
        object.__setattr__(self, "fps", check_fps(self.fps))
        n = self.n_frames
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise StyleError(f"a frame grid needs at least one frame, got n_frames={n!r}")
        object.__setattr__(self, "n_frames", int(n))

    @classmethod
    def for_duration(cls, duration_s: float, fps: float) -> "FrameGrid":
        """The grid that covers ``duration_s`` seconds at ``fps``."""
        fps = check_fps(fps)
        return cls(fps, n_frames_for(duration_s, fps))

    @property
    def duration(self) -> float:
        """Time of the last frame, seconds."""
        return (self.n_frames - 1) / self.fps

    @property
    def times(self) -> np.ndarray:
        """Time of each frame in seconds, float64 [shape=(n_frames,)]."""
        return np.arange(self.n_frames, dtype=np.float64) / self.fps

    def frame_at(self, t) -> np.ndarray:
        """Nearest frame index of each time ``t`` (seconds), clipped to the grid."""
        return np.clip(np.rint(np.asarray(t, dtype=np.float64) * self.fps), 0,
                       self.n_frames - 1).astype(np.int64)

    def fit(self, values: np.ndarray) -> np.ndarray:
        """Cut a per-frame array to ``n_frames`` rows, or pad it by repeating its last row."""
        x = np.asarray(values)
        if len(x) >= self.n_frames:
            return x[:self.n_frames]
        last = x[-1:] if len(x) else np.zeros((1,) + x.shape[1:], x.dtype)
        return np.concatenate([x, np.repeat(last, self.n_frames - len(x), axis=0)])

    def resample(self, values: np.ndarray, fps: float) -> np.ndarray:
        """Linear resampling of per-frame ``values`` [n, ...] taken at ``fps`` onto this grid."""
        x = np.asarray(values, dtype=np.float64)
        src = np.arange(len(x), dtype=np.float64) / check_fps(fps)
        flat = x.reshape(len(x), -1)
        out = np.stack([np.interp(self.times, src, flat[:, j]) for j in range(flat.shape[1])], axis=1)
        return out.reshape((self.n_frames,) + x.shape[1:])
