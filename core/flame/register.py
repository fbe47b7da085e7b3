"""Register an ARKit head (the demo head by default) onto a FLAME model's template.

Steps: (1) similarity alignment from landmarks (eye centres, nose tip, mouth corners,
mouth centre); (2) non-rigid registration: a smooth displacement field (Gaussian radial
basis functions on control points spread over the source, coarse to fine) fitted to
closest-point pairs in both directions plus the landmarks, iterated like ICP; pairs are
only made between the same lip (upper/lower) and the same lid, so a closed mouth cannot
swap lips; (3) dense correspondence: every FLAME vertex gets the closest point on the
registered source surface as (triangle, barycentric coordinates).

Frames: the source in its own frame with ``to_flame`` the rotation from its axes to
FLAME's (Y up, face +Z, subject's left +X). Units: metres.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix, diags, identity
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

from ..errors import FlameModelError
from .geometry import (boundary_loops, closest_points, face_normals, flood_labels,
                       similarity, triangulate,
                       vertex_normals)
from .model import FlameModel

UPPER_LIP, LOWER_LIP, UPPER_LID, LOWER_LID = 1, 2, 3, 4
_OPPOSITE = {UPPER_LIP: LOWER_LIP, LOWER_LIP: UPPER_LIP, UPPER_LID: LOWER_LID, LOWER_LID: UPPER_LID}
LANDMARKS = ("eye_left", "eye_right", "nose_tip", "mouth_left", "mouth_right", "mouth_center")
#: Z-up, face -Y (Blender, the demo head) -> FLAME's Y-up, face +Z.
BLENDER_TO_FLAME = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
# coarse-to-fine schedule: (kernel sigma m, ridge, iterations)
# stiffness schedule of the non-rigid stage: (weight of |L u|^2 per pair, iterations)
_SCHEDULE = ((300.0, 2), (100.0, 2), (30.0, 3), (10.0, 3))


@dataclass(frozen=True)
class SourceHead:
    """An ARKit head to transfer from.

    vertices : [V, 3] rest positions (its own frame); tris : [T, 3] triangles;
    surface : bool [T]  triangles of the skin that may be matched (no eyeballs, teeth...);
    deltas : dict ARKit name -> [V, 3] offsets; labels : int [V] lip/lid labels
    (``UPPER_LIP`` ...); eyes : (left ids, right ids) eyeball vertices; landmarks :
    dict of ``LANDMARKS`` -> [3]; to_flame : [3, 3] rotation into FLAME axes; name : str.
    """

    vertices: np.ndarray
    tris: np.ndarray
    surface: np.ndarray
    deltas: dict
    labels: np.ndarray
    eyes: tuple
    landmarks: dict
    to_flame: np.ndarray = field(default_factory=lambda: BLENDER_TO_FLAME.copy())
    name: str = "source"


def source_head(vertices, faces, deltas: dict, landmarks: dict, *, upper_lip, lower_lip,
                eyes=((), ()), surface=None, to_flame=BLENDER_TO_FLAME,
                lip_margin: float = 0.2, name: str = "user_head") -> SourceHead:
    """A user's ARKit head as a :class:`SourceHead`.

    Parameters
    ----------
    vertices : [V, 3] rest positions (any unit consistent with the FLAME model's metres,
        any placement); faces : triangles/quads; deltas : ARKit name -> [V, 3] offsets.
    landmarks : dict with ``LANDMARKS`` -> [3] points in the same frame (eye centres,
        nose tip, mouth corners, mouth centre).
    upper_lip, lower_lip : vertex ids along the inner edge of each lip (seeds of the lip
        labels); eyes : (left, right) eyeball vertex ids (rotated rigidly by eye looks).
    surface : bool [n_triangles] or None  triangles that may be matched (default all but
        the eyeballs).
    to_flame : [3, 3] rotation from the head's axes to FLAME's (default: Blender's Z up,
        face -Y).
    lip_margin : float  share of the mouth half-width kept unlabelled at each corner,
        where the lips join.
    """
    V = np.asarray(vertices, dtype=np.float64)
    tris = triangulate(faces)
    eyes = tuple(np.asarray(e, dtype=np.int64) for e in eyes)
    if surface is None:
        ball = np.zeros(len(V), dtype=bool)
        for e in eyes:
            ball[e] = True
        surface = ~ball[tris].any(1)
    surface = np.asarray(surface, dtype=bool)
    missing = [k for k in LANDMARKS if k not in landmarks]
    if missing:
        raise FlameModelError(f"the ARKit head needs the landmarks {', '.join(missing)}")
    R = np.asarray(to_flame, dtype=np.float64)
    P = V @ R.T                                            # FLAME axes: x, up, forward
    lm = {k: np.asarray(landmarks[k], np.float64) @ R.T for k in LANDMARKS}
    keep = np.zeros(len(V), dtype=bool)
    keep[np.unique(tris[surface])] = True
    hw = 0.5 * np.linalg.norm(lm["mouth_left"] - lm["mouth_right"])
    c = lm["mouth_center"]
    mouth = (keep & (np.abs(P[:, 0] - c[0]) < hw * (1.0 - lip_margin))
             & (np.abs(P[:, 1] - c[1]) < 0.7 * hw) & (P[:, 2] > c[2] - hw))
    labels = np.zeros(len(V), dtype=np.int64)
    lab = flood_labels(V, tris[surface], {UPPER_LIP: np.asarray(upper_lip, np.int64),
                                          LOWER_LIP: np.asarray(lower_lip, np.int64)}, mouth)
    labels[mouth] = lab[mouth]
    for mark in ("eye_left", "eye_right"):
        e = lm[mark]
        lid = (keep & (np.abs(P[:, 0] - e[0]) < 0.8 * hw) & (np.abs(P[:, 1] - e[1]) < 0.64 * hw)
               & (P[:, 2] > e[2]))
        labels[lid] = np.where(P[lid, 1] > e[1], UPPER_LID, LOWER_LID)
    return SourceHead(vertices=V, tris=tris, surface=surface,
                      deltas={k: np.asarray(v, np.float64) for k, v in deltas.items()},
                      labels=labels, eyes=eyes,
                      landmarks={k: np.asarray(landmarks[k], np.float64) for k in LANDMARKS},
                      to_flame=R, name=name)


def demo_source() -> SourceHead:
    """The demo head (``rigs.demo_head``) as a :class:`SourceHead`."""
    from ...rigs.demo_head import EYE_Z, MOUTH_Z, PART_INDEX, build_demo_head

    head = build_demo_head()
    V = head.vertices.astype(np.float64)
    tris = triangulate(head.faces)
    tparts = np.repeat(head.face_parts, [len(f) - 2 for f in head.faces])
    surface = np.isin(tparts, [PART_INDEX["skin"], PART_INDEX["lips"]])
    keep = np.zeros(len(V), dtype=bool)
    keep[np.unique(tris[surface])] = True
    labels = np.zeros(len(V), dtype=np.int64)
    corner_x = np.abs(V[head.inner_lip_upper, 0]).max()
    mouth = keep & (np.abs(V[:, 0]) <= corner_x) & (np.abs(V[:, 2] - MOUTH_Z) < 0.018) & (V[:, 1] < -0.03)
    lab = flood_labels(V, tris[surface], {UPPER_LIP: head.inner_lip_upper,
                                          LOWER_LIP: head.inner_lip_lower}, mouth)
    labels[mouth] = lab[mouth]
    eyes = []
    for sgn, mark in ((1.0, "eye_left"), (-1.0, "eye_right")):
        c = head.landmarks[mark]
        lid = (keep & (np.abs(V[:, 0] - c[0]) < 0.02) & (np.abs(V[:, 2] - EYE_Z) < 0.016)
               & (V[:, 1] < c[1]))
        labels[lid] = np.where(V[lid, 2] > EYE_Z, UPPER_LID, LOWER_LID)
        ball = np.isin(head.vertex_parts, [PART_INDEX[p] for p in ("eye_white", "iris", "pupil")])
        eyes.append(np.where(ball & (np.sign(V[:, 0]) == sgn))[0])
    seam = V[head.inner_lip_upper]
    front = keep & (np.abs(V[:, 0]) < 0.004) & (V[:, 2] > MOUTH_Z) & (V[:, 2] < 0.0)
    marks = {"eye_left": head.landmarks["eye_left"], "eye_right": head.landmarks["eye_right"],
             "nose_tip": V[np.where(front)[0][np.argmin(V[front, 1])]],
             "mouth_left": _corner(V, keep, seam, MOUTH_Z, 1.0),
             "mouth_right": _corner(V, keep, seam, MOUTH_Z, -1.0),
             "mouth_center": seam.mean(0)}
    return SourceHead(vertices=V, tris=tris, surface=surface,
                      deltas={k: v.astype(np.float64) for k, v in head.shape_keys.items()},
                      labels=labels, eyes=tuple(eyes),
                      landmarks={k: np.asarray(v, np.float64) for k, v in marks.items()},
                      name="demo_head")


def _corner(V, keep, seam, mouth_z, sgn):
    """The seam's end vertex on one side (the lip corner)."""
    cand = np.where(keep & (np.abs(V[:, 2] - mouth_z) < 1e-6) & (V[:, 1] < seam[:, 1].max() + 0.004))[0]
    x = V[cand, 0] * sgn
    inside = cand[x <= np.abs(seam[:, 0]).max() + 0.004]
    return V[inside[np.argmax(V[inside, 0] * sgn)]]


