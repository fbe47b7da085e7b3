"""A procedurally generated demo head with all 52 ARKit shape keys (pure numpy).

The head is what a user sees first and what the bench measures lip-sync on, so the
geometry is deterministic and the lip aperture is measured from the mesh itself:
the mouth is a seam in the skin grid whose upper and lower vertex copies coincide at
rest (closed lips) and separate only where a shape key opens the lips.

Coordinates: metres, Z up, the face looks along -Y (Blender's front view), the
subject's left is +X. Shape keys live in ``rigs/demo_head_keys.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .arkit import ARKIT_INDEX, ARKIT_NAMES
from .demo_head_geometry import (EYE_HALF_WIDTH, EYE_RADIUS, EYE_X, EYE_Z, HEAD_RADII,  # noqa: F401
                                 JAW_HINGE, LID_RADIUS, MOUTH_HALF_WIDTH, MOUTH_Z, PART_INDEX,
                                 PART_NAMES, _rot_yz, _smoothstep)



@dataclass(frozen=True)
class DemoHead:
    """The demo head: one mesh, parts as material slots, 52 ARKit shape keys.

    Attributes
    ----------
    vertices : np.ndarray [shape=(V, 3), dtype=float32]
        Rest positions in metres (Z up, face towards -Y).
    faces : list of tuple of int
        Triangles and quads, counter-clockwise seen from outside.
    face_parts : np.ndarray [shape=(F,), dtype=int32]
        Index into ``part_names`` per face (the material slot).
    vertex_parts : np.ndarray [shape=(V,), dtype=int32]
        Index into ``part_names`` per vertex.
    part_names : tuple of str
    shape_keys : dict of str -> np.ndarray [shape=(V, 3), dtype=float32]
        ARKit name -> vertex offsets in metres, in ``ARKIT_NAMES`` order.
    inner_lip_upper, inner_lip_lower : np.ndarray [shape=(P,), dtype=int64]
        Paired vertex ids along the inner lip line, from the subject's right corner to
        the left one (corners excluded). At rest each pair coincides.
    landmarks : dict of str -> np.ndarray [shape=(3,)]
    bone_weights : dict of str -> np.ndarray [shape=(V,), dtype=float32]
        Skin weights per bone of the demo rig (``DEMO_BONES``): ``head`` holds the skull,
        face, ears and the top of the neck, ``neck`` the lower neck (blended over the
        tube), ``eye.L``/``eye.R`` the eyeballs (left = subject's left, +X). The weights
        of every vertex sum to 1.
    """

    vertices: np.ndarray
    faces: list
    face_parts: np.ndarray
    vertex_parts: np.ndarray
    part_names: tuple
    shape_keys: dict
    inner_lip_upper: np.ndarray
    inner_lip_lower: np.ndarray
    landmarks: dict = field(default_factory=dict)
    bone_weights: dict = field(default_factory=dict)


# The demo rig: name -> (head, tail, parent), metres, same frame as the mesh. The head
# bone pivots at the top of the neck; eye bones sit at the eyeball centres and point
# forward (-Y). Positions of the eye bones are filled in from the built geometry.
DEMO_BONES = {
    "root": ((0.0, 0.020, -0.300), (0.0, 0.020, -0.225), None),
    "neck": ((0.0, 0.020, -0.225), (0.0, 0.010, -0.100), "root"),
    "head": ((0.0, 0.010, -0.100), (0.0, 0.010, 0.120), "neck"),
    "eye.L": (None, None, "head"),
    "eye.R": (None, None, "head"),
}
EYE_BONE_LENGTH = 0.025


def demo_bones(head: "DemoHead") -> dict:
    """``DEMO_BONES`` with the eye bones placed at ``head``'s eyeball centres."""
    bones = dict(DEMO_BONES)
    for name, mark in (("eye.L", "eye_left"), ("eye.R", "eye_right")):
        c = np.asarray(head.landmarks[mark], dtype=np.float64)
        bones[name] = (tuple(c), tuple(c + (0.0, -EYE_BONE_LENGTH, 0.0)), "head")
    return bones


def _bone_weights(V, eyes, rigid) -> dict:
    """Skin weights (see ``DemoHead.bone_weights``): the neck tube blends from the neck
    bone (bottom) to the head bone (top), eyeballs follow their eye bones."""
    n = len(V)
    neck_ids = rigid[V[rigid, 2] < -0.06]          # the neck tube; ears sit near z = 0
    head_w = np.ones(n)
    head_w[neck_ids] = _smoothstep((V[neck_ids, 2] + 0.20) / 0.09)
    w = {"head": head_w, "neck": 1.0 - head_w, "eye.L": np.zeros(n), "eye.R": np.zeros(n)}
    for name, ids in (("eye.L", eyes[0]), ("eye.R", eyes[1])):
        w[name][ids] = 1.0
        w["head"][ids] = 0.0
    return {k: v.astype(np.float32) for k, v in w.items()}


class _Mesh:
    """Grows vertices and faces part by part; remembers per-vertex annotations."""

    def __init__(self):
        self.verts, self.vparts, self.faces, self.fparts = [], [], [], []
        self.n = 0

    def add_verts(self, pts, part) -> np.ndarray:
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 3)
        ids = np.arange(self.n, self.n + len(pts))
        self.verts.append(pts)
        self.vparts.append(np.full(len(pts), PART_INDEX[part], dtype=np.int32))
        self.n += len(pts)
        return ids

    def add_face(self, ids, part):
        self.faces.append(tuple(int(i) for i in ids))
        self.fparts.append(PART_INDEX[part])


