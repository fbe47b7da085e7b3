"""FBX and glb export, read back by independent readers (assimp, Khronos validator)."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from readback import (assimp_available, fbx_key_times, fbx_nodes, morph_animation, validate_gltf,
                      validator_available)
from talkrig.core.curves import FaceCurves
from talkrig.rigs.arkit import ARKIT_NAMES, FACE_CHANNELS

N_FRAMES = 45


def _curves(fps: float) -> FaceCurves:
    rng = np.random.default_rng(11)
    values = rng.random((N_FRAMES, len(FACE_CHANNELS))).astype(np.float32)
    return FaceCurves(FACE_CHANNELS, fps, values)


@pytest.fixture
def baked_head(demo_head):
    from talkrig.addon.keyframes import write_face_curves

    def bake(fps=30.0, frame_start=1):
        curves = _curves(fps)
        write_face_curves(demo_head, curves, action_name="take", frame_start=frame_start, set_fps=True)
        return demo_head, curves
    return bake


def _check_morph_channel(anim, curves, fps):
    """One morph channel for the head mesh: 52 targets, one key per frame from t = 0."""
    chans = [c for c in anim["channels"] if c["name"].startswith("TalkrigDemoHead")]
    assert len(chans) == 1, [c["name"] for c in anim["channels"]]
    ch = chans[0]
    assert len(ch["times_s"]) == N_FRAMES
    assert ch["times_s"][0] == pytest.approx(0.0, abs=1e-6)        # first key at t = 0
    np.testing.assert_allclose(ch["times_s"], np.arange(N_FRAMES) / fps, atol=1e-5)
    # every key names all 52 targets in ARKit order, with the written weights
    assert ch["values"].shape == (N_FRAMES, 52)
    assert (ch["values"] == np.arange(52)[None, :]).all()
    expected = np.stack([curves.channel(n) for n in ARKIT_NAMES], 1)
    np.testing.assert_allclose(ch["weights"], expected, atol=1e-4)
    return ch


def _check_fbx_raw_times(path, fps, n=N_FRAMES):
    """assimp shifts times by the take's LocalStart, so look at the raw KeyTime arrays too:
    Blender's importer and engines put a key at KeyTime / fps, so the take must start at 0."""
    curves = fbx_key_times(path)
    assert len(curves) >= 52
    for times in curves:
        assert len(times) == n
        np.testing.assert_allclose(times, np.arange(n) / fps, atol=1e-6)


@pytest.mark.parametrize("frame_start", [1, 7])
def test_fbx_keeps_shape_key_animation_from_t0(baked_head, tmp_path, frame_start):
    reason = assimp_available()
    if reason:
        pytest.skip(reason)
    from talkrig.addon.export import export_fbx

    obj, curves = baked_head(30.0, frame_start)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 100, 200          # the user's range is not the take's
    path = export_fbx(obj, str(tmp_path / "face.fbx"))
    anim = morph_animation(path)
    _check_morph_channel(anim, curves, 30.0)
    _check_fbx_raw_times(path, 30.0)
    # the export put everything back
    assert (scene.frame_start, scene.frame_end) == (100, 200)
    from talkrig.addon.keyframes import read_face_curves
    frames, _ = read_face_curves(obj)['key_blocks["jawOpen"].value']
    assert frames[0] == frame_start


def test_only_the_new_take_is_exported(demo_head, tmp_path):
    """A user's earlier action (kept on a muted NLA track) does not leak into the files."""
    reason = assimp_available()
    if reason:
        pytest.skip(reason)
    from talkrig.addon.export import export_fbx, export_glb
    from talkrig.addon.keyframes import write_face_curves

    kb = demo_head.data.shape_keys.key_blocks["browInnerUp"]
    for frame, value in ((1, 0.0), (200, 1.0)):
        kb.value = value
        kb.keyframe_insert("value", frame=frame)
    curves = _curves(30.0)
    write_face_curves(demo_head, curves, action_name="take", set_fps=True)
    for path in (export_fbx(demo_head, str(tmp_path / "f.fbx")), export_glb(demo_head, str(tmp_path / "f.glb"))):
        anim = morph_animation(path)
        assert anim["n_animations"] == 1, path
        _check_morph_channel(anim, curves, 30.0)


def test_29_97_fps_timing_fbx_and_glb(baked_head, tmp_path):
    reason = assimp_available()
    if reason:
        pytest.skip(reason)
    from talkrig.addon.export import export_fbx

    obj, curves = baked_head(29.97)
    path = export_fbx(obj, str(tmp_path / "face.fbx"))
    _check_fbx_raw_times(path, 29.97)
    ch = _check_morph_channel(morph_animation(path), curves, 29.97)
    assert ch["times_s"][-1] == pytest.approx((N_FRAMES - 1) / 29.97, abs=1e-5)
    from talkrig.addon.export import export_glb

    # Blender's glTF exporter divides by fps * fps_base (30.03 fps here) unless worked around
    glb = export_glb(obj, str(tmp_path / "face.glb"))
    assert bpy.context.scene.render.fps_base == pytest.approx(30 / 29.97)      # restored
    ch = _check_morph_channel(morph_animation(glb), curves, 29.97)
    assert ch["times_s"][-1] == pytest.approx((N_FRAMES - 1) / 29.97, abs=1e-5)


