"""Preview video of a take: render the head headless (Workbench) and encode an .mp4 with the
speech muxed in.

Frames are rendered as PNG into a temporary folder, then encoded to H.264 (yuv420p, plays
everywhere) with AAC audio by an ffmpeg binary: the one the ``imageio-ffmpeg`` wheel ships
(``requirements/dev.txt``), else ``ffmpeg`` on PATH, else Blender's own FFMPEG output where
the Blender build has it (the ``bpy`` wheel does not: docs/FIELD_NOTES.md). With none of
them an ExportError says what to install.

Everything the render touches (engine, resolution, output path, frame, camera, shading)
is restored afterwards; a camera and a light are only added for the render (framing the
face: the head bone when the rig has one, else the mesh's bounds) and removed again.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from fractions import Fraction

import bpy
import numpy as np

from ..core.errors import ExportError
from ..core.io.atomic import part_name

# Blender 4.5+/5.0 accept "//" operator paths only when the property says so (4.2 lacks the flag)
_RELATIVE_PATH = ({"PATH_SUPPORTS_BLEND_RELATIVE"}
                  if "is_path_supports_blend_relative" in bpy.types.Property.bl_rna.properties
                  else set())
#: frames per render call (Ctrl-C waits at most this long)
CHUNK_FRAMES = 24
ENGINES = ("BLENDER_WORKBENCH", "BLENDER_EEVEE", "BLENDER_EEVEE_NEXT", "CYCLES")
LENS_MM = 85.0
#: frame height / face height: the face fills the picture, little background to render
FRAME_FILL = 1.0


def ffmpeg_binary() -> str | None:
    """Path of an ffmpeg binary: imageio-ffmpeg's, else one on PATH, else None."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return shutil.which("ffmpeg")


def blender_has_ffmpeg() -> bool:
    items = bpy.types.ImageFormatSettings.bl_rna.properties["file_format"].enum_items
    return "FFMPEG" in items.keys()


def _scene_sound(scene):
    """(filepath, start frame) of the first sound strip in the sequencer, or None."""
    ed = scene.sequence_editor
    if ed is None:
        return None
    strips = ed.strips_all if hasattr(ed, "strips_all") else ed.sequences_all
    for strip in strips:
        if strip.type == "SOUND" and strip.sound is not None and not strip.mute:
            return bpy.path.abspath(strip.sound.filepath), float(strip.frame_start)
    return None


def _face_frame(obj) -> tuple:
    """(centre [3], height m) of the face to frame, in world space."""
    from .bones import find_armature, match_bones

    rig = find_armature(obj)
    bone = match_bones(rig.data.bones.keys()).get("head") if rig is not None else None
    pts = np.array([obj.matrix_world @ _v(c) for c in obj.bound_box])
    size = float(np.ptp(pts[:, 2]))
    centre = pts.mean(0)
    if bone is not None:
        b = rig.data.bones[bone]
        head = np.array(rig.matrix_world @ b.head_local)
        tail = np.array(rig.matrix_world @ b.tail_local)
        length = float(np.linalg.norm(tail - head))
        size = min(size, 1.4 * length) if length > 0 else size
        centre = np.array([head[0], centre[1], head[2] + 0.45 * length])
    return centre, max(size, 1e-3)


def _v(c):
    from mathutils import Vector

    return Vector(tuple(c))


