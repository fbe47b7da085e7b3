"""The one-pass aligner (core/speech/hmm_align.py) over pocketsphinx's acoustic model
(core/speech/acoustic.py), on real speech: it must time phones as pocketsphinx's own two
passes do, pick the pronunciation the audio holds, and say when the words cannot fit."""
from __future__ import annotations

import numpy as np
import pytest

from tests.core.speech_data import have_lj, lj_speech, lj_text

pytestmark = pytest.mark.skipif(not have_lj(), reason="LJ Speech clips missing")

CLIPS = ("LJ001-0002", "LJ001-0004", "LJ001-0005")


def _prons(words):
    from talkrig.core.speech.lexicon import pronunciations
    return [[p.split() for p in pronunciations(w)] for w in words]


def _words(clip):
    from talkrig.core.speech.text import normalize_transcript
    return list(normalize_transcript(lj_text(clip)).words)


def test_model_tables():
    from talkrig.core.speech import acoustic as AC
    m = AC.load_model()
    assert len(m.ciphones) == 42 and m.ciphones[m.sil] == "SIL"
    assert m.filler[m.ci("+NSN+")] and not m.filler[m.ci("AH")]
    # a triphone has its own senones, all in its base phone's codebook
    tri = m.phone_id(m.ci("AH"), m.ci("K"), m.ci("T"), AC.WPOS_INTERNAL)
    assert tri >= len(m.ciphones)
    assert set(m.sen2cb[m.senones(tri)]) == {m.ci("AH")}
    assert not np.array_equal(m.senones(tri), m.senones(m.ci("AH")))
    # a context after a filler is read as silence; silence itself has no triphones
    assert m.phone_id(m.ci("K"), m.ci("+NSN+"), m.ci("AE"), AC.WPOS_BEGIN) == \
        m.phone_id(m.ci("K"), m.sil, m.ci("AE"), AC.WPOS_BEGIN)
    assert m.phone_id(m.sil, m.ci("K"), m.ci("AE"), AC.WPOS_SINGLE) == m.sil
    # transition rows are log-probabilities of a left-to-right HMM
    t = np.exp(m.log_tmat(m.ci("AH")))
    assert np.allclose(t.sum(axis=1), 1.0, atol=2e-4) and t[1, 0] == 0 and t[2, 1] == 0
    # the model's skips have probability 0 and stay impossible, as in tmat.c (its
    # "floor them even if they are zero" branch is compiled out): 3 frames a phone at least;
    # the fallback table allows them at the floor
    assert t[0, 2] == 0 and t[1, 3] == 0
    ts = np.exp(m.log_tmat(m.ci("AH"), skips=True))
    assert np.isclose(ts[0, 2], AC.TMAT_FLOOR, rtol=1e-3) and ts[1, 3] > 0


def test_senone_scores_prefer_the_spoken_phone():
    """At the middle of an MFA-timed vowel, its own senones outscore another vowel's."""
    from talkrig.core.speech import acoustic as AC, mfcc
    from talkrig.core.speech.chunking import pcm16
    m = AC.load_model()
    sp = lj_speech("LJ001-0002")
    f = mfcc.features(mfcc.cepstra(np.frombuffer(pcm16(sp.samples), np.int16)))
    own = m.senones(m.ci("IH"))
    other = m.senones(m.ci("AA"))
    sc = AC.senone_scores(m, f, np.concatenate([own, other]))
    assert sc.shape == (len(f), 6) and np.isfinite(sc).all()
    # "in being comparatively modern": IH of "in" is spoken within the first 0.35 s
    frames = slice(5, 25)
    assert sc[frames, :3].max(axis=1).mean() > sc[frames, 3:].max(axis=1).mean()