def test_glb_keeps_shape_key_animation_and_validates(baked_head, tmp_path):
    from talkrig.addon.export import export_glb

    obj, curves = baked_head(30.0, 5)
    path = export_glb(obj, str(tmp_path / "face.glb"))
    reason = assimp_available()
    if not reason:
        _check_morph_channel(morph_animation(path), curves, 30.0)
    reason_v = validator_available()
    if reason and reason_v:
        pytest.skip(f"{reason}; {reason_v}")
    if not reason_v:
        report = validate_gltf(path)
        assert report["issues"]["numErrors"] == 0, report["issues"]["messages"][:5]
        info = report["info"]
        assert info["animationCount"] == 1 and info["hasMorphTargets"]


def test_validator_catches_a_broken_file(tmp_path):
    """The validator check can fail: a truncated glb reports errors."""
    reason = validator_available()
    if reason:
        pytest.skip(reason)
    bad = tmp_path / "bad.glb"
    bad.write_bytes(b"glTF\x02\x00\x00\x00" + b"\x00" * 16)
    assert validate_gltf(bad)["issues"]["numErrors"] > 0


def node_animation(path) -> dict:
    """Node (bone) rotation channels as assimp sees them: name -> (times_s [n], quats [n, 4]
    (w, x, y, z))."""
    import sys

    from pyassimp.core import _assimp_lib

    scene_p = _assimp_lib.load(str(path).encode(sys.getfilesystemencoding()), 0)
    assert scene_p, f"assimp could not import {path}"
    try:
        out = {}
        sc = scene_p.contents
        for a in range(sc.mNumAnimations):
            anim = sc.mAnimations[a].contents
            tps = float(anim.mTicksPerSecond) or 1.0
            for c in range(anim.mNumChannels):
                ch = anim.mChannels[c].contents
                keys = [ch.mRotationKeys[k] for k in range(ch.mNumRotationKeys)]
                out[ch.mNodeName.data.decode("utf-8", "replace")] = (
                    np.array([k.mTime / tps for k in keys]),
                    np.array([[k.mValue.w, k.mValue.x, k.mValue.y, k.mValue.z] for k in keys]))
        return out
    finally:
        _assimp_lib.release(scene_p)


def _angles_from_first(q):
    """Rotation angle of each key relative to the first key (radians)."""
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    return 2 * np.arccos(np.clip(np.abs(q @ q[0]), 0.0, 1.0))


def _check_bone_channels(path, curves, fps):
    """Head and eye bones animated: one key per frame from t = 0, and each key's rotation
    relative to the first equals the channels' (angles survive any axis/bone frame change)."""
    from talkrig.addon.bones import channel_matrices

    nodes = node_animation(path)
    for bone, first in (("head", 52), ("eye.L", 55), ("eye.R", 58)):
        assert bone in nodes, sorted(nodes)
        times, quats = nodes[bone]
        assert len(times) == N_FRAMES and times[0] == pytest.approx(0.0, abs=1e-6)
        np.testing.assert_allclose(times, np.arange(N_FRAMES) / fps, atol=1e-5)
        R = channel_matrices(*(curves.values[:, first + i] for i in range(3)))
        rel = np.einsum("ji,njk->nik", R[0], R)              # R0^T R_k
        expected = np.arccos(np.clip((np.trace(rel, axis1=1, axis2=2) - 1) / 2, -1, 1))
        np.testing.assert_allclose(_angles_from_first(quats), expected, atol=2e-4)
        assert expected.max() > 0.1                           # the check has teeth


@pytest.mark.parametrize("preset", ["default", "unreal", "unity"])
def test_fbx_presets_keep_shape_keys_and_bone_animation(baked_head, tmp_path, preset):
    reason = assimp_available()
    if reason:
        pytest.skip(reason)
    from talkrig.addon.export import FBX_PRESETS, export_fbx, export_take

    obj, curves = baked_head(30.0, 3)
    path = export_fbx(obj, str(tmp_path / f"{preset}.fbx"), preset=preset)
    _check_morph_channel(morph_animation(path), curves, 30.0)
    _check_bone_channels(path, curves, 30.0)
    _check_fbx_raw_times(path, 30.0)                  # every curve, bones too, from t = 0
    settings = FBX_PRESETS[preset]
    assert not settings["bake_anim_use_nla_strips"] and not settings["bake_anim_use_all_actions"]
    # units and scales as documented: Unity gets metres with unit scales, the others
    # centimetres with the 100x on the top nodes; Y up, -Z front in every preset
    nodes = fbx_nodes(path)
    glob = {p[0]: p[4] for names, p in nodes if names[-3:] == ("GlobalSettings", "Properties70", "P")}
    assert glob[b"UnitScaleFactor"] == (100.0 if preset == "unity" else 1.0)
    assert (glob[b"UpAxis"], glob[b"FrontAxis"], glob[b"CoordAxis"]) == (1, 2, 0)
    scales = [p[4] for names, p in nodes
              if names[-3:] == ("Model", "Properties70", "P") and p[0] == b"Lcl Scaling"]
    assert max(scales) == pytest.approx(1.0 if preset == "unity" else 100.0, rel=1e-6)
    assert export_take(obj, str(tmp_path / "t.fbx"), preset=preset).endswith("t.fbx")
    assert bpy.context.view_layer.objects.active == obj and not obj.parent.select_get()


