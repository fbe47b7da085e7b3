"""Match a rig's shape key names to the ARKit-52 names.

People bring many spellings of the same 52 shapes. Every key name is reduced to a
*canonical form* and compared with the canonical forms of :data:`ARKIT_NAMES`:

1. Path-like prefixes go: ``blendShape1.jawOpen``, ``Face.jawOpen``, ``Mesh:jawOpen``,
   ``Head|jawOpen`` -> ``jawOpen``; Blender's duplicate suffix ``.001`` is dropped and a
   Blender side suffix (``browDown.L``) is kept.
2. The rest is cut into words at camelCase humps, digits and separators, lower-cased:
   ``browDown_L`` / ``brow_down_left`` / ``BROW_DOWN_LEFT`` / ``BrowDownLeft`` (Live Link)
   all give ``brow down l(eft)``.
3. Side words ``l``/``r``/``left``/``right`` become ``left``/``right`` and move to the end
   (Face Cap ``browDown_L``, ``L_browDown``, ``Eye_L_Look_Down``).
4. Words are joined (``browdownleft``) and looked up; if absent, a known exporter prefix
   (``ARKit_``, ``bs_``, ``blendShape``, ``shape_``, ``morph_``, ``face_``, ``sk_``, plus any
   digits after it) is stripped and the lookup retried; :data:`EXTRA_ALIASES` adds a few
   spellings that are not systematic (``jawDrop``, ``mouthRollInLower``).

``Basis`` (Blender's rest key) is ignored. When two keys reach the same ARKit name, an exact
spelling wins over a canonical match, which wins over a prefixed one; remaining ties go to
the first key in the given order, and the losers are reported as ``extra``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .arkit import ARKIT_NAMES

PREFIXES = ("arkit52", "arkit", "blendshapes", "blendshape", "bs", "shapes", "shape",
            "morphs", "morph", "face", "facs", "sk", "key", "target")
IGNORED = ("basis",)
#: Canonical spellings that the systematic rules do not reach.
EXTRA_ALIASES = {
    "jawdrop": "jawOpen",
    "mouthrollinlower": "mouthRollLower",
    "mouthrollinupper": "mouthRollUpper",
    "mouthshruglowerlip": "mouthShrugLower",
    "mouthshrugupperlip": "mouthShrugUpper",
    "tonguestickout": "tongueOut",
    "eyeclosedleft": "eyeBlinkLeft",
    "eyeclosedright": "eyeBlinkRight",
}
_SIDES = {"l": "left", "left": "left", "r": "right", "right": "right"}
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_PATH_SPLIT = re.compile(r"[.:|/\\]")


def canonical(name: str) -> str:
    """Canonical form of a shape key name (see the module docstring), e.g. ``browdownleft``."""
    parts = [p for p in _PATH_SPLIT.split(str(name).strip()) if p]
    while len(parts) > 1 and parts[-1].isdigit():         # Blender duplicates: jawOpen.001
        parts.pop()
    if not parts:
        return ""
    last = parts[-1]
    if len(parts) > 1 and last.lower() in _SIDES:          # Blender side suffix: browDown.L
        last = parts[-2] + "_" + last
    words = [w.lower() for w in _WORDS.findall(last)]
    sides = [i for i, w in enumerate(words) if w in _SIDES]
    # A side word at the end, or a lone one elsewhere (L_browDown, Eye_L_Look_Down).
    if sides and (sides[-1] == len(words) - 1 or len(sides) == 1) and len(words) > 1:
        i = sides[-1]
        side = _SIDES[words.pop(i)]
        words.append(side)
    return "".join(words)


_TABLE = {canonical(n): n for n in ARKIT_NAMES}
_TABLE.update(EXTRA_ALIASES)


def arkit_name_for(name: str) -> tuple[str | None, int]:
    """The ARKit name a key name stands for, and the match quality (3 exact .. 1 prefixed).

    Returns ``(None, 0)`` when the name matches nothing.
    """
    if name in _TABLE.values():
        return name, 3
    c = canonical(name)
    if c in _TABLE:
        return _TABLE[c], 2
    for p in PREFIXES:
        if c.startswith(p):
            rest = c[len(p):].lstrip("0123456789")
            if rest in _TABLE:
                return _TABLE[rest], 1
    return None, 0


@dataclass(frozen=True)
class ShapeKeyMapping:
    """Result of :func:`match_shape_keys`.

    Attributes
    ----------
    matched : dict
        ARKit name -> the rig's shape key name.
    missing : tuple of str
        ARKit names no key matched, in ARKit order.
    extra : tuple of str
        Key names that match no ARKit name (or lost a tie), in the given order.
    """

    matched: dict = field(default_factory=dict)
    missing: tuple = ()
    extra: tuple = ()

    @property
    def coverage(self) -> float:
        """Fraction of the 52 ARKit names that the rig has."""
        return len(self.matched) / len(ARKIT_NAMES)

    def key_for(self, arkit_name: str) -> str | None:
        """The rig's key for an ARKit name, or None."""
        return self.matched.get(arkit_name)


def match_shape_keys(names) -> ShapeKeyMapping:
    """Match shape key names to ARKit-52 names.

    Parameters
    ----------
    names : iterable of str
        The rig's shape key names (e.g. ``[k.name for k in mesh.shape_keys.key_blocks]``).

    Returns
    -------
    ShapeKeyMapping
        ``matched`` (ARKit name -> key name, ARKit order), ``missing``, ``extra``.
    """
    best: dict[str, tuple[int, int, str]] = {}
    losers: list[tuple[int, str]] = []
    order = []
    for pos, key in enumerate(names):
        key = str(key)
        if canonical(key) in IGNORED:
            continue
        order.append(key)
        target, quality = arkit_name_for(key)
        if target is None:
            losers.append((pos, key))
            continue
        rank = (quality, -pos, key)
        if target not in best or rank > best[target]:
            if target in best:
                losers.append((-best[target][1], best[target][2]))
            best[target] = rank
        else:
            losers.append((pos, key))
    matched = {n: best[n][2] for n in ARKIT_NAMES if n in best}
    missing = tuple(n for n in ARKIT_NAMES if n not in best)
    extra = tuple(key for _, key in sorted(losers))
    return ShapeKeyMapping(matched=matched, missing=missing, extra=extra)
