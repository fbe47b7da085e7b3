"""Headless output: bake_to_files and the demo (what `talkrig demo --out out` writes)."""
from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np
import pytest

from readback import assimp_available, fbx_key_times, morph_animation

ROOT = Path(__file__).resolve().parents[2]
DEMO_WAV = ROOT / "examples" / "arctic" / "arctic_a0009.wav"
# The bpy 4.2 wheel is built without Audaspace: it cannot add sound strips (Blender 4.2 itself
# can); the strip checks run where the module has audio (tests/addon/test_compat.py says so).
HAS_AUDIO = bpy.app.build_options.audaspace


def _sound_strips(scene):
    ed = scene.sequence_editor
    if ed is None:
        return []
    return list(ed.strips if hasattr(ed, "strips") else ed.sequences)


def test_bake_to_files_onto_a_target_blend(speech_wav, tmp_path):
    """A user's .blend: its face mesh gets the take; other objects and keys stay."""
    from talkrig.addon.demo_head import create_demo_head
    from talkrig.addon.headless import bake_to_files
    from talkrig.core.pipeline import bake
    from talkrig.core.settings import BakeSettings

    create_demo_head("MyFace")
    decoy = bpy.data.objects.new("Empty", None)
    bpy.context.scene.collection.objects.link(decoy)
    bpy.context.view_layer.objects.active = decoy
    target = tmp_path / "rig.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(target))
    perf = bake(str(speech_wav), BakeSettings(fps=24.0, seed=1))
    out = bake_to_files(perf, audio_path=str(speech_wav), target=str(target),
                        blend=str(tmp_path / "baked.blend"), fbx=str(tmp_path / "baked.fbx"))
    assert out["object"] == "MyFace" and out["matched"] == 52 and out["missing"] == ()
    bpy.ops.wm.open_mainfile(filepath=out["blend"])
    scene = bpy.context.scene
    key = bpy.data.objects["MyFace"].data.shape_keys
    assert key.animation_data.action.name == out["action"]
    assert scene.render.fps / scene.render.fps_base == pytest.approx(24.0)
    assert (scene.frame_start, scene.frame_end) == (1, perf.face.n_frames)
    strips = _sound_strips(scene)
    assert len(strips) == 1 and strips[0].frame_start == 1 or not HAS_AUDIO
    for times in fbx_key_times(out["fbx"]):                    # raw: first key at t = 0
        np.testing.assert_allclose(times, perf.face.times, atol=1e-6)
    if not assimp_available():
        anim = morph_animation(out["fbx"])
        times = anim["channels"][0]["times_s"]
        assert len(times) == perf.face.n_frames and times[0] == pytest.approx(0.0, abs=1e-6)
        np.testing.assert_allclose(times[-1], perf.face.times[-1], atol=1e-5)


def test_bake_to_files_errors(tmp_path):
    from talkrig.addon.headless import bake_to_files
    from talkrig.core.curves import FaceCurves
    from talkrig.core.performance import Performance
    from talkrig.core.errors import ExportError
    from talkrig.rigs.arkit import FACE_CHANNELS

    perf = Performance(face=FaceCurves(FACE_CHANNELS, 30.0, np.zeros((3, 61), np.float32)))
    with pytest.raises(ExportError, match="folder does not exist"):
        bake_to_files(perf, blend=str(tmp_path / "missing" / "x.blend"))
    from talkrig.addon.headless import TargetError
    with pytest.raises(TargetError, match="does not exist"):
        bake_to_files(perf, target=str(tmp_path / "nothing.blend"))


