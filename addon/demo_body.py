"""The demo mannequin: an SMPL-X armature with a simple skinned body and the demo head.

:func:`create_mannequin` builds, from talkrig's own SMPL-X proportions (no licensed data):

- the armature ``<name>`` (55 SMPL-X bones, ``addon.body_rig.build_smplx_armature``);
- the body mesh ``<name>Body``: one tapered eight-sided tube per bone (torso, limbs, finger
  phalanges; no head, the demo head sits on the neck), each vertex weighted fully to its
  bone, deformed by an Armature modifier;
- the demo head (``addon.demo_head``, 52 ARKit shape keys and its own head/eye rig) placed
  on the neck, its rig parented to the body's ``spine3`` bone. The face take turns the demo
  head's neck and head bones, so the head moves once: the body's own ``neck``/``head``
  keys (which carry the same face head rotation, ``core.body``) show on exported skeletons,
  not on this mesh.

:func:`run_body_demo` bakes the example speech with the body on and writes
``demo_body.fbx`` (face shape keys + both skeletons' animation), ``demo_body.blend`` and
``demo_body.mp4`` (preview with the speech, face and body together).
"""
from __future__ import annotations

import os
from pathlib import Path

import bpy
import numpy as np


SIDES = 8
#: Tube radius (m) at the head and tail of each bone, by joint name pattern.
RADII = {"pelvis": (0.13, 0.12), "spine1": (0.12, 0.13), "spine2": (0.13, 0.14),
         "spine3": (0.14, 0.06), "neck": (0.05, 0.05), "collar": (0.05, 0.055),
         "shoulder": (0.055, 0.045), "elbow": (0.043, 0.032), "wrist": (0.03, 0.03),
         "hip": (0.085, 0.06), "knee": (0.058, 0.045), "ankle": (0.045, 0.04), "foot": (0.04, 0.03),
         "thumb": (0.011, 0.009), "finger": (0.009, 0.007)}
NO_MESH = {"head", "jaw", "left_eye_smplhf", "right_eye_smplhf"}
SKIN = (0.55, 0.60, 0.68, 1.0)


def _radii(name: str) -> tuple:
    if name in RADII:
        return RADII[name]
    part = name.split("_", 1)[-1]
    if part.startswith("thumb"):
        return RADII["thumb"]
    if part[:-1] in ("index", "middle", "ring", "pinky"):
        return RADII["finger"]
    return RADII.get(part, (0.03, 0.03))


def tube_mesh(rig, name: str, *, skip=NO_MESH, radii=_radii) -> bpy.types.Object:
    """A mesh of one tapered tube per bone of ``rig`` (rest pose), rigidly skinned to it."""
    verts, faces, owner = [], [], []
    bones = [b for b in rig.data.bones if b.name not in skip]
    ring = np.linspace(0, 2 * np.pi, SIDES, endpoint=False)
    for bone in bones:
        head = np.array(bone.head_local)
        tail = np.array(bone.tail_local)
        m = np.array(bone.matrix_local)[:3, :3]
        x, z = m[:, 0], m[:, 2]
        r0, r1 = radii(bone.name)
        base = len(verts)
        for pt, r in ((head, r0), (tail, r1)):
            for a in ring:
                verts.append(pt + r * (np.cos(a) * x + np.sin(a) * z))
        for i in range(SIDES):
            j = (i + 1) % SIDES
            faces.append((base + i, base + j, base + SIDES + j, base + SIDES + i))
        faces.append(tuple(base + i for i in reversed(range(SIDES))))
        faces.append(tuple(base + SIDES + i for i in range(SIDES)))
        owner += [bone.name] * (2 * SIDES)
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(np.asarray(verts).tolist(), [], faces)
    mesh.validate()
    mat = bpy.data.materials.new(f"{name}_skin")
    mat.diffuse_color = SKIN
    mesh.materials.append(mat)
    obj = bpy.data.objects.new(name, mesh)
    for coll in rig.users_collection:
        coll.objects.link(obj)
        break
    owner = np.asarray(owner)
    for bone in bones:
        group = obj.vertex_groups.new(name=bone.name)
        group.add(np.flatnonzero(owner == bone.name).tolist(), 1.0, "REPLACE")
    obj.parent = rig
    mod = obj.modifiers.new("Armature", "ARMATURE")
    mod.object = rig
    return obj


def create_mannequin(name: str = "TalkrigMannequin"):
    """Build the mannequin; returns (armature, body mesh, face mesh)."""
    from .body_rig import build_smplx_armature
    from .demo_head import create_demo_head

    rig = build_smplx_armature(name)
    body = tube_mesh(rig, f"{name}Body")
    face = create_demo_head(f"{name}Head")
    head_rig = face.parent
    pivot = np.array(head_rig.data.bones["head"].head_local)
    joint = np.array(rig.data.bones["head"].head_local)
    from mathutils import Matrix

    head_rig.parent = rig
    head_rig.parent_type = "BONE"
    head_rig.parent_bone = "spine3"
    bpy.context.view_layer.update()
    head_rig.matrix_world = Matrix.Translation(tuple(joint - pivot))   # pivot on the head joint
    return rig, body, face


