"""Batch baking: manifest parsing, per-row errors, skip/force, reports, Dask on loopback."""
import json
import os

import numpy as np
import pytest

from talkrig.app import batch
from talkrig.app.batch import ManifestError, load_manifest, run_batch
from synth import syllable_wav as _speechlike


@pytest.fixture
def lines(tmp_path):
    audio = tmp_path / "audio"
    audio.mkdir()
    _speechlike(audio / "a.wav", seed=1)
    _speechlike(audio / "b.wav", seed=2)
    (audio / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    rows = [
        {"audio": "audio/a.wav", "text": "", "emotion": "", "output": "out/a.json",
         "export": "csv"},
        {"audio": "audio/b.wav", "text": "", "emotion": "", "output": "out/b.npz"},
        {"audio": "audio/broken.wav", "text": "", "emotion": "", "output": "out/broken.json"},
        {"audio": "audio/a.wav", "text": "missing_transcript.txt", "emotion": "",
         "output": "out/c.json"},
        {"audio": "audio/b.wav", "text": "", "emotion": "", "output": "blocker/d.json"},
    ]
    manifest = tmp_path / "lines.json"
    manifest.write_text(json.dumps(rows))
    return manifest


def test_manifest_csv_and_json_agree(tmp_path, lines):
    rows_json = load_manifest(lines)
    recs = json.loads(lines.read_text())
    csv_path = tmp_path / "lines.csv"
    with open(csv_path, "w") as fh:
        fh.write("audio,text,emotion,output,export\n")
        for r in recs:
            fh.write(",".join(r.get(k, "") for k in ("audio", "text", "emotion", "output",
                                                       "export")) + "\n")
    assert load_manifest(csv_path) == rows_json
    first = rows_json[0]
    assert first.audio == str(tmp_path / "audio" / "a.wav")
    assert first.outputs == (str(tmp_path / "out" / "a.json"), str(tmp_path / "out" / "a.csv"))
    assert rows_json[3].text == str(tmp_path / "missing_transcript.txt")


def test_manifest_errors(tmp_path):
    with pytest.raises(ManifestError, match="manifest not found"):
        load_manifest(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("audio,text\nx.wav,hello\n")
    row, = load_manifest(bad)                      # reported as that row's failure, not fatal
    assert "row 1 has no output" in row.error
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("audio,output,colour\nx.wav,x.json,red\n")
    with pytest.raises(ManifestError, match="unknown column.*colour"):
        load_manifest(unknown)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(ManifestError, match="no rows"):
        load_manifest(empty)


def test_bad_rows_reported_rest_continue_and_rerun_skips(tmp_path, lines):
    rows = load_manifest(lines)
    results = run_batch(rows, jobs=2, show_progress=False)
    status = [r.status for r in results]
    assert status == ["ok", "ok", "failed", "failed", "failed"]
    assert "decode" in results[2].message.lower() or "read" in results[2].message.lower()
    assert "transcript file not found" in results[3].message
    assert "output folder" in results[4].message
    for out in rows[0].outputs + rows[1].outputs:
        assert os.path.getsize(out) > 0
    # no temporary or partial files left behind by failed rows
    leftovers = [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    assert leftovers == []
    with open(rows[0].output) as fh:
        data = json.load(fh)
    assert data["fps"] == 30 and len(data["names"]) == len(data["frames"][0])

    again = run_batch(rows, jobs=1, show_progress=False)
    assert [r.status for r in again][:2] == ["skipped", "skipped"]
    forced = run_batch(rows[:1], jobs=1, force=True, show_progress=False)
    assert forced[0].status == "ok"

    report = tmp_path / "report.json"
    batch.write_report(report, results, manifest=str(lines), jobs=2, scheduler=None, seconds=1.0)
    rep = json.loads(report.read_text())
    assert rep["summary"] == {"rows": 5, "ok": 2, "skipped": 0, "failed": 3, "seconds": 1.0}
    assert "transcript file not found" in batch.format_table(results)


def test_parallel_equals_serial(tmp_path, lines):
    rows = load_manifest(lines)[:2]
    serial = [batch.bake_row(r) for r in rows]
    a = np.load(rows[1].output)["values"]
    os.remove(rows[1].output)
    run_batch(rows[1:], jobs=2, force=True, show_progress=False)
    b = np.load(rows[1].output)["values"]
    assert [r.status for r in serial] == ["ok", "ok"]
    np.testing.assert_array_equal(a, b)


def test_dask_local_cluster_on_loopback(tmp_path, lines):
    distributed = pytest.importorskip("distributed")
    rows = load_manifest(lines)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        results = run_batch(rows, scheduler=cluster.scheduler_address, show_progress=False)
    assert [r.status for r in results] == ["ok", "ok", "failed", "failed", "failed"]
    assert "transcript file not found" in results[3].message


def test_unreachable_scheduler_is_a_clear_error(tmp_path, lines):
    rows = load_manifest(lines)[:1]
    with pytest.raises(batch.TalkrigError, match="Dask scheduler"):
        run_batch(rows, scheduler="tcp://127.0.0.1:9", show_progress=False)