def _samples(lo, hi, dense_lo, dense_hi, dense_step, coarse_step):
    """Sorted samples in [lo, hi], denser inside [dense_lo, dense_hi]."""
    a = np.arange(lo, dense_lo, coarse_step)
    b = np.arange(dense_lo, dense_hi, dense_step)
    c = np.arange(dense_hi, hi + 1e-9, coarse_step)
    return np.concatenate([a, b, c])


def _snap(samples, value):
    """Replace the sample nearest to ``value`` by it; return its index."""
    i = int(np.argmin(np.abs(samples - value)))
    samples[i] = value
    return i


def _gauss(p, cx, cz, sx, sz, sy=None, cy=None):
    g = np.exp(-0.5 * (((p[:, 0] - cx) / sx) ** 2 + ((p[:, 2] - cz) / sz) ** 2))
    if sy is not None:
        g = g * np.exp(-0.5 * ((p[:, 1] - cy) / sy) ** 2)
    return g


LIP_ROWS = 4                                 # grid rows in each lip, seam to outline


def _lip_outline_rows(uu, vv, r_m):
    """Bend the rows next to the mouth seam so the lip outlines run along grid rows.

    Row ``r_m + j`` (``j = 1..LIP_ROWS``) is moved to ``j / LIP_ROWS`` of the upper lip's
    height at that column (lower lip likewise), blending back to the plain grid beyond
    the mouth corners. The lips' material then follows smooth curves, not stair steps.
    """
    a, _, c = HEAD_RADII
    x = a * np.sin(uu[r_m]) * np.cos(vv[r_m])
    q = np.clip(1.0 - (x / 0.0258) ** 2, 0.0, 1.0)
    h_up = 0.0074 * q ** 0.6 + 0.0010 - 0.0007 * np.exp(-0.5 * (x / 0.0025) ** 2)
    h_lo = 0.0090 * q ** 0.5 + 0.0010
    blend = _smoothstep((np.abs(x) - 0.0255) / 0.010)
    vv = vv.copy()
    for j in range(1, LIP_ROWS + 1):
        for row, h in ((r_m + j, h_up), (r_m - j, -h_lo)):
            z = MOUTH_Z + h * j / LIP_ROWS
            vv[row] = (1.0 - blend) * np.arcsin(z / c) + blend * vv[row]
    return vv


