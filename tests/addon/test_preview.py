"""Preview video: real Workbench renders encoded to .mp4, checked with imageio-ffmpeg."""
from __future__ import annotations

import re
import subprocess

import bpy
import numpy as np
import pytest

from talkrig.core.curves import FaceCurves
from talkrig.rigs.arkit import FACE_CHANNELS

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="imageio-ffmpeg (requirements/dev.txt)")

N = 16            # frames of the test take
OPEN = (6, 7, 8)  # frames (0-based) with the jaw wide open; the rest are at rest
SIZE = 160


@pytest.fixture
def take(demo_head):
    from talkrig.addon.keyframes import write_face_curves

    values = np.zeros((N, len(FACE_CHANNELS)), np.float32)
    values[list(OPEN), FACE_CHANNELS.index("jawOpen")] = 1.0
    write_face_curves(demo_head, FaceCurves(FACE_CHANNELS, 30.0, values), action_name="take",
                      frame_start=1, interpolation="CONSTANT", set_fps=True)
    return demo_head


def _probe(path) -> str:
    proc = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                          capture_output=True, text=True)
    return proc.stderr


def _frames(path):
    gen = imageio_ffmpeg.read_frames(str(path))
    meta = next(gen)
    w, h = meta["size"]
    return np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in gen]).astype(np.float64)


def test_preview_video_frames_audio_and_motion(take, speech_wav, tmp_path):
    from talkrig.addon.preview import render_preview

    scene = bpy.context.scene
    before = (scene.render.engine, scene.render.resolution_x, scene.camera, len(bpy.data.objects),
              scene.display.render_aa, scene.frame_current, scene.world, len(bpy.data.worlds))
    path = render_preview(take, str(tmp_path / "take.mp4"), audio_path=str(speech_wav),
                          resolution=SIZE)
    n_frames, secs = imageio_ffmpeg.count_frames_and_secs(path)
    assert n_frames == N and secs == pytest.approx(N / 30.0, abs=0.02)
    info = _probe(path)
    assert re.search(r"Video: h264 .*yuv420p.*160x160", info), info
    assert re.search(r"Audio: aac", info), info
    # nothing of the scene changed: no camera/light left behind, settings restored
    after = (scene.render.engine, scene.render.resolution_x, scene.camera, len(bpy.data.objects),
             scene.display.render_aa, scene.frame_current, scene.world, len(bpy.data.worlds))
    assert after == before
    # the mouth moves in the video: open frames differ from rest, rest frames agree
    frames = _frames(path)
    rest_a, rest_b, opened = frames[2], frames[12], frames[OPEN[1]]
    assert np.abs(rest_a - rest_b).mean() < 0.5
    changed = lambda a, b: np.abs(a - b).mean(axis=2) > 40            # noqa: E731
    assert changed(rest_a, rest_b).sum() < 5
    ys, _ = np.nonzero(changed(opened, rest_a))
    assert len(ys) > 50 and ys.mean() > SIZE / 2            # the change is low in the face
    assert frames.std() > 20                                # a real picture, not a blank


def test_frame_step_and_max_seconds_keep_the_timing(take, tmp_path):
    from talkrig.addon.preview import render_preview

    path = render_preview(take, str(tmp_path / "fast.mp4"), resolution=SIZE, frame_step=2,
                          max_seconds=10 / 30.0)
    n_frames, secs = imageio_ffmpeg.count_frames_and_secs(path)
    assert n_frames == 5 and secs == pytest.approx(10 / 30.0, abs=0.02)   # 15 fps, same length
    assert "Audio" not in _probe(path)                      # no speech given, none in the scene


@pytest.mark.skipif(not bpy.app.build_options.audaspace,
                    reason=f"bpy {bpy.app.version_string} is built without Audaspace: no sound strips")
def test_preview_uses_the_scene_sound_strip(take, speech_wav, tmp_path):
    from talkrig.addon.preview import render_preview
    from talkrig.addon.sound import add_sound_strip

    add_sound_strip(bpy.context.scene, str(speech_wav), frame_start=1)
    path = render_preview(take, str(tmp_path / "s.mp4"), resolution=64, frame_end=4)
    assert imageio_ffmpeg.count_frames_and_secs(path)[0] == 4
    assert "Audio: aac" in _probe(path)


def test_preview_errors(take, tmp_path, monkeypatch):
    from talkrig.addon import preview
    from talkrig.core.errors import ExportError

    with pytest.raises(ExportError, match=r"\.mp4"):
        preview.render_preview(take, str(tmp_path / "x.avi"))
    with pytest.raises(ExportError, match="does not exist"):
        preview.render_preview(take, str(tmp_path / "no" / "x.mp4"))
    with pytest.raises(ExportError, match="does not exist"):
        preview.render_preview(take, str(tmp_path / "x.mp4"), audio_path=str(tmp_path / "none.wav"))
    with pytest.raises(ExportError, match="empty"):
        preview.render_preview(take, str(tmp_path / "x.mp4"), frame_start=9, frame_end=3)
    monkeypatch.setattr(preview, "ffmpeg_binary", lambda: None)
    monkeypatch.setattr(preview, "blender_has_ffmpeg", lambda: False)
    with pytest.raises(ExportError, match="imageio-ffmpeg"):
        preview.render_preview(take, str(tmp_path / "x.mp4"))
    assert not (tmp_path / "x.mp4").exists()


def test_preview_operator(take, tmp_path):
    out = tmp_path / "op.mp4"
    assert bpy.ops.talkrig.preview(filepath=str(out), resolution=64, max_seconds=0.1) == {"FINISHED"}
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 3
    with pytest.raises(RuntimeError, match="not saved yet"):
        bpy.ops.talkrig.preview(filepath="//x.mp4")
