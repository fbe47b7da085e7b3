"""The one entry point: audio (+ transcript) and :class:`BakeSettings` -> :class:`Performance`.

The CLI, the batch runner and the Blender operators all build a
:class:`~talkrig.core.settings.BakeSettings` and call :func:`bake`; none of them
re-implements a stage. The stages, in order (each one a small function below, so new
layers slot in without touching the others):

1. **load** (:func:`load_speech`): decode the file, or check and resample a given
   :class:`Speech`, to 16 kHz mono; rejects files shorter than one frame.
2. **prosody** (:func:`~talkrig.core.speech.prosody.analyze_prosody`): loudness, F0,
   voicing, onsets, phrase breaks on the bake's :class:`~talkrig.core.timebase.FrameGrid`.
3. **speech layer** (:func:`speech_stage`): the mouth on ARKit-52 from timed phones
   (alignment or recognition, visemes, coarticulation), or from loudness alone
   (``face.mode == "loudness"``, :mod:`talkrig.core.face.loudness`).
4. **expression layers + compose** (:func:`expression_stage`): emotion per face region,
   blinks, gaze and head, composed by :mod:`talkrig.core.face.compose` with speech in
   charge of closures and openings, as :class:`FaceCurves` with ``FACE_CHANNELS``.
5. **body** (``body.enabled``): SMPL-X gestures (:mod:`talkrig.core.body`), whose neck and
   head take the face's head rotation (one head, never two).
6. **FLAME** (``flame.model_path``): the face curves as the user's FLAME model's
   parameters (:mod:`talkrig.core.flame`).

``Performance.report`` (:class:`~talkrig.core.performance.BakeReport`) records what
actually ran and every warning, so callers can tell the user.
"""
from __future__ import annotations

import dataclasses
import os
import warnings
from typing import Callable, Optional

import numpy as np

from .audio import TARGET_SR, load_audio, resample
from .curves import FaceCurves, Prosody, Speech
from .errors import (AudioEmptyError, AudioNonFiniteError, AudioTooLongError, AudioTooShortError,
                     StyleError)
from .performance import BakeReport, Performance
from .settings import MAX_DURATION_S, BakeSettings
from .style import Style
from .timebase import FrameGrid

Progress = Optional[Callable[[float, str], None]]


