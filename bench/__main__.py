"""``python -m bench``: speed and quality numbers, each next to a baseline of the same run.

Sections (``--only`` picks some, default all):

  keyframes    1. keyframe writer speed in Blender vs keyframe_insert / bare foreach_set
  lipsync      2. lip-sync quality per corpus (espeak, festival, arctic, ljspeech)
  performance  3. blinks, head motion, lips under each basic emotion
  batch        many lines through `talkrig batch`: jobs 1 vs 2 vs Dask (bench/batch.py)
  button       time from the panel's Bake button to keys for a 30 s line (bench/button.py)
  long         2b. one hour of generated speech through the full pipeline: peak memory
  recognizer   phoneme recognisers side by side, audio only: lips, boundaries, speed
  body         SMPL-X gestures vs real-gesture statistics, still/jitter floors (bench/body.py)
  retarget     body takes on Mixamo/UE5/Rigify/Unity/VRM rigs: direction errors, 10-min speed
  flame        FLAME output: registration, mapping errors, round trip + lips, fit/cached speed

``--quick`` runs small subsets (minutes on 2 cores); ``--corpus`` narrows section 2.
Tables go to stdout, everything measured to ``bench/results/<section>.json`` plus
``bench/results/latest.json``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
SECTIONS = ("keyframes", "lipsync", "recognizer", "performance", "batch", "button", "long",
            "body", "retarget", "flame", "preview")


def _clean(o):
    """JSON-safe copy (nan -> None)."""
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if hasattr(o, "item"):
        return _clean(o.item())
    return o


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=SECTIONS, help="sections to run")
    ap.add_argument("--skip", nargs="+", choices=SECTIONS, default=[], help="sections to skip")
    ap.add_argument("--quick", action="store_true", help="small subsets")
    ap.add_argument("--corpus", nargs="+", default=["espeak", "festival", "arctic", "ljspeech"],
                    choices=["espeak", "festival", "arctic", "ljspeech"])
    ap.add_argument("--results", type=Path, default=RESULTS)
    a = ap.parse_args(argv)
    # CPU-time speeds are per core: numeric libraries run single-threaded here, since idle
    # BLAS worker threads spin after each call and their spinning counts as CPU time of
    # the process (measured: alignment 18.5x -> 29.1x real time on espeak in a full run,
    # same curves). Set before numpy loads; the batch section's workers do the same.
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
    sections = [s for s in (a.only or SECTIONS) if s not in a.skip]
    a.results.mkdir(parents=True, exist_ok=True)
    report = {"quick": a.quick, "python": platform.python_version(),
              "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
              "machine": platform.machine(), "sections": {}}
    for sec in sections:
        t0 = time.perf_counter()
        print(f"\n### {sec} ({'quick' if a.quick else 'full'}) ...", flush=True)
        if sec == "keyframes":
            from . import keyframes as mod
            res = mod.run_section(quick=a.quick, results_dir=a.results)
            mod.print_table(res)
        elif sec == "lipsync":
            from . import lipsync as mod
            res = mod.run_section(quick=a.quick, results_dir=a.results, corpora=a.corpus)
            mod.print_tables(res)
        elif sec == "recognizer":
            from . import recognizer as mod
            res = mod.run_section(quick=a.quick, results_dir=a.results, corpora=a.corpus)
            mod.print_table(res)
        elif sec == "performance":
            from . import performance as mod
            res = mod.run_section(quick=a.quick, results_dir=a.results)
            mod.print_tables(res)
        elif sec in ("batch", "button", "body", "retarget", "flame", "preview"):
            mod = importlib.import_module(f".{sec}", __package__)
            res = mod.run_section(quick=a.quick, results_dir=a.results)
            mod.print_table(res)
        else:
            from . import longrun as mod
            res = mod.run_section(quick=a.quick, results_dir=a.results)
            mod.print_table(res)
        res["wall_s"] = time.perf_counter() - t0
        report["sections"][sec] = res
        (a.results / f"{sec}.json").write_text(json.dumps(_clean(res), indent=1))
        print(f"  ({sec}: {res['wall_s']:.0f} s)", flush=True)
    (a.results / "latest.json").write_text(json.dumps(_clean(report), indent=1))
    print(f"\nresults: {a.results}/latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
