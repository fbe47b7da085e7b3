"""FLAME from the panel: the Create FLAME Mesh operator and the ordinary Bake onto the mesh.

A synthetic FLAME-layout model (the real FLAME 2023 Open template, random expression
components: ``tests/core/flame_data.py``) is built through the operator, a speech-like line
is baked through the Bake operator and through BakeJob (child process), and the take must
hold ``perf.flame``: Exp keys with its coefficients, the jaw bone turned by its jaw pose,
with a face take's guarantees (the user's own actions keep playing, earlier takes muted,
the frame range never shrinks, one undo step). Runs on bpy 5.0 and 4.2 LTS.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from flame_data import flame_raw, random_basis, write_npz  # noqa: E402

from talkrig.addon.keyframes import PREVIOUS_TRACK_PREFIX, action_fcurves  # noqa: E402
from talkrig.addon.takes import is_take  # noqa: E402
from talkrig.core.errors import FlameModelError  # noqa: E402

K = 8
CUSTOM = 'key_blocks["MyCustom"].value'


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return write_npz(tmp_path_factory.mktemp("flamebake") / "my_flame.npz",
                     flame_raw(random_basis(K, seed=2, scale=3e-3)))


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory):
    return tmp_path_factory.mktemp("xdg")          # one fit of the model for the module


@pytest.fixture(scope="module")
def line_wav(tmp_path_factory):
    import soundfile as sf
    from synth import speech_like

    path = tmp_path_factory.mktemp("flameline") / "hello.wav"
    sf.write(path, speech_like(1.6, seed=5), 16000, subtype="PCM_16")
    return path


@pytest.fixture
def flame_obj(factory_scene, model_path, cache_home, monkeypatch):
    """A FLAME mesh made by the operator from the panel's model field."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))     # the default mapping cache
    factory_scene.talkrig_flame.model_path = str(model_path)
    assert bpy.ops.talkrig.flame_create() == {"FINISHED"}
    obj = bpy.context.view_layer.objects.active
    assert obj is not None and obj.type == "MESH" and obj.get("talkrig_flame_model_path")
    return obj


def _takes():
    return [a for a in bpy.data.actions if is_take(a) and "talkrig_shape_action" not in a]


def _fc(action, path, index=0):
    return next(fc for fc in action_fcurves(action) if fc.data_path == path and
                fc.array_index == index)


def _values(fc):
    co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
    fc.keyframe_points.foreach_get("co", co)
    return co[0::2], co[1::2].astype(np.float64)


def _user_actions(obj):
    """The user's own animation: a custom shape key, and the root bone moving up."""
    obj.shape_key_add(name="MyCustom", from_mix=False)
    kb = obj.data.shape_keys.key_blocks["MyCustom"]
    for frame, value in ((1, 0.0), (100, 1.0)):
        kb.value = value
        kb.keyframe_insert("value", frame=frame)
    shape_user = obj.data.shape_keys.animation_data.action
    shape_user.name = "my_face"
    rig = obj.parent
    root = rig.pose.bones["root"]
    for frame, z in ((1, 0.0), (100, 0.1)):
        root.location = (0.0, z, 0.0)
        root.keyframe_insert("location", frame=frame)
    rig.animation_data.action.name = "my_rig"
    return shape_user, rig.animation_data.action


def test_create_operator_says_what_is_wrong(factory_scene, tmp_path):
    flame = factory_scene.talkrig_flame
    with pytest.raises(RuntimeError, match="no FLAME model file is set"):
        bpy.ops.talkrig.flame_create()
    flame.model_path = str(tmp_path / "nowhere.pkl")
    with pytest.raises(RuntimeError, match="does not exist"):
        bpy.ops.talkrig.flame_create()
    broken = tmp_path / "broken.pkl"
    broken.write_bytes(b"\x80\x04\x95\x10\x00\x00")            # a truncated pickle
    flame.model_path = str(broken)
    with pytest.raises(RuntimeError, match="broken.pkl"):
        bpy.ops.talkrig.flame_create()
    assert not [o for o in bpy.data.objects if o.type == "MESH"]


