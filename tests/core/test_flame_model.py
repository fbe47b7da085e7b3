"""Loading a user's FLAME model: pickles without chumpy, npz, the SMPL-X face, clear errors."""
from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flame_data import (flame_raw, random_basis, real, smplx_raw, write_npz,  # noqa: E402
                        write_pickle)

from talkrig.core.errors import FlameModelError  # noqa: E402
from talkrig.core.flame.lbs import forward, rodrigues  # noqa: E402
from talkrig.core.flame.model import file_sha256, load_flame_model  # noqa: E402

K = 12


@pytest.fixture(scope="module")
def basis():
    return random_basis(K, seed=3)


@pytest.fixture(scope="module")
def files(tmp_path_factory, basis):
    d = tmp_path_factory.mktemp("flame")
    raw = flame_raw(basis)
    return {"pkl2020": write_pickle(d / "generic_model.pkl", raw),
            "pkl2023": write_pickle(d / "flame2023.pkl", raw, chumpy=False),
            "npz": write_npz(d / "flame_converted.npz", raw),
            "smplx": write_npz(d / "SMPLX_NEUTRAL.npz", smplx_raw(basis)),
            "dir": d}


@pytest.mark.parametrize("key,kind", [("pkl2020", "flame2020"), ("pkl2023", "flame2023"),
                                      ("npz", "flame")])
def test_every_layout_loads_the_same_arrays(files, basis, key, kind):
    m = load_flame_model(str(files[key]))
    r = real()
    assert m.kind == kind
    assert m.v_template.shape == (5023, 3) and m.faces.shape == (9976, 3)
    np.testing.assert_allclose(m.v_template, r["v_template"], atol=1e-7)
    np.testing.assert_array_equal(m.faces, r["f"])
    np.testing.assert_allclose(m.J_regressor, r["J_regressor"], atol=1e-7)
    np.testing.assert_allclose(m.weights, r["weights"], atol=1e-7)
    np.testing.assert_allclose(m.exprdirs, basis)             # the part after 300 shapes
    assert m.n_expression == K
    assert m.sha256 == file_sha256(str(files[key]))


def test_pickle_needs_no_chumpy_and_runs_no_code(files):
    assert "chumpy" not in sys.modules
    load_flame_model(str(files["pkl2020"]))
    assert "chumpy" not in sys.modules and "chumpy.ch" not in sys.modules


def test_a_pickle_cannot_execute_code(tmp_path, files):
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    raw = dict(np.load(files["npz"]))
    raw["extra"] = Evil()
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(raw, protocol=2))
    load_flame_model(str(path))
    assert not (tmp_path / "pwned").exists()


def test_n_expression_truncates_and_too_many_is_an_error(files):
    m = load_flame_model(str(files["npz"]), n_expression=5)
    assert m.n_expression == 5
    with pytest.raises(FlameModelError, match=f"has {K} expression components, 50 were asked"):
        load_flame_model(str(files["npz"]), n_expression=50)


def test_smplx_face_part(files, basis):
    m = load_flame_model(str(files["smplx"]), kind="smplx")
    assert m.kind == "smplx-face"
    ids = m.vertex_ids
    assert ids.max() < 5023 and len(ids) > 4000               # the head, not the body
    r = real()
    np.testing.assert_allclose(m.v_template, r["v_template"][ids])
    np.testing.assert_allclose(m.exprdirs, basis[ids])
    np.testing.assert_allclose(m.joints()[2:], (r["J_regressor"] @ r["v_template"])[2:], atol=2e-3)
    assert m.faces.max() < len(ids) and m.posedirs.shape == (len(ids), 3, 36)
    np.testing.assert_allclose(m.weights.sum(1), 1.0)
    assert load_flame_model(str(files["smplx"])).kind == "smplx-face"     # auto


def test_smplx_where_flame_is_asked(files):
    with pytest.raises(FlameModelError, match="is an SMPL-X model .* not FLAME"):
        load_flame_model(str(files["smplx"]), kind="flame")
    with pytest.raises(FlameModelError, match="not an SMPL-X model"):
        load_flame_model(str(files["npz"]), kind="smplx")


def test_missing_truncated_and_foreign_files(tmp_path, files):
    with pytest.raises(FlameModelError, match="not found"):
        load_flame_model(str(tmp_path / "nope.pkl"))
    data = files["pkl2020"].read_bytes()
    cut = tmp_path / "cut.pkl"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(FlameModelError, match="truncated or not a FLAME model"):
        load_flame_model(str(cut))
    txt = tmp_path / "notes.pkl"
    txt.write_text("hello")
    with pytest.raises(FlameModelError, match="neither a pickle nor an npz"):
        load_flame_model(str(txt))
    other = tmp_path / "other.npz"
    np.savez(other, something=np.zeros(3))
    with pytest.raises(FlameModelError, match="no 'v_template' array"):
        load_flame_model(str(other))


def test_shapes_are_checked(tmp_path, basis):
    raw = flame_raw(basis)
    raw["posedirs"] = raw["posedirs"][:, :, :30]
    with pytest.raises(FlameModelError, match=r"'posedirs' has shape \(5023, 3, 30\)"):
        load_flame_model(str(write_npz(tmp_path / "bad.npz", raw)))
    raw = flame_raw(basis)
    raw["weights"] = raw["weights"][:100]
    with pytest.raises(FlameModelError, match="'weights' has shape"):
        load_flame_model(str(write_npz(tmp_path / "bad2.npz", raw)))


def test_identity_only_model_has_no_expressions(tmp_path):
    r = real()
    with pytest.raises(FlameModelError, match="no expression components"):
        load_flame_model(str(write_npz(tmp_path / "partial.npz", r)))


def test_derived_chumpy_node_says_convert(tmp_path, basis):
    path = write_pickle(tmp_path / "derived.pkl", flame_raw(basis), derived=True)
    with pytest.raises(FlameModelError, match="convert the model to npz"):
        load_flame_model(str(path))


def test_forward_skins_the_jaw_and_expression(files, basis):
    m = load_flame_model(str(files["npz"]))
    e = np.zeros(K)
    e[2] = 1.5
    np.testing.assert_allclose(forward(m, e), m.v_template + 1.5 * basis[:, :, 2], atol=1e-12)
    pose = np.zeros((5, 3))
    pose[2] = [0.2, 0.0, 0.0]
    v = forward(m, None, pose, correctives=False)
    J = m.joints()
    p = m.v_template
    want = p + m.weights[:, 2:3] * ((p - J[2]) @ (rodrigues(pose[2]) - np.eye(3)).T)
    np.testing.assert_allclose(v, want, atol=1e-8)      # weights rows sum to 1 +- 1e-7
    jaw = m.weights[:, 2] > 0.5
    chin = np.where(jaw)[0][np.argmin(p[jaw, 1])]
    assert v[chin, 1] < p[chin, 1] - 0.005                     # +X rotation opens the jaw
    still = m.weights[:, 2] == 0.0
    np.testing.assert_allclose(v[still], p[still], atol=1e-12)
