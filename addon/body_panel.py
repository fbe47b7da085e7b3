"""The Body section of the talkrig panel: gestures on the user's own armature.

Settings live in ``scene.talkrig_body`` (:class:`TalkrigBodySettings`): on/off, gesture
amount, energy, hand height, handedness, upper or full body, the target armature, the SMPL-X
model file for a user-built SMPL-X rig, and the bone mapping rows (one per SMPL-X joint the
rig's family carries, editable, with what automatic matching found). Operators:

- ``talkrig.body_match``: match the target's bones (family with a score; VRM add-on data
  when present) into the rows;
- ``talkrig.body_build_smplx``: build an SMPL-X armature (talkrig's proportions, or the
  model file's joints);
- ``talkrig.body_bake``: bake the speech of the Source section with the body on and write
  the body onto the target as a new take (one undo step; the face take is separate);
- ``talkrig.body_preset_save`` / ``talkrig.body_preset_load``: mapping presets (JSON);
- ``talkrig.body_export``: FBX (engine preset) / glb / BVH of the body with the face.
"""

import dataclasses
import os
from pathlib import Path

import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty,
                       IntProperty, PointerProperty, StringProperty)

from ..core.errors import TalkrigError
from ..rigs.skeletons import smplx
from .panels import _Sub

PRESET_FOLDER = "body_mapping"


class TalkrigBoneRow(bpy.types.PropertyGroup):
    joint: StringProperty(name="Joint", description="SMPL-X joint")
    bone: StringProperty(name="Bone", description="The target armature's bone for this joint")
    auto_bone: StringProperty(name="Found", description="What automatic matching found")


def _preset_enum(_self, _context):
    return _preset_items()


def _is_armature(_self, obj):
    return obj is not None and obj.type == "ARMATURE"


class TalkrigBodySettings(bpy.types.PropertyGroup):
    enabled: BoolProperty(name="Body", default=False,
                          description="Bake gestures onto the target armature as well")
    gesture_amount: FloatProperty(name="Amount", default=1.0, min=0.0, max=2.0,
                                  description="0 = idle and breathing only, 1 = normal, 2 = animated")
    energy: FloatProperty(name="Energy", default=1.0, min=0.0, max=2.0,
                          description="Speed and sharpness of strokes, 1 = normal")
    hand_height: FloatProperty(name="Hand Height", default=0.0, min=-1.0, max=1.0,
                               description="-1 = hands low near the hips, 1 = high, near the chest")
    handedness: EnumProperty(name="Hand", default="right",
                             description="Which hand leads the gestures", items=(
        ("right", "Right", "Mostly the right hand"), ("left", "Left", "Mostly the left hand"),
        ("both", "Both", "Both hands alike")))
    mode: EnumProperty(name="Body Parts", default="upper",
                       description="How much of the body moves", items=(
        ("upper", "Upper Body", "Spine, arms, hands, neck and head; the pelvis stays still"),
        ("full", "Full Body", "Also the pelvis (with root motion) and the legs")))
    target: PointerProperty(name="Armature", type=bpy.types.Object, poll=_is_armature,
                            description="The character's armature that gets the body")
    model_path: StringProperty(name="SMPL-X Model", subtype="FILE_PATH",
                               description="Optional SMPLX_*.npz: build the SMPL-X rig with its joints")
    family: StringProperty(name="Family", description="The skeleton family matched (mixamo, ue5, ...)")
    score: FloatProperty(name="Score", min=0.0, max=1.0,
                         description="Share of the skeleton's joints matched to the armature's bones")
    rows: CollectionProperty(type=TalkrigBoneRow,
                             description="Which bone of the armature takes each SMPL-X joint")
    rows_index: IntProperty(description="The selected row of the bone mapping")
    rows_object: StringProperty(description="The armature the bone mapping was made for")
    preset_name: StringProperty(name="Preset", default="my_rig",
                                description="Name to save the bone mapping under")
    preset: EnumProperty(name="Load", items=lambda self, ctx: _preset_enum(self, ctx),
                         description="Load a saved bone mapping")
    fbx_preset: EnumProperty(name="FBX", default="default",
                             description="Exporter settings for the game engine", items=(
        ("default", "Blender", "Blender's axes and scale"), ("unreal", "Unreal", "UE5: centimetres"),
        ("unity", "Unity", "Unity: metres, every node scale 1")))

    def body_settings(self):
        from ..core.body.settings import BodySettings

        return BodySettings(enabled=True, gesture_amount=self.gesture_amount, energy=self.energy,
                            hand_height=self.hand_height, handedness=self.handedness)


def preset_dir() -> Path:
    from .presets import user_dir

    return user_dir() / PRESET_FOLDER


