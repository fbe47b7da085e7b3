"""Batch rows that need Blender run in worker processes through the bpy module; every bad
row gets one clear line in the report while the good rows finish."""
import json

import bpy
import pytest

from talkrig.app import batch


@pytest.fixture
def no_keys_blend(tmp_path):
    """A .blend whose only mesh has no shape keys at all."""
    bpy.ops.mesh.primitive_cube_add()
    path = tmp_path / "plain_cube.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True)
    return path


def test_blender_rows_in_workers_with_bad_rows_reported(speech_wav, tmp_path, no_keys_blend):
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
    (tmp_path / "blocker").write_text("a file where a folder should be")
    rows = [
        {"audio": str(speech_wav), "output": "good.blend", "export": "fbx,glb"},
        {"audio": "corrupt.wav", "output": "corrupt.json"},
        {"audio": str(speech_wav), "text": "missing.txt", "output": "text.json"},
        {"audio": str(speech_wav), "output": "cube.blend", "target": str(no_keys_blend)},
        {"audio": str(speech_wav), "output": "blocker/x.fbx"},
    ]
    manifest = tmp_path / "lines.json"
    manifest.write_text(json.dumps(rows))
    results = batch.run_batch(batch.load_manifest(manifest), jobs=2, show_progress=False)
    status = [r.status for r in results]
    assert status == ["ok", "failed", "failed", "failed", "failed"], [r.message for r in results]
    for p in ("good.blend", "good.fbx", "good.glb"):
        assert (tmp_path / p).stat().st_size > 0
    messages = [r.message for r in results[1:]]
    assert all("\n" not in m and m for m in messages)
    assert "decode" in messages[0].lower() or "read" in messages[0].lower()
    assert "transcript file not found" in messages[1]
    assert "shape keys" in messages[2]
    assert "output folder" in messages[3]
    assert not (tmp_path / "cube.blend").exists()            # nothing half-written
    assert not list(tmp_path.glob(".*part*"))
