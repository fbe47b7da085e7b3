"""Baking without freezing Blender: gather on the main thread, bake in a worker, write once.

1. :func:`gather_request` reads everything the bake needs from the scene (source, transcript,
   target mapping, emotion sliders sampled over the take's frames, style, key options) into
   a plain :class:`BakeRequest`: no Blender objects, so the worker never touches ``bpy``.
2. :class:`BakeJob` runs ``core.pipeline.bake`` away from the main thread. By default in a
   child process (``bake_worker.py --serve`` with Blender's own Python): pocketsphinx keeps
   the GIL while aligning, and a worker *thread* stalled Blender's main thread for up to 2 s
   at a time on a 34 s line. The process lives for the Blender session and takes one bake
   after another, so imports, the phoneme network and pocketsphinx's decoder load once
   (:mod:`.bake_workers`; a dead worker is replaced at the next bake, unregister ends it). ``mode="thread"`` keeps the bake in a daemon thread. Either way
   the progress callback records the fraction and message and raises once
   :meth:`BakeJob.cancel` was called, which stops the pipeline at its next progress report
   (a child that does not stop within :data:`KILL_AFTER_S` is killed).
3. :meth:`BakeJob.write` (main thread, after the worker finished) writes the keys in one
   go through ``takes.write_take``; a cancelled or failed job writes nothing. A FLAME mesh
   (``addon.flame_mesh.find_flame_mesh``) needs no ARKit keys: the request carries its model
   file in ``settings.flame`` (mapping None) and the take is ``flame_mesh.write_flame_take``.

The modal operator polls a job from a window-manager timer; scripts and tests drive the same
API directly (``job = BakeJob(request); job.start(); job.wait(); job.write(context)``).
"""
from __future__ import annotations

import os
import pickle
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import Callable, Optional

import bpy

from ..core.errors import AudioNotFoundError, RigMappingError, TalkrigError, TranscriptError
from .bake_workers import KILL_AFTER_S, _acquire_worker, _release_worker, _Worker


MODES = ("process", "thread")


class BakeCancelled(Exception):
    """Raised inside the worker's progress callback to stop a cancelled bake."""


@dataclass(frozen=True)
class BakeRequest:
    """Everything a bake needs, read on the main thread (plain Python and core objects)."""

    audio_path: str
    line: str
    object_name: str
    mapping: object
    text: Optional[str] = None
    settings: object = None          # core.settings.BakeSettings (fps, seed, style, emotion, ...)
    frame_start: int = 1
    placement: str = "ACTIVE"
    interpolation: str = "LINEAR"
    tolerance: Optional[float] = None
    add_sound: bool = True
    drive: str = "auto"

    @property
    def fps(self) -> float:
        return self.settings.fps

    @property
    def seed(self) -> int:
        return self.settings.seed


# -- gathering -------------------------------------------------------------------------------

def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def strips_of(scene):
    """The sequencer's strip collection (``strips`` in 4.4+, ``sequences`` before), or None."""
    ed = scene.sequence_editor
    if ed is None:
        return None
    return ed.strips_all if hasattr(ed, "strips_all") else ed.sequences_all


def sound_strip(scene, name: str):
    """The sound strip called ``name``; TalkrigError when it is missing or not a sound."""
    strips = strips_of(scene)
    strip = strips.get(name) if strips is not None and name else None
    if strip is None:
        raise AudioNotFoundError(f"there is no sequencer strip called '{name}': pick a sound "
                                 "strip in the Source section" if name else
                                 "no sound strip is picked: pick one in the Source section")
    if strip.type != "SOUND" or strip.sound is None:
        raise AudioNotFoundError(f"strip '{name}' is a {strip.type.lower()} strip, not sound: "
                                 "pick a sound strip")
    if strip.sound.packed_file is not None:
        raise AudioNotFoundError(f"the sound of strip '{name}' is packed into the .blend: unpack "
                                 "it (File > External Data > Unpack Resources) and bake again")
    return strip


