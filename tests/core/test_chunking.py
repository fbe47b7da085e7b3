"""Cutting long audio at pauses, and alignment of minutes-long speech across seams."""
from __future__ import annotations

import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from speech_data import boundary_errors, have_lj, lj_ids, lj_speech, lj_text, lj_truth  # noqa: E402

from talkrig.core.curves import Speech  # noqa: E402
from talkrig.core.errors import AudioError  # noqa: E402
from talkrig.core.speech.align import phone_track  # noqa: E402
from talkrig.core.speech.text import normalize_transcript  # noqa: E402
from talkrig.core.speech.chunking import (frame_energy_db, has_digital_silence,  # noqa: E402
                                          merge_segments, split_at_pauses)

SR = 16000
needs_lj = pytest.mark.skipif(not have_lj(), reason="tests/data/ljspeech missing")


def _bursts(seed=0, n=30):
    """Noise bursts (1-4 s) separated by quiet pauses (0.3-0.8 s); returns signal, pauses."""
    rng = np.random.default_rng(seed)
    parts, pauses, pos = [], [], 0
    for _ in range(n):
        burst = rng.normal(0, 0.2, int(rng.uniform(1, 4) * SR)).astype(np.float32)
        gap = rng.normal(0, 0.001, int(rng.uniform(0.3, 0.8) * SR)).astype(np.float32)
        parts += [burst, gap]
        pauses.append((pos + len(burst), pos + len(burst) + len(gap)))
        pos += len(burst) + len(gap)
    return np.concatenate(parts), pauses


def test_chunks_cover_signal_and_respect_limits():
    x, _ = _bursts()
    chunks = split_at_pauses(x, SR, min_s=8, max_s=25)
    assert chunks[0].start == 0 and chunks[-1].end == len(x)
    assert all(a.end == b.start for a, b in zip(chunks, chunks[1:]))
    for c in chunks[:-1]:
        assert 8 * SR <= c.end - c.start <= 25 * SR + 160


def test_cuts_fall_inside_pauses():
    x, pauses = _bursts(seed=1)
    for c in split_at_pauses(x, SR, min_s=8, max_s=25)[1:]:
        assert any(a <= c.start <= b for a, b in pauses), c.start / SR


def test_short_signal_is_one_chunk_and_bad_limits_raise():
    x = np.zeros(5 * SR, dtype=np.float32)
    assert len(split_at_pauses(x, SR)) == 1
    with pytest.raises(AudioError):
        split_at_pauses(x, SR, min_s=10, max_s=5)


def test_unbroken_signal_is_still_cut():
    x = np.random.default_rng(2).normal(0, 0.1, 70 * SR).astype(np.float32)
    chunks = split_at_pauses(x, SR, min_s=8, max_s=25)
    assert len(chunks) >= 3 and all(c.end - c.start <= 25 * SR + 160 for c in chunks)


def test_energy_is_bounded_blockwise():
    x = np.ones(SR, dtype=np.float32) * 0.5
    e = frame_energy_db(x, SR, block_frames=7)
    assert e.shape == (100,) and np.allclose(e, 10 * np.log10(0.25), atol=1e-3)


def test_merge_segments_joins_silences_and_fills_gaps():
    a = [("HH", 0.0, 0.1, "hi", 0), ("AY", 0.1, 0.3, "hi", 0), ("sil", 0.3, 0.5, "", -1)]
    b = [("sil", 0.5, 0.6, "", -1), ("OW", 0.7, 0.9, "oh", 1)]
    rows = merge_segments([a, b])
    assert [r[0] for r in rows] == ["HH", "AY", "sil", "OW"]
    assert rows[2][1:3] == (0.3, 0.7)


def _concat(ids, gap_s=0.0):
    parts, texts, truth, off = [], [], [], 0.0
    for c in ids:
        sp = lj_speech(c)
        parts += [sp.samples, np.zeros(int(gap_s * SR), np.float32)]
        texts.append(lj_text(c))
        truth += [(p, s + off, e + off) for p, s, e in lj_truth(c)]
        off += sp.duration + gap_s
    return Speech(np.concatenate(parts), SR), " ".join(texts), truth


