"""What a rig family is as data: bones, parents, the SMPL-X joint each bone carries, a rest pose.

A :class:`Family` lists a skeleton's bones in parent-before-child order. Each
:class:`BoneSpec` names its parent, the SMPL-X joint whose rotation it carries (``joint``;
None for bones left to the rig: twist bones, end bones, metacarpals, IK helpers) and where it
sits, as a *placement* on talkrig's SMPL-X rest joints (``rigs.skeletons.smplx``):

- ``"left_elbow"``: at that joint;
- ``("lerp", a, b, t)``: on the way from joint ``a`` to joint ``b`` (t = 0 .. 1);
- ``("off", a, (dx, dy, dz))``: joint ``a`` plus an offset in metres (Y-up, SMPL-X axes).

:func:`rest_bones` turns a family into head/tail positions in Blender's frame (Z-up, metres,
the character facing -Y, its left on +X) in the family's real rest pose: arms lowered by
``arm_down_deg`` (UE5's A-pose), elbows bent by ``elbow_bend_deg``, fingers curled by
``finger_curl_deg``. Tests and the demo build armatures from it; the retargeter never needs
it (it reads the rest pose from the armature itself).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import smplx

SIDES = ("left", "right")


@dataclass(frozen=True)
class BoneSpec:
    name: str
    parent: str | None
    joint: str | None
    head: object
    tail: object = None          # None: towards the first child's head (or continue the parent)


@dataclass(frozen=True)
class Family:
    """A rig family's bone data.

    Attributes
    ----------
    name, label : str
        Identifier (``"mixamo"``) and display name.
    bones : tuple of BoneSpec
        Parent before child.
    required : tuple of str
        SMPL-X joints a rig of this family must carry to count as one (spine and arms).
    prefixes : tuple of str
        Name prefixes the family's rigs carry (``"mixamorig:"``), stripped before matching.
    arm_down_deg, elbow_bend_deg, finger_curl_deg : float
        The family's usual rest pose against SMPL-X's T-pose.
    aliases : dict
        Extra bone-name spellings -> canonical bone name of this family.
    """

    name: str
    label: str
    bones: tuple
    required: tuple
    prefixes: tuple = ()
    arm_down_deg: float = 0.0
    elbow_bend_deg: float = 0.0
    finger_curl_deg: float = 0.0
    aliases: dict = field(default_factory=dict)

    @property
    def mapping(self) -> dict:
        """SMPL-X joint -> bone name, for the bones that carry a joint."""
        return {b.joint: b.name for b in self.bones if b.joint is not None}

    @property
    def bone_names(self) -> tuple:
        return tuple(b.name for b in self.bones)

    def spec(self, name: str) -> BoneSpec:
        for b in self.bones:
            if b.name == name:
                return b
        raise KeyError(name)


def sided(template: str, side: str, style: str) -> str:
    """Fill a name template for one side: ``{S}`` by style ``"Left"``/``"left"``/``"l"``/``"L"``."""
    values = {"Left": ("Left", "Right"), "left": ("left", "right"),
              "l": ("l", "r"), "L": ("L", "R")}[style]
    return template.replace("{S}", values[SIDES.index(side)])


def _point(spec, pos) -> np.ndarray:
    if isinstance(spec, str):
        return pos[smplx.INDEX[spec]].copy()
    kind = spec[0]
    if kind == "lerp":
        a, b = pos[smplx.INDEX[spec[1]]], pos[smplx.INDEX[spec[2]]]
        return a + (b - a) * float(spec[3])
    if kind == "off":
        return pos[smplx.INDEX[spec[1]]] + np.asarray(spec[2], dtype=np.float64)
    raise ValueError(f"unknown placement {spec!r}")


def _rotate_about(points, centre, axis, angle) -> np.ndarray:
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    c, s = np.cos(angle), np.sin(angle)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rot = np.eye(3) + s * k + (1 - c) * (k @ k)
    return (points - centre) @ rot.T + centre


def posed_joints(arm_down_deg=0.0, elbow_bend_deg=0.0, finger_curl_deg=0.0) -> np.ndarray:
    """SMPL-X rest joints [shape=(55, 3)] (Y-up) moved into a family's rest pose."""
    pos = np.array(smplx.REST_POSITIONS, dtype=np.float64)
    for side, sx in (("left", 1.0), ("right", -1.0)):
        arm = [smplx.INDEX[f"{side}_{n}"] for n in ("shoulder", "elbow", "wrist")]
        below = [i for i in range(smplx.N_JOINTS) if _descends(i, arm[0])]
        if arm_down_deg:
            pos[below] = _rotate_about(pos[below], pos[arm[0]], (0, 0, 1),
                                       -sx * np.radians(arm_down_deg))
        if elbow_bend_deg:
            fore = [i for i in range(smplx.N_JOINTS) if _descends(i, arm[1])]
            upper = pos[arm[1]] - pos[arm[0]]
            axis = np.cross(upper, (0.0, 0.0, 1.0))          # bends the forearm forward (+Z)
            pos[fore] = _rotate_about(pos[fore], pos[arm[1]], axis, np.radians(elbow_bend_deg))
        if finger_curl_deg:
            for finger in ("index", "middle", "ring", "pinky"):
                for k in (1, 2):
                    j = smplx.INDEX[f"{side}_{finger}{k}"]
                    rest = [i for i in range(smplx.N_JOINTS) if _descends(i, j) and i != j]
                    along = pos[smplx.INDEX[f"{side}_{finger}{k + 1}"]] - pos[j]
                    side_axis = np.cross(along, (0.0, -1.0, 0.0))  # curl downwards, palm side
                    pos[rest] = _rotate_about(pos[rest], pos[j], side_axis,
                                              np.radians(finger_curl_deg))
    return pos


