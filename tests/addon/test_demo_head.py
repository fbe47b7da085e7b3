"""The demo head geometry (pure numpy) and its Blender mesh."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from talkrig.rigs.arkit import ARKIT_INDEX, ARKIT_NAMES
from talkrig.rigs.demo_head import PART_NAMES, build_demo_head, lip_aperture

MM = 1e-3


@pytest.fixture(scope="module")
def head():
    return build_demo_head()


def test_layout(head):
    V = head.vertices
    assert V.dtype == np.float32 and V.ndim == 2 and V.shape[1] == 3
    assert tuple(head.shape_keys) == ARKIT_NAMES
    assert all(d.shape == V.shape and d.dtype == np.float32 for d in head.shape_keys.values())
    assert len(head.faces) == len(head.face_parts)
    assert max(max(f) for f in head.faces) < len(V)
    assert set(np.unique(head.face_parts)) == set(range(len(PART_NAMES)))
    # face towards -Y, Z up, about 22 cm from chin to crown
    chin = V[V[:, 1] < -0.06, 2].min()
    assert V[:, 2].max() - chin == pytest.approx(0.22, abs=0.02)
    nose_tip = V[np.argmin(V[:, 1])]
    assert abs(nose_tip[0]) < 2 * MM and -0.05 < nose_tip[2] < 0.0
    # paired inner-lip vertices coincide at rest, ordered from right to left corner
    up, lo = head.inner_lip_upper, head.inner_lip_lower
    assert len(up) == len(lo) >= 10 and len(set(up) | set(lo)) == 2 * len(up)
    np.testing.assert_allclose(V[up], V[lo], atol=1e-7)
    assert np.all(np.diff(V[up, 0]) > 0)


def test_deterministic(head):
    again = build_demo_head()
    np.testing.assert_array_equal(again.vertices, head.vertices)
    np.testing.assert_array_equal(again.shape_keys["jawOpen"], head.shape_keys["jawOpen"])


def test_every_key_moves_its_own_region(head):
    V = head.vertices
    part = np.asarray(head.part_names)[head.vertex_parts]
    for name, d in head.shape_keys.items():
        moved = np.linalg.norm(d, axis=1) > 0.5 * MM
        assert moved.any(), f"{name} moves nothing"
        c = V[moved].mean(0)
        if name.startswith("eye") or name.startswith("brow") or name.startswith("cheekSquint"):
            assert c[2] > -0.035, f"{name} should act around the eyes/brows, centroid z={c[2]:.3f}"
        if name.startswith(("mouth", "jaw", "tongue")):
            assert c[2] < -0.03, f"{name} should act around the mouth, centroid z={c[2]:.3f}"
        if name.endswith("Left") and not name.startswith("jaw") and name != "mouthLeft":
            assert c[0] > 0.003, f"{name} should act on the subject's left (+X), x={c[0]:.4f}"
        if name.endswith("Right") and not name.startswith("jaw") and name != "mouthRight":
            assert c[0] < -0.003, f"{name} should act on the subject's right (-X), x={c[0]:.4f}"
        if name.startswith("eyeLook"):
            assert set(part[moved]) <= {"eye_white", "iris", "pupil", "skin", "brows"}  # lids follow
    # jawOpen carries the lower teeth and the tongue, not the upper teeth
    jaw = np.linalg.norm(head.shape_keys["jawOpen"], axis=1)
    boxes = np.where(part == "teeth")[0].reshape(-1, 8)           # one box of 8 per tooth
    above = V[boxes, 2].mean(1) > V[head.inner_lip_upper, 2].mean()
    lower_teeth, upper_teeth = boxes[~above].ravel(), boxes[above].ravel()
    assert len(lower_teeth) == len(upper_teeth) > 0
    assert jaw[lower_teeth].min() > 10 * MM and jaw[upper_teeth].max() == 0.0
    assert jaw[part == "tongue"].min() > 5 * MM
    # tongueOut brings the tongue tip past the lips
    tongue = part == "tongue"
    tip = (V + head.shape_keys["tongueOut"])[tongue, 1].min()
    assert tip < V[head.inner_lip_upper, 1].min() - 5 * MM


def test_eye_rotations_keep_the_eyeball_rigid(head):
    V = head.vertices.astype(np.float64)
    part = np.asarray(head.part_names)[head.vertex_parts]
    left = (np.isin(part, ["eye_white", "iris", "pupil"])) & (V[:, 0] > 0)
    c = head.landmarks["eye_left"]
    for name in ("eyeLookUpLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft"):
        P = V[left] + head.shape_keys[name][left]
        np.testing.assert_allclose(np.linalg.norm(P - c, axis=1), np.linalg.norm(V[left] - c, axis=1), atol=1e-5)
    iris = (part == "iris") & (V[:, 0] > 0)
    look = lambda n: (V + head.shape_keys[n])[iris].mean(0) - V[iris].mean(0)
    assert look("eyeLookUpLeft")[2] > 2 * MM and look("eyeLookDownLeft")[2] < -2 * MM
    assert look("eyeLookOutLeft")[0] > 2 * MM and look("eyeLookInLeft")[0] < -2 * MM


def test_blink_closes_the_lids_over_the_eyeball(head):
    V = head.vertices.astype(np.float64)
    part = np.asarray(head.part_names)[head.vertex_parts]
    c = head.landmarks["eye_left"]
    # Rays from the front at the iris: open eye -> first hit is the eyeball; after the
    # blink the iris centre is covered by lid skin in front of it.
    skin = np.isin(part, ["skin"]) & (np.abs(V[:, 0] - c[0]) < 1.5 * MM) & (V[:, 1] < c[1])
    def lid_cover(P):
        sel = skin & (np.abs(P[:, 2] - c[2]) < 2.0 * MM) & (np.abs(P[:, 0] - c[0]) < 1.5 * MM)
        return sel.sum()
    assert lid_cover(V) == 0, "the open eye must show the eyeball"
    assert lid_cover(V + head.shape_keys["eyeBlinkLeft"]) > 0, "the blink must cover it"
    assert lid_cover(V + head.shape_keys["eyeBlinkRight"]) == 0, "the right blink leaves the left eye"


def test_lip_aperture(head):
    assert lip_aperture(head, {}) == 0.0
    open_ = lip_aperture(head, {"jawOpen": 1.0})
    assert 15 * MM < open_ < 40 * MM
    assert lip_aperture(head, {"jawOpen": 0.5}) == pytest.approx(open_ / 2, rel=0.15)
    # closed lips against an open jaw
    for w in (1.0, 0.6, 0.3):
        assert lip_aperture(head, {"jawOpen": w, "mouthClose": w}) < 1 * MM
    # keys that open the lips without the jaw
    for name in ("mouthLowerDownLeft", "mouthUpperUpRight", "mouthFunnel"):
        assert lip_aperture(head, {name: 1.0}) > 2 * MM, name
    # keys that keep them closed
    for name in ("mouthSmileLeft", "mouthPucker", "mouthPressLeft", "mouthRollLower",
                 "mouthShrugLower", "eyeBlinkLeft", "browInnerUp", "jawLeft", "cheekPuff"):
        assert lip_aperture(head, {name: 1.0}) < 1 * MM, name
    # batch form: [n, 52]
    w = np.zeros((3, 52))
    w[1, ARKIT_INDEX["jawOpen"]] = 1.0
    w[2, ARKIT_INDEX["jawOpen"]] = w[2, ARKIT_INDEX["mouthClose"]] = 1.0
    got = lip_aperture(head, w)
    assert got.shape == (3,)
    np.testing.assert_allclose(got, [0.0, open_, 0.0], atol=1e-3)
    with pytest.raises(KeyError):
        lip_aperture(head, {"jawOpne": 1.0})
    with pytest.raises(ValueError):
        lip_aperture(head, np.zeros((2, 51)))


def test_blender_mesh(demo_head, tmp_path):
    """The Blender object carries the same geometry with a Basis and 52 keys."""
    head = build_demo_head()
    key = demo_head.data.shape_keys
    assert [kb.name for kb in key.key_blocks] == ["Basis", *ARKIT_NAMES]
    assert all(kb.value == 0.0 for kb in key.key_blocks[1:]), "the head must start at rest"
    depsgraph = bpy.context.evaluated_depsgraph_get()
    rest = demo_head.evaluated_get(depsgraph).to_mesh()
    got = np.empty(len(head.vertices) * 3, dtype=np.float32)
    rest.vertices.foreach_get("co", got)
    np.testing.assert_allclose(got.reshape(-1, 3), head.vertices, atol=1e-6)
    demo_head.evaluated_get(depsgraph).to_mesh_clear()
    assert len(demo_head.data.vertices) == len(head.vertices)
    assert len(demo_head.data.polygons) == len(head.faces)
    co = np.empty(len(head.vertices) * 3, dtype=np.float32)
    key.key_blocks["jawOpen"].data.foreach_get("co", co)
    np.testing.assert_allclose(co.reshape(-1, 3), head.vertices + head.shape_keys["jawOpen"], atol=1e-6)
    assert [m.name for m in demo_head.data.materials] == [f"talkrig_{p}" for p in PART_NAMES]
    assert all(p.use_smooth for p in demo_head.data.polygons if p.material_index == 0)


def test_faces_point_outwards(head):
    """Engines cull back faces: closed parts face out, the mouth cavity faces in."""
    V = head.vertices.astype(np.float64)
    parent = np.arange(len(V))

    def root(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a
    for f in head.faces:
        r = root(f[0])
        for v in f[1:]:
            parent[root(v)] = r
    comp = np.array([root(i) for i in range(len(V))])
    centre = {c: V[comp == c].mean(0) for c in np.unique(comp)}
    cavity = V[head.inner_lip_upper].mean(0) + np.array([0.0, 0.025, 0.0])
    good = {}
    for f, fp in zip(head.faces, head.face_parts):
        q = V[list(f)]
        n = np.cross(q[1] - q[0], q[2] - q[0])
        c = q.mean(0)
        part = head.part_names[fp]
        if part == "mouth":
            ok = n @ (cavity - c) > 0
        elif part == "brows":
            ok = n[1] < 0
        else:
            ok = n @ (c - centre[comp[f[0]]]) > 0
        good.setdefault(part, []).append(ok)
    for part, oks in good.items():
        assert np.mean(oks) > 0.995, f"{part}: {np.mean(oks):.3f} of faces point the right way"
