"""Forced alignment on real speech (LJSpeech clips with MFA phone TextGrids).

Also runnable as a benchmark that prints boundary error, real-time factors and phone error
rate over all 32 clips (and CMU ARCTIC a0009 when ``examples/arctic/`` holds it)::

    taskset -c 0 .venv/bin/python tests/core/test_align.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from speech_data import (REPO, boundary_errors, have_lj, lj_ids, lj_speech, lj_text,  # noqa: E402
                         lj_truth, phone_error_rate)

from talkrig.core.curves import PhoneTrack, Speech  # noqa: E402
from talkrig.core.errors import AudioError, TranscriptError  # noqa: E402
from talkrig.core.speech.align import phone_track  # noqa: E402

needs_lj = pytest.mark.skipif(not have_lj(), reason="tests/data/ljspeech missing")


def _check_track(tr: PhoneTrack, duration: float) -> None:
    assert len(tr.phones) == len(tr.starts) == len(tr.ends) == len(tr.words) > 0
    assert tr.starts[0] == 0.0 and abs(tr.ends[-1] - duration) < 1e-6
    assert np.all(tr.ends > tr.starts)
    np.testing.assert_allclose(tr.starts[1:], tr.ends[:-1], atol=1e-9)   # no gaps
    assert all(p == "sil" or (p.isupper() and not p[-1].isdigit()) for p in tr.phones)
    assert not any(a == b == "sil" for a, b in zip(tr.phones, tr.phones[1:]))


@needs_lj
@pytest.mark.parametrize("clip", ["LJ001-0002", "LJ001-0008"])
def test_alignment_matches_mfa_boundaries(clip):
    sp = lj_speech(clip)
    tr = phone_track(sp, text=lj_text(clip))
    _check_track(tr, sp.duration)
    assert tr.source == "align", tr.note
    err = boundary_errors(lj_truth(clip), tr)
    assert len(err) >= 0.8 * sum(1 for t in lj_truth(clip) if t[0] != "sil")
    assert np.median(err) < 0.025 and np.percentile(err, 90) < 0.06, np.percentile(err, [50, 90])
    words = [w for w in tr.words if w]
    assert words[0] == lj_text(clip).split()[0]


@needs_lj
def test_oov_word_aligns_with_g2p():
    # LJ001-0003 contains "woodcutters", which the CMU dictionary lacks
    sp = lj_speech("LJ001-0003")
    tr = phone_track(sp, text=lj_text("LJ001-0003"))
    assert tr.source == "align"
    assert "woodcutters" in tr.words
    err = boundary_errors(lj_truth("LJ001-0003"), tr)
    assert np.median(err) < 0.03


@needs_lj
def test_wrong_transcript_is_detected_and_recognised():
    sp = lj_speech("LJ001-0001")
    tr = phone_track(sp, text=lj_text("LJ001-0010"))
    _check_track(tr, sp.duration)
    assert tr.source == "recognize:mismatch"
    assert "does not match" in tr.note
    # recognition still finds the speech: most of the clip is not silence
    speech_s = sum(e - s for p, s, e in zip(tr.phones, tr.starts, tr.ends) if p != "sil")
    assert speech_s > 0.6 * sp.duration


@needs_lj
def test_half_wrong_transcript_is_detected():
    # the grey zone: the first half of the words fit, the second half is another sentence
    words = lj_text("LJ001-0006").split()
    other = lj_text("LJ001-0011").split()
    half = len(words) // 2
    sp = lj_speech("LJ001-0006")
    tr = phone_track(sp, text=" ".join(words[:half] + other[:len(words) - half]))
    assert tr.source == "recognize:mismatch", tr.note


@needs_lj
@pytest.mark.parametrize("clip, words_of, rejected", [("LJ001-0004", "LJ001-0004", False),
                                                      ("LJ001-0004", "LJ001-0012", True)])
def test_cross_check_judges_on_pocketsphinx_state_pass(monkeypatch, clip, words_of, rejected):
    """A piece whose cheap-stage score is uncertain is aligned again with pocketsphinx's own
    state pass and compared with the free reference on that scale (REF_MARGIN's): the
    right words pass even when the cheap stage scored them -50/frame, wrong ones fail."""
    from talkrig.core.speech import align as A, decoder as D
    from talkrig.core.speech.chunking import pcm16
    from talkrig.core.speech.text import normalize_transcript
    ps_passes = []
    real = D._ps_alignment
    monkeypatch.setattr(D, "_ps_alignment", lambda *a: ps_passes.append(1) or real(*a))
    x = A._samples16k(lj_speech(clip))
    words = list(normalize_transcript(lj_text(words_of)).words)
    frames = len(x) // 160
    uncertain = D.Aligned([], -50.0 * frames, frames, ((-50.0 * frames, frames),))
    assert D.BAD_SCORE < -50.0 < D.FAIR_SCORE
    reason, rec = A._check_piece(uncertain, x, 0.0, pcm16(x), words)
    assert ps_passes and rec                          # reference and words on its pass
    assert bool(reason) == rejected, reason


@needs_lj
@pytest.mark.parametrize("damage", ["clipped", "noisy"])
def test_correct_transcript_survives_damaged_audio(damage):
    sp = lj_speech("LJ001-0007")
    x = sp.samples
    if damage == "clipped":
        x = np.clip(x * 4.0, -0.3, 0.3)
    else:
        x = x + np.random.default_rng(0).normal(0, 0.03, len(x)).astype(np.float32)
    tr = phone_track(Speech(x.astype(np.float32), 16000), text=lj_text("LJ001-0007"))
    assert tr.source == "align", tr.note
    assert np.median(boundary_errors(lj_truth("LJ001-0007"), tr)) < 0.04


@needs_lj
def test_transcript_too_long_for_audio_is_a_mismatch():
    sp = lj_speech("LJ001-0002")         # 1.9 s, "in being comparatively modern"
    tr = phone_track(sp, text=lj_text("LJ001-0001") + " " + lj_text("LJ001-0003"))
    assert tr.source == "recognize:mismatch"


@needs_lj
def test_emphasis_marks_phones_of_marked_words():
    sp = lj_speech("LJ001-0002")
    tr = phone_track(sp, text="In being *comparatively* modern.")
    assert tr.source == "align"
    assert len(tr.emphasis) == len(tr.phones)
    marked = {w for w, e in zip(tr.words, tr.emphasis) if e}
    assert marked == {"comparatively"}


@needs_lj
def test_written_numbers_are_normalised_before_alignment():
    sp = lj_speech("LJ001-0002")
    tr = phone_track(sp, text="IN BEING, comparatively... modern!")
    assert tr.source == "align"


@needs_lj
def test_result_does_not_depend_on_earlier_calls():
    a, b = lj_speech("LJ001-0002"), lj_speech("LJ001-0011")
    first = phone_track(a, text=lj_text("LJ001-0002"))
    first_rec = phone_track(a)
    phone_track(b, text=lj_text("LJ001-0011"))
    phone_track(Speech(b.samples * 0.05, 16000))
    again, again_rec = phone_track(a, text=lj_text("LJ001-0002")), phone_track(a)
    assert first.phones == again.phones and np.array_equal(first.starts, again.starts)
    assert first_rec.phones == again_rec.phones
    np.testing.assert_array_equal(first_rec.starts, again_rec.starts)


def test_silence_gives_all_sil():
    sp = Speech(np.zeros(16000, dtype=np.float32), 16000)
    tr = phone_track(sp, text="hello world")
    assert tr.phones == ("sil",) and tr.source == "none"
    _check_track(tr, 1.0)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(AudioError):
        phone_track(np.zeros(100, dtype=np.float32))
    with pytest.raises(AudioError):
        phone_track(Speech(np.full(16000, np.nan, dtype=np.float32), 16000))
    with pytest.raises(AudioError):
        phone_track(Speech(np.zeros(0, dtype=np.float32), 16000))
    with pytest.raises(TranscriptError):
        phone_track(Speech(np.zeros(16000, dtype=np.float32) + 0.1, 16000), text=42)


def test_other_sample_rate_is_resampled():
    sp = Speech(np.zeros(44100, dtype=np.float32), 44100)
    tr = phone_track(sp)
    assert abs(tr.ends[-1] - 1.0) < 1e-3


def _espeak(text: str, voice: str, rate: int = 140):
    """A synthetic voice (libespeak-ng through bench.corpora) as 16 kHz Speech, or skip."""
    pytest.importorskip("espeakng_loader")
    sys.path.insert(0, str(REPO))
    from bench.corpora import EspeakSynth
    from scipy.signal import resample_poly
    try:
        syn = EspeakSynth()
        x, _ = syn.synth(text, voice=voice, rate=rate)
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"espeak-ng unavailable: {exc}")
    y = x.astype(np.float32) / 32768.0
    g = np.gcd(syn.sr, 16000)
    return Speech(resample_poly(y, 16000 // g, syn.sr // g).astype(np.float32), 16000)


# sentences whose stop closures espeak-ng writes as exact zeros for its male voices; the
# alignment found no path through them before signals with digital silence were dithered
MALE_CASES = [("en-us", 140, "Mom made a bumpy map of the moon."),
              ("en-us+m3", 190, "Peter packed a purple pepper in the paper bag."),
              ("en-us", 190, "Tim ate a cheap peach and a sweet beet.")]


@pytest.mark.parametrize("voice,rate,text", MALE_CASES)
def test_synthetic_male_voice_with_correct_transcript_aligns(voice, rate, text):
    sp = _espeak(text, voice, rate)
    tr = phone_track(sp, text=text)
    _check_track(tr, sp.duration)
    assert tr.source == "align", tr.note
    words = [w for w in dict.fromkeys(tr.words) if w]
    assert words == [w.strip(".").lower() for w in dict.fromkeys(text.split())]


def test_synthetic_male_voice_with_wrong_transcript_is_a_mismatch():
    sp = _espeak(MALE_CASES[0][2], "en-us", 140)
    tr = phone_track(sp, text="Very few voices fade over the waves.")
    assert tr.source == "recognize:mismatch", tr.note
    half = "Mom made a bumpy map of " + "the waves"
    sp = _espeak("Mom made a bumpy map of the moon. Please bring me both of those maple boards.",
                 "en-us+m3", 140)
    tr = phone_track(sp, text=half + " Five vivid violins played for the visitors.")
    assert tr.source == "recognize:mismatch", tr.note


# ----------------------------------------------------------------------- benchmark

def _arctic():
    folder = REPO / "examples" / "arctic"
    wavs = sorted(folder.glob("*a0009*.wav")) if folder.is_dir() else []
    labs = sorted(folder.glob("*a0009*.lab")) if folder.is_dir() else []
    return (wavs[0], labs[0]) if wavs and labs else None


def _read_hts_lab(path) -> list:
    rows = []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3:
            ph = parts[2].split("-")[1].split("+")[0] if "-" in parts[2] else parts[2]
            ph = ph.upper()
            rows.append(("sil" if ph.lower() in ("pau", "sil", "h#") else ph,
                         int(parts[0]) * 1e-7, int(parts[1]) * 1e-7))
    return rows


def main() -> int:
    if not have_lj():
        print("no LJSpeech clips; nothing to measure")
        return 0
    ids = lj_ids()
    phone_track(lj_speech(ids[0]), text=lj_text(ids[0]))        # warm up (decoder load)
    phone_track(lj_speech(ids[0]))
    from talkrig.core.speech.recognize import recognize_rows
    errs, t_align, t_rec, audio_s, edits, ref_n, sources = [], 0.0, 0.0, 0.0, 0, 0, []
    c_align, c_rec, c_ps, ps_edits = 0.0, 0.0, 0.0, 0
    for cid in ids:
        sp = lj_speech(cid)
        truth = lj_truth(cid)
        t0, c0 = time.perf_counter(), time.process_time()
        tr = phone_track(sp, text=lj_text(cid))
        t_align += time.perf_counter() - t0
        c_align += time.process_time() - c0
        sources.append(tr.source)
        errs.append(boundary_errors(truth, tr))
        t0, c0 = time.perf_counter(), time.process_time()
        rec = phone_track(sp)
        t_rec += time.perf_counter() - t0
        c_rec += time.process_time() - c0
        d, n = phone_error_rate(truth, rec)
        edits, ref_n, audio_s = edits + d, ref_n + n, audio_s + sp.duration
        c0 = time.process_time()
        rows, _ = recognize_rows(sp.samples, engine="pocketsphinx")
        c_ps += time.process_time() - c0
        ps = PhoneTrack(tuple(r[0] for r in rows), np.array([r[1] for r in rows]),
                        np.array([r[2] for r in rows]), tuple(r[3] for r in rows))
        ps_edits += phone_error_rate(truth, ps)[0]
    e = np.concatenate(errs) * 1000
    cpu_line = (f"  (CPU time: alignment {audio_s / c_align:.1f}x, hama recognition "
          f"{audio_s / c_rec:.1f}x, pocketsphinx-only recognition {audio_s / c_ps:.1f}x real time;"
          f" pocketsphinx-only phone error rate {ps_edits / ref_n * 100:.1f}%)")
    # printed after the summary below
    print(f"LJSpeech {len(ids)} clips, {audio_s:.1f} s; sources {sorted(set(sources))}")
    print(f"  boundary error vs MFA: median {np.median(e):.1f} ms, p90 "
          f"{np.percentile(e, 90):.1f} ms, within 20 ms {np.mean(e <= 20) * 100:.1f}% "
          f"({len(e)} boundaries)")
    print(f"  alignment {audio_s / t_align:.1f}x real time; recognition "
          f"{audio_s / t_rec:.1f}x real time")
    print(f"  phone error rate without transcript: {edits / ref_n * 100:.1f}% ({ref_n} phones)")
    print(cpu_line)
    arctic = _arctic()
    if arctic:
        import soundfile as sf
        x, sr = sf.read(str(arctic[0]), dtype="float32")
        text = "He turned sharply, and faced Gregson across the table."
        tr = phone_track(Speech(x, sr), text=text)
        truth = _read_hts_lab(arctic[1])
        ea = boundary_errors(truth, tr) * 1000
        print(f"ARCTIC a0009: median {np.median(ea):.1f} ms, p90 {np.percentile(ea, 90):.1f} ms "
              f"({len(ea)} boundaries, source {tr.source})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