def read_transcript(settings) -> Optional[str]:
    """The transcript text (typed, or read from the .txt file); None when empty."""
    if settings.transcript_source == "FILE":
        raw = settings.transcript_path
        if not raw:
            return None
        path = bpy.path.abspath(raw)
        if not os.path.isfile(path):
            raise TranscriptError(f"transcript file '{path}' does not exist: pick the .txt file "
                                  "again or type the transcript")
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise TranscriptError(f"cannot read transcript file '{path}': {exc}; save it as "
                                  "UTF-8 text") from None
        return text or None
    return settings.transcript.strip() or None


def face_object(context, settings=None):
    """The face mesh: the Target field, else the active object."""
    settings = settings or context.scene.talkrig
    obj = settings.target or context.active_object
    return obj if obj is not None and obj.type == "MESH" else None


def rig_mapping(obj, settings, *, drive=None):
    """The shape-key mapping: the edited rows when made for ``obj``, else automatic.

    A rig without ARKit keys is accepted when it has viseme keys and ``drive`` (default: the
    panel's) is not "arkit" (``addon.viseme_keys``); the mapping is then empty.
    """
    from ..rigs.aliases import ShapeKeyMapping
    from .keyframes import shape_key_mapping

    auto = shape_key_mapping(obj)                     # raises RigMappingError without keys
    if settings.mapping_object != obj.name or not len(settings.mapping):
        mapping = auto
    else:
        keys = set(obj.data.shape_keys.key_blocks.keys())
        matched = {row.arkit: row.shape_key for row in settings.mapping
                   if row.shape_key and row.shape_key in keys}
        from ..rigs.arkit import ARKIT_NAMES

        used = set(matched.values())
        mapping = ShapeKeyMapping(
            matched={n: matched[n] for n in ARKIT_NAMES if n in matched},
            missing=tuple(n for n in ARKIT_NAMES if n not in matched),
            extra=tuple(k for k in obj.data.shape_keys.key_blocks.keys()[1:] if k not in used))
    if not mapping.matched:
        from ..rigs.visemes import match_viseme_keys

        drive = settings.drive if drive is None else drive
        if drive == "arkit" or not match_viseme_keys(
                obj.data.shape_keys.key_blocks.keys()[1:]).matched:
            raise RigMappingError(f"none of '{obj.name}''s shape keys drive an ARKit channel "
                                  "(jawOpen, mouthClose, ...): rename them or set the mapping"
                                  + ("; it has viseme keys: set Mouth Shapes to Auto or Visemes"
                                     if drive == "arkit" else ""))
    return mapping


def flame_settings(obj, scene):
    """FlameSettings for a bake onto ``obj`` when it is a FLAME mesh, else None.

    The model file is the one the mesh was built from (``talkrig_flame_model_path``) while
    that file exists, else the FLAME section's; FlameModelError (one line) when neither is
    set or the file is missing.
    """
    from ..core.errors import FlameModelError
    from ..core.flame.settings import FlameSettings
    from .flame_mesh import find_flame_mesh
    from .flame_mesh import panel_model_path

    if find_flame_mesh(obj) is None:
        return None
    stored = str(obj.get("talkrig_flame_model_path", "") or "")
    panel = panel_model_path(scene)
    path = stored if stored and os.path.isfile(stored) else (panel or stored)
    if not path:
        raise FlameModelError(f"'{obj.name}' is a FLAME mesh but does not say which FLAME model "
                              "it was made from: set the FLAME model file in the FLAME section")
    if not os.path.isfile(path):
        raise FlameModelError(f"FLAME model file '{path}' (for '{obj.name}') does not exist: "
                              "pick it in the FLAME section")
    flame = getattr(scene, "talkrig_flame", None)
    return FlameSettings(model_path=path, n_expression=int(flame.n_expression) if flame else 0)


def _duration(path: str) -> Optional[float]:
    try:
        import soundfile

        return float(soundfile.info(path).duration)
    except Exception:                  # unreadable: the bake itself reports it precisely
        return None


