"""Body + face takes exported to FBX / glb / BVH and read back by independent readers."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from body_readback import assimp_node_animation, bvh_joints, glb_animation_start, ufbx_animation
from body_rigs import family_rig, smooth_body
from readback import assimp_available, fbx_key_times, validate_gltf, validator_available
from talkrig.addon.body_export import export_body
from talkrig.addon.body_keys import write_body_take
from talkrig.addon.demo_body import tube_mesh
from talkrig.addon.demo_head import create_demo_head
from talkrig.addon.keyframes import action_fcurves, shape_key_mapping, write_face_curves
from talkrig.core.curves import FaceCurves
from talkrig.core.errors import ExportError
from talkrig.rigs.arkit import FACE_CHANNELS
from talkrig.rigs.skeletons.match import FAMILIES

SECONDS = 3.0


def _scene(family="mixamo", mode="full"):
    rig = family_rig(FAMILIES[family], seed=3, name="Hero")
    tube_mesh(rig, "HeroBody")
    body = smooth_body(SECONDS, seed=6)
    res = write_body_take(rig, body, line="line", mode=mode)
    face = create_demo_head("HeroFace")
    n = body.n_frames
    t = np.arange(n) / body.fps
    values = np.zeros((n, len(FACE_CHANNELS)), dtype=np.float32)
    values[:, FACE_CHANNELS.index("jawOpen")] = 0.5 + 0.4 * np.sin(2 * np.pi * 2 * t)
    values[:, FACE_CHANNELS.index("eyeBlinkLeft")] = (np.sin(2 * np.pi * 0.5 * t) > 0.9)
    values[:, FACE_CHANNELS.index("HeadYaw")] = 0.1 * np.sin(t)
    write_face_curves(face, FaceCurves(FACE_CHANNELS, body.fps, values),
                      mapping=shape_key_mapping(face), action_name="talkrig_line")
    return rig, face, res, n


@pytest.mark.skipif(bool(assimp_available()), reason=assimp_available() or "")
@pytest.mark.parametrize("preset", ["default", "unreal", "unity"])
def test_fbx_has_every_mapped_bone_and_the_face(tmp_path, preset):
    rig, face, res, n = _scene()
    path = export_body(rig, str(tmp_path / f"hero_{preset}.fbx"), face=face, preset=preset)
    for reader in (assimp_node_animation, ufbx_animation):
        got = reader(path)
        missing = [b for b in res.bones if b not in got["nodes"]]
        assert not missing, (reader.__name__, missing[:5])
        assert all(got["nodes"][b][0] >= n for b in res.bones), reader.__name__
        assert min(got["nodes"][b][1] for b in res.bones) == pytest.approx(0.0, abs=1e-6)
        assert got["morph_channels"] >= 2, reader.__name__           # jawOpen, eyeBlinkLeft ...
    assert min(t.min() for t in fbx_key_times(path)) == pytest.approx(0.0, abs=1e-9)
    if preset == "default":                     # Blender's importer: the take starts at frame 1
        bpy.ops.wm.read_factory_settings(use_empty=True)
        bpy.context.scene.render.fps = 30
        bpy.ops.import_scene.fbx(filepath=path)
        firsts = {}
        for obj in bpy.data.objects:
            for id_block in (obj, getattr(obj.data, "shape_keys", None)):
                ad = getattr(id_block, "animation_data", None)
                if ad is not None and ad.action is not None:
                    fcs = action_fcurves(ad.action)
                    firsts[id_block.name] = min(fc.range()[0] for fc in fcs)
                    assert max(len(fc.keyframe_points) for fc in fcs) >= n
        assert "Hero" in firsts and any(k.startswith("HeroFace") for k in firsts)
        assert set(firsts.values()) == {1.0}, firsts
        return
    # the scene is as it was: keys back at frame 1
    assert rig.animation_data.action == res.action
    assert min(fc.range()[0] for fc in res.action.layers[0].strips[0].channelbags[0].fcurves) == 1.0 \
        if hasattr(res.action, "layers") else True


@pytest.mark.skipif(bool(validator_available()), reason=validator_available() or "")
def test_glb_validates_and_carries_skin_and_morph_animation(tmp_path):
    rig, face, res, n = _scene(family="ue5", mode="upper")
    path = export_body(rig, str(tmp_path / "hero.glb"), face=face)
    report = validate_gltf(path)
    assert report["issues"]["numErrors"] == 0, report["issues"]
    assert glb_animation_start(path) == pytest.approx(0.0, abs=1e-6)
    if not assimp_available():
        got = assimp_node_animation(path)
        assert all(b in got["nodes"] for b in res.bones)
        assert got["morph_channels"] >= 1


def test_glb_with_body_under_a_face_head_action(tmp_path):
    rig = family_rig(FAMILIES["mixamo"], seed=3, name="Hero")
    tube_mesh(rig, "HeroBody")
    face_bones = bpy.data.actions.new("talkrig_x_bones")
    face_bones["talkrig_shape_action"] = "talkrig_x"
    rig.animation_data_create().action = face_bones
    res = write_body_take(rig, smooth_body(2.0), line="x")
    assert rig.animation_data.action == face_bones
    path = export_body(rig, str(tmp_path / "nla.glb"))
    if not validator_available():
        assert validate_gltf(path)["issues"]["numErrors"] == 0
    if not assimp_available():
        got = assimp_node_animation(path)
        assert all(b in got["nodes"] for b in res.bones)


def test_bvh_has_the_skeleton_and_every_frame(tmp_path):
    rig, _face, res, n = _scene(family="vrm", mode="upper")
    path = export_body(rig, str(tmp_path / "hero.bvh"))
    names, frames, frame_time = bvh_joints(path)
    assert set(res.bones) <= set(names)
    assert frames == n and frame_time == pytest.approx(1 / 30, abs=1e-5)


def test_export_errors(tmp_path):
    rig = family_rig(FAMILIES["mixamo"], seed=3)
    with pytest.raises(ExportError, match="plays no take"):
        export_body(rig, str(tmp_path / "x.fbx"))
    with pytest.raises(ExportError, match="use one of .fbx, .glb, .bvh"):
        export_body(rig, str(tmp_path / "x.csv"))