@pytest.mark.parametrize("clip", CLIPS)
def test_times_phones_as_pocketsphinx_does(clip, monkeypatch):
    from talkrig.core.speech import decoder as D, hmm_align as H
    from talkrig.core.speech.chunking import pcm16
    sp = lj_speech(clip)
    words = _words(clip)
    monkeypatch.setattr(D, "STATE_PASS", "pocketsphinx")        # both passes its own
    D.reset_decoder_state()
    ref = D.align_pcm(pcm16(sp.samples), words)
    segs = H.align_samples(sp.samples, _prons(words))
    assert ref is not None and segs is not None
    theirs = [(p, s) for p, s, _e, *_ in ref.phones if p != "sil"]
    ours = [(p, a * 0.01) for p, a, _n, _wi, _v, _sc in segs if p != "sil"]
    assert [p for p, _ in ours] == [p for p, _ in theirs]
    diff = np.abs(np.array([s for _, s in ours]) - np.array([s for _, s in theirs]))
    assert np.median(diff) <= 0.010 and np.mean(diff <= 0.020) >= 0.85, diff
    # every word starts on the frame pocketsphinx's grammar pass starts it (its word
    # boundaries decide the state pass's): the first phone of a word as fsg_lextree.c
    # builds it, no skips. With proper left contexts and skips, 13 of 43 words of these
    # clips started 1-7 frames off.
    theirs_w = {i: round(s * 100) for p, s, _e, w, i in reversed(ref.phones) if w}
    ours_w = {wi: a for _p, a, _n, wi, _v, _sc in reversed(segs) if wi >= 0}
    assert ours_w == theirs_w
    # every frame belongs to one segment, in order; words in order
    assert segs[0][1] == 0 and sum(n for _, _, n, *_ in segs) == sum(1 for _ in range(
        segs[-1][1] + segs[-1][2]))
    idx = [wi for _, _, _, wi, _, _ in segs if wi >= 0]
    assert idx == sorted(idx) and set(idx) == set(range(len(words)))


def test_picks_the_pronunciation_the_audio_holds():
    """A word offered with a wrong pronunciation first still gets its spoken one."""
    from talkrig.core.speech import hmm_align as H
    clip = "LJ001-0002"
    words = _words(clip)
    prons = _prons(words)
    k = words.index("modern")
    right = prons[k][0]
    prons[k] = [["B", "AA", "N", "AE", "N", "AH"], right]
    segs = H.align_samples(lj_speech(clip).samples, prons)
    chosen = {v for _, _, _, wi, v, _ in segs if wi == k}
    assert chosen == {1}
    assert [p for p, _, _, wi, _, _ in segs if wi == k] == right


def test_too_short_for_the_words():
    from talkrig.core.speech import hmm_align as H
    sp = lj_speech("LJ001-0002")
    words = _words("LJ001-0002")
    assert H.align_samples(sp.samples[:int(0.15 * sp.sr)], _prons(words)) is None
    assert H.align_samples(sp.samples[:100], _prons(words)) is None


def test_too_few_frames_for_three_states_a_phone_uses_the_skips():
    """0.6 s for 23 phones: no path with 3 frames a phone, so the HMMs' skips are allowed
    (as a fallback) instead of giving up."""
    from talkrig.core.speech import hmm_align as H
    sp = lj_speech("LJ001-0002")
    prons = _prons(_words("LJ001-0002"))
    x = sp.samples[:int(0.6 * sp.sr)]
    n_phones = sum(min(len(p) for p in w) for w in prons)
    segs = H.align_samples(x, prons)
    assert segs is not None and sum(n for _p, _a, n, *_ in segs) < 3 * n_phones
    assert min(n for _p, _a, n, *_ in segs) < 3
    # with room for 3 frames each, no phone is shorter
    long = H.align_samples(sp.samples[:int(1.0 * sp.sr)], prons)
    assert min(n for _p, _a, n, *_ in long) >= 3


def test_deterministic():
    from talkrig.core.speech import hmm_align as H
    sp = lj_speech("LJ001-0004")
    prons = _prons(_words("LJ001-0004"))
    assert H.align_samples(sp.samples, prons) == H.align_samples(sp.samples, prons)