@dataclass(frozen=True)
class FlameRegions:
    """Landmarks, labels and masks on a FLAME-layout template (FLAME frame)."""

    landmarks: dict
    labels: np.ndarray                 # int [V]
    eyeball: np.ndarray                # bool [V] vertices skinned to the eye joints
    surface: np.ndarray                # bool [F] triangles that are not eyeball
    lip_pairs: np.ndarray              # int [P, 2] (upper, lower) mouth-loop vertices by x


def flame_regions(model: FlameModel) -> FlameRegions:
    """Find eye centres, nose tip, mouth corners/centre and the lip/lid labels."""
    v, f = model.v_template, model.faces
    eyeball = model.weights[:, 3:5].sum(1) > 0.5
    surface = ~eyeball[f].any(1)
    J = model.joints()
    loops = [lp for lp in boundary_loops(f[surface]) if 8 <= len(lp) <= 200]
    if not loops:
        raise FlameModelError(f"{model.path}: no mouth opening found in the template; "
                              "is this a FLAME-topology model?")
    loop = np.asarray(max(loops, key=lambda lp: v[lp, 2].mean()))    # front-most: the mouth
    L = v[loop]
    i_l, i_r = int(np.argmax(L[:, 0])), int(np.argmin(L[:, 0]))
    a, b = sorted((i_l, i_r))
    chain1, chain2 = loop[a:b + 1], np.concatenate([loop[b:], loop[:a + 1]])
    upper, lower = (chain1, chain2) if v[chain1, 1].mean() > v[chain2, 1].mean() else (chain2, chain1)
    upper, lower = upper[1:-1], lower[1:-1]
    centre = 0.5 * (L[i_l] + L[i_r])
    face_v = ~eyeball & (v[:, 2] > J[2, 2])
    # away from the corners only: there the two lips join (the commissure web)
    margin = 0.2 * 0.5 * (L[i_l, 0] - L[i_r, 0])
    near = face_v & (v[:, 0] < L[i_l, 0] - margin) & (v[:, 0] > L[i_r, 0] + margin) & \
        (np.abs(v[:, 1] - centre[1]) < 0.02)
    labels = np.zeros(len(v), dtype=np.int64)
    lab = flood_labels(v, f[surface], {UPPER_LIP: upper, LOWER_LIP: lower}, near)
    labels[near] = lab[near]
    for j in (3, 4):
        lid = face_v & (np.abs(v[:, 0] - J[j, 0]) < 0.02) & (np.abs(v[:, 1] - J[j, 1]) < 0.016) \
            & (v[:, 2] > J[j, 2])
        labels[lid] = np.where(v[lid, 1] > J[j, 1], UPPER_LID, LOWER_LID)
    nose = face_v & (np.abs(v[:, 0]) < 0.004)
    nose_tip = v[np.where(nose)[0][np.argmax(v[nose, 2])]]
    xs_u, xs_l = v[upper, 0], v[lower, 0]
    pairs = np.array([[u, lower[np.argmin(np.abs(xs_l - x))]] for u, x in zip(upper, xs_u)])
    marks = {"eye_left": J[3], "eye_right": J[4], "nose_tip": nose_tip, "mouth_left": L[i_l],
             "mouth_right": L[i_r], "mouth_center": centre}
    return FlameRegions(landmarks=marks, labels=labels, eyeball=eyeball, surface=surface,
                        lip_pairs=pairs)


