"""Mesh geometry for the ARKit -> FLAME registration: closest points on triangles,
similarity alignment, boundary loops, region labels by graph flooding.

Pure numpy/scipy; units are whatever the caller's vertices use (metres here).
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree


def triangulate(faces) -> np.ndarray:
    """Triangles [shape=(T, 3), dtype=int64] from a list of triangles and quads (fans)."""
    tris = []
    for f in faces:
        f = tuple(int(i) for i in f)
        for k in range(1, len(f) - 1):
            tris.append((f[0], f[k], f[k + 1]))
    return np.asarray(tris, dtype=np.int64).reshape(-1, 3)


def face_normals(verts: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Unit normals [shape=(T, 3)] (zero for degenerate triangles)."""
    a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    n = np.cross(b - a, c - a)
    ln = np.linalg.norm(n, axis=1, keepdims=True)
    return n / np.where(ln > 0, ln, 1.0)


def vertex_normals(verts: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals [shape=(V, 3)]."""
    a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    n = np.cross(b - a, c - a)
    out = np.zeros_like(verts, dtype=np.float64)
    for k in range(3):
        np.add.at(out, tris[:, k], n)
    ln = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(ln > 0, ln, 1.0)


def _closest_on_triangles(p, a, b, c):
    """Closest points of p on triangles (a, b, c), all [shape=(n, 3)]; returns (point, bary)."""
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = (ab * ap).sum(1), (ac * ap).sum(1)
    bp = p - b
    d3, d4 = (ab * bp).sum(1), (ac * bp).sum(1)
    cp = p - c
    d5, d6 = (ab * cp).sum(1), (ac * cp).sum(1)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    n = len(p)
    bary = np.zeros((n, 3))
    denom = va + vb + vc
    denom = np.where(np.abs(denom) > 1e-30, denom, 1e-30)
    v, w = vb / denom, vc / denom
    bary[:] = np.stack([1.0 - v - w, v, w], 1)                      # inside
    eps = 1e-30

    def put(mask, b0, b1, b2):
        bary[mask] = np.stack([b0[mask], b1[mask], b2[mask]], 1)

    one, zero = np.ones(n), np.zeros(n)
    # edge regions (order matters: vertex regions are set last and win)
    m = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    t = d1 / np.where(np.abs(d1 - d3) > eps, d1 - d3, eps)
    put(m, 1 - t, t, zero)
    m = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    t = d2 / np.where(np.abs(d2 - d6) > eps, d2 - d6, eps)
    put(m, 1 - t, zero, t)
    m = (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0)
    t = (d4 - d3) / np.where(np.abs((d4 - d3) + (d5 - d6)) > eps, (d4 - d3) + (d5 - d6), eps)
    put(m, zero, 1 - t, t)
    put((d1 <= 0) & (d2 <= 0), one, zero, zero)
    put((d3 >= 0) & (d4 <= d3), zero, one, zero)
    put((d6 >= 0) & (d5 <= d6), zero, zero, one)
    q = bary[:, :1] * a + bary[:, 1:2] * b + bary[:, 2:] * c
    return q, bary


def closest_points(points: np.ndarray, verts: np.ndarray, tris: np.ndarray, *,
                   allowed=None, k: int = 10):
    """Closest point on a triangle mesh for each query point.

    Parameters
    ----------
    points : np.ndarray [shape=(n, 3)]
    verts, tris : the mesh; ``allowed`` : bool [shape=(T,)] or None  triangles to use.
    k : int  candidate triangles per point (nearest centroids).

    Returns
    -------
    tri : int64 [n], bary : [n, 3], q : [n, 3] closest points, dist : [n].
    """
    ids = np.arange(len(tris)) if allowed is None else np.where(allowed)[0]
    t = tris[ids]
    cen = verts[t].mean(1)
    k = int(min(k, len(ids)))
    _, cand = cKDTree(cen).query(points, k=k)
    cand = cand.reshape(len(points), k)
    P = np.repeat(points, k, axis=0)
    ct = t[cand.ravel()]
    q, bary = _closest_on_triangles(P, verts[ct[:, 0]], verts[ct[:, 1]], verts[ct[:, 2]])
    d = np.linalg.norm(q - P, axis=1).reshape(-1, k)
    best = d.argmin(1)
    rows = np.arange(len(points)) * k + best
    return ids[cand[np.arange(len(points)), best]], bary[rows], q[rows], d[np.arange(len(points)), best]


def similarity(src: np.ndarray, dst: np.ndarray):
    """Least-squares similarity (Umeyama): ``dst ~ s * R @ src + t``. Returns (s, R, t)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    U, S, Vt = np.linalg.svd(b.T @ a / len(src))
    D = np.eye(3)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        D[2, 2] = -1.0
    R = U @ D @ Vt
    s = float(np.trace(np.diag(S) @ D) / ((a ** 2).sum() / len(src)))
    return s, R, mu_d - s * R @ mu_s


def kabsch(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Rotation R [3, 3] with ``dst - mean ~ R @ (src - mean)`` (both [n, 3])."""
    a, b = src - src.mean(0), dst - dst.mean(0)
    U, _, Vt = np.linalg.svd(b.T @ a)
    D = np.eye(3)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        D[2, 2] = -1.0
    return U @ D @ Vt


def boundary_loops(tris: np.ndarray) -> list:
    """Closed boundary loops as lists of vertex ids (edges used by one triangle)."""
    e = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    key = np.sort(e, 1)
    uniq, inv, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    border = e[counts[inv.ravel()] == 1]
    nxt = {int(a): int(b) for a, b in border}
    loops, seen = [], set()
    for start in nxt:
        if start in seen:
            continue
        loop, cur = [], start
        while cur not in seen and cur in nxt:
            seen.add(cur)
            loop.append(cur)
            cur = nxt[cur]
        if len(loop) > 2:
            loops.append(loop)
    return loops


def edge_graph(verts: np.ndarray, tris: np.ndarray, keep=None):
    """Sparse symmetric graph of mesh edges weighted by length (only ``keep`` vertices)."""
    e = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    if keep is not None:
        e = e[keep[e[:, 0]] & keep[e[:, 1]]]
    e = np.unique(np.sort(e, 1), axis=0)              # each edge once (csr sums duplicates)
    w = np.linalg.norm(verts[e[:, 0]] - verts[e[:, 1]], axis=1) + 1e-12
    n = len(verts)
    g = coo_matrix((np.concatenate([w, w]), (np.concatenate([e[:, 0], e[:, 1]]),
                                             np.concatenate([e[:, 1], e[:, 0]]))), shape=(n, n))
    return g.tocsr()


def flood_labels(verts, tris, seeds: dict, keep) -> np.ndarray:
    """Label each kept vertex with the nearest seed group along mesh edges.

    seeds : dict int label -> vertex ids; keep : bool [V] region to flood.
    Returns int [V] labels (0 outside the region or unreachable).
    """
    g = edge_graph(verts, tris, keep)
    labels = np.concatenate([[lab] * len(ids) for lab, ids in seeds.items()])
    src = np.concatenate([np.asarray(ids, dtype=np.int64) for ids in seeds.values()])
    dist, _, sources = dijkstra(g, directed=False, indices=src, min_only=True,
                                return_predecessors=True)
    lab_of = dict(zip(src.tolist(), labels.tolist()))
    out = np.zeros(len(verts), dtype=np.int64)
    ok = np.isfinite(dist) & keep & (sources >= 0)
    out[ok] = [lab_of[int(s)] for s in sources[ok]]
    return out


def gaussian_kernel(p: np.ndarray, centres: np.ndarray, sigma: float) -> np.ndarray:
    """exp(-|p - c|^2 / (2 sigma^2)) [shape=(n, m)]."""
    d2 = (p * p).sum(1)[:, None] + (centres * centres).sum(1)[None, :] - 2.0 * (p @ centres.T)
    return np.exp(-0.5 * np.maximum(d2, 0.0) / sigma ** 2)


def farthest_points(points: np.ndarray, n: int, seed_index: int = 0) -> np.ndarray:
    """Indices of ``n`` well-spread points (greedy farthest-point sampling)."""
    n = min(n, len(points))
    chosen = np.empty(n, dtype=np.int64)
    chosen[0] = seed_index
    d = ((points - points[seed_index]) ** 2).sum(1)
    for i in range(1, n):
        chosen[i] = int(d.argmax())
        diff = points - points[chosen[i]]
        np.minimum(d, np.einsum("ij,ij->i", diff, diff), out=d)
    return chosen
