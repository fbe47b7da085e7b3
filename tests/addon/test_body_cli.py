"""``talkrig bake --body`` into Blender outputs: the body lands on a real armature (the
mannequin, the target's own rig, or ``--body-target``) and the files carry it; bad body
targets fail before the bake with one line (issue 15)."""
from __future__ import annotations

import bpy
import pytest

from body_readback import assimp_node_animation
from body_rigs import family_rig
from readback import assimp_available
from talkrig.addon.demo_head import create_demo_head
from talkrig.app.cli import main
from talkrig.rigs.skeletons.match import FAMILIES

needs_assimp = pytest.mark.skipif(bool(assimp_available()), reason=assimp_available() or "")


def _save(path, build):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    build()
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return path


@needs_assimp
def test_body_on_the_mannequin_without_a_target(tmp_path, speech_wav, capsys):
    fbx, blend = tmp_path / "take.fbx", tmp_path / "take.blend"
    assert main(["bake", str(speech_wav), "--body", "-o", str(fbx), "-o", str(blend), "-q"]) == 0
    got = assimp_node_animation(str(fbx))
    for bone in ("left_shoulder", "left_elbow", "right_wrist", "spine3", "neck"):
        assert got["nodes"][bone][0] > 10, bone          # keys on the arm and spine bones
    assert got["morph_channels"] >= 2                    # the face's shape keys too
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    rigs = [o for o in bpy.data.objects if o.type == "ARMATURE" and o.animation_data
            and o.animation_data.action is not None and "body" in o.animation_data.action.name]
    assert rigs, [o.name for o in bpy.data.objects]


@needs_assimp
def test_body_target_takes_the_body(tmp_path, speech_wav):
    mixamo = FAMILIES["mixamo"]
    rig_file = _save(tmp_path / "hero.blend", lambda: family_rig(mixamo, name="Hero"))
    face_file = _save(tmp_path / "face.blend", create_demo_head)
    fbx = tmp_path / "hero_take.fbx"
    assert main(["bake", str(speech_wav), "--body", "--target", str(face_file), "--body-target",
                 str(rig_file), "-o", str(fbx), "-q"]) == 0
    got = assimp_node_animation(str(fbx))
    keyed = [b for b in ("mixamorig:LeftArm", "mixamorig:RightForeArm", "mixamorig:Spine2")
             if b in got["nodes"] and got["nodes"][b][0] > 10]
    assert len(keyed) == 3, sorted(got["nodes"])[:20]


def test_bad_body_targets_fail_before_the_bake(tmp_path, speech_wav, capsys):
    out = str(tmp_path / "t.fbx")
    assert main(["bake", str(speech_wav), "--body", "--body-target", str(tmp_path / "none.blend"),
                 "-o", out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "body target" in err and "does not exist" in err, err
    empty = _save(tmp_path / "empty.blend", lambda: bpy.ops.mesh.primitive_cube_add())
    assert main(["bake", str(speech_wav), "--body", "--body-target", str(empty), "-o", out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds no armature" in err, err
    head_only = _save(tmp_path / "head.blend", create_demo_head)      # a head/eye rig only
    assert main(["bake", str(speech_wav), "--body", "--body-target", str(head_only), "-o", out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "matches no known skeleton" in err and "best partial" in err, err
    assert not (tmp_path / "t.fbx").exists()
