"""Section 'recognizer': the phoneme recognisers side by side, audio only (no transcript).

For each configuration (``onnx``: the shipped ``models/phonemes_hama17.onnx``, hama 1.7.0's
network rebuilt for onnxruntime, with talkrig's one-pass Viterbi aligner
(:mod:`core.speech.hmm_align`) timing the phones - the product's default; ``onnx/ps``: the same
network with every alignment in pocketsphinx's own two passes, the code before 2026-12-03
(its transcript route too); ``hama/ps``:
the network in hama 1.7.0's own engine with pocketsphinx, the reference, dev requirement only)
and each
lip-sync corpus (:mod:`bench.corpora`, loaded as in :mod:`bench.lipsync`):

- every utterance is baked without its transcript (``core.pipeline.bake(wav,
  BakeSettings(fps=60))``); the lips are measured on the demo head
  (:mod:`bench.lips`): closure recall (p b m), false closure (open vowels), stray closure
  (non-labial consonants), Pearson r at the best lag; the bake's phones are scored against
  the truth (boundary error median / p90 / share within 33 ms, :mod:`bench.metrics`), and
  the share of utterances the network route timed (``PhoneTrack.source == 'recognize'``);
- speed, CPU time (``time.process_time``, best of :data:`REPEATS`; numeric libraries
  single-threaded as everywhere in the bench): ``phone_track`` alone and the whole
  audio-only bake on about 60 s of real speech (LJ Speech clips joined into one signal),
  and the transcript route (``phone_track(speech, text)``: its transcript check recognises
  some pieces) on the same 60 s; the network pass alone too.

Run: ``python -m bench --only recognizer [--corpus ...]``. The table prints each corpus
with the configurations on adjacent lines.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from . import corpora as C
from . import lipsync as L
from . import metrics as M
from .lipsync import _f     # the table cell format both sections print with

FPS = 60.0
#: configurations side by side: name -> (recogniser, aligner of the recognised words,
#: state pass after pocketsphinx's grammar pass: ``decoder.STATE_PASS``). 'onnx' is the
#: product; 'onnx/ps' the same network with every alignment in pocketsphinx's own two
#: passes, as before 2026-12-03 (the transcript route's speed too); 'hama/ps' hama's engine
#: (reference).
CONFIGS = {"hama/ps": ("hama", "pocketsphinx", "pocketsphinx"),
           "onnx/ps": ("onnx", "pocketsphinx", "pocketsphinx"),
           "onnx": ("onnx", "viterbi", "own")}
RECOGNIZERS = tuple(CONFIGS)
REPEATS = 3
SPEED_SECONDS = 60.0


def available(names=RECOGNIZERS) -> tuple[list, list]:
    """(configurations whose recogniser loads here, notes on those that do not)."""
    from talkrig.core.errors import ModelRuntimeError
    from talkrig.core.speech.phone_net import phone_net
    ok, notes = [], []
    for name in names:
        try:
            phone_net(CONFIGS[name][0])
            ok.append(name)
        except ModelRuntimeError as exc:
            notes.append(f"{name}: not available ({exc})")
    return ok, notes


def score_corpus(utts, gauge, settings) -> dict:
    """Audio-only bake of every utterance with the current recogniser: lip metrics pooled
    over the corpus, boundary errors of the bake's phones, CPU seconds."""
    from talkrig.core.pipeline import bake
    rates = (("closure_recall", "n_bilabial"), ("false_closure", "n_open_vowel"),
             ("stray_closure", "n_consonant"))
    errs, r_best, cpu, dur, net_route, recognizers = [], [], 0.0, 0.0, 0, set()
    per_utt = {k: [] for k, _ in rates}     # (events, chances) per utterance; pooled below
    for u in utts:
        c0 = time.process_time()
        perf = bake(str(u.wav), settings)
        cpu += time.process_time() - c0
        dur += u.duration
        pt = perf.phones
        net_route += pt is not None and pt.source == "recognize"
        if pt is not None:
            recognizers.add(pt.recognizer.split(":")[0])
            errs.extend(M.boundary_errors(u.phones, u.starts, u.ends,
                                          [p.lower() for p in pt.phones], pt.starts, pt.ends))
        n_frames = int(np.floor(u.duration * FPS + 1e-6)) + 1
        s = L._score(gauge, L._face_weights(perf), u, n_frames)
        for key, nkey in rates:
            events = int(round(s[key] * s[nkey])) if s[nkey] else 0
            per_utt[key].append((events, int(s[nkey])))
        r_best.append(s["r_best"])
    out = {}
    for key, nkey in rates:
        events, chances = (sum(col) for col in zip(*per_utt[key])) if utts else (0, 0)
        out[key] = events / chances if chances else float("nan")
        out[nkey] = chances
    out["r_best"] = float(np.nanmean(r_best)) if r_best else float("nan")
    out["boundary"] = M.error_summary_ms(np.asarray(errs))
    out["bake_x_realtime_cpu"] = dur / cpu if cpu > 0 else None
    out["network_route_share"] = net_route / max(1, len(utts))
    out["recognizers"] = sorted(recognizers)
    out["n_utts"], out["audio_s"] = len(utts), dur
    out["per_utt"] = per_utt
    return out


