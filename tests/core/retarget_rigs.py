"""Test helpers: target skeletons from the families' bone data, and a seeded SMPL-X take."""
from __future__ import annotations

import numpy as np

from talkrig.core.retarget import bone_frame, make_skeleton
from talkrig.rigs.skeletons import family as fam_mod

FPS = 30.0


def family_skeleton(family, *, seed=0, tails="along", drop=()):
    """A TargetSkeleton in the family's rest pose with random bone rolls.

    ``tails="sideways"`` points every bone's tail across its segment (as FBX imports without
    automatic bone orientation do); ``drop`` removes bones (their children move up).
    """
    rb = fam_mod.rest_bones(family)
    rng = np.random.default_rng(seed)
    names, parents, heads, tails_, rest = [], [], [], [], []
    for name, (head, tail, parent) in rb.items():
        if name in drop:
            continue
        while parent in drop:
            parent = rb[parent][2]
        if tails == "sideways":
            d = tail - head
            side = np.cross(d, rng.normal(size=3))
            tail = head + side / np.linalg.norm(side) * np.linalg.norm(d)
        names.append(name)
        parents.append(parent)
        heads.append(head)
        tails_.append(tail)
        rest.append(bone_frame(head, tail, rng.uniform(-np.pi, np.pi)))
    return make_skeleton(names, parents, rest, heads, tails_)


def smooth_take(seconds=60.0, *, seed=1, amplitude=0.45):
    """Smooth seeded SMPL-X motion: rotations [shape=(T, 55, 3)], translation [shape=(T, 3)]."""
    n = int(round(seconds * FPS))
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FPS
    freq = rng.uniform(0.1, 0.9, size=(55, 3, 3))
    phase = rng.uniform(0, 2 * np.pi, size=(55, 3, 3))
    amp = rng.uniform(0.2, 1.0, size=(55, 1, 1)) * amplitude
    waves = np.sin(2 * np.pi * freq[None] * t[:, None, None, None] + phase[None])
    rot = (amp[None, :, :, 0] * waves.mean(axis=-1))
    trans = np.stack([0.05 * np.sin(0.7 * t), 0.02 * np.sin(1.3 * t), 0.04 * np.cos(0.5 * t)], 1)
    return rot, trans
