"""How the transcript check in ``core/speech/align.py`` sees right and wrong transcripts.

``python -m bench.transcript_check`` (about 3 minutes on one core) aligns, without the
check, every utterance of these cases and prints, per case, the spread of the mean score
per frame and how the check's first, cheap stage decides (``GOOD_SCORE``, ``FAIR_SCORE``
with ``WORD_BAD_SCORE``, ``BAD_SCORE``):

======== =====================================================================
lj_ok     32 LJ Speech clips with their own transcripts
lj_clip   the same, clipped (x4, at +-0.3)
lj_noise  the same with Gaussian noise (std 0.03)
lj_half   first half of the clip's words, then the next clip's words
lj_wrong  another clip's transcript (five clips on)
esp_ok    the bench's 96 espeak sentences (4 voices x 2 rates x 12 sentences)
esp_half  first half of the sentence, then the next sentence's words
fest_ok   the bench's Festival sentences (when Festival is installed)
======== =====================================================================

Columns: ``accept`` = accepted without the cross-check (the expensive stage that recognises
the audio without the transcript), ``check`` = sent to it, ``reject`` = rejected outright
(score below ``BAD_SCORE`` or no alignment at all). Right transcripts should mostly be
accepted; a wrong or half-wrong one must never be. Each clip is aligned as one piece (the
bench clips are short); digital silence is dithered exactly as ``align_transcript`` does.
Results go to ``bench/results/transcript_check.json``.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from . import corpora as C
from .sentences import SENTENCES

RESULTS = Path(__file__).resolve().parent / "results"


def _cases():
    """(kind, name, Speech, transcript) for every case that has its data here."""
    from talkrig.core.audio import load_audio
    from talkrig.core.curves import Speech
    lj = C.ljspeech_corpus()
    for i, u in enumerate(lj):
        sp = load_audio(str(u.wav))
        x = sp.samples
        yield "lj_ok", u.name, sp, u.text
        yield "lj_clip", u.name, Speech(np.clip(x * 4.0, -0.3, 0.3).astype(np.float32), 16000), u.text
        noisy = x + np.random.default_rng(0).normal(0, 0.03, len(x)).astype(np.float32)
        yield "lj_noise", u.name, Speech(noisy.astype(np.float32), 16000), u.text
        words, other = u.text.split(), lj[(i + 1) % len(lj)].text.split()
        half = len(words) // 2
        yield "lj_half", u.name, sp, " ".join(words[:half] + other[:len(words) - half])
        yield "lj_wrong", u.name, sp, lj[(i + 5) % len(lj)].text
    work = RESULTS / "corpus"
    for u in C.espeak_corpus(work / "espeak", n_sentences=12):
        sp = load_audio(str(u.wav))
        k = SENTENCES.index(u.text)
        words, other = u.text.split(), SENTENCES[(k + 1) % 12].split()
        half = len(words) // 2
        yield "esp_ok", u.name, sp, u.text
        yield "esp_half", u.name, sp, " ".join(words[:half] + other[:len(words) - half])
    if C.festival_available():
        for u in C.festival_corpus(work / "festival", n_sentences=16):
            yield "fest_ok", u.name, load_audio(str(u.wav)), u.text


def measure(sp, text) -> dict:
    """Mean score per frame, worst word per frame and the cheap stage's decision."""
    from talkrig.core.speech import align as A
    from talkrig.core.speech.chunking import has_digital_silence, pcm16
    from talkrig.core.speech.recognize import dithered
    from talkrig.core.speech.text import normalize_transcript
    A.reset_decoder_state()
    x = A._samples16k(sp)
    if has_digital_silence(x):
        x = dithered(x)
    res = A.align_pcm(pcm16(x), list(normalize_transcript(text).words))
    if res is None:
        return {"mean": None, "worst_word": None, "stage": "reject"}
    mean = res.score / max(res.frames, 1)
    worst = res.worst_word()
    if mean >= A.GOOD_SCORE or (mean >= A.FAIR_SCORE and worst >= A.WORD_BAD_SCORE):
        stage = "accept"
    elif mean < A.BAD_SCORE:
        stage = "reject"
    else:
        stage = "check"
    return {"mean": mean, "worst_word": worst, "stage": stage}


def main() -> int:
    rows = defaultdict(list)
    for kind, name, sp, text in _cases():
        rows[kind].append({"name": name, **measure(sp, text)})
    from talkrig.core.speech import align as A
    print(f"transcript check: GOOD {A.GOOD_SCORE}, FAIR {A.FAIR_SCORE} with no word below "
          f"{A.WORD_BAD_SCORE}, BAD {A.BAD_SCORE} (score per frame)")
    print(f"  {'case':<9}{'n':>4}{'no path':>8}{'min':>8}{'median':>8}{'max':>8}"
          f"{'accept':>8}{'check':>7}{'reject':>8}")
    summary = {}
    for kind, rs in rows.items():
        means = np.array([r["mean"] for r in rs if r["mean"] is not None])
        share = {s: sum(r["stage"] == s for r in rs) / len(rs) for s in ("accept", "check", "reject")}
        summary[kind] = {"n": len(rs), "no_path": sum(r["mean"] is None for r in rs),
                         "mean_min": float(means.min()) if means.size else None,
                         "mean_median": float(np.median(means)) if means.size else None,
                         "mean_max": float(means.max()) if means.size else None, **share}
        s = summary[kind]
        f = (lambda v: f"{v:8.1f}" if v is not None else "       -")
        print(f"  {kind:<9}{s['n']:>4}{s['no_path']:>8}{f(s['mean_min'])}{f(s['mean_median'])}"
              f"{f(s['mean_max'])}{s['accept']:>8.2f}{s['check']:>7.2f}{s['reject']:>8.2f}")
    bad = [k for k in summary if not k.endswith("_ok") and k not in ("lj_clip", "lj_noise")
           and summary[k]["accept"] > 0]
    if bad:
        print(f"  ! wrong transcripts accepted without the cross-check: {', '.join(bad)}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "transcript_check.json").write_text(json.dumps(
        {"summary": summary, "cases": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
