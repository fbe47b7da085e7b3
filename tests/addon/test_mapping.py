"""Mapping: Face Cap names and missing keys reported; a user override saved as a preset,
loaded back and used by the bake."""
from __future__ import annotations

import json

import bpy
import numpy as np
import pytest

from talkrig.addon import presets
from talkrig.addon.keyframes import read_face_curves

FACE_CAP = ("jawOpen", "mouthClose", "eyeBlink_L", "eyeBlink_R", "mouthSmile_R", "browInnerUp")
CUSTOM = "SmileCornerLeft_v2"


@pytest.fixture
def face_cap_rig(factory_scene):
    mesh = bpy.data.meshes.new("facecap")
    mesh.from_pydata([(0, 0, 0), (0.1, 0, 0), (0, 0, 0.1), (0.1, 0, 0.1)], [], [(0, 1, 3, 2)])
    ob = bpy.data.objects.new("facecap", mesh)
    bpy.context.scene.collection.objects.link(ob)
    ob.shape_key_add(name="Basis")
    for n in FACE_CAP + (CUSTOM,):
        ob.shape_key_add(name=n, from_mix=False)
    bpy.context.view_layer.objects.active = ob
    return ob


@pytest.fixture
def preset_dir(tmp_path, monkeypatch):
    folder = tmp_path / "presets"
    monkeypatch.setattr(presets, "user_dir", lambda: folder)
    return folder


def test_report_matched_missing_extra(face_cap_rig):
    s = bpy.context.scene.talkrig
    matched, missing, extra = presets.mapping_report(face_cap_rig, s)
    assert set(matched) == {"jawOpen", "mouthClose", "eyeBlinkLeft", "eyeBlinkRight",
                            "mouthSmileRight", "browInnerUp"}
    assert len(missing) == 46 and "mouthSmileLeft" in missing
    assert extra == [CUSTOM]
    assert bpy.ops.talkrig.mapping_refresh() == {"FINISHED"}
    rows = {r.arkit: r.shape_key for r in s.mapping}
    assert len(rows) == 52 and rows["eyeBlinkLeft"] == "eyeBlink_L" and rows["mouthSmileLeft"] == ""


def test_override_saved_as_preset_loaded_back_and_baked(face_cap_rig, preset_dir, speech_wav):
    s = bpy.context.scene.talkrig
    bpy.ops.talkrig.mapping_refresh()
    row = next(r for r in s.mapping if r.arkit == "mouthSmileLeft")
    row.shape_key = CUSTOM                                 # the user's override
    s.mapping_preset = "my rig"
    assert bpy.ops.talkrig.mapping_save_preset() == {"FINISHED"}
    saved = json.loads((preset_dir / "my_rig.json").read_text())
    assert saved["mapping"]["mouthSmileLeft"] == CUSTOM and saved["mapping"]["eyeBlinkLeft"] == "eyeBlink_L"
    # forget the edit, then load the preset back
    assert bpy.ops.talkrig.mapping_refresh(reset=True) == {"FINISHED"}
    assert next(r for r in s.mapping if r.arkit == "mouthSmileLeft").shape_key == ""
    assert "my_rig" in presets.preset_files() and "face_cap" in presets.preset_files()
    assert bpy.ops.talkrig.mapping_load_preset(preset="my_rig") == {"FINISHED"}
    assert next(r for r in s.mapping if r.arkit == "mouthSmileLeft").shape_key == CUSTOM
    matched, missing, extra = presets.mapping_report(face_cap_rig, s)
    assert "mouthSmileLeft" in matched and extra == []
    # the bake drives the custom key with mouthSmileLeft
    s.emotion.happiness = 1.0
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), seed=2, add_sound=False) == {"FINISHED"}
    from talkrig.core.pipeline import bake

    got = read_face_curves(face_cap_rig)
    assert f'key_blocks["{CUSTOM}"].value' in got
    scene = bpy.context.scene
    from talkrig.core.settings import BakeSettings, EmotionSettings
    face = bake(str(speech_wav), BakeSettings(fps=scene.render.fps / scene.render.fps_base, seed=2,
                                              emotion=EmotionSettings(mixture={"happiness": 1.0}))).face
    np.testing.assert_allclose(got[f'key_blocks["{CUSTOM}"].value'][1],
                               np.clip(face.channel("mouthSmileLeft"), 0, 1), atol=1e-5)
    assert got[f'key_blocks["{CUSTOM}"].value'][1].max() > 0.3
    assert bpy.data.actions["talkrig_speech"]["talkrig_mapping"]["mouthSmileLeft"] == CUSTOM


def test_shipped_face_cap_preset_maps_every_side(face_cap_rig):
    path = presets.preset_files()["face_cap"]
    table = presets.load_preset(path)
    assert table["eyeBlinkLeft"] == "eyeBlink_L" and table["mouthSmileRight"] == "mouthSmile_R"
    assert len(table) == 52


def test_bad_preset_and_missing_keys_are_one_line_errors(face_cap_rig, preset_dir, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(RuntimeError, match="not a readable JSON"):
        bpy.ops.talkrig.mapping_load_preset(filepath=str(bad))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"talkrig_mapping": 1, "mapping": {"jawOpen": "NoSuchKey"}}))
    assert bpy.ops.talkrig.mapping_load_preset(filepath=str(other)) == {"FINISHED"}
    rows = {r.arkit: r.shape_key for r in bpy.context.scene.talkrig.mapping}
    assert rows["jawOpen"] == "jawOpen"                    # not applied: the key is not there
