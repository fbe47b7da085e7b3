"""Independent read-back of exported files: assimp (via pyassimp's ctypes bindings) and the
Khronos glTF validator (node). Neither shares code with Blender's exporters.

pyassimp's high-level ``load`` converts meshes to numpy and fails on mixed quads and
triangles without post-processing, so the raw ``aiScene`` is read here with
``processing=0`` (nothing post-processed) through the same library binding.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def assimp_available() -> str:
    """'' when pyassimp + libassimp load, else the reason (for pytest.skip)."""
    try:
        import pyassimp.core  # noqa: F401
    except Exception as exc:  # ImportError, or AssimpError when the library is missing
        return f"pyassimp/libassimp not usable ({exc}); run scripts/system_deps.sh"
    return ""


def morph_animation(path) -> dict:
    """Morph-target animation as assimp sees it.

    Returns
    -------
    dict with ``ticks_per_second``, ``duration`` (ticks) and ``channels``: a list of dicts
    ``{"name", "times_s" [n_keys], "values" [n_keys, k] (target ids), "weights" [n_keys, k]}``
    over every animation in the file.
    """
    from pyassimp.core import _assimp_lib

    scene_p = _assimp_lib.load(str(path).encode(sys.getfilesystemencoding()), 0)
    if not scene_p:
        raise RuntimeError(f"assimp could not import {path}")
    try:
        sc = scene_p.contents
        out = {"channels": [], "n_meshes": int(sc.mNumMeshes), "n_animations": int(sc.mNumAnimations)}
        for a in range(sc.mNumAnimations):
            anim = sc.mAnimations[a].contents
            tps = float(anim.mTicksPerSecond) or 1.0
            out["ticks_per_second"], out["duration"] = tps, float(anim.mDuration)
            for c in range(anim.mNumMorphMeshChannels):
                ch = anim.mMorphMeshChannels[c].contents
                times, vals, wts = [], [], []
                for k in range(ch.mNumKeys):
                    key = ch.mKeys[k]
                    m = key.mNumValuesAndWeights
                    times.append(key.mTime / tps)
                    vals.append([key.mValues[i] for i in range(m)])
                    wts.append([key.mWeights[i] for i in range(m)])
                out["channels"].append({"name": ch.mName.data.decode("utf-8", "replace"),
                                        "times_s": np.asarray(times), "values": np.asarray(vals),
                                        "weights": np.asarray(wts, dtype=np.float64)})
        return out
    finally:
        _assimp_lib.release(scene_p)


def validator_available() -> str:
    if shutil.which("node") is None:
        return "node is not installed; run scripts/system_deps.sh"
    if not (TOOLS / "node_modules" / "gltf-validator").is_dir():
        return "gltf-validator is not installed in tests/tools; run scripts/system_deps.sh"
    return ""


def validate_gltf(path) -> dict:
    """The Khronos validator's report (``issues.numErrors`` etc.) for a .glb/.gltf file."""
    proc = subprocess.run(["node", str(TOOLS / "validate_gltf.js"), str(path)],
                          capture_output=True, text=True, timeout=300, cwd=TOOLS)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"gltf validator failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout)