PAIRED = ("onnx", "onnx/ps")           # the product against the code before it
BOOTSTRAP = 2000


def paired_difference(a: dict, b: dict, key: str, *, seed: int = 0):
    """Difference of a pooled rate (``a`` minus ``b``, scored on the same utterances) with
    a 95% interval from resampling utterances (paired bootstrap, fixed seed).

    Returns (difference, low, high, events a, events b, chances) or None."""
    pa, pb = a.get("per_utt", {}).get(key), b.get("per_utt", {}).get(key)
    if not pa or not pb or len(pa) != len(pb):
        return None
    ea, n = np.array([e for e, _ in pa], float), np.array([c for _, c in pa], float)
    eb = np.array([e for e, _ in pb], float)
    if n.sum() == 0:
        return None
    diff = (ea.sum() - eb.sum()) / n.sum()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(n), size=(BOOTSTRAP, len(n)))
    tot = n[idx].sum(axis=1)
    boot = np.where(tot > 0, (ea[idx].sum(axis=1) - eb[idx].sum(axis=1)) / np.maximum(tot, 1),
                    0.0)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return float(diff), float(lo), float(hi), int(ea.sum()), int(eb.sum()), int(n.sum())


def speed_signal():
    """About :data:`SPEED_SECONDS` of real speech: LJ Speech clips joined, and their text."""
    from talkrig.core.audio import load_audio
    from talkrig.core.curves import Speech
    utts = C.ljspeech_corpus()
    xs, texts, total = [], [], 0.0
    for u in utts:
        sp = load_audio(str(u.wav))
        xs.append(np.asarray(sp.samples, np.float32))
        texts.append(u.text)
        total += sp.duration
        sr = sp.sr
        if total >= SPEED_SECONDS:
            break
    if not xs:
        return None, None
    return Speech(np.concatenate(xs), sr), " ".join(texts)


def speed(speech, text, settings) -> dict:
    """CPU x real time (best of REPEATS) of the current recogniser's routes."""
    from talkrig.core.pipeline import bake
    from talkrig.core.speech.align import _samples16k, phone_track
    from talkrig.core.speech.chunking import split_at_pauses
    from talkrig.core.speech import recognize as R
    from talkrig.core.speech.phone_net import phone_net
    dur = speech.duration
    phone_track(speech)                                   # warm: network and decoder loaded
    _, c_rec = L._cpu(lambda: phone_track(speech), REPEATS)
    _, c_bake = L._cpu(lambda: bake(speech, settings), REPEATS)
    _, c_text = L._cpu(lambda: phone_track(speech, text=text), REPEATS)
    x = _samples16k(speech)
    net = phone_net(R.choose_recognizer(preferred=R._preferred))
    chunks = split_at_pauses(x, 16000, min_s=R.PIECE_MIN_S, max_s=R.PIECE_MAX_S,
                             target_s=R.PIECE_TARGET_S)
    _, c_net = L._cpu(lambda: [net.log_probs(x[c.start:c.end]) for c in chunks], REPEATS)
    return {"audio_s": dur, "recognize": dur / c_rec, "bake_audio_only": dur / c_bake,
            "with_transcript": dur / c_text, "network_only": dur / c_net}


BATCH_LINES = 200


def make_short_lines(folder: Path, n_lines: int = BATCH_LINES, *, seed: int = 0) -> Path:
    """``n_lines`` lines of 1-3 s cut (seeded) from the LJ Speech clips, and a manifest that
    bakes each to JSON without a transcript. Returns the manifest path."""
    import csv

    import soundfile as sf
    utts = C.ljspeech_corpus()
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    clips = [sf.read(str(u.wav), dtype="float32") for u in utts]
    manifest = folder / "lines.csv"
    with open(manifest, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["audio", "output"])
        for k in range(n_lines):
            x, sr = clips[k % len(clips)]
            n = int(rng.uniform(1.0, 3.0) * sr)
            a = int(rng.integers(0, max(1, len(x) - n)))
            wav = folder / f"line{k:03d}.wav"
            sf.write(str(wav), x[a:a + n], sr)
            w.writerow([wav.name, f"out/line{k:03d}.json"])
    return manifest


def batch_speed(manifest: Path) -> dict:
    """Lines per second (wall and CPU) of ``app.batch.run_batch(rows, jobs=1)`` with the
    current recogniser (in this process, so the recogniser choice holds); first line's
    model loads included, as in a real batch worker."""
    from talkrig.app.batch import load_manifest, run_batch
    rows = load_manifest(manifest)
    w0, c0 = time.perf_counter(), time.process_time()
    results = run_batch(rows, jobs=1, force=True, show_progress=False)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    failed = sum(r.status == "failed" for r in results)
    return {"lines": len(rows), "failed": failed, "wall_s": wall, "cpu_s": cpu,
            "lines_per_s_wall": len(rows) / wall, "lines_per_s_cpu": len(rows) / cpu}


