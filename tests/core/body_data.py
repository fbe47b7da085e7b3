"""Speech inputs for the body tests: prosody, phones (with words and stress) and head.

:func:`speech_inputs` bakes LJ Speech clips from ``tests/data/ljspeech`` through
``talkrig.core.pipeline.bake`` (adapting to its ``bake(audio, settings)`` API) and falls
back to running the same stages by hand (prosody analysis, the clips' MFA TextGrid
phones, the head layer) when the pipeline cannot bake here.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from talkrig.core.curves import PhoneTrack

LJ = Path(__file__).resolve().parents[1] / "data" / "ljspeech"
FPS = 30.0


def _tier(path: Path, tier: str):
    txt = path.read_text()
    for block in re.split(r"item \[\d+\]:", txt):
        if re.search(r'name = "%s"' % tier, block):
            return [(float(a), float(b), t) for a, b, t in
                    re.findall(r'xmin = ([\d.]+)\s+xmax = ([\d.]+)\s+text = "([^"]*)"', block)]
    raise ValueError(tier)


def phone_track(rows) -> PhoneTrack:
    """PhoneTrack from (phone with stress digit or '', start, end, word) rows."""
    ph, st, a, b, w = [], [], [], [], []
    for p, s, e, word in rows:
        m = re.match(r"([A-Z]+)(\d?)$", p.upper())
        ph.append(m.group(1) if (m and p) else "sil")
        st.append(int(m.group(2)) if m and m.group(2) else 0)
        a.append(s)
        b.append(e)
        w.append(word if p else "")
    return PhoneTrack(tuple(ph), np.array(a), np.array(b), tuple(w), source="labels",
                      stress=tuple(st))


@lru_cache(maxsize=2)
def speech_inputs(n_clips: int = 3):
    """(prosody, phones, head [T, 3], n_frames, samples, how) for ``n_clips`` clips back to back."""
    import soundfile as sf
    from talkrig.core.curves import Speech
    ids = [ln.split("|")[0] for ln in (LJ / "metadata.csv").read_text().splitlines() if "|" in ln]
    xs, rows, texts, t, sr = [], [], [], 0.0, None
    meta = dict(ln.split("|", 1) for ln in (LJ / "metadata.csv").read_text().splitlines() if "|" in ln)
    for uid in ids:
        wav = next(iter(sorted((LJ / "wavs").glob(uid + ".*"))), None)
        tg = LJ / "TextGrid" / f"{uid}.TextGrid"
        if wav is None or not tg.exists():
            continue
        x, r = sf.read(str(wav), dtype="float32")
        sr = sr or r
        words = _tier(tg, "words")
        for s, e, p in _tier(tg, "phones"):
            mid = 0.5 * (s + e)
            rows.append((p, s + t, e + t, next((w for ws, we, w in words if ws <= mid < we), "")))
        xs.append(x)
        texts.append(meta[uid])
        t += len(x) / r
        if len(xs) >= n_clips:
            break
    samples = np.concatenate(xs)
    phones = phone_track(rows)
    how = "stages"
    try:
        import tempfile
        from talkrig.core import pipeline
        from talkrig.core.settings import BakeSettings
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "take.wav"
            sf.write(path, samples, sr)
            perf = pipeline.bake(str(path), BakeSettings(fps=FPS), text=" ".join(texts))
        prosody = perf.prosody
        head = np.stack([perf.face.channel(n) for n in ("HeadYaw", "HeadPitch", "HeadRoll")], 1)
        if perf.phones is not None and any(perf.phones.words):
            phones = perf.phones
        how = "bake"
    except Exception:                      # the pipeline is mid-rework: run the stages here
        from talkrig.core.audio import TARGET_SR, resample
        from talkrig.core.motion.head import head_motion
        from talkrig.core.speech.prosody import analyze_prosody
        x16 = resample(samples, sr_in=sr, sr_out=TARGET_SR) if sr != TARGET_SR else samples
        prosody = analyze_prosody(Speech(x16.astype(np.float32), TARGET_SR), fps=FPS)
        n = int(np.asarray(prosody.loudness).size)
        head = head_motion(prosody, fps=FPS, n_frames=n, seed=0)
    n = int(np.asarray(prosody.loudness).size)
    return prosody, phones, np.asarray(head, np.float32)[:n], n, samples, how
