"""Vectorised rotation conversions and forward kinematics (numpy only).

Conventions: rotations act on column vectors (``v' = R @ v``); axis-angle vectors are
``axis * angle`` in radians; quaternions are ``(w, x, y, z)`` with ``w >= 0`` on output.
Every function takes any leading batch shape (``[..., 3]``, ``[..., 3, 3]``, ``[..., 4]``).

Euler angles: ``angles[..., k]`` is the angle about axis ``order[k]`` and the matrix is
``R = R_order[0] @ R_order[1] @ R_order[2]`` (rotations about the rotating frame's axes in
the listed order, which is how BVH channel orders read). Blender's ``Euler(order='XYZ')``
is ``Rz @ Ry @ Rx``, i.e. ``order='ZYX'`` here with the angles reversed.
"""
from __future__ import annotations

import numpy as np

_AXES = {"X": 0, "Y": 1, "Z": 2}


def _skew(v: np.ndarray) -> np.ndarray:
    k = np.zeros(v.shape[:-1] + (3, 3), dtype=v.dtype)
    k[..., 0, 1], k[..., 0, 2] = -v[..., 2], v[..., 1]
    k[..., 1, 0], k[..., 1, 2] = v[..., 2], -v[..., 0]
    k[..., 2, 0], k[..., 2, 1] = -v[..., 1], v[..., 0]
    return k


def _rodrigues(x, y, z) -> list:
    """Rotation matrix entries (3 x 3 nested list of arrays shaped like ``x``) of the
    axis-angle vectors with components ``x``, ``y``, ``z`` (float64 arrays)."""
    th2 = x * x + y * y + z * z
    small = th2 < 1e-8
    safe = np.where(small, 1.0, th2)
    th = np.sqrt(safe)
    a = np.where(small, 1.0 - th2 / 6.0, np.sin(th) / th)           # sin(t) / t
    b = np.where(small, 0.5 - th2 / 24.0, (1.0 - np.cos(th)) / safe)  # (1 - cos t) / t^2
    bx, by = b * x, b * y
    ax, ay, az = a * x, a * y, a * z
    bxy, bxz, byz = bx * y, bx * z, by * z
    return [[1.0 - b * (y * y + z * z), bxy - az, bxz + ay],
            [bxy + az, 1.0 - b * (x * x + z * z), byz - ax],
            [bxz - ay, byz + ax, 1.0 - b * (x * x + y * y)]]


def axis_angle_to_matrix(aa) -> np.ndarray:
    """Rodrigues' formula: axis-angle [..., 3] (radians) -> rotation matrices [..., 3, 3]."""
    aa = np.asarray(aa, dtype=np.float64)
    m = _rodrigues(aa[..., 0], aa[..., 1], aa[..., 2])
    r = np.empty(aa.shape[:-1] + (3, 3))
    for i in range(3):
        for j in range(3):
            r[..., i, j] = m[i][j]
    return r