_PRESET_CACHE: list = []


def _preset_items():
    folder = preset_dir()
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    _PRESET_CACHE[:] = [(str(p), p.stem, f"Body mapping preset {p}") for p in files] or \
        [("", "(none saved)", "Save a mapping first")]
    return _PRESET_CACHE


def rows_mapping(body) -> dict:
    return {row.joint: row.bone for row in body.rows if row.bone}


def fill_rows(body, rig, mapping=None, family=None) -> object:
    """Match ``rig`` (or apply ``mapping``) and rebuild the rows; returns the SkeletonMatch."""
    from ..rigs.skeletons.match import FAMILIES
    from .body_rig import armature_match

    match = armature_match(rig, mapping=mapping, family=family)
    fam = FAMILIES.get(match.family)
    joints = [j for j in smplx.JOINT_NAMES if fam is None or j in fam.mapping or j in match.matched]
    body.rows.clear()
    for joint in joints:
        row = body.rows.add()
        row.joint = joint
        row.auto_bone = row.bone = match.matched.get(joint, "")
    body.family, body.score, body.rows_object = match.family, match.score, rig.name
    return match


def _report_error(op, exc) -> set:
    op.report({"ERROR"}, f"talkrig: {exc}")
    return {"CANCELLED"}


class TALKRIG_OT_body_match(bpy.types.Operator):
    """Match the target armature's bones to SMPL-X joints (family by bone names, or VRM data)"""

    bl_idname = "talkrig.body_match"
    bl_label = "Match Bones"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        body = context.scene.talkrig_body
        try:
            match = fill_rows(body, body.target or context.active_object)
        except TalkrigError as exc:
            return _report_error(self, exc)
        self.report({"INFO"}, f"talkrig: {match.summary()}")
        return {"FINISHED"}


class TALKRIG_OT_body_build_smplx(bpy.types.Operator):
    """Build an SMPL-X armature (talkrig's proportions, or the SMPL-X model file's joints)"""

    bl_idname = "talkrig.body_build_smplx"
    bl_label = "Build SMPL-X Rig"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from .body_rig import build_smplx_armature

        body = context.scene.talkrig_body
        try:
            rig = build_smplx_armature(model_path=bpy.path.abspath(body.model_path) or None)
        except TalkrigError as exc:
            return _report_error(self, exc)
        body.target = rig
        fill_rows(body, rig)
        return {"FINISHED"}


class TALKRIG_OT_body_bake(bpy.types.Operator):
    """Bake the speech with the body on and write the body onto the target armature (a new take)"""

    bl_idname = "talkrig.body_bake"
    bl_label = "Bake Body"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from ..core.pipeline import bake
        from .bake_job import gather_request
        from .body_keys import write_body_take
        from .body_rig import skeleton_joints

        body = context.scene.talkrig_body
        rig = body.target
        try:
            if rig is None:
                raise TalkrigError("pick the character's armature as the Body target (or build the "
                                   "SMPL-X rig)")
            req = gather_request(context)
            settings = dataclasses.replace(req.settings, body=body.body_settings())
            perf = bake(req.audio_path, settings, text=req.text)
            mapping = rows_mapping(body) if body.rows_object == rig.name else None
            res = write_body_take(rig, perf.body, mapping=mapping, family=body.family if mapping else None,
                                  mode=body.mode, line=req.line,
                                  frame_start=req.frame_start, interpolation=req.interpolation,
                                  placement=req.placement, tolerance=req.tolerance,
                                  source_joints=skeleton_joints(rig))
        except TalkrigError as exc:
            return _report_error(self, exc)
        note = (f"; {len(res.constrained)} bones are driven by constraints and will not show the keys"
                if res.constrained else "")
        self.report({"INFO"}, f"talkrig: body take '{res.action.name}' on {len(res.bones)} bones "
                              f"({res.match.label}){note}")
        return {"FINISHED"}


class TALKRIG_OT_body_preset_save(bpy.types.Operator):
    """Save the bone mapping rows as a preset (JSON)"""

    bl_idname = "talkrig.body_preset_save"
    bl_label = "Save Mapping"

    def execute(self, context):
        from ..core.retarget import save_preset
        from .presets import safe_name

        body = context.scene.talkrig_body
        try:
            path = save_preset(preset_dir() / f"{safe_name(body.preset_name)}.json", body.preset_name,
                               rows_mapping(body), body.family or "custom")
        except TalkrigError as exc:
            return _report_error(self, exc)
        self.report({"INFO"}, f"talkrig: saved {path}")
        return {"FINISHED"}


