"""Rest joints of a user's SMPL-X model file (``SMPLX_NEUTRAL.npz`` layout), numpy only.

The joints are ``J_regressor @ v_template`` (metres, Y-up, the model's own T-pose); the file
must have SMPL-X's layout: ``v_template`` (V, 3) with V >= 9,930 (the layout's hard-coded
vertex ids), ``J_regressor`` (55, V), ``kintree_table`` (2, 55) whose first row is SMPL-X's
parents, ``f`` (F, 3) faces and ``weights`` (V, 55). No file is shipped; tests write a
synthetic one of the same layout.
"""
from __future__ import annotations

import os

import numpy as np

from ...rigs.skeletons import smplx
from ..errors import RetargetError

MIN_VERTICES = 9930
KEYS = ("v_template", "J_regressor", "kintree_table", "f", "weights")


def _bad(path, what) -> RetargetError:
    return RetargetError(f"'{path}' is not an SMPL-X model file of the expected layout: {what}; "
                         "give the SMPLX_NEUTRAL/MALE/FEMALE .npz from the SMPL-X download")


def load_model(path) -> dict:
    """Read and check an SMPL-X model file; returns the arrays of :data:`KEYS`."""
    path = os.fspath(path)
    try:
        data = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise RetargetError(f"SMPL-X model file '{path}' does not exist") from None
    except (OSError, ValueError) as exc:
        raise _bad(path, f"cannot read it as .npz ({exc})") from None
    with data:
        absent = [k for k in KEYS if k not in data.files]
        if absent:
            raise _bad(path, f"missing {', '.join(absent)}")
        out = {k: np.asarray(data[k]) for k in KEYS}
    v = out["v_template"]
    if v.ndim != 2 or v.shape[1] != 3 or v.shape[0] < MIN_VERTICES:
        raise _bad(path, f"v_template has shape {v.shape}, expected (V >= {MIN_VERTICES}, 3)")
    n_v = v.shape[0]
    if out["J_regressor"].shape != (smplx.N_JOINTS, n_v):
        raise _bad(path, f"J_regressor has shape {out['J_regressor'].shape}, expected "
                         f"({smplx.N_JOINTS}, {n_v})")
    kin = out["kintree_table"]
    if kin.shape != (2, smplx.N_JOINTS):
        raise _bad(path, f"kintree_table has shape {kin.shape}, expected (2, {smplx.N_JOINTS})")
    parents = kin[0].astype(np.int64)
    parents[0] = -1                               # stored as 2**32 - 1 in the real files
    if not np.array_equal(parents, smplx.PARENTS):
        raise _bad(path, "its kinematic tree is not SMPL-X's (an SMPL or SMPL-H file?)")
    if out["weights"].shape != (n_v, smplx.N_JOINTS):
        raise _bad(path, f"weights has shape {out['weights'].shape}, expected ({n_v}, 55)")
    f = out["f"]
    if f.ndim != 2 or f.shape[1] != 3 or f.size == 0 or f.max() >= n_v or f.min() < 0:
        raise _bad(path, "f must be (F, 3) vertex indices")
    return out


def model_joints(path) -> np.ndarray:
    """Rest joint positions [shape=(55, 3)] of the model file (metres, Y-up)."""
    m = load_model(path)
    joints = m["J_regressor"].astype(np.float64) @ m["v_template"].astype(np.float64)
    if not np.all(np.isfinite(joints)):
        raise _bad(path, "its regressed joints are not finite")
    return joints
