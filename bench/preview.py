"""Section ``preview``: how long ``talkrig bake line.wav -o line.mp4`` takes for a 5-second line.

The line is the two ARCTIC examples back to back, cut at 5.0 s (``examples/arctic``). Each
run is a fresh process, timed end to end (wall, and CPU of the process and its children,
ffmpeg included), as a user runs it:

- ``cli draft``: the CLI's preview (``addon.headless.DRAFT_PREVIEW``: 256 px, every second
  frame, no edge smoothing), the acceptance number of issue 14;
- baseline in the same run, ``full quality``: the same bake with the panel's preview
  settings (every frame, 320 px, smoothed), i.e. what the CLI rendered before the draft
  (minus the per-frame still renders it used then: those cost ~17 ms a frame more).
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL = ("from talkrig.core.pipeline import bake; from talkrig.addon import headless; "
        "perf = bake({audio!r}); headless.bake_to_files(perf, audio_path={audio!r}, "
        "preview={out!r}, preview_options=dict(antialias=True, frame_step=1, resolution=320))")


def _line(folder: Path) -> Path:
    import numpy as np
    import soundfile as sf

    parts = [sf.read(ROOT / "examples" / "arctic" / f"arctic_a{n}.wav") for n in ("0009", "0007")]
    sr = parts[0][1]
    x = np.concatenate([parts[0][0], np.zeros(int(0.2 * sr)), parts[1][0]])[: 5 * sr]
    path = folder / "line.wav"
    sf.write(path, x.astype(np.float32), sr, subtype="PCM_16")
    return path


def _timed(cmd, cwd) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[2:]} failed: {proc.stderr[-400:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}


def run_section(*, quick: bool = False, results_dir=None) -> dict:
    repeats = 1 if quick else 2
    with tempfile.TemporaryDirectory(prefix="talkrig_bench_preview_") as tmp:
        folder = Path(tmp)
        audio = _line(folder)
        runs = {"cli draft": [], "full quality": []}
        for _ in range(repeats):
            runs["cli draft"].append(_timed([sys.executable, "-m", "talkrig.app.cli", "bake",
                                             str(audio), "-o", "draft.mp4", "-q"], folder))
            runs["full quality"].append(_timed([sys.executable, "-c", FULL.format(
                audio=str(audio), out=str(folder / "full.mp4"))], folder))
    best = {k: min(v, key=lambda r: r["wall_s"]) for k, v in runs.items()}
    return {"line_s": 5.0, "runs": runs, "best": best,
            "load_avg": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}


def print_table(res: dict) -> None:
    print(f"  5.0 s line to .mp4 (fresh process each; load average {res['load_avg']:.1f}):")
    print(f"  {'':14s} {'wall s':>8} {'cpu s':>8}")
    for name, r in res["best"].items():
        print(f"  {name:14s} {r['wall_s']:8.2f} {r['cpu_s']:8.2f}")