@pytest.mark.skipif(not DEMO_WAV.is_file(), reason="examples not fetched (make examples)")
def test_run_demo_writes_everything(tmp_path):
    import matplotlib.image as mpimg

    from talkrig.addon.headless import run_demo
    from talkrig.core.io import read_curves

    summary = run_demo(tmp_path)
    names = ("demo.blend", "demo.fbx", "demo.glb", "demo.csv", "demo.png", "demo_face.png", "demo.wav",
             "demo.mp4")
    for name in names:
        assert (tmp_path / name).is_file() and (tmp_path / name).stat().st_size > 1000, name
    curves = read_curves(str(tmp_path / "demo.csv"))
    assert curves.n_frames > 80 and curves.channel("jawOpen").max() > 0.2
    assert f"{curves.n_frames} frames" in summary
    img = mpimg.imread(str(tmp_path / "demo.png"))
    assert img.shape[0] > 300 and img.shape[1] > 800 and img[..., :3].std() > 0.05
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "demo.blend"))
    strips = _sound_strips(bpy.context.scene)
    if HAS_AUDIO:
        assert len(strips) == 1 and strips[0].type == "SOUND"
        assert strips[0].sound.filepath.startswith("//")      # relative: the folder can move
    if not assimp_available():
        times = morph_animation(tmp_path / "demo.fbx")["channels"][0]["times_s"]
        assert len(times) == curves.n_frames and times[0] == pytest.approx(0.0, abs=1e-6)


def test_bake_to_files_unity_fbx_and_preview(speech_wav, tmp_path):
    """Headless: an FBX with the Unity preset (shape keys + head/eye bones) and a preview."""
    import imageio_ffmpeg

    from talkrig.addon.headless import bake_to_files
    from talkrig.core.pipeline import bake
    from talkrig.core.settings import BakeSettings

    perf = bake(str(speech_wav), BakeSettings(fps=30.0, seed=2))
    out = bake_to_files(perf, audio_path=str(speech_wav), fbx=str(tmp_path / "u.fbx"),
                        fbx_preset="unity", preview=str(tmp_path / "u.mp4"),
                        preview_options={"resolution": 64})
    n = perf.face.n_frames
    frames, secs = imageio_ffmpeg.count_frames_and_secs(out["preview"])
    assert frames == (n + 1) // 2                  # the draft preview renders on twos
    assert secs == pytest.approx(frames / 15.0, abs=0.01)
    for times in fbx_key_times(out["fbx"]):                    # shape keys and bones
        np.testing.assert_allclose(times, perf.face.times, atol=1e-6)
    assert len(fbx_key_times(out["fbx"])) >= 52 + 3 * 3


def test_cli_fbx_preset_and_mp4_output(speech_wav, tmp_path, capsys):
    from talkrig.app.cli import main

    fbx, mp4 = tmp_path / "take.fbx", tmp_path / "take.mp4"
    assert main(["bake", str(speech_wav), "-o", str(fbx), "-o", str(mp4), "--fbx-preset",
                 "unreal", "-q"]) == 0
    assert fbx.stat().st_size > 10000 and mp4.stat().st_size > 1000
    assert main(["bake", str(speech_wav), "-o", str(fbx), "--fbx-preset", "godot"]) == 2
    assert "unknown --fbx-preset 'godot'; use one of default, unreal, unity" in capsys.readouterr().err


def test_batch_preview_column_and_flag(speech_wav, tmp_path):
    """A manifest row with preview=1 also writes <output>.mp4, and the report lists it."""
    import imageio_ffmpeg

    from talkrig.app import batch

    manifest = tmp_path / "lines.csv"
    manifest.write_text(f"audio,output,preview\n{speech_wav},a.json,1\n{speech_wav},b.json,\n",
                        encoding="utf-8")
    rows = batch.load_manifest(manifest)
    assert [r.preview for r in rows] == [True, False]
    assert rows[0].outputs == (str(tmp_path / "a.json"), str(tmp_path / "a.mp4"))
    assert batch.load_manifest(manifest, preview=True)[1].preview
    results = batch.run_batch(rows, jobs=1, show_progress=False)
    assert [r.status for r in results] == ["ok", "ok"], [r.message for r in results]
    assert str(tmp_path / "a.mp4") in results[0].outputs
    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "a.mp4"))[0] > 30
    assert not (tmp_path / "b.mp4").exists()
    assert not list(tmp_path.glob(".*part*"))                  # no temporary files left