def test_glb_carries_bone_animation_and_validates(baked_head, tmp_path):
    obj, curves = baked_head(30.0, 1)
    from talkrig.addon.export import export_take

    path = export_take(obj, str(tmp_path / "face.glb"))
    if not validator_available():
        report = validate_gltf(path)
        assert report["issues"]["numErrors"] == 0, report["issues"]["messages"][:5]
        assert report["info"]["animationCount"] == 1 and report["info"]["hasMorphTargets"]
        assert report["info"]["hasSkins"]
    if assimp_available():
        pytest.skip(assimp_available())
    _check_morph_channel(morph_animation(path), curves, 30.0)
    _check_bone_channels(path, curves, 30.0)


@pytest.mark.parametrize("ext", ["csv", "json"])
def test_export_take_curves_read_back_from_the_take(baked_head, tmp_path, ext):
    """CSV (Live Link Face) and JSON come from the take itself: weights from the shape-key
    F-curves, rotations back from the head/eye bones."""
    from talkrig.addon.export import export_take
    from talkrig.core.io import read_curves

    obj, curves = baked_head(30.0, 4)
    path = export_take(obj.parent, str(tmp_path / f"take.{ext}"))      # the armature works too
    got = read_curves(path)
    assert got.names[:61] == FACE_CHANNELS and got.fps == pytest.approx(30.0)
    assert got.n_frames == N_FRAMES
    np.testing.assert_allclose(got.values[:, :61], curves.values, atol=1e-4)


def test_export_take_errors(demo_head, baked_head, tmp_path):
    from talkrig.addon.export import export_fbx, export_take
    from talkrig.core.errors import ExportError

    with pytest.raises(ExportError, match="bake first"):
        export_take(demo_head, str(tmp_path / "x.csv"))
    obj, _ = baked_head()
    with pytest.raises(ExportError, match="use one of"):
        export_take(obj, str(tmp_path / "x.obj"))
    with pytest.raises(ExportError, match="unknown FBX preset"):
        export_fbx(obj, str(tmp_path / "x.fbx"), preset="godot")
    with pytest.raises(ExportError, match="for .fbx only"):
        export_take(obj, str(tmp_path / "x.glb"), preset="unreal")
    with pytest.raises(ExportError, match="does not exist"):
        export_take(obj, str(tmp_path / "nope" / "x.json"))


def test_export_errors(demo_head, tmp_path):
    from talkrig.addon.export import export_fbx
    from talkrig.core.errors import ExportError

    with pytest.raises(ExportError, match="bake first"):
        export_fbx(demo_head, str(tmp_path / "x.fbx"))
    with pytest.raises(ExportError, match="does not exist"):
        export_fbx(demo_head, str(tmp_path / "nope" / "x.fbx"))


def test_export_operator_reports_errors(demo_head, tmp_path):
    with pytest.raises(RuntimeError, match="fbx or .glb"):
        bpy.ops.talkrig.export(filepath=str(tmp_path / "x.obj"))
    with pytest.raises(RuntimeError, match="bake first"):
        bpy.ops.talkrig.export(filepath=str(tmp_path / "x.glb"))
    with pytest.raises(RuntimeError, match="not saved yet"):
        bpy.ops.talkrig.export(filepath="//face.fbx")


def test_raw_fbx_times_see_an_uncompensated_take(baked_head, tmp_path):
    """Without our shift Blender's FBX exporter writes the first key at t = 1/fps (while
    assimp still reports 0): the raw check above can fail."""
    obj, _ = baked_head(30.0, 1)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, N_FRAMES
    path = str(tmp_path / "plain.fbx")
    bpy.ops.export_scene.fbx(filepath=path, use_selection=True, bake_anim_use_nla_strips=False,
                             bake_anim_use_all_actions=False, bake_anim_simplify_factor=0.0)
    first = np.array([t[0] for t in fbx_key_times(path)])
    np.testing.assert_allclose(first, 1 / 30.0, atol=1e-6)
