"""The ARKit -> FLAME mapping of one model file, computed from the model itself.

For each of the 52 ARKit shapes of the source head (the demo head by default):
(1) deformation transfer: the shape's vertex offsets, read at each FLAME vertex's
corresponding point on the registered source (``register.py``), rotated and scaled by
the registration's similarity (offsets fade out where a FLAME vertex has no source
surface within a few millimetres); (2) joints: jaw shapes (jawOpen, jawLeft, jawRight)
become a jaw rotation fitted by Gauss-Newton on the jaw-skinned vertices, eye-look shapes
become the eyeball rotations of the source (Kabsch), never expression coefficients;
(3) what the joints leave is projected onto the model's expression space by least
squares over all non-eyeball vertices; (4) the relative error of the reproduced shape is
reported per ARKit shape.

The mapping is cached per model file (its sha256), source head and expression count.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field

import numpy as np

from ...rigs.arkit import ARKIT_NAMES
from ..errors import FlameModelError
from ..motion.rotations import matrix_to_axis_angle
from .geometry import kabsch
from .lbs import blend_rotations, forward
from .model import FlameModel
from .register import SourceHead, demo_source, flame_regions, register

MAPPING_VERSION = 1
JAW_SHAPES = ("jawOpen", "jawLeft", "jawRight")
EYE_LOOK_SHAPES = tuple(n for n in ARKIT_NAMES if n.startswith("eyeLook"))
#: relative error above which the report says the model cannot express a shape
CANNOT_EXPRESS = 0.5
MIN_MOTION_MM = 0.1                      # shapes moving less than this transfer as "none"


@dataclass(frozen=True)
class ArkitFlameFit:
    """ARKit weight 1.0 of each shape -> FLAME parameters (rows in ``ARKIT_NAMES`` order).

    expression : [52, K]; jaw_pose, leye_pose, reye_pose : [52, 3] axis-angle, radians;
    rel_error : [52]  |reproduced - transferred| / |transferred| (nan: nothing transferred);
    motion_mm : [52]  largest transferred vertex offset; registration : dict of numbers.
    """

    expression: np.ndarray
    jaw_pose: np.ndarray
    leye_pose: np.ndarray
    reye_pose: np.ndarray
    rel_error: np.ndarray
    motion_mm: np.ndarray
    model_sha256: str = ""
    source: str = ""
    registration: dict = field(default_factory=dict)
    fit_seconds: float = 0.0
    names: tuple = ARKIT_NAMES

    @property
    def n_expression(self) -> int:
        return int(self.expression.shape[1])

    def report(self) -> dict:
        """Per-shape fitting error and the shapes the model cannot express."""
        per = {n: (None if not np.isfinite(e) else round(float(e), 4))
               for n, e in zip(self.names, self.rel_error)}
        bad = [n for n, e in zip(self.names, self.rel_error) if np.isfinite(e) and e > CANNOT_EXPRESS]
        none = [n for n, e in zip(self.names, self.rel_error) if not np.isfinite(e)]
        ok = self.rel_error[np.isfinite(self.rel_error)]
        return {"model_sha256": self.model_sha256, "source": self.source,
                "n_expression": self.n_expression, "rel_error": per,
                "median_rel_error": float(np.median(ok)) if len(ok) else None,
                "cannot_express": bad, "not_transferred": none,
                "registration": dict(self.registration), "fit_seconds": self.fit_seconds}


def _falloff(model: FlameModel, dist: np.ndarray) -> np.ndarray:
    """Where transferred offsets apply [shape=(V,)]: fades out more than 15 mm from the
    source surface (hidden surfaces inside mouth, nose and eye sockets are kept) and on
    the neck more than 1-3 cm below the chin (the lowest jaw-skinned vertex)."""
    near = np.exp(-0.5 * (np.maximum(dist - 0.015, 0.0) / 0.005) ** 2)
    v = model.v_template
    jaw = model.weights[:, 2] > 0.5
    chin_y = v[jaw, 1].min() if jaw.any() else v[:, 1].min()
    x = np.clip((v[:, 1] - (chin_y - 0.03)) / 0.02, 0.0, 1.0)
    return near * x * x * (3.0 - 2.0 * x)


def transfer_shapes(source: SourceHead, model: FlameModel, reg, regions) -> tuple:
    """Transferred ARKit shapes on the FLAME template.

    Returns
    -------
    deltas : np.ndarray [shape=(52, V, 3)]  FLAME vertex offsets, metres.
    eye_aa : np.ndarray [shape=(52, 2, 3)]  left/right eyeball rotations (FLAME frame).
    """
    Rm = reg.rotation @ source.to_flame                  # source axes -> FLAME axes
    M = reg.scale * Rm
    corner = source.tris[reg.tri]                        # [V, 3]
    fade = _falloff(model, reg.dist)[:, None] * (~regions.eyeball)[:, None]
    J = model.joints()
    eye_of = np.where(regions.eyeball, np.argmax(model.weights[:, 3:5], 1), -1)
    V = model.n_vertices
    out = np.zeros((len(ARKIT_NAMES), V, 3))
    eye_aa = np.zeros((len(ARKIT_NAMES), 2, 3))
    for k, name in enumerate(ARKIT_NAMES):
        d = source.deltas.get(name)
        if d is None:
            continue
        pts = (reg.bary[:, :, None] * d[corner]).sum(1)
        out[k] = (pts @ M.T) * fade
        for e, ids in enumerate(source.eyes):
            if len(ids) < 3 or np.abs(d[ids]).max() < 1e-7:
                continue
            R = Rm @ kabsch(source.vertices[ids], source.vertices[ids] + d[ids]) @ Rm.T
            eye_aa[k, e] = matrix_to_axis_angle(R)
            m = eye_of == e
            out[k, m] = (model.v_template[m] - J[3 + e]) @ (R - np.eye(3)).T
    return out, eye_aa


def _fit_jaw(model: FlameModel, target: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Jaw axis-angle whose skinning best matches ``target`` offsets (weighted by w)."""
    theta = np.zeros(3)
    base = model.v_template
    sw = np.sqrt(w)[:, None]

    def resid(th):
        pose = np.zeros((5, 3))
        pose[2] = th
        return ((forward(model, None, pose) - base - target) * sw).ravel()

    for _ in range(8):
        r = resid(theta)
        h = 1e-4
        Jm = np.stack([(resid(theta + h * np.eye(3)[i]) - r) / h for i in range(3)], 1)
        step = np.linalg.lstsq(Jm, -r, rcond=None)[0]
        theta = theta + step
        if np.linalg.norm(step) < 1e-6:
            break
    return theta