def gather_request(context, *, filepath: str = "", text=None, fps: float = 0.0, seed=None,
                   frame_start=None, add_sound=None, drive=None) -> BakeRequest:
    """Read the panel's settings (operator arguments win where given) into a BakeRequest.

    Raises TalkrigError (one line) for a missing strip, transcript file or face rig.
    """
    from ..core.settings import BakeSettings
    from .emotion_props import emotion_settings_for_take
    from .takes import line_name

    scene = context.scene
    settings = scene.talkrig
    obj = face_object(context, settings)
    if obj is None:
        raise RigMappingError("select the face mesh (or set it as Target): the active object "
                              "is not a mesh")
    drive = settings.drive if drive in (None, "", "PANEL") else drive
    flame = flame_settings(obj, scene)                  # a FLAME mesh: no ARKit keys needed
    if flame is None:
        mapping = rig_mapping(obj, settings, drive=drive)
        from .viseme_keys import object_plan

        object_plan(obj, mapping.matched, drive=drive)  # "visemes" on a rig without: say so now
    else:
        mapping = None
    if filepath:
        path, line = bpy.path.abspath(filepath), line_name(filepath)
        start = 1 if frame_start is None else int(frame_start)
        sound = True if add_sound is None else bool(add_sound)
    elif settings.source == "STRIP":
        strip = sound_strip(scene, settings.strip)
        path = bpy.path.abspath(strip.sound.filepath, library=strip.sound.library)
        line, start, sound = line_name(strip.name), int(round(strip.frame_start)), False
    else:
        if not settings.audio_path:
            raise AudioNotFoundError("no speech audio is set: pick a file in the Source section")
        path, line = bpy.path.abspath(settings.audio_path), line_name(settings.audio_path)
        start = settings.frame_start if frame_start is None else int(frame_start)
        sound = settings.add_sound if add_sound is None else bool(add_sound)
    if not os.path.isfile(path):
        raise AudioNotFoundError(f"speech audio '{path}' does not exist: pick the file again")
    transcript = (text or None) if text is not None else read_transcript(settings)
    rate = float(fps) if fps else scene_fps(scene)
    duration = _duration(path)
    n_frames = int(duration * rate) + 1 if duration else scene.frame_end - start + 1
    emotion = emotion_settings_for_take(scene, description=settings.description,
                                        frame_start=start, fps=rate, n_frames=n_frames)
    bake_settings = BakeSettings.from_style(
        settings.style_dict(), fps=rate, seed=settings.seed if seed is None else int(seed),
        emotion=emotion)
    if flame is not None:
        bake_settings = bake_settings.replace(flame=flame)
    return BakeRequest(
        audio_path=path, line=line, object_name=obj.name, mapping=mapping, text=transcript,
        settings=bake_settings, frame_start=start,
        placement=settings.placement, interpolation=settings.interpolation,
        tolerance=settings.tolerance if settings.key_mode == "REDUCED" else None,
        add_sound=sound, drive=drive)


# -- the job ---------------------------------------------------------------------------------

_CURRENT: list = []


def current_job() -> Optional["BakeJob"]:
    """The job the UI shows (the last one started from the panel), or None."""
    return _CURRENT[-1] if _CURRENT else None


