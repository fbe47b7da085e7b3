"""The Body section: settings, matching rows, presets, building the SMPL-X rig, Bake Body."""
from __future__ import annotations

import bpy
import pytest

from body_rigs import family_rig
from talkrig.addon import body_panel
from talkrig.addon.body_keys import active_body_take
from talkrig.rigs.skeletons.match import FAMILIES


def test_registered_with_the_addon():
    assert hasattr(bpy.types, "TALKRIG_PT_body")
    body = bpy.context.scene.talkrig_body
    assert body.enabled is False and body.mode == "upper" and body.gesture_amount == 1.0
    assert body.body_settings().hand_height == 0.0


def test_match_rows_show_matched_and_missing():
    drop = ("mixamorig:LeftHandIndex1", "mixamorig:LeftHandIndex2", "mixamorig:LeftHandIndex3")
    rig = family_rig(FAMILIES["mixamo"], seed=1, drop=drop)
    body = bpy.context.scene.talkrig_body
    body.target = rig
    assert bpy.ops.talkrig.body_match() == {"FINISHED"}
    rows = {r.joint: r.bone for r in body.rows}
    assert body.family == "mixamo" and rows["left_elbow"] == "mixamorig:LeftForeArm"
    assert rows["left_index1"] == "" and len(rows) == len(FAMILIES["mixamo"].mapping)
    assert 0.9 < body.score < 1.0


def test_presets_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr(body_panel, "preset_dir", lambda: tmp_path)
    rig = family_rig(FAMILIES["ue5"], seed=1)
    body = bpy.context.scene.talkrig_body
    body.target = rig
    bpy.ops.talkrig.body_match()
    next(r for r in body.rows if r.joint == "spine2").bone = "spine_02"   # a user edit
    body.preset_name = "manny"
    assert bpy.ops.talkrig.body_preset_save() == {"FINISHED"}
    assert (tmp_path / "manny.json").is_file()
    bpy.ops.talkrig.body_match()
    assert next(r for r in body.rows if r.joint == "spine2").bone == "spine_03"
    body.preset = str(tmp_path / "manny.json")
    assert bpy.ops.talkrig.body_preset_load() == {"FINISHED"}
    assert next(r for r in body.rows if r.joint == "spine2").bone == "spine_02"


def test_build_smplx_rig_and_bake_body(demo_head, speech_wav):
    settings = bpy.context.scene.talkrig
    settings.audio_path = str(speech_wav)
    body = bpy.context.scene.talkrig_body
    assert bpy.ops.talkrig.body_build_smplx() == {"FINISHED"}
    rig = body.target
    assert rig is not None and len(rig.data.bones) == 55 and body.family == "smplx"
    bpy.context.view_layer.objects.active = demo_head
    body.enabled = True
    assert bpy.ops.talkrig.body_bake() == {"FINISHED"}
    take = active_body_take(rig)
    assert take is not None and take["talkrig_take"] == "speech" and take["talkrig_family"] == "smplx"


def test_bake_body_without_a_target_says_what_to_do(demo_head, speech_wav):
    bpy.context.scene.talkrig.audio_path = str(speech_wav)
    bpy.context.scene.talkrig_body.target = None
    with pytest.raises(RuntimeError, match="pick the character's armature"):
        bpy.ops.talkrig.body_bake()


def test_body_section_draws_with_and_without_a_target():
    import types

    from test_ui import Recorder

    body = bpy.context.scene.talkrig_body
    for target in (None, family_rig(FAMILIES["vrm"], seed=1)):
        body.target = target
        if target is not None:
            bpy.ops.talkrig.body_match()
        log = []
        panel = types.SimpleNamespace(layout=Recorder(log))
        body_panel.TALKRIG_PT_body.draw_header(panel, bpy.context)
        body_panel.TALKRIG_PT_body.draw(panel, bpy.context)
        ops = {name for kind, name in log if kind == "operator"}
        assert {"talkrig.body_bake", "talkrig.body_match", "talkrig.body_export"} <= ops
        labels = [t for kind, t in log if kind == "label"]
        if target is not None:
            assert any(t.startswith("VRM 1.0 humanoid: ") and "missing" in t for t in labels)
