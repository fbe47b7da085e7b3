"""core and rigs never import Blender: every module imports with bpy/mathutils blocked."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import talkrig

ROOT = pathlib.Path(talkrig.__file__).resolve().parent
BLENDER_MODULES = {"bpy", "mathutils", "bpy_extras", "bmesh", "gpu", "bgl", "aud"}

SCRIPT = r"""
import importlib, pkgutil, sys
for name in ("bpy", "mathutils", "bpy_extras", "bmesh"):
    sys.modules[name] = None            # any 'import bpy' now raises ImportError
import talkrig.core, talkrig.rigs
failed, done = [], []
for pkg in (talkrig.core, talkrig.rigs):
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        try:
            importlib.import_module(info.name)
            done.append(info.name)
        except Exception as exc:
            failed.append(f"{info.name}: {type(exc).__name__}: {exc}")
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("bpy", "mathutils", "bpy_extras", "bmesh")
                and sys.modules[m] is not None)
print("imported", len(done))
print("FAILED" if failed or leaked else "OK", *failed, *leaked, sep="\n")
"""


def test_core_and_rigs_import_without_blender():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == "OK", proc.stdout
    assert int(proc.stdout.split()[1]) >= 10          # it really walked the packages


def test_no_blender_import_anywhere_in_the_source():
    """Catches lazy imports inside functions too, which an import test cannot see."""
    offenders = []
    for folder in ("core", "rigs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for n in names:
                    if n.split(".")[0] in BLENDER_MODULES:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {n}")
    assert not offenders, "\n".join(offenders)