def _descends(i: int, ancestor: int) -> bool:
    while i >= 0:
        if i == ancestor:
            return True
        i = int(smplx.PARENTS[i])
    return False


def to_blender(points) -> np.ndarray:
    """SMPL-X Y-up (facing +Z) -> Blender Z-up (facing -Y): (x, y, z) -> (x, -z, y)."""
    p = np.asarray(points, dtype=np.float64)
    return np.stack([p[..., 0], -p[..., 2], p[..., 1]], axis=-1)


def rest_bones(family: Family) -> dict:
    """Bone name -> (head, tail, parent) in Blender's frame (Z-up, metres), family rest pose."""
    pos = posed_joints(family.arm_down_deg, family.elbow_bend_deg, family.finger_curl_deg)
    heads = {b.name: _point(b.head, pos) for b in family.bones}
    children = {}
    for b in family.bones:
        children.setdefault(b.parent, []).append(b.name)
    out = {}
    for b in family.bones:
        head = heads[b.name]
        if b.tail is not None:
            tail = _point(b.tail, pos)
        else:
            tail = None
            for c in children.get(b.name, ()):
                if np.linalg.norm(heads[c] - head) > 1e-3:
                    tail = heads[c]
                    break
            if tail is None:
                parent_head = heads.get(b.parent, head - (0.0, 0.1, 0.0))
                d = head - parent_head
                n = np.linalg.norm(d)
                d = d / n if n > 1e-6 else np.array([0.0, 1.0, 0.0])
                tail = head + d * max(0.02, min(0.1, 0.6 * n))
        out[b.name] = (to_blender(head), to_blender(tail), b.parent)
    return out


def hand_bones(side: str, style, fingers: dict, thumb: tuple, parent: str, metacarpal=None) -> list:
    """Finger bones of one hand.

    ``fingers``: SMPL-X finger -> (template of joints 1-3 with ``{S}`` and ``{k}``), ``thumb``:
    template for the three thumb bones (index 1..3), ``metacarpal``: template of a
    metacarpal bone per finger (UE5), placed between the wrist and joint 1.
    """
    out = []
    wrist = f"{side}_wrist"
    for finger, template in fingers.items():
        up = parent
        if metacarpal is not None:
            name = sided(metacarpal.replace("{f}", finger), side, style)
            out.append(BoneSpec(name, parent, None, ("lerp", wrist, f"{side}_{finger}1", 0.25)))
            up = name
        for k in (1, 2, 3):
            name = sided(template.replace("{k}", str(k)), side, style)
            out.append(BoneSpec(name, up, f"{side}_{finger}{k}", f"{side}_{finger}{k}",
                                _finger_tail(side, finger, k)))
            up = name
    up = parent
    for k in (1, 2, 3):
        name = sided(thumb.replace("{k}", str(k)), side, style)
        out.append(BoneSpec(name, up, f"{side}_thumb{k}", f"{side}_thumb{k}",
                            _finger_tail(side, "thumb", k)))
        up = name
    return out


def _finger_tail(side, finger, k):
    if k < 3:
        return f"{side}_{finger}{k + 1}"
    return ("lerp", f"{side}_{finger}2", f"{side}_{finger}3", 1.8)
