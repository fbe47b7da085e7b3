"""The bake job behind the modal operator: worker thread, progress, cancel, one write, undo."""
from __future__ import annotations

import time

import bpy
import numpy as np
import pytest

from talkrig.addon.bake_job import BakeJob, gather_request
from talkrig.addon.takes import is_take


def _takes():
    """Shape-key takes (a head/eye bone action rides along with each)."""
    return [a for a in bpy.data.actions if is_take(a) and "talkrig_shape_action" not in a]


def _poll(job, timeout=120.0):
    """What the modal operator's timer does: look at the job until it ended."""
    seen, t0 = [], time.perf_counter()
    while not job.finished:
        seen.append((job.fraction, job.message))
        assert time.perf_counter() - t0 < timeout, "the bake did not finish"
        time.sleep(0.02)
    return seen


def test_job_runs_in_a_thread_reports_progress_and_writes_once(demo_head, speech_wav):
    request = gather_request(bpy.context, filepath=str(speech_wav), seed=3)
    job = BakeJob(request).start()
    assert job.state == "running" and not _takes()      # nothing written while it runs
    _poll(job)
    assert job.state == "done" and job.fraction == 1.0 and job.message == "done"
    assert not _takes(), "the worker must not touch Blender data"
    result = job.write(bpy.context)
    assert result.action.name == "talkrig_speech" and _takes() == [result.action]
    key = demo_head.data.shape_keys
    assert key.animation_data.action == result.action
    from talkrig.core.pipeline import bake
    from talkrig.core.settings import BakeSettings

    direct = bake(str(speech_wav), BakeSettings(fps=request.fps, seed=3)).face
    fc_values = {fc.data_path: fc for fc in _fcurves(result.action)}
    jaw = fc_values['key_blocks["jawOpen"].value']
    values = np.array([p.co[1] for p in jaw.keyframe_points])
    np.testing.assert_allclose(values, direct.channel("jawOpen"), atol=1e-6)


def _fcurves(action):
    from talkrig.addon.keyframes import action_fcurves

    return action_fcurves(action)


def test_cancel_mid_bake_writes_nothing(demo_head, speech_wav):
    messages = []

    def listener(fraction, message):
        messages.append(message)
        if fraction >= 0.15:                 # after loading, while analysing: cancel now
            job.cancel()

    job = BakeJob(gather_request(bpy.context, filepath=str(speech_wav)), listener=listener)
    job.start()
    assert job.wait(120)
    assert job.state == "cancelled" and job.performance is None
    assert "loading audio" in messages and "done" not in messages
    with pytest.raises(Exception, match="cancelled"):
        job.write(bpy.context)
    assert not _takes() and not list(bpy.data.actions)
    assert demo_head.data.shape_keys.animation_data is None
    strips = bpy.context.scene.sequence_editor
    assert strips is None or not len(strips.strips_all if hasattr(strips, "strips_all")
                                     else strips.sequences_all)