def test_bake_onto_a_flame_mesh_keys_perf_flame(flame_obj, line_wav):
    from talkrig.addon.bake_job import BakeJob, gather_request
    from talkrig.addon.flame_mesh import find_flame_mesh
    from talkrig.core.pipeline import bake

    scene = bpy.context.scene
    shape_user, rig_user = _user_actions(flame_obj)
    scene.frame_start, scene.frame_end = 1, 500
    request = gather_request(bpy.context, filepath=str(line_wav), seed=4, add_sound=False)
    assert request.mapping is None and request.settings.flame.model_path == str(
        flame_obj["talkrig_flame_model_path"])
    job = BakeJob(request).start()                         # the child process, as in the UI
    assert job.wait(300) and job.state == "done", job.error
    bpy.ops.ed.undo_push(message="before the take")
    result = job.write(bpy.context, undo_push=True)
    flame = job.performance.flame
    assert flame is not None and flame.expression.shape == (job.performance.face.n_frames, K)
    direct = bake(str(line_wav), request.settings).flame     # the same bake, in this process
    np.testing.assert_allclose(flame.expression, direct.expression, atol=1e-9)

    take = result.action
    rig = find_flame_mesh(flame_obj)
    key_ad = flame_obj.data.shape_keys.animation_data
    assert key_ad.action == take and _takes() == [take] and take["talkrig_flame"]
    for k in range(K):                                        # Exp keys = perf.flame
        frames, values = _values(_fc(take, f'key_blocks["{rig.exp_keys[k]}"].value'))
        np.testing.assert_allclose(frames, 1 + np.arange(flame.n_frames))
        np.testing.assert_allclose(values, flame.expression[:, k], atol=1e-5)
    assert np.ptp(flame.expression[:, 0]) > 1e-3
    bones = bpy.data.actions[take["talkrig_bones_action"]]
    arm = flame_obj.parent
    assert arm.animation_data.action == bones and is_take(bones)
    path = 'pose.bones["jaw"].rotation_quaternion'
    q = np.stack([_values(_fc(bones, path, c))[1] for c in range(4)], 1)
    angle = 2 * np.arctan2(np.linalg.norm(q[:, 1:], axis=1), q[:, 0])   # kept by the rest frame
    np.testing.assert_allclose(angle, np.linalg.norm(flame.jaw_pose, axis=1), atol=1e-5)
    assert angle.max() > 0.02, "the jaw never opens"
    loudest = int(np.argmax(angle))
    scene.frame_set(1 + loudest)
    q = np.array(arm.pose.bones["jaw"].rotation_quaternion)
    assert 2 * np.arctan2(np.linalg.norm(q[1:]), q[0]) == pytest.approx(angle[loudest], abs=1e-5)

    # the user's own actions keep playing beneath the take, on the face and on the rig
    for ad, user in ((key_ad, shape_user), (arm.animation_data, rig_user)):
        track = ad.nla_tracks[PREVIOUS_TRACK_PREFIX + user.name]
        assert not track.mute and track.strips[0].action == user and user.use_fake_user
    for frame in (10, 60):
        scene.frame_set(frame)
        want = _fc(shape_user, CUSTOM).evaluate(frame)
        got = flame_obj.data.shape_keys.key_blocks["MyCustom"].value
        assert got == pytest.approx(want, abs=1e-5)
        want_z = _fc(rig_user, 'pose.bones["root"].location', 1).evaluate(frame)
        assert arm.pose.bones["root"].location[1] == pytest.approx(want_z, abs=1e-5)
    assert (scene.frame_start, scene.frame_end) == (1, 500)   # never shrunk

    # one undo step takes the whole take away and puts the user's actions back
    name = flame_obj.name
    bpy.ops.ed.undo()
    obj = bpy.data.objects[name]
    assert not _takes()
    assert obj.data.shape_keys.animation_data.action.name == "my_face"
    assert obj.parent.animation_data.action.name == "my_rig"
    assert not len(obj.data.shape_keys.animation_data.nla_tracks)


