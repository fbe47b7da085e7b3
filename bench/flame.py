"""FLAME output: registration, mapping quality, round trip with lip closure, speed.

Models are FLAME-layout files built on the real FLAME 2023 Open template
(``tests/data/flame2023_open_partial``, CC BY 4.0), float64 like the released pickles:
``random``: 50 random smooth expression components; ``known``: 100 components that mix the
demo head's transferred ARKit shapes (1% perturbed) with random ones. The curves of the
round trip are the golden bakes of CMU ARCTIC a0009 (``tests/data/golden/*.npz``, real
speech through the full pipeline), tiled to 60 s for the speed check.

Numbers: registration (mean surface distance, landmark errors); first fit of a new model
(hash, load, register, transfer, fit, cache) on one core; the cached FLAME step of a 60 s
bake next to the same run's ``flame_params`` alone; known-shape recovery (relative vertex
error per ARKit shape); shapes the random model cannot express; round trip ARKit curves ->
FLAME parameters -> vertices against the transferred demo-head deformation; lips on the
frames where the demo head's lips are closed (< 1.5 mm), measured on FLAME's inner-lip
landmarks relative to its closed rest mouth.
"""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "data" / "golden"
CLOSED_MM = 1.5


def _curves():
    from talkrig.core.curves import FaceCurves

    out = []
    for path in sorted(GOLDEN.glob("*.npz")):
        with np.load(path, allow_pickle=False) as z:
            if "face" in z.files and "names" in z.files:
                out.append(FaceCurves(tuple(str(n) for n in z["names"]), float(z["fps"]), z["face"]))
    return out