def _skin_surface(uu, vv):
    """Skin grid positions [shape of uu, 3] before the eye and mouth openings."""
    a, b, c = HEAD_RADII
    x = a * np.sin(uu) * np.cos(vv)
    y = -b * np.cos(uu) * np.cos(vv)
    z = c * np.sin(vv)
    p = np.stack([x, y, z], axis=-1).reshape(-1, 3)
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    front = np.clip(-y / b, 0.0, 1.0)
    # Lower face: narrow the jaw towards the chin, pull the back of the lower head in (neck).
    low = _smoothstep((0.0 - z) / 0.10)
    x *= 1.0 - 0.24 * low * front ** 0.5 - 0.04 * low
    y += 0.035 * low * (1.0 - front) ** 2 * (y > 0)
    # Rounder cranium: wider at the temples, lower crown.
    x *= 1.0 + 0.07 * np.exp(-0.5 * ((z - 0.05) / 0.04) ** 2)
    z = np.where(z > 0.07, 0.07 + (z - 0.07) * 0.85, z)
    # Flatten the face plane a little and push the cheeks/temples out.
    y += 0.010 * front ** 3
    # Features: forward (-y) displacements on the front of the face.
    dy = np.zeros_like(y)
    brow = _gauss(p, 0.0, 0.030, 0.045, 0.008) * 0.006
    brow += _gauss(p, 0.0, 0.040, 0.030, 0.020) * 0.004                 # forehead
    nz = np.clip((0.012 - z) / 0.045, 0.0, 1.0)                         # 0 at root, 1 at tip
    nose_h = 0.004 + 0.020 * nz ** 1.4
    nose_w = 0.0065 + 0.006 * nz ** 2
    nose = nose_h * np.exp(-0.5 * (x / nose_w) ** 2) * _smoothstep((z + 0.038) / 0.006)
    nose *= _smoothstep((0.022 - z) / 0.012)
    wings = (_gauss(p, 0.012, -0.030, 0.005, 0.005) + _gauss(p, -0.012, -0.030, 0.005, 0.005))
    nose += 0.008 * wings
    lips = 0.0060 * _gauss(p, 0.0, MOUTH_Z + 0.0050, 0.017, 0.0035)     # upper vermilion
    lips += 0.0065 * _gauss(p, 0.0, MOUTH_Z - 0.0055, 0.016, 0.0040)    # lower vermilion
    lips += 0.0060 * _gauss(p, 0.0, MOUTH_Z + 0.012, 0.020, 0.008)      # upper lip body
    lips -= 0.0030 * (_gauss(p, 0.026, MOUTH_Z, 0.004, 0.004) + _gauss(p, -0.026, MOUTH_Z, 0.004, 0.004))
    chin = 0.010 * _gauss(p, 0.0, -0.095, 0.016, 0.011)
    chin -= 0.004 * _gauss(p, 0.0, -0.078, 0.020, 0.004)                 # mentolabial fold
    cheeks = 0.006 * (_gauss(p, 0.045, -0.012, 0.012, 0.014) + _gauss(p, -0.045, -0.012, 0.012, 0.014))
    socket = -0.007 * (_gauss(p, EYE_X, EYE_Z, 0.013, 0.011) + _gauss(p, -EYE_X, EYE_Z, 0.013, 0.011))
    dy = (brow + nose + lips + chin + cheeks + socket) * front ** 2
    y -= dy
    return np.stack([x, y, z], axis=-1).reshape(*uu.shape, 3)


def _build_skin(m: _Mesh, info: dict):
    u = _samples(-np.pi, np.pi - 1e-9, -1.05, 1.05, 0.028, 0.13)
    v = _samples(-1.45, 1.45, -1.05, 0.55, 0.022, 0.11)
    r_m = _snap(v, np.arcsin(MOUTH_Z / HEAD_RADII[2]))
    r_e = _snap(v, np.arcsin(EYE_Z / HEAD_RADII[2]))
    uu, vv = np.meshgrid(u, v)
    grid = _skin_surface(uu, _lip_outline_rows(uu, vv, r_m))
    nv, nu = grid.shape[:2]
    ids = m.add_verts(grid.reshape(-1, 3), "skin").reshape(nv, nu)
    side = np.sign(np.arange(nv) - r_m)[:, None].repeat(nu, 1).astype(np.float64)
    eye_side = np.sign(np.arange(nv) - r_e)[:, None].repeat(nu, 1).astype(np.float64)
    # Mouth seam: duplicate interior seam vertices; faces below use the lower copies.
    xm = grid[r_m, :, 0]
    span = np.where((np.abs(xm) <= MOUTH_HALF_WIDTH) & (grid[r_m, :, 1] < 0))[0]
    inner = span[1:-1]
    lower_ids = ids[r_m].copy()
    lower_ids[inner] = m.add_verts(grid[r_m, inner], "lips")
    side_extra = [np.full(len(inner), -1.0)]
    eye_extra = [np.zeros(len(inner))]
    # Eye openings: same trick on the eye row, then the lids are opened apart.
    eye_lower = ids[r_e].copy()
    eye_spans = []
    for sgn in (1.0, -1.0):
        xe = grid[r_e, :, 0] * sgn
        sp = np.where((np.abs(xe - EYE_X) <= EYE_HALF_WIDTH) & (grid[r_e, :, 1] < 0))[0]
        eye_lower[sp[1:-1]] = m.add_verts(grid[r_e, sp[1:-1]], "skin")
        side_extra.append(np.zeros(len(sp) - 2))
        eye_extra.append(np.full(len(sp) - 2, -1.0))
        eye_spans.append(sp)
    for r in range(nv - 1):
        for c in range(nu):
            c2 = (c + 1) % nu
            top = lower_ids if r + 1 == r_m else (eye_lower if r + 1 == r_e else ids[r + 1])
            a, b, cc, d = ids[r, c], ids[r, c2], top[c2], top[c]
            lip = span[0] <= c < span[-1] and r_m - LIP_ROWS <= r < r_m + LIP_ROWS
            m.add_face((a, b, cc, d), "lips" if lip else "skin")
    bottom = m.add_verts([[0.0, 0.035, -HEAD_RADII[2] * 0.97]], "skin")[0]
    top = m.add_verts([[0.0, 0.0, 0.07 + (HEAD_RADII[2] - 0.07) * 0.85]], "skin")[0]
    for c in range(nu):
        c2 = (c + 1) % nu
        m.add_face((bottom, ids[0, c2], ids[0, c]), "skin")
        m.add_face((top, ids[-1, c], ids[-1, c2]), "skin")
    side_all = np.concatenate([side.ravel()] + side_extra + [np.zeros(2)])
    eye_all = np.concatenate([eye_side.ravel()] + eye_extra + [np.zeros(2)])
    side_all[ids[r_m, inner]] = 1.0
    for sp in eye_spans:
        eye_all[ids[r_e, sp[1:-1]]] = 1.0
    side_all[ids[r_m, span[[0, -1]]]] = 0.0
    info.update(grid_ids=ids, r_m=r_m, r_e=r_e, mouth_span=span, mouth_inner=inner,
                lower_ids=lower_ids, eye_lower=eye_lower, eye_spans=eye_spans,
                skin_side=side_all, skin_eye_side=eye_all)


