"""Thin operators: gather options, call one function, report errors to the user.

``talkrig.bake`` runs modally when invoked from the UI (worker thread, progress bar, Esc
cancels; ``bake_job``) and synchronously from ``execute`` (scripts, headless, the CLI,
redo). Every failure is one line: in the operator report and in the panel
(``scene.talkrig.last_error``).
"""

import time

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from ..core.errors import ExportError, TalkrigError

# Blender 4.5+/5.0 only accept "//" (blend-relative) operator paths when the property says so;
# older versions do not know the flag (and drop a property that names it).
_RELATIVE_PATH = ({"PATH_SUPPORTS_BLEND_RELATIVE"}
                  if "is_path_supports_blend_relative" in bpy.types.Property.bl_rna.properties
                  else set())
TIMER_S = 0.1


def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def modal_allowed(context) -> bool:
    """True where a modal bake can run: a window and an event loop (not background mode)."""
    return not bpy.app.background and getattr(context, "window", None) is not None


def _face(context):
    from .bake_job import face_object

    return face_object(context)


def _fail(op, context, msg: str):
    msg = " ".join(str(msg).split())             # one line, whatever the source
    op.report({"ERROR"}, msg)
    context.scene.talkrig.last_error = msg
    return {"CANCELLED"}


def _unexpected(exc: Exception) -> str:
    return f"talkrig failed unexpectedly ({type(exc).__name__}: {exc}); please report it"


def _ok(op, context, msg: str):
    op.report({"INFO"}, f"talkrig: {msg}")
    context.scene.talkrig.last_error = ""
    return {"FINISHED"}


class TALKRIG_OT_bake(bpy.types.Operator):
    """Bake speech into face animation on the face mesh's ARKit shape keys (a new take)"""

    bl_idname = "talkrig.bake"
    bl_label = "Bake Speech"
    bl_options = {"REGISTER", "UNDO"}

    filepath: StringProperty(name="Speech", subtype="FILE_PATH", options=_RELATIVE_PATH,
                             description="Audio to bake (empty: the panel's Source)")
    filter_glob: StringProperty(default="*.wav;*.flac;*.ogg;*.mp3", options={"HIDDEN"})
    text: StringProperty(name="Transcript", description="What is said (empty: the panel's)")
    fps: FloatProperty(name="FPS", default=0.0, min=0.0, max=240.0,
                       description="Frame rate of the take (0 = the scene's frame rate)")
    seed: IntProperty(name="Seed", default=0, min=0,
                      description="Seed of blinks, gaze and head motion (same seed = same take)")
    frame_start: IntProperty(name="Start Frame", default=1,
                             description="Blender frame of the take's first frame (t = 0)")
    add_sound: BoolProperty(name="Add Sound Strip", default=True,
                            description="Put the speech into the sequencer for playback")
    drive: EnumProperty(name="Mouth Shapes", default="PANEL",
                        description="Which shape keys the lip sync animates", items=(
        ("PANEL", "Panel", "The Target section's Mouth Shapes setting"),
        ("auto", "Auto", "Viseme keys on viseme rigs, ARKit keys otherwise"),
        ("arkit", "ARKit", "The ARKit shape keys"),
        ("visemes", "Visemes", "The 15 viseme shape keys (vrc.v_aa, viseme_aa, ...)")))

    _job = None
    _timer = None
    _t0 = 0.0

    @classmethod
    def poll(cls, context):
        return _face(context) is not None

    def _request(self, context):
        from .bake_job import gather_request

        if self.filepath:
            if self.filepath.startswith("//") and not bpy.data.filepath:
                raise ExportError(f"'{self.filepath}' is relative to the .blend file, which is "
                                  "not saved yet: save it first or choose an absolute path")
            return gather_request(context, filepath=self.filepath, text=self.text, fps=self.fps,
                                  seed=self.seed, frame_start=self.frame_start,
                                  add_sound=self.add_sound, drive=self.drive)
        return gather_request(context, text=self.text or None, fps=self.fps, drive=self.drive)

    def execute(self, context):
        from .bake_job import BakeJob, summary

        try:
            job = BakeJob(self._request(context))
            job.run()
            result = job.write(context)
        except TalkrigError as exc:
            return _fail(self, context, str(exc))
        except Exception as exc:                 # a bug: still one line for the user
            return _fail(self, context, _unexpected(exc))
        context.scene.talkrig.last_result = summary(job, result)
        return _ok(self, context, context.scene.talkrig.last_result)

    def invoke(self, context, event):
        from .bake_job import BakeJob, current_job

        settings = context.scene.talkrig
        if (not self.filepath and settings.source == "FILE" and not settings.audio_path):
            context.window_manager.fileselect_add(self)
            return {"RUNNING_MODAL"}
        if not modal_allowed(context):
            return self.execute(context)
        running = current_job()
        if running is not None and not (running.finished or running.cancel_requested):
            return _fail(self, context, "a bake is already running: wait for it or press Esc "
                         "to cancel it")
        self._t0 = time.perf_counter()
        try:
            self._job = BakeJob(self._request(context)).start()
        except TalkrigError as exc:
            return _fail(self, context, str(exc))
        wm = context.window_manager
        wm.progress_begin(0, 100)
        self._timer = wm.event_timer_add(TIMER_S, window=context.window)
        wm.modal_handler_add(self)
        settings.last_error = ""
        self._status(context, "starting")
        return {"RUNNING_MODAL"}

    def _status(self, context, text):
        workspace = getattr(context, "workspace", None)
        if workspace is not None and hasattr(workspace, "status_text_set"):
            workspace.status_text_set(None if text is None else
                                      f"talkrig: {text} ({self._job.fraction:.0%}); Esc cancels")
        for area in getattr(context.screen, "areas", ()):
            if area.type in ("VIEW_3D", "SEQUENCE_EDITOR"):
                area.tag_redraw()

    def _end(self, context):
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        self._status(context, None)

    def modal(self, context, event):
        from .bake_job import summary

        job = self._job
        if event.type == "ESC" and event.value == "PRESS":
            job.cancel()
            self._end(context)
            self.report({"WARNING"}, "talkrig: bake cancelled; nothing was written")
            return {"CANCELLED"}
        if event.type != "TIMER" or event.timer != self._timer:
            return {"PASS_THROUGH"}
        context.window_manager.progress_update(int(100 * job.fraction))
        if not job.finished:
            self._status(context, job.message)
            return {"PASS_THROUGH"}
        self._end(context)
        try:
            result = job.write(context)      # one go, main thread; Blender pushes one undo step
        except TalkrigError as exc:
            return _fail(self, context, str(exc))
        except Exception as exc:                 # a bug: still one line for the user
            return _fail(self, context, _unexpected(exc))
        line = f"{summary(job, result)}; {time.perf_counter() - self._t0:.1f} s"
        context.scene.talkrig.last_result = line
        return _ok(self, context, line)

    def cancel(self, context):
        if self._job is not None:
            self._job.cancel()
        self._end(context)