def test_operator_bake_replaces_a_take_and_extends_the_range(flame_obj, line_wav):
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 5, 10
    bpy.ops.ed.undo_push(message="before")
    assert bpy.ops.talkrig.bake("EXEC_DEFAULT", True, filepath=str(line_wav), add_sound=False,
                                frame_start=3) == {"FINISHED"}
    first = _takes()
    assert len(first) == 1 and "FLAME" in scene.talkrig.last_result
    n = len(_values(_fc(first[0], 'key_blocks["Exp000"].value'))[0])
    assert (scene.frame_start, scene.frame_end) == (3, 3 + n - 1)    # grown both ways
    name = flame_obj.name
    bpy.ops.ed.undo()
    assert not _takes()
    obj = bpy.data.objects[name]
    key = obj.data.shape_keys
    assert key.animation_data is None or key.animation_data.action is None
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.talkrig.bake("EXEC_DEFAULT", True, filepath=str(line_wav),
                                add_sound=False) == {"FINISHED"}
    assert bpy.ops.talkrig.bake("EXEC_DEFAULT", True, filepath=str(line_wav),
                                add_sound=False) == {"FINISHED"}
    takes = sorted(a.name for a in _takes())
    assert takes == ["talkrig_hello", "talkrig_hello_2"]
    ad = key.animation_data
    assert ad.action.name == "talkrig_hello_2"
    assert ad.nla_tracks[PREVIOUS_TRACK_PREFIX + "talkrig_hello"].mute   # a take replaces a take
    rig_ad = obj.parent.animation_data
    assert rig_ad.action.name == "talkrig_hello_2_bones"
    assert rig_ad.nla_tracks[PREVIOUS_TRACK_PREFIX + "talkrig_hello_bones"].mute


def test_a_flame_mesh_needs_a_model_file(flame_obj, line_wav, model_path):
    from talkrig.addon.bake_job import gather_request

    scene = bpy.context.scene
    del flame_obj["talkrig_flame_model_path"]                 # e.g. made by another add-on
    scene.talkrig_flame.model_path = ""
    with pytest.raises(FlameModelError, match="does not say which FLAME model"):
        gather_request(bpy.context, filepath=str(line_wav))
    with pytest.raises(RuntimeError, match="FLAME section"):
        bpy.ops.talkrig.bake("EXEC_DEFAULT", filepath=str(line_wav), add_sound=False)
    assert not _takes()
    scene.talkrig_flame.model_path = str(model_path)          # the panel's field fills in
    request = gather_request(bpy.context, filepath=str(line_wav))
    assert request.settings.flame.model_path == str(model_path) and request.mapping is None


def test_clear_take_removes_a_flame_take_with_its_bones(flame_obj, line_wav):
    from talkrig.addon.takes import clear_take

    for _ in range(2):
        assert bpy.ops.talkrig.bake("EXEC_DEFAULT", filepath=str(line_wav),
                                    add_sound=False) == {"FINISHED"}
    assert clear_take(flame_obj) == "talkrig_hello_2"
    assert "talkrig_hello_2_bones" not in bpy.data.actions
    assert flame_obj.data.shape_keys.animation_data.action.name == "talkrig_hello"
    assert sorted(a.name for a in _takes()) == ["talkrig_hello"]


def _draw_flame_section() -> list:
    import types

    from talkrig.addon.flame_panel import TALKRIG_PT_flame

    log = []

    class Layout:
        def prop(self, data, name, **kw):
            assert name in data.bl_rna.properties, name
            log.append(("prop", name))

        def operator(self, idname, **kw):
            group, op = idname.split(".")
            assert hasattr(getattr(bpy.ops, group), op), idname
            log.append(("operator", idname))

        def label(self, *, text="", icon="NONE"):
            log.append(("label", text))

    TALKRIG_PT_flame.draw(types.SimpleNamespace(layout=Layout()), bpy.context)
    return log


def test_flame_section_draws_what_the_face_needs(factory_scene, flame_obj):
    log = _draw_flame_section()
    assert {("prop", "model_path"), ("prop", "n_expression"),
            ("operator", "talkrig.flame_create"), ("label", "Model: my_flame.npz")} <= set(log)
    del flame_obj["talkrig_flame_model_path"]
    factory_scene.talkrig_flame.model_path = ""
    assert ("label", "Set the FLAME model file to bake onto this mesh") in _draw_flame_section()
    bpy.context.view_layer.objects.active = None
    assert ("label", "The face is not a FLAME mesh") in _draw_flame_section()
