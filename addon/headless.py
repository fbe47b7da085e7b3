"""Headless Blender output: bake curves onto a head, save .blend, export FBX/glb, render a
preview video; the demo.

Used by the CLI (``talkrig bake speech.wav -o face.blend``, ``talkrig demo --out out``)
with Blender as a Python module (``bpy``); nothing here needs a display.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import bpy
import numpy as np

from ..core.performance import Performance
from ..core.errors import AudioNotFoundError, ExportError, RigMappingError
from ..rigs.arkit import ARKIT_NAMES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "arctic"
DEMO_CLIP = "arctic_a0009"
ACTION_NAME = "talkrig_take"


def _pick_target(path: str) -> bpy.types.Object:
    """Open ``path`` and return its face mesh: the active mesh with shape keys, else the
    mesh whose shape keys match the most ARKit and viseme names."""
    from ..rigs.visemes import match_viseme_keys
    from .keyframes import shape_key_mapping

    if not os.path.isfile(path):
        raise ExportError(f"target '{path}' does not exist: give a .blend with a face mesh")
    bpy.ops.wm.open_mainfile(filepath=path)
    active = bpy.context.view_layer.objects.active
    candidates = [o for o in bpy.context.scene.objects
                  if o.type == "MESH" and o.data.shape_keys is not None]
    if active in candidates:
        return active
    scored = sorted(((len(shape_key_mapping(o).matched)
                      + len(match_viseme_keys(o.data.shape_keys.key_blocks.keys()[1:]).matched),
                      o.name, o) for o in candidates), key=lambda t: (-t[0], t[1]))
    if not scored or scored[0][0] == 0:
        raise RigMappingError(f"'{path}' has no mesh with ARKit shape keys (jawOpen, mouthClose, "
                              "...) or viseme shape keys (vrc.v_aa, viseme_aa, ...)")
    return scored[0][2]


def _add_camera_and_light(obj) -> None:
    scene = bpy.context.scene
    if scene.camera is None:
        cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
        scene.collection.objects.link(cam)
        cam.data.lens = 85.0
        loc = obj.matrix_world.translation
        cam.location = (loc.x, loc.y - 0.95, loc.z - 0.005)
        cam.rotation_euler = (np.pi / 2, 0.0, 0.0)
        scene.camera = cam
    if not any(o.type == "LIGHT" for o in scene.objects):
        light = bpy.data.objects.new("Key Light", bpy.data.lights.new("Key Light", "AREA"))
        light.data.energy = 40.0
        light.location = (0.4, -0.8, 0.5)
        light.rotation_euler = (np.radians(55), 0.0, np.radians(25))
        scene.collection.objects.link(light)


def bake_to_files(performance: Performance, *, audio_path=None, blend=None, fbx=None, glb=None,
                  target=None, frame_start: int = 1, fbx_preset: str = "default",
                  preview=None, preview_options=None, drive: str = "auto") -> dict:
    """Write a baked performance onto a head in a fresh Blender session and save it.

    Parameters
    ----------
    performance : Performance
        From ``core.pipeline.bake``; ``performance.face`` is written.
    audio_path : str, optional
        Speech to put into the sequencer (playback audio).
    blend, fbx, glb : str, optional
        Output paths (folders must exist).
    fbx_preset : {"default", "unreal", "unity"}
        FBX exporter settings (``addon.export.FBX_PRESETS``).
    preview : str, optional
        Also render a preview video (.mp4 with the speech) here (``addon.preview``).
    preview_options : dict, optional
        Keyword arguments for ``render_preview`` (``resolution``, ``frame_step``,
        ``max_seconds``, ``engine``).
    target : str, optional
        A .blend holding the face mesh; the demo head is built when omitted.
    frame_start : int
        Blender frame of the take's first frame.
    drive : {"auto", "arkit", "visemes"}
        Which shape keys the mouth drives (``addon.viseme_keys``): the performance's viseme
        track onto a viseme rig's keys (VRChat ``vrc.v_aa``, Oculus ``viseme_aa`` ...), or ARKit.

    Returns
    -------
    dict with ``object``, ``action``, ``matched`` (int, ARKit keys), ``missing`` (tuple),
    ``drive`` ("arkit" or "visemes": what ran), ``viseme_matched`` (dict viseme -> key,
    empty unless visemes drove), ``viseme_missing`` (tuple) and the paths written under
    ``blend``/``fbx``/``glb``/``preview``.
    """
    from .viseme_keys import action_drive, check_drive
    from .demo_head import create_demo_head
    from .export import export_fbx, export_glb
    from .keyframes import shape_key_mapping, write_face_curves
    from .sound import add_sound_strip

    outputs = {"blend": blend, "fbx": fbx, "glb": glb, "preview": preview}
    for kind, path in outputs.items():
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise ExportError(f"cannot write '{path}': its folder does not exist; create it first")
    if target:
        obj = _pick_target(os.path.abspath(target))
    else:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        obj = create_demo_head()
        _add_camera_and_light(obj)
    view_layer = bpy.context.view_layer
    for other in view_layer.objects:
        other.select_set(False)
    obj.select_set(True)
    view_layer.objects.active = obj
    mapping = shape_key_mapping(obj)
    action = write_face_curves(obj, performance.face, mapping=mapping, action_name=ACTION_NAME,
                               frame_start=frame_start, set_fps=True,
                               visemes=performance.visemes, drive=check_drive(drive))
    if audio_path:
        add_sound_strip(bpy.context.scene, str(audio_path), frame_start=frame_start)
    mode, vis_keys, vis_missing = action_drive(action)
    result = {"object": obj.name, "action": action.name, "matched": len(mapping.matched),
              "missing": tuple(mapping.missing), "drive": mode, "viseme_matched": vis_keys,
              "viseme_missing": vis_missing}
    if blend:
        path = os.path.abspath(blend)
        try:
            bpy.ops.wm.save_as_mainfile(filepath=path, relative_remap=True)
        except RuntimeError as exc:
            raise ExportError(f"saving '{path}' failed: {exc}") from exc
        result["blend"] = path
    if fbx:
        result["fbx"] = export_fbx(obj, fbx, preset=fbx_preset)
    if glb:
        result["glb"] = export_glb(obj, glb)
    if preview:
        from .preview import render_preview

        result["preview"] = render_preview(obj, preview, audio_path=audio_path,
                                           **(preview_options or {}))
    return result


def plot_performance(performance: Performance, samples: np.ndarray, sr: int, path: str,
                     *, title: str = "") -> str:
    """PNG of the main curves over the waveform, time axis in seconds (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    face = performance.face
    t = face.times
    fig, ax = plt.subplots(figsize=(11, 4.2), dpi=110)
    ts = np.arange(len(samples)) / sr
    peak = float(np.abs(samples).max()) or 1.0
    ax.fill_between(ts, -0.5 * samples / peak + 0.5, 0.5 * samples / peak + 0.5,
                    color="0.82", lw=0, label="speech")
    curves = [("jawOpen", "tab:red"), ("mouthClose", "tab:blue"), ("mouthFunnel", "tab:purple"),
              ("mouthPucker", "tab:pink"), ("mouthSmileLeft", "tab:green"),
              ("eyeBlinkLeft", "tab:gray")]
    for name, color in curves:
        if name in face.names:
            ax.plot(t, face.channel(name), color=color, lw=1.6, label=name)
    ax.set_xlim(0, max(t[-1], ts[-1] if len(ts) else 0))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("weight")
    ax.set_title(title or f"talkrig: {face.n_frames} frames at {face.fps:g} fps")
    ax.legend(loc="upper right", ncol=4, fontsize=8, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def run_demo(out_dir, *, fps: float = 30.0, seed: int = 0) -> str:
    """Bake the example speech onto the demo head and write everything to ``out_dir``.

    Writes demo.blend (with the speech in the sequencer), demo.fbx, demo.glb, demo.csv
    (Live Link Face layout), demo.png (curves over the waveform), demo_face.png (the head
    at the widest mouth opening), demo.mp4 (preview video with the speech, 320 px) and
    demo.wav (the speech the .blend plays).
    Returns a one-line summary.
    """
    from ..core.audio import load_audio
    from ..core.io import write_curves
    from ..core.pipeline import bake
    from .demo_head import render_preview

    wav = EXAMPLES / f"{DEMO_CLIP}.wav"
    if not wav.is_file():
        raise AudioNotFoundError(f"example speech '{wav}' is missing: run 'make examples' "
                                 "(scripts/fetch_examples.py) first")
    txt = wav.with_suffix(".txt")
    text = txt.read_text(encoding="utf-8").strip() if txt.is_file() else None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    audio = out / "demo.wav"
    shutil.copyfile(wav, audio)
    from ..core.settings import BakeSettings
    perf = bake(str(audio), BakeSettings(fps=fps, seed=seed), text=text)
    write_curves(str(out / "demo.csv"), perf)
    speech = load_audio(str(audio))
    plot_performance(perf, speech.samples, speech.sr, str(out / "demo.png"),
                     title=f"talkrig demo: {DEMO_CLIP}" + (f' "{text}"' if text else ""))
    result = bake_to_files(perf, audio_path=str(audio), blend=str(out / "demo.blend"),
                           fbx=str(out / "demo.fbx"), glb=str(out / "demo.glb"),
                           preview=str(out / "demo.mp4"))
    obj = bpy.data.objects[result["object"]]
    frame = 1 + int(np.argmax(perf.face.channel("jawOpen")))
    bpy.context.scene.frame_set(frame)
    render_preview(obj, str(out / "demo_face.png"))
    jaw = perf.face.channel(ARKIT_NAMES[ARKIT_NAMES.index("jawOpen")])
    return (f"{perf.face.n_frames} frames at {perf.face.fps:g} fps, {result['matched']}/52 keys, "
            f"jawOpen max {float(jaw.max()):.2f}")