def test_failed_job_reports_one_line(demo_head, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage garbage garbage")
    job = BakeJob(gather_request(bpy.context, filepath=str(bad))).start()
    job.wait(60)
    assert job.state == "failed" and "\n" not in job.error and "broken.wav" in job.error
    with pytest.raises(Exception, match="broken.wav"):
        job.write(bpy.context)
    assert not list(bpy.data.actions)


def test_one_undo_removes_the_take_and_restores_the_user_action(demo_head, speech_wav):
    key = demo_head.data.shape_keys
    kb = key.key_blocks["mouthSmileLeft"]
    for frame, value in ((1, 0.0), (20, 0.8)):
        kb.value = value
        kb.keyframe_insert("value", frame=frame)
    user = key.animation_data.action.name
    bpy.ops.ed.undo_push(message="user keys")
    job = BakeJob(gather_request(bpy.context, filepath=str(speech_wav))).start()
    job.wait(120)
    job.write(bpy.context, undo_push=True)       # what Blender does when the modal op finishes
    key = bpy.data.objects[demo_head.name].data.shape_keys
    assert key.animation_data.action.name == "talkrig_speech"
    bpy.ops.ed.undo()
    key = bpy.data.objects["TalkrigDemoHead"].data.shape_keys
    assert not _takes()
    assert key.animation_data.action.name == user
    assert not [t for t in key.animation_data.nla_tracks]
    fc = [f for f in _fcurves(key.animation_data.action)
          if f.data_path == 'key_blocks["mouthSmileLeft"].value'][0]
    assert [tuple(p.co) for p in fc.keyframe_points] == [(1.0, 0.0), (20.0, pytest.approx(0.8))]


def test_operator_bake_is_one_undo_step(demo_head, speech_wav):
    bpy.ops.ed.undo_push(message="before")
    assert bpy.ops.talkrig.bake("EXEC_DEFAULT", True, filepath=str(speech_wav),
                                add_sound=False) == {"FINISHED"}
    assert len(_takes()) == 1
    bpy.ops.ed.undo()
    assert not _takes()
    key = bpy.data.objects["TalkrigDemoHead"].data.shape_keys
    assert key.animation_data is None or key.animation_data.action is None


@pytest.fixture(scope="module")
def long_wav(speech_wav, tmp_path_factory):
    import soundfile as sf

    x, sr = sf.read(speech_wav, dtype="float32")
    path = tmp_path_factory.mktemp("long") / "long_line.wav"
    sf.write(path, np.tile(x, 6), sr)
    return path


def test_cancel_while_polling_stops_the_child_process(demo_head, long_wav):
    """What Esc does: cancel as soon as the poll sees the bake under way; the child stops."""
    job = BakeJob(gather_request(bpy.context, filepath=str(long_wav))).start()
    t0 = time.perf_counter()
    while job.fraction < 0.2 and not job.finished:
        assert time.perf_counter() - t0 < 60
        time.sleep(0.01)
    assert not job.finished, "the bake ended before it could be cancelled"
    job.cancel()
    assert job.wait(10) and job.state == "cancelled"
    assert not list(bpy.data.actions) and demo_head.data.shape_keys.animation_data is None
    # the worker stopped the bake and stays for the next line
    assert job._proc.poll() is None
    again = BakeJob(gather_request(bpy.context, filepath=str(long_wav))).start()
    assert again.wait(180) and again.state == "done"
    assert again.worker_pid == job.worker_pid == job._proc.pid


def test_the_worker_process_keeps_its_loaded_network_for_the_next_line(demo_head, speech_wav):
    """Two bakes in a row go to one worker process; the second finds the phoneme network
    (and pocketsphinx, and every import) already loaded. Without a transcript the network
    recognises, so the first bake loads it if an earlier test did not."""
    first = BakeJob(gather_request(bpy.context, filepath=str(speech_wav), text="")).start()
    assert first.wait(180) and first.state == "done", first.error
    assert first.performance.report.recognizer.startswith("onnx")
    second = BakeJob(gather_request(bpy.context, filepath=str(speech_wav), text="")).start()
    assert second.wait(180) and second.state == "done", second.error
    assert second.worker_pid == first.worker_pid > 0
    assert second.worker_warm
    np.testing.assert_array_equal(first.performance.face.values, second.performance.face.values)


def test_a_changed_environment_gets_a_new_worker(demo_head, speech_wav, monkeypatch, tmp_path):
    """A bake sees the environment of the moment it starts (cache folders live there), as
    with a process per bake: after a change the next bake goes to a fresh worker."""
    first = BakeJob(gather_request(bpy.context, filepath=str(speech_wav))).start()
    assert first.wait(180) and first.state == "done"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    second = BakeJob(gather_request(bpy.context, filepath=str(speech_wav))).start()
    assert second.wait(180) and second.state == "done"
    assert second.worker_pid != first.worker_pid
    assert first._proc.wait(10) is not None            # the old worker was ended


def test_a_worker_that_dies_is_replaced_and_the_bake_fails_in_one_line(demo_head, speech_wav):
    from talkrig.addon import bake_workers

    job = BakeJob(gather_request(bpy.context, filepath=str(speech_wav))).start()
    assert job.wait(180) and job.state == "done"
    job._proc.kill()                                   # the worker dies between bakes
    job._proc.wait(10)
    nxt = BakeJob(gather_request(bpy.context, filepath=str(speech_wav))).start()
    assert nxt.wait(180) and nxt.state == "done", nxt.error
    assert nxt.worker_pid != job.worker_pid
    bake_workers.shutdown_workers()
    assert nxt._proc.poll() is not None               # ended with the add-on


def test_thread_mode_gives_the_same_take(demo_head, speech_wav):
    request = gather_request(bpy.context, filepath=str(speech_wav), seed=4)
    a = BakeJob(request).start()
    b = BakeJob(request, mode="thread").start()
    assert a.wait(120) and b.wait(120) and a.state == b.state == "done"
    np.testing.assert_array_equal(a.performance.face.values, b.performance.face.values)


def test_worker_imports_the_package_under_the_extension_name(speech_wav, tmp_path):
    """Inside Blender the add-on is ``bl_ext.<repo>.talkrig``: the child imports that name."""
    import os
    import pickle
    import subprocess
    import sys
    from pathlib import Path

    import talkrig.addon.bake_worker as worker

    root = Path(worker.__file__).resolve().parents[1]
    with open(tmp_path / "request.pkl", "wb") as fh:
        pickle.dump({"audio": str(speech_wav), "settings": {"fps": 25.0, "seed": 1}}, fh)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, worker.__file__, "bl_ext.user_default.talkrig",
                           str(root), str(tmp_path)], input="", capture_output=True, text=True,
                          env=env, timeout=120)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and lines[-1] == "D", proc.stderr[-2000:]
    assert lines[0].startswith("I ") and lines[1].startswith("P 0.0000 loading audio")
    assert (tmp_path / "result.pkl").stat().st_size > 1000
    assert b"bl_ext.user_default.talkrig.core.curves" in (tmp_path / "result.pkl").read_bytes()


