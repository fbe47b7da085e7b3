"""The talkrig CLI: subprocess runs for real use, in-process runs for the Blender hand-off."""
from __future__ import annotations

import os
import subprocess
import sys
import types

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from talkrig.app import cli
from talkrig.core.io import read_curves
from talkrig.rigs.arkit import FACE_CHANNELS


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "talkrig.app.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def one_error_line(proc, code, pattern):
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("talkrig: error: ")
    assert pattern in lines[0], lines[0]


@pytest.fixture
def wav(tmp_path):
    sr = 44100
    t = np.arange(int(sr * 1.5)) / sr
    x = 0.3 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 2 * t) > 0)
    sf.write(tmp_path / "in.wav", x, sr)
    return tmp_path / "in.wav"


def test_bake_to_three_formats(tmp_path, wav):
    outs = [tmp_path / f"o.{e}" for e in ("json", "csv", "npz")]
    proc = run("bake", wav, *[a for o in outs for a in ("-o", o)], "--fps", "29.97", "--seed", "3",
               "--mode", "loudness")
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stderr and "45 frames at 29.97 fps" in proc.stderr
    curves = [read_curves(o) for o in outs]
    for c in curves:
        assert c.names == FACE_CHANNELS and c.n_frames == 45
        assert np.allclose(c.values, curves[2].values, atol=1e-6)
        assert c.fps == pytest.approx(29.97, rel=1e-5)
    assert curves[2].channel("jawOpen").max() > 0.2


def test_console_script_and_help():
    exe = os.path.join(os.path.dirname(sys.executable), "talkrig")
    proc = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "examples:" in proc.stdout and "talkrig bake" in proc.stdout
    proc = run("bake", "--help")
    assert proc.returncode == 0
    for text in ("--fps", "--seed", "-o OUT", "speech:", "emotion:", "performance:", ".csv"):
        assert text in proc.stdout


