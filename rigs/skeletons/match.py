"""Recognise a rig's skeleton family from its bone names, with a score.

Like the face's shape-key matching (``rigs.aliases``): each family (Mixamo, Rigify deform
bones, Rigify metarig, UE5 Mannequin, Unity Humanoid role names, VRM 1.0 role names,
SMPL-X joint names) is tried; bone names are compared after stripping the family's prefixes
(``mixamorig:``, ``mixamorig1:``), any ``Armature|`` / ``name:`` path, case and separators.
The result lists matched SMPL-X joints (joint -> bone), missing ones (required first) and the
rig's extra bones, so the panel can show and edit them.

Score: matched joints over the family's joints, times the fraction of required joints found
(0 .. 1). :func:`match_skeleton` returns every family's match, best first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import mixamo, rigify, smplx, ue5, unity_humanoid, vrm
from .family import BoneSpec, Family


def _smplx_family() -> Family:
    bones = tuple(BoneSpec(n, smplx.JOINT_NAMES[p] if p >= 0 else None, n, n)
                  for n, p in zip(smplx.JOINT_NAMES, smplx.PARENTS))
    return Family(name="smplx", label="SMPL-X", bones=bones,
                  required=("spine1", "spine2", "spine3", "neck", "head", "left_shoulder",
                            "left_elbow", "left_wrist", "right_shoulder", "right_elbow",
                            "right_wrist"))


SMPLX = _smplx_family()
#: Every known family, by name.
FAMILIES = {f.name: f for f in (mixamo.FAMILY, rigify.FAMILY, rigify.METARIG, ue5.FAMILY,
                                unity_humanoid.FAMILY, vrm.FAMILY, SMPLX)}
#: The spine and arm joints every mapping must carry.
ESSENTIAL = ("spine1", "head", "left_shoulder", "left_elbow", "left_wrist", "right_shoulder",
             "right_elbow", "right_wrist")
_SEP = re.compile(r"[^a-z0-9]+")


def _key(name: str, prefixes=()) -> str:
    s = str(name).strip()
    low = s.lower()
    for p in sorted(prefixes, key=len, reverse=True):
        if low.startswith(p.lower()):
            s = s[len(p):]
            break
    else:
        s = re.split(r"[|:]", s)[-1]
    return _SEP.sub("", s.lower())


@dataclass(frozen=True)
class SkeletonMatch:
    """One family's match against a rig.

    Attributes
    ----------
    family : str
        Family name (``"mixamo"``, ``"ue5"`` ...).
    label : str
    matched : dict
        SMPL-X joint -> the rig's bone name.
    missing : tuple of str
        SMPL-X joints the family has and the rig lacks (required ones first).
    missing_required : tuple of str
    extra : tuple of str
        The rig's bones that carry no joint, in the given order.
    score : float
        0 .. 1, see the module docstring.
    """

    family: str
    label: str
    matched: dict
    missing: tuple
    missing_required: tuple
    extra: tuple
    score: float

    def summary(self) -> str:
        fam = FAMILIES.get(self.family)
        total = len(fam.mapping) if fam is not None else len(self.matched) + len(self.missing)
        text = f"{self.label}: {len(self.matched)}/{total} joints matched"
        if self.missing_required:
            text += f", missing {', '.join(self.missing_required)}"
        return text


def match_family(bone_names, family: Family) -> SkeletonMatch:
    """Match ``bone_names`` against one family."""
    names = [str(n) for n in bone_names]
    table = {}
    for n in names:
        table.setdefault(_key(n, family.prefixes), n)
    for alias, canonical in family.aliases.items():
        table.setdefault(_key(alias), table.get(_key(canonical)))
    matched = {}
    for joint, bone in family.mapping.items():
        found = table.get(_key(bone, family.prefixes))
        if found is not None:
            matched[joint] = found
    return _result(family, names, matched)


def _result(family: Family, names, matched) -> SkeletonMatch:
    joints = [j for j in smplx.JOINT_NAMES if j in family.mapping]
    req = [j for j in family.required if j not in matched]
    missing = tuple(req) + tuple(j for j in joints if j not in matched and j not in req)
    used = set(matched.values())
    extra = tuple(n for n in names if n not in used)
    found_req = 1.0 - len(req) / max(1, len(family.required))
    score = len(matched) / max(1, len(joints)) * found_req
    ordered = {j: matched[j] for j in smplx.JOINT_NAMES if j in matched}
    return SkeletonMatch(family=family.name, label=family.label, matched=ordered,
                         missing=missing, missing_required=tuple(req), extra=extra,
                         score=round(float(score), 4))


def match_mapping(bone_names, mapping: dict, family: str = "custom") -> SkeletonMatch:
    """A match from an explicit mapping (a preset, the VRM add-on's data, the panel's rows).

    Entries naming bones the rig lacks are dropped (they show as missing).
    """
    names = [str(n) for n in bone_names]
    present = set(names)
    fam = FAMILIES.get(family) or Family(name=family, label=family.replace("_", " ").title(),
                                         bones=SMPLX.bones, required=ESSENTIAL)
    matched = {j: b for j, b in mapping.items() if b in present and j in smplx.INDEX}
    return _result(fam, names, matched)


def match_skeleton(bone_names, families=None) -> list:
    """Every family's :class:`SkeletonMatch` for ``bone_names``, best score first."""
    fams = [FAMILIES[f] if isinstance(f, str) else f
            for f in (families or FAMILIES.values())]
    results = [match_family(bone_names, f) for f in fams]
    return sorted(results, key=lambda m: (-m.score, -len(m.matched)))
