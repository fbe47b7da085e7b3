"""SMPL-X joint rotations -> a target skeleton's local bone rotations (numpy only).

Method (direction matching with rest offsets):

1. A basis ``M`` turns SMPL-X's frame (left +X, up +Y, facing +Z) into the armature's,
   read from the target's rest (left = left upper arm - right upper arm, up = neck - pelvis),
   snapped to the nearest axis-aligned frame when within 20 degrees.
2. Each keyed target bone ``k`` carries SMPL-X joint ``j``. Its *segment* runs from its head to
   the head of the nearest mapped bone further along ``j``'s chain (``upper_arm`` ->
   ``forearm``; ``spine_01`` -> ``spine_03`` across an unmapped ``spine_02``); a leaf bone's
   segment is its own head -> tail. The source segment is the same stretch of SMPL-X
   (``left_shoulder`` -> ``left_elbow``; a folded run like ``spine2`` -> ``neck`` spans
   ``spine3``).
3. Rest offset ``C_k = A_k^T @ rest_k``, with ``A_k`` the shortest rotation from the source
   rest segment to the target's, so the target in the source's zero pose stands in the
   source's T-pose whatever its own rest (A-pose, curled fingers, odd bone rolls).
4. Per frame the bone's armature-space frame is ``W_k = S @ G_j @ C_k``: ``G_j`` the source
   joint's world rotation (twist comes from it) and ``S`` the shortest rotation that turns
   ``G_j``'s segment onto the source's actual segment (identity unless joints were folded).
   Local rotation: ``Q_k = (W_parent @ rest_parent^T @ rest_k)^T @ W_k`` down the target tree;
   bones that carry no joint (twist, end, metacarpal, IK bones) keep their rest.

Upper-body mode keys the spine, neck, head, arms and fingers; the pelvis stays still and the
legs are left alone. Full mode also keys the pelvis (rotation and, scaled by leg length,
translation) and the legs. Jaw and eyes are never keyed: the face take owns them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...rigs.skeletons import smplx
from ..errors import RetargetError
from ..motion.rotations import forward_kinematics
from .skeleton import TargetSkeleton

MODES = ("upper", "full")
#: Next joint along each SMPL-X chain (the segment a joint's bone spans).
CHAIN = {"pelvis": "spine1", "spine1": "spine2", "spine2": "spine3", "spine3": "neck",
         "neck": "head"}
for _s in ("left", "right"):
    CHAIN.update({f"{_s}_hip": f"{_s}_knee", f"{_s}_knee": f"{_s}_ankle",
                  f"{_s}_ankle": f"{_s}_foot", f"{_s}_collar": f"{_s}_shoulder",
                  f"{_s}_shoulder": f"{_s}_elbow", f"{_s}_elbow": f"{_s}_wrist",
                  f"{_s}_wrist": f"{_s}_middle1"})
    for _f in ("index", "middle", "ring", "pinky", "thumb"):
        CHAIN.update({f"{_s}_{_f}1": f"{_s}_{_f}2", f"{_s}_{_f}2": f"{_s}_{_f}3"})
FACE = {"jaw", "left_eye_smplhf", "right_eye_smplhf"}
UPPER = {smplx.JOINT_NAMES[i] for i in smplx.UPPER_BODY_AND_HANDS}
SNAP_DEG = 20.0


@dataclass(frozen=True)
class RetargetPlan:
    """Everything per target that does not change over a take (see the module docstring)."""

    target: TargetSkeleton
    mode: str
    basis: np.ndarray            # (3, 3) SMPL-X frame -> armature space
    bones: np.ndarray            # (K,) keyed target bone indices, parents first
    joints: np.ndarray           # (K,) SMPL-X joint per keyed bone
    ends: np.ndarray             # (K,) SMPL-X joint ending the segment, -1 for a leaf
    offsets: np.ndarray          # (K, 3, 3) rest offsets C_k
    source_dirs: np.ndarray      # (K, 3) source rest segment directions (armature space)
    target_ends: np.ndarray      # (K,) target bone ending the segment, -1 for a leaf
    root: int                    # keyed bone of the pelvis (full mode), else -1
    scale: float                 # target / source leg length (root translation)
    source_joints: np.ndarray    # (55, 3) source rest joints (SMPL-X frame)

    @property
    def bone_names(self) -> tuple:
        return tuple(self.target.names[k] for k in self.bones)


@dataclass(frozen=True)
class TargetTake:
    """Retargeted animation: local rotations of the keyed bones and the root's location.

    quaternions : float32 [shape=(T, K, 4)] (w, x, y, z), each bone's pose rotation relative
    to its rest frame, sign-continuous over time; location : float32 [shape=(T, 3)] or None,
    the root bone's pose location in its rest frame (metres); fps : float.
    """

    bone_names: tuple
    quaternions: np.ndarray
    location: np.ndarray | None
    root_bone: str | None
    fps: float


def _unit(v):
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12)


def shortest_arc(a, b) -> np.ndarray:
    """Rotation matrices [..., 3, 3] turning unit vectors ``a`` onto ``b`` [..., 3]."""
    a, b = np.broadcast_arrays(_unit(np.asarray(a, dtype=np.float64)),
                               _unit(np.asarray(b, dtype=np.float64)))
    c = np.sum(a * b, axis=-1)
    v = np.cross(a, b)
    anti = c < -1 + 1e-9
    if np.any(anti):                             # half turn about any axis normal to a
        other = np.where(np.abs(a[..., :1]) < 0.9, [1.0, 0, 0], [0, 1.0, 0])
        axis = _unit(np.cross(a, other))
        v = np.where(anti[..., None], axis * 1.0, v)
    w = np.where(anti, 0.0, 1.0 + c)
    q = _unit(np.concatenate([w[..., None], v], axis=-1))
    from ..motion.rotations import quaternion_to_matrix
    return quaternion_to_matrix(q)


def _basis(target, mapping, idx) -> np.ndarray:
    def head(*joints):
        for j in joints:
            if j in mapping and mapping[j] in idx:
                return target.heads[idx[mapping[j]]]
        return None

    lft = head("left_shoulder", "left_collar", "left_hip")
    rgt = head("right_shoulder", "right_collar", "right_hip")
    top, low = head("neck", "head", "spine3"), head("pelvis", "spine1")
    if lft is None or rgt is None or top is None or low is None:
        raise RetargetError("cannot tell the target's left and up: map both upper arms, the neck "
                            "or head, and the pelvis or spine")
    x = _unit(lft - rgt)
    y = top - low
    y = _unit(y - np.dot(y, x) * x)
    m = np.stack([x, y, np.cross(x, y)], axis=1)
    snapped = np.zeros((3, 3))
    for col in range(3):
        axis = int(np.argmax(np.abs(m[:, col])))
        snapped[axis, col] = np.sign(m[axis, col])
    if abs(np.linalg.det(snapped) - 1) < 1e-6:
        cos = (np.trace(snapped.T @ m) - 1) / 2
        if np.degrees(np.arccos(np.clip(cos, -1, 1))) < SNAP_DEG:
            return snapped
    return m


def _leaf_dir(j: str, pos) -> np.ndarray:
    """A rest direction (SMPL-X frame) for a joint with no segment end."""
    i = smplx.INDEX[j]
    if j.endswith("_foot") or j in FACE:
        return np.array([0.0, 0.0, 1.0])
    if j in CHAIN:
        return _unit(pos[smplx.INDEX[CHAIN[j]]] - pos[i])
    return _unit(pos[i] - pos[smplx.PARENTS[i]])       # head, finger tips: continue the parent


def plan_retarget(target: TargetSkeleton, mapping: dict, *, mode: str = "upper",
                  source_joints=None) -> RetargetPlan:
    """Prepare retargeting onto ``target``.

    Parameters
    ----------
    target : TargetSkeleton
    mapping : dict
        SMPL-X joint name -> target bone name.
    mode : {"upper", "full"}
    source_joints : np.ndarray [shape=(55, 3)], optional
        The source's rest joints (SMPL-X frame, metres); talkrig's T-pose by default, or the
        joints of the user's SMPL-X model (``core.retarget.model.model_joints``).

    Raises
    ------
    RetargetError
        Unknown joints or bones in the mapping, or the spine or arms unmapped.
    """
    from .mapping import check_mapping

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    idx = target.index
    check_mapping(mapping, target.names)
    pos = (np.asarray(smplx.REST_POSITIONS if source_joints is None else source_joints,
                      dtype=np.float64))
    if pos.shape != (smplx.N_JOINTS, 3):
        raise RetargetError(f"source joints must have shape (55, 3), got {pos.shape}")
    basis = _basis(target, mapping, idx)
    bone_of = {j: idx[b] for j, b in mapping.items() if b in idx}
    keyed = [(bone_of[j], j) for j in mapping
             if j in bone_of and j not in FACE and (mode == "full" or j in UPPER)]
    keyed.sort()
    keyed_set = {k for k, _j in keyed}
    rows = []
    for k, j in keyed:
        end_j, end_k = -1, -1
        nxt = CHAIN.get(j)
        while nxt is not None:
            c = bone_of.get(nxt)
            if c is not None and target.is_descendant(c, k) and c != k:
                if not any(p in keyed_set for p in target.path(k, c)):
                    seg_t = target.heads[c] - target.heads[k]
                    if np.linalg.norm(seg_t) > 1e-4:
                        end_j, end_k = smplx.INDEX[nxt], c
                break
            nxt = CHAIN.get(nxt)
        if end_k >= 0:
            seg_t = target.heads[end_k] - target.heads[k]
            seg_s = pos[end_j] - pos[smplx.INDEX[j]]
        else:
            seg_t = target.tails[k] - target.heads[k]
            seg_s = _leaf_dir(j, pos)
        src = _unit(basis @ seg_s)
        a = shortest_arc(src, seg_t)
        rows.append((k, smplx.INDEX[j], end_j, a.T @ target.rest[k], src, end_k))
    root = -1
    scale = 1.0
    if mode == "full" and "pelvis" in bone_of:
        root = bone_of["pelvis"]
        up = basis[:, 1]
        ankles = [bone_of[a] for a in ("left_ankle", "right_ankle") if a in bone_of]
        if ankles:
            t_len = np.dot(target.heads[root] - target.heads[ankles].mean(axis=0), up)
            s_len = pos[0, 1] - pos[[7, 8], 1].mean()
            scale = float(t_len / s_len) if t_len > 1e-3 else 1.0
    return RetargetPlan(
        target=target, mode=mode, basis=basis,
        bones=np.array([r[0] for r in rows], dtype=np.int64),
        joints=np.array([r[1] for r in rows], dtype=np.int64),
        ends=np.array([r[2] for r in rows], dtype=np.int64),
        offsets=np.array([r[3] for r in rows]).reshape(-1, 3, 3),
        source_dirs=np.array([r[4] for r in rows]).reshape(-1, 3),
        target_ends=np.array([r[5] for r in rows], dtype=np.int64),
        root=root, scale=scale, source_joints=pos)


def source_pose(plan: RetargetPlan, rotations, translation=None):
    """The source take as the plan uses it: world rotations and joints in armature space.

    Upper-body mode zeroes the pelvis, legs and translation first.

    Returns
    -------
    world : np.ndarray [shape=(T, 55, 3, 3)]
    joints : np.ndarray [shape=(T, 55, 3)]
    """
    rot, trans = _source_motion(plan, rotations, translation)
    offsets = smplx.rest_offsets(plan.source_joints)
    pos, world = forward_kinematics(rot, smplx.PARENTS, offsets, trans)
    m = plan.basis
    if not np.array_equal(m, np.eye(3)):
        world = _mul_ct(m, _mul_tc(world, m.T))
        pos = (pos.reshape(-1, 3) @ m.T).reshape(pos.shape)
    return world, pos


def _source_motion(plan: RetargetPlan, rotations, translation) -> tuple:
    """Checked copies of the source's rotations [T, 55, 3] and root translation [T, 3];
    upper-body mode keeps the pelvis and legs at rest and the root in place."""
    rot = np.array(rotations, dtype=np.float64)
    if rot.ndim != 3 or rot.shape[1:] != (smplx.N_JOINTS, 3):
        raise RetargetError(f"body rotations must have shape (T, 55, 3), got {rot.shape}")
    trans = (np.zeros((len(rot), 3)) if translation is None
             else np.array(translation, dtype=np.float64))
    if plan.mode == "upper":
        rot[:, [0, *smplx.LEG_JOINTS]] = 0.0
        trans[:] = 0.0
    return rot, trans


def _mul_tc(a, c) -> np.ndarray:
    """``a @ c`` for a stack ``a`` [..., 3, 3] and one matrix ``c`` [3, 3] (BLAS, fast)."""
    a = np.asarray(a)
    return (a.reshape(-1, 3) @ c).reshape(a.shape)


def _mul_ct(c, a) -> np.ndarray:
    """``c @ a`` for one matrix ``c`` [3, 3] and a stack ``a`` [..., 3, 3]."""
    a = np.asarray(a)
    return np.swapaxes(_mul_tc(np.swapaxes(a, -1, -2), c.T), -1, -2)


def _source_cm(plan: RetargetPlan, rotations, translation):
    """Source FK in component-major layout, armature space: rotations [shape=(55, 3, 3, T)],
    positions [shape=(55, 3, T)] (contiguous; no per-joint copies)."""
    rot, trans = _source_motion(plan, rotations, translation)
    # float32 FK: about twice as fast, directions good to ~1e-5 degrees
    pos, world = forward_kinematics(rot, smplx.PARENTS, smplx.rest_offsets(plan.source_joints),
                                    trans, dtype=np.float32)
    world = world.transpose(1, 2, 3, 0)            # FK's own (J, 3, 3, T) buffer: a free view
    pos = pos.transpose(1, 2, 0)                   # (J, 3, T)
    m = plan.basis
    pos = np.tensordot(m, pos, axes=([1], [1])).transpose(1, 0, 2)
    return world, pos


def _mm(a, b) -> np.ndarray:
    """Product of component-major rotation stacks ``a @ b`` [shape=(3, 3, T)]; either may be a
    constant [shape=(3, 3, 1)]."""
    return np.stack([np.stack([a[i, 0] * b[0, k] + a[i, 1] * b[1, k] + a[i, 2] * b[2, k]
                               for k in range(3)]) for i in range(3)])


def _mv(a, v) -> np.ndarray:
    """``a @ v`` for a stack [shape=(3, 3, T)] and a vector [shape=(3,)] -> [shape=(3, T)]."""
    return np.stack([a[i, 0] * v[0] + a[i, 1] * v[1] + a[i, 2] * v[2] for i in range(3)])


def _arc_cm(a, b) -> np.ndarray:
    """Shortest rotations [shape=(3, 3, T)] turning vectors ``a`` onto ``b`` [shape=(3, T)]."""
    a = a / np.maximum(np.sqrt((a * a).sum(0)), 1e-12)
    b = b / np.maximum(np.sqrt((b * b).sum(0)), 1e-12)
    w = 1.0 + (a * b).sum(0)
    x = a[1] * b[2] - a[2] * b[1]
    y = a[2] * b[0] - a[0] * b[2]
    z = a[0] * b[1] - a[1] * b[0]
    anti = w < 1e-9
    if anti.any():                                  # half turn about an axis normal to a
        ax = np.cross(a[:, anti].T, np.where(np.abs(a[0, anti, None]) < 0.9, [1.0, 0, 0], [0, 1.0, 0]))
        ax /= np.linalg.norm(ax, axis=-1, keepdims=True)
        w[anti], x[anti], y[anti], z[anti] = 0.0, ax[:, 0], ax[:, 1], ax[:, 2]
    n = np.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w / n, x / n, y / n, z / n
    return np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)]),
                     np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)]),
                     np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)])])


def _quat_cm(m) -> np.ndarray:
    """Rotation stacks [shape=(3, 3, T)] -> unit quaternions (w, x, y, z) [shape=(T, 4)]."""
    tr = m[0, 0] + m[1, 1] + m[2, 2]
    w = 0.5 * np.sqrt(np.maximum(0.0, 1.0 + tr))
    x = 0.5 * np.sqrt(np.maximum(0.0, 1.0 + m[0, 0] - m[1, 1] - m[2, 2]))
    y = 0.5 * np.sqrt(np.maximum(0.0, 1.0 - m[0, 0] + m[1, 1] - m[2, 2]))
    z = 0.5 * np.sqrt(np.maximum(0.0, 1.0 - m[0, 0] - m[1, 1] + m[2, 2]))
    x = np.copysign(x, m[2, 1] - m[1, 2])
    y = np.copysign(y, m[0, 2] - m[2, 0])
    z = np.copysign(z, m[1, 0] - m[0, 1])
    q = np.stack([w, x, y, z], axis=-1)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def retarget(plan: RetargetPlan, rotations, translation=None, *, fps: float = 30.0) -> TargetTake:
    """Retarget a take: SMPL-X axis-angle rotations [shape=(T, 55, 3)] -> :class:`TargetTake`.

    ``translation`` [shape=(T, 3)] (metres, Y-up) moves the root in full mode. The per-frame
    algebra runs on component-major arrays ([3, 3, T]: nine long vectors per rotation).
    """
    world, joints = _source_cm(plan, rotations, translation)
    n_t = world.shape[-1]
    tgt = plan.target
    m = plan.basis[:, :, None]
    mt = plan.basis.T[:, :, None]
    keyed = {int(k): i for i, k in enumerate(plan.bones)}
    needed = np.zeros(len(tgt.names), dtype=bool)      # bones whose frame a keyed bone needs
    for k in plan.bones:
        p = tgt.parents[k]
        while p >= 0 and not needed[p]:
            needed[p] = True
            p = tgt.parents[p]
    frames = {}
    quats = np.empty((n_t, len(plan.bones), 4))
    for k in range(len(tgt.names)):
        if not needed[k] and k not in keyed:
            continue
        p = tgt.parents[k]
        rel = tgt.rest[k] if p < 0 else tgt.rest[p].T @ tgt.rest[k]
        base = rel[:, :, None] if p < 0 else _mm(frames[p], rel[:, :, None])
        if k not in keyed:
            frames[k] = base
            continue
        i = keyed[k]
        j, e = plan.joints[i], plan.ends[i]
        g = _mm(_mm(m, world[j]), mt)                # source world rotation, armature space
        w = _mm(g, plan.offsets[i][:, :, None])
        if e >= 0:
            w = _mm(_arc_cm(_mv(g, plan.source_dirs[i]), joints[e] - joints[j]), w)
        frames[k] = w
        quats[:, i] = _quat_cm(_mm(base.transpose(1, 0, 2), w))
    quats = continuous(quats)
    location = None
    root_name = None
    if plan.root >= 0 and translation is not None:
        k = plan.root
        p = tgt.parents[k]
        rel = tgt.rest[k] if p < 0 else tgt.rest[p].T @ tgt.rest[k]
        base = np.broadcast_to(rel[:, :, None], (3, 3, n_t)) if p < 0 else _mm(frames[p], rel[:, :, None])
        delta = (joints[0] - (plan.basis @ plan.source_joints[0])[:, None]) * plan.scale
        location = np.stack([(base[0, c] * delta[0] + base[1, c] * delta[1] + base[2, c] * delta[2])
                             for c in range(3)], axis=-1).astype(np.float32)
        root_name = tgt.names[k]
    return TargetTake(bone_names=plan.bone_names, quaternions=quats.astype(np.float32),
                      location=location, root_bone=root_name, fps=float(fps))


def continuous(quats) -> np.ndarray:
    """Flip quaternion signs [shape=(T, K, 4)] so consecutive frames lie in one hemisphere."""
    q = np.array(quats, dtype=np.float64)
    if len(q) < 2:
        return q
    dots = np.sum(q[1:] * q[:-1], axis=-1)
    flips = np.cumprod(np.where(dots < 0, -1.0, 1.0), axis=0)
    q[1:] *= flips[..., None]
    return q
