"""Section 3: the performance layer (eyes, head, emotion) on about a minute of speech.

One recording of real speech (LJSpeech clips back to back until at least ``60 s``; quick:
``20 s``; their MFA phone labels shifted along; generated espeak-ng speech with exact
phoneme timing when LJSpeech is absent), baked at 60 fps with its transcript:

- neutral: blink rate (per minute) and mean blink duration from ``eyeBlinkLeft`` (a blink =
  an episode above 0.5), head rotation std (degrees) of ``HeadYaw/HeadPitch/HeadRoll``;
- each basic emotion of ``rigs/data/emotions.json`` at intensity 1: closure recall and
  false closure on the demo head (:mod:`bench.lips`) next to neutral, plus blinks and head.

Stages that have not landed yet (``core.face.eyes``, ``core.motion.head``, ``core.face.emotion``)
are reported as notes, not failures.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from . import corpora as C
from . import metrics as M
from .sentences import SENTENCES

FPS = 60.0


def long_utterance(out: Path, *, min_s: float, voice: str = "en-us+f5", rate: int = 160,
                   name: str = "perf") -> C.Utterance:
    """Sentences read in one synthesis call until the audio is at least ``min_s`` long."""
    import soundfile as sf
    syn = C.EspeakSynth()
    per = float(np.mean([len(syn.synth(s, voice=voice, rate=rate)[0]) for s in SENTENCES[:4]]))
    n = int(np.ceil(min_s * syn.sr / per * 1.05)) + 1
    text = " ".join(SENTENCES[k % len(SENTENCES)] for k in range(n))
    x, ev = syn.synth(text, voice=voice, rate=rate)
    while len(x) / syn.sr < min_s:
        text += " " + SENTENCES[n % len(SENTENCES)]
        n += 1
        x, ev = syn.synth(text, voice=voice, rate=rate)
    out.mkdir(parents=True, exist_ok=True)
    wav = out / f"{name}.wav"
    sf.write(wav, x, syn.sr, subtype="PCM_16")
    (out / f"{name}.txt").write_text(text)
    ph, st, en = C.events_to_segments(ev, len(x), syn.sr, x)
    return C.Utterance("espeak", name, wav, text, ph, st, en, len(x) / syn.sr)


def behaviour(face) -> dict:
    """Blink and head statistics of one FaceCurves."""
    names = list(face.names)
    out = {}
    if "eyeBlinkLeft" in names:
        out.update({f"blink_{k}": v for k, v in
                    M.blink_stats(face.channel("eyeBlinkLeft"), fps=face.fps).items()})
    for ch in ("HeadYaw", "HeadPitch", "HeadRoll"):
        if ch in names:
            out[f"{ch}_std_deg"] = float(np.degrees(np.std(face.channel(ch))))
    return out


def run_section(*, quick: bool, results_dir: Path) -> dict:
    res = {"fps": FPS, "notes": [], "emotions": {}}
    try:
        from talkrig.core.pipeline import bake
    except ImportError as exc:
        res["notes"].append(f"waiting for core.pipeline.bake ({exc})")
        return res
    for mod in ("eyes", "head", "emotion"):
        try:
            __import__(f"talkrig.core.face.{mod}")
        except ImportError as exc:
            res["notes"].append(f"core.face.{mod} not importable ({exc})")
    gauge = None
    try:
        from .lips import LipGauge
        gauge = LipGauge()
    except Exception as exc:
        res["notes"].append(f"lip metrics waiting for rigs.demo_head ({exc})")
    min_s = 20.0 if quick else 60.0
    lj = C.ljspeech_corpus()
    if lj:
        u = C.concat_utterances(lj, results_dir / "corpus" / "performance" / "lj_concat.wav",
                                min_s=min_s, name="ljspeech_concat")
    else:
        res["notes"].append("LJSpeech absent: generated espeak speech instead")
        u = long_utterance(results_dir / "corpus" / "performance", min_s=min_s)
    res["duration_s"] = u.duration
    res["speech"] = u.name
    try:
        from talkrig.core.face.emotion import EmotionSpec
        from talkrig.rigs.facs import basic_emotion_names
        emotions = [e for e in basic_emotion_names() if e != "neutral"]
    except ImportError as exc:
        EmotionSpec, emotions = None, []
        res["notes"].append(f"emotions skipped ({exc})")
    if quick:
        emotions = emotions[:3]
    for emo in ["neutral"] + emotions:
        from talkrig.core.settings import BakeSettings, EmotionSettings
        emotion = EmotionSettings() if emo == "neutral" else EmotionSettings(mixture={emo: 1.0})
        try:
            t0 = time.perf_counter()
            perf = bake(str(u.wav), BakeSettings(fps=FPS, seed=0, emotion=emotion), text=u.text)
            dt = time.perf_counter() - t0
        except Exception as exc:
            res["notes"].append(f"{emo}: bake failed: {type(exc).__name__}: {exc}")
            continue
        row = behaviour(perf.face)
        row["driver"] = perf.phones.source if perf.phones is not None else "loudness"
        row["rtf"] = dt / u.duration
        if gauge is not None:
            from .lips import arkit_matrix
            w = arkit_matrix(perf.face)
            ap = gauge.aperture(w)
            s = M.lip_scores(ap, fps=FPS, phones=u.phones, starts=u.starts, ends=u.ends)
            row.update(closure_recall=s["closure_recall"], false_closure=s["false_closure"],
                       stray_closure=s["stray_closure"],
                       rest_aperture_mm=float(np.median(ap[np.asarray(
                           M.openness_track(u.phones, u.starts, u.ends, fps=FPS,
                                            n_frames=len(ap), smooth_ms=0)) == 0])))
        res["emotions"][emo] = row
    rows = list(res["emotions"].values())
    if rows and all(r.get("blink_n", 0) == 0 for r in rows):
        res["notes"].append("no blinks in any bake: eye layer not active in core.pipeline.bake")
    if rows and all(r.get("HeadYaw_std_deg", 0) == 0 for r in rows):
        res["notes"].append("head rotations constant: head layer not active in core.pipeline.bake")
    return res


def print_tables(res: dict) -> None:
    print(f"\n== 3. Performance layer ({res.get('duration_s', 0):.0f} s of speech: "
          f"{res.get('speech', '?')}, fps {res['fps']:g}) ==")
    if res["emotions"]:
        print(f"  {'emotion':<11}{'blinks/min':>11}{'blink ms':>9}{'yaw std':>8}{'pitch':>7}"
              f"{'roll':>7}{'closure':>8}{'false':>7}{'stray':>7}{'RTF':>7}  driver")

    def f(x, fmt="{:.2f}"):
        return "  -" if x is None or not np.isfinite(x) else fmt.format(x)
    for emo, r in res["emotions"].items():
        print(f"  {emo:<11}{f(r.get('blink_per_min'), '{:.1f}'):>11}"
              f"{f(r.get('blink_mean_dur_ms'), '{:.0f}'):>9}"
              f"{f(r.get('HeadYaw_std_deg')):>8}{f(r.get('HeadPitch_std_deg')):>7}"
              f"{f(r.get('HeadRoll_std_deg')):>7}{f(r.get('closure_recall')):>8}"
              f"{f(r.get('false_closure')):>7}{f(r.get('stray_closure')):>7}"
              f"{f(r.get('rtf'), '{:.3f}'):>7}  {r.get('driver', '')}")
    for n in res["notes"]:
        print(f"  note: {n}")
