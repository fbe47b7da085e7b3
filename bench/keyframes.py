"""Section 1: keyframe writer speed in Blender (``bpy`` module), run in a subprocess.

Measured in one run, on one mesh with the 52 ARKit shape keys:

- ``writer``: ``addon.keyframes.write_face_curves`` writing 52 channels x N frames
  (full: 1 hour at 30 fps = 108,000 frames = 5.6 M keys; quick: 10 minutes);
- ``foreach_set``: the bare Blender recipe (``keyframe_points.add`` + ``foreach_set`` on a
  channelbag, docs/FIELD_NOTES.md) on the same data: the ceiling a writer can reach;
- ``keyframe_insert``: the per-key Python loop on a small sample (52 x 300 frames; quick
  52 x 60): the floor.

Each is run 3 times on a fresh mesh (the machine is shared: best-of-3 wall time, the median,
and CPU time are reported) with a read-back check of the first run (key count and sampled
values), so a writer that is fast because it writes nothing fails the check.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_KEYS_PER_S = 2_000_000


def run_section(*, quick: bool, results_dir: Path) -> dict:
    frames = 18_000 if quick else 108_000
    insert_frames = 60 if quick else 300
    out = results_dir / "keyframes_raw.json"
    cmd = [sys.executable, "-m", "bench.keyframes", "--worker", "--frames", str(frames),
           "--insert-frames", str(insert_frames), "--out", str(out)]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0 or not out.exists():
        return {"error": (r.stderr or r.stdout)[-1500:], "frames": frames}
    res = json.loads(out.read_text())
    res["target_keys_per_s"] = TARGET_KEYS_PER_S
    return res


def print_table(res: dict) -> None:
    print("\n== 1. Keyframe writer speed (bpy %s) ==" % res.get("bpy_version", "?"))
    if "error" in res:
        print("  FAILED:", res["error"].strip().splitlines()[-1] if res["error"].strip() else "")
        return
    print(f"  {'method':<18}{'keys':>12}{'best s':>9}{'median s':>9}{'keys/s':>13}"
          f"{'keys/CPU-s':>13}  check   (best of {res.get('writer', {}).get('repeats', 3)})")
    for name in ("writer", "foreach_set", "keyframe_insert"):
        m = res.get(name)
        if m is None:
            continue
        if "skipped" in m:
            print(f"  {name:<18}  skipped: {m['skipped']}")
            continue
        print(f"  {name:<18}{m['keys']:>12,}{m['seconds']:>9.3f}{m['seconds_median']:>9.3f}"
              f"{m['keys_per_s']:>13,.0f}{m['keys_per_cpu_s']:>13,.0f}  "
              f"{'ok' if m['check_ok'] else 'FAILED ' + m.get('check', '')}")
    w, k = res.get("writer", {}), res.get("keyframe_insert", {})
    if "keys_per_s" in w and "keys_per_s" in k:
        verdict = lambda v: "MET" if v >= TARGET_KEYS_PER_S else "NOT MET"
        print(f"  writer / keyframe_insert: {w['keys_per_s'] / k['keys_per_s']:,.0f}x; "
              f"writer / foreach_set: {w['keys_per_s'] / res['foreach_set']['keys_per_s']:.2f}x; "
              f"target >= {TARGET_KEYS_PER_S:,} keys/s: {verdict(w['keys_per_s'])} (wall), "
              f"{verdict(w['keys_per_cpu_s'])} (CPU)")
    print(f"  peak RSS of the Blender process: {res.get('peak_rss_mb', float('nan')):.0f} MB")


# ---------------------------------------------------------------- worker (inside bpy)
def _curves(n_frames: int, fps: float = 30.0):
    import numpy as np

    from talkrig.core.curves import FaceCurves
    from talkrig.rigs.arkit import ARKIT_NAMES
    t = np.arange(n_frames, dtype=np.float64)[:, None] / fps
    k = np.arange(len(ARKIT_NAMES))[None, :]
    vals = 0.5 + 0.5 * np.sin(t * (0.7 + 0.13 * k) + k)    # deterministic, all distinct
    return FaceCurves(ARKIT_NAMES, fps, vals.astype(np.float32))


def _mesh(name: str):
    import bpy

    from talkrig.rigs.arkit import ARKIT_NAMES
    me = bpy.data.meshes.new(name)
    me.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    ob = bpy.data.objects.new(name, me)
    bpy.context.scene.collection.objects.link(ob)
    ob.shape_key_add(name="Basis")
    for n in ARKIT_NAMES:
        ob.shape_key_add(name=n)
    return ob


def _fcurves(ob):
    """All F-curves animating the object's shape keys (slotted or legacy actions)."""
    key = ob.data.shape_keys
    ad = key.animation_data
    if ad is None or ad.action is None:
        return []
    act = ad.action
    try:
        from bpy_extras import anim_utils
        cb = anim_utils.action_get_channelbag_for_slot(act, ad.action_slot)
        return list(cb.fcurves) if cb is not None else []
    except (AttributeError, ImportError):
        return list(act.fcurves)