def run_section(*, quick: bool, results_dir: Path, corpora=("espeak", "festival", "arctic",
                                                                "ljspeech"),
                recognizers=RECOGNIZERS, progress=print) -> dict:
    from talkrig.core.settings import BakeSettings
    from talkrig.core.speech import decoder as D, recognize as R
    deps, notes = L._deps()
    names, n2 = available(recognizers)
    notes += n2
    res = {"fps": FPS, "recognizers": names, "notes": notes, "corpora": {}, "speed": {}}
    settings = BakeSettings.from_style(None, fps=FPS)
    speech, text = speed_signal()
    res["batch"] = {}

    def use(name):
        R.use_recognizer(CONFIGS[name][0])
        R.use_aligner(CONFIGS[name][1])
        D.STATE_PASS = CONFIGS[name][2]
    try:
        for name in names:
            use(name)
            if speech is not None:
                res["speed"][name] = speed(speech, text, settings)
                progress(f"  speed {name}: {res['speed'][name]}", flush=True)
        if speech is not None:
            manifest = make_short_lines(results_dir / "recognizer_lines",
                                        40 if quick else BATCH_LINES)
            if "onnx" in names:             # batch workers run the product's settings
                use("onnx")
                res["batch"]["onnx"] = batch_speed(manifest)
                progress(f"  batch onnx: {res['batch']['onnx']}", flush=True)
        gauge = deps.get("gauge")
        if gauge is None:
            return res
        data, cnotes = L.load_corpora(corpora, quick=quick, work=results_dir / "corpus")
        notes += cnotes
        for corpus, utts in data.items():
            res["corpora"][corpus] = {}
            for name in names:
                use(name)
                res["corpora"][corpus][name] = score_corpus(utts, gauge, settings)
                progress(f"  {corpus} {name}: done", flush=True)
    finally:
        R.use_recognizer("auto")
        R.use_aligner("viterbi")
        D.STATE_PASS = "own"
    return res


def print_table(res: dict) -> None:
    print(f"\n== Phoneme recognisers, audio only (fps {res['fps']:g}, lips closed < "
          f"{M.CLOSED_MM} mm on the demo head) ==")
    print(f"  {'corpus':<10}{'recogniser':<11}{'utts':>5}{'closure':>8}{'false':>7}{'stray':>7}"
          f"{'r_best':>7} | {'bnd med':>8}{'p90':>6}{'<=33':>6} | {'net route':>9}{'bake x':>8}")
    for corpus, by in res["corpora"].items():
        for name, s in by.items():
            b = s["boundary"]
            print(f"  {corpus:<10}{name:<11}{s['n_utts']:>5}{_f(s['closure_recall']):>8}"
                  f"{_f(s['false_closure']):>7}{_f(s['stray_closure']):>7}{_f(s['r_best']):>7} | "
                  f"{_f(b['median_ms'], '{:.0f}'):>8}{_f(b['p90_ms'], '{:.0f}'):>6}"
                  f"{_f(b['within33']):>6} | {_f(s['network_route_share']):>9}"
                  f"{_f(s['bake_x_realtime_cpu'], '{:.1f}'):>8}")
    a_name, b_name = PAIRED
    pairs = [(c, by[a_name], by[b_name]) for c, by in res["corpora"].items()
             if a_name in by and b_name in by]
    if pairs:
        print(f"  {a_name} against {b_name}, same utterances: events (after / before, of how "
              f"many), difference of the rate [95% interval, paired bootstrap over utterances]")
    for corpus, a, b in pairs:
        cells = []
        for key, label in (("closure_recall", "closure"), ("false_closure", "false"),
                           ("stray_closure", "stray")):
            d = paired_difference(a, b, key)
            if d is not None:
                cells.append(f"{label} {d[3]}/{d[4]} of {d[5]}, {d[0]:+.3f} "
                             f"[{d[1]:+.3f}, {d[2]:+.3f}]")
        print(f"  {corpus:<10}" + "; ".join(cells))
    for name, sp in res["speed"].items():
        print(f"  speed {name} ({sp['audio_s']:.0f} s of LJ Speech, CPU x real time, best of "
              f"{REPEATS}): recognition {sp['recognize']:.1f}, whole audio-only bake "
              f"{sp['bake_audio_only']:.1f}, with transcript {sp['with_transcript']:.1f}, "
              f"network pass alone {sp['network_only']:.0f}")
    for name, b in res.get("batch", {}).items():
        print(f"  batch {name}: {b['lines']} lines of 1-3 s (LJ Speech), jobs 1, no transcript: "
              f"{b['lines_per_s_wall']:.2f} lines/s wall, {b['lines_per_s_cpu']:.2f} lines/s CPU "
              f"({b['failed']} failed)")
    for n in res["notes"]:
        print(f"  note: {n}")
