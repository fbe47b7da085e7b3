"""The demo head as a Blender mesh object (Basis + 52 ARKit shape keys), its head/eye
armature, and a still preview render.

The geometry comes from ``rigs.demo_head`` (pure numpy), so what the bench measures and
what the user sees are the same mesh.

The armature (object ``<name>Rig``, the mesh's parent with an Armature modifier) has the
bones ``root`` > ``neck`` > ``head`` > ``eye.L``, ``eye.R`` (``rigs.demo_head.DEMO_BONES``;
``.L`` is the subject's left, +X). The head bone pivots at the top of the neck, the eye
bones at the eyeball centres, pointing forward (-Y). Skin weights: skull, face and ears
on ``head``, the neck tube blends ``neck`` -> ``head``, each eyeball on its eye bone.
With the armature the eyeballs turn by their eye bones only: the ``eyeLook*`` shape keys
of this Blender object keep their lid motion but not the eyeball rotation (otherwise
the gaze would be applied twice). Without it (``armature=False``) the keys turn the
eyeballs as in ``rigs.demo_head``.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..rigs.arkit import ARKIT_NAMES
from ..rigs.demo_head import DemoHead, build_demo_head
from .armature import build_armature, skin_to

# Workbench / viewport colours per part (linear RGBA).
PART_COLORS = {
    "skin": (0.80, 0.55, 0.42, 1.0),
    "lips": (0.62, 0.26, 0.24, 1.0),
    "brows": (0.16, 0.10, 0.06, 1.0),
    "eye_white": (0.90, 0.90, 0.88, 1.0),
    "iris": (0.10, 0.20, 0.32, 1.0),
    "pupil": (0.01, 0.01, 0.012, 1.0),
    "teeth": (0.92, 0.90, 0.82, 1.0),
    "mouth": (0.40, 0.12, 0.12, 1.0),
    "tongue": (0.70, 0.30, 0.32, 1.0),
}
FLAT_PARTS = ("teeth",)


def _material(name: str, color) -> bpy.types.Material:
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    mat.diffuse_color = color
    mat.roughness = 0.6
    return mat


def _add_armature(obj, head: DemoHead, collection) -> bpy.types.Object:
    """The demo rig as the parent of ``obj``, skinned with ``head.bone_weights``."""
    from ..rigs.demo_head import demo_bones

    rig = build_armature(f"{obj.name}Rig", demo_bones(head), connect=("head",),
                         collection=collection)
    skin_to(obj, rig, head.bone_weights.items())
    return rig


def create_demo_head(name: str = "TalkrigDemoHead", *, head: DemoHead | None = None,
                     collection=None, armature: bool = True) -> bpy.types.Object:
    """Build the demo head mesh object with a Basis and the 52 ARKit shape keys.

    Parameters
    ----------
    name : str
        Object and mesh name.
    head : DemoHead, optional
        Pre-built geometry (``rigs.demo_head.build_demo_head()`` when omitted).
    collection : bpy.types.Collection, optional
        Where to link the object (the scene's main collection when omitted).
    armature : bool
        Also build the head/eye armature (``<name>Rig``) and skin the mesh to it.

    Returns
    -------
    bpy.types.Object
        The new mesh object, smooth shaded, one material slot per part.
    """
    head = head or build_demo_head()
    mesh = bpy.data.meshes.new(name)
    verts = head.vertices.astype(np.float64)
    mesh.from_pydata(verts.tolist(), [], [list(f) for f in head.faces])
    mesh.validate(clean_customdata=False)
    if len(mesh.polygons) != len(head.faces):
        raise RuntimeError("demo head mesh lost faces in validation (geometry bug)")
    for part in head.part_names:
        mesh.materials.append(_material(f"talkrig_{part}", PART_COLORS[part]))
    mesh.polygons.foreach_set("material_index", head.face_parts.astype(np.int32))
    flat = np.isin(head.face_parts, [head.part_names.index(p) for p in FLAT_PARTS])
    mesh.polygons.foreach_set("use_smooth", ~flat)
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    collection = collection or bpy.context.scene.collection
    collection.objects.link(obj)
    eyeballs = np.zeros(len(verts), dtype=bool)
    if armature:
        eyeballs = (head.bone_weights["eye.L"] > 0) | (head.bone_weights["eye.R"] > 0)
    obj.shape_key_add(name="Basis", from_mix=False)
    for key_name in ARKIT_NAMES:
        kb = obj.shape_key_add(name=key_name, from_mix=False)
        delta = head.shape_keys[key_name]
        if key_name.startswith("eyeLook") and eyeballs.any():
            delta = np.where(eyeballs[:, None], 0.0, delta)      # the eye bones turn them
        kb.data.foreach_set("co", (verts + delta).astype(np.float32).ravel())
        kb.slider_min, kb.slider_max = 0.0, 1.0
        kb.value = 0.0                      # shape_key_add leaves new keys at 1.0
    mesh.shape_keys.name = f"{name}Keys"
    if armature:
        _add_armature(obj, head, collection)
    return obj


def set_pose(obj: bpy.types.Object, weights: dict) -> None:
    """Set shape-key values (ARKit name -> weight); every other key goes to 0."""
    for kb in obj.data.shape_keys.key_blocks[1:]:
        kb.value = float(weights.get(kb.name, 0.0))


def render_preview(obj: bpy.types.Object, filepath: str, *, resolution=(480, 560),
                   view: str = "front") -> str:
    """Render the object with Workbench to a PNG (headless, no GPU needed).

    Adds a camera framed on the head if the scene has none. ``view`` is ``"front"`` or
    ``"three_quarter"``. Returns the written path.
    """
    scene = bpy.context.scene
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "MATERIAL"
    scene.display.shading.show_cavity = True
    scene.display.shading.cavity_type = "WORLD"
    scene.display.shading.show_specular_highlight = True
    scene.render.resolution_x, scene.render.resolution_y = resolution
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    scene.render.image_settings.file_format = "PNG"
    cam = scene.camera
    if cam is None:
        cam_data = bpy.data.cameras.new("TalkrigPreviewCam")
        cam = bpy.data.objects.new("TalkrigPreviewCam", cam_data)
        scene.collection.objects.link(cam)
        scene.camera = cam
    cam.data.lens = 85.0
    # Frame the face: the head spans about 0.26 m in z around the object's origin.
    loc = obj.matrix_world.translation
    if view == "front":
        cam.location = (loc.x, loc.y - 0.80, loc.z - 0.02)
        cam.rotation_euler = (np.pi / 2, 0.0, 0.0)
    else:
        ang = np.radians(35.0)
        cam.location = (loc.x + 0.80 * np.sin(ang), loc.y - 0.80 * np.cos(ang), loc.z - 0.01)
        cam.rotation_euler = (np.pi / 2 - 0.02, 0.0, ang)
    scene.render.filepath = filepath
    bpy.ops.render.render(write_still=True)
    return filepath
