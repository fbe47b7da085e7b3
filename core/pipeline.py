"""The one entry point: audio (+ text, emotion, style) -> :class:`Performance`.

The CLI, the batch runner and the Blender operators all call :func:`bake`; none of them
re-implements a stage. The stages, in order (each one a small function below, so new
layers slot in without touching the others):

1. **load** (:func:`load_speech`): decode the file, or check and resample a given
   :class:`Speech`, to 16 kHz mono; rejects files shorter than one frame.
2. **prosody** (:func:`~talkrig.core.speech.prosody.analyze_prosody`): loudness, F0,
   voicing, onsets, phrase breaks at the animation rate.
3. **speech layer** (:func:`speech_stage`): the mouth on ARKit-52 from timed phones
   (alignment or recognition, visemes, coarticulation), or from loudness alone
   (``style.mode == "loudness"``, :mod:`talkrig.core.face.loudness`).
4. **expression layers + compose** (:func:`expression_stage`): emotion per face region,
   blinks, gaze and head, composed by :mod:`talkrig.core.face.compose` with speech in
   charge of closures and openings, as :class:`FaceCurves` with ``FACE_CHANNELS``.

``Performance.info`` records what actually ran (``speech_driver``, notes about inputs that
no stage used yet), so callers can tell the user.
"""
from __future__ import annotations

import dataclasses
import math
import os
from typing import Callable, Optional