def _open_eyes_and_wrap(P, info, eye_side):
    """Open the eye slits into almonds and wrap the lids onto spheres around the eyeballs."""
    for sgn, sp in zip((1.0, -1.0), info["eye_spans"]):
        c = info["eye_centers"][0 if sgn > 0 else 1]
        x0, x1 = sorted(P[info["grid_ids"][info["r_e"], sp[[0, -1]]], 0] * sgn)
        s = np.clip((P[:, 0] * sgn - x0) / (x1 - x0), 0.0, 1.0)
        # almond: higher upper lid towards the inner side
        h_up = 0.0060 * np.sin(np.pi * s) ** 0.7 * (1.0 + 0.15 * np.cos(np.pi * s))
        h_lo = 0.0042 * np.sin(np.pi * s) ** 0.9
        dz = P[:, 2] - EYE_Z
        near = np.exp(-0.5 * ((P[:, 0] * sgn - EYE_X) / 0.02) ** 2) * (P[:, 1] < c[1])
        up = (eye_side > 0) | ((eye_side == 0) & (dz > 1e-6))
        lo = (eye_side < 0) | ((eye_side == 0) & (dz < -1e-6))
        P[:, 2] += near * (up * h_up * np.exp(-np.maximum(dz, 0) / 0.014)
                           - lo * h_lo * np.exp(-np.maximum(-dz, 0) / 0.012))
        d = P - c
        r = np.linalg.norm(d, axis=1)
        proj = c + d / np.maximum(r, 1e-9)[:, None] * LID_RADIUS
        w = np.exp(-0.5 * (np.maximum(r - LID_RADIUS, 0.0) / 0.0045) ** 2) * near
        w *= (d[:, 1] < 0.004)
        P += (proj - P) * w[:, None]


