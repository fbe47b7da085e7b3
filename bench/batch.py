"""Section ``batch``: many cutscene lines through ``talkrig batch``.

A manifest of generated speech lines (espeak-ng voices and rates, with their transcripts and
a few emotions) is baked to Live Link Face CSV three ways in the same run:

- ``--jobs 1``: the baseline,
- ``--jobs 2``: local worker processes (speed-up printed against the baseline),
- a Dask ``LocalCluster`` on loopback with 2 single-threaded workers, through the same
  ``--scheduler`` code path a real cluster uses.

Every run must bake every row (``failed == 0``) and the three runs must write identical
curves, so the numbers compare equal work. Outputs go under ``bench/results/batch/``.
"""
from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import numpy as np

from .corpora import espeak_corpus

EMOTIONS = ("", "happiness=0.8", "sadness=0.7", "anger=0.6,surprise=0.3", "fear=0.5")


def make_manifest(folder: Path, *, n_lines: int) -> Path:
    """Generate ``n_lines`` speech lines and a CSV manifest baking each to CSV."""
    voices = ("en-us", "en-us+f3", "en-us+m3", "en-us+f5")
    per_voice = -(-n_lines // (len(voices) * 2))
    utts = espeak_corpus(folder / "audio", n_sentences=per_voice, voices=voices)[:n_lines]
    manifest = folder / "lines.csv"
    with open(manifest, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["audio", "text", "emotion", "output"])
        for k, u in enumerate(utts):
            w.writerow([u.wav.relative_to(folder), u.text, EMOTIONS[k % len(EMOTIONS)],
                        f"out/{u.name}.csv"])
    return manifest


def _run(manifest: Path, out_dir: Path, **kwargs) -> dict:
    from talkrig.app.batch import load_manifest, run_batch, summarize
    shutil.rmtree(out_dir, ignore_errors=True)
    rows = load_manifest(manifest)
    t0 = time.perf_counter()
    results = run_batch(rows, show_progress=False, force=True, **kwargs)
    seconds = time.perf_counter() - t0
    summary = summarize(results, seconds=seconds)
    return {"summary": summary, "rows": rows}


def _curves(rows) -> list:
    from talkrig.core.io import read_curves
    return [read_curves(r.output).values for r in rows]


def run_section(*, quick: bool, results_dir: Path) -> dict:
    folder = results_dir / "batch"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    n_lines = 12 if quick else 100
    manifest = make_manifest(folder, n_lines=n_lines)
    audio_s = sum(__import__("soundfile").info(str(p)).duration
                  for p in (folder / "audio").glob("*.wav"))
    runs = {}
    one = _run(manifest, folder / "out", jobs=1)
    ref = _curves(one["rows"])
    runs["jobs=1"] = one["summary"]
    two = _run(manifest, folder / "out", jobs=2)
    runs["jobs=2"] = two["summary"]
    same = all(np.array_equal(a, b) for a, b in zip(ref, _curves(two["rows"])))
    try:
        from distributed import LocalCluster
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            dask = _run(manifest, folder / "out", scheduler=cluster.scheduler_address)
        runs["dask (2 local workers)"] = dask["summary"]
        same = same and all(np.array_equal(a, b) for a, b in zip(ref, _curves(dask["rows"])))
    except ImportError:
        runs["dask (2 local workers)"] = None
    base = runs["jobs=1"]["seconds"]
    for summary in runs.values():
        if summary:
            summary["speedup"] = base / summary["seconds"]
            summary["lines_per_min"] = 60 * summary["rows"] / summary["seconds"]
    return {"lines": n_lines, "audio_s": audio_s, "identical_curves": same, "runs": runs}


def print_table(res: dict) -> None:
    print(f"  {res['lines']} lines, {res['audio_s']:.0f} s of generated speech; "
          f"identical curves across runs: {res['identical_curves']}")
    print(f"  {'run':<24} {'ok':>4} {'failed':>6} {'seconds':>8} {'lines/min':>10} {'speed-up':>9}")
    for name, s in res["runs"].items():
        if s is None:
            print(f"  {name:<24} (distributed not installed)")
            continue
        print(f"  {name:<24} {s['ok']:>4} {s['failed']:>6} {s['seconds']:>8.1f} "
              f"{s['lines_per_min']:>10.1f} {s['speedup']:>8.2f}x")