def bake(audio, settings: Optional[BakeSettings] = None, *, text: Optional[str] = None,
         progress: Progress = None) -> Performance:
    """Turn speech audio into face (and, when asked, body and FLAME) animation curves.

    Parameters
    ----------
    audio : str, os.PathLike or Speech
        An audio file (wav, flac, ogg, mp3; any rate and channels) or decoded speech.
    settings : BakeSettings, optional
        Everything else (frame rate, seed, face style, eyes and head, emotion, body, FLAME,
        output); defaults when None.
    text : str, optional
        Transcript (``*word*`` marks emphasis); forced alignment when it fits the audio,
        phoneme recognition otherwise.
    progress : callable, optional
        ``progress(fraction, message)`` with ``fraction`` rising from 0 to 1; an exception
        it raises aborts the bake (use that to cancel).

    Returns
    -------
    Performance
        ``face``: FaceCurves with ``FACE_CHANNELS`` (52 ARKit weights in [0, 1], then 9
        rotations in radians), values float32 [shape=(n_frames_for(duration, fps), 61)];
        ``prosody``; ``phones`` / ``visemes`` when the phoneme driver ran; ``body`` and
        ``flame`` when asked for; ``report``.

    Raises
    ------
    TalkrigError
        An AudioError for unusable audio, StyleError for bad settings.
    """
    if settings is None:
        settings = BakeSettings()
    if not isinstance(settings, BakeSettings):
        raise StyleError(f"settings must be a BakeSettings, got {type(settings).__name__}")
    step = _reporter(progress)
    fps, style = settings.fps, settings.style
    report = BakeReport(fps=fps, seed=settings.seed, settings=settings.to_dict())

    flame_fit = None
    if settings.flame.enabled:               # a bad model file fails before the long work
        step(0.0, "reading the FLAME model")
        from .flame import mapping_for_settings
        flame_fit, flame_info = mapping_for_settings(settings.flame)
        report = _flame_report(report, flame_fit.report())

    step(0.0, "loading audio")
    speech = load_speech(audio, fps=fps, max_duration_s=settings.max_duration_s)
    report = report.updated(duration_s=speech.duration, source=speech.source)

    step(0.15, "analysing prosody")
    from .speech.prosody import analyze_prosody
    prosody = analyze_prosody(speech, fps=fps)
    grid = FrameGrid.for_duration(speech.duration, fps)

    step(0.2, "timing phonemes")
    mouth, phones, visemes, report = speech_stage(
        speech, prosody, text=text, style=style, grid=grid, report=report,
        progress=lambda f, msg: step(0.2 + 0.6 * f, msg))

    step(0.85, "adding emotion, eyes and head")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec, balance = settings.emotion.resolve()
    for w in caught:
        report = report.with_warning(getattr(w.category, "code", "emotion"), str(w.message))
    face, spec, report = expression_stage(mouth, prosody, spec=spec, style=style,
                                          seed=settings.seed, grid=grid, report=report,
                                          text=text, phones=phones, region_balance=balance)
    body = flame = None
    if settings.body.enabled:
        step(0.9, "moving the body")
        body = body_stage(face, prosody, phones=phones, spec=spec, settings=settings, grid=grid)
        report = report.updated(body=True)
    if flame_fit is not None:
        step(0.95, "FLAME parameters")
        from .flame import flame_params
        flame = flame_params(face, flame_fit, settings.flame.n_expression)
    step(1.0, "done")
    return Performance(face=face, visemes=visemes, phones=phones, prosody=prosody, body=body,
                       flame=flame, report=report)


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


def speech_stage(speech: Speech, prosody: Prosody, *, text, style: Style, grid: FrameGrid,
                 report: BakeReport, progress: Progress = None):
    """Stage 3: mouth weights float32 [n_frames, 52], phones and visemes (or None), report.

    ``style.mode`` "loudness" uses the audio-level driver (:mod:`core.face.loudness`, also
    right for non-speech sounds); "phonemes" and "auto" time phones (forced alignment with a
    transcript, recognition without one or when the transcript does not fit) and drive the
    mouth by coarticulated visemes. The report records the driver and how phones were timed.
    """
    n_frames = grid.n_frames
    if style.mode == "loudness":
        from .face.loudness import loudness_layer
        report = report.updated(speech_driver="loudness", transcript="unused" if text else "none")
        if text:
            report = report.with_warning("transcript-unused",
                                         "the transcript is not used in loudness mode")
        return grid.fit(np.asarray(loudness_layer(prosody, style=style), np.float32)), None, None, report
    from .face.coarticulation import speech_layer
    from .face.visemes import viseme_track
    from .speech.align import phone_track
    phones = phone_track(speech, text=text, progress=progress)
    n_phones = int(sum(p != "sil" for p in phones.phones))
    transcript = "none"
    if text:
        transcript = "replaced" if phones.source.startswith("recognize") else "accepted"
    report = report.updated(speech_driver="phonemes", phone_source=phones.source,
                            recognizer=phones.recognizer, n_phones=n_phones, transcript=transcript)
    if phones.source == "recognize:mismatch":
        report = report.with_warning("transcript-replaced", phones.note)
    for code, message in phones.warnings:
        report = report.with_warning(code, message)
    if n_phones == 0:
        report = report.with_warning("no-speech", "no speech was found in the audio: the mouth "
                                     "stays at rest (use mode 'loudness' to drive it from the "
                                     "sound level)")
    mouth = speech_layer(phones, prosody, fps=prosody.fps, n_frames=n_frames, style=style)
    visemes = viseme_track(phones, fps=prosody.fps, n_frames=n_frames, style=style)
    return grid.fit(np.asarray(mouth, np.float32)), phones, visemes, report