def fit_mapping(model: FlameModel, source: SourceHead = None, *, registration=None,
                regions=None) -> tuple:
    """Compute the mapping for ``model`` from ``source`` (default: the demo head).

    ``registration`` / ``regions`` may be passed when already computed for the same
    template and source (they do not depend on the expression space).

    Returns (ArkitFlameFit, transferred deltas [52, V, 3]).
    """
    t0 = time.perf_counter()
    source = source or demo_source()
    regions = regions or flame_regions(model)
    reg = registration or register(source, model, regions)
    deltas, eye_aa = transfer_shapes(source, model, reg, regions)
    n = len(ARKIT_NAMES)
    jaw = np.zeros((n, 3))
    base = model.v_template
    w_jaw = model.weights[:, 2] * (~regions.eyeball)
    for name in JAW_SHAPES:
        k = ARKIT_NAMES.index(name)
        if np.abs(deltas[k]).max() > 1e-6:
            jaw[k] = _fit_jaw(model, deltas[k], w_jaw)
    poses = np.zeros((n, 5, 3))
    poses[:, 2] = jaw
    poses[:, 3:5] = eye_aa
    resid = expression_targets(model, deltas, poses)
    keep = ~regions.eyeball
    K = model.n_expression
    A = model.exprdirs[keep].reshape(-1, K)
    B = resid[:, keep].reshape(n, -1).T
    AtA = A.T @ A
    lam = 1e-9 * np.trace(AtA) / max(K, 1)
    expr = np.linalg.solve(AtA + lam * np.eye(K), A.T @ B).T         # [52, K]
    recon = forward(model, expr, poses) - base[None]
    err_n = np.linalg.norm((recon - deltas).reshape(n, -1), axis=1)
    ref_n = np.linalg.norm(deltas.reshape(n, -1), axis=1)
    motion = np.linalg.norm(deltas, axis=2).max(1) * 1000.0
    rel = np.where(motion >= MIN_MOTION_MM, err_n / np.maximum(ref_n, 1e-12), np.nan)
    expr[motion < MIN_MOTION_MM] = 0.0
    fit = ArkitFlameFit(expression=expr.astype(np.float32), jaw_pose=jaw.astype(np.float32),
                        leye_pose=eye_aa[:, 0].astype(np.float32),
                        reye_pose=eye_aa[:, 1].astype(np.float32), rel_error=rel,
                        motion_mm=motion, model_sha256=model.sha256, source=source.name,
                        registration=dict(reg.stats, scale=reg.scale),
                        fit_seconds=time.perf_counter() - t0)
    return fit, deltas