@contextlib.contextmanager
def _render_setup(obj, *, resolution: int, engine: str, antialias: bool = True):
    """Set up camera, light and render settings; restore the scene afterwards."""
    scene = bpy.context.scene
    render = scene.render
    shading = scene.display.shading
    saved = dict(engine=render.engine, x=render.resolution_x, y=render.resolution_y,
                 pct=render.resolution_percentage, path=render.filepath,
                 fmt=render.image_settings.file_format, film=render.film_transparent,
                 camera=scene.camera, frame=scene.frame_current,
                 light=shading.light, color=shading.color_type, aa=scene.display.render_aa,
                 ext=render.use_file_extension, compression=render.image_settings.compression,
                 fstart=scene.frame_start, fend=scene.frame_end, fstep=scene.frame_step,
                 view=scene.view_settings.view_transform, look=scene.view_settings.look)
    added, added_world = [], []
    try:
        render.engine = engine
        render.resolution_x = render.resolution_y = resolution
        render.resolution_percentage = 100
        render.film_transparent = False
        render.image_settings.file_format = "PNG"
        render.image_settings.compression = 0      # frames live for seconds: skip zlib
        # the viewport's solid-mode colours, and a cheaper display transform than AgX's
        if "Standard" in scene.view_settings.bl_rna.properties["view_transform"].enum_items.keys():
            scene.view_settings.view_transform, scene.view_settings.look = "Standard", "None"
        if engine == "BLENDER_WORKBENCH":
            shading.light, shading.color_type = "STUDIO", "MATERIAL"
            # FXAA: about 3x faster than the default 8 samples with software GL, looks fine;
            # OFF halves a frame again (docs/FIELD_NOTES.md, "Preview render time")
            scene.display.render_aa = "FXAA" if antialias else "OFF"
        centre, size = _face_frame(obj)
        cam_data = bpy.data.cameras.new("talkrig_preview_camera")
        cam = bpy.data.objects.new("talkrig_preview_camera", cam_data)
        cam.data.lens = LENS_MM
        half_fov = np.arctan(cam.data.sensor_width / 2 / LENS_MM)
        dist = 0.5 * size * FRAME_FILL / np.tan(half_fov)
        cam.location = (centre[0], centre[1] - dist, centre[2])
        cam.rotation_euler = (np.pi / 2, 0.0, 0.0)        # looks along +Y at the face
        cam.data.clip_start, cam.data.clip_end = dist * 0.05, dist * 20
        light_data = bpy.data.lights.new("talkrig_preview_light", "AREA")
        light = bpy.data.objects.new("talkrig_preview_light", light_data)
        light.data.energy = 40.0 * (dist / 0.8) ** 2
        light.location = (centre[0] + 0.5 * dist, centre[1] - dist, centre[2] + 0.6 * dist)
        light.rotation_euler = (np.radians(55), 0.0, np.radians(25))
        for o in (cam, light):
            scene.collection.objects.link(o)
            added.append(o)
        scene.camera = cam
        if scene.world is None:                  # no world: a neutral grey, not black
            world = bpy.data.worlds.new("talkrig_preview_world")
            world.color = (0.35, 0.37, 0.40)
            scene.world = world
            added_world.append(world)
        yield scene
    finally:
        for world in added_world:
            scene.world = None
            bpy.data.worlds.remove(world)
        for o in added:
            data = o.data
            bpy.data.objects.remove(o)
            (bpy.data.cameras if isinstance(data, bpy.types.Camera) else bpy.data.lights).remove(data)
        render.engine = saved["engine"]
        render.resolution_x, render.resolution_y = saved["x"], saved["y"]
        render.resolution_percentage = saved["pct"]
        render.filepath = saved["path"]
        render.image_settings.file_format = saved["fmt"]
        render.film_transparent = saved["film"]
        scene.camera = saved["camera"]
        shading.light, shading.color_type = saved["light"], saved["color"]
        scene.display.render_aa = saved["aa"]
        render.use_file_extension = saved["ext"]
        render.image_settings.compression = saved["compression"]
        scene.frame_start, scene.frame_end = saved["fstart"], saved["fend"]
        scene.frame_step = saved["fstep"]
        scene.view_settings.view_transform = saved["view"]
        scene.view_settings.look = saved["look"]
        scene.frame_set(saved["frame"])


def _frame_range(obj, frame_start, frame_end, max_seconds, fps) -> tuple:
    from .export import take_frame_range

    try:
        take = take_frame_range(obj)
    except ExportError:
        take = None
    scene = bpy.context.scene
    first = int(frame_start if frame_start is not None else (take[0] if take else scene.frame_start))
    last = int(frame_end if frame_end is not None else (take[1] if take else scene.frame_end))
    if max_seconds is not None:
        if not max_seconds > 0:
            raise ExportError(f"max_seconds must be positive, got {max_seconds}")
        last = min(last, first + int(round(max_seconds * fps)) - 1)
    if last < first:
        raise ExportError(f"preview frame range {first}..{last} is empty")
    return first, last, (take[0] if take else first)


@contextlib.contextmanager
def _quiet_stdout():
    """Blender prints a 'Saved: ...' line per rendered frame on fd 1: silence it."""
    import sys

    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _encode(ffmpeg, frames_dir, out_path, *, rate: Fraction, n_frames, audio, audio_offset_s) -> None:
    duration = n_frames / float(rate)
    cmd = [ffmpeg, "-y", "-hide_banner", "-loglevel", "error",
           "-framerate", f"{rate.numerator}/{rate.denominator}", "-start_number", "0",
           "-i", os.path.join(frames_dir, "frame_%05d.png")]
    if audio:
        cmd += ["-ss", f"{max(audio_offset_s, 0.0):.6f}", "-i", audio]
    cmd += ["-map", "0:v:0"] + (["-map", "1:a:0", "-c:a", "aac", "-b:a", "128k"] if audio else [])
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-t", f"{duration:.6f}",
            "-movflags", "+faststart", out_path]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ExportError(f"encoding the preview '{out_path}' failed: {proc.stderr.strip()[-400:]}")


