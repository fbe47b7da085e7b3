"""FLAME forward model in numpy: expression blend shapes, pose correctives, linear blend
skinning over the five joints (global, neck, jaw, left eye, right eye).

Axis-angle vectors are in the FLAME frame (metres, Y up, face along +Z, subject's left +X):
a positive X rotation of the jaw opens the mouth, a positive Y rotation of the neck turns
the face to the subject's left.
"""
from __future__ import annotations

import numpy as np

from ..motion.rotations import axis_angle_to_matrix
from .model import FlameModel

#: Rodrigues' formula under the name FLAME's code uses (``core.motion.rotations``).
rodrigues = axis_angle_to_matrix


def pose_feature(pose: np.ndarray) -> np.ndarray:
    """Pose-corrective weights (R_j - I, joints 1..4, row-major) [shape=(..., 36)]."""
    R = axis_angle_to_matrix(np.asarray(pose, dtype=np.float64).reshape(*np.shape(pose)[:-2], 5, 3))
    return (R[..., 1:, :, :] - np.eye(3)).reshape(*R.shape[:-3], 36)


def forward(model: FlameModel, expression=None, pose=None, *, correctives: bool = True,
            rest_joints: bool = False) -> np.ndarray:
    """Posed vertices for one or many frames.

    Parameters
    ----------
    expression : np.ndarray [shape=(K,) or (n, K)] or None  (K <= model.n_expression)
    pose : np.ndarray [shape=(5, 3) or (n, 5, 3)] or None  axis-angle per joint, radians.
    correctives : bool  add the pose-corrective blend shapes.
    rest_joints : bool  joints of the rest template (as a Blender rig has them) instead of
        regressed from the expressed shape (FLAME's definition; they differ by < 1 mm).

    Returns
    -------
    np.ndarray [shape=(V, 3) or (n, V, 3)], metres.
    """
    single = (expression is None or np.ndim(expression) == 1) and (pose is None or np.ndim(pose) == 2)
    V = model.n_vertices
    e = np.zeros((1, 0)) if expression is None else np.atleast_2d(np.asarray(expression, np.float64))
    p = np.zeros((1, 5, 3)) if pose is None else np.asarray(pose, np.float64).reshape(-1, 5, 3)
    n = max(len(e), len(p))
    k = e.shape[1]
    dirs = model.exprdirs[:, :, :k].reshape(V * 3, k)
    v_shaped = model.v_template[None] + (e @ dirs.T).reshape(-1, V, 3)
    v_shaped = np.broadcast_to(v_shaped, (n, V, 3))
    J = np.einsum("jv,nvc->njc", model.J_regressor,
                  model.v_template[None] if rest_joints else v_shaped)
    J = np.broadcast_to(J, (n, 5, 3))
    R = axis_angle_to_matrix(np.broadcast_to(p, (n, 5, 3)))
    v_posed = v_shaped
    if correctives:
        feat = (R[:, 1:] - np.eye(3)).reshape(n, 36)
        v_posed = v_shaped + np.einsum("vcp,np->nvc", model.posedirs, feat)
    G = np.zeros((n, 5, 4, 4))
    G[:, :, 3, 3] = 1.0
    for j, parent in enumerate(model.parents):
        local = np.zeros((n, 4, 4))
        local[:, :3, :3] = R[:, j]
        local[:, :3, 3] = J[:, j] - (J[:, parent] if parent >= 0 else 0.0)
        local[:, 3, 3] = 1.0
        G[:, j] = local if parent < 0 else G[:, parent] @ local
    # remove the rest joint position: G_j * [I | -J_j]
    G[:, :, :3, 3] -= np.einsum("njab,njb->nja", G[:, :, :3, :3], J)
    T = np.einsum("vj,njab->nvab", model.weights, G)
    out = np.einsum("nvab,nvb->nva", T[:, :, :3, :3], v_posed) + T[:, :, :3, 3]
    return out[0] if single else out


def blend_rotations(model: FlameModel, pose: np.ndarray) -> np.ndarray:
    """Per-vertex skinning-weighted rotations sum_j w_vj * G_j [shape=(V, 3, 3)] for one
    pose [5, 3]: how an offset added to the rest shape (an expression) ends up posed,
    ``forward(e, pose) = forward(0, pose) + M @ (exprdirs @ e)``."""
    R = axis_angle_to_matrix(np.asarray(pose, np.float64).reshape(5, 3))
    G = np.zeros((5, 3, 3))
    for j, parent in enumerate(model.parents):
        G[j] = R[j] if parent < 0 else G[parent] @ R[j]
    return np.einsum("vj,jab->vab", model.weights, G)
