"""The one entry point: audio (+ text, emotion, style) -> :class:`Performance`.

The CLI, the batch runner and the Blender operators all call :func:`bake`; none of them
re-implements a stage. The stages, in order (each one a small function below, so new
layers slot in without touching the others):

1. **load** (:func:`load_speech`): decode the file, or check and resample a given
   :class:`Speech`, to 16 kHz mono; rejects files shorter than one frame.
2. **prosody** (:func:`~talkrig.core.speech.prosody.analyze_prosody`): loudness, F0,
   voicing, onsets, phrase breaks at the animation rate.
3. **speech layer** (:func:`speech_stage`): the mouth on ARKit-52. Today the loudness
   driver (:mod:`talkrig.core.face.loudness`); the phoneme driver (alignment, visemes,
   coarticulation) plugs in here, chosen by ``style.mode``.
4. **expression layers** (:func:`expression_stage`): emotion, eyes and head add ARKit
   weights and the 9 head/eye rotations here.
5. **compose** (:func:`assemble`): ARKit channels clipped to [0, 1], rotations (radians)
   appended, as :class:`FaceCurves` with ``FACE_CHANNELS``.

``Performance.info`` records what actually ran (``speech_driver``, notes about inputs that
no stage used yet), so callers can tell the user.
"""
from __future__ import annotations

import math
import os
from typing import Callable, Optional

import numpy as np

from ..rigs.arkit import FACE_CHANNELS, HEAD_EYE_NAMES, N_ARKIT
from .audio import TARGET_SR, load_audio, resample
from .curves import FaceCurves, Performance, Prosody, Speech, n_frames_for
from .errors import (AudioEmptyError, AudioNonFiniteError, AudioTooLongError, AudioTooShortError,
                     StyleError)
from .face.loudness import loudness_layer
from .speech.prosody import analyze_prosody
from .style import Style, as_style

MAX_DURATION_S = 4 * 3600.0
FPS_RANGE = (1.0, 240.0)
Progress = Optional[Callable[[float, str], None]]


def bake(audio, *, text: Optional[str] = None, emotion=None, style=None, fps: float = 30.0,
         seed: int = 0, progress: Progress = None,
         max_duration_s: float = MAX_DURATION_S) -> Performance:
    """Turn speech audio into face animation curves.

    Parameters
    ----------
    audio : str, os.PathLike or Speech
        An audio file (wav, flac, ogg, mp3; any rate and channels) or decoded speech.
    text : str, optional
        Transcript; used by the phoneme driver when it is available.
    emotion : optional
        Emotion specification; used by the emotion layer when it is available.
    style : Style or dict, optional
        Performance style (defaults when None).
    fps : float
        Frame rate of the curves, 1 to 240 (e.g. 24, 25, 29.97, 30, 60).
    seed : int
        Seed of every random choice (blinks, gaze, head); same inputs + seed = same curves.
    progress : callable, optional
        ``progress(fraction, message)`` with ``fraction`` rising from 0 to 1; an exception
        it raises aborts the bake (use that to cancel).
    max_duration_s : float
        Longest accepted audio in seconds.

    Returns
    -------
    Performance
        ``face``: FaceCurves with ``FACE_CHANNELS`` (52 ARKit weights in [0, 1], then 9
        rotations in radians), values float32 [shape=(n_frames_for(duration, fps), 61)];
        ``prosody``; ``phones`` / ``visemes`` when the phoneme driver ran; ``info``.

    Raises
    ------
    TalkrigError
        An AudioError for unusable audio, StyleError for bad settings.
    """
    report = _reporter(progress)
    fps = check_fps(fps)
    seed = check_seed(seed)
    style = as_style(style)
    info = {"fps": fps, "seed": seed, "style": style.to_dict(), "notes": []}

    report(0.0, "loading audio")
    speech = load_speech(audio, fps=fps, max_duration_s=max_duration_s)
    info.update(duration_s=speech.duration, source=speech.source)

    report(0.15, "analysing prosody")
    prosody = analyze_prosody(speech, fps=fps)
    n_frames = n_frames_for(speech.duration, fps)

    report(0.4, "animating the mouth")
    mouth, phones, visemes = speech_stage(speech, prosody, text=text, style=style,
                                          n_frames=n_frames, info=info)

    report(0.7, "adding expression")
    arkit, rotations = expression_stage(mouth, prosody, emotion=emotion, style=style,
                                        seed=seed, n_frames=n_frames, info=info)

    report(0.9, "composing curves")
    face = assemble(arkit, rotations, fps=fps)
    report(1.0, "done")
    return Performance(face=face, visemes=visemes, phones=phones, prosody=prosody, info=info)


def check_fps(fps) -> float:
    """Validate a frame rate; returns it as float."""
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise StyleError(f"fps must be a number, got {fps!r}") from None
    if not (math.isfinite(value) and FPS_RANGE[0] <= value <= FPS_RANGE[1]):
        raise StyleError(f"fps={fps!r} is out of range; use {FPS_RANGE[0]:g} to {FPS_RANGE[1]:g} "
                         "(e.g. 24, 25, 29.97, 30 or 60)")
    return value