def test_audio_route_uses_it_and_the_reference_score_stays_pocketsphinx(monkeypatch):
    """Recognition times its words with the one-pass aligner; the transcript check's free
    reference (``stats``) goes through ``align_pcm`` with pocketsphinx's own state pass,
    the scale the cross-check's REF_MARGIN was measured on."""
    from talkrig.core.speech import hmm_align as H, recognize as R
    from talkrig.core.errors import AlignmentError
    from talkrig.core.speech import decoder as D
    calls, ps_passes = [], []
    real = H.align_samples
    monkeypatch.setattr(H, "align_samples", lambda *a, **k: calls.append(1) or real(*a, **k))
    real_ps = D._ps_alignment
    monkeypatch.setattr(D, "_ps_alignment", lambda *a: ps_passes.append(1) or real_ps(*a))
    x = lj_speech("LJ001-0002").samples
    rows, source = R.recognize_rows(x)
    assert source == "recognize" and calls
    assert any(p == "M" for p, *_ in rows)                     # "modern"
    n = len(calls)
    stats = {}
    R.recognize_rows(x, stats=stats)
    assert len(calls) == n and stats["frames"] > 0 and stats["score"] < 0
    assert ps_passes and D.CHECK_STATE_PASS == "pocketsphinx"
    with pytest.raises(AlignmentError):
        R.use_aligner("nope")


def _align(clip_audio, words, mode, monkeypatch):
    from talkrig.core.speech import decoder as D
    from talkrig.core.speech.chunking import pcm16
    monkeypatch.setattr(D, "STATE_PASS", mode)
    D.reset_decoder_state()
    return D.align_pcm(pcm16(clip_audio), words)


@pytest.mark.parametrize("clip", CLIPS)
def test_state_pass_in_numpy_times_phones_as_pocketsphinx(clip, monkeypatch):
    """``align_pcm``'s second pass done by ``hmm_align.align_fixed`` (STATE_PASS 'own')
    gives the phones, words and times of pocketsphinx's own state pass."""
    x = lj_speech(clip).samples
    words = _words(clip)
    ref = _align(x, words, "pocketsphinx", monkeypatch)
    own = _align(x, words, "own", monkeypatch)
    assert ref is not None and own is not None
    assert [(p, w, i) for p, _s, _e, w, i in own.phones] == \
        [(p, w, i) for p, _s, _e, w, i in ref.phones]
    d = np.abs(np.array([r[1] for r in own.phones]) - np.array([r[1] for r in ref.phones]))
    assert np.median(d) == 0.0 and np.mean(d <= 0.0101) >= 0.95, d
    assert own.frames == ref.frames and len(own.word_scores) == len(words)
    # every phone stays inside its word's frames from the grammar pass, as in
    # state_align_search.c, so each word (and pause) starts exactly where pocketsphinx's does
    firsts = [k for k in range(len(ref.phones))
              if k == 0 or ref.phones[k][3:] != ref.phones[k - 1][3:]]
    assert [own.phones[k][1] for k in firsts] == [ref.phones[k][1] for k in firsts]


def test_state_pass_scores_tell_right_from_wrong_transcripts(monkeypatch):
    """On the check's scale (a free phone loop as each frame's best): the clip's own words
    score above GOOD_SCORE, half of them swapped for another clip's fall below FAIR_SCORE
    with a word below WORD_BAD_SCORE, another clip's words below BAD_SCORE or no path."""
    from talkrig.core.speech import decoder as D
    clip, other = "LJ001-0005", "LJ001-0010"
    x = lj_speech(clip).samples
    words, others = _words(clip), _words(other)
    right = _align(x, words, "own", monkeypatch)
    half = _align(x, words[:len(words) // 2] + others[len(words) // 2:], "own", monkeypatch)
    wrong = _align(x, others, "own", monkeypatch)
    assert right.score / right.frames >= D.GOOD_SCORE
    assert half.score / half.frames < D.FAIR_SCORE and half.worst_word() < D.WORD_BAD_SCORE
    assert wrong is None or wrong.score / wrong.frames < D.BAD_SCORE
    # one word held over a whole sentence: mostly pause over speech, far below
    lone = _align(x, ["e"], "own", monkeypatch)
    assert lone.score / lone.frames < D.FAIR_SCORE
