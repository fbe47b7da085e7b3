"""FLAME parameters from face curves: conventions, the one-call path with its cache and
errors, the npz writer, and the round trip ARKit curves -> FLAME -> vertices."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flame_data import (demo_on_random_model, flame_raw, inner_lip_gaps,  # noqa: E402
                        known_basis, write_npz)

from talkrig.core.curves import FaceCurves  # noqa: E402
from talkrig.core.errors import FlameModelError  # noqa: E402
from talkrig.core.flame import FlameSettings, flame_from_settings, flame_params  # noqa: E402
from talkrig.core.flame.fit import fit_mapping  # noqa: E402
from talkrig.core.flame.lbs import forward, rodrigues  # noqa: E402
from talkrig.core.flame.model import load_flame_model  # noqa: E402
from talkrig.core.flame.params import yaw_pitch_roll_to_axis_angle  # noqa: E402
from talkrig.core.io.flame_npz import read_flame_npz, write_flame_npz  # noqa: E402
from talkrig.rigs.arkit import ARKIT_NAMES, HEAD_EYE_NAMES  # noqa: E402
from talkrig.rigs.demo_head import build_demo_head, lip_aperture  # noqa: E402

IDX = {n: i for i, n in enumerate(ARKIT_NAMES)}


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    """A 100-component model containing the transferred shapes, its fit and deltas."""
    d = tmp_path_factory.mktemp("flameparams")
    m0, src, regions, reg, fit0, deltas = demo_on_random_model(20)
    path = write_npz(d / "known_flame.npz",
                     flame_raw(known_basis(m0, fit0, deltas, regions.eyeball)))
    model = load_flame_model(str(path))
    fit, deltas = fit_mapping(model, src, registration=reg, regions=regions)
    return {"dir": d, "path": path, "model": model, "fit": fit, "deltas": deltas}


def performance(n=90, seed=0):
    """Scripted ARKit curves: random speech-like shapes, p/b/m closures (jawOpen with
    mouthClose, mouthPress), blinks and gaze; plus head and eye rotation channels."""
    rng = np.random.default_rng(seed)
    W = np.zeros((n, 52))
    t = np.arange(n)
    W[:, IDX["jawOpen"]] = 0.35 * np.abs(np.sin(t / 5.0))
    for name in ("mouthSmileLeft", "mouthSmileRight", "mouthFunnel", "mouthPucker",
                 "browInnerUp", "mouthStretchLeft", "cheekSquintRight", "mouthUpperUpLeft"):
        W[:, IDX[name]] = np.clip(rng.normal(0.2, 0.15, n), 0, 1)
    closed = (t % 15) < 3                                    # a p/b/m every half second
    W[closed, IDX["jawOpen"]] = 0.12
    W[closed, IDX["mouthClose"]] = 0.12
    W[closed, IDX["mouthPressLeft"]] = W[closed, IDX["mouthPressRight"]] = 0.3
    for name in ("mouthFunnel", "mouthPucker", "mouthStretchLeft", "mouthUpperUpLeft"):
        W[closed, IDX[name]] = 0.0
    W[t % 40 < 3, IDX["eyeBlinkLeft"]] = W[t % 40 < 3, IDX["eyeBlinkRight"]] = 1.0
    W[:, IDX["eyeLookUpLeft"]] = W[:, IDX["eyeLookUpRight"]] = 0.3 * (t > n // 2)
    rot = np.zeros((n, 9))
    rot[:, 0] = 0.2 * np.sin(t / 11.0)                      # HeadYaw
    rot[:, 1] = 0.1                                         # HeadPitch
    rot[:, 3] = rot[:, 6] = 0.15                            # both eyes look left
    return FaceCurves(ARKIT_NAMES + HEAD_EYE_NAMES, 30.0, np.concatenate([W, rot], 1)), closed


def test_rotation_conventions():
    aa = yaw_pitch_roll_to_axis_angle(np.array([[0.3, 0, 0], [0, 0.3, 0], [0, 0, 0.3]]))
    front, up = np.array([0, 0, 1.0]), np.array([0, 1.0, 0])
    R = rodrigues(aa)
    assert (R[0] @ front)[0] > 0.25                         # yaw > 0: face to the left (+X)
    assert (R[1] @ front)[1] > 0.25                         # pitch > 0: chin up
    assert (R[2] @ up)[0] < -0.25                           # roll > 0: top to the right (-X)
    mixed = yaw_pitch_roll_to_axis_angle(np.array([[0.2, -0.1, 0.05]]))
    np.testing.assert_allclose(rodrigues(mixed)[0], rodrigues(aa[0] * 0.2 / 0.3) @
                               rodrigues(-aa[1] * 0.1 / 0.3) @ rodrigues(aa[2] * 0.05 / 0.3),
                               atol=1e-12)


def test_params_from_curves(known):
    face, _ = performance()
    fit = known["fit"]
    p = flame_params(face, fit)
    n = face.n_frames
    assert p.expression.shape == (n, 100) and p.jaw_pose.shape == (n, 3) and p.fps == 30.0
    W = face.values[:, :52].astype(np.float64)
    np.testing.assert_allclose(p.expression, W @ fit.expression, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p.jaw_pose, W @ fit.jaw_pose, rtol=1e-5, atol=1e-7)
    assert p.neck_pose[:, 1].std() > 0.05 and p.neck_pose[:, 0].mean() < -0.05   # yaw, chin up
    assert np.all(p.leye_pose[:, 1] > 0.1) and np.all(p.reye_pose[:, 1] > 0.1)  # channels
    from_weights = flame_params(face, fit, use_eye_channels=False)
    late = np.arange(n) > n // 2
    assert np.all(from_weights.leye_pose[late, 0] < -0.05)                     # look up
    assert flame_params(face, fit, 20).expression.shape == (n, 20)
    with pytest.raises(FlameModelError, match="at most 100"):
        flame_params(face, fit, 150)


def test_round_trip_matches_the_transferred_deformation(known):
    """ARKit curves -> FLAME parameters -> vertices vs the demo head's transferred shapes."""
    face, closed = performance()
    model, fit, D = known["model"], known["fit"], known["deltas"]
    p = flame_params(face, fit, use_eye_channels=False)
    poses = np.zeros((face.n_frames, 5, 3))
    poses[:, 2], poses[:, 3], poses[:, 4] = p.jaw_pose, p.leye_pose, p.reye_pose
    verts = forward(model, p.expression.astype(np.float64), poses)
    W = face.values[:, :52].astype(np.float64)
    ref = model.v_template[None] + np.einsum("nk,kvc->nvc", W, D)
    err = np.linalg.norm(verts - ref, axis=2) * 1000.0                       # mm
    assert err.mean() < 0.15 and np.percentile(err, 99.9) < 1.5, (err.mean(), err.max())
    # lips: the demo head closes them on p/b/m frames, and so does the FLAME mesh
    head = build_demo_head()
    assert lip_aperture(head, W[closed]).max() * 1000 < 1.5
    rest = inner_lip_gaps(model.v_template)[0]
    opening = (inner_lip_gaps(verts) - rest).max(1) * 1000
    assert opening[closed].max() < 1.5, opening[closed].max()
    assert opening[~closed].max() > 5.0                                       # and it opens


