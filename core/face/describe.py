"""Text description -> emotion mixture and region overrides, through a documented lexicon.

``describe("nervous, half-smiling, brows raised")`` reads the words against
``rigs/data/lexicon_emotion.json``:

- **terms** (``nervous``, ``smiling``, ``brows raised``, ``smirk``, ``teary`` ...) carry a
  global mix (emotion names or FACS units) and/or region overrides (``brows raised`` sets
  the brows to AU1+AU2, whatever the global mix would put there);
- **modifiers** scale the next term (``slightly`` 0.4, ``half``/``half-`` 0.5, ``very`` 1.3,
  ``extremely`` 1.5); several multiply;
- **negations** (``not``, ``no``, ``never``, ``without``, ``-n't``) drop the next term: its
  names are removed from the result (``happy, not smiling`` keeps happiness but no AU12);
- **stop words** (``a``, ``the``, ``with``, ``looks`` ...) are skipped.

Phrases of up to four words are matched longest first; a hyphenated word is tried whole
(``wide-eyed``) and then split (``half-smiling`` -> ``half`` + ``smiling``). Words that are
none of these are **reported**: returned in ``unknown`` and warned about with
:class:`UnknownWordsWarning`; a description with no known term at all raises
:class:`EmotionSpecError`. Mixes add up and are capped at the exaggeration limit (1.5).
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Optional

from ...rigs import facs
from ..errors import EmotionSpecError
from .emotion import MAX_INTENSITY, EmotionSpec, canonical_name
from .regions import region_names_for

MAX_PHRASE = 4
_CLAUSE = re.compile(r"[,;.!?]+|\s+(?:and|but|while|yet)\s+")
_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*-?")


class UnknownWordsWarning(UserWarning):
    """Some words of an emotion description are not in the lexicon and were not used."""


@dataclass(frozen=True)
class Description:
    """What a text description means.

    Attributes
    ----------
    mixture : dict of str -> float
        Global mix (canonical emotion names and FACS units).
    regions : dict of str -> dict
        Region -> mix, overriding the global mix there.
    unknown : tuple of str
        Words that were not understood (in order, repeats kept once).
    negated : tuple of str
        Terms that were negated and therefore removed.
    terms : tuple of (str, float)
        Recognised terms with their modifier factor, in order.
    """

    mixture: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)
    unknown: tuple = ()
    negated: tuple = ()
    terms: tuple = ()

    def spec(self) -> EmotionSpec:
        """The description as an :class:`EmotionSpec` (static mixture + region overrides)."""
        return EmotionSpec(mixture=self.mixture, regions=self.regions)


def _lexicon() -> tuple:
    lex = facs.describe_lexicon()
    terms = {k.lower(): v for k, v in lex["terms"].items()}
    modifiers = {k.lower(): float(v) for k, v in lex["modifiers"].items()}
    return terms, modifiers, set(lex["negations"]), set(lex["stopwords"])


def _tokens(clause: str) -> list:
    """Words of a clause; a hyphenated word is kept whole and as its parts (tried later)."""
    return _WORD.findall(clause)


def _add(target: dict, mix: dict, factor: float) -> None:
    for name, w in mix.items():
        key = canonical_name(name)
        target[key] = round(min(MAX_INTENSITY, target.get(key, 0.0) + float(w) * factor), 6)


def describe(text: str, *, warn: bool = True) -> Description:
    """Interpret a free-text description of a facial expression.

    Parameters
    ----------
    text : str
        E.g. ``"nervous, half-smiling, brows raised"``.
    warn : bool
        Emit an :class:`UnknownWordsWarning` when some words are not understood.

    Returns
    -------
    Description
    """
    if not isinstance(text, str) or not text.strip():
        raise EmotionSpecError("the emotion description is empty; write e.g. "
                               "'nervous, half-smiling, brows raised'")
    terms, modifiers, negations, stopwords = _lexicon()
    norm = text.lower().replace("’", "'").replace("n't", " not")
    mixture: dict = {}
    regions: dict = {}
    unknown: list = []
    negated: list = []
    found: list = []
    for clause in _CLAUSE.split(norm):
        words = []
        for tok in _tokens(clause):
            tok = tok.rstrip("-") if tok.endswith("-") else tok
            if "-" in tok and tok not in terms:
                words.extend(p for p in tok.split("-") if p)
            else:
                words.append(tok)
        factor, negate, i = 1.0, False, 0
        while i < len(words):
            for size in range(min(MAX_PHRASE, len(words) - i), 0, -1):
                phrase = " ".join(words[i:i + size])
                if phrase in terms or phrase in modifiers or phrase in negations:
                    break
            else:
                phrase, size = words[i], 1
            i += size
            if phrase in modifiers:
                factor *= modifiers[phrase]
            elif phrase in negations:
                negate = True
            elif phrase in terms:
                entry = terms[phrase]
                if negate:
                    negated.append(phrase)
                    for name in entry.get("mix", {}):
                        mixture.pop(canonical_name(name), None)
                    for mix in entry.get("regions", {}).values():
                        for name in mix:
                            mixture.pop(canonical_name(name), None)
                    _drop_regions(regions, entry)
                else:
                    found.append((phrase, round(factor, 4)))
                    _add(mixture, entry.get("mix", {}), factor)
                    for region, mix in entry.get("regions", {}).items():
                        region_names_for(region)
                        _add(regions.setdefault(region, {}), mix, factor)
                factor, negate = 1.0, False
            elif phrase in stopwords:
                continue
            elif phrase not in unknown:
                unknown.append(phrase)
    if not found and not negated:
        known = ", ".join(sorted(terms)[:25])
        raise EmotionSpecError(f"no emotion words recognised in {text!r} (unknown: "
                               f"{', '.join(unknown) or 'none'}); known words include {known} ... "
                               "(full list in rigs/data/lexicon_emotion.json)")
    if unknown and warn:
        warnings.warn(f"emotion description {text!r}: ignored unknown words "
                      f"{', '.join(unknown)} (see rigs/data/lexicon_emotion.json)",
                      UnknownWordsWarning, stacklevel=2)
    return Description(mixture=mixture, regions={r: m for r, m in regions.items() if m},
                       unknown=tuple(unknown), negated=tuple(negated), terms=tuple(found))


def _drop_regions(regions: dict, entry: dict) -> None:
    """Remove a negated term's names from the region overrides gathered so far."""
    names = {canonical_name(n) for n in entry.get("mix", {})}
    for mix in entry.get("regions", {}).values():
        names |= {canonical_name(n) for n in mix}
    for mix in regions.values():
        for n in names:
            mix.pop(n, None)