def _allowed(tri_labels: np.ndarray, label: int) -> np.ndarray:
    return tri_labels != _OPPOSITE.get(label, -1)


def _match(points, p_labels, verts, tris, t_labels, allowed_base):
    """Closest points honouring labels: a point never lands on the opposite lip/lid."""
    n = len(points)
    tri, bary, q, d = (np.zeros(n, np.int64), np.zeros((n, 3)), np.zeros((n, 3)), np.zeros(n))
    for lab in np.unique(p_labels):
        m = p_labels == lab
        allowed = allowed_base & _allowed(t_labels, int(lab))
        tri[m], bary[m], q[m], d[m] = closest_points(points[m], verts, tris, allowed=allowed)
    return tri, bary, q, d


def _tri_labels(labels, tris):
    """A triangle's label: the label its vertices share most (0 if none)."""
    tl = labels[tris]
    out = np.zeros(len(tris), dtype=np.int64)
    for lab in (UPPER_LIP, LOWER_LIP, UPPER_LID, LOWER_LID):
        out[(tl == lab).sum(1) >= 2] = lab
    return out


def _face_box(p: np.ndarray, regions: FlameRegions, grow: float = 1.0) -> np.ndarray:
    """Points (FLAME frame) in the face: chin to forehead, in front of the ears."""
    lm = regions.landmarks
    eye_y = 0.5 * (lm["eye_left"][1] + lm["eye_right"][1])
    eye_z = 0.5 * (lm["eye_left"][2] + lm["eye_right"][2])
    span = (eye_y - lm["mouth_center"][1]) * grow        # about 7 cm
    return ((p[:, 1] > lm["mouth_center"][1] - 0.75 * span) & (p[:, 1] < eye_y + 0.8 * span)
            & (p[:, 2] > eye_z - 0.35 * span) & (np.abs(p[:, 0]) < 1.1 * span))