def build_demo_head() -> DemoHead:
    """Build the demo head with its 52 ARKit shape keys (deterministic, about 0.3 s)."""
    from .demo_head_keys import build_shape_keys
    from .demo_head_parts import _add_sphere, _build_brows, _build_ears_and_neck, _build_mouth

    m, info = _Mesh(), {}
    _build_skin(m, info)
    P = np.concatenate(m.verts)
    n_skin = len(P)
    # eyeball centres sit behind the skin surface at the eye point
    ids, r_e = info["grid_ids"], info["r_e"]
    centers = []
    for sgn in (1.0, -1.0):
        row = P[ids[r_e]]
        k = int(np.argmin(np.abs(row[:, 0] - sgn * EYE_X) + 10.0 * (row[:, 1] > 0)))
        centers.append(np.array([sgn * EYE_X, row[k, 1] + EYE_RADIUS * 0.80, EYE_Z]))
    info["eye_centers"] = centers
    _open_eyes_and_wrap(P, info, info["skin_eye_side"])
    m.verts = [P]
    _build_mouth(m, P, info)
    _build_brows(m, P, np.arange(n_skin))
    info["rigid"] = _build_ears_and_neck(m)
    eyes = []
    for c in centers:
        def part_of(pt, c=c):
            d = (pt - c) / EYE_RADIUS
            return "pupil" if -d[1] > 0.975 else ("iris" if -d[1] > 0.875 else "eye_white")
        eyes.append(_add_sphere(m, c, (EYE_RADIUS,) * 3, "eye_white", 24, 18, part_fn=part_of))
    info["eyes"] = eyes
    V = np.concatenate([np.asarray(v, dtype=np.float64).reshape(-1, 3) for v in m.verts])
    vparts = np.concatenate(m.vparts)
    fparts = np.asarray(m.fparts, dtype=np.int32)
    for i, f in enumerate(m.faces):
        if fparts[i] in (PART_INDEX["iris"], PART_INDEX["pupil"]):
            vparts[list(f)] = fparts[i]
    side = np.sign(V[:, 2] - MOUTH_Z)             # brows, eyes, ears: by height
    side[:n_skin] = info["skin_side"]
    mouth_ids = np.where(vparts == PART_INDEX["mouth"])[0]
    side[mouth_ids] = info["mouth_sides"]
    side[info["teeth_upper"]] = 1.0
    side[info["teeth_lower"]] = -1.0
    side[info["tongue"]] = -1.0
    eye_side = np.zeros(len(V))
    eye_side[:n_skin] = info["skin_eye_side"]
    info.update(side=side, eye_side=eye_side, vertex_parts=vparts, n_skin=n_skin)
    up = info["grid_ids"][info["r_m"], info["mouth_inner"]]
    lo = info["lower_ids"][info["mouth_inner"]]
    keys = build_shape_keys(V, info)
    landmarks = {"eye_left": centers[0], "eye_right": centers[1],
                 "jaw_hinge": np.array([0.0, *JAW_HINGE]),
                 "mouth_center": V[up].mean(0)}
    return DemoHead(vertices=V.astype(np.float32), faces=m.faces, face_parts=fparts,
                    vertex_parts=vparts, part_names=PART_NAMES,
                    shape_keys={n: _clean(keys[n]) for n in ARKIT_NAMES},
                    inner_lip_upper=np.asarray(up, dtype=np.int64),
                    inner_lip_lower=np.asarray(lo, dtype=np.int64), landmarks=landmarks,
                    bone_weights=_bone_weights(V, info["eyes"], info["rigid"]))


def _clean(delta: np.ndarray) -> np.ndarray:
    """float32 offsets with rounding noise (< 1 nm) set to exact zeros."""
    return np.where(np.abs(delta) < 1e-9, 0.0, delta).astype(np.float32)


def _as_weights(weights) -> np.ndarray:
    if isinstance(weights, dict):
        unknown = set(weights) - set(ARKIT_NAMES)
        if unknown:
            raise KeyError(f"unknown ARKit names: {sorted(unknown)}")
        w = np.zeros((1, len(ARKIT_NAMES)))
        for k, val in weights.items():
            w[0, ARKIT_INDEX[k]] = float(val)
        return w
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim not in (1, 2) or w.shape[-1] != len(ARKIT_NAMES):
        raise ValueError(f"weights must have shape (52,) or (n, 52), got {w.shape}")
    return w.reshape(-1, len(ARKIT_NAMES))


def lip_aperture(head: DemoHead, weights) -> "float | np.ndarray":
    """Opening between the lips in metres, measured on the deformed mesh.

    The largest vertical gap ``z_upper - z_lower`` (clipped at 0) over the paired
    inner-lip vertices, with every shape key applied linearly as Blender does.

    Parameters
    ----------
    head : DemoHead
    weights : dict of str -> float, or np.ndarray [shape=(52,) or (n_frames, 52)]
        ARKit weights (Apple order for arrays).

    Returns
    -------
    float for a dict or a (52,) array, else np.ndarray [shape=(n_frames,)], metres.
    """
    w = _as_weights(weights)
    up, lo = head.inner_lip_upper, head.inner_lip_lower
    dz_up = np.stack([head.shape_keys[n][up, 2] for n in ARKIT_NAMES])   # [52, P]
    dz_lo = np.stack([head.shape_keys[n][lo, 2] for n in ARKIT_NAMES])
    z_up = head.vertices[up, 2][None, :] + w @ dz_up
    z_lo = head.vertices[lo, 2][None, :] + w @ dz_lo
    gap = np.clip(z_up - z_lo, 0.0, None).max(axis=1)
    if isinstance(weights, dict) or np.ndim(weights) == 1:
        return float(gap[0])
    return gap