def run_section(quick: bool = False, results_dir: Path = None) -> dict:
    sys.path.insert(0, str(REPO / "tests" / "core"))
    from flame_data import flame_raw, inner_lip_gaps, known_basis, random_basis, write_npz

    from talkrig.core.curves import FaceCurves
    from talkrig.core.flame import FlameSettings, fit_mapping, flame_from_settings, flame_params
    from talkrig.core.flame.lbs import forward
    from talkrig.core.flame.model import file_sha256, load_flame_model
    from talkrig.core.flame.params import mapping_for_settings
    from talkrig.core.flame.register import flame_regions
    from talkrig.rigs.arkit import ARKIT_NAMES
    from talkrig.rigs.demo_head import build_demo_head, lip_aperture

    work = Path(results_dir or REPO / "bench" / "results") / "flame"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    res = {}
    # 1. a random 50-component model: registration, what it cannot express
    rnd = load_flame_model(str(write_npz(work / "random50.npz", flame_raw(random_basis(50)))))
    t0 = time.process_time()
    fit0, deltas = fit_mapping(rnd)
    res["fit_random_cpu_s"] = time.process_time() - t0
    res["registration"] = fit0.registration
    rep0 = fit0.report()
    res["random_cannot_express"] = rep0["cannot_express"]
    res["random_expressible"] = sorted(set(ARKIT_NAMES) - set(rep0["cannot_express"])
                                       - set(rep0["not_transferred"]))
    # 2. first fit of a new model through the one-call path (empty cache), then cached
    eyeball = flame_regions(rnd).eyeball
    known_path = write_npz(work / "known100.npz",
                           flame_raw(known_basis(rnd, fit0, deltas, eyeball)))
    settings = FlameSettings(model_path=str(known_path), cache_dir=str(work / "cache"))
    t0, c0 = time.perf_counter(), time.process_time()
    fit, info = mapping_for_settings(settings)
    res["first_fit_wall_s"] = time.perf_counter() - t0
    res["first_fit_cpu_s"] = time.process_time() - c0
    res["model_file_mb"] = known_path.stat().st_size / 1e6
    rel = fit.rel_error[np.isfinite(fit.rel_error)]
    res["known_rel_error_max"] = float(rel.max())
    res["known_rel_error_median"] = float(np.median(rel))
    res["known_worst"] = ARKIT_NAMES[int(np.nanargmax(fit.rel_error))]
    curves = _curves()
    minute = np.concatenate([c.values for c in curves])
    reps = int(np.ceil(1800 / len(minute)))
    face60 = FaceCurves(curves[0].names, 30.0, np.tile(minute, (reps, 1))[:1800])
    t0 = time.perf_counter()
    params, rep = flame_from_settings(face60, settings)
    res["cached_step_60s_s"] = time.perf_counter() - t0
    res["cached_used"] = bool(rep["cached"])
    t0 = time.perf_counter()
    flame_params(face60, fit)
    res["baseline_flame_params_only_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    file_sha256(str(known_path))
    res["baseline_sha256_s"] = time.perf_counter() - t0
    # 3. round trip on real bakes, and the lips
    model = load_flame_model(str(known_path))
    _, D = fit_mapping(model)
    head = build_demo_head()
    rest_gaps = inner_lip_gaps(model.v_template)[0]
    errs, opening, demo_ap = [], [], []
    for c in curves:
        p = flame_params(c, fit, use_eye_channels=False)
        poses = np.zeros((c.n_frames, 5, 3))
        poses[:, 2], poses[:, 3], poses[:, 4] = p.jaw_pose, p.leye_pose, p.reye_pose
        verts = forward(model, p.expression.astype(np.float64), poses)
        W = np.zeros((c.n_frames, 52))
        for j, n in enumerate(ARKIT_NAMES):
            if n in c.names:
                W[:, j] = c.values[:, c.names.index(n)]
        ref = model.v_template[None] + np.einsum("nk,kvc->nvc", W, D)
        errs.append(np.linalg.norm(verts - ref, axis=2).ravel() * 1000)
        opening.append((inner_lip_gaps(verts) - rest_gaps).max(1) * 1000)
        demo_ap.append(lip_aperture(head, W) * 1000)
    err, opening, demo_ap = np.concatenate(errs), np.concatenate(opening), np.concatenate(demo_ap)
    closed = demo_ap < CLOSED_MM
    touching = demo_ap < 0.5
    res.update(touching_frames=int(touching.sum()),
               flame_opening_touching_max_mm=float(opening[touching].max()) if touching.any() else None,
               flame_minus_demo_closed_max_mm=float((opening - demo_ap)[closed].max())
               if closed.any() else None)
    res.update(roundtrip_frames=int(len(opening)), roundtrip_mean_mm=float(err.mean()),
               roundtrip_p99_mm=float(np.percentile(err, 99)), roundtrip_max_mm=float(err.max()),
               closed_frames=int(closed.sum()),
               flame_opening_closed_max_mm=float(opening[closed].max()) if closed.any() else None,
               demo_aperture_closed_max_mm=float(demo_ap[closed].max()) if closed.any() else None,
               flame_opening_open_median_mm=float(np.median(opening[~closed])),
               demo_aperture_open_median_mm=float(np.median(demo_ap[~closed])))
    return res


def print_table(res: dict) -> None:
    reg = res["registration"]
    print("FLAME (models on the real FLAME 2023 Open template; curves: golden ARCTIC bakes)")
    print(f"  registration demo head -> template: mean surface distance "
          f"{reg['mean_dist_flame_to_source_mm']:.2f} mm (p95 {reg['p95_dist_flame_to_source_mm']:.2f}),"
          f" demo->template {reg['mean_dist_source_to_flame_mm']:.2f} mm, scale {reg['scale']:.3f}")
    print("  landmark error mm: " + ", ".join(
        f"{k[9:-3]} {v:.2f}" for k, v in reg.items() if k.startswith("landmark_")))
    print(f"  first fit of a new model: {res['first_fit_wall_s']:.1f} s wall, "
          f"{res['first_fit_cpu_s']:.1f} s CPU (target < 30 s; model file {res['model_file_mb']:.0f} MB)")
    print(f"  60 s bake, cached mapping: FLAME step {res['cached_step_60s_s']:.3f} s "
          f"(target < 1 s; baseline flame_params alone {res['baseline_flame_params_only_s']:.3f} s,"
          f" sha256 of the model {res['baseline_sha256_s']:.3f} s)")
    print(f"  known shapes recovered: rel. vertex error max {res['known_rel_error_max']:.4f} "
          f"({res['known_worst']}), median {res['known_rel_error_median']:.4f} (target < 0.05)")
    print(f"  random 50-component model cannot express {len(res['random_cannot_express'])} "
          f"shapes; expresses only: {', '.join(res['random_expressible'])}")
    print(f"  round trip ({res['roundtrip_frames']} frames): vertex error mean "
          f"{res['roundtrip_mean_mm']:.3f} mm, p99 {res['roundtrip_p99_mm']:.3f}, max "
          f"{res['roundtrip_max_mm']:.3f}")
    print(f"  lips on {res['closed_frames']} closed frames: FLAME opening max "
          f"{res['flame_opening_closed_max_mm']:.2f} mm (demo head {res['demo_aperture_closed_max_mm']:.2f}"
          f" mm; limit {CLOSED_MM}); open frames median FLAME "
          f"{res['flame_opening_open_median_mm']:.2f} mm vs demo {res['demo_aperture_open_median_mm']:.2f}")
    print(f"  lips touching on the demo head (< 0.5 mm, {res['touching_frames']} frames): FLAME "
          f"opening max {res['flame_opening_touching_max_mm']} mm; FLAME - demo on closed frames "
          f"max {res['flame_minus_demo_closed_max_mm']} mm")
