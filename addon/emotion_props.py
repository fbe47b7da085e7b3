"""Emotion sliders: one animatable property per emotion name, and region-mix strengths.

The slider set is generated from ``core.face.emotion.valid_names()`` (basic emotions and
compounds; ``neutral`` is left out: it moves nothing), so a name added to the emotion data
gets a slider without touching this file. Every slider is an ordinary animatable float:
key it like any property (I over the slider) and the bake samples its F-curve over the
take's frame range into an ``EmotionTimeline`` (:func:`emotion_spec_for_take`).

Region-mix strengths (per region emotion and speech strength, like upper/lower face
strength) are read at the take's first frame: the core's ``RegionBalance`` is static.

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
SAMPLE_TOLERANCE = 1e-3                        # slider samples kept where they change the ramp


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _slider(name: str):
    return FloatProperty(name=_label(name), default=0.0, min=0.0, max=MAX_INTENSITY,
                         soft_max=1.0, subtype="FACTOR",
                         description=f"Intensity of {_label(name).lower()} (0 off, 1 full, "
                                     f"up to {MAX_INTENSITY:g} exaggerated); animatable")


TalkrigEmotion = type("TalkrigEmotion", (bpy.types.PropertyGroup,), {
    "__doc__": "One animatable intensity slider per emotion (core.face.emotion names)",
    "__annotations__": {name: _slider(name) for name in EMOTION_NAMES},
})


def _strength(region: str, layer: str):
    return FloatProperty(name=region.capitalize(), default=1.0, min=0.0, max=MAX_STRENGTH,
                         subtype="FACTOR",
                         description=f"Strength of the {layer} layer on the {region} "
                                     f"(0 off, 1 normal, {MAX_STRENGTH:g} doubled)")


TalkrigRegionMix = type("TalkrigRegionMix", (bpy.types.PropertyGroup,), {
    "__doc__": "Per-region emotion and speech strengths (core.face.regions.RegionBalance)",
    "__annotations__": {
        **{f"emotion_{r}": _strength(r, "emotion") for r in REGION_NAMES},
        **{f"speech_{r}": _strength(r, "speech") for r in REGION_NAMES},
    },
})


def region_balance(mix):
    """``RegionBalance`` from the region sliders, or None when all are at 1."""
    from ..core.face.regions import RegionBalance

    emotion = {r: float(getattr(mix, f"emotion_{r}")) for r in REGION_NAMES}
    speech = {r: float(getattr(mix, f"speech_{r}")) for r in REGION_NAMES}
    if all(v == 1.0 for v in (*emotion.values(), *speech.values())):
        return None
    return RegionBalance(emotion=emotion, speech=speech)


def _slider_fcurves(scene) -> dict:
    """Emotion name -> F-curve of the scene's action that animates its slider."""
    from .keyframes import action_fcurves

    ad = scene.animation_data
    if ad is None or ad.action is None:
        return {}
    out = {}
    for fc in action_fcurves(ad.action, getattr(ad, "action_slot", None)):
        if fc.data_path.startswith(DATA_PATH_PREFIX) and not fc.mute:
            name = fc.data_path[len(DATA_PATH_PREFIX):]
            if name in EMOTION_NAMES:
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


def emotion_spec_for_take(scene, *, description: str, frame_start: int, fps: float,
                          n_frames: int):
    """The take's ``EmotionSpec`` from the sliders (animated or not) and the description.

    Animated sliders become an ``EmotionTimeline.from_samples`` over the take's frames
    (time 0 = ``frame_start``), thinned to the samples that change the linear ramp by more
    than :data:`SAMPLE_TOLERANCE`. Returns None when nothing is set.
    """
    import dataclasses

    from ..core.face.describe import spec_from_options
    from ..core.face.timeline import EmotionTimeline
    from ..core.keyreduce import reduce_channel

    names, values = sample_sliders(scene, frame_start=frame_start, n_frames=max(1, n_frames))
    emotion = scene.talkrig.emotion
    static = ",".join(f"{n}={getattr(emotion, n):.6g}" for n in names) if values is None else ""
    spec = spec_from_options(emotion=static, description=description.strip())
    if values is None or not names:
        return spec
    keep = np.unique(np.concatenate([reduce_channel(values[:, j], SAMPLE_TOLERANCE)
                                     for j in range(len(names))]))
    timeline = EmotionTimeline.from_samples(keep / float(fps), values[keep], names=names)
    from ..core.face.emotion import EmotionSpec

    if spec is None:
        return EmotionSpec(timeline=(timeline,))
    return dataclasses.replace(spec, timeline=(timeline,))


