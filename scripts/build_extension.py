"""Build and validate the talkrig Blender extension zips (``make extension``).

Steps:

1. Read the runtime requirements (``requirements/core.txt``, re-read on every build since
   others add to it) and resolve them per target platform: each pinned requirement, then the
   ``Requires-Dist`` of every wheel, with environment markers evaluated for that platform
   (pip's ``--platform`` does not do this). numpy is left out: Blender ships its own.
   Unpinned dependencies are pinned to the version installed in this environment, which is
   the one the tests ran against.
   This is done once per Python that Blender uses (``PYTHONS``: 3.11 for Blender 4.2-5.0,
   3.13 for 5.1 and later, 5.2 LTS included), so markers such as ``python_version >= "3.13"``
   pick each Python's own pins.
2. Fetch the wheels (cp311 and cp313) into a cache, ``./wheels/``, with
   ``pip download --only-binary :all: --no-deps --platform ... --python-version ...``. A wheel
   already in the cache is reused, so a second build needs no network.
3. Stage the extension source (the repo root is the extension root) in ``build/extension/``
   with the wheels of both Pythons and a build copy of ``blender_manifest.toml`` that lists
   them; the committed manifest stays untouched. Blender installs only the wheels whose
   Python tag matches its own Python (``bl_pkg``'s wheel filter, 4.2 and later) and accepts the
   zip when any wheel's Python is its own, so one zip per platform serves 4.2 LTS to 5.2 LTS.
   A Python for which the zip would carry two wheels of one package stops the build.
4. Build with Blender's own extension tool (``blender_ext.py`` inside the ``bpy`` wheel),
   one zip per platform (``--split-platforms``), then ``validate`` every zip and print sizes
   and the wheels per Python (also written to ``<output-dir>/wheels-<platform>.json``).

A requirement that has no wheel for a platform stops the build with a message: declare the
gap honestly with an environment marker in ``requirements/core.txt`` (for example
``somepackage==1.0; sys_platform != "win32"``) and make the code fall back where it is missing.

Usage::

    python scripts/build_extension.py [--platform linux-x64 ...] [--python 3.13 ...]
                                      [--output-dir dist]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from email.parser import HeaderParser
from pathlib import Path

from packaging import tags
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "blender_manifest.toml"
REQUIREMENTS = ROOT / "requirements" / "core.txt"
# Blender's Python versions -> (full version, only for ``python_full_version`` markers; the
# Blender versions that run it). Blender accepts a zip when one of its wheels is for its Python
# and installs only the wheels for its Python, so one zip per platform carries both sets.
PYTHONS = {
    (3, 11): ("3.11.9", "4.2 LTS - 5.0"),
    (3, 13): ("3.13.9", "5.1 - 5.2 LTS"),
}
# Blender ships these; bundling another copy would shadow its own build.
SKIP = {"numpy"}

# Blender platform -> (wheel platform tags, best first; environment-marker values).
# Blender 4.2 needs glibc 2.28 on Linux and macOS 11.2. Some wheels (scipy 1.15) need macOS 12
# or newer on Apple silicon: wheels needing the oldest macOS are preferred and the summary says
# which macOS a package needs.
MACOS_MAX = (14, 0)


def _mac(arch: str) -> list[str]:
    plats = [p for p in tags.mac_platforms(MACOS_MAX, arch) if p.endswith((arch, "_universal2"))]
    return sorted(plats, key=lambda p: (tuple(map(int, p.split("_")[1:3])),
                                        p.endswith("universal2")))


_MAC_ARM = _mac("arm64")
_MAC_X64 = _mac("x86_64")
_LINUX = [f"manylinux_2_{m}_x86_64" for m in range(28, 4, -1)] + [
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
PLATFORMS = {
    "linux-x64": (_LINUX, dict(sys_platform="linux", platform_system="Linux",
                               platform_machine="x86_64", os_name="posix")),
    "windows-x64": (["win_amd64"], dict(sys_platform="win32", platform_system="Windows",
                                        platform_machine="AMD64", os_name="nt")),
    "macos-arm64": (_MAC_ARM, dict(sys_platform="darwin", platform_system="Darwin",
                                   platform_machine="arm64", os_name="posix")),
    "macos-x64": (_MAC_X64, dict(sys_platform="darwin", platform_system="Darwin",
                                 platform_machine="x86_64", os_name="posix")),
}


class BuildError(RuntimeError):
    """The extension could not be built; the message says what to do."""


def py_tag(python: tuple[int, int]) -> str:
    """CPython tag of a Python version, e.g. ``cp313``."""
    return "cp%d%d" % python


def marker_env(platform: str, extra: str = "", python: tuple[int, int] = (3, 11)) -> dict[str, str]:
    """Environment-marker values of Blender's Python ``python`` on ``platform``."""
    full = PYTHONS[python][0]
    env = dict(PLATFORMS[platform][1])
    env.update(python_version="%d.%d" % python, python_full_version=full,
               implementation_name="cpython", implementation_version=full,
               platform_python_implementation="CPython", platform_release="",
               platform_version="", extra=extra)
    return env


