"""The FLAME section of the talkrig panel: a FLAME mesh from the user's own model file.

Settings live in ``scene.talkrig_flame`` (:class:`TalkrigFlameSettings`): the model file
(FLAME 2020/2023 .pkl, an .npz conversion, or an SMPL-X model whose face part is used) and
how many expression coefficients to use. ``talkrig.flame_create`` loads the model and builds
the mesh (``addon.flame_mesh.create_flame_object``: ``Exp000``... shape keys, root/neck/jaw/
eye bones; the mesh remembers its model file). Baking onto a FLAME mesh (recognised by its
shape-key names, ours or the FLAME / Meshcapade add-ons') goes through the ordinary Bake
button: ``addon.bake_job`` reads the model file from the mesh, else from this section.
"""
import os

import bpy
from bpy.props import IntProperty, PointerProperty, StringProperty

from ..core.errors import FlameModelError, TalkrigError
from .panels import _Sub
from .flame_mesh import panel_model_path


class TalkrigFlameSettings(bpy.types.PropertyGroup):
    model_path: StringProperty(
        name="FLAME Model", subtype="FILE_PATH",
        description="Your FLAME model file (FLAME 2020 or 2023 .pkl, a converted .npz, or an "
                    "SMPL-X model for its face); used to build a FLAME mesh and to bake onto "
                    "FLAME meshes that do not remember their model")
    n_expression: IntProperty(
        name="Expressions", default=0, min=0, max=400,
        description="Expression coefficients to use (0 = all the model has)")

    @classmethod
    def register(cls):
        bpy.types.Scene.talkrig_flame = PointerProperty(type=cls)

    @classmethod
    def unregister(cls):
        if hasattr(bpy.types.Scene, "talkrig_flame"):
            del bpy.types.Scene.talkrig_flame


class TALKRIG_OT_flame_create(bpy.types.Operator):
    """Load the FLAME model file and build a FLAME mesh with expression shape keys and
    neck, jaw and eye bones, ready to bake onto"""

    bl_idname = "talkrig.flame_create"
    bl_label = "Create FLAME Mesh"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from ..core.flame.model import load_flame_model
        from .flame_mesh import create_flame_object

        flame = context.scene.talkrig_flame
        path = panel_model_path(context.scene)
        try:
            if not path:
                raise FlameModelError("no FLAME model file is set: pick your FLAME .pkl or "
                                      ".npz in the FLAME section")
            if not os.path.isfile(path):
                raise FlameModelError(f"FLAME model file '{path}' does not exist: pick the "
                                      "file again")
            model = load_flame_model(path, n_expression=int(flame.n_expression))
            if bpy.context.mode != "OBJECT":
                bpy.ops.object.mode_set(mode="OBJECT")
            obj = create_flame_object(model, collection=context.scene.collection)
        except TalkrigError as exc:
            self.report({"ERROR"}, " ".join(str(exc).split()))
            return {"CANCELLED"}
        for other in context.view_layer.objects:
            other.select_set(False)
        obj.select_set(True)
        context.view_layer.objects.active = obj
        settings = getattr(context.scene, "talkrig", None)
        if settings is not None and settings.target is not None:
            settings.target = obj                 # the Bake button goes to the new mesh
        self.report({"INFO"}, f"talkrig: FLAME mesh '{obj.name}' with {model.n_expression} "
                              f"expression keys ({model.kind})")
        return {"FINISHED"}


class TALKRIG_PT_flame(_Sub, bpy.types.Panel):
    bl_label = "FLAME"
    bl_idname = "TALKRIG_PT_flame"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        from .bake_job import face_object
        from .flame_mesh import find_flame_mesh

        flame = context.scene.talkrig_flame
        layout = self.layout
        layout.prop(flame, "model_path")
        layout.prop(flame, "n_expression")
        layout.operator("talkrig.flame_create", icon="MESH_MONKEY")
        obj = face_object(context)
        rig = find_flame_mesh(obj) if obj is not None else None
        if rig is None:
            layout.label(text="The face is not a FLAME mesh", icon="INFO")
            return
        stored = obj.get("talkrig_flame_model_path", "")
        layout.label(text=f"{obj.name}: FLAME, {len(rig.exp_keys)} expression keys, "
                          f"{len(rig.bones)} bones", icon="CHECKMARK")
        if stored:
            layout.label(text=f"Model: {os.path.basename(stored)}")
        elif not flame.model_path:
            layout.label(text="Set the FLAME model file to bake onto this mesh", icon="ERROR")


CLASSES = (TalkrigFlameSettings, TALKRIG_OT_flame_create, TALKRIG_PT_flame)
