"""The binary-search lookup in pocketsphinx's CMU dictionary (core/speech/lexicon.py)."""
from __future__ import annotations

from talkrig.core.speech.align import decoder, ensure_words
from talkrig.core.speech.g2p import cmudict_path
from talkrig.core.speech.lexicon import pronunciations


def _parse():
    full = {}
    for line in cmudict_path().read_text(encoding="utf-8").splitlines():
        name, _, phones = line.partition(" ")
        full.setdefault(name.split("(")[0], []).append(phones.strip())
    return full


def test_dictionary_is_sorted_by_word_bytes():
    # the binary search relies on this order
    words = [line.split(b" ")[0].split(b"(")[0]
             for line in cmudict_path().read_bytes().splitlines() if line]
    assert all(a <= b for a, b in zip(words, words[1:]))


def test_every_word_matches_a_full_parse():
    full = _parse()
    assert len(full) > 120_000
    wrong = [w for w, prons in full.items() if pronunciations(w) != prons]
    assert wrong == []


def test_variants_and_missing_words():
    assert pronunciations("read") == ["R EH D", "R IY D"]
    assert pronunciations("the") == ["DH AH", "DH IY"]
    for absent in ("", "zzzzq", "read(2)", "two words", "readx"):
        assert pronunciations(absent) == []


def test_decoder_receives_every_pronunciation():
    ensure_words(["read", "woodcutters"])            # the second one is not in the dictionary
    dec = decoder()
    assert dec.lookup_word("read") == "R EH D"
    assert dec.lookup_word("read(2)") == "R IY D"
    assert dec.lookup_word("woodcutters")            # from g2p
