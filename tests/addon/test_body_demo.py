"""The demo mannequin: SMPL-X proportions, a skinned body, the demo head on its neck; face
and body move together in the files the demo writes."""
from __future__ import annotations

import types

import bpy
import numpy as np
import pytest

from body_readback import assimp_node_animation, ufbx_animation
from body_rigs import smooth_body
from readback import assimp_available
from talkrig.addon.demo_body import create_mannequin, run_body_demo
from talkrig.core.curves import FaceCurves
from talkrig.rigs.arkit import FACE_CHANNELS
from talkrig.rigs.skeletons import smplx


def test_mannequin_parts():
    rig, body, face = create_mannequin()
    assert len(rig.data.bones) == 55 and set(rig.data.bones.keys()) == set(smplx.JOINT_NAMES)
    assert body.modifiers["Armature"].object == rig and "left_elbow" in body.vertex_groups
    assert "head" not in body.vertex_groups                # the demo head replaces it
    head_rig = face.parent
    assert head_rig.parent == rig and head_rig.parent_bone == "spine3"
    bpy.context.view_layer.update()
    pivot = head_rig.matrix_world @ head_rig.data.bones["head"].head_local
    joint = rig.matrix_world @ rig.data.bones["head"].head_local
    assert (pivot - joint).length < 1e-4
    assert len(face.data.shape_keys.key_blocks) == 53


def _perf(seconds=1.0):
    body = smooth_body(seconds, seed=3, amplitude=0.3)
    n = body.n_frames
    values = np.zeros((n, len(FACE_CHANNELS)), dtype=np.float32)
    values[:, FACE_CHANNELS.index("jawOpen")] = np.linspace(0, 0.8, n)
    return types.SimpleNamespace(body=body, face=FaceCurves(FACE_CHANNELS, body.fps, values),
                                 visemes=None)


@pytest.mark.skipif(bool(assimp_available()), reason=assimp_available() or "")
def test_demo_files_have_face_and_body_moving_together(tmp_path):
    perf = _perf()
    paths = run_body_demo(tmp_path, perf, preview_options={"resolution": (96, 128), "frame_step": 6})
    for key in ("fbx", "blend", "mp4"):
        assert (tmp_path / f"demo_body.{'fbx' if key == 'fbx' else key}").stat().st_size > 1000
    rig = bpy.data.objects["TalkrigMannequin"]
    face = bpy.data.objects["TalkrigMannequinHead"]
    scene = bpy.context.scene
    deps = bpy.context.evaluated_depsgraph_get()

    def head_points(frame):
        scene.frame_set(frame)
        ev = face.evaluated_get(deps)
        mesh = ev.to_mesh()
        co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
        mesh.vertices.foreach_get("co", co)
        ev.to_mesh_clear()
        return np.array(face.matrix_world) , co.reshape(-1, 3)

    (m1, v1), (m2, v2) = head_points(1), head_points(perf.face.n_frames)
    world1 = v1 @ m1[:3, :3].T + m1[:3, 3]
    world2 = v2 @ m2[:3, :3].T + m2[:3, 3]
    assert np.abs(world2 - world1).max() > 0.005                      # the body carries the head
    assert face.data.shape_keys.key_blocks["jawOpen"].value > 0.7      # the face plays
    for reader in (assimp_node_animation, ufbx_animation):
        got = reader(paths["fbx"])
        assert {"left_elbow", "spine3", "right_wrist"} <= set(got["nodes"]), reader.__name__
        assert got["morph_channels"] >= 1
    assert rig.animation_data.action is not None
