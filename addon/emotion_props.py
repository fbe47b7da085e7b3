"""Emotion sliders: one animatable property per emotion name, and region-mix strengths.

The slider set is generated from ``core.face.emotion.valid_names()`` (basic emotions and
compounds; ``neutral`` is left out: it moves nothing), so a name added to the emotion data
gets a slider without touching this file. Every slider is an ordinary animatable float:
key it like any property (I over the slider) and the bake samples its F-curve over the
take's frame range into an ``EmotionTimeline`` (:func:`emotion_spec_for_take`).

Region-mix strengths (per region emotion and speech strength, like upper/lower face
strength): an animated *emotion* strength is folded into that region's own emotion timeline
(the region's mix times the strength, frame by frame; :func:`emotion_for_take`); *speech*
strengths are read as they are (the core's ``RegionBalance`` is static, so keys on them are
not followed over time).

No postponed annotations here: Blender reads the property definitions from
``__annotations__`` at registration.
"""
import bpy
import numpy as np
from bpy.props import FloatProperty

from ..core.face.emotion import MAX_INTENSITY, valid_names
from ..core.face.regions import MAX_STRENGTH, REGION_NAMES

EMOTION_NAMES = tuple(n for n in valid_names() if n != "neutral")
DATA_PATH_PREFIX = "talkrig.emotion."          # scene-relative data path of a slider
REGION_PATH_PREFIX = "talkrig.region."
SAMPLE_TOLERANCE = 1e-3                        # slider samples kept where they change the ramp


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _slider(name: str):
    return FloatProperty(name=_label(name), default=0.0, min=0.0, max=MAX_INTENSITY,
                         soft_max=1.0, subtype="FACTOR",
                         description=f"Intensity of {_label(name).lower()} (0 off, 1 full, "
                                     f"up to {MAX_INTENSITY:g} exaggerated); animatable")


TalkrigEmotion = type("TalkrigEmotion", (bpy.types.PropertyGroup,), {
    "__doc__": "One animatable intensity slider per emotion",
    "__annotations__": {name: _slider(name) for name in EMOTION_NAMES},
})


def _strength(region: str, layer: str):
    # unique names ("Brows Emotion", "Brows Speech"): they label the animation channels too;
    # the panel shows the region alone under its column's heading
    return FloatProperty(name=f"{region.capitalize()} {layer.capitalize()}", default=1.0,
                         min=0.0, max=MAX_STRENGTH,
                         subtype="FACTOR",
                         description=f"Strength of the {layer} layer on the {region} "
                                     f"(0 off, 1 normal, {MAX_STRENGTH:g} doubled)")


TalkrigRegionMix = type("TalkrigRegionMix", (bpy.types.PropertyGroup,), {
    "__doc__": "Per-region emotion and speech strengths (brows, eyes, cheeks, mouth, jaw)",
    "__annotations__": {
        **{f"emotion_{r}": _strength(r, "emotion") for r in REGION_NAMES},
        **{f"speech_{r}": _strength(r, "speech") for r in REGION_NAMES},
    },
})


def region_balance(mix, *, folded=()):
    """``RegionBalance`` from the region sliders, or None when all are at 1.

    Regions in ``folded`` get emotion strength 1: their animated strength is already in
    their emotion timeline (:func:`emotion_for_take`).
    """
    from ..core.face.regions import RegionBalance

    emotion = {r: 1.0 if r in folded else float(getattr(mix, f"emotion_{r}")) for r in REGION_NAMES}
    speech = {r: float(getattr(mix, f"speech_{r}")) for r in REGION_NAMES}
    if all(v == 1.0 for v in (*emotion.values(), *speech.values())):
        return None
    return RegionBalance(emotion=emotion, speech=speech)


def _slider_fcurves(scene, prefix: str = DATA_PATH_PREFIX, names=EMOTION_NAMES) -> dict:
    """Property name -> F-curve of the scene's action that animates ``prefix + name``."""
    from .keyframes import action_fcurves

    ad = scene.animation_data
    if ad is None or ad.action is None:
        return {}
    out = {}
    for fc in action_fcurves(ad.action, getattr(ad, "action_slot", None)):
        if fc.data_path.startswith(prefix) and not fc.mute:
            name = fc.data_path[len(prefix):]
            if name in names:
                out[name] = fc
    return out


def sample_sliders(scene, *, frame_start: int, n_frames: int) -> tuple:
    """Slider values at frames ``frame_start .. frame_start + n_frames - 1``.

    Returns
    -------
    names : tuple of str
        Emotions whose slider is animated or non-zero.
    values : np.ndarray [shape=(n_frames, len(names)), dtype=float64]
        None when no slider is animated (static values only).
    """
    curves = _slider_fcurves(scene)
    emotion = scene.talkrig.emotion
    names = tuple(n for n in EMOTION_NAMES if n in curves or getattr(emotion, n) > 0)
    if not curves:
        return names, None
    frames = frame_start + np.arange(n_frames, dtype=np.float64)
    values = np.empty((n_frames, len(names)))
    for j, name in enumerate(names):
        fc = curves.get(name)
        values[:, j] = ([fc.evaluate(f) for f in frames] if fc is not None
                        else getattr(emotion, name))
    return names, np.clip(values, 0.0, MAX_INTENSITY)


VAD_NAMES = ("valence", "arousal", "dominance")


