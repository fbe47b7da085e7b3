"""ARKit -> FLAME mapping: registration of the demo head onto the real FLAME template,
recovery of known shapes, reporting of shapes a model cannot express, the cache."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flame_data import demo_on_random_model, flame_raw, known_basis, write_npz  # noqa: E402

from talkrig.core.errors import FlameModelError  # noqa: E402
from talkrig.core.flame.fit import CANNOT_EXPRESS, fit_mapping, load_fit, save_fit  # noqa: E402
from talkrig.core.flame.lbs import forward  # noqa: E402
from talkrig.core.flame.model import load_flame_model  # noqa: E402
from talkrig.core.flame.register import LOWER_LIP, UPPER_LIP, _tri_labels  # noqa: E402
from talkrig.rigs.arkit import ARKIT_NAMES  # noqa: E402

IDX = {n: i for i, n in enumerate(ARKIT_NAMES)}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Registration on the real template + the mapping of a random 20-component model."""
    model, source, regions, reg, fit, deltas = demo_on_random_model(20)
    return {"dir": tmp_path_factory.mktemp("flamefit"), "model": model, "source": source,
            "regions": regions, "reg": reg, "fit": fit, "deltas": deltas}


def known_model(setup, seed=5, noise=0.01):
    return known_basis(setup["model"], setup["fit"], setup["deltas"], setup["regions"].eyeball,
                       seed=seed, noise=noise)


def test_registration_of_the_demo_head_onto_the_real_template(setup):
    s = setup["reg"].stats
    assert s["mean_dist_flame_to_source_mm"] < 2.5
    for k in ("nose_tip", "mouth_left", "mouth_right", "mouth_center"):
        assert s[f"landmark_{k}_mm"] < 2.0, k
    for k in ("eye_left", "eye_right"):
        assert s[f"landmark_{k}_mm"] < 5.0, k
    assert 0.8 < setup["reg"].scale < 1.25


def test_lips_never_swap(setup):
    """No FLAME upper-lip vertex lands on a lower-lip triangle of the demo head and back."""
    reg, src, regions = setup["reg"], setup["source"], setup["regions"]
    tl = _tri_labels(src.labels, src.tris)[reg.tri]
    assert regions.labels.tolist().count(UPPER_LIP) > 50
    assert not np.any((regions.labels == UPPER_LIP) & (tl == LOWER_LIP))
    assert not np.any((regions.labels == LOWER_LIP) & (tl == UPPER_LIP))


def test_joints_carry_jaw_and_eyes(setup):
    fit = setup["fit"]
    jaw = fit.jaw_pose[IDX["jawOpen"]]
    assert jaw[0] > 0.12 and abs(jaw[1]) < 0.03 and abs(jaw[2]) < 0.03     # opens, no yaw
    assert fit.jaw_pose[IDX["jawLeft"], 1] * fit.jaw_pose[IDX["jawRight"], 1] < 0
    up = fit.leye_pose[IDX["eyeLookUpLeft"]]
    assert up[0] < -0.3 and np.allclose(fit.reye_pose[IDX["eyeLookUpLeft"]], 0.0)
    assert fit.leye_pose[IDX["eyeLookOutLeft"], 1] > 0.3                   # towards +X (left)
    assert fit.reye_pose[IDX["eyeLookOutRight"], 1] < -0.3
    for name in ("mouthSmileLeft", "browInnerUp", "eyeBlinkLeft"):
        assert not fit.jaw_pose[IDX[name]].any() and not fit.leye_pose[IDX[name]].any()


def test_known_shapes_are_recovered(setup):
    d = setup["dir"]
    path = write_npz(d / "known.npz", flame_raw(known_model(setup)))
    model = load_flame_model(str(path))
    fit, deltas = fit_mapping(model, setup["source"], registration=setup["reg"],
                              regions=setup["regions"])
    rel = fit.rel_error[np.isfinite(fit.rel_error)]
    assert len(rel) == 51                                     # all but tongueOut
    assert rel.max() < 0.05, dict(zip(ARKIT_NAMES, fit.rel_error.round(3)))
    assert fit.report()["cannot_express"] == []
    # the expression part never moves the eyeballs (eye look is eye rotation)
    eyes = setup["regions"].eyeball
    for name in ("eyeLookUpLeft", "eyeLookInRight"):
        v = forward(model, fit.expression[IDX[name]].astype(np.float64))
        assert np.abs(v[eyes] - model.v_template[eyes]).max() < 2e-4


def test_random_basis_reports_what_it_cannot_express(setup):
    rep = setup["fit"].report()
    assert "tongueOut" in rep["not_transferred"]
    assert {"mouthSmileLeft", "mouthPucker", "browInnerUp"} <= set(rep["cannot_express"])
    for name in ("eyeLookInLeft", "eyeLookOutRight"):         # pure eyeball rotations
        assert rep["rel_error"][name] < 0.05
    assert all(rep["rel_error"][n] > CANNOT_EXPRESS for n in rep["cannot_express"])


def test_fit_round_trips_through_the_cache(setup, tmp_path):
    path = tmp_path / "sub" / "fit.npz"
    save_fit(setup["fit"], str(path))
    back = load_fit(str(path))
    for key in ("expression", "jaw_pose", "leye_pose", "reye_pose"):
        np.testing.assert_array_equal(getattr(back, key), getattr(setup["fit"], key))
    np.testing.assert_array_equal(back.rel_error, setup["fit"].rel_error)
    assert back.registration["mean_dist_flame_to_source_mm"] == \
        setup["fit"].registration["mean_dist_flame_to_source_mm"]
    (tmp_path / "junk.npz").write_bytes(b"PK garbage")
    assert load_fit(str(tmp_path / "junk.npz")) is None
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(FlameModelError, match="cannot write the FLAME mapping cache"):
        save_fit(setup["fit"], str(blocker / "fit.npz"))


def test_a_user_head_is_labelled_like_the_demo_head(setup):
    """``source_head`` (a user's ARKit head) on the demo head's arrays: its lip and lid
    labels cover the demo head's and never contradict them."""
    from talkrig.core.flame.register import source_head
    from talkrig.rigs.demo_head import build_demo_head

    demo, head = setup["source"], build_demo_head()
    user = source_head(head.vertices, head.faces, head.shape_keys, demo.landmarks,
                       upper_lip=head.inner_lip_upper, lower_lip=head.inner_lip_lower,
                       eyes=demo.eyes, lip_margin=0.0)
    for lab in (1, 2, 3, 4):
        assert np.all(user.labels[demo.labels == lab] == lab)
    opposite = {1: 2, 2: 1, 3: 4, 4: 3}
    for lab, other in opposite.items():
        assert not np.any((demo.labels == lab) & (user.labels == other))
    assert user.surface.sum() > demo.surface.sum()            # teeth, tongue... by default
    with pytest.raises(FlameModelError, match="needs the landmarks nose_tip"):
        source_head(head.vertices, head.faces, {}, {k: v for k, v in demo.landmarks.items()
                                                     if k != "nose_tip"},
                    upper_lip=head.inner_lip_upper, lower_lip=head.inner_lip_lower)
