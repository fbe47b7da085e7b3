"""The sidebar panel: sections draw against real properties and operators; errors are one
line, in the operator report and in the panel."""
from __future__ import annotations

import types

import bpy
import pytest

from talkrig.addon import panels


class Recorder:
    """A stand-in for UILayout that checks every property and operator it is given."""

    def __init__(self, log):
        self.log = log

    def __getattr__(self, name):                 # scale_y, alert, enabled ... and sub-layouts
        if name in ("row", "column", "box", "split", "grid_flow", "column_flow"):
            return lambda *a, **k: Recorder(self.log)
        raise AttributeError(name)

    def label(self, *, text="", icon="NONE"):
        self.log.append(("label", text))

    def prop(self, data, name, **kw):
        assert name in data.bl_rna.properties, f"{data} has no property {name!r}"
        self.log.append(("prop", name))

    def prop_search(self, data, name, search_data, search_name, **kw):
        assert name in data.bl_rna.properties, name
        assert hasattr(search_data, search_name), search_name
        self.log.append(("prop_search", name))

    def operator(self, idname, **kw):
        group, op = idname.split(".")
        assert hasattr(getattr(bpy.ops, group), op), idname
        self.log.append(("operator", idname))
        return types.SimpleNamespace()

    def template_list(self, *args, **kw):
        self.log.append(("template_list", args[0]))

    def progress(self, **kw):
        self.log.append(("progress", kw.get("text", "")))

    def separator(self, **kw):
        pass


def _draw_all():
    log = []
    for cls in panels.CLASSES:
        if issubclass(cls, bpy.types.Panel):
            cls.draw(types.SimpleNamespace(layout=Recorder(log)), bpy.context)
    return log


def test_panel_sections_are_registered_in_the_sidebar():
    for cls in panels.CLASSES:
        if issubclass(cls, bpy.types.Panel):
            assert cls.bl_category == "talkrig" and cls.bl_space_type == "VIEW_3D"
            assert hasattr(bpy.types, cls.__name__)
    subs = {c.bl_label for c in panels.CLASSES if getattr(c, "bl_parent_id", "") == "TALKRIG_PT_main"}
    assert subs == {"Source", "Target", "Emotion", "Style", "Keys & Take", "Export"}


def test_every_section_draws_with_and_without_a_face(demo_head, speech_wav):
    s = bpy.context.scene.talkrig
    s.show_compounds = s.show_regions = s.show_mapping = True
    s.key_mode = "REDUCED"
    bpy.ops.talkrig.mapping_refresh()
    log = _draw_all()
    props = {name for kind, name in log if kind == "prop"}
    assert {"happiness", "pain", "nervous_smile", "emotion_mouth", "speech_jaw", "articulation",
            "lead_ms", "blink_rate", "head_amount", "gaze_amount", "eyes", "blinks", "head",
            "tolerance", "interpolation", "placement", "description"} <= props
    assert ("template_list", "TALKRIG_UL_mapping") in log
    assert {("operator", "talkrig.bake"), ("operator", "talkrig.clear_take"),
            ("operator", "talkrig.export"), ("operator", "talkrig.preview")} <= set(log)
    s.source = "STRIP"
    _draw_all()
    bpy.context.scene.sequence_editor_create()
    s.strip = "missing strip"
    assert ("prop", "strip") in _draw_all()
    with pytest.raises(RuntimeError, match="no sequencer strip called 'missing strip'"):
        bpy.ops.talkrig.bake()
    bpy.context.view_layer.objects.active = None
    demo_head.select_set(False)
    assert ("label", "Select the face mesh (ARKit shape keys)") in _draw_all()


def test_panel_shows_the_saved_keys_after_a_reduced_bake(demo_head, speech_wav):
    s = bpy.context.scene.talkrig
    s.key_mode, s.tolerance = "REDUCED", 0.02
    bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=False)
    labels = [t for kind, t in _draw_all() if kind == "label"]
    assert any("saved" in t and "talkrig_speech" in t for t in labels), labels


