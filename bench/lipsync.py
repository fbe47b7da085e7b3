"""Section 2: lip-sync quality per corpus, against phone timing known from elsewhere.

For every utterance of a corpus (:mod:`bench.corpora`):

- alignment: ``core.speech.align.phone_track(speech, text=...)`` vs the truth segments:
  boundary error median / p90 / share within 33 ms (:func:`bench.metrics.boundary_errors`),
  real-time factor; the same for ``phone_track(speech)`` without a transcript ("no-text",
  the recognition route);
- full pipeline at 60 fps, four ways, all measured on the demo head's geometry
  (:mod:`bench.lips`):

  ``text``       ``core.pipeline.bake(wav, BakeSettings(fps=60), text=transcript)``
  ``audio``      ``core.pipeline.bake(wav, BakeSettings(fps=60))`` (no transcript: recognition route)
  ``loudness``   ``bake(..., style=Style(mode="loudness"))``: the documented fallback
  ``rms-jaw``    the naive floor: RMS loudness -> jawOpen only (:func:`bench.metrics.rms_jaw`)

  metrics: bilabial closure recall, false closure (open vowels), stray closure
  (non-labial consonants), Pearson r of lip aperture with the label-derived openness
  track at lag 0 and at its best lag (+ the lag, ms; positive = mouth late), rounding
  contrast (pucker + funnel on rounded minus spread vowels), real-time factors;
- stage timing, CPU time (``time.process_time``, best of ``STAGE_REPEATS``), measured
  directly on the stages of :mod:`core.pipeline` with the utterance's aligned phones:
  ``after_phonemes`` = ``speech_layer`` + ``viseme_track`` + ``expression_stage`` (everything
  a bake does once phones are timed; target >= 500x real time), ``prosody`` =
  ``analyze_prosody`` on its own, and the alignment (``phone_track`` with the transcript).
  Speeds are reported as multiples of real time (audio seconds per CPU second).

Closure shares are pooled over all segments of a corpus; r and lag are per-utterance
means/medians.
"""
from __future__ import annotations

import time
import traceback
from pathlib import Path

import numpy as np

from . import corpora as C
from . import metrics as M

FPS = 60.0
METHODS = ("text", "audio", "loudness", "rms-jaw")
STAGE_REPEATS = 3


def _cpu(fn, repeats: int = 1):
    """(result of ``fn()``, least CPU seconds over ``repeats`` calls)."""
    best, out = float("inf"), None
    for _ in range(max(1, repeats)):
        c0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - c0)
    return out, best


def _deps():
    """The pipeline pieces the section times and scores; returns (deps dict, notes list)."""
    from talkrig.core.audio import load_audio
    from talkrig.core.curves import n_frames_for
    from talkrig.core.face.coarticulation import speech_layer
    from talkrig.core.face.visemes import viseme_track
    from talkrig.core.pipeline import bake, expression_stage
    from talkrig.core.speech.align import phone_track
    from talkrig.core.speech.prosody import analyze_prosody
    from talkrig.core.style import Style
    deps = dict(load_audio=load_audio, phone_track=phone_track, bake=bake, Style=Style,
                stages=dict(prosody=analyze_prosody, speech_layer=speech_layer,
                            viseme_track=viseme_track, expression=expression_stage,
                            n_frames_for=n_frames_for))
    notes = []
    try:
        from .lips import LipGauge
        deps["gauge"] = LipGauge()
    except Exception as exc:       # LipGaugeUnavailable or a broken demo head
        notes.append(f"lip gauge unavailable ({exc})")
    return deps, notes


def load_corpora(names, *, quick: bool, work: Path) -> tuple[dict, list]:
    out, notes = {}, []
    for name in names:
        if name == "espeak":
            out[name] = C.espeak_corpus(
                work / "espeak", n_sentences=8 if quick else 12,
                voices=C.ESPEAK_VOICES[:2] if quick else C.ESPEAK_VOICES,
                rates=C.ESPEAK_RATES[:1] if quick else C.ESPEAK_RATES)
        elif name == "festival":
            if not C.festival_available():
                notes.append("festival: not installed (bench/setup.sh installs it from Debian)")
                continue
            out[name] = C.festival_corpus(
                work / "festival", n_sentences=6 if quick else 16,
                voices=C.FESTIVAL_VOICES[:1] if quick else C.FESTIVAL_VOICES)
        elif name == "arctic":
            u = C.arctic_corpus()
            if not u:
                notes.append(f"arctic: no a0009 wav+lab in {C.ARCTIC_DIR} (make examples)")
                continue
            out[name] = u
        elif name == "ljspeech":
            u = C.ljspeech_corpus(limit=6 if quick else None)
            if not u:
                notes.append(f"ljspeech: {C.LJSPEECH_DIR} absent")
                continue
            out[name] = u
    return out, notes