def quaternion_to_matrix(q) -> np.ndarray:
    """Unit quaternions (w, x, y, z) [..., 4] -> rotation matrices [..., 3, 3] (normalised first)."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), 1e-12)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    r = np.empty(q.shape[:-1] + (3, 3))
    r[..., 0, 0] = 1 - 2 * (y * y + z * z)
    r[..., 0, 1] = 2 * (x * y - w * z)
    r[..., 0, 2] = 2 * (x * z + w * y)
    r[..., 1, 0] = 2 * (x * y + w * z)
    r[..., 1, 1] = 1 - 2 * (x * x + z * z)
    r[..., 1, 2] = 2 * (y * z - w * x)
    r[..., 2, 0] = 2 * (x * z - w * y)
    r[..., 2, 1] = 2 * (y * z + w * x)
    r[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return r


def matrix_to_quaternion(r) -> np.ndarray:
    """Rotation matrices [..., 3, 3] -> unit quaternions (w, x, y, z) [..., 4] with w >= 0.

    Shepperd's method: of the four algebraically equal formulas, each element uses the one
    with the largest denominator, so it is stable near 180 degrees.
    """
    r = np.asarray(r, dtype=np.float64)
    m00, m11, m22 = r[..., 0, 0], r[..., 1, 1], r[..., 2, 2]
    cand = np.stack([1 + m00 + m11 + m22, 1 + m00 - m11 - m22,
                     1 - m00 + m11 - m22, 1 - m00 - m11 + m22], axis=-1)
    best = np.argmax(cand, axis=-1)
    s = np.sqrt(np.maximum(np.take_along_axis(cand, best[..., None], -1)[..., 0], 1e-12)) * 2
    d21, d02, d10 = r[..., 2, 1] - r[..., 1, 2], r[..., 0, 2] - r[..., 2, 0], r[..., 1, 0] - r[..., 0, 1]
    s21, s02, s10 = r[..., 2, 1] + r[..., 1, 2], r[..., 0, 2] + r[..., 2, 0], r[..., 1, 0] + r[..., 0, 1]
    q = np.empty(r.shape[:-2] + (4,))
    opts = [
        (s / 4, d21 / s, d02 / s, d10 / s),
        (d21 / s, s / 4, s10 / s, s02 / s),
        (d02 / s, s10 / s, s / 4, s21 / s),
        (d10 / s, s02 / s, s21 / s, s / 4),
    ]
    for k in range(4):
        sel = best == k
        for c in range(4):
            q[..., c] = np.where(sel, opts[k][c], q[..., c]) if k else opts[0][c]
    q *= np.where(q[..., :1] < 0, -1.0, 1.0)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def axis_angle_to_quaternion(aa) -> np.ndarray:
    """Axis-angle [..., 3] -> quaternions (w, x, y, z) [..., 4]."""
    aa = np.asarray(aa, dtype=np.float64)
    th = np.linalg.norm(aa, axis=-1)
    half = th / 2
    small = th < 1e-6
    k = np.where(small, 0.5 - th * th / 48.0, np.sin(half) / np.where(small, 1.0, th))
    return np.concatenate([np.cos(half)[..., None], aa * k[..., None]], axis=-1)


def quaternion_to_axis_angle(q) -> np.ndarray:
    """Quaternions (w, x, y, z) [..., 4] -> axis-angle [..., 3] with angle in [0, pi]."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), 1e-12)
    q = q * np.where(q[..., :1] < 0, -1.0, 1.0)
    v = q[..., 1:]
    sn = np.linalg.norm(v, axis=-1)
    th = 2 * np.arctan2(sn, q[..., 0])
    small = sn < 1e-8
    k = np.where(small, 2.0 / np.maximum(q[..., 0], 1e-12), th / np.where(small, 1.0, sn))
    return v * k[..., None]


def matrix_to_axis_angle(r) -> np.ndarray:
    """Rotation matrices [..., 3, 3] -> axis-angle [..., 3] (angle in [0, pi])."""
    return quaternion_to_axis_angle(matrix_to_quaternion(r))


