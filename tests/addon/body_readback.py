"""Independent read-back of skeleton animation: assimp (raw aiScene) and ufbx (PyPI)."""
from __future__ import annotations

import sys

import numpy as np


def assimp_node_animation(path) -> dict:
    """{node name: (n rotation keys, first key time s)} and the number of morph targets with
    a weight above 0.01 in some key, via assimp."""
    from pyassimp.core import _assimp_lib

    scene_p = _assimp_lib.load(str(path).encode(sys.getfilesystemencoding()), 0)
    if not scene_p:
        raise RuntimeError(f"assimp could not import {path}")
    try:
        sc = scene_p.contents
        nodes, moving = {}, set()
        for a in range(sc.mNumAnimations):
            anim = sc.mAnimations[a].contents
            tps = float(anim.mTicksPerSecond) or 1.0
            for c in range(anim.mNumChannels):
                ch = anim.mChannels[c].contents
                name = ch.mNodeName.data.decode("utf-8", "replace")
                n = int(ch.mNumRotationKeys)
                t0 = ch.mRotationKeys[0].mTime / tps if n else None
                prev = nodes.get(name, (0, None))
                nodes[name] = (max(n, prev[0]), t0 if prev[1] is None else prev[1])
            for c in range(anim.mNumMorphMeshChannels):
                ch = anim.mMorphMeshChannels[c].contents
                for k in range(ch.mNumKeys):
                    key = ch.mKeys[k]
                    for i in range(key.mNumValuesAndWeights):
                        if key.mWeights[i] > 0.01:
                            moving.add((c, int(key.mValues[i])))
        return {"nodes": nodes, "morph_channels": len(moving)}
    finally:
        _assimp_lib.release(scene_p)


_UFBX_READER = r"""
import json, sys
import ufbx
scene = ufbx.load_file(sys.argv[1])
out = {"nodes": {}, "morph_channels": 0}
for layer in scene.anim_layers:
    for node in scene.nodes:
        for prop in layer.find_anim_props(node):
            if prop.prop_name != "Lcl Rotation":
                continue
            curves = [c for c in prop.anim_value.curves if c is not None]
            if curves:
                out["nodes"][node.name] = (max(len(c.keyframes) for c in curves),
                                           min(c.keyframes[0].time for c in curves if len(c.keyframes)))
    for i in range(len(scene.blend_channels)):
        for prop in layer.find_anim_props(scene.blend_channels[i]):
            if prop.prop_name == "DeformPercent":
                keys = [k.value for c in prop.anim_value.curves if c is not None for k in c.keyframes]
                out["morph_channels"] += int(bool(keys) and max(keys) > 1.0)
print(json.dumps(out), flush=True)
import os
os._exit(0)      # ufbx 0.0.5's cp313 bindings crash (SIGSEGV) in interpreter teardown
"""


def ufbx_animation(path) -> dict:
    """{node name: (n keys on its Lcl Rotation curves, first key time s)} and the number of
    blend (morph) channels animated above 1 %, read with ufbx in a separate process (its
    Python bindings 0.0.5 crash on some element back-references; a crash must not take the
    test session down)."""
    import json
    import subprocess

    proc = subprocess.run([sys.executable, "-c", _UFBX_READER, str(path)], capture_output=True,
                          text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"ufbx could not read {path}: {proc.stderr[-2000:]}")
    got = json.loads(proc.stdout)
    got["nodes"] = {k: tuple(v) for k, v in got["nodes"].items()}
    return got


def bvh_joints(path):
    """(joint names, n frames, frame time) from the PyPI ``bvh`` parser."""
    from bvh import Bvh

    with open(path) as f:
        doc = Bvh(f.read())
    return doc.get_joints_names(), doc.nframes, doc.frame_time


def glb_animation_start(path) -> float:
    """Earliest animation input time (s) in a .glb, read from its JSON accessors."""
    import json
    import struct

    data = open(path, "rb").read()
    (length,) = struct.unpack_from("<I", data, 12)
    doc = json.loads(data[20:20 + length])
    times = [doc["accessors"][s["input"]]["min"][0] for a in doc.get("animations", [])
             for s in a["samplers"]]
    return float(np.min(times)) if times else float("nan")