def _render_with_blender_ffmpeg(scene, out_path, first, last, step, audio) -> None:
    """Blender's own encoder (full Blender builds): H.264 in MPEG-4, AAC from the sequencer."""
    render = scene.render
    saved = (scene.frame_start, scene.frame_end, scene.frame_step)
    strip = None
    if audio and _scene_sound(scene) is None:
        from .sound import add_sound_strip
        strip = add_sound_strip(scene, audio, frame_start=first)
    try:
        render.image_settings.file_format = "FFMPEG"
        render.ffmpeg.format, render.ffmpeg.codec = "MPEG4", "H264"
        render.ffmpeg.audio_codec = "AAC" if audio else "NONE"
        scene.frame_start, scene.frame_end, scene.frame_step = first, last, step
        render.filepath = out_path
        render.use_file_extension = False
        bpy.ops.render.render(animation=True)
    finally:
        scene.frame_start, scene.frame_end, scene.frame_step = saved
        if strip is not None:
            scene.sequence_editor.strips.remove(strip) if hasattr(scene.sequence_editor, "strips") \
                else scene.sequence_editor.sequences.remove(strip)


def render_frames(scene, frames, frames_dir: str, *, progress=None,
                  chunk: int = CHUNK_FRAMES) -> int:
    """Render Blender ``frames`` (ascending, evenly stepped) with the scene's settings into
    ``frames_dir/frame_00000.png`` ... (numbered from 0, as ``_encode`` reads them).

    One animation render per ``chunk`` frames instead of one still render per frame: Blender
    then keeps its render depsgraph and engine between frames (about 17 ms a frame less
    here), and Python still gets control between chunks, so Ctrl-C stops the render within
    one chunk. Returns the number of frames written.
    """
    if not frames:
        return 0
    step = frames[1] - frames[0] if len(frames) > 1 else 1
    render = scene.render
    render.use_file_extension = True
    for first in range(0, len(frames), chunk):
        part = frames[first:first + chunk]
        scene.frame_start, scene.frame_end = min(scene.frame_start, part[0]), part[-1]
        scene.frame_start, scene.frame_step = part[0], step
        render.filepath = os.path.join(frames_dir, "raw_#######")
        try:
            with _quiet_stdout():
                bpy.ops.render.render(animation=True)
        except RuntimeError as exc:
            raise ExportError(f"rendering preview frames {part[0]}-{part[-1]} failed: {exc}") from exc
        for i, frame in enumerate(part, start=first):
            raw = render.frame_path(frame=frame)
            if not os.path.isfile(raw):
                raise ExportError(f"rendering preview frame {frame} wrote no image")
            os.replace(raw, os.path.join(frames_dir, f"frame_{i:05d}.png"))
        if progress is not None:
            progress(first + len(part), len(frames))
    return len(frames)