class _FakeWM:
    """Window-manager calls the modal bake makes, recorded (background mode has no loop)."""

    def __init__(self):
        self.calls = []

    def progress_begin(self, lo, hi):
        self.calls.append(("begin", lo, hi))

    def progress_update(self, value):
        self.calls.append(("update", value))

    def progress_end(self):
        self.calls.append(("end",))

    def event_timer_add(self, step, window=None):
        return "timer"

    def event_timer_remove(self, timer):
        self.calls.append(("timer_removed", timer))

    def modal_handler_add(self, op):
        self.calls.append(("handler",))


class _FakeWorkspace:
    def __init__(self):
        self.texts = []

    def status_text_set(self, text):
        self.texts.append(text)


def _modal_op(monkeypatch, **props):
    """The real invoke/modal code of TALKRIG_OT_bake on a stand-in operator instance."""
    import types as _types

    from talkrig.addon import operators

    monkeypatch.setattr(operators, "modal_allowed", lambda context: True)
    cls = operators.TALKRIG_OT_bake
    names = ("invoke", "modal", "execute", "cancel", "_request", "_status", "_end")
    Fake = type("FakeBakeOp", (), {n: cls.__dict__[n] for n in names})
    op = Fake()
    op.reports = []
    op.report = lambda kind, msg: op.reports.append((set(kind), msg))
    for name, value in dict(filepath="", text="", fps=0.0, seed=0, frame_start=1,
                            add_sound=False, drive="PANEL", _job=None, _timer=None,
                            _t0=0.0).items():
        setattr(op, name, value)
    for name, value in props.items():
        setattr(op, name, value)
    ctx = _types.SimpleNamespace(window_manager=_FakeWM(), workspace=_FakeWorkspace(),
                                 window=object(), screen=None, scene=bpy.context.scene,
                                 active_object=bpy.context.active_object)
    return op, ctx


def _event(kind, value="NOTHING"):
    import types as _types

    return _types.SimpleNamespace(type=kind, value=value, timer="timer" if kind == "TIMER" else None)


def test_modal_operator_polls_shows_progress_and_writes_at_the_end(demo_head, speech_wav,
                                                                     monkeypatch):
    op, ctx = _modal_op(monkeypatch, filepath=str(speech_wav))
    assert op.invoke(ctx, _event("LEFTMOUSE", "PRESS")) == {"RUNNING_MODAL"}
    assert ("handler",) in ctx.window_manager.calls and not _takes()
    assert op.modal(ctx, _event("MOUSEMOVE")) == {"PASS_THROUGH"}     # the UI keeps working
    t0 = time.perf_counter()
    while True:
        ret = op.modal(ctx, _event("TIMER"))
        if ret != {"PASS_THROUGH"}:
            break
        assert not _takes(), "keys are written only once the bake finished"
        assert time.perf_counter() - t0 < 120
        time.sleep(0.05)
    assert ret == {"FINISHED"} and len(_takes()) == 1
    calls = ctx.window_manager.calls
    assert calls[0] == ("begin", 0, 100) and ("end",) in calls and ("timer_removed", "timer") in calls
    assert any(c[0] == "update" and 0 < c[1] < 100 for c in calls) or ("update", 100) in calls
    assert any(t and "Esc cancels" in t for t in ctx.workspace.texts) and ctx.workspace.texts[-1] is None
    assert "talkrig_speech" in bpy.context.scene.talkrig.last_result


def test_esc_cancels_the_modal_bake_and_writes_nothing(demo_head, long_wav, monkeypatch):
    op, ctx = _modal_op(monkeypatch, filepath=str(long_wav))
    assert op.invoke(ctx, _event("LEFTMOUSE", "PRESS")) == {"RUNNING_MODAL"}
    while op._job.fraction < 0.2:
        assert op.modal(ctx, _event("TIMER")) == {"PASS_THROUGH"}
        time.sleep(0.02)
    assert op.modal(ctx, _event("ESC", "PRESS")) == {"CANCELLED"}
    assert ({"WARNING"}, "talkrig: bake cancelled; nothing was written") in op.reports
    assert op._job.wait(10) and op._job.state == "cancelled"
    assert not list(bpy.data.actions) and ("end",) in ctx.window_manager.calls


def test_second_modal_bake_waits_for_the_first(demo_head, long_wav, monkeypatch):
    first, ctx = _modal_op(monkeypatch, filepath=str(long_wav))
    assert first.invoke(ctx, _event("LEFTMOUSE", "PRESS")) == {"RUNNING_MODAL"}
    second, ctx2 = _modal_op(monkeypatch, filepath=str(long_wav))
    assert second.invoke(ctx2, _event("LEFTMOUSE", "PRESS")) == {"CANCELLED"}
    assert "already running" in bpy.context.scene.talkrig.last_error
    assert first.modal(ctx, _event("ESC", "PRESS")) == {"CANCELLED"}
    assert second.invoke(ctx2, _event("LEFTMOUSE", "PRESS")) == {"RUNNING_MODAL"}   # after Esc
    assert second.modal(ctx2, _event("ESC", "PRESS")) == {"CANCELLED"}
    assert first._job.wait(10) and second._job.wait(10) and not list(bpy.data.actions)