def _face_weights(perf):
    from .lips import arkit_matrix
    return arkit_matrix(perf.face)


def _truth(u):
    return dict(phones=u.phones, starts=u.starts, ends=u.ends)


def _score(gauge, weights, u, n_frames):
    w = weights[:n_frames]
    ap = gauge.aperture(w)
    s = M.lip_scores(ap, fps=FPS, **_truth(u))
    op = M.openness_track(u.phones, u.starts, u.ends, fps=FPS, n_frames=len(ap))
    r0, rb, lag = M.best_lag(ap, op, fps=FPS)
    s.update(r0=r0, r_best=rb, lag_s=lag,
             rounding=M.rounding_contrast(gauge.protrusion(w), fps=FPS, **_truth(u)))
    return s


def evaluate_utterance(u, deps) -> dict:
    """All measurements for one utterance; missing stages are simply absent."""
    rec = {"name": u.name, "duration": u.duration, "methods": {}, "errors": []}
    speech = deps["load_audio"](str(u.wav)) if "load_audio" in deps else None
    if "phone_track" in deps and speech is not None:
        t0, c0 = time.perf_counter(), time.process_time()
        pt = deps["phone_track"](speech, text=u.text)
        rec["t_align"] = time.perf_counter() - t0
        rec["cpu_align"] = time.process_time() - c0
        if "stages" in deps and "Style" in deps:
            rec.update(stage_times(deps, speech, pt))
        rec["align_source"] = pt.source
        rec["align_err"] = M.boundary_errors(
            u.phones, u.starts, u.ends, [p.lower() for p in pt.phones], pt.starts,
            pt.ends).tolist()
        t0 = time.perf_counter()
        pr = deps["phone_track"](speech)
        rec["t_recog"] = time.perf_counter() - t0
        rec["recog_source"] = pr.source
        rec["recog_err"] = M.boundary_errors(
            u.phones, u.starts, u.ends, [p.lower() for p in pr.phones], pr.starts,
            pr.ends).tolist()
    gauge = deps.get("gauge")
    n_frames = int(np.floor(u.duration * FPS + 1e-6)) + 1
    if gauge is None:
        return rec
    if "bake" in deps:
        Style = deps.get("Style")
        runs = {"text": dict(text=u.text), "audio": dict()}
        if Style is not None:
            runs["loudness"] = dict(text=u.text, style=Style(mode="loudness"))
        for m, kw in runs.items():
            try:
                t0 = time.perf_counter()
                from talkrig.core.settings import BakeSettings
                settings = BakeSettings.from_style(kw.pop("style", None), fps=FPS)
                perf = deps["bake"](str(u.wav), settings, **kw)
                dt = time.perf_counter() - t0
            except Exception as exc:
                rec["errors"].append(f"{m}: {type(exc).__name__}: {exc}")
                continue
            s = _score(gauge, _face_weights(perf), u, n_frames)
            s["t_bake"] = dt
            s["driver"] = perf.phones.source if perf.phones is not None else "loudness"
            rec["methods"][m] = s
    import soundfile as sf
    x, sr = sf.read(str(u.wav), dtype="float32", always_2d=True)
    w = np.zeros((n_frames, 52), dtype=np.float32)
    from talkrig.rigs.arkit import ARKIT_NAMES
    w[:, ARKIT_NAMES.index("jawOpen")] = M.rms_jaw(x.mean(1), sr=sr, fps=FPS, n_frames=n_frames)
    rec["methods"]["rms-jaw"] = _score(gauge, w, u, n_frames)
    return rec