def check_seed(seed) -> int:
    """Validate a seed (a non-negative integer)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise StyleError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def load_speech(audio, *, fps: float, max_duration_s: float = MAX_DURATION_S) -> Speech:
    """Stage 1: a path is decoded; a Speech is checked and brought to 16 kHz mono float32."""
    if isinstance(audio, (str, os.PathLike)):
        return load_audio(audio, sr=TARGET_SR, min_duration_s=1.0 / fps,
                          max_duration_s=max_duration_s)
    if not isinstance(audio, Speech):
        raise AudioEmptyError(f"audio must be a file path or a Speech, got {type(audio).__name__}; "
                              "pass the path of a wav, flac, ogg or mp3 file")
    x = np.asarray(audio.samples, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1, dtype=np.float32)
    if x.ndim != 1 or x.size == 0:
        raise AudioEmptyError("the given Speech holds no samples; give audio with speech in it")
    if not np.isfinite(x).all():
        raise AudioNonFiniteError("the given Speech holds NaN or infinite samples; repair the audio")
    if not np.any(np.abs(x) > 1e-6):
        raise AudioEmptyError("the given Speech is silent; check the recording level")
    duration = x.size / float(audio.sr)
    if duration < 1.0 / fps:
        raise AudioTooShortError(f"the given Speech is {duration * 1000:.1f} ms long, shorter than "
                                 f"one frame at {fps:g} fps; give longer audio")
    if duration > max_duration_s:
        raise AudioTooLongError(f"the given Speech is {duration:.1f} s long, over the limit of "
                                f"{max_duration_s:.1f} s; split it or raise max_duration_s")
    if audio.sr != TARGET_SR:
        x = resample(x, sr_in=audio.sr, sr_out=TARGET_SR)
    return Speech(samples=x, sr=TARGET_SR, source=audio.source,
                  source_sr=audio.source_sr or audio.sr, source_channels=audio.source_channels or 1)


def speech_stage(speech: Speech, prosody: Prosody, *, text, style: Style, n_frames: int,
                 info: dict):
    """Stage 3: mouth weights float32 [n_frames, 52], plus phones and visemes (or None).

    The loudness driver runs for every mode today; the phoneme driver slots in here for
    ``style.mode`` "phonemes" / "auto" and records itself in ``info["speech_driver"]``.
    """
    if style.mode != "loudness":
        info["notes"].append(f"style mode {style.mode!r}: phoneme timing is not wired into the "
                             "pipeline yet, the loudness driver was used")
    if text:
        info["notes"].append("the transcript was not used (loudness driver)")
    mouth = loudness_layer(prosody, style=style)
    info["speech_driver"] = "loudness"
    return _fit_frames(mouth, n_frames), None, None


def expression_stage(mouth: np.ndarray, prosody: Prosody, *, emotion, style: Style, seed: int,
                     n_frames: int, info: dict):
    """Stage 4: add emotion, eye and head layers; returns (arkit [n, 52], rotations [n, 9]).

    Layers add to the mouth weights (region mixing lives in ``face.compose``); rotations are
    radians in ``HEAD_EYE_NAMES`` order.
    """
    arkit = np.array(mouth, dtype=np.float32, copy=True)
    rotations = np.zeros((n_frames, len(HEAD_EYE_NAMES)), dtype=np.float32)
    if emotion is not None:
        info["notes"].append("the emotion specification was not used: the emotion layer is not "
                             "wired into the pipeline yet")
    return arkit, rotations


def assemble(arkit: np.ndarray, rotations: np.ndarray, *, fps: float) -> FaceCurves:
    """Stage 5: ARKit weights clipped to [0, 1] followed by rotations -> FaceCurves (61 ch)."""
    arkit = np.asarray(arkit, dtype=np.float32)
    rotations = np.asarray(rotations, dtype=np.float32)
    if arkit.shape[1] != N_ARKIT or rotations.shape != (arkit.shape[0], len(HEAD_EYE_NAMES)):
        raise ValueError(f"cannot assemble ARKit {arkit.shape} with rotations {rotations.shape}")
    values = np.concatenate([np.clip(arkit, 0.0, 1.0), rotations], axis=1)
    return FaceCurves(FACE_CHANNELS, fps, values)


def _fit_frames(x: np.ndarray, n_frames: int) -> np.ndarray:
    """Pad (repeat last row) or cut a layer to exactly ``n_frames`` rows."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) >= n_frames:
        return x[:n_frames]
    pad = np.repeat(x[-1:] if len(x) else np.zeros((1, x.shape[1]), np.float32),
                    n_frames - len(x), axis=0)
    return np.concatenate([x, pad])


def _reporter(progress: Progress):
    """Wrap the user's callback so fractions never go backwards."""
    if progress is None:
        return lambda fraction, message: None
    if not callable(progress):
        raise StyleError(f"progress must be a callable progress(fraction, message), got {progress!r}")
    state = {"last": 0.0}

    def report(fraction: float, message: str) -> None:
        state["last"] = max(state["last"], min(1.0, float(fraction)))
        progress(state["last"], message)
    return report
