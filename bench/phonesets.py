"""Phone sets the benchmark reads, mapped onto lowercase ARPAbet, and phone classes.

Sources of truth label phones differently:

- libespeak-ng phoneme events carry espeak *mnemonics* (``b``, ``'aI``, ``I#``, ``_:``),
  optionally prefixed by stress marks (``'`` primary, ``,`` secondary, ``%`` unstressed,
  ``=`` syllabic). :func:`espeak_to_arpabet` strips the marks and maps the mnemonic.
- Festival (radio phoneset) and CMU ARCTIC labels are lowercase ARPAbet with a few
  extras (``ax``, ``axr``, ``dx``, ``pau``...) mapped by :func:`festival_to_arpabet`.
- Montreal Forced Aligner (LJSpeech TextGrids) writes ARPAbet with stress digits
  (``AH0``); :func:`normalize_arpabet` lowercases and strips digits.

Silence is always ``"sil"``.

espeak-ng mnemonic -> ARPAbet mapping (en / en-us voices; US values for ``0``, ``A@``):

============  =====  ============================================
mnemonic      ARPA   example
============  =====  ============================================
a, a#, aa     ae     tr*a*p, b*a*th (US)
A:, A@, A     aa     f*a*ther, st*ar*t
0, 0#         aa     l*o*t (US unrounded)
O:, O, O@,    ao     th*ou*ght, n*or*th, p*ou*r
o@, oU#
aI, aI@, aI3  ay     pr*i*ce, f*ire*
aU, aU@       aw     m*ou*th, h*our*
e, E, e@      eh     dr*e*ss, squ*are*
eI            ey     f*a*ce
@, @-, @2,    ah     comm*a*, str*u*t
@5, V, a2
3:, 3, @r     er     n*ur*se, lett*er*
i, i:, i@     iy     fl*ee*ce, n*ear*
I, I#, I2, i# ih     k*i*t
oU, o         ow     g*oa*t
OI            oy     ch*oi*ce
u:, u, U@     uw     g*oo*se, c*ure*
U             uh     f*oo*t
T D S Z N j   th dh sh zh ng y
tS dZ h       ch jh hh
t#, d#, ?     t d t  flap / glottal stop keep their place
n-, l/, r-,   n l r  syllabic / dark variants
w, x          w hh
_ _: _! _|    sil    pauses
============  =====  ============================================
"""
from __future__ import annotations

import re

ARPABET = (
    "aa", "ae", "ah", "ao", "aw", "ay", "eh", "er", "ey", "ih", "iy", "ow", "oy", "uh", "uw",
    "b", "ch", "d", "dh", "f", "g", "hh", "jh", "k", "l", "m", "n", "ng", "p", "r", "s", "sh",
    "t", "th", "v", "w", "y", "z", "zh", "sil",
)

_ESPEAK = {
    "a": "ae", "a#": "ae", "aa": "ae",
    "A:": "aa", "A@": "aa", "A": "aa", "0": "aa", "0#": "aa",
    "O:": "ao", "O": "ao", "O@": "ao", "o@": "ao", "oU#": "ow",
    "aI": "ay", "aI@": "ay", "aI3": "ay", "aU": "aw", "aU@": "aw",
    "e": "eh", "E": "eh", "e@": "eh", "eI": "ey",
    "@": "ah", "@-": "ah", "@2": "ah", "@5": "ah", "V": "ah", "a2": "ah", "@L": "ah",
    "3:": "er", "3": "er", "@r": "er", "3:r": "er",
    "i": "iy", "i:": "iy", "i@": "iy", "i@3": "iy", "I": "ih", "I#": "ih", "I2": "ih",
    "i#": "ih", "IR": "ih",
    "oU": "ow", "o": "ow", "OI": "oy",
    "u:": "uw", "u": "uw", "U@": "uw", "U": "uh",
    "p": "p", "b": "b", "t": "t", "d": "d", "k": "k", "g": "g", "f": "f", "v": "v",
    "T": "th", "D": "dh", "s": "s", "z": "z", "S": "sh", "Z": "zh", "h": "hh",
    "m": "m", "n": "n", "N": "ng", "l": "l", "r": "r", "w": "w", "j": "y",
    "tS": "ch", "dZ": "jh", "t#": "t", "d#": "d", "?": "t", "n-": "n", "l/": "l", "l/2": "l",
    "r-": "r", "x": "hh", "m-": "m", "z#": "z", "s#": "s", "t2": "t", "d2": "d", "k#": "k",
}
_STRESS = re.compile(r"^[',%=]+")
# events that modify the previous phoneme instead of being one (palatalisation ';')
_MODIFIERS = frozenset({";"})


