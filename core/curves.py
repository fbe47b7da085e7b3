"""The data boundary: plain frozen dataclasses of numpy arrays.

Nothing here knows about Blender. Times are in seconds, frame ``i`` of a curve set
sits at ``t = i / fps``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .errors import CurveFormatError


from .timebase import n_frames_for  # noqa: E402,F401  (re-exported: the frame count lives with the time base)


@dataclass(frozen=True)
class FaceCurves:
    """Face animation: one column per channel.

    Parameters
    ----------
    names : tuple of str
        Channel names (ARKit-52 names first, then optional head/eye rotation channels
        ``HeadYaw`` ... ``RightEyeRoll`` in radians).
    fps : float
        Frames per second (any positive value, e.g. 29.97).
    values : np.ndarray [shape=(n_frames, n_channels), dtype=float32]
        Blendshape weights in [0, 1] (rotations in radians).
    """

    names: tuple
    fps: float
    values: np.ndarray

    def __post_init__(self):
        vals = np.asarray(self.values, dtype=np.float32)
        if vals.ndim != 2 or vals.shape[1] != len(self.names):
            raise CurveFormatError(
                f"values must have shape (n_frames, {len(self.names)}), got {vals.shape}")
        if not (self.fps > 0 and np.isfinite(self.fps)):
            raise CurveFormatError(f"fps must be a positive number, got {self.fps!r}")
        vals.setflags(write=False)
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "fps", float(self.fps))
        object.__setattr__(self, "values", vals)

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])

    @property
    def times(self) -> np.ndarray:
        """Time of each frame in seconds [shape=(n_frames,)]."""
        return np.arange(self.n_frames, dtype=np.float64) / self.fps

    def channel(self, name: str) -> np.ndarray:
        """One channel's values [shape=(n_frames,)]; KeyError if absent."""
        return self.values[:, self.names.index(name)]

    def with_values(self, values: np.ndarray) -> "FaceCurves":
        return FaceCurves(self.names, self.fps, values)


@dataclass(frozen=True)
class Speech:
    """Decoded speech: float32 mono at ``sr`` Hz plus where it came from."""

    samples: np.ndarray
    sr: int
    source: str = ""
    source_sr: int = 0
    source_channels: int = 0

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sr)


@dataclass(frozen=True)
class PhoneTrack:
    """Timed phones (ARPAbet without stress digits, 'sil' for silence).

    phones, words : tuple of str; starts, ends : float64 arrays in seconds.
    ``source`` says how the timing was obtained ('align', 'recognize', 'recognize:mismatch',
    'none'); ``note`` says why in words (e.g. why a transcript was rejected).
    ``emphasis`` holds per phone 1.0 where its word was marked ``*emphasised*`` in the
    transcript, else 0.0 (or () if nothing was marked).
    """

    phones: tuple
    starts: np.ndarray
    ends: np.ndarray
    words: tuple
    source: str = "none"
    stress: tuple = ()          # per phone 0/1/2 lexical stress, or () if unknown
    emphasis: tuple = ()        # per phone 1.0 if its word was marked emphasised, else 0.0
    note: str = ""              # human-readable detail about fallbacks
    warnings: tuple = ()        # structured warnings of the timing stage: (code, message) pairs
    recognizer: str = ""        # which recogniser timed the phones without a transcript, and why

    def __len__(self) -> int:
        return len(self.phones)


@dataclass(frozen=True)
class VisemeTrack:
    """Per-frame weights of the 15 Oculus/Meta visemes."""

    names: tuple
    fps: float
    values: np.ndarray          # float32 [n_frames, 15]


@dataclass(frozen=True)
class Prosody:
    """Frame-rate speech features shared by every stage.

    loudness : float32 [n_frames] in [0, 1] (normalised), f0 : Hz (0 where unvoiced),
    voicing : float32 [n_frames] in [0, 1], onsets : seconds, phrase_breaks : (start, end) s.
    """

    fps: float
    loudness: np.ndarray
    f0: np.ndarray
    voicing: np.ndarray
    onsets: np.ndarray
    phrase_breaks: np.ndarray   # float64 [n_breaks, 2]
    loudness_db: Optional[np.ndarray] = None


