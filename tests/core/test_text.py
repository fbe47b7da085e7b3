"""Transcript normalisation: numbers, ordinals, years, currency, abbreviations, emphasis."""
from __future__ import annotations

import pytest

from talkrig.core.errors import TranscriptError
from talkrig.core.speech.text import (normalize_transcript, number_words, ordinal_words,
                                      year_words)


def words(text):
    return " ".join(normalize_transcript(text).words)


@pytest.mark.parametrize("n, spoken", [
    (0, "zero"), (13, "thirteen"), (40, "forty"), (99, "ninety nine"),
    (100, "one hundred"), (1001, "one thousand one"),
    (1234567, "one million two hundred thirty four thousand five hundred sixty seven"),
    (-5, "minus five")])
def test_cardinals(n, spoken):
    assert " ".join(number_words(n)) == spoken


@pytest.mark.parametrize("n, spoken", [(1, "first"), (2, "second"), (3, "third"), (5, "fifth"),
                                       (12, "twelfth"), (20, "twentieth"), (21, "twenty first"),
                                       (100, "one hundredth")])
def test_ordinals(n, spoken):
    assert " ".join(ordinal_words(n)) == spoken


@pytest.mark.parametrize("n, spoken", [(1984, "nineteen eighty four"), (1900, "nineteen hundred"),
                                       (2005, "two thousand five"), (2019, "twenty nineteen"),
                                       (1805, "eighteen oh five")])
def test_years(n, spoken):
    assert " ".join(year_words(n)) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("Dr. Smith paid $5.50.", "doctor smith paid five dollars and fifty cents"),
    ("It costs £1", "it costs one pound"),
    ("on the 21st of May, 1984", "on the twenty first of may nineteen eighty four"),
    ("45% of 2,000 people", "forty five percent of two thousand people"),
    ("at 3:05 or 7:00", "at three oh five or seven o'clock"),
    ("Mr Jones vs. Mrs. Brown & co", "mister jones versus missus brown and co"),
    ("the 1990s", "the nineteen nineties"),
    ("No. 7 said no.", "number seven said no"),
    ("U.S.A.", "u s a"),
    ("WELL-KNOWN, isn't it?!", "well known isn't it"),
    ("pi is 3.14", "pi is three point one four"),
    ("\u201cQuoted\u201d \u2014 it\u2019s fine", "quoted it's fine"),
])
def test_sentences(text, spoken):
    assert words(text) == spoken


def test_emphasis_markup_is_removed_and_indexed():
    t = normalize_transcript("I *really* mean *the big* one, *20* times")
    assert t.words == ("i", "really", "mean", "the", "big", "one", "twenty", "times")
    assert t.emphasis == (1, 3, 4, 6)


def test_unbalanced_emphasis_marks_rest_and_double_star_works():
    assert normalize_transcript("a **b** c").emphasis == (1,)
    assert normalize_transcript("a *b c").emphasis == (1, 2)


def test_nothing_speakable_and_bad_type():
    assert normalize_transcript(" ... !? ").words == ()
    with pytest.raises(TranscriptError):
        normalize_transcript(None)
    with pytest.raises(TranscriptError):
        normalize_transcript(b"bytes")
    assert normalize_transcript("call 5551234567").words[1:4] == ("five", "five", "five")
