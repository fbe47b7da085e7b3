"""The pronunciations offered for a recognised word, and its dictionary name.

The phoneme network's words are aligned with every pronunciation listed here side by side;
the aligner (:mod:`.hmm_align`, or pocketsphinx's grammar through
:func:`.recognize.add_variants`) keeps whichever the audio fits best.
"""
from __future__ import annotations

import zlib

#: Bilabial second opinion: the network sometimes hears a b/p as the labiodental of the
#: same voicing (CMU ARCTIC a0009 "table" as t-aa-v-l-ey). Every recognised word is also
#: offered with one v/f replaced by b/p, and the forced alignment picks per word whichever
#: pronunciation the acoustics fit best (pocketsphinx scores alternatives in its grammar).
#: Measured without transcripts with hama 1.7.0's network (bench, contact ramps): offering
#: t->p, d->b, n->m too, or b/p/m before vowel- or l/r-initial words, found more espeak
#: bilabials (recall 0.82 -> 0.85-0.89) but closed the lips on real t/d/n: stray closures
#: LJSpeech 0.059 -> 0.076, Festival 0.023 -> 0.059, espeak 0.065 -> 0.108-0.15. v/f only:
#: LJSpeech and Festival as without variants, ARCTIC recall 0.5 -> 1.0, espeak 0.79 -> 0.82.
BILABIAL_ALTERNATIVES = {"V": "B", "F": "P"}


def bilabial_variants(phones) -> list:
    """Alternative pronunciations of a recognised word: each consonant of
    :data:`BILABIAL_ALTERNATIVES` replaced, one at a time, by its bilabial."""
    out = []
    for i, p in enumerate(phones):
        b = BILABIAL_ALTERNATIVES.get(p)
        if b is not None:
            alt = list(phones[:i]) + [b] + list(phones[i + 1:])
            if alt not in out:
                out.append(alt)
    return out


def offered(phones, extra=()) -> list:
    """Every pronunciation offered for recognised ``phones``: they themselves, then
    :func:`bilabial_variants` of them, then ``extra`` (evidence alternatives), each once."""
    prons = [list(phones)]
    for alt in bilabial_variants(phones) + [list(a) for a in extra]:
        if alt not in prons:
            prons.append(alt)
    return prons


def pronunciations_of(word) -> list:
    """:func:`offered` for a recognised word (:class:`RecognisedWord`)."""
    return offered(word.phones, word.alternatives)


def pseudo_word(phones, alternatives=()) -> str:
    """Dictionary name of a recognised word: its phones, e.g. ``hw_r_ow``.

    A word with evidence ``alternatives`` gets a CRC-32 of them appended
    (``hw_aa_v_x1f3a9c2e``), so each name stands for one fixed set of pronunciations: the
    decoder's dictionary lives as long as the process, and a name reused with other
    variants would make results depend on what was decoded before.
    """
    name = "hw_" + "_".join(p.lower() for p in phones)
    if alternatives:
        key = "|".join(" ".join(a) for a in alternatives)
        name += f"_x{zlib.crc32(key.encode('ascii')):08x}"
    return name
