"""A FLAME mesh in Blender, built from the user's own model file, and keys from a bake.

:func:`create_flame_object` makes the mesh (FLAME's Y-up frame turned to Blender's Z-up,
the face looking along -Y) with a Basis and one shape key per expression component
(``Exp000``, ``Exp001``, ... as the Meshcapade SMPL-X add-on names them), and its armature
``root`` > ``neck`` > ``jaw``, ``left_eye``, ``right_eye`` at the model's joints, skinned
by linear blend skinning with the model's weights (vertex groups + Armature modifier),
plus FLAME's 36 pose-corrective shapes as ``Pose1`` ... ``Pose36`` (the FLAME add-on's
names), keyed from the jaw, neck and eye rotations.

:func:`find_flame_mesh` recognises such a mesh, ours or one made by the FLAME Blender
add-on (``Exp1`` ... ``ExpN``, ``Shape*``, ``Pose*`` keys, bones ``neck`` and ``jaw``), and
:func:`write_flame_params` keys a bake's :class:`~talkrig.core.curves.FlameParams` onto it:
expression coefficients on the ``Exp`` keys (new action on the shape keys), jaw, neck and
eye axis-angles as quaternions on the bones (new action on the armature). Each FLAME
rotation is turned from the FLAME frame into the bone's rest frame with the bone's own
rest matrix, so any bone roll works; ``Pose<n>`` keys get FLAME's pose-corrective weights.
:func:`write_flame_take` wraps it as a take (what the panel's Bake writes on a FLAME mesh):
marked like a face take, the user's own actions kept playing, one call for one undo step.
Joints stay where the rest template puts them (FLAME regresses them from the expressed
shape: they differ by well under 1 mm).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import bpy
import numpy as np

from ..core.curves import FlameParams
from ..core.errors import RigMappingError
from ..core.motion.rotations import axis_angle_to_matrix, matrix_to_quaternion
from .armature import build_armature, skin_to
from .fcurves import INTERPOLATIONS, write_channel
from .keyframes import _new_fcurve_collection, _push_previous_action, set_scene_fps

#: FLAME (x, y, z) -> Blender (x, -z, y): Y up becomes Z up, the face turns to -Y.
FLAME_TO_BLENDER = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
BONES = ("root", "neck", "jaw", "left_eye", "right_eye")
#: bone names each FLAME joint may have on a rig (first match wins)
BONE_ALIASES = {"neck_pose": ("neck", "Neck", "head", "Head"), "jaw_pose": ("jaw", "Jaw"),
                "leye_pose": ("left_eye", "eye_l", "leye", "eye.L", "LeftEye", "left_eye_smplhf"),
                "reye_pose": ("right_eye", "eye_r", "reye", "eye.R", "RightEye",
                              "right_eye_smplhf")}
EXP_RE = re.compile(r"^Exp(\d+)$")
POSE_RE = re.compile(r"^Pose(\d+)$")
BONE_LENGTH = 0.02
GROUP_EXPR, GROUP_POSE = "FLAME expression", "FLAME pose"


def create_flame_object(model, *, name: str = "FLAME", collection=None) -> bpy.types.Object:
    """Mesh + armature of a :class:`~talkrig.core.flame.model.FlameModel`; returns the mesh."""
    collection = collection or bpy.context.scene.collection
    C = FLAME_TO_BLENDER
    verts = model.v_template @ C.T
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(verts.tolist(), [], model.faces.tolist())
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    obj.shape_key_add(name="Basis", from_mix=False)
    K = model.n_expression
    width = max(3, len(str(K - 1)))
    for k in range(K):
        kb = obj.shape_key_add(name=f"Exp{k:0{width}d}", from_mix=False)
        kb.slider_min, kb.slider_max = -10.0, 10.0
        kb.value = 0.0
        kb.data.foreach_set("co", ((model.v_template + model.exprdirs[:, :, k]) @ C.T).ravel()
                            .astype(np.float32))
    for p in range(model.posedirs.shape[2]):              # FLAME add-on naming: Pose1...
        kb = obj.shape_key_add(name=f"Pose{p + 1}", from_mix=False)
        kb.slider_min, kb.slider_max = -2.0, 2.0
        kb.value = 0.0
        kb.data.foreach_set("co", ((model.v_template + model.posedirs[:, :, p]) @ C.T).ravel()
                            .astype(np.float32))
    _add_armature(obj, model, collection)
    obj["talkrig_flame_sha256"] = model.sha256
    obj["talkrig_flame_kind"] = model.kind
    obj["talkrig_flame_model_path"] = model.path      # what a bake onto this mesh needs
    return obj


def _add_armature(obj, model, collection):
    joints = model.joints() @ FLAME_TO_BLENDER.T
    bones = {bone: (joints[j], joints[j] + (0.0, 0.0, BONE_LENGTH),
                    BONES[model.parents[j]] if model.parents[j] >= 0 else None)
             for j, bone in enumerate(BONES)}
    rig = build_armature(f"{obj.name}Rig", bones, collection=collection)
    skin_to(obj, rig, ((bone, model.weights[:, j]) for j, bone in enumerate(BONES)))
    return rig


@dataclass(frozen=True)
class FlameRig:
    """A recognised FLAME mesh: ``exp_keys[k]`` is the shape key of coefficient k;
    ``bones`` maps 'jaw_pose'/'neck_pose'/'leye_pose'/'reye_pose' to bone names."""

    mesh: object
    exp_keys: tuple
    armature: object = None
    bones: tuple = ()
    pose_keys: tuple = ()          # (feature index 0..35, key name): FLAME's Pose1... keys


def find_flame_mesh(obj) -> "FlameRig | None":
    """``obj`` as a FLAME mesh if its shape keys are ``Exp<number>`` (0- or 1-based)."""
    key = getattr(getattr(obj, "data", None), "shape_keys", None)
    if obj is None or obj.type != "MESH" or key is None:
        return None
    found, pose = {}, []
    for kb in key.key_blocks:
        m = EXP_RE.match(kb.name)
        if m:
            found[int(m.group(1))] = kb.name
        m = POSE_RE.match(kb.name)
        if m and 1 <= int(m.group(1)) <= 36:
            pose.append((int(m.group(1)) - 1, kb.name))
    if len(found) < 2:
        return None
    first = min(found)                       # the FLAME add-on counts from 1, Meshcapade from 0
    n = max(found) - first + 1
    exp_keys = tuple(found.get(first + k, "") for k in range(n))
    from .bones import find_armature

    rig = find_armature(obj)
    bones = []
    if rig is not None:
        names = set(rig.data.bones.keys())
        for param, aliases in BONE_ALIASES.items():
            hit = next((a for a in aliases if a in names), None)
            if hit:
                bones.append((param, hit))
    return FlameRig(mesh=obj, exp_keys=exp_keys, armature=rig, bones=tuple(bones),
                    pose_keys=tuple(sorted(pose)))


def _bone_quaternions(rig, bone: str, aa: np.ndarray) -> np.ndarray:
    """FLAME-frame axis-angles [n, 3] -> pose-bone quaternions (w, x, y, z) [n, 4] in the
    bone's rest frame (armature space is taken as FLAME's frame turned to Z up)."""
    B = np.array(rig.data.bones[bone].matrix_local.to_3x3().normalized(), dtype=np.float64)
    A = FLAME_TO_BLENDER
    R = axis_angle_to_matrix(np.asarray(aa, np.float64))             # [n, 3, 3] FLAME frame
    return matrix_to_quaternion(B.T @ A @ R @ A.T @ B)


def write_flame_params(obj, params: FlameParams, *, frame_start: int = 1,
                       action_name: str = "talkrig_flame", interpolation: str = "LINEAR",
                       set_fps: bool = True):
    """Key ``params`` onto a FLAME mesh (and its bones); returns (shape action, bone action).

    Frame i of ``params`` lands on ``frame_start + i``. The previous actions stay on muted
    NLA tracks (:func:`write_flame_take` lets the user's own ones play on). Coefficients
    beyond the mesh's ``Exp`` keys are left out. ``set_fps``: the scene takes the frame
    rate of ``params`` and its frame range grows to cover the keys (never shrinks).
    """
    rig = find_flame_mesh(obj)
    if rig is None:
        raise RigMappingError(f"'{getattr(obj, 'name', obj)}' is not a FLAME mesh (no Exp000... "
                              "shape keys): create one from your FLAME model first")
    interp = INTERPOLATIONS[interpolation]
    frames = frame_start + np.arange(params.n_frames, dtype=np.float64)
    key = obj.data.shape_keys
    ad = key.animation_data or key.animation_data_create()
    _push_previous_action(ad)
    action = bpy.data.actions.new(action_name)
    fcurves, group_kw = _new_fcurve_collection(key, ad, action)
    for k, name in enumerate(rig.exp_keys[:params.expression.shape[1]]):
        if name:
            path = f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'
            write_channel(fcurves, group_kw, path, GROUP_EXPR, frames, params.expression[:, k], interp)
    if rig.pose_keys:
        from ..core.flame.lbs import pose_feature

        full = np.stack([np.zeros_like(params.neck_pose), params.neck_pose, params.jaw_pose,
                         params.leye_pose, params.reye_pose], axis=1)
        feat = pose_feature(full)                                      # [n, 36]
        for p, name in rig.pose_keys:
            path = f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'
            write_channel(fcurves, group_kw, path, GROUP_POSE, frames, feat[:, p], interp)
    action["talkrig_fps"] = float(params.fps)
    action["talkrig_flame_sha256"] = params.model_sha256
    bone_action = None
    if rig.armature is not None and rig.bones:
        arm = rig.armature
        ad_b = arm.animation_data or arm.animation_data_create()
        _push_previous_action(ad_b)
        bone_action = bpy.data.actions.new(f"{action_name}_bones")
        fc_b, kw_b = _new_fcurve_collection(arm, ad_b, bone_action, id_type="OBJECT")
        for param, bone in rig.bones:
            arm.pose.bones[bone].rotation_mode = "QUATERNION"
            q = _bone_quaternions(arm, bone, getattr(params, param))
            path = f'pose.bones["{bpy.utils.escape_identifier(bone)}"].rotation_quaternion'
            for c in range(4):
                write_channel(fc_b, kw_b, path, GROUP_POSE, frames, q[:, c], interp, index=c)
    action["talkrig_frame_start"] = int(frame_start)
    if bone_action is not None:                 # a take's companion, as face takes have
        bone_action["talkrig_fps"] = float(params.fps)
        bone_action["talkrig_shape_action"] = action.name
        action["talkrig_bones_action"] = bone_action.name
        action["talkrig_rig"] = rig.armature.name
    if set_fps:                                  # the frame range grows, never shrinks
        scene = bpy.context.scene
        set_scene_fps(scene, params.fps)
        scene.frame_start = min(scene.frame_start, int(frame_start))
        scene.frame_end = max(scene.frame_end, int(frame_start + params.n_frames - 1))
    return action, bone_action


def write_flame_take(obj, params: FlameParams, *, line: str, frame_start: int = 1,
                     interpolation: str = "LINEAR", placement: str = "ACTIVE", tolerance=None,
                     set_fps: bool = True):
    """Write ``params`` onto a FLAME mesh as a take, with a face take's guarantees.

    The shape-key action is ``talkrig_<line>[_N]`` and the bone action the same name with
    ``_bones`` (both marked as takes of ``obj``, so the Take list, Clear Take and exports
    treat them like a face take). ``placement`` "ACTIVE": the user's own previous actions
    (on the shape keys and on the rig) keep playing on unmuted NLA tracks beneath the take,
    an earlier take is muted; "NLA": both actions go on new NLA tracks at ``frame_start`` and
    the active actions stay as they were. ``tolerance`` thins the keys (max abs error).
    Returns ``takes.TakeResult`` (its ``action`` is the shape-key action).
    """
    from .takes import PLACEMENTS, _state, _take_actions, finish_take, unique_take_name

    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, got {placement!r}")
    rig = find_flame_mesh(obj)
    if rig is None:
        raise RigMappingError(f"'{getattr(obj, 'name', obj)}' is not a FLAME mesh (no Exp000... "
                              "shape keys): create one from your FLAME model first")
    ids = [obj.data.shape_keys] + ([rig.armature] if rig.armature is not None and rig.bones else [])
    before = [_state(i) for i in ids]
    action, _bones = write_flame_params(obj, params, frame_start=int(frame_start),
                                        action_name=unique_take_name(line),
                                        interpolation=interpolation, set_fps=set_fps)
    for act in _take_actions(action):
        act["talkrig_flame"] = True
    return finish_take(obj, action, before, line=line, frame_start=frame_start,
                       tolerance=tolerance, interpolation=interpolation, placement=placement,
                       keep_playing=before)


def panel_model_path(scene) -> str:
    """The FLAME section's model file as an absolute path ('' when unset)."""
    flame = getattr(scene, "talkrig_flame", None)
    raw = flame.model_path if flame is not None else ""
    return bpy.path.abspath(raw) if raw else ""