def spec_from_options(*, emotion: str = "", regions: str = "", timeline_path=None,
                      description: str = "", auto=None, mixture=None, region_mixtures=None,
                      timelines=(), region_timelines=None) -> Optional[EmotionSpec]:
    """One :class:`EmotionSpec` from the user-facing emotion controls.

    Parameters
    ----------
    emotion, mixture : str or dict
        Static global mix: the CLI string ``"happiness=0.8,surprise=0.3"`` or a dict
        name -> intensity (both add up, capped at the intensity limit).
    regions, region_mixtures : str or dict
        Per-region mixes (``"brows:anger=0.8;mouth:happiness"`` or region -> dict); these win
        over region words of the description and over region timelines of the file.
    timeline_path : str or PathLike, optional
        ``--emotion-timeline FILE`` (.json / .csv, see :mod:`core.face.timeline`).
    description : str
        ``--describe "nervous, half-smiling, brows raised"`` (unknown words are warned about).
    auto : EmotionTimeline, optional
        The automatic track (:func:`core.face.auto_emotion.auto_emotion`), added to the rest.
    timelines : tuple of EmotionTimeline
        Keys given directly (the panel's animated sliders), added to the global mix.
    region_timelines : dict of region -> EmotionTimeline
        Per-region keys given directly; they win over every other region entry.

    Returns
    -------
    EmotionSpec or None
        None when no control was given.
    """
    from .emotion import parse_mixture, parse_region_mixtures
    from .timeline import read_emotion_timeline
    mix: dict = {}
    region_mix: dict = {}
    tls = []
    if description:
        d = describe(description)
        mix.update(d.mixture)
        region_mix.update(d.regions)
    static = dict(parse_mixture(emotion or ""))
    for name, w in (mixture or {}).items():
        static[name] = static.get(name, 0.0) + w
    for name, w in static.items():
        mix[name] = min(MAX_INTENSITY, mix.get(name, 0.0) + w)
    if timeline_path:
        glob, region_tl = read_emotion_timeline(timeline_path)
        if glob is not None:
            tls.append(glob)
        region_mix.update(region_tl)
    tls.extend(timelines or ())
    if auto is not None:
        tls.append(auto)
    region_mix.update(parse_region_mixtures(regions or ""))
    region_mix.update(region_mixtures or {})
    region_mix.update(region_timelines or {})
    if not (mix or region_mix or tls):
        return None
    return EmotionSpec(mixture=mix, regions=region_mix, timeline=tuple(tls) or None)


def known_terms() -> tuple:
    """Every term of the lexicon, sorted (for help texts and UI auto-completion)."""
    return tuple(sorted(facs.describe_lexicon()["terms"]))


__all__ = ["describe", "Description", "UnknownWordsWarning", "known_terms", "spec_from_options"]
