"""BEAT2-layout npz and BVH of the body: round trips and an independent BVH parser."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from talkrig.core.curves import BodyCurves, FlameParams
from talkrig.core.errors import CurveFormatError
from talkrig.core.io import beat2, bvh
from talkrig.rigs.skeletons import smplx


def _body(n=12, seed=0, fps=30.0):
    rng = np.random.default_rng(seed)
    return BodyCurves(smplx.JOINT_NAMES, fps, rng.normal(0, 0.5, (n, 55, 3)),
                      rng.normal(0, 0.1, (n, 3)))


def _same_rotations(a, b, atol=1e-5):
    ma = Rotation.from_rotvec(np.asarray(a, np.float64).reshape(-1, 3)).as_matrix()
    mb = Rotation.from_rotvec(np.asarray(b, np.float64).reshape(-1, 3)).as_matrix()
    np.testing.assert_allclose(ma, mb, atol=atol)


def test_beat2_layout_and_round_trip(tmp_path):
    body = _body()
    path = tmp_path / "take.npz"
    beat2.write_beat2(path, body)
    with np.load(path, allow_pickle=False) as d:
        assert d["poses"].shape == (12, 165) and d["poses"].dtype == np.float32
        assert d["trans"].shape == (12, 3)
        assert d["betas"].shape == (300,)
        assert d["expressions"].shape == (12, 100)
        assert float(d["mocap_frame_rate"]) == 30.0 == float(d["mocap_framerate"])
        assert str(d["model"]) == "smplx2020"
        assert str(d["hand_convention"]) == "flat"
        assert "flat_hand_mean=True" in str(d["hand_convention_note"])
        np.testing.assert_array_equal(d["poses"][:, 3 * 18:3 * 19], body.rotations[:, 18])
    back = beat2.read_beat2(path)
    np.testing.assert_array_equal(back.rotations, body.rotations)
    np.testing.assert_array_equal(back.translation, body.translation)
    assert back.fps == 30.0 and back.joint_names == smplx.JOINT_NAMES
    assert back.hand_convention == "flat"


def test_beat2_flame_fills_expressions_and_jaw():
    body = _body(n=5)
    rng = np.random.default_rng(1)
    flame = FlameParams(30.0, rng.normal(size=(5, 50)), rng.normal(size=(5, 3)) * 0.1,
                        np.zeros((5, 3)), rng.normal(size=(5, 3)) * 0.1, np.zeros((5, 3)))
    a = beat2.beat2_arrays(body, flame=flame)
    np.testing.assert_allclose(a["expressions"][:, :50], flame.expression)
    assert not a["expressions"][:, 50:].any()
    np.testing.assert_allclose(a["poses"][:, 66:69], flame.jaw_pose)
    with pytest.raises(CurveFormatError, match="frames"):
        beat2.beat2_arrays(_body(n=6), flame=flame)


def test_read_beat2_rejects_other_npz(tmp_path):
    p = tmp_path / "x.npz"
    np.savez(p, weights=np.zeros(3))
    with pytest.raises(CurveFormatError, match="BEAT2"):
        beat2.read_beat2(p)


def test_bvh_round_trip(tmp_path):
    body = _body(fps=29.97)
    path = tmp_path / "take.bvh"
    bvh.write_bvh(path, body)
    back = bvh.read_bvh(path)
    _same_rotations(back.rotations, body.rotations)
    np.testing.assert_allclose(back.translation, body.translation, atol=1e-5)
    assert back.fps == pytest.approx(29.97)


def test_bvh_independent_parser(tmp_path):
    """PyPI ``bvh`` reads the file: same joints, offsets, and (with scipy's Euler) rotations."""
    bvh_pkg = pytest.importorskip("bvh")
    body = _body(n=6, seed=3)
    path = tmp_path / "take.bvh"
    bvh.write_bvh(path, body)
    m = bvh_pkg.Bvh(path.read_text())
    assert m.nframes == 6 and m.frame_time == pytest.approx(1 / 30.0, abs=1e-7)
    assert sorted(m.get_joints_names()) == sorted(smplx.JOINT_NAMES)
    for name in ("left_elbow", "right_index2", "head"):
        j = smplx.INDEX[name]
        np.testing.assert_allclose(m.joint_offset(name), smplx.REST_OFFSETS[j], atol=1e-6)
        chans = m.joint_channels(name)
        assert chans == ["Zrotation", "Xrotation", "Yrotation"]
        for f in range(6):
            ang = m.frame_joint_channels(f, name, chans)
            r = Rotation.from_euler("ZXY", ang, degrees=True).as_rotvec()
            _same_rotations(r[None], body.rotations[f, j][None], atol=1e-4)
    root = m.frame_joint_channels(2, "pelvis", ["Xposition", "Yposition", "Zposition"])
    np.testing.assert_allclose(root, body.translation[2] + smplx.REST_POSITIONS[0], atol=1e-4)


def test_bvh_rejects_foreign_files(tmp_path):
    p = tmp_path / "x.bvh"
    p.write_text("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 3 Zrotation Xrotation Yrotation\n"
                 "}\nMOTION\nFrames: 1\nFrame Time: 0.0333\n0 0 0\n")
    with pytest.raises(CurveFormatError, match="SMPL-X"):
        bvh.read_bvh(p)


def test_beat2_jaw_and_eyes_from_the_face_without_flame():
    from talkrig.core.curves import FaceCurves
    from talkrig.rigs.arkit import FACE_CHANNELS
    body = BodyCurves(smplx.JOINT_NAMES, 30.0, np.zeros((3, 55, 3)), np.zeros((3, 3)))
    vals = np.zeros((3, len(FACE_CHANNELS)), np.float32)
    vals[:, FACE_CHANNELS.index("jawOpen")] = [0.0, 0.5, 1.0]
    vals[:, FACE_CHANNELS.index("LeftEyeYaw")] = 0.2          # looks to its own left
    vals[:, FACE_CHANNELS.index("RightEyePitch")] = 0.1       # looks up
    a = beat2.beat2_arrays(body, face=FaceCurves(FACE_CHANNELS, 30.0, vals))
    jaw = a["poses"][:, 66:69]
    np.testing.assert_allclose(jaw[:, 0], [0.0, 0.5 * beat2.JAW_OPEN_RAD, beat2.JAW_OPEN_RAD],
                               atol=1e-6)
    leye, reye = a["poses"][:, 69:72], a["poses"][:, 72:75]
    np.testing.assert_allclose(leye, [[0.0, 0.2, 0.0]] * 3, atol=1e-6)      # about +Y
    np.testing.assert_allclose(reye, [[-0.1, 0.0, 0.0]] * 3, atol=1e-6)     # about -X
    assert "jawOpen" in str(a["face_joints_source"])
    assert not a["poses"][:, :66].any()                                     # body untouched


def test_read_amass_style_npz(tmp_path):
    p = tmp_path / "amass.npz"
    poses = np.random.default_rng(2).normal(0, 0.2, (4, 165)).astype(np.float32)
    np.savez(p, poses=poses, trans=np.zeros((4, 3)), mocap_framerate=np.array(120.0))
    b = beat2.read_beat2(p)
    assert b.fps == 120.0 and b.n_frames == 4 and b.hand_convention == "flat"
    np.testing.assert_array_equal(b.rotations.reshape(4, 165), poses)