@dataclass(frozen=True)
class Registration:
    """Result of :func:`register`: source -> FLAME.

    scale, rotation [3, 3], translation [3]: the similarity (after ``to_flame``);
    warped : [V_src, 3] registered source vertices; tri [V_flame], bary [V_flame, 3]:
    each FLAME vertex's point on the source; dist [V_flame]: its distance (m);
    stats: dict of numbers (mm).
    """

    scale: float
    rotation: np.ndarray
    translation: np.ndarray
    warped: np.ndarray
    tri: np.ndarray
    bary: np.ndarray
    dist: np.ndarray
    stats: dict


def _laplacian(n: int, tris: np.ndarray) -> csr_matrix:
    """Uniform graph Laplacian I - D^-1 A of the mesh edges [shape=(n, n)]."""
    e = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    e = np.unique(np.sort(e, 1), axis=0)
    adj = coo_matrix((np.ones(2 * len(e)), (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])),
                     shape=(n, n)).tocsr()
    deg = np.asarray(adj.sum(1)).ravel()
    inv = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)
    return (identity(n, format="csr") - diags(inv) @ adj).tocsr()


def register(source: SourceHead, model: FlameModel, regions: FlameRegions = None, *,
             schedule=_SCHEDULE) -> Registration:
    """Similarity + non-rigid registration of ``source`` onto ``model``'s template.

    The non-rigid stage moves every source surface vertex: it minimises the squared
    distances of closest-point pairs (both directions, face region only, same lip/lid)
    and of the surface landmarks, plus ``stiffness * |L u|^2`` (L the mesh Laplacian, u the
    displacements) and a small ``|u|^2``, with the stiffness lowered step by step.
    """
    regions = regions or flame_regions(model)
    src_lm = np.stack([source.landmarks[k] for k in LANDMARKS]) @ source.to_flame.T
    dst_lm = np.stack([regions.landmarks[k] for k in LANDMARKS])
    s, R, t = similarity(src_lm, dst_lm)
    X0 = s * (source.vertices @ source.to_flame.T) @ R.T + t
    lm0 = s * src_lm @ R.T + t
    tv, tf = model.v_template, model.faces
    t_lab = _tri_labels(regions.labels, tf)
    s_lab = _tri_labels(source.labels, source.tris)
    stris = source.tris[source.surface]
    used = np.unique(stris)
    # unknowns: surface vertices in the face box grown by a margin; the rest stay put
    solve_ids = used[_face_box(X0[used], regions, grow=1.35)]
    n = len(solve_ids)
    local = -np.ones(len(X0), dtype=np.int64)
    local[solve_ids] = np.arange(n)
    ltris = local[stris]
    L = _laplacian(n, ltris[(ltris >= 0).all(1)])
    LtL = (L.T @ L).tocsr()
    rng = np.random.default_rng(0)
    # pairs only inside the face box (the back of the head and the neck need not match)
    src_face = used[_face_box(X0[used], regions)]
    samples = np.sort(rng.choice(src_face, size=min(3000, len(src_face)), replace=False))
    tgt_ids = np.where(~regions.eyeball & _face_box(tv, regions))[0]
    nb_tgt = vertex_normals(tv, tf)[tgt_ids]
    # surface landmarks: nearest source surface vertex to each (eye centres are inside)
    surf_lm = [i for i, k in enumerate(LANDMARKS) if not k.startswith("eye")]
    lm_vid = src_face[cKDTree(X0[src_face]).query(lm0[surf_lm])[1]]
    X = X0.copy()
    for stiffness, iters in schedule:
        for _ in range(iters):
            n_src = vertex_normals(X, stris)
            tri_f, _, q_f, d_f = _match(X[samples], source.labels[samples], tv, tf, t_lab,
                                        regions.surface)
            tri_b, bary_b, _, d_b = _match(tv[tgt_ids], regions.labels[tgt_ids], X,
                                           source.tris, s_lab, source.surface)
            cut = max(3.0 * float(np.median(np.concatenate([d_f, d_b]))), 0.004)
            ok_f = (d_f < cut) & ((n_src[samples] * face_normals(tv, tf[tri_f])).sum(1) > 0.3)
            ok_b = (d_b < cut) & ((face_normals(X, source.tris[tri_b]) * nb_tgt).sum(1) > 0.3)
            ok_b &= (local[source.tris[tri_b]] >= 0).all(1)
            nf, nb, nl = int(ok_f.sum()), int(ok_b.sum()), len(lm_vid)
            rows = np.r_[np.arange(nf), np.repeat(np.arange(nf, nf + nb), 3),
                         np.arange(nf + nb, nf + nb + nl)]
            cols = local[np.r_[samples[ok_f], source.tris[tri_b[ok_b]].ravel(), lm_vid]]
            vals = np.r_[np.ones(nf), bary_b[ok_b].ravel(), np.ones(nl)]
            A = coo_matrix((vals, (rows, cols)), shape=(nf + nb + nl, n)).tocsr()
            T = np.concatenate([q_f[ok_f], tv[tgt_ids][ok_b], dst_lm[surf_lm]])
            w = np.r_[np.ones(nf + nb), np.full(nl, 0.01 * (nf + nb))]
            lhs = A.T @ diags(w) @ A + stiffness * LtL + 1e-4 * identity(n)
            rhs = A.T @ (w[:, None] * (T - A @ X0[solve_ids]))
            X[solve_ids] = X0[solve_ids] + _solve(lhs, rhs)
    tri, bary, q, dist = _match(tv, regions.labels, X, source.tris, s_lab, source.surface)
    lm = lm0.copy()
    for i, k in enumerate(LANDMARKS):
        near = used[np.linalg.norm(X0[used] - lm0[i], axis=1) < 0.02]
        lm[i] = lm0[i] + (X[near] - X0[near]).mean(0) if len(near) else lm0[i]
    lm[surf_lm] = X[lm_vid]
    stats = _stats(X, source, tv, tf, regions, dist, lm, dst_lm)
    return Registration(scale=s, rotation=R, translation=t, warped=X, tri=tri, bary=bary,
                        dist=dist, stats=stats)


