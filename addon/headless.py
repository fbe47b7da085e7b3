"""Headless Blender output: bake curves onto a head, save .blend, export FBX/glb, render a
preview video; the demo.

Used by the CLI (``talkrig bake speech.wav -o face.blend``, ``talkrig demo --out out``)
with Blender as a Python module (``bpy``); nothing here needs a display.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import bpy
import numpy as np

from ..core.performance import Performance
from ..core.errors import AudioNotFoundError, ExportError, RigMappingError
from ..rigs.arkit import ARKIT_NAMES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "arctic"
DEMO_CLIP = "arctic_a0009"
ACTION_NAME = "talkrig_take"
#: The preview the CLI and batch render unless told otherwise, a draft for checking timing:
#: 256 px, every second frame ("on twos": 15 fps from a 30 fps take, same duration),
#: without Workbench's edge smoothing. With software GL (no GPU) a frame costs ~35 ms for
#: the mesh whatever its size, plus the pixels; smoothing doubles the pixel part
#: (docs/FIELD_NOTES.md, "Preview render time"). The panel's preview renders every frame
#: at 320 px, smoothed.
DRAFT_PREVIEW = {"antialias": False, "frame_step": 2, "resolution": 256}


class TargetError(RigMappingError):
    """The ``--target`` file is missing, not a .blend, damaged, or holds no face mesh."""


def check_target(path: str) -> dict:
    """Check a target .blend before a bake and open it: it exists, Blender can read it, and
    it holds a face mesh (shape keys with ARKit or viseme names). A bake that follows
    (:func:`bake_to_files` with the same ``target``) uses the opened file as it is.

    Returns ``{"path": absolute path, "object": name of the face mesh}``.

    Raises
    ------
    TargetError
        Missing, not a file, not a .blend (random bytes, a .wav ...), truncated or damaged,
        or without a mesh; one line saying what to give instead.
    RigMappingError
        No mesh with ARKit or viseme shape keys.
    """
    path = os.path.abspath(os.fspath(path))
    if not os.path.exists(path):
        raise TargetError(f"target '{path}' does not exist: give a .blend with a face mesh")
    if not os.path.isfile(path):
        raise TargetError(f"target '{path}' is not a file: give a .blend with a face mesh")
    current = bpy.data.filepath and os.path.abspath(bpy.data.filepath) == path
    try:        # the file's index only: a damaged file fails here, before a long load
        with quiet_output(), bpy.data.libraries.load(path) as (data_from, _):
            meshes = len(data_from.meshes)
    except (OSError, RuntimeError, ValueError) as exc:
        if current:                  # Blender reads no index of the open file: load it below
            meshes = 1
        else:
            _raise_unreadable(path, exc)
    if meshes == 0:
        raise TargetError(f"target '{path}' holds no mesh; give a .blend with a face mesh that "
                          "has ARKit or viseme shape keys")
    try:
        with quiet_output():
            bpy.ops.wm.open_mainfile(filepath=path)
    except RuntimeError as exc:
        raise TargetError(f"target '{path}' cannot be opened: {' '.join(str(exc).split())[:200]}") \
            from None
    return {"path": path, "object": _face_in_scene(path).name}


def _raise_unreadable(path: str, exc: Exception):
    why = " ".join(str(exc).split())
    kind = ("damaged or truncated" if "DNA" in why or "truncat" in why.lower()
            else "not a .blend file Blender can read")
    raise TargetError(f"target '{path}' is {kind}; give a .blend saved by Blender 4.2 or "
                      f"newer with a face mesh ({why[:160]})") from None


def _pick_target(path: str) -> bpy.types.Object:
    """The face mesh of target ``path``: opened and checked by :func:`check_target`, unless
    that file is open already and unchanged."""
    path = os.path.abspath(path)
    if bpy.data.filepath and os.path.abspath(bpy.data.filepath) == path and not bpy.data.is_dirty:
        return _face_in_scene(path)
    name = check_target(path)["object"]       # opens the file: look the object up after
    return bpy.data.objects[name]


def _face_in_scene(path: str) -> bpy.types.Object:
    """The active mesh with shape keys, else the mesh whose shape keys match the most ARKit
    and viseme names."""
    from ..rigs.visemes import match_viseme_keys
    from .keyframes import shape_key_mapping

    active = bpy.context.view_layer.objects.active
    candidates = [o for o in bpy.context.scene.objects
                  if o.type == "MESH" and o.data.shape_keys is not None]
    if active in candidates:
        return active
    scored = sorted(((len(shape_key_mapping(o).matched)
                      + len(match_viseme_keys(o.data.shape_keys.key_blocks.keys()[1:]).matched),
                      o.name, o) for o in candidates), key=lambda t: (-t[0], t[1]))
    if not scored or scored[0][0] == 0:
        raise RigMappingError(f"target '{path}' has no mesh with ARKit shape keys (jawOpen, "
                              "mouthClose, ...) or viseme shape keys (vrc.v_aa, viseme_aa, ...)")
    return scored[0][2]


@contextlib.contextmanager
def quiet_output():
    """Send what Blender's C code and exporters print (``Info: Saved``, FBX/glTF progress,
    ``EGL Error`` lines of the headless GPU) to a temporary file instead of the terminal:
    file descriptors 1 and 2 are redirected, Python's own streams flushed around it."""
    streams = [s for s in (sys.stdout, sys.stderr) if s is not None]
    try:
        fds = [s.fileno() for s in streams]
    except (AttributeError, OSError, ValueError):       # no real descriptors (captured)
        yield
        return
    for s in streams:
        s.flush()
    saved = [os.dup(fd) for fd in fds]
    try:
        with tempfile.TemporaryFile() as sink:
            for fd in fds:
                os.dup2(sink.fileno(), fd)
            try:
                yield
            finally:
                for s in streams:
                    with contextlib.suppress(OSError, ValueError):
                        s.flush()
                for fd, keep in zip(fds, saved):
                    os.dup2(keep, fd)
    finally:
        for keep in saved:
            os.close(keep)


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
                  preview=None, preview_options=None, drive: str = "auto",
                  pack_sound: bool = True, transaction=None, quiet: bool = True,
                  body_target=None) -> dict:
    """Write a baked performance onto a head in a fresh Blender session and save it.

    All outputs are written to temporary files beside their targets and moved into place
    together at the end (``core.io.atomic.OutputTransaction``): after any failure or
    interrupt every existing file is as it was and no temporary file is left.

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
        ``max_seconds``, ``engine``, ``antialias``, ``progress``).
    target : str, optional
        A .blend holding the face mesh; the demo head is built when omitted.
    frame_start : int
        Blender frame of the take's first frame.
    drive : {"auto", "arkit", "visemes"}
        Which shape keys the mouth drives (``addon.viseme_keys``): the performance's viseme
        track onto a viseme rig's keys (VRChat ``vrc.v_aa``, Oculus ``viseme_aa`` ...), or ARKit.
    pack_sound : bool
        Pack the speech into the saved .blend, so it still plays after the file (or the
        audio) moved; False keeps a path to the audio file instead.
    transaction : core.io.atomic.OutputTransaction, optional
        Write into this transaction and leave the commit to its owner (the CLI puts its
        curve files into the same one); default: an own one, committed here.
    quiet : bool
        Keep Blender's own printing (exporters, ``Saved``, EGL messages) off the terminal.
    body_target : str, optional
        With ``performance.body``: a .blend whose armature takes the body
        (``addon.body_headless``); default the target's own armature, or the mannequin.

    Returns
    -------
    dict with ``object``, ``action``, ``matched`` (int, ARKit keys), ``missing`` (tuple),
    ``drive`` ("arkit" or "visemes": what ran), ``viseme_matched`` (dict viseme -> key,
    empty unless visemes drove), ``viseme_missing`` (tuple) and the real paths under
    ``blend``/``fbx``/``glb``/``preview``.
    """
    from ..core.io.atomic import OutputTransaction

    outputs = {"blend": blend, "fbx": fbx, "glb": glb, "preview": preview}
    for kind, path in outputs.items():
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise ExportError(f"cannot write '{path}': its folder does not exist; create it first")
    own = transaction is None
    tx = OutputTransaction() if own else transaction
    with (tx if own else contextlib.nullcontext()), \
            (quiet_output() if quiet else contextlib.nullcontext()):
        try:
            return _bake_into(tx, performance, audio_path=audio_path, target=target,
                              frame_start=frame_start, drive=drive, pack_sound=pack_sound,
                              outputs=outputs, fbx_preset=fbx_preset,
                              preview_options=preview_options, body_target=body_target)
        except BaseException as exc:
            if not own and exc.args and isinstance(exc.args[0], str):
                exc.args = (tx.real_name(exc.args[0]),) + tuple(exc.args[1:])
            raise