def quaternion_multiply(a, b) -> np.ndarray:
    """Hamilton product ``a * b`` of (w, x, y, z) quaternions [..., 4] (rotate by b, then a)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack([aw * bw - ax * bx - ay * by - az * bz,
                     aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw], axis=-1)


def _check_order(order: str) -> tuple:
    order = order.upper()
    if len(order) != 3 or set(order) != set("XYZ"):
        raise ValueError(f"Euler order must be a permutation of 'XYZ', got {order!r}")
    return tuple(_AXES[c] for c in order)


def axis_rotation(axis: int, angle) -> np.ndarray:
    """Rotation matrices [..., 3, 3] about coordinate axis ``axis`` (0=X, 1=Y, 2=Z)."""
    angle = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(angle), np.sin(angle)
    r = np.zeros(angle.shape + (3, 3))
    i, j = (axis + 1) % 3, (axis + 2) % 3
    r[..., axis, axis] = 1.0
    r[..., i, i], r[..., i, j], r[..., j, i], r[..., j, j] = c, -s, s, c
    return r


def euler_to_matrix(angles, order: str = "XYZ") -> np.ndarray:
    """Euler angles [..., 3] (radians, about ``order[0..2]``) -> matrices [..., 3, 3]."""
    ax = _check_order(order)
    angles = np.asarray(angles, dtype=np.float64)
    return (axis_rotation(ax[0], angles[..., 0]) @ axis_rotation(ax[1], angles[..., 1])
            @ axis_rotation(ax[2], angles[..., 2]))


def matrix_to_euler(r, order: str = "XYZ") -> np.ndarray:
    """Rotation matrices [..., 3, 3] -> Euler angles [..., 3] inverting :func:`euler_to_matrix`
    (middle angle in [-pi/2, pi/2])."""
    i, j, k = _check_order(order)
    r = np.asarray(r, dtype=np.float64)
    s = 1.0 if (j - i) % 3 == 1 else -1.0          # cyclic order (XYZ, YZX, ZXY) or not
    beta = np.arcsin(np.clip(s * r[..., i, k], -1.0, 1.0))
    alpha = np.arctan2(-s * r[..., j, k], r[..., k, k])
    gamma = np.arctan2(-s * r[..., i, j], r[..., i, i])
    lock = np.abs(s * r[..., i, k]) > 1 - 1e-9     # gimbal lock: put all of it in alpha
    if np.any(lock):
        alpha = np.where(lock, np.arctan2(s * r[..., k, j], r[..., j, j]), alpha)
        gamma = np.where(lock, 0.0, gamma)
    return np.stack([alpha, beta, gamma], axis=-1)


def _levels(parents: np.ndarray) -> list:
    """Joint indices grouped by depth in the tree (parents before children)."""
    parents = np.asarray(parents, dtype=np.int64)
    depth = np.zeros(parents.size, dtype=np.int64)
    for j, p in enumerate(parents):
        if p >= j and p >= 0:
            raise ValueError(f"parents must list each parent before its child (joint {j} has "
                             f"parent {p})")
        depth[j] = 0 if p < 0 else depth[p] + 1
    return [np.flatnonzero(depth == d) for d in range(int(depth.max()) + 1)]


def forward_kinematics(rotations, parents, rest_offsets, root_translation=None, *,
                       dtype=np.float64):
    """World joint positions and rotations from local joint rotations.

    Parameters
    ----------
    rotations : array [shape=(T, J, 3) axis-angle, or (T, J, 3, 3) matrices]
        Local rotation of each joint relative to its rest frame (all rest frames aligned
        with the world, as in SMPL-X).
    parents : array of int [shape=(J,)]
        Parent index per joint, -1 for roots; every parent comes before its children.
    rest_offsets : array [shape=(J, 3)]
        Rest offset of each joint from its parent (a root's is its rest position), metres.
    root_translation : array [shape=(T, 3)], optional
        Added to the roots' positions.
    dtype : numpy float type
        Working precision; ``np.float32`` is about twice as fast (positions to ~1e-6 m).

    Returns
    -------
    positions : np.ndarray [shape=(T, J, 3)] of ``dtype``, world positions in metres.
    world_rotations : np.ndarray [shape=(T, J, 3, 3)] of ``dtype``.
    """
    rot = np.asarray(rotations)
    n_t, n_j = rot.shape[:2]
    offsets = np.asarray(rest_offsets, dtype=dtype)
    parents = np.asarray(parents, dtype=np.int64)
    if offsets.shape != (n_j, 3) or parents.shape != (n_j,) or rot.shape[2:] not in ((3,), (3, 3)):
        raise ValueError(f"rotations must be (T, {n_j}, 3) or (T, {n_j}, 3, 3), rest_offsets "
                         f"({n_j}, 3) and parents ({n_j},), got {rot.shape}, {offsets.shape} "
                         f"and {parents.shape}")
    # Joint-major, time-last layout: every 3x3 product is a few long vector operations.
    loc = np.empty((n_j, 3, 3, n_t), dtype=dtype)
    if rot.ndim == 3:
        comp = np.ascontiguousarray(rot.transpose(2, 1, 0), dtype=dtype)  # (3, J, T)
        m = _rodrigues(comp[0], comp[1], comp[2])
        for i in range(3):
            for j in range(3):
                loc[:, i, j] = m[i][j]
    else:
        loc[:] = np.asarray(rot).transpose(1, 2, 3, 0)
    world = np.empty_like(loc)
    pos = np.empty((n_j, 3, n_t), dtype=dtype)
    for level in _levels(parents):
        par = parents[level]
        if (par < 0).all():
            world[level] = loc[level]
            pos[level] = offsets[level][:, :, None]
            if root_translation is not None:
                pos[level] += np.asarray(root_translation, dtype=dtype).T[None]
            continue
        pr, lo, off = world[par], loc[level], offsets[level]
        wl = np.empty_like(lo)
        pl = pos[par]
        for i in range(3):
            for j in range(3):
                wl[:, i, j] = pr[:, i, 0] * lo[:, 0, j] + pr[:, i, 1] * lo[:, 1, j] \
                    + pr[:, i, 2] * lo[:, 2, j]
            pl[:, i] += pr[:, i, 0] * off[:, 0:1] + pr[:, i, 1] * off[:, 1:2] \
                + pr[:, i, 2] * off[:, 2:3]
        world[level] = wl
        pos[level] = pl
    return pos.transpose(2, 0, 1), world.transpose(3, 0, 1, 2)