import numpy as np

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
         seed: int = 0, progress: Progress = None, region_balance=None,
         max_duration_s: float = MAX_DURATION_S) -> Performance:
    """Turn speech audio into face animation curves.

    Parameters
    ----------
    audio : str, os.PathLike or Speech
        An audio file (wav, flac, ogg, mp3; any rate and channels) or decoded speech.
    text : str, optional
        Transcript (``*word*`` marks emphasis); forced alignment when it fits the audio,
        phoneme recognition otherwise.
    emotion : EmotionSpec, str, dict or None
        Emotion mixture (``"happiness=0.8,surprise=0.3"``), per-region mixes and timeline.
    style : Style or dict, optional
        Performance style (defaults when None).
    fps : float
        Frame rate of the curves, 1 to 240 (e.g. 24, 25, 29.97, 30, 60).
    seed : int
        Seed of every random choice (blinks, gaze, head); same inputs + seed = same curves.
    region_balance : RegionBalance, optional
        Per-region emotion and speech strengths (like upper/lower face strength).
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

    report(0.2, "timing phonemes")
    mouth, phones, visemes = speech_stage(
        speech, prosody, text=text, style=style, n_frames=n_frames, info=info,
        progress=lambda f, msg: report(0.2 + 0.6 * f, msg))

    report(0.85, "adding emotion, eyes and head")
    face = expression_stage(mouth, prosody, emotion=emotion, style=style, seed=seed,
                            n_frames=n_frames, info=info, text=text, phones=phones,
                            region_balance=region_balance)
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
                 info: dict, progress: Progress = None):
    """Stage 3: mouth weights float32 [n_frames, 52], plus phones and visemes (or None).

    ``style.mode`` "loudness" uses the audio-level driver (:mod:`core.face.loudness`, also
    right for non-speech sounds); "phonemes" and "auto" time phones (forced alignment with a
    transcript, recognition without one or when the transcript does not fit) and drive the
    mouth by coarticulated visemes. ``info`` records the driver and how phones were timed.
    """
    if style.mode == "loudness":
        if text:
            info["notes"].append("the transcript is not used in loudness mode")
        info["speech_driver"] = "loudness"
        return _fit_frames(loudness_layer(prosody, style=style), n_frames), None, None
    from .face.coarticulation import speech_layer
    from .face.visemes import viseme_track
    from .speech.align import phone_track
    phones = phone_track(speech, text=text, progress=progress)
    info.update(speech_driver="phonemes", phone_source=phones.source,
                n_phones=int(sum(p != "sil" for p in phones.phones)))
    if phones.note:
        info["phone_note"] = phones.note
    if phones.source == "recognize:mismatch":
        info["notes"].append(phones.note)
    if info["n_phones"] == 0:
        info["notes"].append("no speech was found in the audio: the mouth stays at rest "
                             "(use style mode 'loudness' to drive it from the sound level)")
    mouth = speech_layer(phones, prosody, fps=prosody.fps, n_frames=n_frames, style=style)
    visemes = viseme_track(phones, fps=prosody.fps, n_frames=n_frames, style=style)
    return _fit_frames(mouth, n_frames), phones, visemes


def emotion_spec(emotion):
    """Accept None, an :class:`EmotionSpec`, a CLI string (``"happiness=0.8"``) or a dict."""
    from .face.emotion import EmotionSpec
    if emotion is None or isinstance(emotion, EmotionSpec):
        return emotion
    if isinstance(emotion, str):
        return EmotionSpec.parse(emotion) if emotion.strip() else None
    return EmotionSpec(emotion)


def expression_stage(mouth: np.ndarray, prosody: Prosody, *, emotion, style: Style, seed: int,
                     n_frames: int, info: dict, text=None, phones=None,
                     region_balance=None) -> FaceCurves:
    """Stages 4-5: emotion, eyes, blinks and head over the speech layer, composed.

    The emotion layer is resolved per face region; ``core.face.compose`` keeps speech in
    charge where lips must close (p/b/m) or open (vowels). Returns FaceCurves with
    ``FACE_CHANNELS`` (52 ARKit weights in [0, 1], then 9 rotations in radians).
    """
    from .face.compose import compose
    from .face.emotion import emotion_layer
    from .face.eyes import layers_for_compose, performance_layers
    from .face.head import emotion_weights_from_spec
    spec = emotion_spec(emotion)
    if style.auto_emotion > 0:
        from .face.auto_emotion import auto_emotion
        from .face.emotion import EmotionSpec
        track = auto_emotion(prosody, text=text, phones=phones, amount=style.auto_emotion)
        base = spec or EmotionSpec()
        own = base.timeline if isinstance(base.timeline, tuple) else (
            (base.timeline,) if base.timeline is not None else ())
        spec = dataclasses.replace(base, timeline=own + (track,))
        info["auto_emotion"] = style.auto_emotion
    fps = prosody.fps
    layer = None
    if spec is not None and not spec.is_neutral():
        layer = emotion_layer(spec, fps=fps, n_frames=n_frames)
        info["emotion"] = {k: float(v) for k, v in spec.mixture.items()}
    weights = emotion_weights_from_spec(spec, fps=fps, n_frames=n_frames) if spec else None
    layers = performance_layers(prosody, fps=fps, n_frames=n_frames, seed=seed, style=style,
                                emotion_weights=weights)
    eyes, head = layers_for_compose(layers, n_frames=n_frames)
    closures = phone_closures(phones, fps=fps, n_frames=n_frames, lead_ms=style.lead_ms)
    return compose(mouth, fps=fps, emotion=layer, eyes=eyes, head=head,
                   region_balance=region_balance, closures=closures)


def phone_closures(phones, *, fps: float, n_frames: int, lead_ms: float = 0.0):
    """1.0 on frames inside a p/b/m (and m-like) closure, else 0; None without phones."""
    if phones is None or len(phones) == 0:
        return None
    t = np.arange(n_frames) / fps + lead_ms / 1000.0
    mask = np.zeros(n_frames, np.float32)
    closures = [(a, b) for ph, a, b in zip(phones.phones, phones.starts, phones.ends)
                if ph in ("P", "B", "M")]
    if not closures:
        return mask
    # t is sorted, so the frames with a <= t < b are t[lo:hi] (binary search, not a scan).
    lo = np.searchsorted(t, [a for a, _ in closures], side="left")
    hi = np.searchsorted(t, [b for _, b in closures], side="left")
    edges = np.zeros(n_frames + 1, np.int64)
    np.add.at(edges, lo, 1)
    np.add.at(edges, np.maximum(hi, lo), -1)
    mask[np.cumsum(edges[:-1]) > 0] = 1.0
    for (a, b), i0, i1 in zip(closures, lo, hi):
        if i1 <= i0:                # a closure shorter than a frame still gets its frame
            mask[min(n_frames - 1, int(round((a + b) / 2 * fps - lead_ms / 1000.0 * fps)))] = 1.0
    return mask


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
