"""FACS action units, emotion prototypes and emotion word lists, loaded from ``rigs/data``.

The tables live in JSON/TXT files (documented in ``docs/EMOTION.md``):

- ``facs.json``: action unit -> ARKit-52 weights, FACS intensity letters.
- ``emotions.json``: emotion prototypes as FACS codes (``"1+2+5B+26"``), compound states
  as mixtures, valence/arousal/dominance anchors, name aliases.
- ``lexicon_emotion.json``: words and phrases of a text description (used by
  ``core.face.describe``).
- ``lexicon_sentiment_vader.txt``: word valences from VADER (MIT, notice kept beside it).

This module only reads and resolves data; it raises ``ValueError`` for a malformed code
(``core`` turns that into an ``EmotionSpecError`` for users). Standard library + numpy only.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from .arkit import ARKIT_INDEX, ARKIT_NAMES, N_ARKIT

DATA_DIR = Path(__file__).resolve().parent / "data"

# One FACS code token: optional side, unit number, optional intensity letter ("R12A", "5B", "26").
_AU_TOKEN = re.compile(r"^(?:AU)?([LR])?(\d{1,2})([A-E])?$", re.IGNORECASE)


def _read_json(name: str) -> dict:
    with open(DATA_DIR / name, "r", encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def facs_table() -> dict:
    """The parsed ``facs.json`` (action units, intensity letters, shares)."""
    return _read_json("facs.json")


@lru_cache(maxsize=None)
def emotion_table() -> dict:
    """The parsed ``emotions.json`` (prototypes, compounds, VAD anchors, aliases)."""
    return _read_json("emotions.json")


@lru_cache(maxsize=None)
def describe_lexicon() -> dict:
    """The parsed ``lexicon_emotion.json`` (words, phrases, modifiers, stop words)."""
    return _read_json("lexicon_emotion.json")


def action_units() -> tuple:
    """Numbers of the action units the table knows, ascending (ints)."""
    return tuple(sorted(int(k) for k in facs_table()["action_units"]))


def au_vector(au: int, side: str | None = None) -> np.ndarray:
    """ARKit weights of one action unit at full intensity.

    Parameters
    ----------
    au : int
        FACS action unit number (see :func:`action_units`).
    side : {None, "L", "R"}
        ``None`` for a bilateral action, ``"L"``/``"R"`` for the subject's left/right side only.

    Returns
    -------
    np.ndarray [shape=(52,), dtype=float64]
    """
    table = facs_table()
    entry = table["action_units"].get(str(int(au)))
    if entry is None:
        raise ValueError(f"unknown action unit AU{au}; known: "
                         + ", ".join(f"AU{a}" for a in action_units()))
    vec = np.zeros(N_ARKIT)
    share = float(table["unilateral_center_share"])
    for name, w in entry["arkit"].items():
        sided = "Left" if name.endswith("Left") else "Right" if name.endswith("Right") else None
        if side is None or sided is None:
            gain = 1.0 if side is None else share
        else:
            gain = 1.0 if sided[0] == side.upper() else 0.0
        vec[ARKIT_INDEX[name]] += float(w) * gain
    return vec


def parse_au_token(token: str) -> tuple:
    """Split one FACS token into ``(au, side, intensity)``.

    ``"R12A"`` -> ``(12, "R", 0.4)``; ``"AU26"`` -> ``(26, None, default_intensity)``.
    Raises ``ValueError`` when the token is not a known unit.
    """
    m = _AU_TOKEN.match(token.strip())
    if not m:
        raise ValueError(f"{token!r} is not a FACS code (write e.g. '12', 'AU12', 'R12A', '5B')")
    side, au, letter = m.group(1), int(m.group(2)), m.group(3)
    if str(au) not in facs_table()["action_units"]:
        raise ValueError(f"unknown action unit AU{au} in {token!r}; known: "
                         + ", ".join(f"AU{a}" for a in action_units()))
    table = facs_table()
    level = (table["intensity_letters"][letter.upper()] if letter
             else float(table["default_intensity"]))
    return au, (side.upper() if side else None), float(level)


def facs_code_vector(code: str) -> np.ndarray:
    """ARKit weights of a FACS code such as ``"1+2+5B+26"`` or ``"R12A+R14A"``.

    Unit weights add up; the sum is *not* clipped here (callers clip after mixing).

    Returns
    -------
    np.ndarray [shape=(52,), dtype=float64]
    """
    vec = np.zeros(N_ARKIT)
    for token in filter(None, (t.strip() for t in code.split("+"))):
        au, side, level = parse_au_token(token)
        vec += level * au_vector(au, side)
    return vec


def emotion_names() -> tuple:
    """Names of every emotion (basic first, then compounds, file order)."""
    return tuple(emotion_table()["emotions"])


def basic_emotion_names() -> tuple:
    """The eight basic emotions (neutral + Ekman's seven), in a fixed order."""
    return tuple(emotion_table()["basic"])


def emotion_aliases() -> dict:
    """Alias -> canonical emotion name (``"happy"`` -> ``"happiness"``)."""
    return dict(emotion_table()["aliases"])


@lru_cache(maxsize=None)
def _emotion_vectors() -> dict:
    emotions = emotion_table()["emotions"]
    done: dict = {}

    def resolve(name: str, stack: tuple) -> np.ndarray:
        if name in done:
            return done[name]
        if name in stack:
            raise ValueError(f"emotions.json: mixture cycle {' -> '.join(stack + (name,))}")
        if name not in emotions:
            raise ValueError(f"emotions.json: {stack[-1]!r} mixes unknown emotion {name!r}")
        entry = emotions[name]
        vec = facs_code_vector(entry.get("facs", ""))
        for part, w in entry.get("mix", {}).items():
            vec = vec + float(w) * resolve(part, stack + (name,))
        done[name] = vec
        return vec

    for n in emotions:
        resolve(n, ())
    return done


def emotion_vector(name: str) -> np.ndarray:
    """ARKit weights of one emotion at intensity 1 (canonical name; unclipped sum).

    Returns
    -------
    np.ndarray [shape=(52,), dtype=float64]
    """
    return _emotion_vectors()[name].copy()


def emotion_matrix(names=None) -> np.ndarray:
    """Stack of :func:`emotion_vector` rows: [shape=(len(names), 52)], default all emotions."""
    names = emotion_names() if names is None else names
    return np.stack([emotion_vector(n) for n in names]) if names else np.zeros((0, N_ARKIT))


def emotion_facs(name: str) -> str:
    """The FACS code stored for an emotion ('' for pure mixtures)."""
    return emotion_table()["emotions"][name].get("facs", "")


def vad_anchors(names=None) -> np.ndarray:
    """Valence/arousal/dominance anchors [shape=(len(names), 3)], each in [-1, 1]."""
    names = emotion_names() if names is None else names
    table = emotion_table()["emotions"]
    return np.array([table[n]["vad"] for n in names], dtype=np.float64)


@lru_cache(maxsize=None)
def sentiment_lexicon() -> dict:
    """VADER word valences, word -> float in [-4, 4] (``lexicon_sentiment_vader.txt``)."""
    out = {}
    with open(DATA_DIR / "lexicon_sentiment_vader.txt", "r", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            word, value = line.rstrip("\n").split("\t")[:2]
            out[word] = float(value)
    return out


__all__ = [
    "DATA_DIR", "facs_table", "emotion_table", "describe_lexicon", "action_units", "au_vector",
    "parse_au_token", "facs_code_vector", "emotion_names", "basic_emotion_names",
    "emotion_aliases", "emotion_vector", "emotion_matrix", "emotion_facs", "vad_anchors",
    "sentiment_lexicon", "ARKIT_NAMES",
]
