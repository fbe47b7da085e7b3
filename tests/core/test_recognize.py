"""Phone recognition without a transcript, and robustness on non-speech input."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from speech_data import have_lj, lj_speech, lj_truth, phone_error_rate  # noqa: E402

from talkrig.core.curves import Speech  # noqa: E402
from talkrig.core.errors import AlignmentError, ModelRuntimeError  # noqa: E402
from talkrig.core.speech.align import phone_track  # noqa: E402
from talkrig.core.speech.recognize import (IPA_TO_ARPABET, ipa_to_arpabet,  # noqa: E402
                                           pseudo_word, recognize_rows)
from talkrig.core.speech.g2p import ARPABET  # noqa: E402

SR = 16000
needs_lj = pytest.mark.skipif(not have_lj(), reason="tests/data/ljspeech missing")


def _hama17():
    try:
        import hama.asr  # noqa: F401
        return sys.platform != "win32"
    except Exception:
        return False


needs_hama17 = pytest.mark.skipif(not _hama17(), reason="hama 1.7.0 (dev/bench only) not here")


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
def test_network_route_recognises_phones():
    sp = lj_speech("LJ001-0008")
    tr = phone_track(sp)
    _valid(tr, sp.duration)
    assert tr.source == "recognize" and tr.warnings == ()
    from talkrig.core.speech.recognize import choose_recognizer
    assert choose_recognizer(sys.platform) == "onnx"
    assert tr.recognizer.startswith("onnx: phonemes_hama17.onnx (hama 1.7.0's network)")
    # pooled over four clips (one short clip alone is too few phones to judge): measured
    # 0.15 over the 20 test clips, as hama 1.7.0's network (0.149)
    edits = n = 0
    for name in ("LJ001-0008", "LJ001-0002", "LJ001-0003", "LJ001-0004"):
        e, k = phone_error_rate(lj_truth(name), phone_track(lj_speech(name)))
        edits, n = edits + e, n + k
    assert edits / n < 0.25, edits / n


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
    # a third of the samples clipped. A known limit of the shipped network (model card):
    # with 62% clipped (gain 20) it hears 3 phones of this clip, hama 1.7.0's network 17
    sp = lj_speech("LJ001-0002")
    x = np.clip(sp.samples * 5, -0.3, 0.3).astype(np.float32)
    assert 0.25 < float(np.mean(np.abs(x) >= 0.299)) < 0.4
    tr = phone_track(Speech(x, SR))
    _valid(tr, sp.duration)
    assert sum(p != "sil" for p in tr.phones) > 10


@needs_lj
def test_without_the_runtime_phone_track_falls_back_and_says_why(monkeypatch):
    import talkrig.core.speech.phone_net as net
    import talkrig.core.speech.recognize as rec

    def broken(name="onnx"):
        raise ModelRuntimeError(f"{name}: onnxruntime cannot be loaded on this platform (test)")
    monkeypatch.setattr(rec, "phone_net", broken)      # a platform where no network loads
    assert net.phone_net("onnx") is not None            # the real loader is untouched
    sp = lj_speech("LJ001-0002")
    tr = phone_track(sp)
    _valid(tr, sp.duration)
    assert tr.source == "recognize:pocketsphinx"
    assert tr.recognizer.startswith("pocketsphinx: the ")
    assert "phoneme network cannot run here" in tr.recognizer
    assert [c for c, _ in tr.warnings] == [rec.FALLBACK_WARNING]
    assert "onnxruntime cannot be loaded" in tr.warnings[0][1]
    wrong = phone_track(sp, text="the quick brown fox jumps over the lazy dog again")
    assert wrong.source == "recognize:mismatch" and "pocketsphinx" in wrong.note
    assert rec.FALLBACK_WARNING in [c for c, _ in wrong.warnings]
    with pytest.raises(ModelRuntimeError):               # an explicit engine never falls back
        recognize_rows(sp.samples, engine="onnx")


def test_every_platform_chooses_the_shipped_onnx_recogniser():
    from talkrig.core.speech.recognize import choose_recognizer
    for platform in ("win32", "linux", "darwin"):
        assert choose_recognizer(platform) == "onnx"    # installed hama changes nothing
        assert choose_recognizer(platform, "onnx") == "onnx"
        assert choose_recognizer(platform, "pocketsphinx") == "pocketsphinx"
    assert choose_recognizer("linux", "hama") == "hama"  # the bench's reference, asked for
    with pytest.raises(AlignmentError):
        choose_recognizer("win32", "hama")               # hama 1.7.0 has no Windows binary
    with pytest.raises(AlignmentError):
        choose_recognizer("win32", "whisper")


@needs_lj
def test_a_network_that_does_not_load_is_reported_and_pocketsphinx_recognises(monkeypatch):
    import talkrig.core.speech.recognize as rec

    def broken(name="onnx"):
        raise ModelRuntimeError("onnxruntime cannot be loaded on this platform (test)")
    monkeypatch.setattr(rec, "phone_net", broken)
    name, why = rec.recognizer_status()
    assert name == "pocketsphinx" and "cannot run here" in why and "(test)" in why
    tr = phone_track(lj_speech("LJ001-0002"))
    assert tr.source == "recognize:pocketsphinx"
    assert [c for c, _ in tr.warnings] == [rec.FALLBACK_WARNING]


@needs_lj
def test_the_windows_code_path_recognises_with_the_shipped_network():
    """What a Windows bake runs: the platform check picks the ONNX network, which loads
    through onnxruntime from models/ and recognises real speech (no mock anywhere)."""
    from talkrig.core.speech.phone_net import OnnxPhoneNet, decode_piece, phone_net
    from talkrig.core.speech.recognize import choose_recognizer
    net = phone_net(choose_recognizer("win32"))
    assert isinstance(net, OnnxPhoneNet) and len(net.tokens) == 191
    sp = lj_speech("LJ001-0002")              # "in being comparatively modern."
    words = decode_piece(net, sp.samples)
    phones = [p for w in words for p in w.phones]
    truth = [t[0] for t in lj_truth("LJ001-0002") if t[0] != "sil"]
    assert len(words) >= 3 and abs(len(phones) - len(truth)) < 0.3 * len(truth)
    assert phones.count("M") >= 1 and "K" in phones          # comparatively modern


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


@needs_hama17
def test_hama17_decode_matches_hamas_own_words():
    from talkrig.core.speech import recognize as R
    from talkrig.core.speech.phone_net import phone_net
    sp = _espeak_or_lj()
    x = sp.samples
    words = R.decode_words(x, evidence=False, engine="hama")
    own = phone_net("hama").model.transcribe_waveform(x, SR).word_phoneme_text
    assert [w.phones for w in words] == [ipa_to_arpabet(c.split()) for c in own.split("|")
                                         if ipa_to_arpabet(c.split())]
    assert all(len(w.frames) == len(w.phones) and w.frames == sorted(w.frames) for w in words)


@needs_hama17
@needs_lj
def test_the_shipped_onnx_network_is_hamas_network():
    """models/phonemes_hama17.onnx (rebuilt by scripts/export_hama17_onnx.py) against hama
    1.7.0's own engine on real speech: same frames, same argmax, log-probs within 0.01,
    same words after decoding."""
    from talkrig.core.speech.phone_net import decode_piece, phone_net
    onnx, hama = phone_net("onnx"), phone_net("hama")
    assert onnx.tokens == hama.tokens and onnx.blank_id == hama.blank_id
    assert (onnx.temperature, onnx.blank_bias) == (hama.temperature, hama.blank_bias)
    for name in ("LJ001-0002", "LJ001-0008"):
        x = lj_speech(name).samples
        a, b = onnx.log_probs(x), hama.log_probs(x)
        assert a.shape == b.shape and a.shape[0] > 50
        assert np.array_equal(a.argmax(1), b.argmax(1))
        assert float(np.abs(a - b).max()) < 0.01
        wa, wb = decode_piece(onnx, x), decode_piece(hama, x)
        assert [(w.phones, w.frames, w.alternatives) for w in wa] == \
               [(w.phones, w.frames, w.alternatives) for w in wb]


def test_onnx_greedy_decoding_follows_hamas_rules():
    """Blank bias, repeats collapse, blanks drop, <wb> splits words (hama asr.py)."""
    from talkrig.core.speech.phone_net import emissions, greedy_path, phone_net
    net = phone_net("onnx")
    T, V = 9, len(net.tokens)
    lp = np.full((T, V), -20.0, np.float32)
    ids = [net.tokens.index(t) for t in ("b", "b", "<blank>", "ɑ", "<wb>", "t", "<blank>", "t", "i")]
    lp[np.arange(T), ids] = -0.01
    lp[2, net.tokens.index("t")] = -0.05                 # blank wins only by the bias margin?
    path = greedy_path(net, lp)
    assert path[2] == net.tokens.index("t")             # -0.01 - 0.1 < -0.05: bias matters
    lp[2, net.tokens.index("t")] = -20.0
    words = emissions(greedy_path(net, lp), net.tokens, net.blank_id, net.boundary)
    assert [[p for p, _ in w] for w in words] == [["B", "AA"], ["T", "T", "IY"]]
    assert [[f for _, f in w] for w in words] == [[0, 3], [5, 7, 8]]


@needs_lj
def test_pieces_heard_with_context_emit_each_phone_once():
    """Cut a clip mid-speech: the two pieces (each heard with context) together emit the
    phones of the whole clip, none twice at the seam."""
    from talkrig.core.speech.chunking import Chunk, with_context
    from talkrig.core.speech.phone_net import HOP, decode_piece, phone_net
    net = phone_net("onnx")
    x = lj_speech("LJ001-0008").samples
    whole = [p for w in decode_piece(net, x, evidence=False) for p in w.phones]
    cut = len(x) // 2 + 37                                # not on the frame grid, mid-word
    parts = []
    for ch in (Chunk(0, cut), Chunk(cut, len(x))):
        h = with_context(ch, len(x), context=SR // 2, hop=HOP)
        parts += [p for w in decode_piece(net, x[h.lo:h.hi], skip=h.skip, keep=h.keep,
                                          evidence=False) for p in w.phones]
    import difflib
    sm = difflib.SequenceMatcher(a=whole, b=parts, autojunk=False)
    assert sm.ratio() > 0.95, (whole, parts)
    assert abs(len(parts) - len(whole)) <= 2


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


def test_recognition_does_not_depend_on_what_was_recognised_before():
    # synthetic voices are where bilabial evidence adds variants to pseudo-words
    from test_align import _espeak
    from talkrig.core.speech import recognize as R
    lines = [("Bob moved five big blue boxes past the pool.", "en-us", 140),
             ("Please bring me both of those maple boards.", "en-us+m3", 190),
             ("Mom made a bumpy map of the moon.", "en-us+f3", 190)]
    clips = [_espeak(*line) for line in lines]
    assert any(w.alternatives for sp in clips for w in R.decode_words(sp.samples))

    def rows(sp):
        tr = phone_track(sp)
        return tr.phones, tr.starts.tolist(), tr.words
    first = [rows(sp) for sp in clips]
    again = [rows(sp) for sp in reversed(clips)][::-1]
    assert first == again


def test_pieces_shorter_than_the_networks_padding_give_no_phones_not_an_error():
    from talkrig.core.speech.phone_net import MIN_SAMPLES, decode_piece, phone_net
    net = phone_net("onnx")
    noise = np.random.default_rng(0).normal(0, 0.1, MIN_SAMPLES).astype(np.float32)
    for n in (0, 1, 100, MIN_SAMPLES - 1):
        assert net.log_probs(noise[:n]).shape == (0, 191)
        assert decode_piece(net, noise[:n]) == []
        assert recognize_rows(noise[:n])[0] == []
    assert net.log_probs(noise).shape == (MIN_SAMPLES // 320 + 1, 191)
