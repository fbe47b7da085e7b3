"""Section ``button``: time from pressing Bake to keys on the rig, for a 30-second line.

What the panel's Bake button does, step by step and timed end to end: read the panel
settings into a request (``gather_request``), start the bake in its background process
(``BakeJob``), poll it the way the modal operator's 0.1 s timer does, and write the take on
the main thread (``job.write``). The line is ~30 s of generated speech (espeak-ng sentences
back to back) baked onto the demo head, with and without its transcript, every frame and
with reduced keys. The baseline in the same run is the synchronous ``bake()`` call alone,
i.e. what the button adds on top of the pipeline (process start-up, polling, writing).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .corpora import concat_utterances, espeak_corpus

POLL_S = 0.1       # the modal operator's timer interval


def _line(folder: Path, *, seconds: float = 30.0):
    utts = espeak_corpus(folder / "parts", n_sentences=24, voices=("en-us+f3",), rates=(160,))
    return concat_utterances(utts, folder / "line_30s.wav", min_s=seconds, name="line_30s")


def _press(scene_settings, *, text, tolerance):
    import bpy

    from talkrig.addon.bake_job import BakeJob, gather_request
    s = scene_settings
    s.key_mode = "REDUCED" if tolerance else "ALL"
    if tolerance:
        s.tolerance = tolerance
    t0 = time.perf_counter()
    job = BakeJob(gather_request(bpy.context, filepath=s.audio_path, text=text,
                                 add_sound=False)).start()
    while not job.finished:
        time.sleep(POLL_S)
    t_baked = time.perf_counter()
    result = job.write(bpy.context)
    t1 = time.perf_counter()
    keys = sum(len(fc.keyframe_points) for fc in _fcurves(result.action))
    return {"button_to_keys_s": t1 - t0, "write_s": t1 - t_baked, "keys": keys,
            "state": job.state}


def _fcurves(action):
    from talkrig.addon.keyframes import action_fcurves
    return list(action_fcurves(action))


def run_section(*, quick: bool, results_dir: Path) -> dict:
    import bpy

    import talkrig
    from talkrig.addon.demo_head import create_demo_head
    from talkrig.core.pipeline import bake
    from talkrig.core.settings import BakeSettings

    folder = results_dir / "button"
    folder.mkdir(parents=True, exist_ok=True)
    line = _line(folder)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    talkrig.register()
    try:
        obj = create_demo_head()
        bpy.context.view_layer.objects.active = obj
        settings = bpy.context.scene.talkrig
        settings.audio_path = str(line.wav)
        runs = {}
        cases = [("transcript, every frame", line.text, None),
                 ("transcript, reduced 0.01", line.text, 0.01),
                 ("no transcript, every frame", None, None)]
        for name, text, tol in (cases[:1] if quick else cases):
            t0 = time.perf_counter()
            bake(str(line.wav), BakeSettings(fps=float(bpy.context.scene.render.fps)), text=text)
            base = time.perf_counter() - t0
            runs[name] = dict(_press(settings, text=text, tolerance=tol), bake_only_s=base)
    finally:
        talkrig.unregister()
    return {"line_s": line.duration, "runs": runs}


def print_table(res: dict) -> None:
    print(f"  a {res['line_s']:.1f} s line on the demo head (background process, "
          f"{POLL_S:.1f} s polling)")
    print(f"  {'case':<28} {'button->keys s':>15} {'bake() alone s':>15} {'write s':>8} "
          f"{'keys':>8}")
    for name, r in res["runs"].items():
        print(f"  {name:<28} {r['button_to_keys_s']:>15.2f} {r['bake_only_s']:>15.2f} "
              f"{r['write_s']:>8.2f} {r['keys']:>8,}")