class BakeJob:
    """One bake in a worker thread; ``state`` goes pending -> running -> done | failed | cancelled.

    Parameters
    ----------
    request : BakeRequest
    listener : callable(fraction, message), optional
        Called from the worker on every progress report before the cancel check (tests use it
        to cancel at a chosen point).
    """

    def __init__(self, request: BakeRequest, *, listener: Optional[Callable] = None,
                 mode: str = "process"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.request = request
        self.listener = listener
        self.mode = mode
        self._proc = None
        self._dir = None
        self.state = "pending"
        self.fraction = 0.0
        self.message = "waiting"
        self.performance = None
        self.error = ""
        self._cancel = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._worker: Optional[_Worker] = None
        self.worker_pid = 0            # the worker process that baked (process mode)
        self.worker_warm = False       # its phoneme network was loaded by an earlier bake

    # worker side
    def _progress(self, fraction: float, message: str) -> None:
        if self.listener is not None:
            self.listener(fraction, message)
        if self._cancel.is_set():
            raise BakeCancelled()
        self.fraction, self.message = float(fraction), str(message)

    def run(self) -> None:
        """Bake now, in the calling thread (the worker's body; also the synchronous path)."""
        from ..core.pipeline import bake

        r = self.request
        self.state = "running"
        try:
            self.performance = bake(r.audio_path, r.settings, text=r.text, progress=self._progress)
            self.state = "done"
        except BakeCancelled:
            self.state, self.message = "cancelled", "cancelled"
        except TalkrigError as exc:
            self.state, self.error = "failed", str(exc)
        except Exception as exc:       # a bug: one line for the user, not a silent thread death
            self.state = "failed"
            self.error = f"talkrig failed unexpectedly ({type(exc).__name__}: {exc}); please report it"

    def _bake_kwargs(self) -> dict:
        r = self.request
        return dict(audio=r.audio_path, settings=r.settings.to_dict(), text=r.text)

    def _run_process(self) -> None:
        """Reader thread: hand the job to the session's worker process (started on first
        use, see :func:`_acquire_worker`), follow its progress lines, collect the result."""
        try:
            with open(os.path.join(self._dir, "request.pkl"), "wb") as fh:
                pickle.dump(self._bake_kwargs(), fh, protocol=pickle.HIGHEST_PROTOCOL)
            worker = _acquire_worker()
        except OSError:                     # no usable Python binary: bake in this thread
            self.mode = "thread"
            shutil.rmtree(self._dir, ignore_errors=True)
            self.run()
            return
        self._worker = worker
        self._proc = worker.proc
        last = ""
        try:
            try:
                worker.send(f"job {self._dir}")
            except (OSError, ValueError):
                pass                        # a dead worker: its stdout ends at once, below
            if self._cancel.is_set():       # Esc came before the job was handed over
                self.cancel()
            for line in worker.proc.stdout:
                kind, _, rest = line.rstrip("\n").partition(" ")
                if kind == "I":
                    pid, _, warm = rest.partition(" ")
                    self.worker_pid, self.worker_warm = int(pid), warm == "1"
                elif kind == "P":
                    fraction, _, message = rest.partition(" ")
                    if self.listener is not None:
                        self.listener(float(fraction), message)
                    if not self._cancel.is_set():
                        self.fraction, self.message = float(fraction), message
                elif kind in ("D", "C", "E"):
                    last = (kind, rest)
                    break
        finally:
            _release_worker(worker, alive=bool(last))
        if last and last[0] == "C" or (self._cancel.is_set() and not last):
            self.state, self.message = "cancelled", "cancelled"
        elif last and last[0] == "D":
            with open(os.path.join(self._dir, "result.pkl"), "rb") as fh:
                self.performance = pickle.load(fh)
            self.state = "done"
        else:
            tail = worker.stderr_tail()
            err = last[1] if last and last[0] == "E" else tail
            self.state, self.error = "failed", err if last else \
                f"the bake process stopped unexpectedly ({err}); please report it"
        shutil.rmtree(self._dir, ignore_errors=True)

    # main-thread side
    def start(self) -> "BakeJob":
        """Start the bake (child process or thread, see ``mode``); returns at once."""
        if self.mode == "process" and not (sys.executable and os.path.isfile(sys.executable)):
            self.mode = "thread"               # some Blender builds leave sys.executable empty
        if self.mode == "process":
            self._dir = tempfile.mkdtemp(prefix="talkrig_bake_")
            target = self._run_process
        else:
            target = self.run
        self._thread = threading.Thread(target=target, name="talkrig-bake", daemon=True)
        self.state = "running"
        self._thread.start()
        _CURRENT[:] = [self]
        return self

    def cancel(self) -> None:
        """Ask the worker to stop at its next progress report (returns at once); a worker
        that has not stopped within :data:`KILL_AFTER_S` is killed (the next bake starts a
        new one)."""
        self._cancel.set()
        worker = self._worker
        if worker is not None and worker.proc.poll() is None:
            try:
                worker.send(f"cancel {self._dir}")
            except (OSError, ValueError):
                pass
            threading.Timer(KILL_AFTER_S, self._kill).start()

    def _kill(self) -> None:
        worker = self._worker
        if worker is not None and not self.finished and worker.proc.poll() is None:
            worker.proc.kill()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the worker ended (or ``timeout`` s passed); True when it ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.finished

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def write(self, context, *, undo_push: bool = False):
        """Write the finished bake as a new take (main thread). Returns ``takes.TakeResult``.

        Raises TalkrigError when the bake failed, was cancelled or its face object is gone.
        ``undo_push`` adds one undo step (for scripts; an operator with the UNDO option gets
        its step from Blender when it finishes).
        """
        from .sound import add_sound_strip
        from .takes import write_take

        if self.state != "done":
            raise TalkrigError(self.error or f"the bake is {self.state}: nothing was written")
        r = self.request
        obj = bpy.data.objects.get(r.object_name)
        if obj is None:
            raise RigMappingError(f"the face object '{r.object_name}' was deleted during the bake")
        if r.mapping is None:                      # a FLAME mesh (gather_request)
            from .flame_mesh import write_flame_take

            if self.performance.flame is None:
                raise RigMappingError(f"the bake for FLAME mesh '{obj.name}' made no FLAME "
                                      "parameters: bake again")
            result = write_flame_take(obj, self.performance.flame, line=r.line,
                                      frame_start=r.frame_start, interpolation=r.interpolation,
                                      placement=r.placement, tolerance=r.tolerance)
        else:
            result = write_take(obj, self.performance.face, mapping=r.mapping, line=r.line,
                                frame_start=r.frame_start, interpolation=r.interpolation,
                                placement=r.placement, tolerance=r.tolerance,
                                visemes=self.performance.visemes, drive=r.drive)
        if r.add_sound:
            add_sound_strip(context.scene, r.audio_path, frame_start=r.frame_start)
        if undo_push:
            bpy.ops.ed.undo_push(message=f"talkrig bake {result.action.name}")
        return result


def summary(job: BakeJob, result) -> str:
    """One line for the panel and the operator report."""
    face = job.performance.face
    r = job.request
    warnings = job.performance.report.warnings
    note = f"; note: {warnings[0].message}" if warnings else ""
    if r.mapping is None:                          # a FLAME take
        flame = job.performance.flame
        text = (f"'{result.action.name}': {flame.n_frames} frames at {flame.fps:g} fps from "
                f"frame {r.frame_start}, FLAME {flame.expression.shape[1]} expressions + jaw, "
                "neck and eye poses")
        if r.tolerance is not None:
            text += (f"; {result.keys_written} keys, {result.keys_saved} saved "
                     f"(max error {result.max_error:.4f})")
        return text + note
    from .viseme_keys import action_drive

    mode, vis_keys, missing = action_drive(result.action)
    n_arkit = int(result.action.get("talkrig_arkit_keys", len(r.mapping.matched)))
    keys = f"{len(r.mapping.matched)}/52 shape keys"
    if mode == "visemes":
        keys = (f"visemes drive {len(vis_keys)}/15 viseme keys"
                + (f" (missing {', '.join(missing)})" if missing else "")
                + (f" + {n_arkit} ARKit" if n_arkit else ""))
    text = (f"'{result.action.name}': {face.n_frames} frames at {face.fps:g} fps from frame "
            f"{r.frame_start}, {keys}")
    if r.tolerance is not None:
        text += (f"; {result.keys_written} keys, {result.keys_saved} saved "
                 f"(max error {result.max_error:.4f})")
    return text + note