class UnknownPhoneError(ValueError):
    """A label's phone has no ARPAbet mapping (extend the table in bench/phonesets.py)."""


def espeak_to_arpabet(mnemonic: str):
    """Map one espeak-ng phoneme mnemonic (stress marks allowed) to lowercase ARPAbet.

    Pauses (``_``, ``_:``, ``_!`` ...) map to ``"sil"``; modifier events (``;``) return
    ``None`` (they belong to the previous phoneme); an unknown mnemonic raises
    :class:`UnknownPhoneError` so a new voice can not silently corrupt the labels.
    """
    m = _STRESS.sub("", mnemonic.strip())
    if m in _MODIFIERS:
        return None
    if m == "" or m.startswith("_"):
        return "sil"
    if m in _ESPEAK:
        return _ESPEAK[m]
    # trailing length/variant marks that do not change the mouth shape
    for cut in (m.rstrip(":;"), m.rstrip("0123456789"), m.rstrip("#")):
        if cut in _ESPEAK:
            return _ESPEAK[cut]
    raise UnknownPhoneError(f"espeak mnemonic {mnemonic!r} has no ARPAbet mapping")


_FESTIVAL = {
    "pau": "sil", "sil": "sil", "h#": "sil", "#": "sil", "brth": "sil", "ssil": "sil",
    "ax": "ah", "axr": "er", "ix": "ih", "ux": "uw", "dx": "t", "el": "l", "em": "m",
    "en": "n", "nx": "n", "hv": "hh", "h": "hh", "q": "t",
}


def festival_to_arpabet(phone: str) -> str:
    """Map a Festival radio / CMU ARCTIC label (``ax``, ``pau``, ``dx``...) to ARPAbet."""
    p = phone.strip().lower()
    p = _FESTIVAL.get(p, p)
    if p not in ARPABET:
        raise UnknownPhoneError(f"Festival/ARCTIC phone {phone!r} has no ARPAbet mapping")
    return p


def normalize_arpabet(phone: str) -> str:
    """Lowercase ARPAbet without stress digits; empty, ``sp``, ``spn``, ``sil`` -> ``"sil"``."""
    p = re.sub(r"\d", "", phone.strip().lower())
    if p in ("", "sp", "spn", "sil", "pau", "<eps>", "+nsn+", "+spn+"):
        return "sil"
    return _FESTIVAL.get(p, p)


# ---- phone classes used by the lip metrics ----
BILABIAL = frozenset({"p", "b", "m"})
LABIODENTAL = frozenset({"f", "v"})
# vowels whose lips must be visibly apart
OPEN_VOWELS = frozenset({"aa", "ae", "ah", "ao", "aw", "ay", "eh", "ey", "ow", "oy", "er"})
ROUNDED = frozenset({"uw", "uh", "ow", "oy", "ao", "w"})
SPREAD = frozenset({"iy", "ih", "ey", "eh", "ae"})
NON_LABIAL_CONSONANTS = frozenset({
    "t", "d", "k", "g", "s", "z", "sh", "zh", "ch", "jh", "n", "ng", "l", "r", "y", "hh",
    "th", "dh"})

# Label-derived mouth openness in [0, 1] (jaw + lip opening one expects of the phone);
# the correlation metric is scale-free, only the ordering and shape matter.
OPENNESS = {
    "aa": 1.0, "ae": 0.9, "aw": 0.85, "ay": 0.85, "ao": 0.8, "ah": 0.7, "eh": 0.65,
    "ey": 0.55, "ow": 0.6, "oy": 0.6, "er": 0.4, "ih": 0.4, "uh": 0.4, "iy": 0.3, "uw": 0.3,
    "hh": 0.5, "y": 0.25, "w": 0.15, "r": 0.25, "l": 0.3,
    "t": 0.2, "d": 0.2, "n": 0.2, "k": 0.25, "g": 0.25, "ng": 0.25, "s": 0.15, "z": 0.15,
    "sh": 0.2, "zh": 0.2, "ch": 0.2, "jh": 0.2, "th": 0.2, "dh": 0.2,
    "f": 0.05, "v": 0.05, "p": 0.0, "b": 0.0, "m": 0.0, "sil": 0.0,
}
