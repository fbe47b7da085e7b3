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
        import pyassimp.core  # noqa: F401  (loads libassimp or raises)
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


# --- A minimal binary FBX reader (independent of Blender's exporter and parser) ---------
# assimp reports animation times relative to the take's LocalStart, so it cannot see a
# take that starts one frame late; the raw KeyTime arrays can.

FBX_TICKS_PER_SECOND = 46186158000


def _fbx_nodes(data: bytes, pos: int, end: int, wide: bool, out: list, path: tuple):
    import struct
    import zlib

    head = "<QQQB" if wide else "<IIIB"
    size = struct.calcsize(head)
    while pos < end:
        end_off, n_props, _plen, name_len = struct.unpack_from(head, data, pos)
        if end_off == 0:
            return
        name = data[pos + size:pos + size + name_len].decode("ascii", "replace")
        p = pos + size + name_len
        props = []
        for _ in range(n_props):
            t = chr(data[p])
            p += 1
            scalar = {"Y": "<h", "C": "<?", "I": "<i", "F": "<f", "D": "<d", "L": "<q"}
            if t in scalar:
                props.append(struct.unpack_from(scalar[t], data, p)[0])
                p += struct.calcsize(scalar[t])
            elif t in "fdlib":
                n, enc, clen = struct.unpack_from("<III", data, p)
                raw = data[p + 12:p + 12 + clen]
                raw = zlib.decompress(raw) if enc == 1 else raw
                dtype = {"f": "<f4", "d": "<f8", "l": "<i8", "i": "<i4", "b": "u1"}[t]
                props.append(np.frombuffer(raw, dtype=dtype, count=n))
                p += 12 + clen
            elif t in "SR":
                (n,) = struct.unpack_from("<I", data, p)
                props.append(data[p + 4:p + 4 + n])
                p += 4 + n
            else:
                raise ValueError(f"unknown FBX property type {t!r}")
        out.append((path + (name,), props))
        if p < end_off:
            _fbx_nodes(data, p, end_off, wide, out, path + (name,))
        pos = end_off


def fbx_nodes(path) -> list:
    """Every node of a binary FBX as ``((parent, ..., name), [properties])``."""
    import struct

    data = Path(path).read_bytes()
    if not data.startswith(b"Kaydara FBX Binary"):
        raise ValueError(f"{path} is not a binary FBX")
    (version,) = struct.unpack_from("<I", data, 23)
    out: list = []
    _fbx_nodes(data, 27, len(data), version >= 7500, out, ())
    return out


def fbx_key_times(path) -> list:
    """Raw key times in seconds of every AnimationCurve (``KeyTime`` arrays)."""
    return [props[0].astype(np.float64) / FBX_TICKS_PER_SECOND
            for names, props in fbx_nodes(path)
            if names[-2:] == ("AnimationCurve", "KeyTime")]
