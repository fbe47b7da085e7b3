"""Viseme and articulation tables for lip-sync, loaded from ``rigs/data/visemes.json``.

What the data holds (all documented inside the JSON too):

- ``visemes``: the 15 Oculus/Meta visemes ``sil PP FF TH DD kk CH SS nn RR aa E ih oh ou``
  and ``phone_to_viseme``, the usual ARPAbet -> viseme map (p b m -> PP, f v -> FF, ...).
- ``viseme_poses``: one ARKit-52 pose per viseme (jawOpen, mouthClose, mouthFunnel, mouthPucker,
  mouthStretch*, mouthRoll*, mouthUpperUp*, mouthLowerDown*, mouthPress*, mouthShrug*,
  tongueOut), used to drive ARKit rigs from a viseme track and as the base of per-phone targets.
- ``phone_features``: articulatory features per phone: class (vowel, bilabial, alveolar ...),
  vowel height (-> jaw opening through ``vowel_height_jaw``), rounding 0..1, labial constraint
  (bilabial closure / labiodental contact), duration class, and single-channel pose overrides.
- ``groups`` / ``class_dominance``: the articulatory parameters that coarticulation blends
  separately (jaw, lip opening, rounding, spreading, labial, tongue) with their reach before
  and after a segment, and how strongly each phone class holds each parameter.
- ``constraints`` and ``dynamics``: the hard lip constraints and the smoothing / loudness /
  emphasis constants of :mod:`talkrig.core.face.coarticulation`.
- ``rig_name_sets``: shape-key names of viseme rigs (Oculus ``viseme_aa``, bare ``aa``, VRChat
  ``vrc.v_aa``, Ready Player Me ``viseme_O``) with :func:`match_viseme_keys`.
- ``rhubarb``: Rhubarb Lip Sync's mouth shapes A-H, X per phone, for reference output.

Why data and not code: the tables are what people tune and compare against other tools, and
they are shared by the ARKit speech layer, the viseme track and the viseme rig matcher. This
module only turns them into numpy arrays once (cached) and answers name questions.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .arkit import ARKIT_INDEX, N_ARKIT

DATA_PATH = Path(__file__).resolve().parent / "data" / "visemes.json"


@dataclass(frozen=True)
class VisemeTables:
    """The viseme data as arrays (see the module docstring for meaning).

    Attributes
    ----------
    visemes : tuple of str [15]
    phones : tuple of str [n_phones]
        Canonical ARPAbet phones without stress, ``'sil'`` first.
    phone_viseme : np.ndarray [shape=(n_phones,), dtype=int64]
        Viseme index of each phone.
    phone_targets : np.ndarray [shape=(n_phones, 52), dtype=float64]
        ARKit target pose of each phone at articulation 1.
    groups : tuple of str [n_groups]
        Blended parameter names (``jaw``, ``open``, ``round``, ``spread``, ``labial``,
        ``tongue``, ``viseme``).
    group_channels : tuple of np.ndarray
        ARKit channel indices of each group (empty for ``viseme``).
    reach_before, reach_after : np.ndarray [shape=(n_groups,)]
        Dominance reach in seconds into earlier / later time.
    dominance : np.ndarray [shape=(n_phones, n_groups)]
        Dominance strength alpha of each phone for each group.
    is_vowel, is_bilabial, is_labiodental : np.ndarray [shape=(n_phones,), dtype=bool]
    rounding : np.ndarray [shape=(n_phones,)]
        Rounding feature 0..1.
    viseme_poses : np.ndarray [shape=(15, 52)]
    diphthongs : dict
        phone -> (first part, second part, split fraction).
    stress_gain : dict
        lexical stress (0, 1, 2) -> jaw / lip-opening gain of vowels.
    constraints, dynamics : dict
        Raw constants from the JSON.
    """

    visemes: tuple
    phones: tuple
    phone_index: dict
    phone_viseme: np.ndarray
    phone_targets: np.ndarray
    groups: tuple
    group_channels: tuple
    reach_before: np.ndarray
    reach_after: np.ndarray
    dominance: np.ndarray
    is_vowel: np.ndarray
    is_bilabial: np.ndarray
    is_labiodental: np.ndarray
    rounding: np.ndarray
    viseme_poses: np.ndarray
    diphthongs: dict
    aliases: dict
    stress_gain: dict
    constraints: dict
    dynamics: dict
    rhubarb: dict


def _pose_vector(pose: dict) -> np.ndarray:
    vec = np.zeros(N_ARKIT)
    for name, w in pose.items():
        vec[ARKIT_INDEX[name]] = float(w)   # KeyError names a bad channel in the JSON
    return vec


@lru_cache(maxsize=1)
def load_viseme_tables(path: str = str(DATA_PATH)) -> VisemeTables:
    """Load and check ``visemes.json`` once.

    Returns
    -------
    VisemeTables
        Arrays built from the JSON; see :class:`VisemeTables`.
    """
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    visemes = tuple(raw["visemes"])
    vis_index = {v: i for i, v in enumerate(visemes)}
    features = {k: v for k, v in raw["phone_features"].items() if k != "about"}
    phones = ("sil",) + tuple(sorted(p for p in features if p != "sil"))
    heights = raw["vowel_height_jaw"]
    vis_round = raw["viseme_round"]
    poses = np.stack([_pose_vector(raw["viseme_poses"][v]) for v in visemes])
    jaw_i = ARKIT_INDEX["jawOpen"]
    round_idx = [ARKIT_INDEX["mouthPucker"], ARKIT_INDEX["mouthFunnel"]]

    groups = tuple(g for g in raw["groups"] if g != "about")
    dom_rows = raw["class_dominance"]
    dur_gain = raw["duration_dominance"]
    targets = np.zeros((len(phones), N_ARKIT))
    dominance = np.zeros((len(phones), len(groups)))
    phone_vis = np.zeros(len(phones), dtype=np.int64)
    rounding = np.zeros(len(phones))
    is_vowel = np.zeros(len(phones), dtype=bool)
    bilabial = np.zeros(len(phones), dtype=bool)
    labiodental = np.zeros(len(phones), dtype=bool)
    for i, ph in enumerate(phones):
        f = features[ph]
        vis = raw["phone_to_viseme"][ph]
        phone_vis[i] = vis_index[vis]
        t = poses[vis_index[vis]].copy()
        t[jaw_i] = heights[f["height"]] if "height" in f else f["jaw"]
        nominal = vis_round.get(vis, 0.0)
        if nominal > 0:
            t[round_idx] *= f["round"] / nominal
        for name, w in f.get("pose", {}).items():
            t[ARKIT_INDEX[name]] = w
        targets[i] = t
        dominance[i] = [dom_rows[f["class"]][g] * dur_gain[f["duration"]] for g in groups]
        rounding[i] = f["round"]
        is_vowel[i] = f["class"] == "vowel"
        bilabial[i] = f["labial"] == "bilabial"
        labiodental[i] = f["labial"] == "labiodental"

    gdefs = raw["groups"]
    diph = {p: (d["parts"][0], d["parts"][1], float(d["split"]))
            for p, d in raw["diphthongs"].items() if p != "about"}
    return VisemeTables(
        visemes=visemes, phones=phones, phone_index={p: i for i, p in enumerate(phones)},
        phone_viseme=phone_vis, phone_targets=targets, groups=groups,
        group_channels=tuple(np.array([ARKIT_INDEX[c] for c in gdefs[g]["channels"]],
                                      dtype=np.int64) for g in groups),
        reach_before=np.array([gdefs[g]["reach_before_s"] for g in groups]),
        reach_after=np.array([gdefs[g]["reach_after_s"] for g in groups]),
        dominance=dominance, is_vowel=is_vowel, is_bilabial=bilabial,
        is_labiodental=labiodental, rounding=rounding, viseme_poses=poses, diphthongs=diph,
        aliases=dict(raw["phone_aliases"]),
        stress_gain={int(k): float(v) for k, v in raw["stress_gain"].items() if k != "about"},
        constraints=raw["constraints"], dynamics=raw["dynamics"], rhubarb=raw["rhubarb"])


VISEME_NAMES = tuple(json.loads(DATA_PATH.read_text(encoding="utf-8"))["visemes"])
N_VISEMES = len(VISEME_NAMES)


def normalize_phone(phone: str) -> str:
    """Canonical phone: ARPAbet upper case without stress digits, or ``'sil'``.

    MFA / TIMIT leftovers are mapped through ``phone_aliases`` (``sp`` and empty -> ``sil``,
    ``spn`` -> ``AH``, ``ax`` -> ``AH`` ...). Results for strings are memoised (a track
    repeats a few dozen phones thousands of times).

    Raises
    ------
    ValueError
        The phone is not ARPAbet and has no alias.
    """
    if type(phone) is str:
        return _normalize_str(phone)
    return _normalize(phone)


@lru_cache(maxsize=4096)
def _normalize_str(phone: str) -> str:
    """:func:`normalize_phone` of a ``str`` (cached; a ValueError is not cached)."""
    return _normalize(phone)


def _normalize(phone) -> str:
    tables = load_viseme_tables()
    p = str(phone).strip()
    key = re.sub(r"[0-9]+$", "", p.upper())
    if p == "sil" or key in tables.phone_index:
        return "sil" if key == "SIL" else key
    if key in tables.aliases:
        return tables.aliases[key]
    raise ValueError(f"unknown phone {phone!r}: use ARPAbet (AA ... ZH, stress digits allowed) "
                     "or 'sil'")


def phone_to_viseme(phone: str) -> str:
    """Oculus/Meta viseme name of one phone (stress digits and aliases accepted)."""
    tables = load_viseme_tables()
    return tables.visemes[tables.phone_viseme[tables.phone_index[normalize_phone(phone)]]]


def phone_to_rhubarb(phone: str) -> str:
    """Rhubarb Lip Sync mouth shape (``A``-``H`` or ``X``) of one phone."""
    return load_viseme_tables().rhubarb["phone_to_shape"][normalize_phone(phone)]


@dataclass(frozen=True)
class VisemeKeyMatch:
    """Result of :func:`match_viseme_keys`.

    matched : dict viseme -> shape key name; missing : visemes with no key (tuple);
    extra : key names that are no viseme (tuple); name_set : the rig name set most keys
    came from (``'vrchat'``, ``'oculus'``, ``'readyplayerme'``, ``'oculus_bare'``) or ``''``.
    """

    matched: dict
    missing: tuple
    extra: tuple
    name_set: str = ""


def _viseme_of_key(name: str) -> str | None:
    tables = load_viseme_tables()
    low = name.strip().lower()
    by_lower = {v.lower(): v for v in tables.visemes}
    for prefix in _prefixes():
        if low.startswith(prefix) and len(low) > len(prefix):
            low = low[len(prefix):]
            break
    low = low.strip("_.- ")
    if low in by_lower:
        return by_lower[low]
    return _name_aliases().get(low)


@lru_cache(maxsize=1)
def _prefixes() -> tuple:
    return tuple(json.loads(DATA_PATH.read_text(encoding="utf-8"))["rig_name_prefixes"])


@lru_cache(maxsize=1)
def _name_aliases() -> dict:
    return dict(json.loads(DATA_PATH.read_text(encoding="utf-8"))["rig_name_aliases"])


@lru_cache(maxsize=1)
def _name_sets() -> dict:
    sets = json.loads(DATA_PATH.read_text(encoding="utf-8"))["rig_name_sets"]
    return {k: tuple(v) for k, v in sets.items() if k != "about"}


def match_viseme_keys(names) -> VisemeKeyMatch:
    """Match a viseme rig's shape-key names to the 15 visemes.

    Accepts Oculus (``viseme_aa``), bare (``aa``), VRChat (``vrc.v_aa``), Ready Player Me
    (``viseme_O``) names in any case. The first key that maps to a viseme wins; later
    duplicates and non-viseme keys (``Basis``, ``blink``) are returned as ``extra``.

    Parameters
    ----------
    names : iterable of str
        Shape-key names of the target mesh.

    Returns
    -------
    VisemeKeyMatch
    """
    names = [str(n) for n in names]
    matched: dict = {}
    extra = []
    for n in names:
        v = _viseme_of_key(n)
        if v is None or v in matched:
            extra.append(n)
        else:
            matched[v] = n
    keys = set(matched.values())
    best, best_n = "", 0
    for set_name, set_names in _name_sets().items():
        hits = len(keys.intersection(set_names))
        if hits > best_n:
            best, best_n = set_name, hits
    missing = tuple(v for v in VISEME_NAMES if v not in matched)
    ordered = {v: matched[v] for v in VISEME_NAMES if v in matched}
    return VisemeKeyMatch(matched=ordered, missing=missing, extra=tuple(extra), name_set=best)
