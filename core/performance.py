"""What one bake produces: :class:`Performance`, and :class:`BakeReport`, what ran and why.

The report is typed: callers read fields (``report.recognizer``, ``report.transcript``)
and iterate ``report.warnings`` (each a :class:`BakeWarning` with a stable ``code``),
instead of searching free-form note strings. The CLI prints the recogniser and every
warning; the batch report carries them per row; the panel shows the first warning.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from .curves import BodyCurves, FaceCurves, FlameParams, PhoneTrack, Prosody, VisemeTrack

#: ``BakeReport.transcript`` values.
TRANSCRIPT_STATES = ("none", "accepted", "replaced", "unused")


@dataclass(frozen=True)
class BakeWarning:
    """Something the user should know about a finished bake.

    code : str  stable identifier (``transcript-replaced``, ``no-speech``, ``silent-audio``,
    ``transcript-unused``, ``unknown-words``, ``recognizer-fallback``, ...)
    message : str  one sentence for people
    """

    code: str
    message: str

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class BakeReport:
    """What a bake did.

    Parameters
    ----------
    fps, seed : the frame rate and seed used.
    duration_s : float  length of the audio; source : str  its path ('' for in-memory speech).
    speech_driver : str  ``phonemes`` or ``loudness``.
    phone_source : str  how phones were timed: ``align`` (forced alignment to the
        transcript), ``recognize`` (recognition), ``recognize:mismatch`` (the transcript did
        not fit and recognition replaced it), ``none``.
    recognizer : str  which recogniser timed the phones (and why, when it was not the
        first choice); '' when the transcript was aligned or loudness drove the mouth.
    transcript : str  ``none`` (none given), ``accepted``, ``replaced`` (recognition used
        instead), ``unused`` (loudness mode).
    n_phones : int  phones other than silence.
    emotion : dict  the static emotion mix used (name -> intensity).
    auto_emotion : float  amount of the automatic emotion track.
    body, flame : bool  whether a body / FLAME parameters were made.
    flame_fit : dict  the ARKit -> FLAME fit of the model: per-shape relative error
        (``rel_error``), ``cannot_express``, ``not_transferred``, registration figures.
    warnings : tuple of BakeWarning.
    settings : dict  the bake's settings (``BakeSettings.to_dict()``).
    """

    fps: float = 30.0
    seed: int = 0
    duration_s: float = 0.0
    source: str = ""
    speech_driver: str = ""
    phone_source: str = "none"
    recognizer: str = ""
    transcript: str = "none"
    n_phones: int = 0
    emotion: dict = field(default_factory=dict)
    auto_emotion: float = 0.0
    body: bool = False
    flame: bool = False
    flame_fit: dict = field(default_factory=dict)
    warnings: tuple = ()
    settings: dict = field(default_factory=dict)

    def with_warning(self, code: str, message: str) -> "BakeReport":
        return replace(self, warnings=self.warnings + (BakeWarning(code, message),))

    def updated(self, **changes) -> "BakeReport":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain dict for JSON reports (warnings as ``{"code", "message"}``)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["warnings"] = [w.to_dict() for w in self.warnings]
        return out


@dataclass(frozen=True)
class Performance:
    """Everything one bake produces.

    face : FaceCurves (52 ARKit weights, then head and eye rotations); visemes : the
    15-viseme track (None in loudness mode); phones : the timed phones; prosody : frame
    features; body : BodyCurves on the SMPL-X skeleton when the body was asked for;
    flame : FlameParams when a FLAME model was given; report : what ran and why.
    """

    face: FaceCurves
    visemes: Optional[VisemeTrack] = None
    phones: Optional[PhoneTrack] = None
    prosody: Optional[Prosody] = None
    body: Optional[BodyCurves] = None
    flame: Optional[FlameParams] = None
    report: BakeReport = field(default_factory=BakeReport)

    @property
    def warnings(self) -> tuple:
        return self.report.warnings