def _error_shown(fragment):
    s = bpy.context.scene.talkrig
    assert fragment in s.last_error and "\n" not in s.last_error
    labels = " ".join(t for kind, t in _draw_all() if kind == "label")
    assert fragment.split()[0] in labels


def test_corrupted_audio(demo_head, tmp_path):
    bad = tmp_path / "corrupt.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunkjunk" * 3)
    with pytest.raises(RuntimeError, match="corrupt.wav"):
        bpy.ops.talkrig.bake(filepath=str(bad))
    _error_shown("corrupt.wav")
    assert not list(bpy.data.actions)


def test_missing_transcript_file(demo_head, speech_wav, tmp_path):
    s = bpy.context.scene.talkrig
    s.audio_path = str(speech_wav)
    s.transcript_source, s.transcript_path = "FILE", str(tmp_path / "lines" / "take1.txt")
    with pytest.raises(RuntimeError, match="transcript file .* does not exist"):
        bpy.ops.talkrig.bake()
    _error_shown("take1.txt")
    (tmp_path / "lines").mkdir()
    (tmp_path / "lines" / "take1.txt").write_text("hello there\n", encoding="utf-8")
    from talkrig.addon.bake_job import gather_request

    assert gather_request(bpy.context).text == "hello there"


def test_rig_without_face_shape_keys(factory_scene, speech_wav):
    mesh = bpy.data.meshes.new("plain")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    ob = bpy.data.objects.new("plain", mesh)
    bpy.context.scene.collection.objects.link(ob)
    bpy.context.view_layer.objects.active = ob
    with pytest.raises(RuntimeError, match="has no shape keys"):
        bpy.ops.talkrig.bake(filepath=str(speech_wav))
    _error_shown("has no shape keys")
    ob.shape_key_add(name="Basis")
    ob.shape_key_add(name="cube_bulge")                  # keys, but none is a face key
    with pytest.raises(RuntimeError, match="ARKit"):
        bpy.ops.talkrig.bake(filepath=str(speech_wav))
    assert "ARKit" in bpy.context.scene.talkrig.last_error


def test_unwritable_output_folder(demo_head, speech_wav, tmp_path):
    bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=False)
    blocker = tmp_path / "file_not_folder"
    blocker.write_text("x")
    for name in ("face.fbx", "face.csv"):
        with pytest.raises(RuntimeError, match="cannot write|does not exist|not writable"):
            bpy.ops.talkrig.export(filepath=str(blocker / name))
        _error_shown("file_not_folder")
    # a good export clears the error
    assert bpy.ops.talkrig.export(filepath=str(tmp_path / "face.json")) == {"FINISHED"}
    assert bpy.context.scene.talkrig.last_error == ""


def test_take_and_strip_fields_suggest_only_takes_and_sound_strips(demo_head, speech_wav):
    from talkrig.addon.properties import _search_strips, _search_takes

    bpy.data.actions.new("my_walk")
    bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=False)
    assert _search_takes(None, bpy.context, "") == ["talkrig_speech"]
    assert _search_takes(None, bpy.context, "walk") == []
    assert _search_strips(None, bpy.context, "") == []


def test_mapping_rows_draw_with_a_shape_key_picker(demo_head):
    s = bpy.context.scene.talkrig
    bpy.ops.talkrig.mapping_refresh()
    s.mapping[0].shape_key = "jawOpen"                 # an edit: drawn with a pencil
    log = []
    for i, row in enumerate(s.mapping[:2]):
        panels.TALKRIG_UL_mapping.draw_item(None, bpy.context, Recorder(log), s, row, 0, s,
                                            "mapping_index", i, 0)
    assert log.count(("prop_search", "shape_key")) == 2
    assert ("label", s.mapping[0].arkit) in log