class TALKRIG_OT_clear_take(bpy.types.Operator):
    """Remove a talkrig take (the picked one, else the active one); the user's actions stay"""

    bl_idname = "talkrig.clear_take"
    bl_label = "Clear Take"
    bl_options = {"REGISTER", "UNDO"}

    take: StringProperty(name="Take", description="Action name of the take (empty: the panel's "
                                                  "pick, else the active take)")

    @classmethod
    def poll(cls, context):
        return _face(context) is not None

    def execute(self, context):
        from .takes import clear_take

        settings = context.scene.talkrig
        name = self.take or settings.take
        take = bpy.data.actions.get(name) if name else None
        if name and take is None:
            return _fail(self, context, f"there is no action called '{name}': pick a take")
        try:
            removed = clear_take(_face(context), take)
        except TalkrigError as exc:
            return _fail(self, context, str(exc))
        if settings.take == removed:
            settings.take = ""
        return _ok(self, context, f"removed take '{removed}'")


class TALKRIG_OT_export(bpy.types.Operator):
    """Export the face take: .fbx / .glb (mesh and take, first key at t = 0), .csv (Live Link
    Face) or .json (curves)"""

    bl_idname = "talkrig.export"
    bl_label = "Export Face"
    bl_options = {"REGISTER"}

    filepath: StringProperty(name="File", subtype="FILE_PATH", options=_RELATIVE_PATH,
                             description="File to export to; its ending picks the format")
    filter_glob: StringProperty(default="*.fbx;*.glb;*.csv;*.json;*.npz", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return _face(context) is not None

    def invoke(self, context, event):
        if not self.filepath:
            self.filepath = bpy.path.abspath(context.scene.talkrig.export_path or "//face.fbx")
            context.window_manager.fileselect_add(self)
            return {"RUNNING_MODAL"}
        return self.execute(context)

    def execute(self, context):
        from .takes import export_take

        if self.filepath.startswith("//") and not bpy.data.filepath:
            return _fail(self, context, f"'{self.filepath}' is relative to the .blend file, which "
                         "is not saved yet: save it first or choose an absolute path")
        path = bpy.path.abspath(self.filepath)
        settings = context.scene.talkrig
        take = bpy.data.actions.get(settings.take or "")
        try:
            written = export_take(_face(context), path, take=take, preset=settings.export_preset)
        except TalkrigError as exc:
            return _fail(self, context, str(exc))
        return _ok(self, context, f"exported {written}")


class TALKRIG_OT_add_demo_head(bpy.types.Operator):
    """Add the talkrig demo head (a mesh with all 52 ARKit shape keys)"""

    bl_idname = "talkrig.add_demo_head"
    bl_label = "Add Demo Head"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from .demo_head import create_demo_head

        obj = create_demo_head(collection=context.collection)
        for other in context.view_layer.objects:
            other.select_set(False)
        obj.select_set(True)
        context.view_layer.objects.active = obj
        return {"FINISHED"}


class TALKRIG_OT_mapping_refresh(bpy.types.Operator):
    """Match the face's shape keys to ARKit names again (keeps your edits for this face)"""

    bl_idname = "talkrig.mapping_refresh"
    bl_label = "Match Shape Keys"
    bl_options = {"REGISTER", "UNDO"}

    reset: BoolProperty(name="Reset", default=False,
                        description="Drop your edits and use the automatic match")

    @classmethod
    def poll(cls, context):
        return _face(context) is not None

    def execute(self, context):
        from .presets import fill_rows

        settings = context.scene.talkrig
        obj = _face(context)
        if self.reset:
            settings.mapping_object = ""
        try:
            fill_rows(settings, obj)
        except TalkrigError as exc:
            return _fail(self, context, str(exc))
        n = sum(bool(r.shape_key) for r in settings.mapping)
        from .viseme_keys import object_plan

        try:
            plan = object_plan(obj, [r.arkit for r in settings.mapping if r.shape_key],
                               drive=settings.drive)
        except TalkrigError as exc:
            return _fail(self, context, str(exc))
        return _ok(self, context, f"'{obj.name}': {n}/52 ARKit channels have a shape key; "
                                  f"{plan.describe()}")


class TALKRIG_OT_mapping_save_preset(bpy.types.Operator):
    """Save the mapping rows as a JSON preset in your talkrig presets folder"""

    bl_idname = "talkrig.mapping_save_preset"
    bl_label = "Save Mapping Preset"
    bl_options = {"REGISTER"}

    name: StringProperty(name="Name", description="Preset name (empty: the panel's)")

    def execute(self, context):
        from .presets import rows_mapping, save_preset

        settings = context.scene.talkrig
        if not len(settings.mapping):
            return _fail(self, context, "there is no mapping to save: press 'Match Shape Keys' first")
        try:
            path = save_preset(self.name or settings.mapping_preset, rows_mapping(settings))
        except TalkrigError as exc:
            return _fail(self, context, str(exc))
        return _ok(self, context, f"saved mapping preset {path}")


def _preset_items(_self, _context):
    from .presets import preset_files

    from .presets import SHIPPED_DIR

    items = [(name, name, f"Mapping preset '{name}' "
              + ("shipped with talkrig" if path.parent == SHIPPED_DIR else "you saved"))
             for name, path in preset_files().items()]
    _preset_items.cache = items or [("", "(no presets)", "No mapping presets found")]
    return _preset_items.cache


class TALKRIG_OT_mapping_load_preset(bpy.types.Operator):
    """Apply a mapping preset to the face's rows (shipped or your own)"""

    bl_idname = "talkrig.mapping_load_preset"
    bl_label = "Load Mapping Preset"
    bl_options = {"REGISTER", "UNDO"}
    bl_property = "preset"

    preset: EnumProperty(name="Preset", items=_preset_items,
                         description="Mapping preset to apply (shipped or your own)")
    filepath: StringProperty(name="File", subtype="FILE_PATH",
                             description="A preset file (instead of a named preset)")

    @classmethod
    def poll(cls, context):
        return _face(context) is not None

    def invoke(self, context, event):
        if self.filepath:
            return self.execute(context)
        context.window_manager.invoke_search_popup(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        from .presets import fill_rows, load_preset, preset_files

        settings = context.scene.talkrig
        path = self.filepath or preset_files().get(self.preset)
        if not path:
            return _fail(self, context, f"mapping preset '{self.preset}' was not found")
        try:
            applied, not_found = fill_rows(settings, _face(context),
                                           overrides=load_preset(bpy.path.abspath(str(path))))
        except TalkrigError as exc:
            return _fail(self, context, str(exc))
        msg = f"preset applied to {applied} channels"
        if not_found:
            msg += f"; {len(not_found)} shape keys not on this face ({', '.join(not_found[:4])})"
        return _ok(self, context, msg)


CLASSES = (TALKRIG_OT_bake, TALKRIG_OT_clear_take, TALKRIG_OT_export, TALKRIG_OT_add_demo_head,
           TALKRIG_OT_mapping_refresh, TALKRIG_OT_mapping_save_preset,
           TALKRIG_OT_mapping_load_preset)
