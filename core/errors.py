"""One error hierarchy for everything talkrig reports to a user.

Every message says what was wrong and what to do about it; callers (CLI, batch,
Blender operators) show ``str(err)`` as a single line.
"""
from __future__ import annotations


class TalkrigError(Exception):
    """Base class of every error talkrig raises on purpose."""


class AudioError(TalkrigError):
    """Base class for problems with an input audio file."""


class AudioNotFoundError(AudioError, FileNotFoundError):
    """The audio path does not exist or is not a file."""


class AudioDecodeError(AudioError):
    """The file exists but cannot be decoded (unknown format, truncated, corrupt)."""


class AudioEmptyError(AudioError):
    """The audio holds no samples, or only silence."""


class AudioNonFiniteError(AudioError):
    """The audio holds NaN or infinite samples."""


class AudioTooShortError(AudioError):
    """The audio is shorter than one animation frame."""


class AudioTooLongError(AudioError):
    """The audio is longer than the configured limit."""


class TranscriptError(TalkrigError):
    """The transcript is missing, unreadable, or does not match the audio."""


class AlignmentError(TalkrigError):
    """Phoneme timing could not be obtained."""


class CurveFormatError(TalkrigError):
    """A curve file (JSON, CSV, npz) is malformed or has the wrong layout."""


class RigMappingError(TalkrigError):
    """The target rig has no usable shape keys or bones for the requested curves."""


class EmotionSpecError(TalkrigError):
    """An emotion specification (names, intensities, timeline, text) is invalid."""


class StyleError(TalkrigError):
    """A style or bake setting (articulation, mode, fps, seed...) is invalid or out of range."""


class ExportError(TalkrigError):
    """Writing an output file failed (unwritable folder, exporter failure)."""


class BodyOptionError(StyleError):
    """A body (gesture) setting is invalid, or a body was asked of an output that cannot hold one."""


class FlameModelError(TalkrigError):
    """A FLAME (or SMPL-X) model file is missing, of the wrong layout, or cannot serve the request."""


class RetargetError(RigMappingError):
    """A target skeleton cannot take the body: no armature, no matching family, unmapped bones."""


class ModelRuntimeError(TalkrigError):
    """A shipped model or its runtime (onnxruntime) cannot be loaded on this platform."""
