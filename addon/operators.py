"""Thin operators: gather options, call one function, report errors to the user."""

import os

import bpy
from bpy.props import BoolProperty, FloatProperty, IntProperty, StringProperty

from ..core.errors import TalkrigError


# Blender 4.5+/5.0 only accept "//" (blend-relative) operator paths when the property says so;
# older versions do not know the flag (and drop a property that names it).
_RELATIVE_PATH = ({"PATH_SUPPORTS_BLEND_RELATIVE"}
                  if "is_path_supports_blend_relative" in bpy.types.Property.bl_rna.properties
                  else set())


def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def _active_mesh(context):
    obj = context.active_object
    return obj if obj is not None and obj.type == "MESH" else None


class TALKRIG_OT_bake(bpy.types.Operator):
    """Bake speech into face animation on the active mesh's ARKit shape keys (new action)"""

    bl_idname = "talkrig.bake"
    bl_label = "Bake Speech"
    bl_options = {"REGISTER", "UNDO"}

    filepath: StringProperty(name="Speech", subtype="FILE_PATH", options=_RELATIVE_PATH)
    filter_glob: StringProperty(default="*.wav;*.flac;*.ogg;*.mp3", options={"HIDDEN"})
    text: StringProperty(name="Transcript", description="What is said (optional)")
    fps: FloatProperty(name="FPS", default=0.0, min=0.0, max=240.0,
                       description="Frame rate of the take (0 = the scene's frame rate)")
    seed: IntProperty(name="Seed", default=0, min=0)
    frame_start: IntProperty(name="Start Frame", default=1,
                             description="Blender frame of the take's first frame (t = 0)")
    add_sound: BoolProperty(name="Add Sound Strip", default=True)

    @classmethod
    def poll(cls, context):
        return _active_mesh(context) is not None

    def invoke(self, context, event):
        if not self.filepath:
            context.window_manager.fileselect_add(self)
            return {"RUNNING_MODAL"}
        return self.execute(context)

    def execute(self, context):
        from ..core.pipeline import bake
        from .keyframes import shape_key_mapping, write_face_curves
        from .sound import add_sound_strip

        obj = _active_mesh(context)
        path = bpy.path.abspath(self.filepath)
        fps = self.fps or scene_fps(context.scene)
        try:
            mapping = shape_key_mapping(obj)
            perf = bake(path, text=self.text or None, fps=fps, seed=self.seed)
            action = write_face_curves(obj, perf.face, mapping=mapping,
                                       action_name=f"talkrig_{os.path.splitext(os.path.basename(path))[0]}",
                                       frame_start=self.frame_start, set_fps=True)
        except TalkrigError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if self.add_sound:
            add_sound_strip(context.scene, path, frame_start=self.frame_start)
        missing = f"; missing: {', '.join(mapping.missing[:6])}" + ("..." if len(mapping.missing) > 6 else "") \
            if mapping.missing else ""
        self.report({"INFO"}, f"talkrig: {perf.face.n_frames} frames at {perf.face.fps:g} fps into "
                    f"'{action.name}'; {len(mapping.matched)}/52 shape keys matched{missing}")
        return {"FINISHED"}


class TALKRIG_OT_export(bpy.types.Operator):
    """Export the active face mesh and its take to FBX or glb (first key at t = 0)"""

    bl_idname = "talkrig.export"
    bl_label = "Export Face"
    bl_options = {"REGISTER"}

    filepath: StringProperty(name="File", subtype="FILE_PATH", options=_RELATIVE_PATH)
    filter_glob: StringProperty(default="*.fbx;*.glb", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return _active_mesh(context) is not None

    def invoke(self, context, event):
        if not self.filepath:
            self.filepath = bpy.path.abspath(context.scene.talkrig.export_path or "//face.fbx")
            context.window_manager.fileselect_add(self)
            return {"RUNNING_MODAL"}
        return self.execute(context)

    def execute(self, context):
        from .export import export_fbx, export_glb

        if self.filepath.startswith("//") and not bpy.data.filepath:
            self.report({"ERROR"}, f"'{self.filepath}' is relative to the .blend file, which is not "
                        "saved yet: save it first or choose an absolute path")
            return {"CANCELLED"}
        path = bpy.path.abspath(self.filepath)
        ext = os.path.splitext(path)[1].lower()
        writer = {".fbx": export_fbx, ".glb": export_glb}.get(ext)
        if writer is None:
            self.report({"ERROR"}, f"'{path}': choose a file ending in .fbx or .glb")
            return {"CANCELLED"}
        try:
            writer(_active_mesh(context), path)
        except TalkrigError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"talkrig: exported {path}")
        return {"FINISHED"}


class TALKRIG_OT_add_demo_head(bpy.types.Operator):
    """Add the talkrig demo head (a mesh with all 52 ARKit shape keys)"""

    bl_idname = "talkrig.add_demo_head"
    bl_label = "Add Demo Head"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from .demo_head import create_demo_head

        obj = create_demo_head(collection=context.collection)
        for other in context.view_layer.objects:
            other.select_set(False)
        obj.select_set(True)
        context.view_layer.objects.active = obj
        return {"FINISHED"}


CLASSES = (TALKRIG_OT_bake, TALKRIG_OT_export, TALKRIG_OT_add_demo_head)