class TALKRIG_OT_body_preset_load(bpy.types.Operator):
    """Apply a saved bone mapping preset to the target armature"""

    bl_idname = "talkrig.body_preset_load"
    bl_label = "Load Mapping"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from ..core.retarget import load_preset

        body = context.scene.talkrig_body
        try:
            if not body.preset:
                raise TalkrigError("no body mapping preset is saved yet")
            family, mapping = load_preset(body.preset)
            if body.target is None:
                raise TalkrigError("pick the Body target armature first")
            fill_rows(body, body.target, mapping=mapping, family=family)
        except TalkrigError as exc:
            return _report_error(self, exc)
        return {"FINISHED"}


class TALKRIG_OT_body_export(bpy.types.Operator):
    """Export the body take with the face take: FBX (engine preset), glb or BVH"""

    bl_idname = "talkrig.body_export"
    bl_label = "Export Body"

    filepath: StringProperty(subtype="FILE_PATH", default="//talkrig_body.fbx",
                             description="Where to write the take: .fbx, .glb or .bvh")

    def execute(self, context):
        from .body_export import export_body
        from .takes import active_take

        body = context.scene.talkrig_body
        face = context.scene.talkrig.target if hasattr(context.scene.talkrig, "target") else None
        face = face if face is not None and active_take(face) is not None else None
        try:
            path = export_body(body.target, bpy.path.abspath(self.filepath), face=face,
                               preset=body.fbx_preset)
        except TalkrigError as exc:
            return _report_error(self, exc)
        self.report({"INFO"}, f"talkrig: wrote {os.path.basename(path)}")
        return {"FINISHED"}

    def invoke(self, context, _event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}


class TALKRIG_UL_body_rows(bpy.types.UIList):
    def draw_item(self, context, layout, _data, item, _icon, _active, _prop):
        body = context.scene.talkrig_body
        row = layout.row(align=True)
        row.label(text=item.joint, icon="CHECKMARK" if item.bone else "ERROR")
        if body.target is not None:
            row.prop_search(item, "bone", body.target.data, "bones", text="")
        else:
            row.prop(item, "bone", text="")


class TALKRIG_PT_body(_Sub, bpy.types.Panel):
    bl_label = "Body"
    bl_idname = "TALKRIG_PT_body"
    bl_options = {"DEFAULT_CLOSED"}

    def draw_header(self, context):
        self.layout.prop(context.scene.talkrig_body, "enabled", text="")

    def draw(self, context):
        body = context.scene.talkrig_body
        layout = self.layout
        layout.active = body.enabled
        col = layout.column(align=True)
        for name in ("gesture_amount", "energy", "hand_height"):
            col.prop(body, name, slider=True)
        layout.prop(body, "handedness", expand=True)
        layout.prop(body, "mode", expand=True)
        layout.prop(body, "target")
        row = layout.row(align=True)
        row.prop(body, "model_path", text="")
        row.operator("talkrig.body_build_smplx", text="", icon="ARMATURE_DATA")
        layout.operator("talkrig.body_match", icon="BONE_DATA")
        if body.rows_object and body.target is not None and body.rows_object == body.target.name:
            matched = sum(1 for r in body.rows if r.bone)
            from ..rigs.skeletons.match import FAMILIES

            label = FAMILIES[body.family].label if body.family in FAMILIES else body.family
            layout.label(text=f"{label}: {matched} matched, {len(body.rows) - matched} missing "
                              f"(score {body.score:.2f})")
            layout.template_list("TALKRIG_UL_body_rows", "", body, "rows", body, "rows_index", rows=6)
        row = layout.row(align=True)
        row.prop(body, "preset_name", text="")
        row.operator("talkrig.body_preset_save", text="", icon="FILE_TICK")
        row = layout.row(align=True)
        row.prop(body, "preset", text="")
        row.operator("talkrig.body_preset_load", text="", icon="IMPORT")
        layout.operator("talkrig.body_bake", icon="ARMATURE_DATA")
        row = layout.row(align=True)
        row.prop(body, "fbx_preset", text="")
        row.operator("talkrig.body_export", icon="EXPORT")


CLASSES = (TalkrigBoneRow, TalkrigBodySettings, TALKRIG_OT_body_match, TALKRIG_OT_body_build_smplx,
           TALKRIG_OT_body_bake, TALKRIG_OT_body_preset_save, TALKRIG_OT_body_preset_load,
           TALKRIG_OT_body_export, TALKRIG_UL_body_rows, TALKRIG_PT_body)


def register_props() -> None:
    bpy.types.Scene.talkrig_body = PointerProperty(type=TalkrigBodySettings)


def unregister_props() -> None:
    if hasattr(bpy.types.Scene, "talkrig_body"):
        del bpy.types.Scene.talkrig_body