def _check(ob, curves, frame_start: int) -> tuple[bool, str]:
    import numpy as np
    fcs = _fcurves(ob)
    if len(fcs) != len(curves.names):
        return False, f"{len(fcs)} F-curves, expected {len(curves.names)}"
    n = curves.n_frames
    for fc in fcs:
        if len(fc.keyframe_points) != n:
            return False, f"{fc.data_path}: {len(fc.keyframe_points)} keys, expected {n}"
    for fc in fcs[::13]:
        name = fc.data_path.split('"')[1]
        col = curves.channel(name)
        for i in (0, n // 3, n - 1):
            kp = fc.keyframe_points[i]
            if abs(kp.co[0] - (frame_start + i)) > 1e-3 or abs(kp.co[1] - col[i]) > 1e-5:
                return False, f"{name} key {i}: {tuple(kp.co)} vs ({frame_start + i}, {col[i]})"
    return True, ""


def _foreach_set(ob, curves, frame_start: int):
    import bpy
    import numpy as np
    from bpy_extras import anim_utils
    key = ob.data.shape_keys
    ad = key.animation_data_create()
    ad.action = act = bpy.data.actions.new("Ref")
    if ad.action_slot is None:
        ad.action_slot = act.slots.new(id_type="KEY", name=key.name)
    cb = anim_utils.action_ensure_channelbag_for_slot(act, ad.action_slot)
    n = curves.n_frames
    co = np.empty(2 * n, dtype=np.float32)
    co[0::2] = np.arange(frame_start, frame_start + n, dtype=np.float32)
    interp = np.ones(n, dtype=np.int32)         # LINEAR
    for j, name in enumerate(curves.names):
        fc = cb.fcurves.new(f'key_blocks["{name}"].value', index=0, group_name="ARKit")
        fc.keyframe_points.add(n)
        co[1::2] = curves.values[:, j]
        fc.keyframe_points.foreach_set("co", co)
        fc.keyframe_points.foreach_set("interpolation", interp)
        fc.update()


def _insert(ob, curves, frame_start: int):
    kb = ob.data.shape_keys.key_blocks
    for j, name in enumerate(curves.names):
        blk = kb[name]
        col = curves.values[:, j]
        for i in range(curves.n_frames):
            blk.value = float(col[i])
            blk.keyframe_insert("value", frame=frame_start + i)


def _cleanup(ob):
    import bpy
    key = ob.data.shape_keys
    acts = set()
    if key is not None and key.animation_data is not None:
        if key.animation_data.action is not None:
            acts.add(key.animation_data.action)
        for tr in key.animation_data.nla_tracks:
            for st in tr.strips:
                if st.action is not None:
                    acts.add(st.action)
    me = ob.data
    bpy.data.objects.remove(ob)
    bpy.data.meshes.remove(me)
    for a in acts:
        bpy.data.actions.remove(a)


def _timed(label, fn, curves, repeats: int, frame_start=1) -> dict:
    """Best (and median) of ``repeats`` runs, each on a fresh mesh; wall and CPU time."""
    walls, cpus, msg, ok = [], [], "", True
    for r in range(repeats):
        ob = _mesh(f"{label}{r}")
        c0, t0 = time.process_time(), time.perf_counter()
        fn(ob, curves, frame_start)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        if r == 0:
            ok, msg = _check(ob, curves, frame_start)
        _cleanup(ob)
    keys = curves.n_frames * len(curves.names)
    best = min(walls)
    return {"keys": keys, "frames": curves.n_frames, "repeats": repeats, "seconds": best,
            "seconds_median": float(sorted(walls)[len(walls) // 2]), "cpu_seconds": min(cpus),
            "keys_per_s": keys / best, "keys_per_cpu_s": keys / max(min(cpus), 1e-9),
            "check_ok": ok, "check": msg}


def worker(frames: int, insert_frames: int, out: Path, repeats: int = 3) -> None:
    import resource

    import bpy
    bpy.ops.wm.read_factory_settings(use_empty=True)
    res = {"bpy_version": bpy.app.version_string, "frames_fps": 30.0}
    big = _curves(frames)
    try:
        from talkrig.addon.keyframes import write_face_curves
    except ImportError as exc:
        res["writer"] = {"skipped": f"addon.keyframes.write_face_curves not importable ({exc})"}
    else:
        res["writer"] = _timed(
            "Writer", lambda o, c, f: write_face_curves(o, c, mapping=None,
                                                        action_name="BenchTake", frame_start=f),
            big, repeats)
    res["foreach_set"] = _timed("Ref", _foreach_set, big, repeats)
    res["keyframe_insert"] = _timed("Insert", _insert, _curves(insert_frames), repeats)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--frames", type=int, default=108_000)
    ap.add_argument("--insert-frames", type=int, default=300)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    worker(a.frames, a.insert_frames, a.out)
