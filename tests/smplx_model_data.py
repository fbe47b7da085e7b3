"""A synthetic SMPL-X model file of the real layout (no licensed data)."""
from __future__ import annotations

import numpy as np

from talkrig.core.retarget.model import MIN_VERTICES
from talkrig.rigs.skeletons import smplx


def write_model(path, n_vertices=MIN_VERTICES + 10, parents=smplx.PARENTS, seed=0):
    """A synthetic file of the SMPL-X layout (random template, a regressor averaging
    vertices placed at talkrig's rest joints)."""
    rng = np.random.default_rng(seed)
    joints = np.array(smplx.REST_POSITIONS) * 1.05
    v = rng.normal(0, 0.3, size=(n_vertices, 3))
    reg = np.zeros((55, n_vertices))
    picks = (rng.permutation(n_vertices)[:55 * 4].reshape(55, 4) if n_vertices >= 220
             else rng.integers(0, n_vertices, (55, 4)))
    for j in range(55):
        ids = picks[j]
        v[ids] = joints[j] + rng.normal(0, 0.01, (4, 3))
        v[ids] += joints[j] - v[ids].mean(axis=0)
        reg[j, ids] = 0.25
    kin = np.stack([np.asarray(parents, dtype=np.int64) % (2 ** 32), np.arange(55)])
    w = np.zeros((n_vertices, 55))
    w[np.arange(n_vertices), rng.integers(0, 55, n_vertices)] = 1.0
    np.savez(path, v_template=v, J_regressor=reg, kintree_table=kin,
             f=rng.integers(0, n_vertices, (100, 3)), weights=w,
             shapedirs=np.zeros((n_vertices, 3, 10)))
    return joints
