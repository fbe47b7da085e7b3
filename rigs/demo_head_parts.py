"""Part builders of the demo head: mouth cavity, teeth, tongue, brows, ears, neck, spheres.

Pure numpy like ``rigs.demo_head`` (which calls these); units are metres, the face looks
along -Y.
"""
from __future__ import annotations

import numpy as np

from .demo_head_geometry import EYE_Z, HEAD_RADII, MOUTH_Z


def _sphere(center, radii, n_lon, n_lat, axis_forward=True):
    """UV sphere points and quads; poles along -Y (front) and +Y when ``axis_forward``."""
    lat = np.linspace(0.0, np.pi, n_lat + 1)[1:-1]
    lon = np.linspace(0.0, 2 * np.pi, n_lon, endpoint=False)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    if axis_forward:
        pts = np.stack([np.sin(la) * np.cos(lo), -np.cos(la), np.sin(la) * np.sin(lo)], -1)
        poles = np.array([[0, -1.0, 0], [0, 1.0, 0]])
    else:
        pts = np.stack([np.sin(la) * np.cos(lo), np.sin(la) * np.sin(lo), np.cos(la)], -1)
        poles = np.array([[0, 0, 1.0], [0, 0, -1.0]])
    pts = np.concatenate([pts.reshape(-1, 3), poles]) * np.asarray(radii) + np.asarray(center)
    n_ring = len(lat)
    quads = []
    for i in range(n_ring - 1):
        for j in range(n_lon):
            j2 = (j + 1) % n_lon
            quads.append(((i + 1) * n_lon + j, (i + 1) * n_lon + j2, i * n_lon + j2, i * n_lon + j))
    first, last = n_ring * n_lon, n_ring * n_lon + 1
    tris = [(first, j, (j + 1) % n_lon) for j in range(n_lon)]
    tris += [(last, (n_ring - 1) * n_lon + (j + 1) % n_lon, (n_ring - 1) * n_lon + j)
             for j in range(n_lon)]
    return pts, quads, tris, lat


def _add_sphere(m, center, radii, part, n_lon=24, n_lat=16, part_fn=None, flip=False):
    pts, quads, tris, lat = _sphere(center, radii, n_lon, n_lat)
    ids = m.add_verts(pts, part)
    for q in quads + tris:
        f = ids[list(q)]
        f = f[::-1] if flip else f
        fp = part if part_fn is None else part_fn(pts[[i for i in q]].mean(0))
        m.add_face(f, fp)
    return ids


def _add_box(m, corners8, part):
    ids = m.add_verts(corners8, part)
    for f in ((0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)):
        m.add_face(ids[list(f)], part)
    return ids


def _build_mouth(m, P, info):
    """Mouth cavity behind the lip seam, two teeth rows and a tongue."""
    ids, r_m = info["grid_ids"], info["r_m"]
    span, lower_ids = info["mouth_span"], info["lower_ids"]
    up_seam, lo_seam = ids[r_m, span], lower_ids[span]
    seam = P[up_seam]
    # (depth behind the seam, height) profile from the lower lip round to the upper lip
    prof = np.array([[0.0, 0.0], [0.002, -0.004], [0.008, -0.013], [0.030, -0.016],
                     [0.050, -0.008], [0.054, 0.0], [0.050, 0.008], [0.030, 0.013],
                     [0.008, 0.012], [0.002, 0.004], [0.0, 0.0]])
    n = len(span)
    s = np.linspace(0.0, 1.0, n)
    width = np.sin(np.pi * s) ** 0.35
    rings = [None] * n
    sides = []
    for k in range(1, n - 1):
        pts = []
        for (dy, dz) in prof[1:-1]:
            pts.append([seam[k, 0] * (1.0 - 0.25 * dy / 0.054), seam[k, 1] + dy * width[k] + 0.002 * (dy > 0),
                        seam[k, 2] + dz * width[k]])
        new = m.add_verts(pts, "mouth")
        sides.append(np.sign(prof[1:-1, 1]))
        rings[k] = np.concatenate([[lo_seam[k]], new, [up_seam[k]]])
    for k in range(0, n - 1):
        a, b = rings[k], rings[k + 1]
        for j in range(len(prof) - 1):
            if a is None:
                m.add_face((up_seam[0], b[j], b[j + 1]), "mouth")
            elif b is None:
                m.add_face((up_seam[-1], a[j + 1], a[j]), "mouth")
            else:
                m.add_face((b[j], b[j + 1], a[j + 1], a[j]), "mouth")
    info["mouth_sides"] = np.concatenate(sides) if sides else np.zeros(0)
    # teeth: boxes along a parabola behind the lips
    yc = float(np.min(seam[:, 1]))
    info["teeth_upper"], info["teeth_lower"] = [], []
    # upper incisors overlap the lower ones in front (overbite), both inside the cavity
    for row, (z0, z1, dy0) in enumerate(((MOUTH_Z - 0.0025, MOUTH_Z + 0.0070, 0.0065),
                                         (MOUTH_Z - 0.0090, MOUTH_Z - 0.0010, 0.0105))):
        xs = np.linspace(-0.019, 0.019, 10)
        for x in xs:
            t0, t1 = x - 0.0019, x + 0.0019
            def arc(xx, depth):
                return yc + dy0 + 55.0 * xx * xx + depth
            c8 = [[t0, arc(t0, 0.0), z0], [t1, arc(t1, 0.0), z0], [t1, arc(t1, 0.0035), z0],
                  [t0, arc(t0, 0.0035), z0], [t0, arc(t0, 0.0), z1], [t1, arc(t1, 0.0), z1],
                  [t1, arc(t1, 0.0035), z1], [t0, arc(t0, 0.0035), z1]]
            box = _add_box(m, c8, "teeth")
            info["teeth_upper" if row == 0 else "teeth_lower"].extend(box.tolist())
    info["tongue"] = _add_sphere(m, (0.0, yc + 0.026, MOUTH_Z - 0.010), (0.016, 0.022, 0.0055),
                                 "tongue", n_lon=16, n_lat=10).tolist()