def target_tags(platform: str, python: tuple[int, int] = (3, 11)) -> list[tags.Tag]:
    """Wheel tags Blender's Python ``python`` accepts on ``platform``, best first."""
    plats = PLATFORMS[platform][0]
    return [*tags.cpython_tags(python, abis=[py_tag(python)], platforms=plats),
            *tags.compatible_tags(python, interpreter=py_tag(python), platforms=plats)]


def wheel_fits(whl: Path, platform: str, python: tuple[int, int]) -> bool:
    """Whether Blender with Python ``python`` on ``platform`` can use wheel ``whl``."""
    return not parse_wheel_filename(whl.name)[3].isdisjoint(target_tags(platform, python))


def read_requirements(path: Path) -> list[Requirement]:
    """Requirement lines of ``path`` (comments, blank lines and ``-r`` includes skipped)."""
    reqs = []
    for line in path.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        reqs.append(Requirement(line))
    return reqs


def pinned(req: Requirement) -> str | None:
    """The exact version ``req`` pins, else the installed one if it satisfies ``req``."""
    for spec in req.specifier:
        if spec.operator in ("==", "===") and "*" not in spec.version:
            return spec.version
    try:
        have = importlib.metadata.version(req.name)
    except importlib.metadata.PackageNotFoundError:
        return None
    return have if req.specifier.contains(have, prereleases=True) else None


def find_cached(cache: Path, key: str, target: str) -> Path | None:
    """The wheel an earlier build fetched for ``key`` ("name==version") for ``target``.

    ``target`` is "<platform>/<cpXY>". The choice is remembered per platform and Python in
    ``cache/.choices.json``: a wheel cached for another platform (say a pure ``py3-none-any``
    one) must not stand in for a better, platform-specific wheel the index has for this one.
    """
    whl = _choices(cache).get(target, {}).get(key)
    return cache / whl if whl and (cache / whl).is_file() else None


def remember(cache: Path, key: str, target: str, whl: Path) -> None:
    """Record that ``whl`` is the wheel for ``key`` for ``target`` ("<platform>/<cpXY>")."""
    choices = _choices(cache)
    choices.setdefault(target, {})[key] = whl.name
    (cache / ".choices.json").write_text(json.dumps(choices, indent=1, sort_keys=True) + "\n")