def emotion_spec(emotion):
    """Accept None, an :class:`EmotionSpec`, a CLI string (``"happiness=0.8"``) or a dict."""
    from .face.emotion import EmotionSpec
    if emotion is None or isinstance(emotion, EmotionSpec):
        return emotion
    if isinstance(emotion, str):
        return EmotionSpec.parse(emotion) if emotion.strip() else None
    return EmotionSpec(emotion)


def expression_stage(mouth: np.ndarray, prosody: Prosody, *, spec, style: Style, seed: int,
                     grid: FrameGrid, report: BakeReport, text=None, phones=None,
                     region_balance=None):
    """Stages 4-5: emotion, eyes, blinks and head over the speech layer, composed.

    The emotion layer is resolved per face region; ``core.face.compose`` keeps speech in
    charge where lips must close (p/b/m) or open (vowels). Returns ``(FaceCurves with
    FACE_CHANNELS, the EmotionSpec used (with the automatic track), report)``.
    """
    from .emotion.drive import EmotionDrive
    from .face.compose import compose
    from .face.emotion import emotion_layer
    from .face.eyes import layers_for_compose, performance_layers
    fps, n_frames = grid.fps, grid.n_frames
    spec = emotion_spec(spec)
    if style.auto_emotion > 0:
        from .face.auto_emotion import auto_emotion
        from .face.emotion import EmotionSpec
        track = auto_emotion(prosody, text=text, phones=phones, amount=style.auto_emotion)
        base = spec or EmotionSpec()
        own = base.timeline if isinstance(base.timeline, tuple) else (
            (base.timeline,) if base.timeline is not None else ())
        spec = dataclasses.replace(base, timeline=own + (track,))
        report = report.updated(auto_emotion=style.auto_emotion)
    layer = None
    if spec is not None and not spec.is_neutral():
        layer = emotion_layer(spec, fps=fps, n_frames=n_frames)
        report = report.updated(emotion={k: float(v) for k, v in spec.mixture.items()})
    drive = EmotionDrive.from_spec(spec, grid=grid)
    layers = performance_layers(prosody, fps=fps, n_frames=n_frames, seed=seed, style=style,
                                emotion_weights=drive.weights)
    eyes, head = layers_for_compose(layers, n_frames=n_frames)
    closures = phone_closures(phones, fps=fps, n_frames=n_frames, lead_ms=style.lead_ms)
    face = compose(mouth, fps=fps, emotion=layer, eyes=eyes, head=head,
                   region_balance=region_balance, closures=closures)
    return face, spec, report


def body_stage(face: FaceCurves, prosody: Prosody, *, phones, spec, settings: BakeSettings,
               grid: FrameGrid):
    """Stage 6: SMPL-X gestures; neck and head take the face's head rotation."""
    from .body import generate_body
    from .emotion.drive import EmotionDrive
    from .motion.head import HeadMotion
    head = HeadMotion.from_face(face).rotations
    return generate_body(fps=grid.fps, n_frames=grid.n_frames, prosody=prosody, phones=phones,
                         emotion_weights=EmotionDrive.from_spec(spec, grid=grid).weights,
                         head=head, settings=settings.body, seed=settings.seed)


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


def _flame_report(report: BakeReport, fit: dict) -> BakeReport:
    """The FLAME fit's per-shape errors in the report, and a warning for what the model
    cannot express (those ARKit shapes reach FLAME only in part, or not at all)."""
    report = report.updated(flame=True, flame_fit=fit)
    lost = list(fit.get("cannot_express", [])) + list(fit.get("not_transferred", []))
    if lost:
        report = report.with_warning(
            "flame-cannot-express", f"the FLAME model cannot express {len(lost)} of 52 ARKit "
            f"shapes ({', '.join(lost[:6])}{', ...' if len(lost) > 6 else ''}); their motion is "
            "lost or approximate in the FLAME parameters")
    return report


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