def _vad_part(scene, *, frame_start: int, fps: float, n_frames: int) -> dict:
    """The panel's valence-arousal-dominance point: ``{"vad": (v, a, d)}`` when static, or,
    when any of the three is keyed, ``{"timelines": (...)}`` with ``vad_to_mixture`` sampled
    at every frame of the take."""
    from ..core.face.emotion import vad_to_mixture
    from ..core.face.timeline import EmotionTimeline
    from ..core.keyreduce import reduce_channel

    settings = scene.talkrig
    curves = _slider_fcurves(scene, "talkrig.", VAD_NAMES)
    if not curves:
        return {"vad": tuple(getattr(settings, n) for n in VAD_NAMES)}
    frames = frame_start + np.arange(max(1, n_frames), dtype=np.float64)
    vad = np.stack([np.clip([curves[n].evaluate(f) for f in frames], -1.0, 1.0)
                    if n in curves else np.full(frames.size, getattr(settings, n))
                    for n in VAD_NAMES], axis=1)
    mixes = [vad_to_mixture(*row) for row in vad]
    names = tuple(sorted({k for m in mixes for k in m}))
    values = np.array([[m.get(k, 0.0) for k in names] for m in mixes])
    keep = np.unique(np.concatenate([reduce_channel(values[:, j], SAMPLE_TOLERANCE)
                                     for j in range(len(names))]))
    return {"timelines": (EmotionTimeline.from_samples(keep / float(fps), values[keep], names=names),)}


def _thinned_timeline(values: np.ndarray, names, fps: float):
    """An ``EmotionTimeline`` through the samples that change the linear ramp by more than
    :data:`SAMPLE_TOLERANCE` (time 0 = the take's first frame)."""
    from ..core.face.timeline import EmotionTimeline
    from ..core.keyreduce import reduce_channel

    keep = np.unique(np.concatenate([reduce_channel(values[:, j], SAMPLE_TOLERANCE)
                                     for j in range(len(names))]))
    return EmotionTimeline.from_samples(keep / float(fps), values[keep], names=tuple(names))


def emotion_settings_for_take(scene, *, description: str, frame_start: int, fps: float,
                              n_frames: int):
    """The take's :class:`~talkrig.core.settings.EmotionSettings` from every emotion control.

    Static sliders become the mixture; animated sliders a timeline sampled over the take's
    frames (time 0 = ``frame_start``), thinned to the samples that change the linear ramp by
    more than :data:`SAMPLE_TOLERANCE`; the VAD point (static or keyed), the description,
    the automatic amount and the region strengths join them. A region whose emotion strength
    is animated gets its own timeline: its mix (the description's region words, else the
    global mix of description and sliders) times the sampled strength, clipped to the
    intensity limit. (The automatic emotion track does not reach such a region.)
    """
    from dataclasses import replace

    from ..core.settings import EmotionSettings

    settings = scene.talkrig
    n = max(1, n_frames)
    names_s, values = sample_sliders(scene, frame_start=frame_start, n_frames=n)
    part: dict = {"describe": description.strip(), "auto": float(settings.auto_emotion)}
    if values is None:
        part["mixture"] = {m: float(getattr(settings.emotion, m)) for m in names_s}
    timelines = ()
    if settings.use_vad:
        vad = _vad_part(scene, frame_start=frame_start, fps=fps, n_frames=n_frames)
        part["vad"] = vad.get("vad")
        timelines += vad.get("timelines", ())
    if values is not None and names_s:
        timelines += (_thinned_timeline(values, names_s, fps),)
    mix = scene.talkrig.region
    animated = {k[len("emotion_"):]: fc for k, fc in _slider_fcurves(
        scene, REGION_PATH_PREFIX, tuple(f"emotion_{r}" for r in REGION_NAMES)).items()}
    emotion = EmotionSettings(**part, timelines=timelines)
    spec, _ = emotion.resolve()
    folded = ()
    if spec is not None and animated:
        frames = frame_start + np.arange(n, dtype=np.float64)
        names = tuple(sorted(set(spec.mixture) | set(names_s)))
        base = np.array([[spec.mixture.get(m, 0.0) for m in names]] * n, dtype=np.float64)
        if values is not None:
            for j, m in enumerate(names_s):
                base[:, names.index(m)] += values[:, j]
        regions = []
        for region, fc in animated.items():
            strength = np.clip([fc.evaluate(f) for f in frames], 0.0, MAX_STRENGTH)
            own = spec.regions.get(region)
            if isinstance(own, dict):
                cols = tuple(sorted(own))
                mixture = np.array([[own[c] for c in cols]] * n, dtype=np.float64)
            else:
                cols, mixture = names, base
            if cols:
                samples = np.clip(mixture * strength[:, None], 0.0, MAX_INTENSITY)
                regions.append((region, _thinned_timeline(samples, cols, fps)))
        emotion = replace(emotion, region_timelines=tuple(regions))
        folded = tuple(animated)
    balance = region_balance(mix, folded=folded)
    if balance is not None:
        emotion = replace(emotion, emotion_strength=tuple(balance.emotion.items()),
                          speech_strength=tuple(balance.speech.items()))
    return emotion


def emotion_spec_for_take(scene, *, description: str, frame_start: int, fps: float,
                          n_frames: int):
    """The take's ``EmotionSpec`` (None when nothing is set): what
    :func:`emotion_settings_for_take` resolves to."""
    return emotion_settings_for_take(scene, description=description, frame_start=frame_start,
                                     fps=fps, n_frames=n_frames).resolve()[0]