def _collapse(seq):
    return [w for i, w in enumerate(seq) if w and (i == 0 or seq[i - 1] != w)]


@needs_lj
def test_minutes_of_speech_align_across_seams():
    speech, text, truth = _concat(lj_ids()[:20])          # about 2.3 minutes, no added gaps
    assert speech.duration > 120
    tr = phone_track(speech, text=text)
    assert tr.source == "align", tr.note
    # every transcript word once, in order: no duplicates or losses at seams
    assert _collapse(list(tr.words)) == _collapse(list(normalize_transcript(text).words))
    err = boundary_errors(truth, tr)
    assert len(err) > 0.9 * sum(1 for t in truth if t[0] != "sil")
    assert np.median(err) < 0.03
    # no fake silence at the seams: a 'sil' phone there must overlap a true pause
    chunks = split_at_pauses(speech.samples, SR)
    true_sil = [(s, e) for p, s, e in truth if p == "sil"]
    for c in chunks[1:]:
        t = c.start / SR
        for p, s, e in zip(tr.phones, tr.starts, tr.ends):
            if p == "sil" and s - 0.05 <= t <= e + 0.05 and e - s > 0.05:
                assert any(a < e and s < b for a, b in true_sil), (t, s, e)


@pytest.mark.skipif(not (have_lj() and os.environ.get("TALKRIG_SLOW")),
                    reason="slow: set TALKRIG_SLOW=1")
def test_ten_minutes_with_bounded_memory():
    ids = lj_ids()
    speech, text, _ = _concat((ids * 5)[:90], gap_s=0.2)
    assert speech.duration > 600
    tracemalloc.start()
    t0 = time.perf_counter()
    tr = phone_track(speech, text=text)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{speech.duration:.0f} s in {elapsed:.1f} s, python peak {peak / 2**20:.0f} MiB")
    assert tr.source == "align"
    assert peak < 1.5 * 2**30


@needs_lj
def test_one_wrong_sentence_in_long_audio_is_recognised_locally():
    ids = lj_ids()[:10]
    speech, _, _ = _concat(ids, gap_s=0.2)
    texts = [lj_text(c) for c in ids]
    texts[5] = lj_text(lj_ids()[12])                       # a sentence that is not spoken
    tr = phone_track(speech, text=" ".join(texts))
    assert tr.source == "align", tr.note
    assert "recognised instead" in tr.note
    assert "printing" in tr.words                           # the first sentence is aligned


def test_digital_silence_is_runs_of_exact_zeros():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.1, SR).astype(np.float32)
    assert not has_digital_silence(x)
    assert not has_digital_silence(np.zeros(0, np.float32))
    y = x.copy()
    y[4000:4040] = 0.0                      # 2.5 ms: shorter than a run
    assert not has_digital_silence(y)
    y[8000:8200] = 1e-6                     # 12.5 ms that round to 0 in 16-bit PCM
    assert has_digital_silence(y)
    quiet = x * 1e-3 + rng.normal(0, 1e-4, SR).astype(np.float32)   # quiet but not digital
    assert not has_digital_silence(quiet)


def test_with_context_gives_each_frame_to_one_piece():
    from talkrig.core.speech.chunking import Chunk, with_context
    n, hop = 16000 * 10 + 123, 320
    bounds = [0, 40_017, 81_000, 120_640, n]
    owned = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        h = with_context(Chunk(a, b), n, context=8000, hop=hop)
        assert h.lo % hop == 0 and 0 <= h.lo <= a and b <= h.hi <= n
        assert h.lo >= a - 8000 - hop and h.hi <= b + 8000
        first = h.lo // hop + h.skip                    # global frame index
        owned += list(range(first, first + h.keep))
        assert all(a <= g * hop < b for g in range(first, first + h.keep))
    assert owned == list(range(len(owned)))             # consecutive, no frame twice
    assert (owned[-1] + 1) * hop >= n
    with pytest.raises(Exception):
        with_context(Chunk(0, 10), 10, context=-1, hop=hop)