def expression_targets(model: FlameModel, deltas: np.ndarray, poses: np.ndarray) -> np.ndarray:
    """What the expression must add to the rest shape so that the posed model shows
    ``deltas`` [shape=(52, V, 3)].

    For a fixed pose the model is linear in a rest-shape offset r (skinning rotates it by
    the blended rotation M of each vertex, and the joints it regresses move with it), so
    ``forward(T + r, pose) = T + D`` is solved for r by a few fixed-point steps
    ``r += M^-1 (target - posed offset of r)`` (exact where no joint turns)."""
    from dataclasses import replace
    posed = forward(model, None, poses)
    out = deltas + model.v_template[None] - posed
    for k in range(len(poses)):
        if not np.any(poses[k]):
            continue
        target = out[k].copy()
        M = blend_rotations(model, poses[k])
        r = np.linalg.solve(M, target[:, :, None])[:, :, 0]
        for _ in range(6):
            moved = forward(replace(model, v_template=model.v_template + r), None, poses[k])
            r = r + np.linalg.solve(M, (target - (moved - posed[k]))[:, :, None])[:, :, 0]
        out[k] = r
    return out


# ---------------------------------------------------------------- cache

def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "talkrig", "flame")


def demo_source_id() -> str:
    """Fingerprint of the demo head's code (its shapes change only with it)."""
    import hashlib
    from ... import rigs
    h = hashlib.sha256()
    folder = os.path.dirname(rigs.__file__)
    for name in ("demo_head.py", "demo_head_keys.py", "demo_head_parts.py"):
        with open(os.path.join(folder, name), "rb") as fh:
            h.update(fh.read())
    return "demo_head-" + h.hexdigest()[:12]


def cache_path(cache_dir: str, sha256: str, source_id: str, n_expression: int) -> str:
    return os.path.join(cache_dir or default_cache_dir(),
                        f"arkit_{sha256[:20]}_{source_id}_n{n_expression}_v{MAPPING_VERSION}.npz")


def save_fit(fit: ArkitFlameFit, path: str) -> None:
    """Write a fit to ``path`` (atomic); FlameModelError if the folder is not writable."""
    folder = os.path.dirname(path) or "."
    meta = {"model_sha256": fit.model_sha256, "source": fit.source, "version": MAPPING_VERSION,
            "registration": fit.registration, "fit_seconds": fit.fit_seconds}
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(folder, exist_ok=True)
        with open(tmp, "wb") as fh:
            np.savez(fh, expression=fit.expression, jaw_pose=fit.jaw_pose,
                     leye_pose=fit.leye_pose, reye_pose=fit.reye_pose, rel_error=fit.rel_error,
                     motion_mm=fit.motion_mm, meta=np.array(json.dumps(meta)))
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.remove(tmp)
        except OSError:
            pass
        why = exc.strerror or str(exc)
        raise FlameModelError(f"cannot write the FLAME mapping cache in {folder} ({why}); "
                              "choose a writable cache folder (flame cache_dir)") from exc


def load_fit(path: str):
    """The cached fit at ``path``, or None if absent or unreadable."""
    if not os.path.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: np.asarray(z[k]) for k in ("expression", "jaw_pose", "leye_pose",
                                                    "reye_pose", "rel_error", "motion_mm")}
    except (OSError, ValueError, KeyError, EOFError):
        return None
    n = len(ARKIT_NAMES)
    if meta.get("version") != MAPPING_VERSION or arrays["expression"].ndim != 2 or \
            arrays["expression"].shape[0] != n or arrays["jaw_pose"].shape != (n, 3):
        return None
    return ArkitFlameFit(**arrays, model_sha256=meta.get("model_sha256", ""),
                         source=meta.get("source", ""), registration=meta.get("registration", {}),
                         fit_seconds=float(meta.get("fit_seconds", 0.0)))