def test_one_call_with_cache_and_npz(known, tmp_path):
    face, _ = performance(30)
    settings = FlameSettings(model_path=str(known["path"]), cache_dir=str(tmp_path / "cache"))
    p1, rep1 = flame_from_settings(face, settings)
    assert rep1["cached"] is False and Path(rep1["cache_file"]).is_file()
    assert rep1["cannot_express"] == [] and rep1["not_transferred"] == ["tongueOut"]
    assert max(v for v in rep1["rel_error"].values() if v is not None) < 0.05
    np.testing.assert_allclose(p1.expression, flame_params(face, known["fit"]).expression,
                               atol=1e-5)
    p2, rep2 = flame_from_settings(face, settings)
    assert rep2["cached"] is True
    np.testing.assert_array_equal(p1.expression, p2.expression)
    assert p1.model_sha256 == rep1["model_sha256"] and len(p1.model_sha256) == 64
    out = write_flame_npz(str(tmp_path / "take"), p2)
    assert out.endswith("take.npz")
    with np.load(out, allow_pickle=False) as z:
        assert set(z.files) >= {"expression", "jaw_pose", "neck_pose", "leye_pose", "reye_pose",
                                "fps"}
        assert z["expression"].dtype == np.float32 and float(z["fps"]) == 30.0
    back = read_flame_npz(out)
    np.testing.assert_array_equal(back.jaw_pose, p2.jaw_pose)


def test_one_call_errors(known, tmp_path):
    face, _ = performance(10)
    with pytest.raises(FlameModelError, match="not found"):
        flame_from_settings(face, FlameSettings(model_path=str(tmp_path / "none.pkl")))
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(FlameModelError, match="cannot write the FLAME mapping cache"):
        flame_from_settings(face, FlameSettings(model_path=str(known["path"]),
                                                cache_dir=str(blocker / "cache")))
    with pytest.raises(FlameModelError, match="100 expression components, 300 were asked"):
        flame_from_settings(face, FlameSettings(model_path=str(known["path"]), n_expression=300,
                                                cache_dir=str(tmp_path / "c")))
    with pytest.raises(FlameModelError, match="no FLAME model file given"):
        flame_from_settings(face, FlameSettings())


def test_bake_with_a_flame_model_end_to_end(known, tmp_path, monkeypatch):
    """``talkrig bake --flame-model`` -> FLAME keys in the npz, the fit in the report; a bad
    model file fails at once, before any audio is read."""
    from talkrig.app import cli
    from talkrig.core.pipeline import bake
    from talkrig.core.settings import BakeSettings
    from synth import speech_like
    import soundfile as sf
    wav = tmp_path / "line.wav"
    sf.write(wav, speech_like(1.5, seed=3), 16000)
    settings = BakeSettings(flame=FlameSettings(model_path=str(known["path"]), n_expression=50,
                                                cache_dir=str(tmp_path / "cache")))
    perf = bake(str(wav), settings)
    assert perf.flame.expression.shape == (perf.face.n_frames, 50)
    assert perf.report.flame and perf.report.flame_fit["model_sha256"] == perf.flame.model_sha256
    assert set(perf.report.flame_fit["rel_error"]) >= {"jawOpen", "mouthSmileLeft"}
    out = tmp_path / "take.npz"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))       # the CLI's default cache
    assert cli.main(["bake", str(wav), "-o", str(out), "--flame-model", str(known["path"]),
                     "--flame-expressions", "50", "-q"]) == 0
    with np.load(out) as z:
        assert z["expression"].shape == (perf.face.n_frames, 50) and "values" in z.files
    truncated = tmp_path / "broken.pkl"
    truncated.write_bytes(b"\x80\x04\x95\x10\x00\x00")
    with pytest.raises(FlameModelError):
        bake(str(tmp_path / "missing.wav"), settings.replace(
            flame=FlameSettings(model_path=str(truncated))))   # model error, not missing audio
