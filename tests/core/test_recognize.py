"""Phone recognition without a transcript, and robustness on non-speech input."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from speech_data import have_lj, lj_speech, lj_truth, phone_error_rate  # noqa: E402

from talkrig.core.curves import Speech  # noqa: E402
from talkrig.core.errors import AlignmentError  # noqa: E402
from talkrig.core.speech.align import phone_track  # noqa: E402
from talkrig.core.speech.recognize import (IPA_TO_ARPABET, hama_model, ipa_to_arpabet,  # noqa: E402
                                           pseudo_word, recognize_rows)
from talkrig.core.speech.g2p import ARPABET  # noqa: E402

SR = 16000
needs_lj = pytest.mark.skipif(not have_lj(), reason="tests/data/ljspeech missing")
needs_hama = pytest.mark.skipif(hama_model() is None, reason="hama not available here")


def _valid(tr, duration):
    assert len(tr.phones) > 0 and tr.starts[0] == 0.0
    assert abs(tr.ends[-1] - duration) < 1e-6
    assert np.all(tr.ends > tr.starts)
    np.testing.assert_allclose(tr.starts[1:], tr.ends[:-1], atol=1e-9)
    assert all(p == "sil" or p in ARPABET for p in tr.phones)


def test_ipa_mapping_covers_english_and_targets_arpabet():
    assert all(p in ARPABET for v in IPA_TO_ARPABET.values() for p in v.split())
    assert ipa_to_arpabet("h ɛ l oʊ".split()) == ["HH", "EH", "L", "OW"]
    assert ipa_to_arpabet(["ju", "ɾ", "ɚ", "ʔ", "iː", "tʰ"]) == ["Y", "UW", "D", "ER", "IY", "T"]
    assert pseudo_word(["R", "OW"]) == "hw_r_ow"


@needs_lj
@needs_hama
def test_hama_route_recognises_phones():
    sp = lj_speech("LJ001-0008")
    tr = phone_track(sp)
    _valid(tr, sp.duration)
    assert tr.source == "recognize"
    edits, n = phone_error_rate(lj_truth("LJ001-0008"), tr)
    assert edits / n < 0.3, edits / n


@needs_lj
def test_pocketsphinx_fallback_route():
    sp = lj_speech("LJ001-0002")
    rows, source = recognize_rows(sp.samples, engine="pocketsphinx")
    assert source == "recognize:pocketsphinx"
    phones = [r[0] for r in rows if r[0] != "sil"]
    truth = [t[0] for t in lj_truth("LJ001-0002") if t[0] != "sil"]
    assert len(phones) > 0.7 * len(truth)
    assert phones.count("M") >= 1 and "K" in phones         # comparatively modern


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(AlignmentError):
        recognize_rows(np.zeros(SR, np.float32), engine="whisper")


def _signal(kind: str) -> np.ndarray:
    t = np.arange(4 * SR) / SR
    rng = np.random.default_rng(0)
    if kind == "silence":
        return np.zeros_like(t)
    if kind == "tone":
        return 0.5 * np.sin(2 * np.pi * 440 * t)
    if kind == "music":
        gates = [(np.sin(2 * np.pi * 2 * t + k) > 0) for k in range(4)]
        return sum(0.2 * np.sin(2 * np.pi * f * t) * g for f, g in zip((220, 277, 330, 440), gates))
    if kind == "noise":
        return rng.normal(0, 0.3, len(t))
    if kind == "clicks":
        return (np.arange(len(t)) % 8000 == 0).astype(float)
    if kind == "short":
        return rng.normal(0, 0.1, 400)
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["silence", "tone", "music", "noise", "clicks", "short"])
@pytest.mark.parametrize("text", [None, "hello there, how are you"])
def test_non_speech_gives_a_sensible_track(kind, text):
    x = _signal(kind).astype(np.float32)
    sp = Speech(x, SR)
    tr = phone_track(sp, text=text)
    _valid(tr, sp.duration)
    speech_s = sum(e - s for p, s, e in zip(tr.phones, tr.starts, tr.ends) if p != "sil")
    if kind in ("silence", "tone", "music", "noise", "clicks"):
        assert speech_s < 0.25 * sp.duration, (kind, tr.phones)
    if text is not None and kind != "silence":
        assert tr.source in ("recognize:mismatch", "none")


@needs_lj
def test_clipped_speech_is_still_recognised():
    sp = lj_speech("LJ001-0002")
    x = np.clip(sp.samples * 20, -0.3, 0.3).astype(np.float32)
    tr = phone_track(Speech(x, SR))
    _valid(tr, sp.duration)
    assert sum(p != "sil" for p in tr.phones) > 10


@needs_lj
def test_without_hama_phone_track_falls_back_to_pocketsphinx(monkeypatch):
    import talkrig.core.speech.recognize as rec
    monkeypatch.setattr(rec, "_hama", False)          # as on Windows, where hama has no binary
    sp = lj_speech("LJ001-0002")
    tr = phone_track(sp)
    _valid(tr, sp.duration)
    assert tr.source == "recognize:pocketsphinx"
    wrong = phone_track(sp, text="the quick brown fox jumps over the lazy dog again")
    assert wrong.source == "recognize:mismatch" and "pocketsphinx" in wrong.note


def test_dither_is_seeded_and_quiet():
    """The retry copy for digital silence: deterministic, about -70 dBFS."""
    import numpy as np
    from talkrig.core.speech import recognize as R
    x = np.zeros(16000, np.float32)
    a, b = R.dithered(x), R.dithered(x)
    assert np.array_equal(a, b) and a.dtype == np.float32
    assert 1e-4 < float(np.std(a)) < 1e-3


def test_bilabial_variants_one_substitution_each():
    from talkrig.core.speech import recognize as R
    assert R.bilabial_variants(["T", "AA", "V", "L", "EY"]) == [["T", "AA", "B", "L", "EY"]]
    assert R.bilabial_variants(["F", "AY", "V"]) == [["P", "AY", "V"], ["F", "AY", "B"]]
    assert R.bilabial_variants(["T", "AA", "N"]) == []


def test_dither_is_a_noise_floor_below_the_speech_and_deterministic():
    from talkrig.core.speech.recognize import DITHER_DB, DITHER_MIN_STD, dither_std, dithered
    t = np.arange(SR) / SR
    loud = (0.3 * np.sin(2 * np.pi * 200 * t) * (t < 0.5)).astype(np.float32)  # then zeros
    std = dither_std(loud)
    assert abs(20 * np.log10(0.3 / np.sqrt(2) / std) - DITHER_DB) < 0.5
    assert dither_std(loud * 1e-3) == DITHER_MIN_STD
    assert dither_std(np.zeros(SR, np.float32)) == DITHER_MIN_STD
    a, b = dithered(loud), dithered(loud)
    np.testing.assert_array_equal(a, b)
    assert abs(float(np.std(a[SR // 2:])) - std) < 0.05 * std


def _posteriors(frames: int, tokens, peaks) -> np.ndarray:
    """Log-probabilities where every frame is blank except ``peaks`` {frame: {token: p}}."""
    p = np.full((frames, len(tokens)), 1e-6, np.float64)
    p[:, tokens.index("<blank>")] = 1.0
    for t, mass in peaks.items():
        for tok, v in mass.items():
            p[t, tokens.index(tok)] = v
        p[t, tokens.index("<blank>")] = max(1e-6, 1.0 - sum(mass.values()))
    return np.log(p / p.sum(axis=1, keepdims=True)).astype(np.float32)


def test_bilabial_evidence_offers_the_dropped_consonant():
    from talkrig.core.speech import recognize as R
    tokens = ["<blank>", "<wb>", "b", "p", "m", "ɑ", "v", "t", "i"]
    labial = R._bilabial_tokens(tokens)
    assert labial == {"B": [2], "P": [3], "M": [4]}
    # "bob" heard as ɑ-v: b at 0.3 two frames before the vowel; "pea" heard as t-i
    lp = _posteriors(30, tokens, {5: {"b": 0.3}, 7: {"ɑ": 0.9}, 12: {"v": 0.9},
                                  20: {"t": 0.6, "p": 0.3}, 23: {"i": 0.9}})
    ids = lp.argmax(axis=1)
    words = [R.HamaWord(["AA", "V"], [7, 12]), R.HamaWord(["T", "IY"], [20, 23])]
    R._evidence_alternatives(words, lp, ids, labial)
    assert ["B", "AA", "V"] in words[0].alternatives
    assert ["P", "IY"] in words[1].alternatives            # replaces the nearest consonant
    assert all(a != w.phones for w in words for a in w.alternatives)
    assert words[0].forced and words[1].forced          # 0.3 >= BILABIAL_FORCE
    mid = _posteriors(30, tokens, {5: {"b": 0.1}, 7: {"ɑ": 0.9}, 12: {"v": 0.9}})
    w1 = [R.HamaWord(["AA", "V"], [7, 12])]
    R._evidence_alternatives(w1, mid, mid.argmax(axis=1), labial)
    assert w1[0].alternatives == [["B", "AA", "V"]] and not w1[0].forced
    # no evidence below the threshold, and none where a bilabial is already emitted
    weak = _posteriors(30, tokens, {5: {"b": 0.02}, 7: {"ɑ": 0.9}, 12: {"v": 0.9}})
    w2 = [R.HamaWord(["AA", "V"], [7, 12])]
    R._evidence_alternatives(w2, weak, weak.argmax(axis=1), labial)
    assert w2[0].alternatives == []
    near = _posteriors(30, tokens, {6: {"b": 0.3}, 7: {"b": 0.6}, 9: {"ɑ": 0.9}})
    w3 = [R.HamaWord(["B", "AA"], [7, 9])]
    R._evidence_alternatives(w3, near, near.argmax(axis=1), labial)
    assert w3[0].alternatives == []


@pytest.mark.skipif(hama_model() is None, reason="hama has no binary here")
def test_hama_decode_matches_hamas_own_words():
    from talkrig.core.speech import recognize as R
    sp = _espeak_or_lj()
    x = sp.samples
    words = R.hama_decode(x)
    own = R.hama_model().transcribe_waveform(x, SR).word_phoneme_text
    assert [w.phones for w in words] == [ipa_to_arpabet(c.split()) for c in own.split("|")
                                         if ipa_to_arpabet(c.split())]
    assert all(len(w.frames) == len(w.phones) and w.frames == sorted(w.frames) for w in words)


def _espeak_or_lj():
    if have_lj():
        return lj_speech("LJ001-0002")
    pytest.skip("needs tests/data/ljspeech")


def test_pseudo_word_names_stand_for_one_set_of_pronunciations():
    from talkrig.core.speech.recognize import pseudo_word
    assert pseudo_word(["R", "OW"]) == "hw_r_ow"
    a = pseudo_word(["AA", "V"], [["B", "AA", "V"]])
    b = pseudo_word(["AA", "V"], [["AA", "B"]])
    assert a.startswith("hw_aa_v_x") and b.startswith("hw_aa_v_x") and a != b
    assert a == pseudo_word(["AA", "V"], [["B", "AA", "V"]])
    # the decoder's dictionary outlives a call: each name keeps its own variants
    from talkrig.core.speech.align import decoder, ensure_words
    from talkrig.core.speech.recognize import add_variants
    for name, alts in ((a, [["B", "AA", "V"]]), (b, [["AA", "B"]])):
        ensure_words([name], prons={name: ["AA", "V"]})
        add_variants([name], {name: ["AA", "V"]}, {name: alts})
    dec = decoder()
    assert dec.lookup_word(f"{a}(2)") == "AA B"            # the v -> b second opinion
    assert dec.lookup_word(f"{a}(3)") == "B AA V"
    assert dec.lookup_word(f"{b}(2)") == "AA B" and dec.lookup_word(f"{b}(3)") is None


@pytest.mark.skipif(hama_model() is None, reason="hama has no binary here")
def test_recognition_does_not_depend_on_what_was_recognised_before():
    # synthetic voices are where bilabial evidence adds variants to pseudo-words
    from test_align import _espeak
    from talkrig.core.speech import recognize as R
    lines = [("Bob moved five big blue boxes past the pool.", "en-us", 140),
             ("Please bring me both of those maple boards.", "en-us+m3", 190),
             ("Mom made a bumpy map of the moon.", "en-us+f3", 190)]
    clips = [_espeak(*line) for line in lines]
    assert any(w.alternatives for sp in clips for w in R.hama_decode(sp.samples))

    def rows(sp):
        tr = phone_track(sp)
        return tr.phones, tr.starts.tolist(), tr.words
    first = [rows(sp) for sp in clips]
    again = [rows(sp) for sp in reversed(clips)][::-1]
    assert first == again
