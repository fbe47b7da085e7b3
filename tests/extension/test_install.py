"""Tier 3: build the extension zip with Blender's own tool, validate it, install it headless.

The zip is built for linux-x64 by ``scripts/build_extension.py`` (wheels come from the
``./wheels/`` cache, fetched from PyPI at build time when missing) into a temporary folder.
It carries the wheels for both Pythons Blender uses (cp311: 4.2 LTS - 5.0, cp313: 5.1 - 5.2
LTS); ``make test`` runs this tier on bpy 4.2.23, 5.0.1 and 5.2.3, so the same zip installs,
bakes, exports (FBX and glb) and uninstalls on each.
The Blender session runs in a subprocess (``blender_session.py``) because
``BLENDER_USER_RESOURCES`` must be set before ``bpy`` is imported: the user's own config and
extensions stay untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SESSION = Path(__file__).with_name("blender_session.py")
SR = 16000
SHAPE_KEYS = ("jawOpen", "mouthClose", "eyeBlinkLeft")  # blender_session.make_face

pytest.importorskip("bpy", reason="the bpy module (requirements/dev.txt) is needed")

sys.path.insert(0, str(ROOT / "scripts"))
import build_extension  # noqa: E402

sys.path.pop(0)
from synth import speech_like  # noqa: E402  (tests/synth.py: one copy for every tier)


def release_builder() -> Path:
    """Blender's extension tool that `make extension` uses (the bpy 5.0 one in `.venv`).

    When this tier runs on another Blender (bpy 4.2 in `.venv-bpy42`), the zip is still built
    by the release builder, so the older Blender installs what users download; its own tool
    then validates that zip (test_zip_validates). Falls back to the running Blender's tool.
    """
    found = sorted((ROOT / ".venv" / "lib").glob(
        "python3.*/site-packages/bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    return found[-1] if found else build_extension.blender_ext_tool()


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    stage = tmp_path_factory.mktemp("stage")
    own_tool = build_extension.blender_ext_tool
    tool = release_builder()
    build_extension.blender_ext_tool = lambda: tool
    try:
        rc = build_extension.main(["--platform", "linux-x64", "--output-dir", str(out),
                                   "--stage-dir", str(stage)])
    finally:
        build_extension.blender_ext_tool = own_tool
    assert rc == 0, "building or validating the extension zip failed (see output above)"
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    zip_path = out / f"{manifest['id']}-{manifest['version']}-linux_x64.zip"
    assert zip_path.is_file()
    return zip_path


def test_zip_validates(built_zip):
    tool = build_extension.blender_ext_tool()
    res = subprocess.run([sys.executable, str(tool), "validate", str(built_zip)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Success" in res.stdout


def test_zip_contents(built_zip):
    import zipfile

    names = zipfile.ZipFile(built_zip).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert any(n.startswith("core/") for n in names) and any(n.startswith("addon/") for n in names)
    assert not any(n.startswith(("tests/", "bench/", ".venv", "docs/", "examples/", ".git/"))
                   for n in names)
    wheels = [n for n in names if n.startswith("wheels/")]
    assert wheels and not any(n.startswith("wheels/numpy-") for n in wheels)
    assert all("win_amd64" not in n and "macosx" not in n for n in wheels)
    # Compiled wheels for every Python Blender uses, the running one included.
    for python in [*build_extension.PYTHONS, sys.version_info[:2]]:
        tag = build_extension.py_tag(tuple(python))
        assert any(n.startswith("wheels/scipy-") and f"-{tag}-" in n for n in wheels), (tag, wheels)


def glb_json(path: Path) -> dict:
    """The JSON chunk of a binary glTF file (header: magic, version, length; then chunks)."""
    import struct

    data = path.read_bytes()
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    assert magic == b"glTF" and version == 2 and length == len(data), (magic, version, length)
    chunk_len, chunk_type = struct.unpack_from("<II", data, 12)
    assert chunk_type == 0x4E4F534A  # "JSON"
    return json.loads(data[20:20 + chunk_len])


def test_install_bake_uninstall(built_zip, tmp_path):
    import soundfile as sf

    wav = tmp_path / "speech.wav"
    sf.write(wav, speech_like(), SR, subtype="PCM_16")
    user = tmp_path / "blender_user"
    user.mkdir()
    report_path = tmp_path / "report.json"
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(user))
    res = subprocess.run([sys.executable, str(SESSION), str(built_zip), str(wav), str(report_path)],
                         env=env, capture_output=True, text=True, timeout=600)
    assert report_path.is_file(), f"session crashed (rc {res.returncode}):\n{res.stderr[-3000:]}"
    report = json.loads(report_path.read_text())
    assert "error" not in report, (report["error"] + "\n--- stderr ---\n" + res.stderr[-3000:]
                                   + f"\nimports refused: {report.get('blocked_imports')}")

    assert res.returncode == 0, f"session exited with {res.returncode}:\n{res.stderr[-3000:]}"
    assert report["install"] == ["FINISHED"]
    loaded = report["loaded"]
    assert loaded["in_sys_modules"], "extension did not load as bl_ext.user_default.talkrig"
    assert loaded["enabled"] and loaded["check"][1], loaded
    assert loaded["bake_op"], "talkrig.bake is not registered after enabling"
    unpacked = loaded["wheels_unpacked"]
    assert unpacked["on_sys_path"], unpacked
    for pkg in ("scipy", "soundfile.py", "pocketsphinx"):
        assert pkg in unpacked["packages"], f"bundled wheel {pkg} not unpacked: {unpacked}"
    assert "numpy" not in unpacked["packages"], "numpy must come from Blender, not a wheel"
    # The session lets only bundled wheels and what Blender ships be imported: the bake ran on
    # the extension's own soundfile, pocketsphinx (its wheel brings its model) and onnxruntime
    # (the phoneme network); a face bake imports no scipy package (core/dsp/), whose wheel
    # is shipped for the body and FLAME parts.
    assert report["blocked_imports"] == []
    for mod in ("soundfile", "pocketsphinx", "onnxruntime"):
        assert mod in report["loaded_from_wheels"], report["loaded_from_wheels"]
    assert "scipy" not in report["loaded_from_wheels"], report["loaded_from_wheels"]
    assert report["bundled_pocketsphinx"]["model_ok"], report["bundled_pocketsphinx"]

    assert report["bake"] == ["FINISHED"]
    keys = report["keyframes"]
    for name in ("jawOpen", "mouthClose", "eyeBlinkLeft"):
        assert name in keys, f"no F-curve drives shape key {name}: {sorted(keys)}"
        assert keys[name]["n"] >= 2
    n_frames_min = int(2.4 * 24 * 0.9)  # at least ~one key per frame at 24 fps or more
    assert keys["jawOpen"]["n"] >= n_frames_min, keys["jawOpen"]
    assert keys["jawOpen"]["max"] - keys["jawOpen"]["min"] > 0.05, "the jaw never moved"

    exports = report["exports"]
    assert exports["fbx"]["result"] == ["FINISHED"] and exports["glb"]["result"] == ["FINISHED"]
    fbx = Path(exports["fbx"]["path"]).read_bytes()
    assert fbx.startswith(b"Kaydara FBX Binary"), fbx[:32]
    assert b"DeformPercent" in fbx, "the FBX carries no shape-key animation"
    gltf = glb_json(Path(exports["glb"]["path"]))
    mesh = next(m for m in gltf["meshes"] if m.get("extras", {}).get("targetNames"))
    assert set(SHAPE_KEYS) <= set(mesh["extras"]["targetNames"]), mesh["extras"]
    channels = [c for a in gltf.get("animations", []) for c in a["channels"]]
    assert any(c["target"]["path"] == "weights" for c in channels), channels

    for when in ("after_disable", "after_uninstall"):
        left = report[when]
        assert left["classes"] == [], f"{when}: classes still registered: {left['classes']}"
        assert left["properties"] == [], f"{when}: properties left: {left['properties']}"
        assert left["operators"] == [], f"{when}: operators left: {left['operators']}"
    assert report["uninstall"] == ["FINISHED"]
    assert not report["after_uninstall"]["enabled"]
    assert not (Path(report["after_uninstall"]["repo_dir"]) / "talkrig").exists()
