"""A target skeleton as plain arrays: bone names, parents, rest frames, heads and tails.

Blender's convention: each bone has a rest frame in armature space (``bone.matrix_local``:
columns x, y, z with y along the bone, origin at the head). A posed bone's armature-space
frame is ``pose(parent) @ rest(parent)^-1 @ rest(bone) @ basis(bone)``; :func:`pose_fk`
computes it for whole takes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RetargetError


@dataclass(frozen=True)
class TargetSkeleton:
    """Rest data of a target armature (armature space, metres).

    Attributes
    ----------
    names : tuple of str
        Bone names, every parent before its children.
    parents : np.ndarray [shape=(N,), int]
        Parent index, -1 for roots.
    rest : np.ndarray [shape=(N, 3, 3)]
        Rest orientation of each bone (columns: bone x, y = along the bone, z).
    heads, tails : np.ndarray [shape=(N, 3)]
        Rest head and tail positions.
    """

    names: tuple
    parents: np.ndarray
    rest: np.ndarray
    heads: np.ndarray
    tails: np.ndarray

    @property
    def index(self) -> dict:
        return {n: i for i, n in enumerate(self.names)}

    def is_descendant(self, child: int, ancestor: int) -> bool:
        while child >= 0:
            if child == ancestor:
                return True
            child = int(self.parents[child])
        return False

    def path(self, ancestor: int, child: int) -> list:
        """Bones strictly between ``ancestor`` and ``child`` (child is a descendant)."""
        out = []
        j = int(self.parents[child])
        while j >= 0 and j != ancestor:
            out.append(j)
            j = int(self.parents[j])
        return out


def make_skeleton(names, parents, rest, heads, tails) -> TargetSkeleton:
    """Build a :class:`TargetSkeleton`, sorting bones so that parents come first.

    ``parents`` holds parent names (None for roots) or indices into ``names``.
    """
    names = [str(n) for n in names]
    if len(set(names)) != len(names):
        raise RetargetError("the armature has duplicate bone names; rename them")
    idx = {n: i for i, n in enumerate(names)}
    par = [(-1 if p is None else idx[p]) if not isinstance(p, (int, np.integer)) else int(p)
           for p in parents]
    order, seen = [], set()

    def visit(i, depth=0):
        if i in seen:
            return
        if depth > len(names):
            raise RetargetError("the armature's bone parents form a loop")
        if par[i] >= 0:
            visit(par[i], depth + 1)
        seen.add(i)
        order.append(i)

    for i in range(len(names)):
        visit(i)
    new = {old: k for k, old in enumerate(order)}
    return TargetSkeleton(
        names=tuple(names[i] for i in order),
        parents=np.array([new[par[i]] if par[i] >= 0 else -1 for i in order], dtype=np.int64),
        rest=np.asarray(rest, dtype=np.float64)[order],
        heads=np.asarray(heads, dtype=np.float64)[order],
        tails=np.asarray(tails, dtype=np.float64)[order])


def bone_frame(head, tail, roll: float = 0.0) -> np.ndarray:
    """A rest frame [shape=(3, 3)] with y along ``tail - head``, turned by ``roll`` about y.

    Roll 0 is the shortest-arc rotation of +Y onto the bone (close to, not the same as,
    Blender's ``vec_roll_to_mat3``); used to build test skeletons without Blender. The
    retargeter itself takes any rest frames (``bone.matrix_local`` in Blender).
    """
    y = np.asarray(tail, dtype=np.float64) - np.asarray(head, dtype=np.float64)
    n = np.linalg.norm(y)
    if n < 1e-9:
        raise RetargetError("a bone has zero length")
    y = y / n
    a = np.array([0.0, 1.0, 0.0])
    base = _shortest_arc(a, y)
    c, s = np.cos(roll), np.sin(roll)
    roll_m = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return base @ roll_m


def _shortest_arc(a, b) -> np.ndarray:
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if c < -1 + 1e-9:
        return np.diag([-1.0, -1.0, 1.0])        # half turn about z
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1 + c)


def pose_fk(skel: TargetSkeleton, local_rot, location=None, root: int | None = None):
    """Armature-space frames and heads of every bone for a take.

    Parameters
    ----------
    skel : TargetSkeleton
    local_rot : np.ndarray [shape=(T, N, 3, 3)]
        Each bone's pose rotation relative to its rest frame (identity = rest).
    location : np.ndarray [shape=(T, 3)], optional
        Pose location of bone ``root`` in its rest frame.

    Returns
    -------
    frames : np.ndarray [shape=(T, N, 3, 3)]
    heads : np.ndarray [shape=(T, N, 3)]
    """
    local_rot = np.asarray(local_rot, dtype=np.float64)
    n_t, n = local_rot.shape[:2]
    frames = np.empty((n_t, n, 3, 3))
    heads = np.empty((n_t, n, 3))
    for k in range(n):
        p = skel.parents[k]
        if p < 0:
            base = np.broadcast_to(skel.rest[k], (n_t, 3, 3))
            head = np.broadcast_to(skel.heads[k], (n_t, 3)).copy()
        else:
            rel = skel.rest[p].T @ skel.rest[k]
            base = frames[:, p] @ rel
            head = heads[:, p] + np.einsum("tij,j->ti", frames[:, p],
                                           skel.rest[p].T @ (skel.heads[k] - skel.heads[p]))
        if location is not None and k == root:
            head = head + np.einsum("tij,tj->ti", base, location)
        frames[:, k] = base @ local_rot[:, k]
        heads[:, k] = head
    return frames, heads