def _solve(lhs, rhs: np.ndarray) -> np.ndarray:
    """Sparse SPD solve for all columns of ``rhs`` (one LU with a symmetric ordering)."""
    lu = splu(lhs.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
              options={"SymmetricMode": True})
    return lu.solve(np.ascontiguousarray(rhs))


def _stats(X, source, tv, tf, regions, dist, lm, dst_lm) -> dict:
    """Surface distances (FLAME face vertices <-> registered source) and landmark errors, mm."""
    face = (~regions.eyeball) & (tv[:, 2] > regions.landmarks["mouth_center"][2] - 0.035) & \
        (tv[:, 1] > regions.landmarks["mouth_center"][1] - 0.045) & \
        (tv[:, 1] < regions.landmarks["eye_left"][1] + 0.04)
    moving = np.zeros(len(X), dtype=bool)
    for d in source.deltas.values():
        moving |= np.abs(d).max(1) > 1e-5
    surf = np.zeros(len(X), dtype=bool)
    surf[np.unique(source.tris[source.surface])] = True
    front = np.where(moving & surf)[0]
    _, _, _, d_sf = closest_points(X[front], tv, tf, allowed=regions.surface)
    err = np.linalg.norm(lm - dst_lm, axis=1) * 1000.0
    out = {"face_vertices": int(face.sum()),
           "mean_dist_flame_to_source_mm": float(dist[face].mean() * 1000.0),
           "p95_dist_flame_to_source_mm": float(np.percentile(dist[face], 95) * 1000.0),
           "mean_dist_source_to_flame_mm": float(d_sf.mean() * 1000.0),
           "mean_dist_all_mm": float(dist[~regions.eyeball].mean() * 1000.0)}
    out.update({f"landmark_{k}_mm": float(e) for k, e in zip(LANDMARKS, err)})
    return out


def nearest_source_vertex(reg: Registration, source: SourceHead) -> np.ndarray:
    """For each FLAME vertex, the source vertex nearest its corresponding point."""
    pts = (reg.bary[:, :, None] * reg.warped[source.tris[reg.tri]]).sum(1)
    return cKDTree(reg.warped).query(pts)[1]