def test_console_entry_exits_without_teardown_after_complete_outputs(tmp_path, wav):
    """cli.run (the console script) flushes, then skips the interpreter's teardown: the exit
    status is main's, the outputs are whole, the streams flushed, atexit handlers skipped."""
    code = ("import atexit, sys; from talkrig.app.cli import run; "
            "atexit.register(print, 'TEARDOWN RAN'); sys.argv[1:] = %r; run()")
    out = tmp_path / "o.json"
    proc = subprocess.run([sys.executable, "-c", code % (["bake", str(wav), "-o", str(out),
                                                          "--mode", "loudness"],)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "TEARDOWN RAN" not in proc.stdout and "wrote" in proc.stderr
    assert read_curves(out).n_frames > 0
    proc = subprocess.run([sys.executable, "-c", code % (["bake", str(tmp_path / "no.wav"),
                                                          "-o", str(out)],)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "audio file not found" in proc.stderr


def test_missing_audio_is_one_line_exit_2(tmp_path):
    one_error_line(run("bake", tmp_path / "nope.wav", "-o", tmp_path / "o.json"), 2,
                   "audio file not found")


def test_usage_errors_are_one_line_exit_2(tmp_path, wav):
    one_error_line(run(), 2, "give a command: bake, batch or demo")
    one_error_line(run("bake", wav), 2, "the following arguments are required: -o/--out")
    one_error_line(run("bake", wav, "-o", tmp_path / "o.json", "--fps", "x"), 2, "--fps must be a number, got 'x'")
    one_error_line(run("bake", wav, "-o", tmp_path / "o.txt"), 2, "unknown output extension '.txt'")
    one_error_line(run("bake", wav, "-o", tmp_path / "no" / "o.json"), 2, "does not exist")
    one_error_line(run("bake", wav, "-o", tmp_path / "o.json", "--fps", "1000"), 2,
                   "fps=1000.0 is out of range")


def test_bad_audio_message(tmp_path):
    (tmp_path / "t.wav").write_text("hello")
    one_error_line(run("bake", tmp_path / "t.wav", "-o", tmp_path / "o.json"), 2, "cannot decode")
    assert not (tmp_path / "o.json").exists()


# ------------------------------------------------------- in-process: Blender hand-off


class _FakeHeadless(types.ModuleType):
    def __init__(self):
        super().__init__("talkrig.addon.headless")
        self.calls = []

    def bake_to_files(self, performance, **kw):
        self.calls.append(("bake_to_files", performance, kw))

    def run_demo(self, out_dir):
        self.calls.append(("run_demo", out_dir))
        return None


def test_blender_outputs_go_to_headless(tmp_path, wav, monkeypatch, capsys):
    fake = _FakeHeadless()
    monkeypatch.setitem(sys.modules, "talkrig.addon.headless", fake)
    monkeypatch.setattr("talkrig.addon.headless", fake, raising=False)
    code = cli.main(["bake", str(wav), "-o", str(tmp_path / "a.fbx"), "-o", str(tmp_path / "a.glb"),
                     "-o", str(tmp_path / "a.json"), "-q"])
    assert code == 0 and capsys.readouterr().err == ""
    (name, perf, kw), = fake.calls
    assert name == "bake_to_files" and perf.face.names == FACE_CHANNELS
    assert type(kw.pop("transaction")).__name__ == "OutputTransaction"   # one commit for all
    assert kw == {"audio_path": str(wav), "blend": None, "fbx": str(tmp_path / "a.fbx"),
                  "glb": str(tmp_path / "a.glb")}
    assert (tmp_path / "a.json").exists()
    assert cli.main(["demo", "--out", str(tmp_path / "demo")]) == 0
    assert fake.calls[-1] == ("run_demo", str(tmp_path / "demo"))


class _NoBpy:
    """A meta path finder that makes importing the headless module fail as if bpy were absent."""

    def find_spec(self, name, path=None, target=None):
        if name == "talkrig.addon.headless":
            raise ModuleNotFoundError("No module named 'bpy'", name="bpy")
        return None


def test_missing_bpy_says_how_to_install(tmp_path, wav, monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "talkrig.addon.headless", raising=False)
    import talkrig.addon as addon_pkg
    monkeypatch.delattr(addon_pkg, "headless", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoBpy()] + sys.meta_path)
    code = cli.main(["bake", str(wav), "-o", str(tmp_path / "a.blend")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == ("talkrig: error: install the bpy module (pip install bpy==5.0.1) "
                                 "for .blend/.fbx/.glb output")
    assert cli.main(["demo", "--out", str(tmp_path)]) == 2


def test_unexpected_failure_is_exit_1(tmp_path, wav, monkeypatch, capsys):
    def boom(*a, **k):
        raise RuntimeError("disk on fire\nsecond line")
    monkeypatch.setattr("talkrig.core.pipeline.bake", boom)
    code = cli.main(["bake", str(wav), "-o", str(tmp_path / "a.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert err[0].startswith("talkrig: error: unexpected RuntimeError: disk on fire second line")


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "arctic"


def test_transcript_file_emotion_and_visemes(tmp_path):
    wav = EXAMPLES / "arctic_a0009.wav"
    if not wav.exists():
        pytest.skip("examples/arctic not fetched (make examples)")
    out, vis = tmp_path / "a.json", tmp_path / "v.csv"
    proc = run("bake", wav, "-o", out, "--text", EXAMPLES / "arctic_a0009.txt", "--visemes", vis,
               "--emotion", "happiness=0.8", "--describe", "brows raised, zorbly", "--fps", "60")
    assert proc.returncode == 0, proc.stderr
    assert "zorbly" in proc.stderr                      # unknown description word reported
    curves = read_curves(out)
    assert curves.channel("mouthSmileLeft").max() > 0.3
    assert curves.channel("browInnerUp").max() > 0.2
    from talkrig.core.io import read_visemes
    assert read_visemes(vis).values.shape == (curves.n_frames, 15)


@pytest.mark.parametrize("args,pattern", [
    (["--text", "nowhere/missing.txt"], "transcript file not found: nowhere/missing.txt"),
    (["--emotion", "glee=1"], "unknown emotion"),
    (["--articulation", "9"], "articulation=9.0 is out of range"),
])
def test_bad_speech_and_emotion_options(tmp_path, wav, args, pattern):
    proc = run("bake", wav, "-o", tmp_path / "x.json", *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and pattern in lines[0], proc.stderr


def test_vad_point_reaches_the_face(tmp_path):
    wav = EXAMPLES / "arctic_a0009.wav"
    if not wav.exists():
        pytest.skip("examples/arctic not fetched (make examples)")
    outs = {}
    for name, args in {"neutral": [], "happy": ["--vad", "0.8,0.5,0.3"],
                       "sad": ["--vad=-0.7,-0.5,-0.4"]}.items():
        outs[name] = tmp_path / f"{name}.json"
        proc = run("bake", wav, "-o", outs[name], "--no-eyes", "--no-blinks", "--no-head", *args)
        assert proc.returncode == 0, proc.stderr
    c = {k: read_curves(v) for k, v in outs.items()}
    smile = {k: v.channel("mouthSmileLeft").mean() for k, v in c.items()}
    frown = {k: v.channel("mouthFrownLeft").mean() + v.channel("browInnerUp").mean()
             for k, v in c.items()}
    assert smile["happy"] > smile["neutral"] + 0.1 and smile["happy"] > smile["sad"]
    assert frown["sad"] > frown["neutral"] + 0.1
    bad = run("bake", wav, "-o", tmp_path / "x.json", "--vad", "2,0,0")
    assert bad.returncode == 2 and "vad" in bad.stderr.lower(), bad.stderr