def stage_times(deps, speech, phones) -> dict:
    """CPU seconds of prosody and of the stages after phonemes, on these timed phones."""
    from talkrig.core.performance import BakeReport
    from talkrig.core.timebase import FrameGrid
    st, style = deps["stages"], deps["Style"]()
    prosody, c_pros = _cpu(lambda: st["prosody"](speech, fps=FPS), STAGE_REPEATS)
    n = st["n_frames_for"](speech.duration, FPS)

    def after():
        mouth = st["speech_layer"](phones, prosody, fps=FPS, n_frames=n, style=style)
        st["viseme_track"](phones, fps=FPS, n_frames=n, style=style)
        return st["expression"](mouth, prosody, spec=None, style=style, seed=0,
                                grid=FrameGrid(FPS, n), report=BakeReport(), phones=phones)
    _, c_after = _cpu(after, STAGE_REPEATS)
    return {"cpu_prosody": c_pros, "cpu_after_phonemes": c_after}


def _speed(recs, key):
    """Audio seconds per CPU second of ``key`` over the records that have it."""
    rs = [r for r in recs if key in r]
    t = sum(r[key] for r in rs)
    return sum(r["duration"] for r in rs) / t if rs and t > 0 else None


def summarize(recs: list) -> dict:
    dur = sum(r["duration"] for r in recs)
    out = {"n_utts": len(recs), "audio_s": dur}
    errs = [e for r in recs for e in r.get("align_err", [])]
    if any("align_err" in r for r in recs):
        out["align"] = M.error_summary_ms(np.asarray(errs))
        out["align"]["rtf"] = sum(r["t_align"] for r in recs) / dur
        out["align"]["sources"] = sorted({r["align_source"] for r in recs})
    out["speed_cpu"] = {k: _speed(recs, f"cpu_{k}")
                        for k in ("align", "prosody", "after_phonemes")}
    rerr = [e for r in recs for e in r.get("recog_err", [])]
    if any("recog_err" in r for r in recs):
        out["recognize"] = M.error_summary_ms(np.asarray(rerr))
        out["recognize"]["sources"] = sorted({r["recog_source"] for r in recs})
        out["recognize"]["rtf"] = sum(r["t_recog"] for r in recs) / dur
    out["methods"] = {}
    for m in METHODS:
        rs = [r["methods"][m] for r in recs if m in r["methods"]]
        if not rs:
            continue
        agg = {}
        for key, nkey in (("closure_recall", "n_bilabial"), ("false_closure", "n_open_vowel"),
                          ("stray_closure", "n_consonant")):
            n = sum(s[nkey] for s in rs)
            agg[key] = (sum(s[key] * s[nkey] for s in rs if s[nkey]) / n) if n else float("nan")
            agg[nkey] = n
        agg["r0"] = float(np.nanmean([s["r0"] for s in rs]))
        agg["r_best"] = float(np.nanmean([s["r_best"] for s in rs]))
        agg["lag_ms"] = float(np.median([s["lag_s"] for s in rs]) * 1000)
        agg["rounding"] = float(np.nanmean([s["rounding"] for s in rs]))
        agg["drivers"] = sorted({s.get("driver", "rms") for s in rs})
        if all("t_bake" in s for s in rs):
            agg["rtf_bake"] = sum(s["t_bake"] for s in rs) / dur
        if m == "text":
            # measured directly on the stages (see stage_times), CPU seconds per audio second
            ok = [r for r in recs if "cpu_after_phonemes" in r]
            if ok:
                agg["rtf_after_phonemes"] = (sum(r["cpu_after_phonemes"] for r in ok)
                                             / sum(r["duration"] for r in ok))
            agg["n_text_fallbacks"] = sum(s.get("driver") != "align" for s in rs)
        out["methods"][m] = agg
    out["errors"] = [e for r in recs for e in r["errors"]][:10]
    out["utterances"] = [
        {"name": r["name"], "duration": round(r["duration"], 3),
         "align_source": r.get("align_source"),
         "align_median_ms": (float(np.median(r["align_err"]) * 1000)
                             if r.get("align_err") else None),
         **{f"{m}_{k}": s.get(k) for m, s in r["methods"].items()
            for k in ("closure_recall", "false_closure", "driver")}}
        for r in recs]
    return out


