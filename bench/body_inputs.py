"""Inputs for the body bench: real and generated speech with prosody, phones and head.

Each take is baked through ``talkrig.core.pipeline.bake`` when that works here (its API
moved from ``bake(audio, style=...)`` to ``bake(audio, settings)``; :func:`face_inputs`
adapts); otherwise the same stages are run by hand (prosody analysis, the corpus's own
phone labels, the head layer), and the take records which path it took.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from talkrig.core.curves import PhoneTrack

from . import corpora

FPS = 30.0


@dataclass
class Take:
    name: str
    samples: np.ndarray           # float32 mono, 16 kHz
    sr: int
    prosody: object
    phones: object
    head: np.ndarray              # [n_frames, 3]
    n_frames: int
    path: str                     # "bake" or "stages"


def _phone_track(phones, starts, ends, words=None) -> PhoneTrack:
    ph, st = [], []
    for p in phones:
        m = re.match(r"([A-Za-z]+)(\d?)$", p)
        base = (m.group(1) if m else p).upper()
        ph.append("sil" if base in ("SIL", "SP", "PAU", "H#", "") else base)
        st.append(int(m.group(2)) if m and m.group(2) else 0)
    return PhoneTrack(tuple(ph), np.asarray(starts, float), np.asarray(ends, float),
                      tuple(words) if words is not None else ("",) * len(ph), source="labels",
                      stress=tuple(st))


def face_inputs(wav: Path, text=None, *, seed: int = 0):
    """(speech samples, sr, prosody, phones, head [T, 3], path) for one audio file."""
    from talkrig.core import pipeline
    try:
        try:
            from talkrig.core.settings import BakeSettings
            perf = pipeline.bake(str(wav), BakeSettings(seed=seed), text=text)
        except ImportError:
            perf = pipeline.bake(str(wav), text=text)
        head = np.stack([perf.face.channel(n) for n in ("HeadYaw", "HeadPitch", "HeadRoll")], 1)
        return perf.prosody, perf.phones, head, "bake"
    except Exception as exc:                               # the pipeline is being reworked
        print(f"  (bake failed: {type(exc).__name__}: {exc}; running the stages by hand)")
        return None


def _stages(samples, sr, *, seed: int):
    from talkrig.core.curves import Speech, n_frames_for
    from talkrig.core.motion.head import head_motion
    from talkrig.core.speech.prosody import analyze_prosody
    speech = Speech(samples.astype(np.float32), sr)
    prosody = analyze_prosody(speech, fps=FPS)
    n = n_frames_for(speech.duration, FPS)
    head = head_motion(prosody, fps=FPS, n_frames=n, seed=seed)
    return prosody, head, n


def _load(wav: Path):
    from talkrig.core.audio import TARGET_SR, load_audio
    sp = load_audio(str(wav)) if not isinstance(wav, tuple) else wav
    x = np.asarray(sp.samples, dtype=np.float32)
    if sp.sr != TARGET_SR:
        from talkrig.core.audio import resample
        x = resample(x, sr_in=sp.sr, sr_out=TARGET_SR)
    return x, TARGET_SR


def make_take(name, wav: Path, text, phones: PhoneTrack, *, seed: int = 0, use_bake=True) -> Take:
    x, sr = _load(wav)
    got = face_inputs(wav, text, seed=seed) if use_bake else None
    if got is not None:
        prosody, ph, head, path = got
        phones = ph if ph is not None and any(ph.words) else phones
    else:
        prosody, head, _ = _stages(x, sr, seed=seed)
        path = "stages"
    n = int(np.asarray(prosody.loudness).size)
    return Take(name, x, sr, prosody, phones, np.asarray(head, dtype=np.float32)[:n], n, path)


def ljspeech_take(out_dir: Path, *, min_s: float = 185.0, use_bake=True):
    """LJ Speech clips back to back (>= ``min_s`` s) with MFA phones and words."""
    import soundfile as sf
    root = corpora.LJSPEECH_DIR
    if not (root / "metadata.csv").exists():
        root = corpora.REPO / "tests" / "data" / "ljspeech"
    utts = corpora.ljspeech_corpus(root)
    if not utts:
        return None
    xs, ph, st, en, wd, t, sr = [], [], [], [], [], 0.0, None
    texts = []
    for u in utts:
        x, r = sf.read(str(u.wav), dtype="float32")
        sr = sr or r
        if r != sr or x.ndim != 1:
            continue
        tg = root / "TextGrid" / f"{u.name}.TextGrid"
        words = corpora.read_textgrid_tier(tg, "words")
        for a, b, p in corpora.read_textgrid_tier(tg, "phones"):
            mid = 0.5 * (a + b)
            w = next((w for wa, wb, w in words if wa <= mid < wb), "")
            ph.append(p or "sil")
            st.append(a + t)
            en.append(b + t)
            wd.append(w if p else "")
        xs.append(x)
        texts.append(u.text)
        t += len(x) / sr
        if t >= min_s:
            break
    wav = out_dir / "ljspeech_body.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    sf.write(wav, np.concatenate(xs), sr, subtype="PCM_16")
    return make_take("ljspeech", wav, " ".join(texts), _phone_track(ph, st, en, wd),
                     use_bake=use_bake)


def arctic_take(out_dir: Path = None, use_bake=True):
    """CMU ARCTIC examples (``examples/arctic/*.wav``) back to back with the bake's phones
    (prosody alone if the bake fails); a0009 alone with its HTS labels when it is the only one."""
    import soundfile as sf
    utts = corpora.arctic_corpus()
    if not utts:
        return None
    u = utts[0]
    wavs = sorted(corpora.ARCTIC_DIR.glob("arctic_a*.wav"))
    if len(wavs) < 2 or out_dir is None:
        return make_take("arctic", u.wav, u.text, _phone_track(u.phones, u.starts, u.ends),
                         use_bake=use_bake)
    xs, texts, sr = [], [], None
    for w in wavs:
        x, r = sf.read(str(w), dtype="float32")
        if x.ndim == 1 and (sr is None or r == sr):
            sr = r
            xs.append(x)
            txt = w.with_suffix(".txt")
            texts.append(txt.read_text().strip() if txt.exists() else "")
    wav = out_dir / "arctic_body.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    sf.write(wav, np.concatenate(xs), sr, subtype="PCM_16")
    return make_take("arctic", wav, " ".join(texts), None, use_bake=use_bake)  # bake's phones


def espeak_take(out_dir: Path, *, n_sentences: int = 40, use_bake=True):
    """Generated speech (espeak-ng) back to back, with the synthesiser's phones (no words)."""
    try:
        utts = corpora.espeak_corpus(out_dir / "espeak_body", n_sentences=n_sentences)
    except Exception as exc:
        print(f"  (espeak unavailable: {exc})")
        return None
    if not utts:
        return None
    u = corpora.concat_utterances(utts, out_dir / "espeak_body.wav", min_s=120.0, name="espeak")
    return make_take("espeak", u.wav, u.text, _phone_track(u.phones, u.starts, u.ends),
                     use_bake=use_bake)
