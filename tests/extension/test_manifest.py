"""The manifest declares what the add-on is and does, and every platform's zip is complete.

- ``blender_version_min`` is 4.2.0, the LTS that ``make test`` also runs against (bpy 4.2.23).
- Permissions: only ``files`` (speech audio and transcripts in, exports and mapping presets
  out). The shipped code is scanned so that a network or clipboard use would have to be
  declared: no network modules, no ``clipboard``.
- One zip per platform (linux-x64, windows-x64, macos-arm64, macos-x64), each validated by
  the builder of the running Blender (5.0 or 4.2), carrying only wheels for that platform and
  the runtime packages the bake imports.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

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
    dists = {Path(w).name.split("-")[0].lower() for w in listed}
    assert {"scipy", "soundfile", "pocketsphinx"} <= dists, sorted(dists)
    assert "numpy" not in dists, "numpy comes from Blender"
    # hama has no Windows binary: requirements/core.txt declares the gap with a marker.
    assert ("hama" in dists) == (platform != "windows-x64"), sorted(dists)
    for whl in listed:
        plat_tag = Path(whl).stem.split("-")[-1]
        bad = [t for t in FOREIGN_TAGS[platform] if t in plat_tag and "universal2" not in plat_tag]
        assert not bad, f"{whl} does not belong in the {platform} zip"