def run_section(*, quick: bool, results_dir: Path, corpora=("espeak", "festival", "arctic",
                                                                "ljspeech"),
                progress=print) -> dict:
    deps, notes = _deps()
    data, cnotes = load_corpora(corpora, quick=quick, work=results_dir / "corpus")
    notes += cnotes
    res = {"fps": FPS, "closed_mm": M.CLOSED_MM, "notes": notes, "corpora": {}}
    if "gauge" in deps:
        res["lip_rest_mm"] = deps["gauge"].rest_mm
    for name, utts in data.items():
        recs, failed = [], {}
        for k, u in enumerate(utts):
            try:
                recs.append(evaluate_utterance(u, deps))
            except Exception as exc:
                msg = f"{type(exc).__name__}: {exc}"
                if not failed:
                    traceback.print_exc()
                failed[msg] = failed.get(msg, 0) + 1
            if progress and (k + 1) % 10 == 0:
                progress(f"  {name}: {k + 1}/{len(utts)}", flush=True)
        notes += [f"{name}: {n} utterance(s) failed: {m}" for m, n in failed.items()]
        res["corpora"][name] = summarize(recs) if recs else {"n_utts": 0}
    return res


def _f(x, fmt="{:.2f}"):
    return "  -  " if x is None or (isinstance(x, float) and not np.isfinite(x)) else fmt.format(x)


def print_tables(res: dict) -> None:
    print(f"\n== 2. Lip-sync quality (fps {res['fps']:g}; closed = inner lips < "
          f"{res['closed_mm']} mm on the demo head) ==")
    print(f"  {'corpus':<10}{'utts':>5}{'audio s':>9} | {'align med':>9}{'p90':>7}{'<=33ms':>7}"
          f"{'RTF':>7} | {'no-text med':>11}{'p90':>7}{'<=33ms':>7}{'RTF':>7}")
    for name, c in res["corpora"].items():
        a, g = c.get("align", {}), c.get("recognize", {})
        print(f"  {name:<10}{c['n_utts']:>5}{c.get('audio_s', 0):>9.1f} | "
              f"{_f(a.get('median_ms'), '{:.1f}'):>9}{_f(a.get('p90_ms'), '{:.1f}'):>7}"
              f"{_f(a.get('within33')):>7}{_f(a.get('rtf'), '{:.3f}'):>7} | "
              f"{_f(g.get('median_ms'), '{:.1f}'):>11}{_f(g.get('p90_ms'), '{:.1f}'):>7}"
              f"{_f(g.get('within33')):>7}{_f(g.get('rtf'), '{:.3f}'):>7}")
    print(f"\n  {'corpus':<10}{'method':<10}{'closure':>8}{'false':>7}{'stray':>7}{'r0':>7}"
          f"{'r_best':>7}{'lag ms':>7}{'round':>7}{'RTF':>7}{'RTF post':>9}  driver")
    for name, c in res["corpora"].items():
        for m, s in c.get("methods", {}).items():
            print(f"  {name:<10}{m:<10}{_f(s['closure_recall']):>8}{_f(s['false_closure']):>7}"
                  f"{_f(s['stray_closure']):>7}{_f(s['r0']):>7}{_f(s['r_best']):>7}"
                  f"{_f(s['lag_ms'], '{:.0f}'):>7}{_f(s['rounding']):>7}"
                  f"{_f(s.get('rtf_bake'), '{:.3f}'):>7}"
                  f"{_f(s.get('rtf_after_phonemes'), '{:.3f}'):>9}  {','.join(s['drivers'])}")
        sp = c.get("speed_cpu") or {}
        if any(v is not None for v in sp.values()):
            print(f"  {name}: CPU speed (x real time): alignment "
                  f"{_f(sp.get('align'), '{:.1f}')}, prosody {_f(sp.get('prosody'), '{:.0f}')}, "
                  f"after phonemes (speech layer + visemes + expression) "
                  f"{_f(sp.get('after_phonemes'), '{:.0f}')} (target >= 500)")
        nf = c.get("methods", {}).get("text", {}).get("n_text_fallbacks", 0)
        if nf:
            print(f"  ! {name}: {nf}/{c['n_utts']} utterances with a correct transcript fell back "
                  f"to recognition (source 'recognize:mismatch')")
        for e in c.get("errors", [])[:3]:
            print(f"  ! {name}: {e}")
    for n in res["notes"]:
        print(f"  note: {n}")