#: SMPL-X joint count (body 22 + jaw + 2 eyes + 2 x 15 finger joints).
SMPLX_N_JOINTS = 55


@dataclass(frozen=True)
class BodyCurves:
    """Body animation on the SMPL-X skeleton (names and parents in ``rigs.skeletons.smplx``).

    Parameters
    ----------
    joint_names : tuple of str
        The 55 SMPL-X joint names in SMPL-X order.
    fps : float
        Frames per second.
    rotations : np.ndarray [shape=(n_frames, n_joints, 3), dtype=float32]
        Local joint rotations as axis-angle vectors (radians) in SMPL-X's Y-up frame,
        relative to the T-pose rest; fingers relative to a flat hand (``hand_convention``).
    translation : np.ndarray [shape=(n_frames, 3), dtype=float32]
        Root (pelvis) translation in metres, Y-up.
    hand_convention : str
        ``"flat"`` (zero finger rotation = straight fingers, SMPL-X ``flat_hand_mean=True``).
    gestures : tuple of (apex time s, side, name)
        The gestures the generator planned (for inspection and tests); () when unknown.
    """

    joint_names: tuple
    fps: float
    rotations: np.ndarray
    translation: np.ndarray
    hand_convention: str = "flat"
    gestures: tuple = ()

    def __post_init__(self):
        rot = np.asarray(self.rotations, dtype=np.float32)
        if rot.ndim != 3 or rot.shape[1] != len(self.joint_names) or rot.shape[2] != 3:
            raise CurveFormatError(f"rotations must have shape (n_frames, {len(self.joint_names)}, 3),"
                                   f" got {rot.shape}")
        trans = np.asarray(self.translation, dtype=np.float32)
        if trans.shape != (rot.shape[0], 3):
            raise CurveFormatError(f"translation must have shape ({rot.shape[0]}, 3), got {trans.shape}")
        if not (self.fps > 0 and np.isfinite(self.fps)):
            raise CurveFormatError(f"fps must be a positive number, got {self.fps!r}")
        rot.setflags(write=False)
        trans.setflags(write=False)
        object.__setattr__(self, "joint_names", tuple(self.joint_names))
        object.__setattr__(self, "fps", float(self.fps))
        object.__setattr__(self, "rotations", rot)
        object.__setattr__(self, "translation", trans)

    @property
    def n_frames(self) -> int:
        return int(self.rotations.shape[0])


@dataclass(frozen=True)
class FlameParams:
    """FLAME parameters per frame, for one model file.

    expression : float32 [n_frames, n_expression]; jaw_pose, neck_pose, leye_pose,
    reye_pose : float32 [n_frames, 3] axis-angle (radians); ``model_sha256`` names the model
    file the expression space belongs to (2020 and 2023 spaces differ).
    """

    fps: float
    expression: np.ndarray
    jaw_pose: np.ndarray
    neck_pose: np.ndarray
    leye_pose: np.ndarray
    reye_pose: np.ndarray
    model_sha256: str = ""

    def __post_init__(self):
        exp = np.asarray(self.expression, dtype=np.float32)
        if exp.ndim != 2:
            raise CurveFormatError(f"expression must be 2-D (n_frames, n_expression), got {exp.shape}")
        for name in ("jaw_pose", "neck_pose", "leye_pose", "reye_pose"):
            a = np.asarray(getattr(self, name), dtype=np.float32)
            if a.shape != (exp.shape[0], 3):
                raise CurveFormatError(f"{name} must have shape ({exp.shape[0]}, 3), got {a.shape}")
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        exp.setflags(write=False)
        object.__setattr__(self, "expression", exp)
        object.__setattr__(self, "fps", float(self.fps))

    @property
    def n_frames(self) -> int:
        return int(self.expression.shape[0])