def _bake_into(tx, performance, *, audio_path, target, frame_start, drive, pack_sound, outputs,
               fbx_preset, preview_options, body_target=None) -> dict:
    from . import export
    from .demo_head import create_demo_head
    from .keyframes import shape_key_mapping, write_face_curves
    from .sound import add_sound_strip
    from .viseme_keys import action_drive, check_drive

    rig = None
    if target:
        obj = _pick_target(os.path.abspath(target))
    elif performance.body is not None and not body_target:
        from .body_headless import mannequin_scene
        rig, obj = mannequin_scene()
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
    strip = None
    if audio_path:
        strip = add_sound_strip(bpy.context.scene, str(audio_path), frame_start=frame_start)
    mode, vis_keys, vis_missing = action_drive(action)
    result = {"object": obj.name, "action": action.name, "matched": len(mapping.matched),
              "missing": tuple(mapping.missing), "drive": mode, "viseme_matched": vis_keys,
              "viseme_missing": vis_missing}
    if performance.body is not None:
        from .body_headless import body_armature, write_body
        rig = rig or body_armature(obj, target=target, body_target=body_target)
        take = write_body(rig, performance, frame_start=frame_start)
        result.update(armature=rig.name, body_action=take.action.name, body_bones=len(take.bones))
    if outputs["blend"]:
        path = os.path.abspath(outputs["blend"])
        if pack_sound and strip is not None and strip.sound is not None \
                and strip.sound.packed_file is None:
            strip.sound.pack()
        try:
            # a fresh temporary name: Blender keeps no .blend1 backup; copy: the session
            # keeps its own file name, relative paths are remapped to the output's folder
            bpy.ops.wm.save_as_mainfile(filepath=tx.temp(path), copy=True, relative_remap=True)
        except RuntimeError as exc:
            raise ExportError(f"saving '{path}' failed: {' '.join(str(exc).split())}") from None
        result["blend"] = path
    if outputs["fbx"]:
        if rig is not None:
            from .body_export import export_body
            export_body(rig, tx.temp(outputs["fbx"]), face=obj, preset=fbx_preset)
        else:
            export.export_fbx(obj, tx.temp(outputs["fbx"]), preset=fbx_preset)
        result["fbx"] = os.path.abspath(outputs["fbx"])
    if outputs["glb"]:
        if rig is not None:
            from .body_export import export_body
            export_body(rig, tx.temp(outputs["glb"]), face=obj)
        else:
            export.export_glb(obj, tx.temp(outputs["glb"]))
        result["glb"] = os.path.abspath(outputs["glb"])
    if outputs["preview"]:
        from .preview import render_preview

        options = dict(DRAFT_PREVIEW, **(preview_options or {}))
        if rig is not None and bpy.context.scene.camera is not None:     # the whole character
            from .demo_body import render_body_preview
            render_body_preview(rig, tx.temp(outputs["preview"]), audio_path=audio_path)
        else:
            render_preview(obj, tx.temp(outputs["preview"]), audio_path=audio_path, **options)
        result["preview"] = os.path.abspath(outputs["preview"])
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
    from .demo_body import run_clip
    run_clip(out, audio, text=text, fps=fps, seed=seed)         # the mannequin: demo_body.*
    jaw = perf.face.channel(ARKIT_NAMES[ARKIT_NAMES.index("jawOpen")])
    return (f"{perf.face.n_frames} frames at {perf.face.fps:g} fps, {result['matched']}/52 keys, "
            f"jawOpen max {float(jaw.max()):.2f}")