def _choices(cache: Path) -> dict[str, dict[str, str]]:
    path = cache / ".choices.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def pip_download_cmd(platform: str, python: tuple[int, int]) -> list[str]:
    """``pip download`` of wheels alone, without dependencies, for ``platform`` and ``python``."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--python-version", "%d.%d" % python, "--implementation", "cp",
           "--abi", py_tag(python),
           "--progress-bar", "off", "--disable-pip-version-check"]
    for plat in PLATFORMS[platform][0]:
        cmd += ["--platform", plat]
    return cmd


def download(cache: Path, req: Requirement, version: str | None, platform: str,
             python: tuple[int, int] = (3, 11)) -> Path:
    """Fetch the wheel for ``req`` on ``platform`` and ``python`` from the index into ``cache``."""
    spec = f"{req.name}=={version}" if version else f"{req.name}{req.specifier}"
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([*pip_download_cmd(platform, python), "-d", tmp, spec],
                             capture_output=True, text=True)
        got = list(Path(tmp).glob("*.whl"))
        if run.returncode != 0 or len(got) != 1:
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-4:])
            raise BuildError(
                f"no {py_tag(python)} wheel of {spec} for {platform} on the package index:\n"
                f"{tail}\nIf the package really has none for {platform} on Python "
                f"{python[0]}.{python[1]}, pin another version for that Python or add an "
                f"environment marker to its line in {REQUIREMENTS.relative_to(ROOT)} (e.g. "
                f"'; sys_platform != \"win32\"' or '; python_version < \"3.13\"') and make the "
                f"code fall back without it.")
        dest = cache / got[0].name
        shutil.move(str(got[0]), dest)
    return dest


def wheel_requires(whl: Path) -> list[Requirement]:
    """``Requires-Dist`` entries from a wheel's METADATA."""
    with zipfile.ZipFile(whl) as zf:
        meta = next(n for n in zf.namelist()
                    if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        headers = HeaderParser().parsestr(zf.read(meta).decode("utf-8"))
    return [Requirement(r) for r in headers.get_all("Requires-Dist") or []]


def resolve(platform: str, reqs: list[Requirement], cache: Path,
            python: tuple[int, int] = (3, 11)) -> list[Path]:
    """All wheels needed on ``platform`` with Blender's Python ``python`` for ``reqs`` and
    their dependencies (numpy skipped), markers evaluated for that platform and Python.

    Breadth first: the wheels of one level that are not cached yet are fetched with one
    ``pip download`` call (each pip start costs seconds), then their requirements form the
    next level.
    """
    todo = [(r, "") for r in reqs]
    done: dict[str, Path] = {}
    target = f"{platform}/{py_tag(python)}"
    while todo:
        level: dict[str, tuple[Requirement, str | None, str]] = {}
        for req, extra in todo:
            if req.marker is not None and not req.marker.evaluate(
                    marker_env(platform, extra, python)):
                continue
            key = canonicalize_name(req.name)
            if key in SKIP or key in done or key in level:
                continue
            version = pinned(req)
            level[key] = (req, version, f"{key}=={version}" if version else str(req))
        found = {key: find_cached(cache, ckey, target) for key, (_, _, ckey) in level.items()}
        missing = {k: level[k][:2] for k, whl in found.items() if whl is None}
        if missing:
            found.update(download_many(cache, missing, platform, python))
        todo = []
        for key, (req, version, ckey) in level.items():
            whl = found[key]
            if key in missing:
                remember(cache, ckey, target, whl)
            done[key] = whl
            for dep in wheel_requires(whl):
                todo.append((dep, ""))
                todo.extend((dep, e) for e in req.extras)
    return sorted(done.values(), key=lambda p: p.name)


def download_many(cache: Path, wanted: dict[str, tuple[Requirement, str | None]],
                  platform: str, python: tuple[int, int]) -> dict[str, Path]:
    """Fetch several wheels with one ``pip download``; on any failure, one call per wheel,
    so the error names the package that has no wheel."""
    specs = [f"{r.name}=={v}" if v else f"{r.name}{r.specifier}" for r, v in wanted.values()]
    if len(specs) > 1:
        with tempfile.TemporaryDirectory() as tmp:
            run = subprocess.run([*pip_download_cmd(platform, python), "-d", tmp, *specs],
                                 capture_output=True, text=True)
            got = {canonicalize_name(parse_wheel_filename(w.name)[0]): w
                   for w in Path(tmp).glob("*.whl")}
            if run.returncode == 0 and set(got) == set(wanted):
                out = {}
                for key, whl in got.items():
                    out[key] = cache / whl.name
                    shutil.move(str(whl), out[key])
                return out
    return {key: download(cache, req, version, platform, python)
            for key, (req, version) in wanted.items()}


def check_one_per_python(platform: str, wheels: list[Path],
                         pythons: list[tuple[int, int]]) -> None:
    """Stop when Blender with one of ``pythons`` would see two wheels of one package.

    Blender keeps only the newest of several wheels of one package that fit its Python; if
    the two Pythons resolved different versions of a pure (``py3``) package, the older
    Python would silently get the newer one. Pin one version that works for both instead.
    """
    for python in pythons:
        seen: dict[str, Path] = {}
        for whl in wheels:
            if not wheel_fits(whl, platform, python):
                continue
            name = canonicalize_name(parse_wheel_filename(whl.name)[0])
            if name in seen:
                raise BuildError(
                    f"{platform}: Blender with Python {python[0]}.{python[1]} would see two "
                    f"wheels of {name}: {seen[name].name} and {whl.name}. Pin one version of "
                    f"{name} in {REQUIREMENTS.relative_to(ROOT)} that has wheels for every Python.")
            seen[name] = whl


def macos_needed(whl: Path) -> tuple[int, int] | None:
    """Oldest macOS a macOS wheel runs on, or None for other wheels."""
    found = [tuple(map(int, m.groups())) for t in parse_wheel_filename(whl.name)[3]
             for m in [re.match(r"macosx_(\d+)_(\d+)_", t.platform)] if m]
    return min(found) if found else None


def blender_ext_tool() -> Path:
    """Path of Blender's extension tool inside the installed ``bpy`` wheel."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.origin:
        raise BuildError("the 'bpy' module is not installed: run 'make setup' first")
    found = sorted(Path(spec.origin).parent.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not found:
        raise BuildError(f"blender_ext.py not found under {Path(spec.origin).parent}")
    return found[-1]


def source_files() -> list[Path]:
    """Files of the working tree that are not git-ignored (walks the tree without git)."""
    if (ROOT / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, check=True).stdout
        return [Path(p) for p in sorted(set(out.decode().split("\0"))) if p]
    files = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in (
            "wheels", "build", "dist", "out", "__pycache__", "node_modules")]
        files += [Path(dirpath, f).relative_to(ROOT) for f in filenames]
    return sorted(files)


def stage(manifest: dict, manifest_text: str, wheels: list[Path], platforms: list[str],
          dest: Path) -> None:
    """Copy the extension source, the wheels and a manifest that lists them into ``dest``."""
    skip_top = {p.strip("/") for p in manifest.get("build", {}).get("paths_exclude_pattern", [])
                if p.startswith("/") and "*" not in p}
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for rel in source_files():
        src = ROOT / rel
        if rel.parts[0] in skip_top or rel.name == MANIFEST or not src.is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    (dest / "wheels").mkdir()
    for whl in wheels:
        try:
            os.link(whl, dest / "wheels" / whl.name)
        except OSError:
            shutil.copy2(whl, dest / "wheels" / whl.name)
    lines = manifest_text.splitlines()
    first_table = next(i for i, ln in enumerate(lines) if ln.startswith("["))
    listed = ",\n".join(f'  "./wheels/{w.name}"' for w in wheels)
    generated = [f"wheels = [\n{listed},\n]", ""]
    text = "\n".join(lines[:first_table] + generated + lines[first_table:]) + "\n"
    text = re.sub(r"(?m)^platforms = \[.*\]$",
                  "platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]", text)
    (dest / MANIFEST).write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                    help="build only these platforms (repeatable); default: all in the manifest")
    ap.add_argument("--python", action="append", choices=["%d.%d" % p for p in PYTHONS],
                    help="carry wheels for these Blender Pythons only (repeatable); default: all")
    ap.add_argument("--output-dir", type=Path, default=ROOT / "dist")
    ap.add_argument("--cache", type=Path, default=ROOT / "wheels")
    ap.add_argument("--stage-dir", type=Path, default=ROOT / "build" / "extension",
                    help="scratch folder for the staged source trees (replaced per platform)")
    args = ap.parse_args(argv)
    args.output_dir, args.cache, args.stage_dir = (
        p.resolve() for p in (args.output_dir, args.cache, args.stage_dir))

    manifest_text = (ROOT / MANIFEST).read_text()
    manifest = tomllib.loads(manifest_text)
    platforms = args.platform or list(manifest["platforms"])
    pythons = sorted(tuple(map(int, v.split("."))) for v in args.python) if args.python else sorted(PYTHONS)
    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        raise BuildError(f"no wheel tags known for platform(s) {unknown}: add them to PLATFORMS")
    args.cache.mkdir(parents=True, exist_ok=True)
    args.output_dir.mkdir(parents=True, exist_ok=True)

    reqs = read_requirements(REQUIREMENTS)
    tool = blender_ext_tool()
    per_python: dict[str, dict[str, list[Path]]] = {}
    for plat in platforms:
        per_python[plat] = {}
        got: list[Path] = []
        for python in pythons:
            wheels = resolve(plat, reqs, args.cache, python)
            per_python[plat][py_tag(python)] = wheels
            print(f"{plat} {py_tag(python)}: {len(wheels)} wheels, "
                  f"{sum(w.stat().st_size for w in wheels) / 1e6:.1f} MB: "
                  + ", ".join(w.name for w in wheels))
            got += [w for w in wheels if w not in got]
        check_one_per_python(plat, got, pythons)
        for tag, wheels in per_python[plat].items():
            macos = [m for w in wheels for m in [macos_needed(w)] if m]
            if macos:
                print(f"{plat} {tag}: needs macOS >= {'.'.join(map(str, max(macos)))} "
                      f"(from its wheels)")
        # One staged tree per platform: pure wheels picked for one platform (colorama on
        # Windows) or a generic wheel beside a platform one must not leak into another zip.
        stage_dir = args.stage_dir / plat / manifest["id"]
        stage(manifest, manifest_text, sorted(got, key=lambda p: p.name), [plat], stage_dir)
        built = subprocess.run([sys.executable, str(tool), "build", "--source-dir", str(stage_dir),
                                "--output-dir", str(args.output_dir), "--split-platforms"])
        if built.returncode != 0:
            raise BuildError(f"Blender's extension builder failed for {plat} (see above)")

    ok = True
    for plat in platforms:
        zpath = args.output_dir / f"{manifest['id']}-{manifest['version']}-{plat.replace('-', '_')}.zip"
        val = subprocess.run([sys.executable, str(tool), "validate", str(zpath)],
                             capture_output=True, text=True)
        ok &= val.returncode == 0
        size = zpath.stat().st_size
        print(f"{zpath.relative_to(ROOT) if zpath.is_relative_to(ROOT) else zpath}: "
              f"{size / 1e6:.1f} MB, validate: "
              f"{(val.stdout + val.stderr).strip() or 'rc=%d' % val.returncode}")
        summary = {"zip": zpath.name, "bytes": size, "validated": val.returncode == 0,
                   "blender_version_min": manifest["blender_version_min"],
                   "pythons": {tag: {"blender": PYTHONS[(int(tag[2]), int(tag[3:]))][1],
                                     "wheels": [w.name for w in wheels]}
                               for tag, wheels in per_python[plat].items()}}
        (args.output_dir / f"wheels-{plat}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BuildError as exc:
        sys.exit(f"build_extension: {exc}")
