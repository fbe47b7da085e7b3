"""Grapheme-to-phoneme fallback: trained table, held-out accuracy, determinism."""
from __future__ import annotations

import pytest

from talkrig.core.speech.g2p import (ARPABET, align_dictionary, build_table, g2p, is_held_out,
                                     load_model, predict, read_cmudict, word_accuracy)


def test_held_out_word_accuracy_of_shipped_table():
    lexicon = read_cmudict()
    held = {w: p for w, p in lexicon.items() if is_held_out(w) and w.isalpha()}
    assert len(held) > 5000
    table = load_model()
    assert not any(w in table for w in list(held)[:50])        # sanity: keys are contexts
    acc = word_accuracy(table, held)
    assert acc > 0.55, acc                                      # measured 0.60 on the split


def test_common_oov_words_get_plausible_phones():
    assert g2p("woodcutters") == ("W", "UH", "D", "K", "AH", "T", "ER", "Z")
    assert g2p("talkrig")[:2] == ("T", "AO")
    assert g2p("Blendshape")[0] == "B"
    assert all(p in ARPABET for w in ("xylophonist", "quizzically", "zzz") for p in g2p(w))


def test_empty_and_symbol_words():
    assert g2p("") == ()
    assert g2p("---") == ()
    assert len(g2p("q")) >= 1


def test_training_on_a_tiny_dictionary_learns_it():
    pairs = [("cat", ("K", "AE", "T")), ("bat", ("B", "AE", "T")), ("box", ("B", "AA", "K", "S")),
             ("tab", ("T", "AE", "B")), ("fox", ("F", "AA", "K", "S"))] * 3
    table = build_table(align_dictionary(pairs))
    assert predict("cat", table) == ("K", "AE", "T")
    assert predict("box", table) == ("B", "AA", "K", "S")
    assert word_accuracy(table, dict(pairs)) == 1.0


@pytest.mark.parametrize("word", ["phonemizer", "netherlandish"])
def test_deterministic(word):
    assert g2p(word) == g2p(word)
