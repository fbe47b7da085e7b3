"""Reduced keys: every frame of every written F-curve within the tolerance of the full take."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from talkrig.addon.keyframes import action_fcurves
from talkrig.rigs.arkit import ARKIT_NAMES


@pytest.fixture(scope="module")
def full_face(speech_wav):
    from talkrig.core.pipeline import bake
    from talkrig.core.settings import BakeSettings

    return bake(str(speech_wav), BakeSettings(fps=30.0, seed=0)).face


@pytest.mark.parametrize("interpolation", ["LINEAR", "BEZIER"])
def test_reduced_keys_stay_within_tolerance(demo_head, speech_wav, full_face, interpolation):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    s = scene.talkrig
    s.key_mode, s.tolerance, s.interpolation = "REDUCED", 0.01, interpolation
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), frame_start=1, add_sound=False) == {"FINISHED"}
    take = demo_head.data.shape_keys.animation_data.action
    frames = 1.0 + np.arange(full_face.n_frames)
    worst, n_keys = 0.0, 0
    fcs = {fc.data_path: fc for fc in action_fcurves(take)}
    for name in ARKIT_NAMES:
        fc = fcs[f'key_blocks["{name}"].value']
        n_keys += len(fc.keyframe_points)
        got = np.array([fc.evaluate(f) for f in frames])
        full = np.clip(full_face.channel(name), 0, 1)
        worst = max(worst, float(np.abs(got - full).max()))
        assert fc.keyframe_points[0].co[0] == 1.0 and fc.keyframe_points[-1].co[0] == frames[-1]
        assert {p.interpolation for p in fc.keyframe_points} == {interpolation}
    assert worst <= 0.01 + 1e-5, worst
    assert n_keys < 0.6 * 52 * full_face.n_frames, "reduction should drop most keys"
    full, written = take["talkrig_keys_full"], take["talkrig_keys_written"]
    assert written < full and f"{full - written} saved" in s.last_result


def test_every_frame_by_default(demo_head, speech_wav, full_face):
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=False) == {"FINISHED"}
    take = demo_head.data.shape_keys.animation_data.action
    assert take["talkrig_keys_full"] == take["talkrig_keys_written"]
    assert "saved" not in bpy.context.scene.talkrig.last_result
