"""The manifest declares what the add-on is and does, and every platform's zip is complete.

- ``blender_version_min`` is 4.2.0, the LTS that ``make test`` also runs against (bpy 4.2.23).
- Permissions: only ``files`` (speech audio and transcripts in, exports and mapping presets
  out). The shipped code is scanned so that a network or clipboard use would have to be
  declared: no network modules, no ``clipboard``.
- One zip per platform (linux-x64, windows-x64, macos-arm64, macos-x64), each validated by
  the builder of the running Blender (4.2, 5.0 or 5.2), carrying only wheels for that platform
  and, for each Python Blender uses (3.11: 4.2 LTS - 5.0; 3.13: 5.1 - 5.2 LTS), exactly one
  wheel of every runtime package that ``requirements/core.txt`` asks for there.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
PLATFORMS = ("linux-x64", "windows-x64", "macos-arm64", "macos-x64")
SHIPPED = ("__init__.py", "addon", "core", "rigs")
NETWORK_MODULES = {"socket", "ssl", "http", "urllib.request", "urllib3", "requests", "httpx",
                   "aiohttp", "ftplib", "smtplib", "webbrowser", "xmlrpc"}
# Wheel platform tag fragments that must not appear in another platform's zip.
FOREIGN_TAGS = {"linux-x64": ("win", "macosx"), "windows-x64": ("linux", "macosx"),
                "macos-arm64": ("win", "linux", "x86_64"),
                "macos-x64": ("win", "linux", "arm64")}

pytest.importorskip("bpy", reason="the bpy module (requirements/dev.txt) is needed")
sys.path.insert(0, str(ROOT / "scripts"))
import build_extension  # noqa: E402

sys.path.pop(0)


def test_version_floor_and_platforms():
    assert MANIFEST["blender_version_min"] == "4.2.0"
    assert "blender_version_max" not in MANIFEST
    assert sorted(MANIFEST["platforms"]) == sorted(PLATFORMS)


def test_only_the_files_permission():
    perms = MANIFEST.get("permissions", {})
    assert set(perms) == {"files"}, f"undeclared use or unused permission: {sorted(perms)}"
    reason = perms["files"]
    assert len(reason) <= 64 and reason[-1].isalnum(), reason      # Blender's manifest rule


def _shipped_sources():
    for top in SHIPPED:
        path = ROOT / top
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def test_shipped_code_uses_no_network_or_clipboard():
    """Declaring only ``files`` is honest: no network module is imported, no clipboard used."""
    found = []
    for path in _shipped_sources():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(text, filename=str(rel))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            for name in names:
                if any(name == m or name.startswith(m + ".") for m in NETWORK_MODULES):
                    found.append(f"{rel}:{node.lineno} imports {name}")
        if "clipboard" in text:
            found.append(f"{rel} uses the clipboard")
    assert not found, "declare the permission in blender_manifest.toml or drop the use:\n" + "\n".join(found)


@pytest.fixture(scope="module")
def platform_zips(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist_all")
    stage = tmp_path_factory.mktemp("stage_all")
    rc = build_extension.main(["--output-dir", str(out), "--stage-dir", str(stage)])
    assert rc == 0, "building or validating a platform zip failed (see output above)"
    return {p: out / f"{MANIFEST['id']}-{MANIFEST['version']}-{p.replace('-', '_')}.zip"
            for p in PLATFORMS}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_platform_zip(platform_zips, platform):
    zpath = platform_zips[platform]
    assert zpath.is_file(), f"no zip for {platform}"
    tool = build_extension.blender_ext_tool()
    res = subprocess.run([sys.executable, str(tool), "validate", str(zpath)],
                         capture_output=True, text=True)
    assert res.returncode == 0 and "Success" in res.stdout, res.stdout + res.stderr

    with zipfile.ZipFile(zpath) as zf:
        names = zf.namelist()
        manifest = tomllib.loads(zf.read("blender_manifest.toml").decode("utf-8"))
    assert manifest["platforms"] == [platform]
    assert manifest["permissions"] == MANIFEST["permissions"]
    listed = [w.removeprefix("./") for w in manifest["wheels"]]
    assert sorted(listed) == sorted(n for n in names if n.startswith("wheels/"))
    reqs = build_extension.read_requirements(build_extension.REQUIREMENTS)
    for python in build_extension.PYTHONS:
        fits = [Path(w) for w in listed if build_extension.wheel_fits(Path(w), platform, python)]
        dists = [canonicalize_name(parse_wheel_filename(w.name)[0]) for w in fits]
        assert len(dists) == len(set(dists)), f"two wheels of one package for {python}: {fits}"
        assert {"scipy", "soundfile", "pocketsphinx", "onnxruntime"} <= set(dists), (
            python, sorted(dists))
        assert "numpy" not in dists, "numpy comes from Blender"
        # What requirements/core.txt asks for on this platform and Python is there; what its
        # markers exclude (hama on Windows, say) is not, unless another line asks for it.
        env = build_extension.marker_env(platform, "", python)
        wanted = {canonicalize_name(r.name) for r in reqs
                  if r.marker is None or r.marker.evaluate(env)} - build_extension.SKIP
        excluded = {canonicalize_name(r.name) for r in reqs} - wanted - build_extension.SKIP
        assert wanted <= set(dists), (python, sorted(wanted - set(dists)))
        assert not excluded & set(dists), (python, sorted(excluded & set(dists)))
    # the phoneme recogniser every platform runs (Windows included): the network its card
    # names, byte for byte, with its token table and licence
    import hashlib
    import json
    card_name = "models/phonemes_hama17.json"
    assert card_name in names
    with zipfile.ZipFile(zpath) as zf:
        card = json.loads(zf.read(card_name))
        onnx = zf.read("models/" + card["file"])
        for extra in (card["tokens_file"], card["notice"], "LICENSE-Apache-2.0.txt"):
            assert "models/" + extra in names, extra
    assert hashlib.sha256(onnx).hexdigest() == card["sha256"]
    for whl in listed:
        plat_tag = Path(whl).stem.split("-")[-1]
        bad = [t for t in FOREIGN_TAGS[platform] if t in plat_tag and "universal2" not in plat_tag]
        assert not bad, f"{whl} does not belong in the {platform} zip"