def render_preview(obj: bpy.types.Object, out_path: str, *, audio_path: str | None = None,
                   frame_start: int | None = None, frame_end: int | None = None,
                   resolution: int = 320, engine: str = "BLENDER_WORKBENCH",
                   max_seconds: float | None = None, frame_step: int = 1,
                   antialias: bool = True, progress=None) -> str:
    """Render a preview video (.mp4, H.264 + AAC) of the take on ``obj``.

    Parameters
    ----------
    obj : bpy.types.Object
        The face mesh (its take's frame range is the default range).
    out_path : str
        Target ``.mp4``; the folder must exist.
    audio_path : str, optional
        Speech to mux in, starting at the take's first frame. Default: the scene's first
        sound strip (at its own start frame); no audio track when there is none.
    frame_start, frame_end : int, optional
        Blender frames to render (default: the take's range, else the scene's).
    resolution : int
        Width and height in pixels (160-320 keeps it quick).
    engine : str
        Render engine; Workbench needs no GPU (about 0.1-0.3 s a frame at 320 px here).
    max_seconds : float, optional
        Render at most this many seconds from ``frame_start``.
    frame_step : int
        Render every n-th frame; the video plays at fps / n so its duration is unchanged.
    antialias : bool
        Workbench's edge smoothing (FXAA); off renders a frame in about half the time
        with software GL, with stair-stepped silhouettes.
    progress : callable(done, total), optional
        Called after each chunk of rendered frames.

    Returns
    -------
    str
        The absolute path of the video.

    Raises
    ------
    ExportError
        Bad arguments, missing folder or audio, no encoder, or a failed render/encode.
    """
    from .export import face_mesh

    obj = face_mesh(obj)
    if obj is None or obj.type != "MESH":
        raise ExportError("select the face mesh (or its armature) to preview")
    out_path = os.path.abspath(bpy.path.abspath(out_path) if out_path.startswith("//") else out_path)
    if not out_path.lower().endswith(".mp4"):
        raise ExportError(f"preview '{out_path}' should end in .mp4")
    if not os.path.isdir(os.path.dirname(out_path)):
        raise ExportError(f"cannot write '{out_path}': its folder does not exist; create it first")
    if engine not in ENGINES:
        raise ExportError(f"unknown render engine {engine!r}; use one of {', '.join(ENGINES)}")
    if not (16 <= int(resolution) <= 4096):
        raise ExportError(f"resolution must be 16-4096 px, got {resolution}")
    if int(frame_step) < 1:
        raise ExportError(f"frame_step must be at least 1, got {frame_step}")
    resolution, frame_step = int(resolution) // 2 * 2, int(frame_step)
    scene = bpy.context.scene
    fps = scene.render.fps / scene.render.fps_base
    first, last, take_first = _frame_range(obj, frame_start, frame_end, max_seconds, fps)
    audio, offset = None, 0.0
    if audio_path:
        if not os.path.isfile(audio_path):
            raise ExportError(f"audio '{audio_path}' for the preview does not exist")
        audio, offset = os.path.abspath(audio_path), (first - take_first) / fps
    elif _scene_sound(scene) is not None:
        audio, strip_start = _scene_sound(scene)
        audio = audio if os.path.isfile(audio) else None
        offset = (first - strip_start) / fps
    frames = list(range(first, last + 1, frame_step))
    ffmpeg = ffmpeg_binary()
    if ffmpeg is None and not blender_has_ffmpeg():
        raise ExportError("no video encoder: install imageio-ffmpeg (pip install imageio-ffmpeg) "
                          "or put ffmpeg on PATH")
    with _render_setup(obj, resolution=resolution, engine=engine, antialias=antialias):
        if ffmpeg is None:
            _render_with_blender_ffmpeg(scene, out_path, first, last, frame_step, audio)
            return out_path
        with tempfile.TemporaryDirectory(prefix="talkrig_preview_") as tmp:
            render_frames(scene, frames, tmp, progress=progress)
            rate = Fraction(fps / frame_step).limit_denominator(1001)
            partial = part_name(out_path)
            try:
                _encode(ffmpeg, tmp, partial, rate=rate, n_frames=len(frames), audio=audio,
                        audio_offset_s=offset)
                os.replace(partial, out_path)
            finally:
                if os.path.exists(partial):
                    os.remove(partial)
    return out_path


class TALKRIG_OT_preview(bpy.types.Operator):
    """Render a quick preview video (.mp4 with the speech) of the take on the active face"""

    bl_idname = "talkrig.preview"
    bl_label = "Render Preview Video"
    bl_options = {"REGISTER"}

    filepath: bpy.props.StringProperty(name="File", subtype="FILE_PATH", default="//talkrig_preview.mp4",
                                       options=_RELATIVE_PATH,
                                       description="Video file to write (.mp4)")
    resolution: bpy.props.IntProperty(name="Size", default=320, min=16, max=4096,
                                      description="width and height in pixels")
    max_seconds: bpy.props.FloatProperty(name="Max Seconds", default=0.0, min=0.0,
                                         description="render at most this long (0 = whole take)")
    frame_step: bpy.props.IntProperty(name="Frame Step", default=1, min=1,
                                      description="render every n-th frame")

    def execute(self, context):
        if self.filepath.startswith("//") and not bpy.data.filepath:
            self.report({"ERROR"}, "talkrig: the .blend is not saved yet: save it or give an "
                                   "absolute path for the preview")
            return {"CANCELLED"}
        try:
            from .export import face_mesh

            path = render_preview(face_mesh(context.active_object), bpy.path.abspath(self.filepath),
                                  resolution=self.resolution, frame_step=self.frame_step,
                                  max_seconds=self.max_seconds or None)
        except ExportError as exc:
            self.report({"ERROR"}, f"talkrig: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"talkrig: preview written to {path}")
        return {"FINISHED"}


CLASSES = (TALKRIG_OT_preview,)