def _surface_y(P, skin_ids, x, z):
    """Front skin depth at (x, z): inverse-distance blend of the 3 nearest skin vertices."""
    S = P[skin_ids]
    S = S[S[:, 1] < -0.02]
    d = (S[None, :, 0] - x[:, None]) ** 2 + (S[None, :, 2] - z[:, None]) ** 2
    near = np.argsort(d, axis=1)[:, :3]
    w = 1.0 / (np.take_along_axis(d, near, 1) + 1e-10)
    return (S[near, 1] * w).sum(1) / w.sum(1)


def _build_brows(m, P, skin_ids):
    """Two eyebrow strips lying 0.6-1.2 mm above the skin, thick inside, thin outside."""
    t = np.linspace(0.0, 1.0, 16)
    for sgn in (1.0, -1.0):
        x = sgn * (0.013 + 0.037 * t)
        zc = EYE_Z + 0.0175 + 0.0065 * np.sin(np.pi * np.clip(t * 1.1, 0, 1)) - 0.003 * t
        h = 0.0030 * (1.0 - 0.65 * t) + 0.0007
        rows = []
        for k, lift in ((-1.0, 0.0006), (0.0, 0.0012), (1.0, 0.0006)):
            z = zc + k * h
            rows.append(np.stack([x, _surface_y(P, skin_ids, x, z) - lift, z], 1))
        ids = [m.add_verts(r, "brows") for r in rows]
        for r in range(2):
            for i in range(len(t) - 1):
                f = (ids[r][i], ids[r][i + 1], ids[r + 1][i + 1], ids[r + 1][i])
                m.add_face(f if sgn > 0 else f[::-1], "brows")


def _build_ears_and_neck(m):
    """Rigid parts no shape key moves: two ears and a neck (returns their vertex ids)."""
    rigid = []
    for sgn in (1.0, -1.0):
        pts, quads, tris, _ = _sphere((0.0, 0.0, 0.0), (0.009, 0.019, 0.030), 16, 10)
        tilt = np.radians(12.0)
        y, z = pts[:, 1], pts[:, 2]
        pts = np.stack([pts[:, 0] * (1.0 - 0.5 * (pts[:, 1] < 0)), y * np.cos(tilt) - z * np.sin(tilt),
                        y * np.sin(tilt) + z * np.cos(tilt)], 1)
        pts = pts + np.array([sgn * (HEAD_RADII[0] - 0.002), 0.010, -0.002])
        ids = m.add_verts(pts, "skin")
        for q in quads + tris:
            m.add_face(ids[list(q)], "skin")
        rigid.append(ids)
    n_around, zs = 28, np.array([-0.225, -0.20, -0.175, -0.155, -0.14, -0.125, -0.105, -0.07])
    ang = np.linspace(0.0, 2 * np.pi, n_around, endpoint=False)
    ring = np.stack([0.054 * np.sin(ang), 0.020 - 0.050 * np.cos(ang)], 1)
    # full width below the jaw, thinner inside the head so jaw motion never uncovers it
    scale = lambda z: 1.0 + 0.08 * (z < -0.2) - 0.24 * np.clip((z + 0.145) / 0.04, 0, 1)  # noqa: E731
    pts = np.concatenate([np.column_stack([ring * scale(z), np.full(n_around, z)]) for z in zs])
    ids = m.add_verts(pts, "skin").reshape(len(zs), n_around)
    for r in range(len(zs) - 1):
        for c in range(n_around):
            c2 = (c + 1) % n_around
            m.add_face((ids[r, c], ids[r, c2], ids[r + 1, c2], ids[r + 1, c]), "skin")
    rigid.append(ids.ravel())
    return np.concatenate(rigid)
