"""Batch runs that nothing loses and nothing silences (issue 14 points 4, 5, 8).

Point 4 runs the real CLI in a subprocess and kills it with SIGKILL mid-batch.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from talkrig.app import batch
from talkrig.app.batch import load_manifest, run_batch
from talkrig.core.io.atomic import part_name
from synth import syllable_wav

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and /proc")


def _write_csv(path: Path, header, rows):
    path.write_text(",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows))
    return path


def test_bad_values_fail_their_row_only_and_name_the_real_file(tmp_path):
    """fps=abc, an unknown drive, an empty output, two rows on one file: those rows fail
    with their message before anything runs; the good rows are baked."""
    syllable_wav(tmp_path / "a.wav", seed=1)
    manifest = _write_csv(tmp_path / "m.csv", ("audio", "output", "fps", "drive"), [
        ("a.wav", "out/good.json", "", ""),
        ("a.wav", "out/fps.json", "abc", ""),
        ("a.wav", "out/drive.fbx", "", "sideways"),
        ("a.wav", "", "", ""),
        ("a.wav", "out/same.csv", "", ""),
        ("a.wav", "out/same.csv", "", ""),
        ("a.wav", "out/good2.npz", "24", ""),
    ])
    rows = load_manifest(manifest)
    results = run_batch(rows, jobs=1, show_progress=False)
    assert [r.status for r in results] == ["ok", "failed", "failed", "failed", "failed", "failed",
                                           "ok"]
    assert "abc" in results[1].message and "fps" in results[1].message
    assert "sideways" in results[2].message
    assert "no output" in results[3].message
    for r in results[4:6]:
        assert "rows 5, 6" in r.message and str(tmp_path / "out" / "same.csv") in r.message
    assert not (tmp_path / "out" / "same.csv").exists()
    assert all("talkrig-part" not in r.message for r in results)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.json", "good2.npz"]


def test_a_failing_write_names_the_output_not_a_temporary(tmp_path, monkeypatch):
    from talkrig.core.io import outputs

    def full_disk(path, perf):
        raise batch.TalkrigError(f"cannot write '{path}': No space left on device")

    monkeypatch.setattr(outputs, "write_output", full_disk)
    syllable_wav(tmp_path / "a.wav", seed=1)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.json").write_text("old")
    rows = load_manifest(_write_csv(tmp_path / "m.csv", ("audio", "output"),
                                    [("a.wav", "out/x.json")]))
    res, = run_batch(rows, jobs=1, force=True, show_progress=False)
    assert res.status == "failed" and f"'{tmp_path / 'out' / 'x.json'}'" in res.message
    assert "talkrig-part" not in res.message
    assert os.listdir(tmp_path / "out") == ["x.json"]
    assert (tmp_path / "out" / "x.json").read_text() == "old"


def test_speechless_audio_is_a_rest_pose_row_with_a_warning_apart_from_errors(tmp_path):
    syllable_wav(tmp_path / "a.wav", seed=1)
    noise = 1e-5 * np.random.default_rng(0).standard_normal(32000)
    sf.write(tmp_path / "room_tone.wav", noise.astype(np.float32), 16000)
    rows = load_manifest(_write_csv(tmp_path / "m.csv", ("audio", "output"), [
        ("a.wav", "out/a.json"), ("room_tone.wav", "out/tone.json"), ("gone.wav", "out/g.json")]))
    results = run_batch(rows, jobs=1, show_progress=False)
    assert [r.status for r in results] == ["ok", "ok", "failed"]
    assert results[1].warnings and results[1].message == ""
    assert not results[2].warnings
    table = batch.format_table(results).splitlines()
    warning_lines = [ln for ln in table if "warning:" in ln]
    error_lines = [ln for ln in table if "error:" in ln]
    assert len(warning_lines) == sum(len(r.warnings) for r in results) and len(error_lines) == 1
    assert "gone.wav" in error_lines[0]
    report = tmp_path / "r.json"
    batch.write_report(report, results, manifest="m.csv", jobs=1, scheduler=None, seconds=1.0)
    data = json.loads(report.read_text())
    assert data["rows_with_warnings"] >= 1 and data["summary"]["failed"] == 1
    assert data["rows"][1]["warnings"][0]["message"]
    values = np.array(json.loads((tmp_path / "out" / "tone.json").read_text())["frames"])
    assert values.shape[0] > 0 and np.isfinite(values).all()


def _children(pid: int) -> list:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@posix_only
def test_kill_9_of_a_batch_ends_its_workers_and_leaves_a_report(tmp_path):
    """kill -9 of `talkrig batch --jobs 2` mid-run: the workers exit too, the report lists
    the rows done so far, and the next run removes the killed run's temporary files."""
    for i in range(3):
        syllable_wav(tmp_path / f"s{i}.wav", seconds=2.5, seed=i)
    rows = [(f"s{i % 3}.wav", f"out/line{i}.json") for i in range(14)]
    manifest = _write_csv(tmp_path / "m.csv", ("audio", "output"), rows)
    report = tmp_path / "m.report.json"
    proc = subprocess.Popen([sys.executable, "-m", "talkrig.app.cli", "batch", str(manifest),
                             "--jobs", "2", "--no-progress"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None and not report.exists():
            time.sleep(0.05)
        assert proc.poll() is None, "the batch ended before any report was written"
        assert report.exists(), "no report while rows were finishing"
        workers = _children(proc.pid)
        assert workers
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "workers outlived the killed batch"
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in _children(proc.pid):
            os.kill(w, signal.SIGKILL)
    data = json.loads(report.read_text())
    assert data["complete"] is False and data["manifest_rows"] == 14
    done = [r for r in data["rows"] if r["status"] == "ok"]
    assert 1 <= len(done) < 14
    for r in done:
        assert Path(r["output"]).is_file()
    # what a killed worker leaves mid-write: removed by the next run, finished files kept
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    stale = part_name(tmp_path / "out" / "line13.json", pid=int(dead.stdout))
    Path(stale).write_text("half")
    again = subprocess.run([sys.executable, "-m", "talkrig.app.cli", "batch", str(manifest),
                            "--jobs", "2", "--no-progress"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    final = json.loads(report.read_text())
    assert final["complete"] is True
    assert final["summary"]["ok"] + final["summary"]["skipped"] == 14
