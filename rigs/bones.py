"""Bone names people's rigs use for the head and the eyes, and how to match them.

(Whole-body skeletons, their families and bone maps live in ``rigs.skeletons``.)
"""
from __future__ import annotations

import re

from .arkit import HEAD_EYE_NAMES

# channel group -> (channel names, normalised bone names in order of preference)
BONE_GROUPS = {
    "head": (HEAD_EYE_NAMES[0:3], ("head", "defhead", "ccbasehead", "jbipchead", "bip01head",
                                   "headjnt", "headjoint")),
    "eye_left": (HEAD_EYE_NAMES[3:6], ("eyel", "lefteye", "eyeleft", "leye", "defeyel",
                                       "ccbaseleye", "jadjlfaceeye", "facialleye", "lefteyeball",
                                       "eyeballl", "eyeballleft")),
    "eye_right": (HEAD_EYE_NAMES[6:9], ("eyer", "righteye", "eyeright", "reye", "defeyer",
                                        "ccbasereye", "jadjrfaceeye", "facialreye", "righteyeball",
                                        "eyeballr", "eyeballright")),
}


def normalise_bone_name(name: str) -> str:
    """``mixamorig:LeftEye`` -> ``lefteye``; ``eye.L``/``eye_l``/``Eye-L`` -> ``eyel``."""
    name = name.rsplit(":", 1)[-1].rsplit("|", 1)[-1]
    return re.sub(r"[\s._\-]+", "", name).lower()


def match_bones(bone_names) -> dict:
    """Bones of a rig for the head and the eyes.

    Parameters
    ----------
    bone_names : iterable of str
        e.g. ``head``, ``Head``, ``mixamorig:Head``, ``eye.L``, ``LeftEye``, ``eye_l``.

    Returns
    -------
    dict ``{"head" | "eye_left" | "eye_right": bone name}`` for the groups found (exact
    match of the normalised name; the first preference wins, ties by name).
    """
    names = sorted(bone_names)
    found = {}
    for group, (_, wanted) in BONE_GROUPS.items():
        for w in wanted:
            hits = [n for n in names if normalise_bone_name(n) == w]
            if hits:
                found[group] = hits[0]
                break
    return found


