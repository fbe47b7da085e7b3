"""Choosing and checking a bone mapping; mapping presets as JSON.

:func:`resolve_mapping` picks the family that fits a rig (or takes the user's mapping) and
raises one :class:`~talkrig.core.errors.RetargetError` with what was wrong and what to do:
no bones, no family matching (the best partial match is named), or a mapping that leaves the
spine or arms unmapped. Presets: ``{"talkrig_body_mapping": 1, "name", "family",
"mapping": {smplx_joint: bone}}``.
"""
from __future__ import annotations

import json
from pathlib import Path

from ...rigs.skeletons import smplx
from ...rigs.skeletons.match import ESSENTIAL, SkeletonMatch, match_mapping, match_skeleton
from ..errors import RetargetError
from ..io.atomic import replace_text

#: A family must reach this score to be taken automatically.
MIN_SCORE = 0.5
FORMAT_VERSION = 1


def check_mapping(mapping: dict, bone_names) -> None:
    """Raise RetargetError when ``mapping`` names unknown joints or bones or misses essentials."""
    present = set(bone_names)
    bad_joints = sorted(j for j in mapping if j not in smplx.INDEX)
    if bad_joints:
        raise RetargetError(f"the bone mapping names unknown SMPL-X joints {', '.join(bad_joints[:5])};"
                            " use names like spine1, left_shoulder, right_wrist")
    absent = sorted(b for b in mapping.values() if b not in present)
    if absent:
        raise RetargetError(f"the bone mapping names bones the armature lacks: "
                            f"{', '.join(absent[:5])}; fix the mapping or pick the right armature")
    bones = list(mapping.values())
    dup = sorted({b for b in bones if bones.count(b) > 1})
    if dup:
        raise RetargetError(f"bone(s) {', '.join(dup[:5])} carry more than one joint in the mapping;"
                            " give each joint its own bone")
    unmapped = [j for j in ESSENTIAL if j not in mapping]
    if unmapped:
        raise RetargetError(f"the bone mapping leaves the spine or arms unmapped "
                            f"({', '.join(unmapped)}): map them in the Body panel's bone list")


def resolve_mapping(bone_names, *, mapping: dict | None = None, family: str | None = None,
                    armature: str = "the armature") -> SkeletonMatch:
    """The mapping to use for a rig with ``bone_names``.

    Parameters
    ----------
    bone_names : sequence of str
    mapping : dict, optional
        An explicit SMPL-X joint -> bone mapping (preset, panel rows, VRM add-on data).
    family : str, optional
        Force a family instead of taking the best score.
    armature : str
        The armature's name, for messages.

    Raises
    ------
    RetargetError
    """
    names = list(bone_names)
    if not names:
        raise RetargetError(f"{armature} has no bones: pick an armature with a skeleton")
    if mapping:
        match = match_mapping(names, mapping, family or "custom")
    else:
        results = match_skeleton(names, [family] if family else None)
        match = results[0]
        if match.score < MIN_SCORE:
            raise RetargetError(
                f"{armature} matches no known skeleton (Mixamo, Rigify, UE5, Unity Humanoid, "
                f"VRM, SMPL-X); best partial match {match.summary()}: map its bones in the "
                "Body panel or load a mapping preset")
    check_mapping(match.matched, names)
    return match


def save_preset(path, name: str, mapping: dict, family: str = "custom") -> Path:
    """Write a body mapping preset; returns the path."""
    path = Path(path)
    data = {"talkrig_body_mapping": FORMAT_VERSION, "name": str(name), "family": str(family),
            "mapping": {j: mapping[j] for j in smplx.JOINT_NAMES if mapping.get(j)}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_text(path, json.dumps(data, indent=1) + "\n")
    except OSError as exc:
        raise RetargetError(f"cannot save the body preset '{path}': {exc.strerror or exc}") from None
    return path


def load_preset(path) -> tuple:
    """Read a body mapping preset; returns (family, mapping SMPL-X joint -> bone)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RetargetError(f"body preset '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RetargetError(f"body preset '{path}' is not a readable JSON file: {exc}") from None
    table = data.get("mapping") if isinstance(data, dict) else None
    if (not isinstance(table, dict) or data.get("talkrig_body_mapping") is None
            or not all(isinstance(v, str) for v in table.values())):
        raise RetargetError(f"'{path}' is not a talkrig body mapping preset (needs "
                            "'talkrig_body_mapping' and 'mapping': SMPL-X joint -> bone)")
    unknown = sorted(set(table) - set(smplx.JOINT_NAMES))
    if unknown:
        raise RetargetError(f"body preset '{path}' names unknown SMPL-X joints: {', '.join(unknown[:5])}")
    return str(data.get("family", "custom")), dict(table)
