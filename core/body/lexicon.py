"""The gesture lexicon: shaped gestures, the words that call them, and beat variants.

Positions are wrist targets in metres in the chest frame of the rest pose (Y up, +Z
forward), authored for the LEFT hand (x > 0 is the hand's own side; the right hand mirrors
x). ``palm`` is the forearm twist (-1 palm down, 0 palm to the midline, 1 palm up);
``shape`` names hand-shape weights (:mod:`.hands`); ``collar`` lifts the shoulders
(radians, a shrug); ``pole`` how far the elbow swings out (0 close to the body, 1 wide).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Word classes (lower-case, apostrophes kept) that call a shaped gesture.
WORDS = {
    "negation": {"no", "not", "never", "nothing", "none", "nobody", "nowhere", "neither", "nor",
                 "don't", "can't", "won't", "isn't", "wasn't", "didn't", "doesn't", "aren't",
                 "couldn't", "shouldn't", "wouldn't", "haven't", "hasn't", "cannot", "without"},
    "self": {"i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "ourselves", "i'm",
             "i've", "i'll", "i'd", "we're", "we've"},
    "you": {"you", "your", "yours", "yourself", "yourselves", "you're", "you've", "you'll"},
    "number": {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
               "twenty", "hundred", "thousand", "million", "first", "second", "third", "once",
               "twice", "half", "both", "several"},
    "all": {"all", "every", "everything", "everyone", "everybody", "everywhere", "always",
            "whole", "entire", "each", "many", "total", "completely", "totally"},
    "question": {"what", "why", "how", "where", "who", "which", "maybe", "perhaps", "whether",
                 "wonder", "suppose", "guess"},
    "deixis": {"this", "that", "these", "those", "here", "there", "thing", "things", "idea"},
    "big": {"big", "huge", "large", "great", "enormous", "vast", "wide", "more", "much",
            "grow", "bigger", "biggest", "larger", "massive"},
    "small": {"little", "small", "tiny", "bit", "exactly", "precisely", "specific",
              "specifically", "detail", "details", "just", "only", "particular"},
    "up": {"up", "high", "higher", "top", "above", "rise", "raise", "sky"},
    "emphatic": {"must", "really", "very", "absolutely", "definitely", "certainly", "important",
                 "need"},
}
#: Which gesture each word class calls.
CLASS_GESTURE = {"negation": "wipe", "self": "self", "you": "point", "number": "count",
                 "all": "spread", "question": "shrug", "deixis": "container", "big": "spread",
                 "small": "pinch", "up": "raise", "emphatic": "chop"}


@dataclass(frozen=True)
class Gesture:
    """One shaped gesture: where the stroke starts (``prep``) and ends (``apex``)."""

    name: str
    apex: tuple
    prep: tuple = None               # None: start from the current position lifted a little
    palm: float = 0.0
    palm_prep: float = None
    shape: dict = field(default_factory=lambda: {"relaxed": 1.0})
    collar: float = 0.0
    pole: float = 0.5
    ext: float = 0.0
    two_handed: bool = False
    other_apex: tuple = None          # the other hand's apex when two-handed (its own side)


GESTURES = {g.name: g for g in (
    Gesture("open_palm", apex=(0.27, 1.13, 0.32), prep=(0.16, 1.08, 0.26), palm=0.9,
            palm_prep=0.3, shape={"open": 1.0}, pole=0.6),
    Gesture("point", apex=(0.10, 1.27, 0.43), prep=(0.16, 1.18, 0.28), palm=-0.2,
            shape={"point": 1.0}, pole=0.5, ext=0.1),
    Gesture("self", apex=(0.06, 1.25, 0.17), prep=(0.16, 1.12, 0.26), palm=0.0,
            shape={"open": 0.6, "relaxed": 0.4}, pole=0.7, ext=0.25),
    Gesture("wipe", apex=(0.40, 1.09, 0.30), prep=(0.04, 1.13, 0.33), palm=-0.95,
            shape={"open": 1.0}, pole=0.8),
    Gesture("count", apex=(0.17, 1.30, 0.33), prep=(0.17, 1.15, 0.28), palm=-0.1,
            shape={"point": 0.7, "open": 0.3}, pole=0.4, ext=0.2),
    Gesture("spread", apex=(0.42, 1.13, 0.25), prep=(0.08, 1.17, 0.33), palm=-0.5,
            shape={"open": 1.0}, pole=0.9, two_handed=True),
    Gesture("shrug", apex=(0.30, 1.06, 0.28), prep=(0.18, 1.02, 0.22), palm=1.0,
            shape={"open": 1.0}, collar=0.14, pole=0.3, two_handed=True, ext=0.15),
    Gesture("container", apex=(0.15, 1.16, 0.33), prep=(0.22, 1.10, 0.27), palm=0.05,
            shape={"open": 0.5, "relaxed": 0.5}, pole=0.5, two_handed=True),
    Gesture("pinch", apex=(0.13, 1.21, 0.34), prep=(0.17, 1.12, 0.27), palm=0.1,
            shape={"pinch": 1.0}, pole=0.4, ext=0.2),
    Gesture("raise", apex=(0.24, 1.56, 0.28), prep=(0.18, 1.18, 0.28), palm=0.4,
            shape={"open": 1.0}, pole=0.6, ext=0.1),
    Gesture("chop", apex=(0.13, 1.00, 0.34), prep=(0.15, 1.36, 0.27), palm=0.0,
            shape={"open": 0.8, "fist": 0.2}, pole=0.5, ext=-0.1),
    Gesture("sweep", apex=(0.36, 1.16, 0.28), prep=(0.06, 1.18, 0.33), palm=0.4,
            shape={"open": 0.8, "relaxed": 0.2}, pole=0.7),
)}

#: Gestures prosody alone may choose (strong accents without a lexical cue), with weights.
PROSODIC = (("open_palm", 3.0), ("sweep", 2.0), ("container", 2.0), ("chop", 1.0),
            ("spread", 1.0), ("pinch", 1.0), ("raise", 1.5), ("count", 0.8))

#: Beat variants: stroke displacement from the hold position (metres, left hand) and palm.
BEATS = (((0.00, -0.17, 0.05), 0.2), ((0.04, -0.16, 0.07), 0.5), ((-0.03, -0.15, 0.08), -0.3),
         ((0.07, -0.12, 0.03), 0.7), ((0.00, -0.19, 0.03), 0.0), ((0.08, -0.08, 0.07), 0.9))

#: Hold positions (where a gesture unit's beats happen), left hand.
BASES = ((0.15, 1.13, 0.24), (0.19, 1.08, 0.22), (0.12, 1.20, 0.26), (0.22, 1.16, 0.23),
         (0.16, 1.04, 0.21), (0.10, 1.11, 0.25), (0.18, 1.25, 0.25), (0.24, 1.10, 0.20))

#: Hands at rest: hanging by the sides (listening), and lowered in front between phrases.
REST = (0.235, 0.92, 0.07)
#: Listening stance in long silences: hands loosely together in front of the belly.
LISTEN = (0.085, 1.00, 0.19)
LOW = (0.17, 1.00, 0.21)


def word_class(word: str):
    """The lexicon class of a word (``None`` if it calls no shaped gesture); digits count."""
    w = word.lower().strip(".,;:!?\"()[]")
    if any(ch.isdigit() for ch in w):
        return "number"
    for cls, words in WORDS.items():
        if w in words:
            return cls
    return None
