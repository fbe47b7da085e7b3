"""Sidebar panel in the 3D view (View3D > Sidebar > talkrig), in sections.

The main panel holds the Bake / Clear Take buttons, the running bake's progress and the last
outcome (error or summary); sub-panels: Source, Target (mapping report and editable
mapping, presets), Emotion (animatable sliders, region mix, description), Style, Keys & Take,
Export. Drawing only reads state; every change goes through properties or operators.
"""
from __future__ import annotations

import bpy

from .emotion_props import EMOTION_NAMES

BASIC = ("happiness", "sadness", "surprise", "fear", "disgust", "anger", "contempt")


class _Base:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "talkrig"


class _Sub(_Base):
    bl_parent_id = "TALKRIG_PT_main"
    bl_options = {"DEFAULT_CLOSED"}


class TALKRIG_UL_mapping(bpy.types.UIList):
    """ARKit channel -> shape key rows; the shape key is picked from the face's keys."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0,
                  flt_flag=0):
        from .bake_job import face_object

        obj = face_object(context)
        row = layout.row(align=True)
        row.label(text=item.arkit, icon="CHECKMARK" if item.shape_key else "X")
        keys = obj.data.shape_keys if obj is not None else None
        if keys is not None:
            row.prop_search(item, "shape_key", keys, "key_blocks", text="")
        else:
            row.prop(item, "shape_key", text="")
        if item.shape_key != item.auto_key:
            row.label(text="", icon="GREASEPENCIL")           # edited by the user


def offer_demo_head(context) -> bool:
    """Whether the main panel offers Add Demo Head: no face mesh with shape keys is picked
    (nothing active, or a mesh without shape keys such as the default cube)."""
    from .bake_job import face_object

    obj = face_object(context)
    keys = obj.data.shape_keys if obj is not None else None
    return keys is None or len(keys.key_blocks) < 2


class TALKRIG_PT_main(_Base, bpy.types.Panel):
    bl_label = "talkrig"
    bl_idname = "TALKRIG_PT_main"

    def draw(self, context):
        from .bake_job import current_job, face_object

        layout = self.layout
        settings = context.scene.talkrig
        obj = face_object(context)
        if offer_demo_head(context):
            layout.label(text="Select the face mesh (ARKit shape keys)" if obj is None else
                         f"'{obj.name}' has no shape keys: select the face mesh", icon="INFO")
            layout.operator("talkrig.add_demo_head", icon="USER")
        job = current_job()
        if job is not None and not job.finished:
            layout.progress(factor=job.fraction, type="BAR",
                            text=f"{job.message} ({job.fraction:.0%}), Esc cancels")
        row = layout.row(align=True)
        row.scale_y = 1.4
        row.operator("talkrig.bake", icon="REC", text="Bake")
        row.operator("talkrig.clear_take", icon="TRASH", text="Clear Take")
        if settings.last_error:
            box = layout.box()
            box.alert = True
            for i, part in enumerate(_wrap(settings.last_error, 48)):
                box.label(text=part, icon="ERROR" if i == 0 else "BLANK1")
        elif settings.last_result:
            for i, part in enumerate(_wrap(settings.last_result, 48)):
                layout.label(text=part, icon="CHECKMARK" if i == 0 else "BLANK1")


def _wrap(text: str, width: int) -> list:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return lines + ([line] if line else [])


class TALKRIG_PT_source(_Sub, bpy.types.Panel):
    bl_label = "Source"
    bl_idname = "TALKRIG_PT_source"
    bl_options = set()

    def draw(self, context):
        from .bake_job import strips_of

        layout = self.layout
        s = context.scene.talkrig
        layout.row().prop(s, "source", expand=True)
        col = layout.column(align=True)
        if s.source == "FILE":
            col.prop(s, "audio_path")
            col.prop(s, "frame_start")
            col.prop(s, "add_sound")
        else:
            strips = strips_of(context.scene)
            if strips is None:
                col.label(text="The sequencer has no strips", icon="INFO")
            else:
                col.prop(s, "strip", icon="SOUND")
                strip = strips.get(s.strip) if s.strip else None
                if strip is not None:
                    col.label(text=f"Take starts at frame {int(round(strip.frame_start))}")
        layout.row().prop(s, "transcript_source", expand=True)
        layout.prop(s, "transcript" if s.transcript_source == "TEXT" else "transcript_path", text="")
        layout.prop(s, "seed")


class TALKRIG_PT_target(_Sub, bpy.types.Panel):
    bl_label = "Target"
    bl_idname = "TALKRIG_PT_target"
    bl_options = set()

    def draw(self, context):
        from ..core.errors import TalkrigError
        from .bake_job import face_object
        from .presets import mapping_report

        layout = self.layout
        s = context.scene.talkrig
        layout.prop(s, "target")
        obj = face_object(context)
        if obj is None:
            layout.label(text="No face mesh", icon="INFO")
            return
        try:
            matched, missing, extra = mapping_report(obj, s)
        except TalkrigError as exc:
            layout.label(text=str(exc), icon="ERROR")
            return
        col = layout.column(align=True)
        col.label(text=f"Matched {len(matched)}/52 ARKit channels", icon="CHECKMARK")
        if missing:
            col.label(text=f"Missing {len(missing)}: {', '.join(missing[:3])}"
                      + ("..." if len(missing) > 3 else ""), icon="X")
        if extra:
            col.label(text=f"Extra {len(extra)}: {', '.join(extra[:3])}"
                      + ("..." if len(extra) > 3 else ""), icon="QUESTION")
        visemes = _viseme_line(obj)
        if visemes:
            col.label(text=visemes, icon="INFO")
        layout.prop(s, "drive")
        for i, line in enumerate(_drive_lines(obj, matched, s.drive)):
            layout.label(text=line.removeprefix("! "),
                         icon=("ERROR" if line.startswith("! ") else "PLAY") if i == 0 else "BLANK1")
        row = layout.row(align=True)
        row.operator("talkrig.mapping_refresh", icon="FILE_REFRESH")
        row.prop(s, "show_mapping", toggle=True, icon="PREFERENCES", text="")
        if s.show_mapping and s.mapping_object == obj.name and len(s.mapping):
            layout.template_list("TALKRIG_UL_mapping", "", s, "mapping", s, "mapping_index", rows=6)
        row = layout.row(align=True)
        row.operator("talkrig.mapping_load_preset", icon="IMPORT", text="Load Preset")
        row = layout.row(align=True)
        row.prop(s, "mapping_preset", text="")
        row.operator("talkrig.mapping_save_preset", icon="EXPORT", text="Save")


def _viseme_line(obj) -> str:
    from ..rigs.visemes import match_viseme_keys

    keys = obj.data.shape_keys.key_blocks.keys()[1:]
    match = match_viseme_keys(keys)
    if not match.matched:
        return ""
    return f"Viseme keys: {len(match.matched)}/15 ({match.name_set or 'mixed'} names)"


def _drive_lines(obj, matched, drive) -> list:
    """What a bake will drive on ``obj``: mode, and the viseme keys found and missing."""
    from ..core.errors import TalkrigError
    from .viseme_keys import object_plan

    try:
        plan = object_plan(obj, matched, drive=drive)
    except TalkrigError as exc:
        return ["! " + str(exc)]
    if plan.mode == "arkit":
        return ["Drives the ARKit shape keys"]
    lines = [f"Drives {len(plan.visemes)}/15 viseme keys ({plan.name_set or 'mixed'} names)"]
    if plan.missing:
        lines += _wrap("Missing visemes: " + ", ".join(plan.missing), 40)
    return lines


class TALKRIG_PT_emotion(_Sub, bpy.types.Panel):
    bl_label = "Emotion"
    bl_idname = "TALKRIG_PT_emotion"

    def draw(self, context):
        from ..core.face.regions import REGION_NAMES

        layout = self.layout
        s = context.scene.talkrig
        layout.prop(s, "description", text="", icon="TEXT")
        layout.prop(s, "use_vad")
        if s.use_vad:
            col = layout.column(align=True)
            for name in ("valence", "arousal", "dominance"):
                col.prop(s, name, slider=True)
        col = layout.column(align=True)
        for name in EMOTION_NAMES:
            if name in BASIC:
                col.prop(s.emotion, name, slider=True)
        layout.prop(s, "show_compounds", icon="DISCLOSURE_TRI_DOWN" if s.show_compounds
                    else "DISCLOSURE_TRI_RIGHT", emboss=False)
        if s.show_compounds:
            col = layout.column(align=True)
            for name in EMOTION_NAMES:
                if name not in BASIC:
                    col.prop(s.emotion, name, slider=True)
        layout.prop(s, "show_regions", icon="DISCLOSURE_TRI_DOWN" if s.show_regions
                    else "DISCLOSURE_TRI_RIGHT", emboss=False)
        if s.show_regions:
            grid = layout.grid_flow(columns=2, even_columns=True, align=True)
            for layer in ("emotion", "speech"):
                col = grid.column(align=True)
                col.label(text=layer.capitalize())
                for r in REGION_NAMES:
                    col.prop(s.region, f"{layer}_{r}", slider=True, text=r.capitalize())
        layout.label(text="Sliders are animatable: key them over the take", icon="DECORATE_KEYFRAME")


class TALKRIG_PT_style(_Sub, bpy.types.Panel):
    bl_label = "Style"
    bl_idname = "TALKRIG_PT_style"

    def draw(self, context):
        layout = self.layout
        s = context.scene.talkrig
        layout.prop(s, "mode")
        col = layout.column(align=True)
        for name in ("articulation", "loudness_scale", "lead_ms", "blink_rate", "head_amount",
                     "gaze_amount", "auto_emotion"):
            col.prop(s, name)
        row = layout.row(align=True)
        for name in ("eyes", "blinks", "head"):
            row.prop(s, name, toggle=True)


class TALKRIG_PT_keys(_Sub, bpy.types.Panel):
    bl_label = "Keys & Take"
    bl_idname = "TALKRIG_PT_keys"

    def draw(self, context):
        from .bake_job import face_object
        from .takes import active_take

        layout = self.layout
        s = context.scene.talkrig
        layout.row().prop(s, "key_mode", expand=True)
        if s.key_mode == "REDUCED":
            layout.prop(s, "tolerance")
        layout.prop(s, "interpolation")
        layout.prop(s, "placement")
        layout.prop(s, "take", icon="ACTION")
        obj = face_object(context)
        take = bpy.data.actions.get(s.take) if s.take else active_take(obj) if obj else None
        if take is not None and "talkrig_keys_full" in take.keys():
            full, written = int(take["talkrig_keys_full"]), int(take["talkrig_keys_written"])
            layout.label(text=f"{take.name}: {written:,} keys, {full - written:,} saved",
                         icon="KEYFRAME")


class TALKRIG_PT_export(_Sub, bpy.types.Panel):
    bl_label = "Export"
    bl_idname = "TALKRIG_PT_export"

    def draw(self, context):
        layout = self.layout
        s = context.scene.talkrig
        layout.prop(s, "export_path", text="")
        if s.export_path.lower().endswith(".fbx"):
            layout.prop(s, "export_preset")
        layout.operator("talkrig.export", icon="EXPORT").filepath = s.export_path
        # A quick review video of the take with its speech (Workbench render + ffmpeg).
        layout.operator("talkrig.preview", icon="RENDER_ANIMATION", text="Preview Video")


CLASSES = (TALKRIG_UL_mapping, TALKRIG_PT_main, TALKRIG_PT_source, TALKRIG_PT_target,
           TALKRIG_PT_emotion, TALKRIG_PT_style, TALKRIG_PT_keys, TALKRIG_PT_export)
