"""Shared helpers for the speech tests: LJSpeech clips, MFA TextGrids, timing metrics.

The clips the tests use (LJ001-0001 ... LJ001-0020, public domain) live in the repository,
``tests/data/ljspeech`` (FLAC, lossless; notice in its README); ``TALKRIG_LJSPEECH32`` points
at another copy (e.g. the full 32-clip set in ``../shared/data/ljspeech32``).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
LJ = Path(os.environ.get("TALKRIG_LJSPEECH32", REPO / "tests" / "data" / "ljspeech"))
SILENCES = {"", "sil", "sp", "spn"}


def have_lj() -> bool:
    return (LJ / "metadata.csv").is_file()


def lj_ids() -> list:
    return [line.split("|")[0] for line in (LJ / "metadata.csv").read_text().splitlines() if line]


def lj_text(clip_id: str) -> str:
    for line in (LJ / "metadata.csv").read_text().splitlines():
        cid, _, words = line.partition("|")
        if cid == clip_id:
            return words.strip()
    raise KeyError(clip_id)


def lj_speech(clip_id: str):
    """One clip as a 16 kHz ``Speech`` (soundfile + scipy polyphase resampling)."""
    import soundfile as sf
    from scipy.signal import resample_poly
    from talkrig.core.curves import Speech
    path = LJ / "wavs" / f"{clip_id}.flac"
    if not path.is_file():
        path = path.with_suffix(".wav")
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    g = np.gcd(sr, 16000)
    y = resample_poly(x, 16000 // g, sr // g).astype(np.float32)
    return Speech(y, 16000, source=str(clip_id), source_sr=sr, source_channels=1)


def read_textgrid_phones(path) -> list:
    """(phone, start_s, end_s) of the 'phones' tier, stress digits removed, silences 'sil'."""
    text = Path(path).read_text()
    tier = text[text.index('name = "phones"'):]
    out = []
    for xmin, xmax, label in re.findall(
            r"xmin = ([\d.]+)\s+xmax = ([\d.]+)\s+text = \"([^\"]*)\"", tier):
        label = label.strip().upper().rstrip("012")
        out.append(("sil" if label.lower() in SILENCES else label, float(xmin), float(xmax)))
    return out


def lj_truth(clip_id: str) -> list:
    return read_textgrid_phones(LJ / "TextGrid" / f"{clip_id}.TextGrid")


def edit_pairs(ref, hyp):
    """Levenshtein alignment of two label lists: (distance, matched/substituted pairs)."""
    from bench.metrics import edit_alignment
    return edit_alignment(ref, hyp)


def boundary_errors(truth, track) -> np.ndarray:
    """Start-time errors (s) of the speech phones matched between truth and a PhoneTrack.

    Phones are matched by edit-distance alignment of the non-silence phone sequences
    (identical labels only), so pronunciation variants do not distort the timing error.
    """
    ref = [t for t in truth if t[0] != "sil"]
    hyp = [(p, s, e) for p, s, e in zip(track.phones, track.starts, track.ends) if p != "sil"]
    _, pairs = edit_pairs([r[0] for r in ref], [h[0] for h in hyp])
    errs = [abs(ref[i][1] - hyp[j][1]) for i, j in pairs if ref[i][0] == hyp[j][0]]
    return np.asarray(errs, dtype=np.float64)


def phone_error_rate(truth, track) -> tuple:
    """(edits, reference length) between non-silence phone sequences."""
    ref = [t[0] for t in truth if t[0] != "sil"]
    hyp = [p for p in track.phones if p != "sil"]
    dist, _ = edit_pairs(ref, hyp)
    return dist, len(ref)
