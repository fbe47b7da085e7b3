"""Minimal sidebar panel in the 3D view (View3D > Sidebar > talkrig)."""
from __future__ import annotations

import bpy


class TALKRIG_PT_main(bpy.types.Panel):
    bl_label = "talkrig"
    bl_idname = "TALKRIG_PT_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "talkrig"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.talkrig
        obj = context.active_object
        layout.operator("talkrig.add_demo_head", icon="USER")
        col = layout.column(align=True)
        col.prop(settings, "audio_path")
        col.prop(settings, "transcript")
        col.prop(settings, "seed")
        col.prop(settings, "add_sound")
        if obj is None or obj.type != "MESH" or obj.data.shape_keys is None:
            layout.label(text="Select a mesh with ARKit shape keys", icon="INFO")
        op = layout.operator("talkrig.bake", icon="REC")
        op.filepath = settings.audio_path
        op.text = settings.transcript
        op.seed = settings.seed
        op.add_sound = settings.add_sound
        layout.separator()
        layout.prop(settings, "export_path")
        layout.operator("talkrig.export", icon="EXPORT").filepath = settings.export_path


CLASSES = (TALKRIG_PT_main,)