def run_body_demo(out_dir, perf, *, audio_path=None, preview_options=None) -> dict:
    """Write the mannequin demo for a baked ``perf`` (``perf.body`` set) into ``out_dir``.

    Returns a dict of the paths written and the take's numbers.
    """
    from .body_export import export_body
    from .body_keys import write_body_take
    from .keyframes import shape_key_mapping, write_face_curves
    from .sound import add_sound_strip

    out = Path(out_dir)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    rig, body, face = create_mannequin()
    res = write_body_take(rig, perf.body, line="demo")
    write_face_curves(face, perf.face, mapping=shape_key_mapping(face), action_name="talkrig_demo",
                      set_fps=True, visemes=perf.visemes)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, perf.face.n_frames
    if audio_path:
        add_sound_strip(scene, str(audio_path), frame_start=1)
    _camera_and_light(rig)
    paths = {"fbx": export_body(rig, str(out / "demo_body.fbx"), face=face)}
    paths["blend"] = str(out / "demo_body.blend")
    bpy.ops.wm.save_as_mainfile(filepath=paths["blend"], relative_remap=True)
    paths["mp4"] = render_body_preview(rig, str(out / "demo_body.mp4"), audio_path=audio_path,
                                       **(preview_options or {}))
    paths["bones"] = len(res.bones)
    return paths


def run_clip(out_dir, audio_path, *, text=None, fps: float = 30.0, seed: int = 0,
             preview_options=None) -> str:
    """``make demo``'s body part: bake ``audio_path`` with the body on, write the mannequin
    files into ``out_dir`` and print (and return) a one-line summary."""
    import time

    from ..core.body.settings import BodySettings
    from ..core.pipeline import bake
    from ..core.settings import BakeSettings

    t0 = time.perf_counter()
    perf = bake(str(audio_path), BakeSettings(fps=fps, seed=seed, body=BodySettings(enabled=True)),
                text=text)
    paths = run_body_demo(out_dir, perf, audio_path=str(audio_path), preview_options=preview_options)
    line = (f"body demo: {perf.body.n_frames} frames, {paths['bones']} bones keyed on the mannequin, "
            f"{os.path.basename(paths['fbx'])}, {os.path.basename(paths['blend'])}, "
            f"{os.path.basename(paths['mp4'])} ({time.perf_counter() - t0:.0f} s)")
    print(line, flush=True)
    return line


def render_body_preview(rig, out_path: str, *, audio_path=None, resolution=(360, 480),
                        frame_step: int = 1, max_seconds=None) -> str:
    """Render the scene camera's view of the whole take to an .mp4 (Workbench, speech muxed)."""
    import tempfile
    from fractions import Fraction

    from ..core.errors import ExportError
    from .preview import _encode, _quiet_stdout, ffmpeg_binary

    scene = bpy.context.scene
    fps = scene.render.fps / scene.render.fps_base
    last = scene.frame_end
    if max_seconds:
        last = min(last, scene.frame_start + int(round(max_seconds * fps)) - 1)
    frames = list(range(scene.frame_start, last + 1, int(frame_step)))
    ffmpeg = ffmpeg_binary()
    if ffmpeg is None:
        raise ExportError("no video encoder: install imageio-ffmpeg or put ffmpeg on PATH")
    render = scene.render
    render.engine = "BLENDER_WORKBENCH"
    render.resolution_x, render.resolution_y = int(resolution[0]) // 2 * 2, int(resolution[1]) // 2 * 2
    render.resolution_percentage = 100
    render.image_settings.file_format = "PNG"
    scene.display.shading.light, scene.display.shading.color_type = "STUDIO", "MATERIAL"
    scene.display.render_aa = "FXAA"
    with tempfile.TemporaryDirectory(prefix="talkrig_body_preview_") as tmp:
        for i, frame in enumerate(frames):
            scene.frame_set(frame)
            render.filepath = os.path.join(tmp, f"frame_{i:05d}.png")
            with _quiet_stdout():
                bpy.ops.render.render(write_still=True)
        partial = out_path[:-4] + ".part.mp4"
        rate = Fraction(fps / int(frame_step)).limit_denominator(1001)
        try:
            _encode(ffmpeg, tmp, partial, rate=rate, n_frames=len(frames), audio=audio_path,
                    audio_offset_s=0.0)
            os.replace(partial, out_path)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    return out_path


def _camera_and_light(rig) -> None:
    scene = bpy.context.scene
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(cam)
    cam.location = (0.0, -3.4, 1.15)
    cam.rotation_euler = (np.radians(88), 0.0, 0.0)
    cam.data.lens = 50
    scene.camera = cam
    if scene.world is None:
        scene.world = bpy.data.worlds.new("talkrig_demo_world")
        scene.world.color = (0.35, 0.37, 0.40)
    light = bpy.data.objects.new("Key", bpy.data.lights.new("Key", "SUN"))
    scene.collection.objects.link(light)
    light.rotation_euler = (np.radians(50), np.radians(10), np.radians(-30))
